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
from typing import TYPE_CHECKING

from incubator.db import db
from incubator.domains import domain_modules

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from incubator.accounts.models import Role, User
    from incubator.applications.models import Application
    from incubator.centers.models import Center
    from incubator.programs.models import Program
    from incubator.startups.models import Startup

DEMO_PASSWORD = "demo1234"  # every demo account's


@dataclass
class Demo:
    session: Session
    now: datetime  # on the hour, so that back-dated times read well
    centers: dict[str, Center] = field(default_factory=dict)  # by code
    users: dict[str, User] = field(default_factory=dict)  # by email
    startups: dict[str, Startup] = field(default_factory=dict)  # by name
    programs: dict[str, Program] = field(default_factory=dict)  # by key, e.g. "biic_open"
    applications: dict[str, Application] = field(default_factory=dict)  # "startup / program"
    password_hash: str = ""

    def user(
        self, email: str, name: str, roles: tuple[Role, ...], center: str | None = None
    ) -> User:
        """A user with DEMO_PASSWORD and `roles`; a manager manages `center` (a code)."""
        # accounts comes after centers in DOMAINS: imported when the first user is made
        from incubator.accounts.models import Role, RoleGrant, User
        from incubator.accounts.services import hash_password

        self.password_hash = self.password_hash or hash_password(DEMO_PASSWORD)
        user = User(email=email, name=name, locale="vi", password_hash=self.password_hash)
        for role in roles:
            center_id = self.centers[center].id if role is Role.MANAGER and center else None
            user.grants.append(RoleGrant(role=role, center_id=center_id))
        self.session.add(user)
        self.users[email] = user
        return user


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
