"""Restore: `flask --app incubator restore FILE` (an archive written by `backup.py`).

`restore` reads the whole archive and checks every checksum before it changes anything,
refuses a database that holds data (anything but what `init-db` writes) unless `--force`
(replace it), refuses an archive of the other database kind or of a schema this version does
not know, restores the database and the files, checks the rows and files against the manifest,
migrates an archive of an older schema to this version's, ends the sessions and API tokens
issued after the backup's time (`--keep-sessions` keeps them), and moves every table's
version so that no process serves a page or a login cached before the restore.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import literal, select, table, text

from incubator import backup_archive, migrate, pagecache, signals, storage
from incubator.backup_archive import CHUNK, FILES, INIT_DB_TABLES, BackupError, Say
from incubator.db import db


@dataclass
class Restored:
    manifest: dict[str, Any]
    upgraded: bool
    revoked: list[tuple[str, int]]
    extra_files: int


def _known_revisions(app: Flask) -> tuple[str, list[str]]:
    """(head, every revision from base to head) of this version's migrations."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config(app))
    head = scripts.get_current_head()
    assert head is not None
    return head, [script.revision for script in scripts.walk_revisions()]


def _check_schema(app: Flask, manifest: dict[str, Any]) -> bool:
    """True when the archive's schema is older than this version's (upgrade after restoring);
    BackupError when this version does not know it."""
    revision = manifest.get("schema_revision")
    head, known = _known_revisions(app)
    if revision == head:
        return False
    if revision not in known:
        raise BackupError(
            f"the backup's schema revision {revision!r} is unknown to this version "
            f"(app {backup_archive.app_version()}, schema {head}); it was made by version "
            f"{manifest.get('app_version')}: restore it with that version or a newer one"
        )
    return True


def _target_state(app: Flask) -> tuple[list[str], dict[str, int]]:
    """(tables, rows per table outside INIT_DB_TABLES that hold any) of the target database."""
    with db.engine(app).connect() as connection:
        tables = backup_archive.table_names(connection)
        filled = {}
        for name in tables:
            if name in INIT_DB_TABLES:
                continue
            if connection.scalar(select(literal(1)).select_from(table(name)).limit(1)):
                filled[name] = 1
    return tables, filled


def _restore_postgresql(
    app: Flask, archive_path: Path, member: str, folder: Path, drop: list[str], say: Say
) -> None:
    url = app.config["DATABASE_URL"]
    binary = backup_archive.pg_tool("pg_restore", app.config.get("PG_BIN_DIR"))
    dump = _extract(archive_path, member, folder)
    engine = db.engine(app)
    engine.dispose()
    if drop:  # tables of the target that the dump does not have (a newer schema's)
        quote = engine.dialect.identifier_preparer.quote
        with engine.begin() as connection:
            names = ", ".join(quote(name) for name in drop)
            connection.execute(text(f"DROP TABLE IF EXISTS {names} CASCADE"))
    dsn, environment = backup_archive.libpq(url)
    say("Restoring the PostgreSQL database with pg_restore ...")
    command = [binary, "--clean", "--if-exists", "--no-owner", "--no-acl", "--no-comments"]
    command += ["--single-transaction", "--exit-on-error", f"--dbname={dsn}", str(dump)]
    backup_archive.run_tool(command, environment, "pg_restore")
    engine.dispose()


def _restore_sqlite(app: Flask, archive_path: Path, member: str, folder: Path, say: Say) -> None:
    target_path = backup_archive.sqlite_path(app.config["DATABASE_URL"])
    copy = _extract(archive_path, member, folder)
    db.engine(app).dispose()
    target_path.parent.mkdir(parents=True, exist_ok=True)
    say(f"Restoring the SQLite database into {target_path} with its backup API ...")
    source = sqlite3.connect(copy)
    target = sqlite3.connect(target_path, timeout=30)
    try:
        source.backup(target)  # page by page, under the target's lock: readers never see half
    finally:
        target.close()
        source.close()


def _extract(archive_path: Path, member: str, folder: Path) -> Path:
    target = folder / Path(member).name
    with backup_archive.open_archive(archive_path) as archive:
        stream = archive.extractfile(member)
        assert stream is not None
        with target.open("wb") as out:
            shutil.copyfileobj(stream, out, CHUNK)
    return target


def _restore_files(app: Flask, archive_path: Path, say: Say) -> int:
    store = storage.storage(app)
    say(f"Restoring the files into {store!r} ...")
    count = 0
    with backup_archive.open_archive(archive_path) as archive:
        for member in archive:
            if not member.name.startswith(FILES):
                continue
            stream = archive.extractfile(member)
            assert stream is not None
            store.save(member.name[len(FILES) :], stream)
            count += 1
    return count


def _check_restored(app: Flask, manifest: dict[str, Any], say: Say) -> int:
    """Compare the restored rows and files with the manifest (BackupError listing every
    difference); the number of stored files the backup did not have."""
    say("Checking the restored rows and files against the manifest ...")
    problems = []
    with db.engine(app).connect() as connection:
        counts = backup_archive.row_counts(connection)
    for name, expected in sorted(manifest["tables"].items()):
        found = counts.get(name)
        if found != expected:
            problems.append(f"table {name}: {found} rows, the backup had {expected}")
    store = storage.storage(app)
    for item in manifest["files"]:
        key = item["key"]
        try:
            size, digest = store.size(key), storage.checksum(store, key)
        except FileNotFoundError:
            problems.append(f"file {key}: missing after the restore")
            continue
        if (size, digest) != (item["size"], item["sha256"]):
            problems.append(f"file {key}: differs from the backup after the restore")
    if problems:
        raise BackupError("the restore does not match the backup:\n  " + "\n  ".join(problems[:50]))
    archived = {item["key"] for item in manifest["files"]}
    return sum(1 for key in store.keys("") if key not in archived)


def end_sessions_after(app: Flask, taken_at: datetime) -> list[tuple[str, int]]:
    """End every session and API token issued after `taken_at` (the domains that keep them
    answer `signals.backup_restored`): (what, how many) per receiver."""
    with app.app_context(), db.transaction():
        answers = signals.backup_restored.send(None, taken_at=taken_at)
    return [answer for _receiver, answer in answers if answer]


def forget_cached(app: Flask) -> None:
    """No process serves a page it cached before the restore: the restore wrote behind the
    engine's back, so no table's version moved (`flask cache clear`)."""
    pagecache.clear_everywhere(app)


def restore(
    app: Flask,
    path: Path,
    *,
    force: bool = False,
    keep_sessions: bool = False,
    say: Say = backup_archive.quiet,
) -> Restored:
    """Restore the archive at `path` into the configured database and storage (see the
    module's documentation for the order of the checks)."""
    manifest = backup_archive.read_manifest(path)
    kind = backup_archive.database_kind(app.config["DATABASE_URL"])
    archived_kind = manifest.get("database", {}).get("kind")
    if archived_kind != kind:
        raise BackupError(
            f"{path} holds a {archived_kind} database; this app is configured for {kind} "
            "(DATABASE_URL): a backup restores only into the same kind of database"
        )
    upgrade = _check_schema(app, manifest)
    if kind == "postgresql":
        backup_archive.pg_tool("pg_restore", app.config.get("PG_BIN_DIR"))
    tables, filled = _target_state(app)
    if filled and not force:
        raise BackupError(
            f"the database is not empty ({len(filled)} tables hold rows, e.g. "
            f"{sorted(filled)[0]}): restore into an empty database, or add --force to replace "
            "its contents with the backup's"
        )
    backup_archive.verify(path, manifest, say)  # before anything changes
    with tempfile.TemporaryDirectory(prefix="incubator-restore-") as folder:
        member = manifest["database"]["name"]
        if kind == "postgresql":
            drop = sorted(set(tables) - set(manifest["tables"]))
            _restore_postgresql(app, path, member, Path(folder), drop, say)
        else:
            _restore_sqlite(app, path, member, Path(folder), say)
    restored_files = _restore_files(app, path, say)
    say(f"Files restored: {restored_files}.")
    extra = _check_restored(app, manifest, say)
    if extra:
        say(f"Storage also holds {extra} files that the backup does not have (left in place).")
    if upgrade:
        say(f"Upgrading the schema from {manifest['schema_revision']} to this version's ...")
        migrate.upgrade(app)
    revoked: list[tuple[str, int]] = []
    if keep_sessions:
        say("Sessions and API tokens kept (--keep-sessions).")
    else:
        taken_at = datetime.fromisoformat(manifest["created_at"])
        revoked = end_sessions_after(app, taken_at)
        for what, number in revoked:
            say(f"Ended {number} {what} issued after the backup ({taken_at.isoformat()}).")
    forget_cached(app)
    say("Cached pages and logins forgotten.")
    say(f"Restored {path} (made {manifest['created_at']}).")
    return Restored(manifest, upgrade, revoked, extra)


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace the contents of a database that is not empty (every table is replaced by "
    "the backup's; stored files of the same name are overwritten).",
)
@click.option(
    "--keep-sessions",
    is_flag=True,
    help="Keep the sessions and API tokens issued after the backup's time (ended by default).",
)
@with_appcontext
def restore_command(file: Path, force: bool, keep_sessions: bool) -> None:
    """Restore an archive FILE written by `backup` into the configured database and storage,
    after checking its checksums; then check rows and files against its manifest."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with backup_archive.clear_errors("the restore"):
        restore(app, file, force=force, keep_sessions=keep_sessions, say=backup_archive.echo)
