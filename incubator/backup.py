"""Backup: `flask --app incubator backup FILE` writes ONE tar archive (gzip-compressed when
FILE ends in .gz or .tgz; its layout in `backup_archive.py`).

The row counts are those of the dump itself: PostgreSQL's are counted in the snapshot that
pg_dump then dumps (`--snapshot`), SQLite's in the copy. Files are listed after the snapshot:
a file removed while the backup runs may be missing from it (`storage check` after a restore
lists what rows refer to and storage lacks).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import Connection, create_engine, text

from incubator import storage
from incubator.backup_archive import (
    DUMPS,
    FILES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    BackupError,
    Hashing,
    Say,
    app_version,
    clear_errors,
    database_kind,
    echo,
    libpq,
    pg_tool,
    quiet,
    row_counts,
    run_tool,
    sqlite_path,
    table_names,
)
from incubator.db import utcnow


def _revision(connection: Connection) -> str | None:
    if "alembic_version" not in table_names(connection):
        return None
    return connection.scalar(text("SELECT version_num FROM alembic_version"))


def _add(archive: tarfile.TarFile, name: str, stream: IO[bytes], size: int) -> str:
    """Add `size` bytes of `stream` as member `name`; their SHA-256."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(time.time())
    info.mode = 0o600
    hashing = Hashing(stream)
    try:
        archive.addfile(info, hashing)
    except OSError as error:  # tarfile: "unexpected end of data"
        raise BackupError(f"{name} changed while it was read ({error})") from error
    if hashing.size != size:
        raise BackupError(f"{name} changed while it was read")
    return hashing.digest.hexdigest()


def _open_sized(store: storage.Storage, key: str) -> tuple[IO[bytes], int]:
    if isinstance(store, storage.S3Storage):
        return store.open_sized(key)
    stream = store.open(key)
    try:
        return stream, os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        return stream, store.size(key)


@dataclass
class Written:
    path: Path
    manifest: dict[str, Any]


def _dump_postgresql(
    app: Flask, target: Path, say: Say
) -> tuple[dict[str, int], str | None, datetime]:
    """pg_dump of the snapshot that the counts are taken in (one REPEATABLE READ transaction
    exports it; pg_dump --snapshot reads the same)."""
    url = app.config["DATABASE_URL"]
    binary = pg_tool("pg_dump", app.config.get("PG_BIN_DIR"))
    dsn, environment = libpq(url)
    engine = create_engine(url, poolclass=_null_pool())
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                taken_at = utcnow()
                snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
                counts = row_counts(connection)
                revision = _revision(connection)
                say(f"Dumping the PostgreSQL database ({len(counts)} tables) with pg_dump ...")
                command = [binary, "--format=custom", f"--snapshot={snapshot}"]
                command += ["--no-owner", "--no-acl", f"--file={target}", f"--dbname={dsn}"]
                run_tool(command, environment, "pg_dump")
    finally:
        engine.dispose()
    return counts, revision, taken_at


def _null_pool() -> Any:
    from sqlalchemy.pool import NullPool

    return NullPool


def _dump_sqlite(app: Flask, target: Path, say: Say) -> tuple[dict[str, int], str | None, datetime]:
    source_path = sqlite_path(app.config["DATABASE_URL"])
    if not source_path.is_file():
        raise BackupError(f"the SQLite database {source_path} does not exist")
    say(f"Copying the SQLite database {source_path} with its online backup API ...")
    taken_at = utcnow()
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # a consistent copy, even while the app writes
    finally:
        copy.close()
        source.close()
    engine = create_engine(f"sqlite:///{target}", poolclass=_null_pool())
    try:
        with engine.connect() as connection:
            return row_counts(connection), _revision(connection), taken_at
    finally:
        engine.dispose()


def backup(app: Flask, path: Path, say: Say = quiet, compress: bool | None = None) -> Written:
    """Write the archive to `path` (made beside it, then renamed: never a half archive)."""
    kind = database_kind(app.config["DATABASE_URL"])
    if compress is None:
        compress = path.name.endswith((".gz", ".tgz"))
    path = path.resolve()
    if not path.parent.is_dir():
        raise BackupError(f"the folder {path.parent} does not exist")
    store = storage.storage(app)
    partial = path.with_name(f".{path.name}.partial")
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".incubator-backup-") as folder:
        dump = Path(folder) / Path(DUMPS[kind]).name
        dumper = _dump_postgresql if kind == "postgresql" else _dump_sqlite
        counts, revision, taken_at = dumper(app, dump, say)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "app_version": app_version(),
            "schema_revision": revision,
            "created_at": taken_at.isoformat(),
            "database": {"kind": kind, "name": DUMPS[kind]},
            "tables": counts,
            "files": [],
        }
        try:
            # readable by its owner only: it holds every password hash and personal datum
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with (
                os.fdopen(descriptor, "wb") as raw,
                tarfile.open(
                    fileobj=raw, mode="w:gz" if compress else "w", format=tarfile.PAX_FORMAT
                ) as out,
            ):
                size = dump.stat().st_size
                with dump.open("rb") as stream:
                    digest = _add(out, DUMPS[kind], stream, size)
                manifest["database"] |= {"size": size, "sha256": digest}
                dump.unlink()
                say(f"Database: {sum(counts.values())} rows in {len(counts)} tables, {size} bytes.")
                say(f"Copying the stored files from {store!r} ...")
                for key in store.keys(""):
                    try:
                        stream, size = _open_sized(store, key)
                    except FileNotFoundError:
                        continue  # removed since it was listed
                    with contextlib.closing(stream):
                        digest = _add(out, FILES + key, stream, size)
                    manifest["files"].append({"key": key, "size": size, "sha256": digest})
                say(f"Files: {len(manifest['files'])}.")
                data = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
                _add(out, MANIFEST, io.BytesIO(data), len(data))
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    say(f"Backup written to {path}.")
    return Written(path, manifest)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--gzip/--no-gzip",
    "compress",
    default=None,
    help="Compress the archive (default: when FILE ends in .gz or .tgz).",
)
@with_appcontext
def backup_command(file: Path, compress: bool | None) -> None:
    """Write one archive FILE (tar) with the database, every stored file and a manifest
    (schema revision, row counts, checksums)."""
    with clear_errors("the backup"):
        backup(current_app._get_current_object(), file, echo, compress)  # type: ignore[attr-defined]
