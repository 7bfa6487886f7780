"""Schemathesis against the generated OpenAPI document, in-process (WSGI): every operation
with generated data, under tokens of several roles (a founder whose startup is incubating and
has a draft, a manager, a mentor, a read-only token): never a 5xx, and every answer matches
the schema of its status.

The default run sends a few examples per operation (SCHEMATHESIS_EXAMPLES, 3): every
operation is still walked under every token. The full run (15 per operation) is marked slow:
`pytest --run-slow tests/api/test_schemathesis.py`."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from incubator.accounts.models import Role

# Examples per operation: a few in the default run, the full number in the slow one.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES") or 3)
FULL_EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def tokens(
    make_token: Callable[..., str],
    make_founder: Any,
    make_application: Any,
    make_machine: Any,
    assigned: Any,
    manager_of: Any,
    make_user: Any,
) -> list[str]:
    founder = make_founder()
    make_application("draft")
    make_machine()
    _assignment, mentor, _founder, _startup = assigned()
    return [
        make_token(founder.user),
        make_token(manager_of("BIIC")),
        make_token(mentor),
        make_token(make_user(Role.FOUNDER), read_only=True),
        make_token(make_user(Role.ADMIN)),
    ]


def walk_every_operation(app: Flask, tokens: list[str], examples: int) -> set[int]:
    """Generated requests for every operation of the document, under each token; the status
    codes answered. (One test walks the operations: schemathesis' pytest loader does not run
    on this pytest; `as_strategy` is the same generation.)"""
    app.extensions["api_limiter"].enabled = False
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    seen: set[int] = set()
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            for token in tokens:
                response = case.call_and_validate(
                    headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
                )
                seen.add(response.status_code)

        check()
    return seen


def test_the_api_keeps_its_document(app: Flask, tokens: list[str]) -> None:
    seen = walk_every_operation(app, tokens, EXAMPLES)
    # the generated requests reached the services, not only the validation
    assert {200, 201, 404, 422} <= seen, seen


@pytest.mark.slow
def test_the_api_keeps_its_document_on_many_examples(app: Flask, tokens: list[str]) -> None:
    seen = walk_every_operation(app, tokens, FULL_EXAMPLES)
    assert {200, 201, 404, 422} <= seen, seen


def test_files_answered_match_their_documented_media_types(
    app: Flask, reported: Any, make_token: Callable[..., str]
) -> None:
    """The PDFs (a startup's report, a report job's file) pass the same checks: their
    binary answers are declared in the document."""
    app.config["REPORTS_PROCESSES"] = 1
    world = reported()
    token = make_token(world.manager)
    headers = {"Authorization": f"Bearer {token}"}
    document = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    for path, media in (
        ("/api/v1/startups/{startup_id}/report.pdf", {"application/pdf"}),
        ("/api/v1/reports/{job_id}/download", {"application/pdf", "application/zip"}),
        ("/api/v1/applications/{application_id}/pitch-deck", {"application/pdf"}),
    ):
        assert set(document[path]["get"]["responses"]["200"]["content"]) == media, path
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    report = schema["/api/v1/startups/{startup_id}/report.pdf"]["GET"]
    case = report.Case(path_parameters={"startup_id": world.startup_id}, query={"lang": "en"})
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    assert response.status_code == 200
    content_types = [v for k, v in response.headers.items() if k.lower() == "content-type"]
    assert str(content_types).count("application/pdf") == 1, response.headers

    job = app.test_client().post(
        "/api/v1/reports",
        json={"kind": "cohort", "program_id": world.program_id},
        headers=headers,
    )
    assert job.status_code == 202
    download = schema["/api/v1/reports/{job_id}/download"]["GET"]
    case = download.Case(path_parameters={"job_id": job.get_json()["id"]})
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    assert response.status_code == 200
