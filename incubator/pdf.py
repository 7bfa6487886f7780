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
import io
import logging
import os
import unicodedata
import warnings
from collections.abc import Iterator, Mapping
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from flask import render_template
from flask_babel import gettext as _
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
    create_string_object,
)
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
# chunks are rendered without page numbers; `merge_chunks` streams them into one file (pypdf
# reads, the writer below writes object by object), stamps "Trang X / Y" on every page (from
# small documents of numbers only), points the table of contents' links at the pages where
# the chunks start, and adds an outline.

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


class _Output:
    """The merged file as it is written: objects go out one by one and only their byte
    offsets stay in memory, for the cross-reference table at the end."""

    def __init__(self, handle: BinaryIO):
        self.handle = handle
        self.offsets = [0]  # object 0 heads the free list

    def reserve(self) -> int:
        self.offsets.append(0)
        return len(self.offsets) - 1

    def write(self, number: int, value: PdfObject, source: _Source | None = None) -> None:
        self.offsets[number] = self.handle.tell()
        self.handle.write(b"%d 0 obj\n" % number)
        self.value(value, source)
        self.handle.write(b"\nendobj\n")

    def value(self, value: PdfObject, source: _Source | None) -> None:
        """Serialize `value`: references read from `source` get their numbers in the output;
        references made here (no reader behind them) already have them."""
        out = self.handle
        if isinstance(value, IndirectObject):
            number = value.idnum if value.pdf is None else source.number(value)  # type: ignore[union-attr]
            out.write(b"%d 0 R" % number)
        elif isinstance(value, DictionaryObject):
            if source is not None and value.get("/Subtype") == "/Link":
                value = source.link(value)
            # pypdf keeps a stream's data as read (still encoded, /Filter unchanged) in _data
            data = value._data if isinstance(value, StreamObject) else None
            out.write(b"<<")
            for key, item in value.items():
                if key != "/Length" or data is None:
                    out.write(b"\n")
                    key.write_to_stream(out)
                    out.write(b" ")
                    self.value(item, source)
            if data is not None:
                out.write(b"\n/Length %d\n>>\nstream\n" % len(data))
                out.write(data)
                out.write(b"\nendstream")
            else:
                out.write(b"\n>>")
        elif isinstance(value, ArrayObject):
            out.write(b"[")
            for item in value:
                out.write(b" ")
                self.value(item, source)
            out.write(b" ]")
        else:
            value.write_to_stream(out)

    def finish(self, catalog: int, info: int) -> None:
        """The cross-reference table and the trailer."""
        out = self.handle
        start = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % len(self.offsets))
        out.writelines(b"%010d 00000 n \n" % offset for offset in self.offsets[1:])
        identifier = os.urandom(16).hex().encode()
        out.write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n"
            % (len(self.offsets), catalog, info, identifier, identifier)
        )
        out.write(b"startxref\n%d\n%%%%EOF\n" % start)


class _Source:
    """One document being copied into the output (a chunk or a numbers document): its
    reader and the output numbers of its objects, both dropped once it is done."""

    def __init__(self, output: _Output, path: str | io.BytesIO):
        self.output = output
        self.reader = PdfReader(path)
        self.numbers: dict[tuple[int, int], int] = {}
        self.queue: list[IndirectObject] = []
        self.chunk_pages: list[int] = []  # where CHUNK_LINK + "N" goes: chunk N's first page
        self.destinations: dict[str, PdfObject] | None = None

    def place_pages(self, numbers: list[int], pages_root: int) -> None:
        """Give the pages their reserved numbers (so that links between them hold) and the
        merged page tree as parent."""
        pages = self.reader.pages
        if len(pages) != len(numbers):
            raise ValueError(f"a chunk has {len(pages)} pages, not the {len(numbers)} announced")
        for page, number in zip(pages, numbers, strict=True):
            self.numbers[_key(page.indirect_reference)] = number
            self.numbers[_key(page.raw_get("/Parent"))] = pages_root

    def close(self) -> None:
        self.reader.close()  # pypdf's objects point back at their reader: break the cycles

    def number(self, reference: IndirectObject) -> int:
        key = _key(reference)
        if key not in self.numbers:
            self.numbers[key] = self.output.reserve()
            self.queue.append(reference)
        return self.numbers[key]

    def write(self, number: int, value: PdfObject) -> None:
        """Write `value` as object `number`, then every object it reaches for the first time."""
        self.output.write(number, value, self)
        while self.queue:
            reference = self.queue.pop()
            self.output.write(self.numbers[_key(reference)], reference.get_object(), self)

    def link(self, annotation: DictionaryObject) -> DictionaryObject:
        """The link with a target in the merged document: CHUNK_LINK + "N" goes to chunk N's
        first page; a named destination (unique only within its chunk) becomes the page
        and position it names."""
        annotation = DictionaryObject(annotation)
        action = annotation.get("/A", DictionaryObject()).get_object()
        uri = str(action.get("/URI", ""))
        if uri.startswith(CHUNK_LINK):
            index = uri[len(CHUNK_LINK) :]
            if not index.isdigit() or int(index) >= len(self.chunk_pages):
                del annotation["/A"]  # a link to no chunk goes nowhere, not to a dead address
                return annotation
            page = self.chunk_pages[int(index)]
            annotation[NameObject("/A")] = DictionaryObject(
                {
                    NameObject("/S"): NameObject("/GoTo"),
                    NameObject("/D"): ArrayObject([_reference(page), NameObject("/Fit")]),
                }
            )
        elif isinstance(annotation.get("/Dest"), str):
            annotation[NameObject("/Dest")] = self.named(annotation["/Dest"])
        elif isinstance(action.get("/D"), str):
            annotation[NameObject("/A")] = DictionaryObject(action)
            annotation["/A"][NameObject("/D")] = self.named(action["/D"])
        return annotation

    def named(self, name: str) -> PdfObject:
        if self.destinations is None:
            tree = self.reader.trailer["/Root"].get("/Names", DictionaryObject()).get("/Dests")
            self.destinations = dict(_name_tree(tree)) if tree is not None else {}
        if name not in self.destinations:
            return TextStringObject(name)  # dangling in the chunk already
        destination = self.destinations[name].get_object()
        return destination["/D"] if isinstance(destination, DictionaryObject) else destination


class _Stamps:
    """The "Trang X / Y" of each page as a form XObject, made from the numbers documents,
    read one at a time in page order."""

    def __init__(self, output: _Output, total: int, label: str, files: list[str] | None):
        self.output = output
        self.total = total
        self.label = label
        self.ranges = numbering_ranges(total)
        self.files = files
        self.source: _Source | None = None
        self.first = 0

    def form(self, number: int) -> int:
        """The object number of page `number`'s form."""
        index = (number - 1) // NUMBERS_PER_DOCUMENT
        first, last = self.ranges[index]
        if self.first != first:
            self.close()
            path = (
                self.files[index]
                if self.files is not None
                else io.BytesIO(_number_pages(first, last, self.total, self.label))
            )
            self.source, self.first = _Source(self.output, path), first
        page = self.source.reader.pages[number - first]  # type: ignore[union-attr]
        contents = page["/Contents"]
        form = StreamObject()
        if isinstance(contents, StreamObject):
            form.set_data(contents._data)  # still encoded: its /Filter comes along
            form.update((key, value) for key, value in contents.items() if key != "/Length")
        else:
            form.set_data(b"\n".join(part.get_object().get_data() for part in contents))
        form.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Form"),
                NameObject("/BBox"): page.raw_get("/MediaBox"),
                NameObject("/Resources"): page.raw_get("/Resources"),
            }
        )
        number = self.output.reserve()
        self.source.write(number, form)  # type: ignore[union-attr]
        return number

    def close(self) -> None:
        if self.source is not None:
            self.source.close()


def _stamped(page: DictionaryObject, form: int, begin: int, end: int) -> DictionaryObject:
    """`page` drawing `form` over itself: its content streams are neither decoded nor parsed,
    only wrapped in q/Q and followed by one "Do"; its resources are copied, not changed (other
    pages may share them)."""
    stamped = DictionaryObject(page)
    resources = DictionaryObject(page.get("/Resources", DictionaryObject()).get_object())
    xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
    xobjects[NameObject("/PageNumber")] = _reference(form)
    resources[NameObject("/XObject")] = xobjects
    stamped[NameObject("/Resources")] = resources
    contents = page.get("/Contents")
    parts = [] if contents is None else contents.get_object()
    if not isinstance(parts, ArrayObject):
        parts = [contents]
    stamped[NameObject("/Contents")] = ArrayObject([_reference(begin), *parts, _reference(end)])
    return stamped


def _content(data: bytes) -> StreamObject:
    stream = StreamObject()
    stream.set_data(data)
    return stream


def _write_outline(output: _Output, entries: list[tuple[str, int]]) -> int:
    """The outline's items (title, page object number) as a flat list; its object number."""
    root = output.reserve()
    numbers = [output.reserve() for _entry in entries]
    for index, ((title, page), number) in enumerate(zip(entries, numbers, strict=True)):
        item = DictionaryObject(
            {
                NameObject("/Title"): create_string_object(title),
                NameObject("/Parent"): _reference(root),
                NameObject("/Dest"): ArrayObject([_reference(page), NameObject("/Fit")]),
            }
        )
        if index > 0:
            item[NameObject("/Prev")] = _reference(numbers[index - 1])
        if index + 1 < len(numbers):
            item[NameObject("/Next")] = _reference(numbers[index + 1])
        output.write(number, item)
    outlines = {"/Type": NameObject("/Outlines"), "/Count": NumberObject(len(numbers))}
    if numbers:
        outlines |= {"/First": _reference(numbers[0]), "/Last": _reference(numbers[-1])}
    output.write(root, DictionaryObject({NameObject(k): v for k, v in outlines.items()}))
    return root


def _key(reference: IndirectObject) -> tuple[int, int]:
    return reference.idnum, reference.generation


def _reference(number: int) -> IndirectObject:
    return IndirectObject(number, 0, None)  # type: ignore[arg-type]


def _name_tree(node: PdfObject) -> Iterator[tuple[str, PdfObject]]:
    node = node.get_object()
    names = node.get("/Names", ArrayObject())
    yield from zip(names[::2], names[1::2], strict=True)
    for kid in node.get("/Kids", ArrayObject()):
        yield from _name_tree(kid)


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
    number of pages.

    Each object is written to the file as soon as it is read, with one chunk and one numbers
    document open at a time: memory holds one chunk, however many there are."""
    starts = []
    total = 0
    for _path, pages in chunks:
        starts.append(total)
        total += pages
    with open(out_path, "wb") as handle:
        handle.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        output = _Output(handle)
        pages_root, catalog = output.reserve(), output.reserve()
        # every page's number is known before any is written, so links can point forward
        page_numbers = [output.reserve() for _page in range(total)]
        begin, end = output.reserve(), output.reserve()
        output.write(begin, _content(b"q\n"))
        output.write(end, _content(b"\nQ\nq /PageNumber Do Q\n"))
        stamps = _Stamps(output, total, page_label, numbers)
        language = None
        for (path, pages), first in zip(chunks, starts, strict=True):
            with closing(_Source(output, path)) as chunk:
                chunk.place_pages(page_numbers[first : first + pages], pages_root)
                chunk.chunk_pages = [page_numbers[start] for start in starts]
                language = language or chunk.reader.trailer["/Root"].get("/Lang")
                for number, page in enumerate(chunk.reader.pages, start=first + 1):
                    stamped = _stamped(page, stamps.form(number), begin, end)
                    chunk.write(page_numbers[number - 1], stamped)
        stamps.close()
        root = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Catalog"),
                NameObject("/Pages"): _reference(pages_root),
            }
        )
        if outline:
            entries = [(name, page_numbers[starts[index]]) for name, index in outline]
            root[NameObject("/Outlines")] = _reference(_write_outline(output, entries))
        if language is not None:
            root[NameObject("/Lang")] = language
        info = output.reserve()
        output.write(
            info,
            DictionaryObject({NameObject("/Title"): create_string_object(title)} if title else {}),
        )
        kids = ArrayObject(_reference(number) for number in page_numbers)
        output.write(
            pages_root,
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Pages"),
                    NameObject("/Kids"): kids,
                    NameObject("/Count"): NumberObject(total),
                }
            ),
        )
        output.write(catalog, root)
        output.finish(catalog, info)
    return total
