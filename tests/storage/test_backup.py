"""`flask backup` and `flask restore`: a seeded database (the demo, a machine photo, a finished
report) round-trips into an empty database of the same kind (SQLite, or PostgreSQL with
TEST_DATABASE_URL) and an empty folder or bucket prefix, every table and file identical; a
session or API token issued after the backup is dead after the restore; a database that holds
data is refused without --force; a damaged archive is refused before anything changes."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import tarfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select, text, update

from incubator import backup_archive, create_app, demo, files, migrate, pagecache, restore
from incubator.accounts.models import User, UserSession
from incubator.api.models import ApiToken
from incubator.db import db, run, utcnow
from incubator.fablab.machines import MachineData, save_machine
from incubator.fablab.models import Machine, MachineCategory
from incubator.models import metadata
from incubator.reports import services as reports
from incubator.reports.models import ReportJob
from incubator.storage import LocalStorage, checksum, storage
from tests.accounts.fixtures import PASSWORD
from tests.conftest import fresh_postgres_database, postgres_server_url
from tests.fablab.test_photos import image_bytes

MANAGER = "manager@biic.test"


# ------------------------------------------------------------------ helpers


def _seed(app: Flask) -> None:
    """The demo (decks included), a machine photo and a finished cohort report."""
    with app.app_context():
        with db.transaction():
            demo.load()
        manager = db.session.scalars(select(User).where(User.email == MANAGER)).one()
        machine = db.session.scalars(select(Machine).order_by(Machine.id)).first()
        assert machine is not None
        data = MachineData(
            name=machine.name,
            category=MachineCategory(machine.category),
            photo=files.Upload(io.BytesIO(image_bytes("JPEG")), "may.jpg"),
        )
        run(save_machine, manager, machine.lab, machine, data)
        center = reports.printable_center(manager, "BIIC")
        job_id = run(reports.request_export, manager, center, "vi").id  # inline: done here
        job = db.session.get(ReportJob, job_id)
        assert job.status == "done" and job.file_name
        kinds = {key.split("/")[0] for key in storage().keys("")}
        assert {"pitch_decks", "machine_photos", "reports"} <= kinds


def _rows(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key."""
    found = {}
    with db.engine(app).connect() as connection:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = connection.execute(select(table).order_by(*order))
            found[table.name] = [tuple(row) for row in rows]
        found["alembic_version"] = list(connection.execute(text("SELECT * FROM alembic_version")))
    return found


def _files(app: Flask) -> dict[str, str]:
    with app.app_context():
        store = storage()
        return {key: checksum(store, key) for key in store.keys("")}


@contextlib.contextmanager
def _empty_target(app: Flask, tmp_path: Path, **settings: Any) -> Iterator[Flask]:
    """Another app with an empty database of the same kind (never migrated) and its own
    empty folder (or the `settings`' bucket)."""
    with contextlib.ExitStack() as stack:
        if db.engine(app).dialect.name == "postgresql":
            server = postgres_server_url()
            assert server
            url = stack.enter_context(fresh_postgres_database(server))
        else:
            url = f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:6]}.db'}"
        settings.setdefault("UPLOAD_DIR", tmp_path / f"restored-{uuid.uuid4().hex[:6]}")
        target = create_app("testing", DATABASE_URL=url, **settings)
        try:
            yield target
        finally:
            db.engine(target).dispose()


def _invoke(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args))


def _backup(app: Flask, path: Path) -> dict[str, Any]:
    result = _invoke(app, "backup", str(path))
    assert result.exit_code == 0, result.output
    assert path.is_file()
    return backup_archive.read_manifest(path)


def _rewrite(source: Path, target: Path, change: Callable[[str, bytes], bytes]) -> None:
    """A copy of the archive with each member's bytes passed through `change`."""
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for member in old:
            stream = old.extractfile(member)
            assert stream is not None
            data = change(member.name, stream.read())
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))


# ------------------------------------------------------------------ round trips


def test_a_seeded_database_and_its_files_round_trip_into_an_empty_database(
    app: Flask, tmp_path: Path
) -> None:
    _seed(app)
    archive = tmp_path / "backup.tar.gz"
    result = _invoke(app, "backup", str(archive))
    assert result.exit_code == 0, result.output
    assert "Backup written to" in result.output  # progress lines (stderr)
    manifest = backup_archive.read_manifest(archive)
    assert archive.stat().st_mode & 0o077 == 0  # the owner's only
    with tarfile.open(archive) as opened:  # gzip, from the name
        names = opened.getnames()
    assert (
        names[-1] == "manifest.json" and backup_archive.DUMPS[db.engine(app).dialect.name] in names
    )
    head, _ = restore._known_revisions(app)
    assert manifest["schema_revision"] == head
    assert manifest["app_version"] and manifest["created_at"].endswith("+00:00")
    before, stored = _rows(app), _files(app)
    assert manifest["tables"]["users"] == len(before["users"]) > 5
    assert {item["key"]: item["sha256"] for item in manifest["files"]} == stored
    assert manifest["database"]["sha256"]

    with _empty_target(app, tmp_path) as target:
        restored = _invoke(target, "restore", str(archive))
        assert restored.exit_code == 0, restored.output
        assert "Checking the checksums" in restored.output
        assert _rows(target) == before
        assert _files(target) == stored
        # and the restored app serves them: a manager signs in and reads a photo
        client = target.test_client()
        assert (
            client.post("/login", data={"email": MANAGER, "password": demo.DEMO_PASSWORD})
        ).status_code == 302
        with target.app_context():
            machine = db.session.scalars(select(Machine).where(Machine.photo.is_not(None))).one()
            url = f"/fablab/machines/{machine.id}/photo/{machine.photo}"
        photo = client.get(url)
        assert photo.status_code == 200 and photo.data == image_bytes("JPEG")
        photo.close()


def test_files_in_a_bucket_round_trip_into_another_bucket_prefix(
    app: Flask,
    on_bucket: Callable[[Flask], Flask],
    s3_settings: dict[str, Any],
    tmp_path: Path,
) -> None:
    on_bucket(app)
    _seed(app)
    assert not LocalStorage(app.config["UPLOAD_DIR"]).root.exists()  # all in the bucket
    archive = tmp_path / "backup.tar"
    _backup(app, archive)
    before, stored = _rows(app), _files(app)
    other = s3_settings | {"STORAGE_URL": s3_settings["STORAGE_URL"] + "-restored"}
    with _empty_target(app, tmp_path, **other) as target:
        restored = _invoke(target, "restore", str(archive))
        assert restored.exit_code == 0, restored.output
        assert "S3Storage" in restored.output
        assert _rows(target) == before
        assert _files(target) == stored and stored


def test_an_archive_of_an_older_schema_is_restored_over_init_db_then_upgraded(
    app: Flask, tmp_path: Path
) -> None:
    head, known = restore._known_revisions(app)
    older = known[1]  # walk_revisions goes from the head down
    with _empty_target(app, tmp_path) as source:
        migrate.upgrade(source, older)
        archive = tmp_path / "old.tar"
        assert _backup(source, archive)["schema_revision"] == older
    with _empty_target(app, tmp_path) as target:
        migrate.upgrade(target)  # `init-db` ran (compose does): still empty, newer tables
        restored = _invoke(target, "restore", str(archive))
        assert restored.exit_code == 0, restored.output
        assert f"Upgrading the schema from {older}" in restored.output
        with db.engine(target).connect() as connection:
            assert connection.scalar(text("SELECT version_num FROM alembic_version")) == head


# ------------------------------------------------------------------ sessions


def _login(app: Flask, email: str) -> Any:
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    assert client.get("/account").status_code == 200
    return client


@pytest.mark.parametrize("keep", [False, True], ids=["ending-sessions", "keep-sessions"])
def test_a_session_and_a_token_made_after_the_backup_are_dead_after_the_restore(
    app: Flask, make_user: Callable[..., User], make_token: Any, tmp_path: Path, keep: bool
) -> None:
    """Restored over the running app's own database: the browser that signed in after the
    backup gets the login page, even with its login in the cache (also with --keep-sessions,
    which keeps only what the backup had), and the token made since answers 401."""
    user = make_user()
    before = _login(app, user.email)  # a session the backup has
    archive = tmp_path / "backup.tar"
    _backup(app, archive)
    after = _login(app, user.email)  # cached login (security: login cache)
    token = make_token(user)
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 200
    refused = _invoke(app, "restore", str(archive))
    assert refused.exit_code == 1 and "not empty" in refused.output
    args = ["restore", "--force", str(archive)] + (["--keep-sessions"] if keep else [])
    restored = _invoke(app, *args)
    assert restored.exit_code == 0, restored.output
    page = after.get("/account")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    assert before.get("/account").status_code == 200  # the backup's own session lives on


@pytest.mark.parametrize("keep", [False, True], ids=["ending-sessions", "keep-sessions"])
def test_sessions_and_tokens_dated_after_the_backup_are_ended_unless_kept(
    app: Flask, make_user: Callable[..., User], make_token: Any, tmp_path: Path, keep: bool
) -> None:
    """A machine whose clock runs ahead wrote a session and a token "after" the backup's time
    into the backed-up database: the restore ends them (not with --keep-sessions)."""
    user = make_user()
    _login(app, user.email)
    token = make_token(user)
    later = utcnow() + timedelta(hours=1)
    with app.app_context():
        db.session.execute(update(UserSession).values(created_at=later))
        db.session.execute(update(ApiToken).values(created_at=later))
        db.session.commit()
    _login(app, user.email)  # and one that is not ahead
    archive = tmp_path / "backup.tar"
    _backup(app, archive)
    with _empty_target(app, tmp_path) as target:
        args = ["restore", str(archive)] + (["--keep-sessions"] if keep else [])
        restored = _invoke(target, *args)
        assert restored.exit_code == 0, restored.output
        with target.app_context():
            sessions = db.session.scalars(select(UserSession).order_by(UserSession.created_at))
            ended = [s.revoked_at is not None for s in sessions]
        assert ended == [False, not keep]
        answer = target.test_client().get(
            "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == (200 if keep else 401)
        if not keep:
            assert "Ended 1 sessions" in restored.output
            assert "Ended 1 API tokens" in restored.output


# ------------------------------------------------------------------ refusals


@pytest.fixture
def archived(
    app: Flask, make_application: Any, tmp_path: Path
) -> tuple[Path, dict[str, list[Any]], dict[str, str]]:
    """(an archive of a database with a submitted application, that database's rows and its
    files as they are now)."""
    make_application("submitted")
    archive = tmp_path / "backup.tar"
    _backup(app, archive)
    make_application("submitted")  # changes since the backup
    return archive, _rows(app), _files(app)


def _unchanged(app: Flask, rows: dict[str, list[Any]], stored: dict[str, str]) -> None:
    assert _rows(app) == rows
    assert _files(app) == stored


def test_a_database_with_data_is_refused_without_force(
    app: Flask, archived: tuple[Path, dict[str, list[Any]], dict[str, str]]
) -> None:
    archive, rows, stored = archived
    refused = _invoke(app, "restore", str(archive))
    assert refused.exit_code == 1
    assert "the database is not empty" in refused.output and "--force" in refused.output
    assert "Traceback" not in refused.output
    _unchanged(app, rows, stored)
    replaced = _invoke(app, "restore", "--force", str(archive))
    assert replaced.exit_code == 0, replaced.output
    assert len(_rows(app)["applications"]) == len(rows["applications"]) - 1
    # the check after a restore names every difference from the manifest
    manifest = backup_archive.read_manifest(archive)
    lost = manifest["files"][0]["key"]
    with app.app_context():
        storage().delete(lost)
        db.session.execute(text("DELETE FROM audit_log"))
        db.session.commit()
    with pytest.raises(backup_archive.BackupError) as differs:
        restore._check_restored(app, manifest, lambda _line: None)
    assert f"file {lost}: missing" in str(differs.value)
    assert "table audit_log: 0 rows" in str(differs.value)


def test_a_damaged_archive_is_refused_before_anything_changes(
    app: Flask, archived: tuple[Path, dict[str, list[Any]], dict[str, str]], tmp_path: Path
) -> None:
    archive, rows, stored = archived

    def flip_a_byte_of_a_deck(name: str, data: bytes) -> bytes:
        if name.startswith("files/pitch_decks/"):
            return data[:-10] + bytes([data[-10] ^ 1]) + data[-9:]
        return data

    changed = tmp_path / "changed.tar"
    _rewrite(archive, changed, flip_a_byte_of_a_deck)
    refused = _invoke(app, "restore", "--force", str(changed))
    assert refused.exit_code == 1, refused.output
    assert "checksum mismatch: files/pitch_decks/" in refused.output
    _unchanged(app, rows, stored)

    truncated = tmp_path / "truncated.tar.gz"
    compressed = gzip.compress(archive.read_bytes())
    truncated.write_bytes(compressed[: len(compressed) // 2])
    (tmp_path / "not-an-archive.tar").write_bytes(b"garbage" * 1000)
    for broken, message in [
        (truncated, "damaged"),
        (tmp_path / "missing.tar", "no such file"),
        (tmp_path / "not-an-archive.tar", "not a backup archive"),
    ]:
        result = _invoke(app, "restore", "--force", str(broken))
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output
    _unchanged(app, rows, stored)


def test_archives_of_another_database_kind_or_an_unknown_schema_are_refused(
    app: Flask, archived: tuple[Path, dict[str, list[Any]], dict[str, str]], tmp_path: Path
) -> None:
    archive, rows, stored = archived
    kind = db.engine(app).dialect.name
    other_kind = "sqlite" if kind == "postgresql" else "postgresql"
    database = backup_archive.read_manifest(archive)["database"]

    def manifest(**changes: Any) -> Callable[[str, bytes], bytes]:
        def change(name: str, data: bytes) -> bytes:
            if name != "manifest.json":
                return data
            return json.dumps(json.loads(data) | changes).encode()

        return change

    cases = [
        (manifest(database=database | {"kind": other_kind}), f"holds a {other_kind} database"),
        (manifest(schema_revision="9999_future"), "unknown to this version"),
        (manifest(format_version=99), "backup format 99"),
        (manifest(tables=["users"]), "is damaged"),
        (manifest(files=[{"key": "../../etc/passwd", "size": 1, "sha256": ""}]), "is damaged"),
    ]
    for number, (change, message) in enumerate(cases):
        crafted = tmp_path / f"crafted-{number}.tar"
        _rewrite(archive, crafted, change)
        result = _invoke(app, "restore", "--force", str(crafted))
        assert result.exit_code == 1 and message in result.output, result.output
    _unchanged(app, rows, stored)


def test_a_missing_pg_dump_is_a_clear_error(app: Flask, tmp_path: Path) -> None:
    with pytest.raises(backup_archive.BackupError, match=r"pg_dump was not found in .*PG_BIN_DIR"):
        backup_archive.pg_tool("pg_dump", tmp_path)
    if db.engine(app).dialect.name != "postgresql":
        return
    app.config["PG_BIN_DIR"] = str(tmp_path)
    result = _invoke(app, "backup", str(tmp_path / "b.tar"))
    assert result.exit_code == 1 and "pg_dump was not found" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "b.tar").exists()


def test_a_restore_forgets_what_other_processes_cached_in_the_file_or_in_redis(
    tmp_path: Path,
) -> None:
    """A page another process keeps (its own cache, the versions it shares) is not served
    after `forget_cached`: versions in the machine's file, or in Redis (TEST_REDIS_URL) when
    the app runs on several machines."""
    bare = Flask(__name__)
    bare.config["PAGE_CACHE_VERSIONS"] = tmp_path / "versions"
    stores: list[Any] = [pagecache.FileVersions(tmp_path / "versions")]
    server = os.environ.get("TEST_REDIS_URL")
    if server:
        stores.append(pagecache.RedisVersions(server, f"test:backup:{uuid.uuid4().hex}"))
    try:
        for store in stores:
            if isinstance(store, pagecache.RedisVersions):
                bare.config.update(REDIS_URL=server, PAGE_CACHE_REDIS_KEY=store._key)
            store.bump(["users"])
            elsewhere = pagecache.VersionedCache(store, 60, 1024 * 1024)
            # what every kept page reads (pagecache.cached_page): its tables and the generation
            tables = (pagecache.GENERATION, "applications", "users")
            versions = tuple(store.read(tables))
            page = pagecache.Entry("<html>", 6, tables, versions, time.monotonic())
            elsewhere.put(("page",), page)
            assert elsewhere.get(("page",)) is not None
            restore.forget_cached(bare)
            assert elsewhere.get(("page",)) is None, store
    finally:
        for store in stores:
            if isinstance(store, pagecache.RedisVersions):
                store._redis.delete(store._key)


def test_a_backup_into_a_missing_folder_or_from_an_unreachable_bucket_is_a_clear_error(
    app: Flask, tmp_path: Path
) -> None:
    result = _invoke(app, "backup", str(tmp_path / "nowhere" / "b.tar"))
    assert result.exit_code == 1 and "does not exist" in result.output
    app.config.update(
        STORAGE_URL="s3://bucket/prefix",
        STORAGE_ENDPOINT_URL="http://127.0.0.1:9",  # nothing listens on the discard port
        STORAGE_ACCESS_KEY="x",
        STORAGE_SECRET_KEY="y",
        STORAGE_REGION="us-east-1",
    )
    app.extensions.pop("storage", None)
    result = _invoke(app, "backup", str(tmp_path / "b.tar"))
    assert result.exit_code == 1 and "the backup failed (storage)" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "b.tar").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no partial archive, no dump left
