"""What every view shares: running a service as one transaction, forms, lists and CSV."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import wtforms
from flask import Response, flash, request, url_for
from flask_babel import get_translations, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, select
from sqlalchemy.sql import ColumnElement
from wtforms.validators import InputRequired, StopValidation

from incubator.db import db
from incubator.errors import DomainError, Forbidden, NotFound, TooManyAttempts

# ---------------------------------------------------------------- services


@dataclass
class Outcome:
    ok: bool
    value: Any = None


def perform(
    service: Callable[..., Any], *args: Any, form: FlaskForm | None = None, **kwargs: Any
) -> Outcome:
    """Run one service call as one transaction.

    A domain error rolls everything back and becomes a message next to the
    form field it names, or a flash message; NotFound and Forbidden go on to
    the error pages.
    """
    try:
        with db.transaction():
            value = service(*args, **kwargs)
    except (NotFound, Forbidden, TooManyAttempts):
        raise
    except DomainError as error:
        if form is not None and error.field and error.field in form:
            form[error.field].errors = [*form[error.field].errors, error.message]
        else:
            flash(error.message, "error")
        return Outcome(False)
    return Outcome(True, value)


def safe_next(target: str | None) -> str:
    """Only a path on this site, never an outside address (no open redirect).

    Control characters are refused outright: browsers and Werkzeug drop some of
    them, which would turn "/\t/evil.com" into "//evil.com".
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(char) < 32 or ord(char) == 127 for char in target)
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("site.home")


def absolute_url(endpoint: str, **values: Any) -> str:
    """A full link for emails, which are rendered with or without a request."""
    from flask import current_app

    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path


# ------------------------------------------------------------------- forms

# WTForms' own messages, translated through our catalog (WTForms ships no Vietnamese).
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Invalid URL."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Field must be equal to %(other_name)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    lazy_ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        2,
    ),
    lazy_ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        2,
    ),
)


class _WTFormsTranslations:
    """The raw catalog: WTForms fills in its own placeholders (%(max)d and the like)."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: Any) -> Any:
    """Typed text without surrounding blanks or control characters (a NUL breaks PostgreSQL)."""
    if isinstance(value, str):
        return _CONTROL_CHARACTERS.sub("", value).strip()
    return value


class _RequiredText(InputRequired):
    """Sent, and not blank once cleaned: "   " is not a name."""

    def __call__(self, form: Any, field: Any) -> None:
        super().__call__(form, field)
        if not field.data:
            field.errors[:] = []
            raise StopValidation(self.message)


# Numbers and choices: required means a value was sent (0 is a valid score).
REQUIRED = InputRequired(message=_l("This field is required."))
REQUIRED_TEXT = _RequiredText(message=_l("This field is required."))


def optional_int(value: object) -> int | None:
    """A whole number from a form, or None for an empty placeholder.

    Raises ValueError (WTForms' "invalid choice") for anything else, "²" included.
    """
    if value in ("", None):
        return None
    if isinstance(value, int):
        return value
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) < 10):
        raise ValueError(text)
    return int(text)


def options(pairs: Iterable[tuple[Any, Any]]) -> list[wtforms.SelectChoice]:
    """Choices of a select, radio or checkbox list, from (value, label) pairs."""
    return [wtforms.SelectChoice(value, label) for value, label in pairs]


class _TranslatedMeta:
    def get_translations(self, form: Any) -> _WTFormsTranslations:
        return _WTFormsTranslations()

    def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
        """Every text field (not passwords) is cleaned by `clean_text` before validation."""
        field_class = unbound_field.field_class
        if issubclass(field_class, wtforms.StringField) and not issubclass(
            field_class, wtforms.PasswordField
        ):
            filters = (clean_text, *(unbound_field.kwargs.get("filters") or ()))
            return unbound_field.bind(form=form, filters=filters, **options)
        return unbound_field.bind(form=form, **options)


class Form(FlaskForm):
    class Meta(_TranslatedMeta):
        pass


class SubForm(wtforms.Form):
    """A repeated part of a form (no CSRF token of its own)."""

    class Meta(_TranslatedMeta):
        pass


def flash_form_errors(form: FlaskForm) -> None:
    """For small forms that redirect back: their errors become flash messages."""
    for field_form in form:
        for message in field_form.errors:
            flash(f"{field_form.label.text}: {message}", "error")


# ------------------------------------------------------------------- lists


@dataclass
class Page:
    items: Sequence[Any]
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


@dataclass
class ListParams:
    """Page, sort and filters of a list page, read from the query string.

    `sorts` maps the sort keys a page offers to columns; anything else in the
    query string is ignored, so a crafted URL cannot sort by arbitrary SQL.
    """

    sorts: dict[str, ColumnElement[Any]]
    tiebreak: ColumnElement[Any]
    sort: str
    descending: bool
    number: int
    filters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_request(
        cls,
        sorts: dict[str, ColumnElement[Any]],
        default_sort: str,
        tiebreak: ColumnElement[Any],
        filters: Iterable[str] = (),
    ) -> ListParams:
        """`tiebreak` is a unique column that keeps pages stable when the sort column repeats."""
        raw = request.args.get("sort", default_sort)
        descending = raw.startswith("-")
        key = raw.lstrip("-")
        if key not in sorts:
            key, descending = default_sort.lstrip("-"), default_sort.startswith("-")
        number = request.args.get("page", "1")
        page = int(number) if number.isascii() and number.isdigit() and len(number) < 7 else 1
        return cls(
            sorts=sorts,
            tiebreak=tiebreak,
            sort=key,
            descending=descending,
            number=max(page, 1),
            filters=query_filters(filters),
        )

    def order(self, statement: Select[Any]) -> Select[Any]:
        column = self.sorts[self.sort]
        primary = column.desc() if self.descending else column.asc()
        return statement.order_by(primary, self.tiebreak)

    def sort_url(self, key: str) -> str:
        descending = key == self.sort and not self.descending
        return self._url(sort=("-" if descending else "") + key, page=1)

    def page_url(self, number: int) -> str:
        return self._url(page=number)

    def csv_url(self) -> str:
        return self._url(format="csv", page=None)

    def _url(self, **changes: Any) -> str:
        """This list's own parameters only (never anything else from the query string)."""
        args: dict[str, Any] = {k: v for k, v in self.filters.items() if v}
        args["sort"] = ("-" if self.descending else "") + self.sort
        args["page"] = self.number
        args.update(changes)
        args = {k: v for k, v in args.items() if v is not None}
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    def arrow(self, key: str) -> str:
        if key != self.sort:
            return ""
        return "▼" if self.descending else "▲"


def query_filters(names: Iterable[str]) -> dict[str, str]:
    """The named filters of a list page from the query string, cleaned."""
    return {name: clean_text(request.args.get(name, "")) for name in names}


def paginate(statement: Select[Any], params: ListParams, per_page: int | None = None) -> Page:
    from flask import current_app

    per_page = per_page or current_app.config["PER_PAGE"]
    session = db.session
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    last = max(1, math.ceil((total or 0) / per_page))
    number = min(params.number, last)
    ordered = params.order(statement).limit(per_page).offset((number - 1) * per_page)
    if len(statement.column_descriptions) == 1:
        items: Sequence[Any] = session.scalars(ordered).unique().all()
    else:
        items = session.execute(ordered).unique().all()
    return Page(items=items, total=total or 0, number=number, per_page=per_page)


def wants_csv() -> bool:
    return request.args.get("format") == "csv"


def neutralise_cell(value: Any) -> Any:
    """Strings a spreadsheet would run as a formula get a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """UTF-8 with a BOM so that Excel shows Vietnamese.

    The rows are read while the request's database session is open, then
    written out in chunks.
    """
    values = [[neutralise_cell(cell) for cell in row] for row in rows]

    def generate() -> Iterable[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(header)
        for start in range(0, len(values), 500):
            writer.writerows(values[start : start + 500])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return Response(
        generate(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
