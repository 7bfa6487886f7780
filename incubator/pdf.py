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
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import inspect as sa_inspect
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from incubator.i18n import current_language, format_datetime

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
    options = {"pdf_variant": pdf_variant} if pdf_variant else {}
    return document.write_pdf(**options)


def page_frame(center_name: str, title: str, generated_at: datetime | None = None) -> dict:
    """The values of base.html's running header and footer, in the current language."""
    moment = generated_at or datetime.now(UTC)
    return {
        "lang": current_language(),
        "center_name": center_name,
        "title": title,
        "generated_label": _("Generated %(moment)s", moment=format_datetime(moment)),
        "page_label": _("Page"),
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
