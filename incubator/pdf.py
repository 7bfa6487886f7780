"""PDF rendering shared by every domain that prints (certificates, reports).

Three rules hold for every PDF:
* the only font is the vendored Be Vietnam Pro (full TTFs, every Vietnamese letter), and
  all text is NFC-normalized first, so diacritics come out exactly as typed;
* the fetcher serves the package's own static files and nothing else: ``file:`` URLs,
  network URLs and paths that climb out of ``static/`` are refused, so user text such as
  ``<img src="file:///etc/passwd">`` can neither read a file nor make a request;
* print templates (``templates/pdf/``) receive plain values, never ORM objects, so a
  template cannot lazy-load rows (or run in a job without a session).
"""

from __future__ import annotations

import dataclasses
import logging
import unicodedata
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import inspect as sa_inspect

from incubator.i18n import current_language, format_datetime

# WeasyPrint logs a line per step and stylesheet of every document (and at import): noise
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

from weasyprint import HTML  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

STATIC_ROOT = (Path(__file__).parent / "static").resolve()
# Documents are rendered against this base: relative URLs in templates (``css/pdf.css``)
# resolve under it, and the fetcher maps it to STATIC_ROOT. ``.invalid`` never resolves.
STATIC_BASE = "https://static.invalid/"

MEDIA_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


class RefusedURL(ValueError):
    """A document asked for something outside the package's static files."""


class StaticOnlyFetcher(URLFetcher):
    """Answers URLs under STATIC_BASE from the package's static folder; refuses the rest.

    WeasyPrint logs a refused resource and renders without it (a missing image), so a
    hostile URL in user text costs the reader a blank box, never a file or a request.
    """

    def fetch(self, url, headers=None):
        return URLFetcherResponse(
            url, body=read_static(url), headers={"Content-Type": media_type(url)}
        )


def static_path(url: str) -> Path:
    if not url.startswith(STATIC_BASE):
        raise RefusedURL(f"only the package's static files are served, not {url[:80]!r}")
    relative = unquote(urlsplit(url).path).lstrip("/")
    path = (STATIC_ROOT / relative).resolve()
    if not path.is_relative_to(STATIC_ROOT) or not path.is_file():
        raise RefusedURL(f"no static file {relative[:80]!r}")
    if path.suffix.lower() not in MEDIA_TYPES:
        raise RefusedURL(f"static files of type {path.suffix!r} are not served to PDFs")
    return path


def read_static(url: str) -> bytes:
    return static_path(url).read_bytes()


def media_type(url: str) -> str:
    return MEDIA_TYPES[Path(urlsplit(url).path).suffix.lower()]


def render_pdf(html: str, *, pdf_variant: str | None = None) -> bytes:
    """The PDF of one HTML document (``pdf_variant="pdf/a-3b"`` for archives)."""
    document = HTML(
        string=unicodedata.normalize("NFC", html),
        base_url=STATIC_BASE,
        url_fetcher=StaticOnlyFetcher(),
    )
    if not pdf_variant:
        return document.write_pdf()
    with warnings.catch_warnings():
        # WeasyPrint 70 reads its sRGB profile for PDF/A from a file it never closes
        warnings.simplefilter("ignore", ResourceWarning)
        return document.write_pdf(pdf_variant=pdf_variant)


def page_frame(
    center_name: str, title: str, generated_at: datetime | None = None, numbered: bool = True
) -> dict:
    """The values of base.html's running header and footer, in the current language.

    `numbered=False` leaves "Trang X / Y" out: a chunk of a document rendered on its own
    gets its numbers when the chunks are merged (`merge_chunks`)."""
    moment = generated_at or datetime.now(UTC)
    return {
        "lang": current_language(),
        "center_name": center_name,
        "title": title,
        "generated_label": _("Generated %(moment)s", moment=format_datetime(moment)),
        "page_label": _("Page"),
        "numbered": numbered,
    }


def render_print_template(template: str, **values) -> str:
    """The HTML of a print template under ``templates/pdf/``, from plain values only."""
    refuse_orm_objects(values)
    return render_template(f"pdf/{template}", **values)


def render_template_pdf(template: str, *, pdf_variant: str | None = None, **values) -> bytes:
    return render_pdf(render_print_template(template, **values), pdf_variant=pdf_variant)


def refuse_orm_objects(value, where: str = "values") -> None:
    """Raise TypeError when an ORM object hides anywhere in the values of a print template."""
    if isinstance(value, str | bytes | int | float | bool | type(None)):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            refuse_orm_objects(item, f"{where}[{key!r}]")
        return
    if isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            refuse_orm_objects(item, f"{where}[{index}]")
        return
    if hasattr(value, "__table__") and sa_inspect(value, raiseerr=False) is not None:
        raise TypeError(f"{where} is an ORM object ({type(value).__name__}); pass plain values")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            refuse_orm_objects(getattr(value, field.name), f"{where}.{field.name}")


# ------------------------------------------------------------ chunked documents
#
# A long document (a cohort report) is rendered in chunks, each a document of its own, in
# worker processes: memory holds one chunk's layout at a time, and both cores work. The
# chunks are rendered without page numbers; `merge_chunks` joins them with pypdf, stamps
# "Trang X / Y" on every page (from small documents of numbers only), points the table of
# contents' links at the pages where the chunks start, and adds an outline.

CHUNK_LINK = "https://chunk.invalid/"  # a table of contents' link to chunk N: CHUNK_LINK + "N"


def render_pdf_file(html: str, path: str) -> int:
    """Render one chunk to `path`; its number of pages. Runs in a worker process: it needs
    no app, only the HTML (already rendered from plain values)."""
    document = HTML(
        string=unicodedata.normalize("NFC", html),
        base_url=STATIC_BASE,
        url_fetcher=StaticOnlyFetcher(),
    ).render()
    pages = len(document.pages)
    document.write_pdf(path)
    return pages


NUMBERS_PER_DOCUMENT = 100
NUMBERS_CSS = (
    "@page { size: A4; margin: 0 }"
    "@font-face { font-family: 'Be Vietnam Pro'; font-weight: 400;"
    " src: url(fonts/be-vietnam-pro/ttf/BeVietnamPro-Regular.ttf) format('truetype'); }"
    "html { font-family: 'Be Vietnam Pro'; font-size: 8pt; color: #666; }"
    "body { margin: 0 }"
    ".p { height: 297mm; position: relative; break-after: page; }"
    ".n { position: absolute; right: 16mm; bottom: 8.2mm; }"
)


def _number_pages(first: int, last: int, total: int, label: str) -> bytes:
    from markupsafe import escape

    pages = "".join(
        f'<div class="p"><span class="n">{escape(label)} {n} / {total}</span></div>'
        for n in range(first, last + 1)
    )
    return render_pdf(f"<style>{NUMBERS_CSS}</style>{pages}")


def number_pages_file(first: int, last: int, total: int, label: str, path: str) -> str:
    """Pages `first`..`last` of the numbers ("Trang X / Y" alone) written to `path`, so that
    a pool of processes can make them while others do the same."""
    with open(path, "wb") as handle:
        handle.write(_number_pages(first, last, total, label))
    return path


def numbering_ranges(total: int) -> list[tuple[int, int]]:
    return [
        (first, min(total, first + NUMBERS_PER_DOCUMENT - 1))
        for first in range(1, total + 1, NUMBERS_PER_DOCUMENT)
    ]


def _stamp(writer: Any, page: Any, stamp: Any, number: int) -> None:
    """Draw `stamp` (a page of numbers) over `page` as a form XObject: the page's own content
    streams are neither decoded nor parsed (pypdf's merge_page would hold every page's
    operators in memory), only wrapped in q/Q and followed by one "Do"."""
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        NumberObject,
    )

    contents = stamp.get_contents()
    form = DecodedStreamObject()
    form.set_data(contents.get_data() if contents is not None else b"")
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(NumberObject(int(v)) for v in stamp.mediabox),
            NameObject("/Resources"): stamp["/Resources"].clone(writer),
        }
    )
    name = NameObject(f"/PageNumber{number}")
    if page.get("/Resources") is None:
        page[NameObject("/Resources")] = DictionaryObject()
    resources = page["/Resources"].get_object()
    xobjects = resources.get("/XObject")
    if xobjects is None:
        xobjects = DictionaryObject()
        resources[NameObject("/XObject")] = xobjects
    xobjects.get_object()[name] = writer._add_object(form)
    begin, end = DecodedStreamObject(), DecodedStreamObject()
    begin.set_data(b"q\n")
    end.set_data(f"\nQ\nq {name} Do Q\n".encode())
    existing = page.get("/Contents")
    parts = ArrayObject([writer._add_object(begin)])
    if existing is not None:
        existing = existing.get_object()
        parts.extend(existing if isinstance(existing, ArrayObject) else [page["/Contents"]])
    parts.append(writer._add_object(end))
    page[NameObject("/Contents")] = parts


def merge_chunks(
    chunks: list[tuple[str, int]],
    out_path: str,
    page_label: str,
    outline: list[tuple[str, int]] = (),  # type: ignore[assignment]
    title: str = "",
    numbers: list[str] | None = None,
) -> int:
    """Join the chunk files (path, pages) into `out_path` with continuous "Trang X / Y" (from
    `numbers`, the files of `number_pages_file` for `numbering_ranges(total)`, or made here);
    links to CHUNK_LINK + "N" go to chunk N's first page; `outline` names chunks. The
    number of pages."""
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    starts = []
    total = 0
    for _path, pages in chunks:
        starts.append(total)
        total += pages
    writer = PdfWriter()
    for path, _pages in chunks:
        writer.append(PdfReader(path), import_outline=False)
    for index, (first, last) in enumerate(numbering_ranges(total)):
        source = (
            numbers[index]
            if numbers is not None
            else io.BytesIO(_number_pages(first, last, total, page_label))
        )
        for offset, number_page in enumerate(PdfReader(source).pages):
            _stamp(writer, writer.pages[first - 1 + offset], number_page, first + offset)
    for page in writer.pages:
        for annotation in page.get("/Annots", []) or []:
            annotation = annotation.get_object()
            action = annotation.get("/A")
            uri = str(action.get_object().get("/URI", "")) if action is not None else ""
            if not uri.startswith(CHUNK_LINK):
                continue
            index = int(uri[len(CHUNK_LINK) :])
            target = writer.pages[starts[index]].indirect_reference
            annotation[NameObject("/A")] = DictionaryObject(
                {
                    NameObject("/S"): NameObject("/GoTo"),
                    NameObject("/D"): ArrayObject([target, NameObject("/Fit")]),
                }
            )
    for name, index in outline:
        writer.add_outline_item(title=name, page_number=starts[index])
    if title:
        writer.add_metadata({"/Title": title})
    with open(out_path, "wb") as handle:
        writer.write(handle)
    return total
