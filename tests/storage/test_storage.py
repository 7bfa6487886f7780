"""The storage interface on the local folder and on a real S3 server (SeaweedFS): save, open,
exists, size, delete, keys; downloads streamed in chunks or redirected to a presigned
address; the settings that choose one."""

from __future__ import annotations

import hashlib
import io
import os
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from incubator.errors import NotFound
from incubator.storage import (
    CHUNK,
    LocalStorage,
    S3Storage,
    Storage,
    checksum,
    from_config,
    send,
    storage,
)


def test_files_are_saved_read_listed_and_deleted(store: Storage) -> None:
    assert isinstance(store, Storage)
    assert store.save("pitch_decks/a.pdf", b"%PDF-1.4 deck") == 13
    assert store.save("machine_photos/b.png", io.BytesIO(b"\x89PNG photo")) == 10
    assert store.save("reports/c.zip", io.BytesIO(b"")) == 0
    assert store.exists("pitch_decks/a.pdf") and not store.exists("pitch_decks/none.pdf")
    assert store.size("machine_photos/b.png") == 10
    with store.open("pitch_decks/a.pdf") as stream:
        assert stream.read() == b"%PDF-1.4 deck"
    assert store.save("pitch_decks/a.pdf", b"replaced") == 8  # a save replaces
    with store.open("pitch_decks/a.pdf") as stream:
        assert stream.read() == b"replaced"
    assert sorted(store.keys()) == ["machine_photos/b.png", "pitch_decks/a.pdf", "reports/c.zip"]
    assert list(store.keys("pitch_decks/")) == ["pitch_decks/a.pdf"]
    assert list(store.keys("nothing/")) == []
    store.delete("pitch_decks/a.pdf")
    store.delete("pitch_decks/a.pdf")  # no error when it is gone
    assert not store.exists("pitch_decks/a.pdf")
    with pytest.raises(FileNotFoundError):
        store.open("pitch_decks/a.pdf")
    with pytest.raises(FileNotFoundError):
        store.size("pitch_decks/a.pdf")
    assert sorted(store.keys()) == ["machine_photos/b.png", "reports/c.zip"]


@pytest.mark.parametrize(
    "key", ["", "../etc/passwd", "/etc/passwd", "a//b", "a/../b", ".hidden", "a/.b", "a\\b", "a/"]
)
def test_keys_that_could_leave_the_storage_are_refused(store: Storage, key: str) -> None:
    for call in (store.exists, store.open, store.size, store.delete):
        with pytest.raises(ValueError, match="bad storage key"):
            call(key)
    with pytest.raises(ValueError, match="bad storage key"):
        store.save(key, b"x")


def test_a_large_file_goes_and_comes_back_in_chunks(store: Storage) -> None:
    data = os.urandom(9 * 1024 * 1024)  # above the 8 MB of a bucket's multipart parts
    assert store.save("reports/big.pdf", io.BytesIO(data)) == len(data)
    assert store.size("reports/big.pdf") == len(data)
    with store.open("reports/big.pdf") as stream:
        first = stream.read(CHUNK)
        assert len(first) == CHUNK  # read as asked, not the whole file at once
        rest = stream.read()
    assert first + rest == data
    assert checksum(store, "reports/big.pdf") == hashlib.sha256(data).hexdigest()


def test_a_failed_save_leaves_nothing_behind(store: Storage) -> None:
    class Broken(io.RawIOBase):
        sent = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            if self.sent > 3 * CHUNK:
                raise OSError("the upload broke off")
            size = min(len(buffer), CHUNK)
            buffer[:size] = b"x" * size
            self.sent += size
            return size

    with pytest.raises(OSError, match="broke off"):
        store.save("pitch_decks/broken.pdf", Broken())
    assert not store.exists("pitch_decks/broken.pdf")
    assert list(store.keys()) == []
    if isinstance(store, LocalStorage):  # nor a partial file under a dot name
        assert [p.name for p in store.root.rglob("*") if p.is_file()] == []


def test_the_settings_choose_the_storage(tmp_path: Path) -> None:
    local = from_config({"UPLOAD_DIR": tmp_path})
    assert isinstance(local, LocalStorage) and local.root == tmp_path
    assert local.path("pitch_decks/a.pdf") == tmp_path / "pitch_decks" / "a.pdf"  # as before
    elsewhere = from_config({"UPLOAD_DIR": tmp_path, "REPORTS_DIR": tmp_path / "r"})
    assert elsewhere.path("reports/x.pdf") == tmp_path / "r" / "x.pdf"
    bucket = from_config(
        {
            "UPLOAD_DIR": tmp_path,
            "STORAGE_URL": "s3://incubator-files/biic/prod/",
            "STORAGE_ENDPOINT_URL": "https://s3.example.vn",
        }
    )
    assert isinstance(bucket, S3Storage)
    assert (bucket.bucket, bucket.prefix, bucket.addressing_style) == (
        "incubator-files",
        "biic/prod/",
        "path",
    )
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        from_config({"UPLOAD_DIR": tmp_path, "STORAGE_URL": "ftp://files"})


def test_the_app_without_a_bucket_does_not_import_boto3(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from incubator import create_app; from incubator.storage import storage\n"
        f"app = create_app('testing', DATABASE_URL='sqlite://', UPLOAD_DIR={str(tmp_path)!r})\n"
        "with app.app_context(): storage().save('a/b.txt', b'x')\n"
        "print('boto3' in sys.modules)"
    )
    answer = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert answer.stdout.strip() == "False"


# ------------------------------------------------------------------ downloads


def _app_on(app: Flask, store: Storage) -> Flask:
    app.extensions["storage"] = store
    return app


def test_downloads_stream_in_chunks(app: Flask, store: Storage) -> None:
    data = os.urandom(3 * CHUNK + 5)
    store.save("reports/r.pdf", data)
    with _app_on(app, store).test_request_context():
        response = send("reports/r.pdf", "Báo cáo khóa 2026.pdf", "application/pdf")
        assert response.is_streamed and response.direct_passthrough
        assert response.content_length == len(data)
        assert response.mimetype == "application/pdf"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment") and "UTF-8''B%C3%A1o" in disposition
        response.direct_passthrough = False
        chunks = list(response.iter_encoded())
        response.close()
    assert b"".join(chunks) == data
    assert len(chunks) >= 4 and max(len(c) for c in chunks) <= CHUNK


def test_a_lost_file_or_a_bad_key_is_not_found(app: Flask, store: Storage) -> None:
    with _app_on(app, store).test_request_context():
        for key in ("reports/gone.pdf", "../x"):
            with pytest.raises(NotFound):
                send(key, "x.pdf", "application/pdf")


def test_with_presigned_seconds_a_bucket_download_redirects_to_a_short_lived_address(
    app: Flask, on_bucket: Any
) -> None:
    on_bucket(app).config["STORAGE_PRESIGNED_SECONDS"] = 60
    data = b"%PDF-1.4 " + os.urandom(1000)
    with app.test_request_context():
        storage().save("pitch_decks/d.pdf", data)
        response = send("pitch_decks/d.pdf", "Hồ sơ gọi vốn.pdf", "application/pdf")
        assert response.status_code == 302 and response.headers["Cache-Control"] == "no-store"
        address = response.headers["Location"]
        assert "X-Amz-Expires=60" in address and "X-Amz-Signature=" in address
        with pytest.raises(NotFound):  # checked first: no address for a lost file
            send("pitch_decks/gone.pdf", "x.pdf", "application/pdf")
    with urllib.request.urlopen(address, timeout=10) as answer:  # noqa: S310 (loopback)
        assert answer.read() == data
        assert answer.headers["Content-Type"] == "application/pdf"
        assert "UTF-8''H%E1%BB%93" in answer.headers["Content-Disposition"]
    tampered = address.replace("X-Amz-Expires=60", "X-Amz-Expires=6000")
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(tampered, timeout=10)  # noqa: S310


def test_presigned_seconds_change_nothing_on_the_local_folder(app: Flask) -> None:
    app.config["STORAGE_PRESIGNED_SECONDS"] = 60
    with app.test_request_context():
        storage().save("pitch_decks/d.pdf", b"%PDF-1.4 local")
        response = send("pitch_decks/d.pdf", "d.pdf", "application/pdf")
        assert response.status_code == 200
        response.direct_passthrough = False
        assert response.get_data() == b"%PDF-1.4 local"
        response.close()
