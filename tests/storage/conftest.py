"""Storage fixtures: a SeaweedFS S3 server for the session (skipped with the reason when it
cannot start), a prefix of one shared bucket per test, and `store`, run once on the local
folder and once on the bucket."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from incubator.storage import LocalStorage, S3Storage, Storage
from tests.storage.seaweed import S3Server, seaweedfs

BUCKET = "incubator-tests"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    try:
        with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
            S3Storage(BUCKET, **_options(server)).create_bucket()
            yield server
    except RuntimeError as error:
        if os.environ.get("STORAGE_REQUIRE_S3"):  # CI (.ci/run): never pass by skipping
            pytest.fail(f"no S3 server for the storage tests: {error}")
        pytest.skip(f"no S3 server for the storage tests: {error}")


def _options(server: S3Server) -> dict[str, Any]:
    return {
        "endpoint_url": server.endpoint_url,
        "region": "us-east-1",
        "access_key": server.access_key,
        "secret_key": server.secret_key,
    }


@pytest.fixture
def s3_settings(s3_server: S3Server) -> dict[str, Any]:
    """App settings naming the bucket, under a prefix of this test's own."""
    return {
        "STORAGE_URL": f"s3://{BUCKET}/{uuid.uuid4().hex}",
        "STORAGE_ENDPOINT_URL": s3_server.endpoint_url,
        "STORAGE_REGION": "us-east-1",
        "STORAGE_ACCESS_KEY": s3_server.access_key,
        "STORAGE_SECRET_KEY": s3_server.secret_key,
    }


@pytest.fixture
def on_bucket(s3_settings: dict[str, Any]) -> Callable[[Flask], Flask]:
    """on_bucket(app) -> the app, its files now in this test's bucket prefix."""

    def switch(app: Flask) -> Flask:
        app.config.update(s3_settings)
        app.extensions.pop("storage", None)
        return app

    return switch


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """The same tests on the local folder and on the bucket (a prefix of its own)."""
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    server = request.getfixturevalue("s3_server")
    return S3Storage(BUCKET, uuid.uuid4().hex, **_options(server))
