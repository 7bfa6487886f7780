"""The backup archive, read and written by `backup.py` and `restore.py`: its format, its
manifest and their checks, and the tools both use (the database kind, pg_dump's and
pg_restore's paths and runs, the commands' error messages).

A backup is ONE tar archive (gzip-compressed when FILE ends in .gz or .tgz):

    database/postgresql.dump   `pg_dump --format=custom` (PostgreSQL), or
    database/sqlite.db         a copy made by SQLite's online backup API
    files/<key>                every stored file, streamed from the folder or the bucket
    manifest.json              format and app version, schema revision, the backup's time
                               (UTC), rows per table, size and SHA-256 of every member
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import click
from sqlalchemy import Connection, func, inspect, make_url, select, table
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from incubator import storage

FORMAT = "incubator-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES = "files/"
DUMPS = {"postgresql": "database/postgresql.dump", "sqlite": "database/sqlite.db"}
CHUNK = storage.CHUNK
# What `init-db` writes by itself (the schema's revision, the two centers): a database holding
# rows elsewhere is not empty.
INIT_DB_TABLES = frozenset({"alembic_version", "centers"})


class BackupError(Exception):
    """A refusal or a failure with a message for the operator (no traceback)."""


Say = Callable[[str], None]


def quiet(_line: str) -> None:
    pass


class Hashing(io.RawIOBase):
    """Reads from a stream, counting and hashing what passes."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk

    def readinto(self, buffer: Any) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def database_kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in DUMPS:
        raise BackupError(f"backups support PostgreSQL and SQLite, not {backend}")
    return backend


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("incubator")
    except PackageNotFoundError:
        return "unknown"


def table_names(connection: Connection) -> list[str]:
    return sorted(inspect(connection).get_table_names())


def row_counts(connection: Connection) -> dict[str, int]:
    return {
        name: int(connection.scalar(select(func.count()).select_from(table(name))) or 0)
        for name in table_names(connection)
    }


def pg_tool(name: str, bin_dir: str | Path | None = None) -> str:
    """The path of `pg_dump` / `pg_restore` (in PG_BIN_DIR, else on PATH), or BackupError."""
    found = shutil.which(name, path=str(bin_dir)) if bin_dir else shutil.which(name)
    if not found:
        where = f"in {bin_dir}" if bin_dir else "on PATH"
        raise BackupError(
            f"{name} was not found {where}: install the PostgreSQL client of the server's major "
            "version (Debian: apt-get install postgresql-client), or set PG_BIN_DIR to its "
            "folder (/usr/lib/postgresql/<version>/bin)"
        )
    return found


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the URL (without the password) and the environment that
    carries the password (never on a command line, which `ps` shows)."""
    parsed: URL = make_url(url)
    environment = dict(os.environ)
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def run_tool(command: list[str], environment: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(  # noqa: S603 (our own arguments, no shell)
            command, env=environment, capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise BackupError(f"{what} could not run: {error}") from error
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip()
        hint = ""
        if "version mismatch" in message:
            hint = (
                "\n(the PostgreSQL client must be at least the server's major version: "
                "install it, or set PG_BIN_DIR)"
            )
        raise BackupError(f"{what} failed:\n{message}{hint}")


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an SQLite database in memory cannot be backed up or restored")
    return Path(database)


def open_archive(path: Path) -> tarfile.TarFile:
    if not path.is_file():
        raise BackupError(f"no such file: {path}")
    try:
        return tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise BackupError(f"{path} is not a backup archive, or it is damaged ({error})") from error


def read_manifest(path: Path) -> dict[str, Any]:
    """The archive's manifest, checked for its format (not yet its checksums)."""
    with open_archive(path) as archive:
        try:
            member = archive.getmember(MANIFEST)
            stream = archive.extractfile(member)
            assert stream is not None
            manifest = json.loads(stream.read())
        except KeyError as error:
            raise BackupError(f"{path} has no {MANIFEST}: not a backup of this app") from error
        except (tarfile.TarError, OSError, EOFError, zlib.error, ValueError) as error:
            raise BackupError(f"{path} is damaged ({error})") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a backup of this app")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} has backup format {manifest.get('format_version')}; this version reads "
            f"format {FORMAT_VERSION}"
        )
    try:
        datetime.fromisoformat(manifest["created_at"])
        tables = manifest["tables"]
        if not isinstance(manifest["database"].get("kind"), str) or not all(
            isinstance(number, int) for number in tables.values()
        ):
            raise TypeError("database kind or row counts")
        _expected(manifest)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise BackupError(f"the manifest of {path} is damaged ({error!r})") from error
    return manifest


def _expected(manifest: dict[str, Any]) -> dict[str, tuple[int, str]]:
    database = manifest["database"]
    expected = {database["name"]: (database["size"], database["sha256"])}
    for item in manifest["files"]:
        storage.check_key(item["key"])
        expected[FILES + item["key"]] = (item["size"], item["sha256"])
    return expected


def verify(path: Path, manifest: dict[str, Any], say: Say = quiet) -> None:
    """Read every member and compare its size and SHA-256 with the manifest: BackupError on
    the first difference, a member missing or one the manifest does not name."""
    try:
        expected = _expected(manifest)
    except (KeyError, TypeError, ValueError) as error:
        raise BackupError(f"the manifest of {path} is damaged ({error})") from error
    seen: set[str] = set()
    say(f"Checking the checksums of {len(expected)} members ...")
    with open_archive(path) as archive:
        try:
            for member in archive:
                if member.name == MANIFEST:
                    continue
                if member.name not in expected or not member.isfile():
                    raise BackupError(f"{path} holds {member.name}, which its manifest lacks")
                stream = archive.extractfile(member)
                assert stream is not None
                hashing = Hashing(stream)
                while hashing.read(CHUNK):
                    pass
                size, digest = expected[member.name]
                if hashing.size != size or hashing.digest.hexdigest() != digest:
                    raise BackupError(
                        f"checksum mismatch: {member.name} in {path} is not what was backed up"
                    )
                seen.add(member.name)
        except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
            raise BackupError(f"{path} is damaged ({error})") from error
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"{path} lacks {len(missing)} members, first {missing[0]}")


def echo(line: str) -> None:
    click.echo(line, err=True)


@contextlib.contextmanager
def clear_errors(what: str) -> Iterator[None]:
    """Refusals and the failures an operator can act on (a disk, the database server, the
    bucket) as one message and exit status 1, without a traceback."""
    try:
        yield
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    except (OSError, sqlite3.Error, SQLAlchemyError) as error:
        raise click.ClickException(f"{what} failed: {error}") from error
    except Exception as error:
        if type(error).__module__.split(".")[0] in ("botocore", "boto3", "s3transfer"):
            raise click.ClickException(f"{what} failed (storage): {error}") from error
        raise
