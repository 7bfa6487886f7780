"""Files (pitch decks, answer files, machine photos, report files, exports): one interface over
the local folder (`UPLOAD_DIR`, the embedded default) or an S3-compatible bucket
(`STORAGE_URL=s3://bucket/prefix`: AWS, MinIO, SeaweedFS, Viettel/VNPT/FPT object storage).

A file is named by a key, "<kind>/<name>" ("pitch_decks/1f3a....pdf", "reports/9b2c....zip"):
in the folder the key is the path under `UPLOAD_DIR` (the layout of earlier releases), in a
bucket the object's name under the prefix. Any web or worker machine sharing the bucket serves
any file. Services decide who may read a file; `send` then streams it (in chunks, never the
whole file in memory) or redirects to a short-lived presigned address.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable
from urllib.parse import quote, urlsplit

import click
from flask import Flask, Response, current_app, redirect, send_file
from flask.cli import with_appcontext
from werkzeug.http import dump_options_header

from incubator.errors import NotFound

CHUNK = 64 * 1024


@runtime_checkable
class Storage(Protocol):
    """Where the app keeps its files. Keys are "/"-separated, relative, without "." or ".."
    parts; every method refuses another key with ValueError."""

    def save(self, key: str, stream: IO[bytes] | bytes) -> int:
        """Store the stream's bytes (read in chunks) under `key`, replacing what was there;
        the number of bytes. A reader never sees a half-written file."""
        ...

    def open(self, key: str) -> IO[bytes]:
        """A readable stream of the file (close it); FileNotFoundError when there is none."""
        ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int:
        """The file's size in bytes; FileNotFoundError when there is none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the file; nothing happens when there is none."""
        ...

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key starting with `prefix` (for backups and `storage migrate`)."""
        ...

    def url(self, key: str, seconds: int, download_name: str, mimetype: str, inline: bool) -> str:
        """A presigned address that serves the file for `seconds`, or "" when the storage
        cannot hand one out (the local folder)."""
        ...


def check_key(key: str) -> str:
    """The key, if it is one this app may use: relative, "/"-separated parts, none empty,
    "." or "..", none starting with a dot (temporary files), no backslash or control
    character. A name from a request or a row never reaches outside the storage."""
    parts = key.split("/") if isinstance(key, str) else [""]
    if not key or any(
        not part or part.startswith(".") or "\\" in part or any(ord(c) < 32 for c in part)
        for part in parts
    ):
        raise ValueError(f"bad storage key {key!r}")
    return key


def _chunks(data: IO[bytes] | bytes) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        yield bytes(data)
        return
    while chunk := data.read(CHUNK):
        yield chunk


# ------------------------------------------------------------------ the local folder


class LocalStorage:
    """Files under a folder: the key is the path below it. `folders` sends a key's first part
    elsewhere (REPORTS_DIR for "reports", as earlier releases allowed)."""

    def __init__(self, root: Path | str, folders: dict[str, Path] | None = None) -> None:
        self.root = Path(root)
        self.folders = {kind: Path(path) for kind, path in (folders or {}).items()}

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def path(self, key: str) -> Path:
        kind, _, rest = check_key(key).partition("/")
        if kind in self.folders and rest:
            return self.folders[kind] / rest
        return self.root / key

    def save(self, key: str, stream: IO[bytes] | bytes) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # written beside it under a dot name (never listed), then renamed over it at once
        partial = target.with_name(f".{target.name}.{secrets.token_hex(6)}.partial")
        size = 0
        try:
            with partial.open("wb") as out:
                for chunk in _chunks(stream):
                    out.write(chunk)
                    size += len(chunk)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return size

    def open(self, key: str) -> IO[bytes]:
        return self.path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path.stat().st_size

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def keys(self, prefix: str = "") -> Iterator[str]:
        tops: list[tuple[str, Path]] = []
        if self.root.is_dir():
            tops = [
                (entry.name, entry)
                for entry in self.root.iterdir()
                if entry.name not in self.folders and not entry.name.startswith(".")
            ]
        tops += list(self.folders.items())
        for name, top in sorted(tops):
            if not (name.startswith(prefix) or prefix.startswith(name + "/")):
                continue
            if top.is_file():
                yield name
                continue
            for directory, subfolders, names in os.walk(top):
                subfolders[:] = sorted(s for s in subfolders if not s.startswith("."))
                below = Path(directory).relative_to(top).as_posix()
                base = name if below == "." else f"{name}/{below}"
                for file_name in sorted(names):
                    key = f"{base}/{file_name}"
                    if not file_name.startswith(".") and key.startswith(prefix):
                        yield key

    def url(self, key: str, seconds: int, download_name: str, mimetype: str, inline: bool) -> str:
        return ""


# ------------------------------------------------------------------ an S3-compatible bucket


class S3Storage:
    """Objects in a bucket under a prefix, through boto3 (imported on first use: an app
    without a bucket never pays for it). The client is made once per process."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        addressing_style: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.options = {
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "aws_access_key_id": access_key or None,
            "aws_secret_access_key": secret_key or None,
        }
        # path style (https://host/bucket/key) for MinIO, SeaweedFS and most local stores
        self.addressing_style = addressing_style or ("path" if endpoint_url else "auto")
        self._client: Any = None
        self._pid = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Storage('s3://{self.bucket}/{self.prefix}')"

    @property
    def client(self) -> Any:
        # a forked worker makes its own (a client's connections are not shared across fork)
        if self._client is None or self._pid != os.getpid():
            with self._lock:
                if self._client is None or self._pid != os.getpid():
                    import boto3
                    from botocore.config import Config

                    config = Config(
                        s3={"addressing_style": self.addressing_style},
                        signature_version="s3v4",
                        # checksums only where S3 requires them: stores other than AWS refuse
                        # the newer streamed checksum trailers
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required",
                        retries={"max_attempts": 3, "mode": "standard"},
                    )
                    session = boto3.session.Session()
                    self._client = session.client("s3", config=config, **self.options)
                    self._pid = os.getpid()
        return self._client

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    @staticmethod
    def _missing(error: Exception) -> bool:
        code = str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def save(self, key: str, stream: IO[bytes] | bytes) -> int:
        from boto3.s3.transfer import TransferConfig

        counted = _Counted(io.BytesIO(stream) if isinstance(stream, bytes) else stream)
        # large files go up in parts of 8 MB (multipart), small ones in one request; buffered:
        # a short read from the source (a socket) is not taken for its end
        self.client.upload_fileobj(
            io.BufferedReader(counted, CHUNK),
            self.bucket,
            self._name(key),
            Config=TransferConfig(use_threads=False),
        )
        return counted.size

    def open(self, key: str) -> IO[bytes]:
        return self.open_sized(key)[0]

    def open_sized(self, key: str) -> tuple[IO[bytes], int]:
        """The stream (botocore's StreamingBody: read(n), close()) and its length, in one
        request."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except Exception as error:
            if self._missing(error):
                raise FileNotFoundError(key) from error
            raise
        return answer["Body"], int(answer["ContentLength"])

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except Exception as error:
            if self._missing(error):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(key)
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def keys(self, prefix: str = "") -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        for page in pages:
            for item in page.get("Contents", ()):
                yield item["Key"][len(self.prefix) :]

    def url(self, key: str, seconds: int, download_name: str, mimetype: str, inline: bool) -> str:
        disposition = _disposition(download_name, inline)
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._name(key),
                "ResponseContentType": mimetype,
                "ResponseContentDisposition": disposition,
                "ResponseCacheControl": "no-store",
            },
            ExpiresIn=seconds,
        )

    def create_bucket(self) -> None:
        """Make the bucket if it does not exist (tests, `storage migrate --create-bucket`)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as error:
            if not self._missing(error):
                raise
            self.client.create_bucket(Bucket=self.bucket)


class _Counted(io.RawIOBase):
    """A stream that counts what is read from it (the size of an upload to a bucket)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.size += len(chunk)
        return chunk

    def readinto(self, buffer: Any) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _disposition(download_name: str, inline: bool) -> str:
    """Content-Disposition as werkzeug's send_file writes it (an ASCII name and the UTF-8 one)."""
    names = {"filename": download_name}
    try:
        download_name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", download_name).encode("ascii", "ignore").decode()
        names = {"filename": simple, "filename*": "UTF-8''" + quote(download_name, safe="")}
    return dump_options_header("inline" if inline else "attachment", names)


# ------------------------------------------------------------------ the app's storage


def from_config(config: dict[str, Any]) -> Storage:
    """The storage that the settings name: the bucket of STORAGE_URL, else UPLOAD_DIR."""
    url = config.get("STORAGE_URL") or ""
    if not url:
        root = Path(config["UPLOAD_DIR"])
        reports = config.get("REPORTS_DIR")
        folders = {}
        if reports and Path(reports) != root / "reports":
            folders["reports"] = Path(reports)
        return LocalStorage(root, folders)
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalStorage(Path(parts.path))
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"STORAGE_URL must be s3://bucket/prefix, not {url!r}")
    return S3Storage(
        parts.netloc,
        parts.path,
        endpoint_url=config.get("STORAGE_ENDPOINT_URL"),
        region=config.get("STORAGE_REGION"),
        access_key=config.get("STORAGE_ACCESS_KEY"),
        secret_key=config.get("STORAGE_SECRET_KEY"),
        addressing_style=config.get("STORAGE_ADDRESSING_STYLE"),
    )


def storage(app: Flask | None = None) -> Storage:
    """The app's configured storage (made on first use, then kept for the app)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get("storage")
    if found is None:
        found = app.extensions["storage"] = from_config(app.config)
    return found


def checksum(store: Storage, key: str) -> str:
    """The SHA-256 of a stored file, read in chunks."""
    digest = hashlib.sha256()
    with store.open(key) as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def send(
    key: str,
    download_name: str,
    mimetype: str,
    as_attachment: bool = True,
    *,
    conditional: bool = False,
) -> Response:
    """The file as an answer, once the caller has checked that the user may read it: streamed
    in chunks through the app, or (STORAGE_PRESIGNED_SECONDS > 0 and a bucket) a redirect to
    an address valid that long. A missing file is NotFound (a 404), never a 500."""
    store = storage()
    seconds = int(current_app.config.get("STORAGE_PRESIGNED_SECONDS") or 0)
    try:
        check_key(key)
    except ValueError as error:
        raise NotFound("file") from error
    if seconds > 0 and not isinstance(store, LocalStorage):
        if not store.exists(key):
            raise NotFound("file")
        address = store.url(key, seconds, download_name, mimetype, not as_attachment)
        if address:
            response = redirect(address, 302)
            response.headers["Cache-Control"] = "no-store"
            return response
    if isinstance(store, LocalStorage):
        path = store.path(key)
        if not path.is_file():
            raise NotFound("file")
        if conditional:  # photos: werkzeug's ETag, Last-Modified and ranges
            return send_file(
                path,
                mimetype=mimetype,
                as_attachment=as_attachment,
                download_name=download_name,
                conditional=True,
                max_age=0,
            )
        length = path.stat().st_size
        opened: Any = None  # opened when the body is read: an answer never read holds nothing
    else:
        try:
            if isinstance(store, S3Storage):
                opened, length = store.open_sized(key)
            else:
                opened, length = store.open(key), store.size(key)
        except FileNotFoundError as error:
            raise NotFound("file") from error

    def body() -> Iterator[bytes]:
        stream = opened or store.open(key)
        try:
            while chunk := stream.read(CHUNK):
                yield chunk
        finally:
            stream.close()

    response = Response(body(), mimetype=mimetype, direct_passthrough=True)
    response.headers["Content-Disposition"] = _disposition(download_name, not as_attachment)
    response.content_length = length
    response.headers["Cache-Control"] = "no-cache"
    return response


# ------------------------------------------------------------------ copying, checking


@dataclass
class Copied:
    """What `copy_all` did: keys copied, keys already there (same size and checksum), and
    keys whose copy did not come out the same."""

    copied: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def copy_all(source: Storage, target: Storage, prefix: str = "") -> Copied:
    """Copy every file under `prefix` from `source` to `target`, each checked afterwards by
    size and SHA-256; a file already there the same is left alone (run it again: it copies
    only what is missing or different)."""
    done = Copied()
    for key in source.keys(prefix):
        size, digest = source.size(key), checksum(source, key)
        if target.exists(key) and target.size(key) == size and checksum(target, key) == digest:
            done.present.append(key)
            continue
        with source.open(key) as stream:
            target.save(key, stream)
        if target.size(key) == size and checksum(target, key) == digest:
            done.copied.append(key)
        else:
            done.failed.append(key)
    return done


def referenced() -> list[tuple[str, str]]:
    """(key, what) of every file a row refers to, from each domain (`signals.stored_files`)."""
    from incubator import signals

    found: list[tuple[str, str]] = []
    for _receiver, answer in signals.stored_files.send(None):
        found.extend(answer or ())
    return found


@click.group("storage")
def cli() -> None:
    """Files in storage (the UPLOAD_DIR folder or the STORAGE_URL bucket)."""


@cli.command("migrate")
@click.option(
    "--from",
    "source",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The folder to copy from (default: UPLOAD_DIR).",
)
@with_appcontext
def migrate_command(source: Path | None) -> None:
    """Copy every file of a local folder (the earlier UPLOAD_DIR) into the configured
    storage, checking each copy's size and SHA-256; run again, it copies only what is
    missing or different. The folder is left as it was."""
    config = current_app.config
    origin = from_config(
        {"UPLOAD_DIR": source, "REPORTS_DIR": None}
        if source
        else {"UPLOAD_DIR": config["UPLOAD_DIR"], "REPORTS_DIR": config.get("REPORTS_DIR")}
    )
    assert isinstance(origin, LocalStorage)
    target = storage()
    if isinstance(target, LocalStorage) and target.root.resolve() == origin.root.resolve():
        raise click.UsageError(
            "the folder is the configured storage itself: set STORAGE_URL to the bucket, "
            "or name another folder with --from"
        )
    click.echo(f"Copying {origin!r} to {target!r} ...")
    done = copy_all(origin, target)
    for key in done.failed:
        click.echo(f"  differs after copying: {key}", err=True)
    click.echo(
        f"{len(done.copied)} copied, {len(done.present)} already there, {len(done.failed)} failed."
    )
    if done.failed:
        raise SystemExit(1)


@cli.command("check")
@with_appcontext
def check_command() -> None:
    """List the files that rows refer to (decks, answer files, photos, finished reports)
    but that storage does not have; exit 1 if there is one."""
    store = storage()
    missing = [(key, what) for key, what in referenced() if not store.exists(key)]
    for key, what in missing:
        click.echo(f"missing: {key}  ({what})")
    click.echo(f"{len(missing)} missing in {store!r}.")
    if missing:
        raise SystemExit(1)
