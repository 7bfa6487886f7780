"""Home-page panel for visitors: the open calls."""

from __future__ import annotations

from typing import Any

from incubator.db import db
from incubator.programs.models import Program
from incubator.programs.services import open_calls_query


def open_calls(limit: int) -> list[Program]:
    return list(db.session.scalars(open_calls_query().order_by(Program.closes_at).limit(limit)))


def welcome(_user: Any) -> dict[str, Any]:
    return {"calls": open_calls(6)}
