"""Demo data for a newcomer (`flask seed-demo`): each domain's `demo.py` adds its part.

`load()` runs `incubator.<domain>.demo.load(demo)` of every domain that has one, in
DOMAINS order, in the current transaction, flushing after each step. The steps share
one `Demo`: what earlier steps made, keyed by a readable name, so that later steps
find it. Histories are written with back-dated times and checked against the stage
table, so the demo never holds a history the app itself could not have made. No email
is queued.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from incubator.db import db
from incubator.domains import domain_modules

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEMO_PASSWORD = "demo1234"  # every demo account's


@dataclass
class Demo:
    session: Session
    now: datetime  # on the hour, so that back-dated times read well
    # what the steps made, for later steps (the shared module names no domain's model)
    centers: dict[str, Any] = field(default_factory=dict)  # by code
    users: dict[str, Any] = field(default_factory=dict)  # by email
    startups: dict[str, Any] = field(default_factory=dict)  # by name
    programs: dict[str, Any] = field(default_factory=dict)  # by key, e.g. "biic_open"
    applications: dict[str, Any] = field(default_factory=dict)  # "startup / program"
    password_hash: str = ""  # DEMO_PASSWORD's, hashed once


def slug(text: str) -> str:
    """ASCII, lower case, words joined by dashes: "Nông Trại Số" -> "nong-trai-so"."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = plain.encode("ascii", "ignore").decode().lower()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text).split())


def load() -> Demo:
    """Run every domain's demo step, in DOMAINS order, in the current transaction."""
    demo = Demo(db.session, datetime.now(UTC).replace(minute=0, second=0, microsecond=0))
    for module in domain_modules("demo"):
        module.load(demo)
        demo.session.flush()
    return demo
