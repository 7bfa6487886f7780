"""Lists declared once: a `ListSpec` of columns and filters drives a list's
sorting, filtering, paging, HTML table and CSV (and later the API and the reports).

Only `ListSpec.render` and the URL helpers of `ListParams` read the request:
`parse` takes any mapping of query parameters, and `page`, `rows` and `csv`
work from parsed params in an app context, with or without a request.
The HTML comes from the `list_filters` and `list_table` macros of
templates/_macros.html.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import Response, current_app, render_template, request, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.sql import ColumnElement

from incubator.db import db
from incubator.enums import LabelledEnum
from incubator.forms import clean_text

Row = Any
Apply = Callable[[Select[Any], Any], Select[Any]]
Choices = (
    type[LabelledEnum] | Sequence[tuple[str, Any]] | Callable[[Any], Iterable[tuple[str, Any]]]
)


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


@dataclass(frozen=True, eq=False)
class Column:
    """One column of a list.

    `value(row)` is what the HTML cell shows (escaped), `csv(row)` the CSV cell
    (default: `value`). `sort` is the SQL expression that `?sort=<key>` orders
    by (None: not sortable). `link(row)` makes the cell a link; `cell` names a
    macro of the spec's `cells` template that draws the cell from the row
    instead (badges, buttons). `only` is "html" or "csv" for a column shown in
    one of them; `csv_label` a header the CSV names differently. `css` classes
    go on the cells ("num"); `priority` says how a phone shows the column, where each
    row becomes a card: "title" heads the card (the key column, one per list), "key" is a
    labelled line of it, "hide-sm" is left out.
    """

    key: str
    label: Any
    value: Callable[[Row], Any] | None = None
    csv: Callable[[Row], Any] | None = None
    sort: ColumnElement[Any] | None = None
    link: Callable[[Row], str] | None = None
    cell: str | None = None
    only: str | None = None
    csv_label: Any = None
    css: str = ""
    priority: str = "key"

    def __post_init__(self) -> None:
        if self.only not in (None, "html", "csv"):
            raise ValueError(f"column {self.key}: only is 'html' or 'csv'")
        if self.priority not in ("title", "key", "hide-sm"):
            raise ValueError(f"column {self.key}: priority is 'title', 'key' or 'hide-sm'")
        if self.only != "csv" and self.value is None and self.cell is None:
            raise ValueError(f"column {self.key} needs a value or a cell macro for the page")
        if self.only != "html" and self.value is None and self.csv is None:
            raise ValueError(f"column {self.key} needs a value or csv for the CSV")

    @property
    def sortable(self) -> bool:
        return self.sort is not None

    @property
    def classes(self) -> str:
        phone = {"hide-sm": "hide-sm", "title": "title-sm"}.get(self.priority, "")
        return " ".join(c for c in (self.css, phone) if c)

    def display(self, row: Row) -> Any:
        return "" if self.value is None else self.value(row)

    def cell_value(self, row: Row) -> Any:
        read = self.csv or self.value
        assert read is not None
        return read(row)


@dataclass(frozen=True, eq=False)
class Filter:
    """A filter of a list, named `key` in the query string.

    With `choices` (a LabelledEnum class, (value, label) pairs, or a callable
    of the actor giving pairs) it is a select whose first option, `all_label`,
    means no filter; a value outside the choices is ignored. Without, it is a
    text box (`label` is its placeholder): `parse(text)` gives the value, None
    to ignore it. `apply(statement, value)` adds the filter to a statement; it
    gets the enum member for an enum filter, else the parsed value or text.
    """

    key: str
    label: Any
    apply: Apply
    choices: Choices | None = None
    all_label: Any = None
    parse: Callable[[str], Any] | None = None
    inputmode: str | None = None

    def options(self, actor: Any) -> list[tuple[str, Any]]:
        if self.choices is None:
            return []
        if isinstance(self.choices, type) and issubclass(self.choices, LabelledEnum):
            return self.choices.choices()
        if callable(self.choices):
            return list(self.choices(actor))
        return list(self.choices)

    def read(self, raw: Any, options: Sequence[tuple[str, Any]]) -> tuple[str, Any]:
        """(the text kept in links and in the form, the value to apply or None)."""
        text = "" if raw is None else clean_text(str(raw))
        if self.choices is not None:
            if text not in {value for value, _label in options}:
                return "", None
            is_enum = isinstance(self.choices, type) and issubclass(self.choices, LabelledEnum)
            return text, self.choices(text) if is_enum else text
        if not text:
            return "", None
        return text, self.parse(text) if self.parse else text


@dataclass
class ListParams:
    """Page, sort and filters of a list, parsed and validated against its spec."""

    sort: str
    descending: bool
    number: int
    filters: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    options: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    kept: dict[str, list[str]] = field(default_factory=dict)  # the spec's `keep` parameters

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
        args.update({k: v for k, v in self.kept.items() if v})
        args["sort"] = ("-" if self.descending else "") + self.sort
        args["page"] = self.number
        args.update(changes)
        args = {k: v for k, v in args.items() if v is not None}
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    def arrow(self, key: str) -> str:
        if key != self.sort:
            return ""
        return "▼" if self.descending else "▲"


@dataclass(frozen=True, eq=False)
class ListSpec:
    """A list: its columns, filters and sorts, for the page, the CSV, the API and the reports.

    `sorts` adds sort keys that no column shows; `tiebreak` is a unique column
    that keeps pages stable when the sort column repeats. `empty` is the text
    of the empty state; `cells` the template holding the `cell` macros. `keep`
    names query parameters of the page's own (repeatable, e.g. the columns
    chosen) that its sort, page and CSV links carry along.
    """

    name: str
    columns: Sequence[Column]
    default_sort: str
    tiebreak: ColumnElement[Any]
    filters: Sequence[Filter] = ()
    sorts: Mapping[str, ColumnElement[Any]] = field(default_factory=dict)
    empty: Any = ""
    cells: str | None = None
    keep: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.default_sort.lstrip("-") not in self.sort_columns:
            raise ValueError(f"list {self.name}: default sort {self.default_sort} is not a sort")
        if self.cells is None and any(c.cell for c in self.columns):
            raise ValueError(f"list {self.name}: cell macros need a cells template")
        if sum(c.priority == "title" for c in self.html_columns) > 1:
            raise ValueError(f"list {self.name}: one title column at most (a phone's card title)")

    @cached_property
    def sort_columns(self) -> dict[str, ColumnElement[Any]]:
        sorts = {c.key: c.sort for c in self.columns if c.sort is not None}
        return sorts | dict(self.sorts)

    @property
    def html_columns(self) -> list[Column]:
        return [c for c in self.columns if c.only != "csv"]

    @property
    def csv_columns(self) -> list[Column]:
        return [c for c in self.columns if c.only != "html"]

    # ------------------------------------------------------------ parsing

    def parse(self, args: Mapping[str, Any], actor: Any = None) -> ListParams:
        """Params from a query string; anything unknown or malformed falls back to the default.

        `actor` is who looks at the list, for filters whose choices depend on them.
        """
        raw = str(args.get("sort") or self.default_sort)
        descending = raw.startswith("-")
        key = raw[1:] if descending else raw
        if key not in self.sort_columns:
            key, descending = self.default_sort.lstrip("-"), self.default_sort.startswith("-")
        number = str(args.get("page", "1"))
        page = int(number) if number.isascii() and number.isdigit() and len(number) < 7 else 1
        params = ListParams(sort=key, descending=descending, number=max(page, 1))
        getlist = getattr(args, "getlist", None)
        for name in self.keep:
            values = getlist(name) if getlist else [args[name]] if name in args else []
            params.kept[name] = [clean_text(str(v)) for v in values]
        for item in self.filters:
            params.options[item.key] = item.options(actor)
            text, value = item.read(args.get(item.key, ""), params.options[item.key])
            params.filters[item.key] = text
            if value is not None:
                params.values[item.key] = value
        return params

    # ----------------------------------------------------------- statements

    def filtered(self, statement: Select[Any], params: ListParams) -> Select[Any]:
        for item in self.filters:
            if item.key in params.values:
                statement = item.apply(statement, params.values[item.key])
        return statement

    def ordered(self, statement: Select[Any], params: ListParams) -> Select[Any]:
        """Filtered, then sorted by the chosen column and the tiebreak."""
        column = self.sort_columns[params.sort]
        primary = column.desc() if params.descending else column.asc()
        return self.filtered(statement, params).order_by(primary, self.tiebreak)

    # -------------------------------------------------------------- queries

    def page(self, statement: Select[Any], params: ListParams, per_page: int | None = None) -> Page:
        """One page of rows; a page number beyond the last shows the last page."""
        per_page = per_page or current_app.config["PER_PAGE"]
        filtered = self.filtered(statement, params)
        counted = select(func.count()).select_from(filtered.order_by(None).subquery())
        total = db.session.scalar(counted) or 0
        number = min(params.number, max(1, math.ceil(total / per_page)))
        ordered = self.ordered(statement, params).limit(per_page).offset((number - 1) * per_page)
        return Page(items=_fetch(ordered), total=total, number=number, per_page=per_page)

    def rows(self, statement: Select[Any], params: ListParams) -> Sequence[Row]:
        """Every row, filtered and sorted (the CSV, the API and the reports)."""
        return _fetch(self.ordered(statement, params))

    # ------------------------------------------------------------------ CSV

    def csv_header(self) -> list[str]:
        return [str(c.csv_label or c.label) for c in self.csv_columns]

    def csv_row(self, row: Row) -> list[Any]:
        return [c.cell_value(row) for c in self.csv_columns]

    def csv(
        self, statement: Select[Any], params: ListParams, filename: str | None = None
    ) -> Response:
        rows = [self.csv_row(row) for row in self.rows(statement, params)]
        return csv_response(filename or f"{self.name}.csv", self.csv_header(), rows)

    # ------------------------------------------------------------------ web

    def render(
        self,
        template: str,
        statement: Select[Any],
        actor: Any = None,
        filename: str | None = None,
        **context: Any,
    ) -> Any:
        """The list page for this request, or its CSV with `?format=csv`.

        The template gets `spec`, `params` and `page` besides `context`.
        """
        params = self.parse(request.args, actor)
        if request.args.get("format") == "csv":
            return self.csv(statement, params, filename)
        page = self.page(statement, params)
        return render_template(template, spec=self, params=params, page=page, **context)


def _fetch(statement: Select[Any]) -> Sequence[Any]:
    """Entities for a statement of one entity, else rows (tuples)."""
    if len(statement.column_descriptions) == 1:
        return db.session.scalars(statement).unique().all()
    return db.session.execute(statement).unique().all()


def query_filters(names: Iterable[str]) -> dict[str, str]:
    """The named filters of a page from the query string, cleaned (pages without a spec)."""
    return {name: clean_text(request.args.get(name, "")) for name in names}


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
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
