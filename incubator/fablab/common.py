"""What every Fablab topic uses: local days and times, Vietnam's public holidays, who
the lab's staff are, how durations read, how long the short lists are."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import holidays
from flask_babel import gettext as _

from incubator.accounts.models import Role
from incubator.errors import NotFound
from incubator.fablab.models import Lab
from incubator.i18n import LOCAL_TZ, current_language, to_local

LIST_LIMIT = 20


def local_day(moment: datetime) -> date:
    return to_local(moment).date()


def at_local(day: date, clock: time) -> datetime:
    """A wall-clock time on a day in Asia/Ho_Chi_Minh, in UTC."""
    return datetime.combine(day, clock, tzinfo=LOCAL_TZ).astimezone(UTC)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@functools.lru_cache(maxsize=64)
def vietnam_holidays(year: int, language: str) -> dict[date, str]:
    """Vietnam's public holidays of a year, the lunar ones included (the `holidays` library)."""
    table = holidays.country_holidays("VN", years=year, language=language)
    return dict(table.items())


def public_holiday(day: date) -> str | None:
    """The holiday's name in the current language, or None on a working day."""
    language = "vi" if current_language() == "vi" else "en_US"
    return vietnam_holidays(day.year, language).get(day)


def is_staff(actor: Any, lab: Lab) -> bool:
    """The lab's staff: its center's managers (and administrators)."""
    return actor.is_authenticated and actor.manages(lab.center_id)


def staff_of(actor: Any, center_id: int) -> bool:
    return (
        actor.is_authenticated
        and actor.has_role(Role.MANAGER, Role.ADMIN)
        and (actor.manages(center_id))
    )


def require_staff(actor: Any, lab: Lab) -> None:
    if not is_staff(actor, lab):
        raise NotFound("lab")


def duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(n)d min", n=rest)
    if not rest:
        return _("%(n)d h", n=hours)
    return _("%(h)d h %(m)d min", h=hours, m=rest)
