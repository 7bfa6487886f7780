"""Lists: paging, sorting and filtering from the query string, and CSV export."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Response, request, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.sql import ColumnElement

from incubator.db import db
from incubator.forms import clean_text


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
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
