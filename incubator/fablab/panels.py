"""Home-page panels (a user's next bookings, the staff's labs) and the certificates section
of the account page."""

from __future__ import annotations

from typing import Any

from incubator.accounts.models import Role, User
from incubator.db import utcnow
from incubator.fablab import services


def bookings(user: User) -> dict[str, Any] | None:
    """The user's next bookings; founders whose startup is in incubation see the panel even
    before their first booking (others may not book: nothing to show them)."""
    upcoming = services.upcoming_bookings(user, utcnow())
    if not upcoming and not (user.has_role(Role.FOUNDER) and services.bookable_startups(user)):
        return None
    return {"bookings": upcoming}


def staff(user: User) -> dict[str, Any] | None:
    labs = services.labs_of(user.managed_center_id)
    if not labs:
        return None
    return {"labs": labs, "today": services.local_day(utcnow())}


def account_section(user: User, _page_user: Any) -> dict[str, Any] | None:
    """The user's certificates and their expiry, on their account page."""
    certificates = services.certificates_of(user)
    if not certificates:
        return None
    return {"certificates": certificates, "today": services.local_day(utcnow())}
