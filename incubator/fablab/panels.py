"""Home-page panels (a user's next bookings, the staff's labs) and the certificates section
of the account page."""

from __future__ import annotations

from typing import Any

from incubator.accounts.models import Role, User
from incubator.db import utcnow
from incubator.fablab.booking_rules import bookable_startups
from incubator.fablab.bookings import upcoming_bookings
from incubator.fablab.certificates import certificates_of
from incubator.fablab.common import local_day
from incubator.fablab.labs import labs_of


def bookings(user: User) -> dict[str, Any] | None:
    """The user's next bookings; founders whose startup is in incubation see the panel even
    before their first booking (others may not book: nothing to show them)."""
    upcoming = upcoming_bookings(user, utcnow())
    if not upcoming and not (user.has_role(Role.FOUNDER) and bookable_startups(user)):
        return None
    return {"bookings": upcoming}


def staff(user: User) -> dict[str, Any] | None:
    labs = labs_of(user.managed_center_id)
    if not labs:
        return None
    return {"labs": labs, "today": local_day(utcnow())}


def account_section(user: User, _page_user: Any) -> dict[str, Any] | None:
    """The user's certificates and their expiry, on their account page."""
    certificates = certificates_of(user)
    if not certificates:
        return None
    return {"certificates": certificates, "today": local_day(utcnow())}
