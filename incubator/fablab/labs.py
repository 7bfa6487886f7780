"""Labs: their settings and weekly opening hours, the days the staff open or close, and
what each day is (open with its hours, or closed and why)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from incubator import audit
from incubator.accounts.models import User
from incubator.db import add_unique, db
from incubator.errors import DomainError, NotFound
from incubator.fablab.common import is_staff, public_holiday, require_staff, vietnam_holidays
from incubator.fablab.models import Lab, LabDay, OpeningHours
from incubator.i18n import current_language


@dataclass
class DayInfo:
    day: date
    opens: time | None = None
    closes: time | None = None
    reason: str = ""  # why the lab is closed

    @property
    def open(self) -> bool:
        return self.opens is not None

    @property
    def minutes(self) -> int:
        if self.opens is None or self.closes is None:
            return 0
        start = datetime.combine(self.day, self.opens)
        return int((datetime.combine(self.day, self.closes) - start).total_seconds() // 60)


def lab_days(lab: Lab, first: date, last: date) -> list[DayInfo]:
    """Each day from `first` to `last`: open with its hours, or closed and why (one query)."""
    decided = {
        row.day: row
        for row in db.session.scalars(
            select(LabDay).where(LabDay.lab_id == lab.id, LabDay.day.between(first, last))
        )
    }
    hours = {row.weekday: row for row in lab.hours}
    days = []
    day = first
    while day <= last:
        days.append(_day_info(day, hours.get(day.weekday()), decided.get(day)))
        day += timedelta(days=1)
    return days


def _day_info(day: date, hours: OpeningHours | None, decided: LabDay | None) -> DayInfo:
    if decided is not None and not decided.open:
        return DayInfo(day, reason=decided.note or _("The lab is closed on this day."))
    holiday = public_holiday(day)
    if holiday and decided is None:
        return DayInfo(day, reason=_("Public holiday: %(name)s", name=holiday))
    if hours is None:
        return DayInfo(day, reason=_("The lab is closed on this weekday."))
    return DayInfo(day, hours.opens, hours.closes)


def day_info(lab: Lab, day: date) -> DayInfo:
    return lab_days(lab, day, day)[0]


def viewable_lab(actor: Any, lab_id: int) -> Lab:
    """Labs are shared by both centers: every logged-in user sees them."""
    lab = db.session.get(Lab, lab_id)
    if lab is None:
        raise NotFound("lab")
    return lab


def managed_lab(actor: Any, lab_id: int) -> Lab:
    lab = viewable_lab(actor, lab_id)
    if not is_staff(actor, lab):
        raise NotFound("lab")
    return lab


@dataclass
class LabData:
    name: str
    location: str = ""
    description: str = ""
    horizon_days: int = 30
    cancel_notice_hours: int = 2
    weekly_quota_hours: int = 10
    no_show_limit: int = 3
    # weekday -> (opens, closes); a weekday left out is closed
    hours: dict[int, tuple[time, time]] = field(default_factory=dict)


def save_lab(actor: User, center_id: int, lab: Lab | None, data: LabData) -> Lab:
    if not actor.manages(center_id):
        raise NotFound("center")
    if not data.name.strip():
        raise DomainError(_("This field is required."), field="name")
    for weekday, (opens, closes) in data.hours.items():
        if opens >= closes:
            raise DomainError(
                _("A day's opening time comes before its closing time."), field=f"day_{weekday}"
            )
    new = lab is None
    if lab is None:
        lab = Lab(center_id=center_id)
    elif lab.center_id != center_id:
        raise NotFound("lab")
    name_taken = DomainError(
        _("This center already has a lab named %(name)s.", name=data.name.strip()), field="name"
    )
    same_name = select(Lab.id).where(Lab.center_id == center_id, Lab.name == data.name.strip())
    if db.session.scalar(same_name.where(Lab.id != lab.id) if not new else same_name):
        raise name_taken
    lab.name = data.name.strip()
    lab.location = data.location.strip()
    lab.description = data.description.strip()
    lab.horizon_days = data.horizon_days
    lab.cancel_notice_hours = data.cancel_notice_hours
    lab.weekly_quota_hours = data.weekly_quota_hours
    lab.no_show_limit = data.no_show_limit
    kept = {row.weekday: row for row in lab.hours}
    for weekday in range(7):
        row = kept.get(weekday)
        if weekday not in data.hours:
            if row is not None:
                lab.hours.remove(row)
            continue
        opens, closes = data.hours[weekday]
        if row is None:
            lab.hours.append(OpeningHours(weekday=weekday, opens=opens, closes=closes))
        else:
            row.opens, row.closes = opens, closes
    if new:
        add_unique(lab, name_taken)  # a twin request that saved the same lab meanwhile
    db.session.flush()
    audit.record(actor, "fablab.lab_saved", lab)
    return lab


def set_day(actor: User, lab: Lab, day: date, is_open: bool | None, note: str = "") -> None:
    """Open or close one day over the weekly hours and holidays; None returns to the default."""
    require_staff(actor, lab)
    if is_open is None:
        db.session.execute(delete(LabDay).where(LabDay.lab_id == lab.id, LabDay.day == day))
    else:
        # the same decision sent twenty times at once is one row, whoever inserts it first
        decision = {"open": is_open, "note": note.strip(), "decided_by_id": actor.id}
        row = db.session.get(LabDay, (lab.id, day))
        inserted = row is None and add_unique(LabDay(lab_id=lab.id, day=day, **decision))
        if not inserted:
            db.session.execute(
                update(LabDay)
                .where(LabDay.lab_id == lab.id, LabDay.day == day)
                .values(**decision)
                .execution_options(synchronize_session=False)
            )
            if row is not None:
                db.session.expire(row)
    db.session.flush()
    audit.record(actor, "fablab.day_set", lab, day=day.isoformat(), open=is_open)


def decided_days(lab: Lab, first: date, limit: int = 60) -> list[LabDay]:
    return list(
        db.session.scalars(
            select(LabDay)
            .where(LabDay.lab_id == lab.id, LabDay.day >= first)
            .order_by(LabDay.day)
            .limit(limit)
        )
    )


def upcoming_holidays(first: date, days: int = 400) -> list[tuple[date, str]]:
    last = first + timedelta(days=days)
    found = []
    for year in range(first.year, last.year + 1):
        language = "vi" if current_language() == "vi" else "en_US"
        found += [(d, n) for d, n in vietnam_holidays(year, language).items() if first <= d <= last]
    return sorted(found)


def labs_of(center_id: int | None = None) -> list[Lab]:
    statement = select(Lab).order_by(Lab.center_id, Lab.name)
    if center_id is not None:
        statement = statement.where(Lab.center_id == center_id)
    return list(db.session.scalars(statement))
