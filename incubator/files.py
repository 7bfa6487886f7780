"""Uploaded files: kept in storage (incubator/storage.py: the local folder or a bucket) under
random names, checked by content on a temporary file before they are stored."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask_babel import gettext as _

from incubator.errors import DomainError
from incubator.storage import storage

CHUNK = 64 * 1024


@dataclass
class StoredFile:
    name: str
    original_name: str
    size: int


def key(kind: str, name: str) -> str:
    """The storage key of a stored file of this kind ("pitch_decks/<name>"): the layout of
    the upload folder of earlier releases."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError("bad stored file name")
    return f"{kind}/{name}"


def looks_like_pdf(path: Path) -> bool:
    """The PDF header at the start and an end-of-file marker near the end."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(1024)
        handle.seek(max(0, size - 2048))
        tail = handle.read()
    return head.lstrip(b"\x00\t\n\r ").startswith(b"%PDF-") and b"%%EOF" in tail


def minimal_pdf(title: str) -> bytes:
    """A one-page PDF showing `title`, that passes `looks_like_pdf`.

    The placeholder pitch deck of the demo data (`flask seed-demo`, so it ships with
    the app rather than with the tests) and the deck the tests upload.
    """
    text = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 28 Tf 60 700 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


@dataclass
class Upload:
    """A file a form received, for a service to store."""

    stream: IO[bytes]
    filename: str


def _copy(stream: IO[bytes], target: IO[bytes], max_bytes: int, field: str) -> int:
    """Copy the upload to `target`, refusing an empty or too large one; its size."""
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise DomainError(
                _("The file is larger than %(mb)d MB.", mb=max_bytes // (1024 * 1024)),
                field=field,
                code="too_large",
            )
        target.write(chunk)
    if size == 0:
        raise DomainError(_("The file is empty."), field=field, code="empty_file")
    target.flush()
    return size


def _received(stream: IO[bytes], max_bytes: int, field: str) -> IO[bytes]:
    """The upload in a temporary file (deleted when closed), checked for size."""
    handle = tempfile.NamedTemporaryFile(prefix="upload-")  # noqa: SIM115 (the caller closes it)
    try:
        _copy(stream, handle, max_bytes, field)
    except BaseException:
        handle.close()
        raise
    return handle


def _store(kind: str, name: str, handle: IO[bytes]) -> int:
    """Save the checked temporary file under its new name in storage; its size."""
    handle.seek(0)
    return storage().save(key(kind, name), handle)


def store_pdf(
    kind: str, stream: IO[bytes], original_name: str, max_bytes: int, field: str
) -> StoredFile:
    """Store the upload under a new random name; refuse anything not a PDF or too large (then
    nothing is stored)."""
    name = secrets.token_hex(16) + ".pdf"
    with _received(stream, max_bytes, field) as handle:
        if not looks_like_pdf(Path(handle.name)):
            raise DomainError(_("This file is not a PDF."), field=field, code="not_a_pdf")
        size = _store(kind, name, handle)
    return StoredFile(name=name, original_name=pdf_name(original_name), size=size)


# the photos accepted: Pillow's name of the format -> the stored file's extension
IMAGE_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
IMAGE_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}
MAX_IMAGE_PIXELS = 40_000_000  # 40 megapixels: a photo, not a decompression bomb


def image_format(head: bytes) -> str | None:
    """JPEG, PNG or WEBP from the file's first bytes (its signature), else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _check_image(path: Path, field: str) -> str:
    """The photo's format when its signature and its decoded header agree (Pillow), else a
    refusal; the pixels are not decoded (cheap), their number is bounded."""
    from PIL import Image, UnidentifiedImageError

    not_a_photo = DomainError(_("This file is not a JPEG, PNG or WebP photo."), field=field)
    with path.open("rb") as handle:
        expected = image_format(handle.read(16))
    if expected is None:
        raise not_a_photo
    try:
        with Image.open(path, formats=[expected]) as image:
            width, height = image.size
            image.verify()  # the structure (chunks, markers) without decoding the pixels
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise not_a_photo from error
    except Image.DecompressionBombError as error:
        raise DomainError(_("This photo has too many pixels."), field=field) from error
    if width * height > MAX_IMAGE_PIXELS:
        raise DomainError(_("This photo has too many pixels."), field=field)
    return expected


def store_image(kind: str, stream: IO[bytes], max_bytes: int, field: str) -> StoredFile:
    """Store an uploaded photo under a new random name ending in its real format's extension;
    refuse anything not a JPEG, PNG or WebP (by content, not by name) or too large."""
    with _received(stream, max_bytes, field) as handle:
        name = secrets.token_hex(16) + IMAGE_FORMATS[_check_image(Path(handle.name), field)]
        size = _store(kind, name, handle)
    return StoredFile(name=name, original_name=name, size=size)


def pdf_name(original_name: str | None, default: str = "deck") -> str:
    """The name a PDF is stored and served under: the sender's, ending in .pdf whatever it was
    ("page.html" becomes "page.pdf"), without folders, line breaks or quotes."""
    name = os.path.basename((original_name or "").replace("\\", "/"))
    name = re.sub(r'[\x00-\x1f\x7f"]', "", unicodedata.normalize("NFC", name)).strip().lstrip(".")
    stem, dot, extension = name.rpartition(".")
    if dot and stem.strip() and re.fullmatch(r"\w{1,10}", extension):
        name = stem
    return (name.strip()[:196] or default) + ".pdf"


def delete(kind: str, name: str | None) -> None:
    """Remove a stored file (nothing when there is none); run after the commit that forgot
    it, or after the rollback of the transaction that stored it."""
    if name:
        storage().delete(key(kind, name))
