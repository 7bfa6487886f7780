"""Backup and restore: `flask --app incubator backup FILE` and `restore FILE`.

A backup is ONE tar archive (gzip-compressed when FILE ends in .gz or .tgz):

    database/postgresql.dump   `pg_dump --format=custom` (PostgreSQL), or
    database/sqlite.db         a copy made by SQLite's online backup API
    files/<key>                every stored file, streamed from the folder or the bucket
    manifest.json              format and app version, schema revision, the backup's time
                               (UTC), rows per table, size and SHA-256 of every member

The row counts are those of the dump itself: PostgreSQL's are counted in the snapshot that
pg_dump then dumps (`--snapshot`), SQLite's in the copy. Files are listed after the snapshot:
a file removed while the backup runs may be missing from it (`storage check` after a restore
lists what rows refer to and storage lacks).

`restore` reads the whole archive and checks every checksum before it changes anything,
refuses a database that holds data (anything but what `init-db` writes) unless `--force`
(replace it), refuses an archive of the other database kind or of a schema this version does
not know, restores the database and the files, checks the rows and files against the manifest,
migrates an archive of an older schema to this version's, ends the sessions and API tokens
issued after the backup's time (`--keep-sessions` keeps them), and moves every table's
version so that no process serves a page or a login cached before the restore.
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
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import (
    Connection,
    create_engine,
    func,
    inspect,
    literal,
    make_url,
    select,
    table,
    text,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from incubator import migrate, pagecache, signals, storage
from incubator.db import db, utcnow

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


def _quiet(_line: str) -> None:
    pass


# ------------------------------------------------------------------ helpers


class _Hashing(io.RawIOBase):
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


def _kind(url: str) -> str:
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


def _tables(connection: Connection) -> list[str]:
    return sorted(inspect(connection).get_table_names())


def _counts(connection: Connection) -> dict[str, int]:
    return {
        name: int(connection.scalar(select(func.count()).select_from(table(name))) or 0)
        for name in _tables(connection)
    }


def _revision(connection: Connection) -> str | None:
    if "alembic_version" not in _tables(connection):
        return None
    return connection.scalar(text("SELECT version_num FROM alembic_version"))


def _add(archive: tarfile.TarFile, name: str, stream: IO[bytes], size: int) -> str:
    """Add `size` bytes of `stream` as member `name`; their SHA-256."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(time.time())
    info.mode = 0o600
    hashing = _Hashing(stream)
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


# ------------------------------------------------------------------ PostgreSQL tools


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


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the URL (without the password) and the environment that
    carries the password (never on a command line, which `ps` shows)."""
    parsed: URL = make_url(url)
    environment = dict(os.environ)
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def _run(command: list[str], environment: dict[str, str], what: str) -> None:
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


# ------------------------------------------------------------------ backup


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
    dsn, environment = _libpq(url)
    engine = create_engine(url, poolclass=_null_pool())
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                taken_at = utcnow()
                snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
                counts = _counts(connection)
                revision = _revision(connection)
                say(f"Dumping the PostgreSQL database ({len(counts)} tables) with pg_dump ...")
                command = [binary, "--format=custom", f"--snapshot={snapshot}"]
                command += ["--no-owner", "--no-acl", f"--file={target}", f"--dbname={dsn}"]
                _run(command, environment, "pg_dump")
    finally:
        engine.dispose()
    return counts, revision, taken_at


def _null_pool() -> Any:
    from sqlalchemy.pool import NullPool

    return NullPool


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an SQLite database in memory cannot be backed up or restored")
    return Path(database)


def _dump_sqlite(app: Flask, target: Path, say: Say) -> tuple[dict[str, int], str | None, datetime]:
    source_path = _sqlite_path(app.config["DATABASE_URL"])
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
            return _counts(connection), _revision(connection), taken_at
    finally:
        engine.dispose()


def backup(app: Flask, path: Path, say: Say = _quiet, compress: bool | None = None) -> Written:
    """Write the archive to `path` (made beside it, then renamed: never a half archive)."""
    kind = _kind(app.config["DATABASE_URL"])
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


# ------------------------------------------------------------------ reading an archive


def _open_archive(path: Path) -> tarfile.TarFile:
    if not path.is_file():
        raise BackupError(f"no such file: {path}")
    try:
        return tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise BackupError(f"{path} is not a backup archive, or it is damaged ({error})") from error


def read_manifest(path: Path) -> dict[str, Any]:
    """The archive's manifest, checked for its format (not yet its checksums)."""
    with _open_archive(path) as archive:
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


def verify(path: Path, manifest: dict[str, Any], say: Say = _quiet) -> None:
    """Read every member and compare its size and SHA-256 with the manifest: BackupError on
    the first difference, a member missing or one the manifest does not name."""
    try:
        expected = _expected(manifest)
    except (KeyError, TypeError, ValueError) as error:
        raise BackupError(f"the manifest of {path} is damaged ({error})") from error
    seen: set[str] = set()
    say(f"Checking the checksums of {len(expected)} members ...")
    with _open_archive(path) as archive:
        try:
            for member in archive:
                if member.name == MANIFEST:
                    continue
                if member.name not in expected or not member.isfile():
                    raise BackupError(f"{path} holds {member.name}, which its manifest lacks")
                stream = archive.extractfile(member)
                assert stream is not None
                hashing = _Hashing(stream)
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


# ------------------------------------------------------------------ restore


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
            f"(app {app_version()}, schema {head}); it was made by version "
            f"{manifest.get('app_version')}: restore it with that version or a newer one"
        )
    return True


def _target_state(app: Flask) -> tuple[list[str], dict[str, int]]:
    """(tables, rows per table outside INIT_DB_TABLES that hold any) of the target database."""
    with db.engine(app).connect() as connection:
        tables = _tables(connection)
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
    binary = pg_tool("pg_restore", app.config.get("PG_BIN_DIR"))
    dump = _extract(archive_path, member, folder)
    engine = db.engine(app)
    engine.dispose()
    if drop:  # tables of the target that the dump does not have (a newer schema's)
        quote = engine.dialect.identifier_preparer.quote
        with engine.begin() as connection:
            names = ", ".join(quote(name) for name in drop)
            connection.execute(text(f"DROP TABLE IF EXISTS {names} CASCADE"))
    dsn, environment = _libpq(url)
    say("Restoring the PostgreSQL database with pg_restore ...")
    command = [binary, "--clean", "--if-exists", "--no-owner", "--no-acl", "--no-comments"]
    command += ["--single-transaction", "--exit-on-error", f"--dbname={dsn}", str(dump)]
    _run(command, environment, "pg_restore")
    engine.dispose()


def _restore_sqlite(app: Flask, archive_path: Path, member: str, folder: Path, say: Say) -> None:
    target_path = _sqlite_path(app.config["DATABASE_URL"])
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
    with _open_archive(archive_path) as archive:
        stream = archive.extractfile(member)
        assert stream is not None
        with target.open("wb") as out:
            shutil.copyfileobj(stream, out, CHUNK)
    return target


def _restore_files(app: Flask, archive_path: Path, say: Say) -> int:
    store = storage.storage(app)
    say(f"Restoring the files into {store!r} ...")
    count = 0
    with _open_archive(archive_path) as archive:
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
        counts = _counts(connection)
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
    say: Say = _quiet,
) -> Restored:
    """Restore the archive at `path` into the configured database and storage (see the
    module's documentation for the order of the checks)."""
    manifest = read_manifest(path)
    kind = _kind(app.config["DATABASE_URL"])
    archived_kind = manifest.get("database", {}).get("kind")
    if archived_kind != kind:
        raise BackupError(
            f"{path} holds a {archived_kind} database; this app is configured for {kind} "
            "(DATABASE_URL): a backup restores only into the same kind of database"
        )
    upgrade = _check_schema(app, manifest)
    if kind == "postgresql":
        pg_tool("pg_restore", app.config.get("PG_BIN_DIR"))
    tables, filled = _target_state(app)
    if filled and not force:
        raise BackupError(
            f"the database is not empty ({len(filled)} tables hold rows, e.g. "
            f"{sorted(filled)[0]}): restore into an empty database, or add --force to replace "
            "its contents with the backup's"
        )
    verify(path, manifest, say)  # before anything changes
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


# ------------------------------------------------------------------ commands


def _echo(line: str) -> None:
    click.echo(line, err=True)


@contextlib.contextmanager
def _clear_errors(what: str) -> Iterator[None]:
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
    with _clear_errors("the backup"):
        backup(current_app._get_current_object(), file, _echo, compress)  # type: ignore[attr-defined]


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
    with _clear_errors("the restore"):
        restore(app, file, force=force, keep_sessions=keep_sessions, say=_echo)
