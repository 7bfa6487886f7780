"""Fablab: labs and their days, machines, certificates, bookings that never overlap,
maintenance, check-in and no-shows, and the stored figures behind utilization.

The no-double-booking guarantee
-------------------------------
Every change that gives a machine's time to someone (a booking, a move, a maintenance
block) first locks the machine's row (`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite the
write transaction already began with BEGIN IMMEDIATE, so writers queue), then checks that
the range is free, then writes, all in one transaction. On PostgreSQL the exclusion
constraint `fablab_bookings_no_overlap` refuses an overlap even from code that skipped the
check; its violation becomes the same "slot already taken" refusal (`_save`). Ranges are
half-open: [starts_at, ends_at).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import holidays
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    Select,
    and_,
    case,
    delete,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from incubator import audit, files, signals
from incubator.accounts.models import Role, User
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import add_unique, contains_text, db, on_commit, on_rollback, utcnow
from incubator.errors import DomainError, NotFound
from incubator.fablab.models import (
    HOLDING,
    Booking,
    BookingStatus,
    Certificate,
    Lab,
    LabDay,
    LabStartup,
    Machine,
    MachineCategory,
    MachineDay,
    MachineMonth,
    MachineStatus,
    MaintenanceBlock,
    OpeningHours,
    QuotaWeek,
)
from incubator.i18n import (
    LOCAL_TZ,
    current_language,
    format_date,
    format_datetime,
    format_number,
    to_local,
)
from incubator.mail import queue_email
from incubator.mentoring.models import MentoredStartup
from incubator.programs.models import Program
from incubator.scheduler import first_time
from incubator.startups.models import Startup, StartupMember

NO_SHOW_GRACE = timedelta(minutes=15)
CHECK_IN_EARLY = timedelta(minutes=15)
CERTIFICATE_WARNING_DAYS = 14
MAX_PERIOD_DAYS = 366
LIST_LIMIT = 20


def slot_taken() -> str:
    return _("This slot is already taken. Please choose another time.")


# ------------------------------------------------------------------- time


def local_day(moment: datetime) -> date:
    return to_local(moment).date()


def at_local(day: date, clock: time) -> datetime:
    """A wall-clock time on a day in Asia/Ho_Chi_Minh, in UTC."""
    return datetime.combine(day, clock, tzinfo=LOCAL_TZ).astimezone(UTC)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@functools.lru_cache(maxsize=64)
def _holidays(year: int, language: str) -> dict[date, str]:
    """Vietnam's public holidays of a year, the lunar ones included (the `holidays` library)."""
    table = holidays.country_holidays("VN", years=year, language=language)
    return dict(table.items())


def public_holiday(day: date) -> str | None:
    """The holiday's name in the current language, or None on a working day."""
    language = "vi" if current_language() == "vi" else "en_US"
    return _holidays(day.year, language).get(day)


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


# ------------------------------------------------------------------- access


def is_staff(actor: Any, lab: Lab) -> bool:
    """The lab's staff: its center's managers (and administrators)."""
    return actor.is_authenticated and actor.manages(lab.center_id)


def may_change(actor: Any, booking: Booking) -> bool:
    """Who cancels or moves a booking: whoever made it, the startup's members, the lab's staff."""
    return (
        booking.user_id == actor.id
        or (booking.startup is not None and booking.startup.has_member(actor))
        or is_staff(actor, booking.machine.lab)
    )


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


def viewable_machine(actor: Any, machine_id: int) -> Machine:
    machine = db.session.get(Machine, machine_id)
    if machine is None:
        raise NotFound("machine")
    return machine


def managed_machine(actor: Any, machine_id: int) -> Machine:
    machine = viewable_machine(actor, machine_id)
    if not is_staff(actor, machine.lab):
        raise NotFound("machine")
    return machine


def changeable_booking(actor: Any, booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or not may_change(actor, booking):
        raise NotFound("booking")
    return booking


def managed_booking(actor: Any, booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or not is_staff(actor, booking.machine.lab):
        raise NotFound("booking")
    return booking


def managed_certificate(actor: Any, certificate_id: int) -> Certificate:
    """A certificate of the actor's center (its machine's, or its category's center)."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not _staff_of(actor, certificate.center_of):
        raise NotFound("certificate")
    return certificate


def _staff_of(actor: Any, center_id: int) -> bool:
    return (
        actor.is_authenticated
        and actor.has_role(Role.MANAGER, Role.ADMIN)
        and (actor.manages(center_id))
    )


def _require_staff(actor: Any, lab: Lab) -> None:
    if not is_staff(actor, lab):
        raise NotFound("lab")


# ------------------------------------------------------------ labs, machines


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
    _require_staff(actor, lab)
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
        found += [(d, n) for d, n in _holidays(year, language).items() if first <= d <= last]
    return sorted(found)


@dataclass
class MachineData:
    name: str
    category: MachineCategory
    description: str = ""
    slot_minutes: int = 30
    min_minutes: int = 30
    max_minutes: int = 240
    training_required: bool = False
    photo: files.Upload | None = None  # a new photo, replacing the one there is
    remove_photo: bool = False


PHOTOS = "machine_photos"


def save_machine(actor: User, lab: Lab, machine: Machine | None, data: MachineData) -> Machine:
    _require_staff(actor, lab)
    if not data.name.strip():
        raise DomainError(_("This field is required."), field="name")
    if data.min_minutes % data.slot_minutes or data.max_minutes % data.slot_minutes:
        raise DomainError(
            _("The minimum and maximum lengths are whole numbers of slots."), field="min_minutes"
        )
    if data.min_minutes > data.max_minutes:
        raise DomainError(
            _("The minimum length is not longer than the maximum."), field="min_minutes"
        )
    new = machine is None
    if machine is None:
        machine = Machine(lab_id=lab.id)
    elif machine.lab_id != lab.id:
        raise NotFound("machine")
    name_taken = DomainError(
        _(
            "%(lab)s already has a machine named %(name)s: give each machine its own name.",
            lab=lab.name,
            name=data.name.strip(),
        ),
        field="name",
    )
    same_name = select(Machine.id).where(
        Machine.lab_id == lab.id, Machine.name == data.name.strip()
    )
    if db.session.scalar(same_name.where(Machine.id != machine.id) if not new else same_name):
        raise name_taken
    machine.name = data.name.strip()
    machine.category = data.category
    machine.description = data.description.strip()
    machine.slot_minutes = data.slot_minutes
    machine.min_minutes = data.min_minutes
    machine.max_minutes = data.max_minutes
    machine.training_required = data.training_required
    _set_photo(machine, data)
    if new:
        add_unique(machine, name_taken)  # a twin request that saved the same machine meanwhile
    db.session.flush()
    audit.record(actor, "fablab.machine_saved", machine)
    return machine


def _set_photo(machine: Machine, data: MachineData) -> None:
    """Store the new photo (checked by content) or drop the old one. Files follow the
    transaction: the new one is deleted if it rolls back, the old one once it commits."""
    if data.photo is None and not data.remove_photo:
        return
    session, old = db.session, machine.photo
    if data.photo is not None:
        limit = current_app.config["MACHINE_PHOTO_MAX_BYTES"]
        stored = files.store_image(PHOTOS, data.photo.stream, limit, field="photo")
        on_rollback(session, lambda: files.delete(PHOTOS, stored.name))
        machine.photo = stored.name
    else:
        machine.photo = None
    on_commit(session, lambda: files.delete(PHOTOS, old))


def stored_photos(_sender: Any = None) -> list[tuple[str, str]]:
    """Answers `signals.stored_files`: the machines' photos."""
    rows = db.session.execute(select(Machine.id, Machine.photo).where(Machine.photo.is_not(None)))
    return [(files.key(PHOTOS, name), f"photo of machine {id_}") for id_, name in rows]


def machine_photo(actor: Any, machine_id: int, name: str) -> tuple[str, str]:
    """(storage key, content type) of a machine's photo, for every logged-in user; only the
    photo the machine has now (its name is random: the address changes with the photo)."""
    machine = viewable_machine(actor, machine_id)
    if not machine.photo or machine.photo != name:
        raise NotFound("photo")
    extension = "." + machine.photo.rpartition(".")[2]
    if extension not in files.IMAGE_TYPES:
        raise NotFound("photo")
    return files.key(PHOTOS, machine.photo), files.IMAGE_TYPES[extension]


def set_status(
    actor: User, machine: Machine, status: MachineStatus, reason: str, now: datetime | None = None
) -> int:
    """Active, under maintenance or retired; leaving `active` cancels the machine's future
    bookings (their owners are emailed). The number of bookings cancelled."""
    _require_staff(actor, machine.lab)
    reason = reason.strip()
    if status is not MachineStatus.ACTIVE and not reason:
        raise DomainError(_("Give the reason, for the founders."), field="reason")
    machine = _locked_machine(machine.id)
    machine.status = status
    machine.status_reason = reason if status is not MachineStatus.ACTIVE else ""
    cancelled = 0
    if status is not MachineStatus.ACTIVE:
        now = now or utcnow()
        future = _holding(machine.id, now, now + timedelta(days=3660))
        cancelled = _cancel_all(future, reason, now)
    audit.record(actor, "fablab.status_set", machine, status=status.value, cancelled=cancelled)
    return cancelled


# -------------------------------------------------------------- certificates


def valid_certificate(user: User, machine: Machine, day: date) -> Certificate | None:
    return next((c for c in _certificates_for(user, machine) if c.valid_on(day)), None)


def _certificates_for(user: User, machine: Machine) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate).where(
                Certificate.user_id == user.id,
                or_(
                    Certificate.machine_id == machine.id,
                    # a category certificate opens the machines of its own center only
                    and_(
                        Certificate.category == machine.category,
                        Certificate.center_id == machine.lab.center_id,
                    ),
                ),
            )
        )
    )


def grant_certificate(
    actor: User,
    user: User,
    machine: Machine | None,
    category: MachineCategory | None,
    expires_on: date | None,
    today: date | None = None,
    center_id: int | None = None,
) -> Certificate:
    """Grant (or renew) a user's certificate for a machine, or for a whole category at a
    center (`center_id`, the manager's own by default): staff grant for their center only."""
    if machine is not None:
        _require_staff(actor, machine.lab)
        center_id = None
    else:
        center_id = center_id or actor.managed_center_id
        if center_id is None and actor.is_admin:
            raise DomainError(_("Choose a machine or a category."), field="target")
        if center_id is None or not _staff_of(actor, center_id):
            raise NotFound("center")
    if (machine is None) == (category is None):
        raise DomainError(_("Choose a machine or a category."), field="target")
    today = today or local_day(utcnow())
    if expires_on is not None and expires_on < today:
        raise DomainError(_("The expiry date is in the past."), field="expires_on")
    if not user.active:
        raise DomainError(_("This account is deactivated."), field="email")
    target = (
        Certificate.machine_id == machine.id
        if machine is not None
        else and_(Certificate.category == category, Certificate.center_id == center_id)
    )
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.user_id == user.id, target)
    )
    if certificate is None:
        certificate = Certificate(
            user_id=user.id,
            machine_id=machine.id if machine is not None else None,
            category=None if machine is not None else category,
            center_id=center_id,
            granted_by_id=actor.id,
        )
        add_unique(certificate, DomainError(_("This certificate was just granted.")))
    certificate.expires_on = expires_on
    certificate.granted_by_id = actor.id
    certificate.granted_at = utcnow()
    db.session.flush()
    audit.record(actor, "fablab.certificate_granted", certificate, user=user.id)
    return certificate


def revoke_certificate(actor: User, certificate: Certificate) -> None:
    if not _staff_of(actor, certificate.center_of):
        raise NotFound("certificate")
    audit.record(actor, "fablab.certificate_revoked", certificate, user=certificate.user_id)
    db.session.delete(certificate)
    db.session.flush()


def certificates_of(user: User) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id)
            .order_by(Certificate.expires_on.asc().nulls_last(), Certificate.id)
        )
    )


def recent_certificates(actor: Any, limit: int = LIST_LIMIT) -> list[Certificate]:
    """The latest certificates of the actor's center (every center for administrators)."""
    statement = select(Certificate).order_by(Certificate.granted_at.desc(), Certificate.id.desc())
    if not actor.is_admin:
        center_id = actor.managed_center_id
        if center_id is None:
            return []
        machines = (
            select(Machine.id).join(Lab, Lab.id == Machine.lab_id).where(Lab.center_id == center_id)
        )
        statement = statement.where(
            or_(Certificate.center_id == center_id, Certificate.machine_id.in_(machines))
        )
    return list(db.session.scalars(statement.limit(limit)))


def user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise DomainError(_("No account has this email address."), field="email")
    return user


# ------------------------------------------------------------------ bookings


@dataclass
class BookingData:
    starts_at: datetime  # aware
    minutes: int
    purpose: str = ""
    startup_id: int | None = None
    startup_name: str = ""  # the staff's: any startup of the center, by its name


def bookable_startups(user: User) -> list[Startup]:
    """The user's startups in incubation, for which they may book."""
    return list(
        db.session.scalars(
            select(Startup)
            .join(StartupMember, StartupMember.startup_id == Startup.id)
            .join(MentoredStartup, MentoredStartup.startup_id == Startup.id)
            .where(StartupMember.user_id == user.id, MentoredStartup.active.is_(True))
            .order_by(Startup.name)
        )
    )


def incubating_startups(center_id: int) -> list[Startup]:
    """The center's startups in incubation: the staff's booking form offers them first."""
    return list(
        db.session.scalars(
            select(Startup)
            .join(MentoredStartup, MentoredStartup.startup_id == Startup.id)
            .where(MentoredStartup.active.is_(True), MentoredStartup.center_id == center_id)
            .order_by(Startup.name)
        )
    )


def _of_center(center_id: int) -> Any:
    """The condition "the startup belongs to the center": it applied to one of the center's
    programs (a sent application, whatever became of it) or is mentored there."""
    applied = (
        select(Application.id)
        .join(Program, Program.id == Application.program_id)
        .where(
            Application.startup_id == Startup.id,
            Program.center_id == center_id,
            Application.stage != Stage.DRAFT,
        )
        .exists()
    )
    mentored = (
        select(MentoredStartup.startup_id)
        .where(MentoredStartup.startup_id == Startup.id, MentoredStartup.center_id == center_id)
        .exists()
    )
    return or_(applied, mentored)


def center_startup_named(center_id: int, name: str) -> Startup:
    """The lab's staff book for any startup of their center, found by its name (the exact
    name first, otherwise the one startup whose name contains it)."""
    name = name.strip()
    of_center = select(Startup).where(_of_center(center_id), Startup.archived_at.is_(None))
    found = list(db.session.scalars(of_center.where(func.lower(Startup.name) == name.lower())))
    if not found:
        found = list(
            db.session.scalars(of_center.where(contains_text(Startup.name, name)).limit(6))
        )
    if len(found) == 1:
        return found[0]
    if not found:
        raise DomainError(
            _("No startup of this center is named “%(name)s”.", name=name), field="startup_name"
        )
    raise DomainError(
        _(
            "Several startups match “%(name)s”: %(names)s. Write the full name.",
            name=name,
            names=", ".join(s.name for s in found[:5]),
        ),
        field="startup_name",
    )


def _locked_machine(machine_id: int) -> Machine:
    """The machine's row, locked until the transaction ends (SQLite: BEGIN IMMEDIATE)."""
    machine = db.session.scalars(
        select(Machine)
        .where(Machine.id == machine_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if machine is None:
        raise NotFound("machine")
    return machine


def _startup_for(
    actor: User, machine: Machine, startup_id: int | None, startup_name: str = ""
) -> Startup | None:
    staff = is_staff(actor, machine.lab)
    if staff and startup_name.strip():
        return center_startup_named(machine.lab.center_id, startup_name)
    if startup_id is None:
        if staff:
            return None  # the lab's own use
        raise DomainError(
            _("Choose the startup you book for."), field="startup_id", code="startup_required"
        )
    startup = db.session.get(Startup, startup_id)
    if startup is None:
        raise DomainError(_("Not a valid choice."), field="startup_id", code="unknown_startup")
    if staff:
        # any startup of the center, in incubation or not
        center = machine.lab.center_id
        if (
            db.session.scalar(
                select(Startup.id).where(Startup.id == startup.id, _of_center(center))
            )
            is None
        ):
            raise DomainError(
                _("%(name)s is not a startup of this center.", name=startup.name),
                field="startup_id",
            )
        return startup
    if not startup.has_member(actor):
        raise DomainError(
            _("You can book only for your own startups."), field="startup_id", code="not_a_member"
        )
    mentored = db.session.get(MentoredStartup, startup.id)
    if mentored is None or not mentored.active:
        raise DomainError(
            _(
                "%(name)s is not in incubation: only startups in incubation book the machines.",
                name=startup.name,
            ),
            field="startup_id",
            code="not_incubating",
        )
    return startup


def _check_time(machine: Machine, starts: datetime, minutes: int, now: datetime) -> datetime:
    """The rules of time, in the order a founder fixes them; the end of the booking."""
    if machine.status is not MachineStatus.ACTIVE:
        reason = f" ({machine.status_reason})" if machine.status_reason else ""
        raise DomainError(
            _(
                "%(machine)s cannot be booked: %(status)s.",
                machine=machine.name,
                status=machine.status.label,
            )
            + reason,
            code="machine_unavailable",
            conflict=True,
        )
    lab = machine.lab
    day = local_day(starts)
    info = day_info(lab, day)
    if not info.open:
        raise DomainError(
            _(
                "The lab is closed on %(date)s. %(reason)s",
                date=format_date(day),
                reason=info.reason,
            ),
            field="day",
            code="closed_day",
        )
    ends = starts + timedelta(minutes=minutes)
    assert info.opens is not None and info.closes is not None
    if starts < at_local(day, info.opens) or ends > at_local(day, info.closes):
        raise DomainError(
            _(
                "Outside opening hours: on this day the lab is open from %(opens)s to %(closes)s.",
                opens=info.opens.strftime("%H:%M"),
                closes=info.closes.strftime("%H:%M"),
            ),
            field="start",
            code="outside_opening_hours",
        )
    offset = (starts - at_local(day, info.opens)).total_seconds() / 60
    if offset % machine.slot_minutes or starts.second or starts.microsecond:
        raise DomainError(
            _(
                "Bookings start on the %(slot)d-minute slots counted from opening time.",
                slot=machine.slot_minutes,
            ),
            field="start",
            code="slot_misaligned",
        )
    if minutes % machine.slot_minutes:
        raise DomainError(
            _(
                "A booking lasts a whole number of %(slot)d-minute slots.",
                slot=machine.slot_minutes,
            ),
            field="minutes",
            code="bad_duration",
        )
    if not machine.min_minutes <= minutes <= machine.max_minutes:
        raise DomainError(
            _(
                "A booking of this machine lasts from %(min)s to %(max)s.",
                min=duration(machine.min_minutes),
                max=duration(machine.max_minutes),
            ),
            field="minutes",
            code="bad_duration",
        )
    if starts < now:
        raise DomainError(
            _("This time has passed: choose a time to come."), field="start", code="in_the_past"
        )
    if day > local_day(now) + timedelta(days=lab.horizon_days):
        raise DomainError(
            _("Bookings open %(days)d days ahead.", days=lab.horizon_days),
            field="day",
            code="beyond_horizon",
        )
    return ends


def duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(n)d min", n=rest)
    if not rest:
        return _("%(n)d h", n=hours)
    return _("%(h)d h %(m)d min", h=hours, m=rest)


def _check_certificate(user: User, machine: Machine, day: date) -> None:
    if not machine.training_required:
        return
    certificates = _certificates_for(user, machine)
    if any(c.valid_on(day) for c in certificates):
        return
    if certificates:
        expired = max(c.expires_on for c in certificates if c.expires_on is not None)
        raise DomainError(
            _(
                "Your training certificate for %(machine)s expired on %(date)s: ask the lab's "
                "staff to renew it.",
                machine=machine.name,
                date=format_date(expired),
            ),
            code="not_certified",
        )
    raise DomainError(
        _(
            "%(machine)s needs a training certificate, and you have none: ask the lab's staff "
            "for the training.",
            machine=machine.name,
        ),
        code="not_certified",
    )


def _check_no_shows(startup: Startup, lab: Lab) -> None:
    record = db.session.get(LabStartup, (startup.id, lab.center_id))
    if record is not None and record.no_shows >= lab.no_show_limit:
        raise DomainError(
            _(
                "%(name)s missed %(n)d bookings without cancelling: booking is suspended until "
                "the lab's staff lift it.",
                name=startup.name,
                n=record.no_shows,
            ),
            field="startup_id",
            code="no_show_suspended",
        )


def _holding(machine_id: int, starts: datetime, ends: datetime) -> list[Booking]:
    """The machine's bookings that hold time overlapping [starts, ends)."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.machine_id == machine_id,
                Booking.status.in_(HOLDING),
                Booking.starts_at < ends,
                Booking.ends_at > starts,
            )
            .order_by(Booking.starts_at)
        )
    )


def _check_free(machine_id: int, starts: datetime, ends: datetime, moving: int | None) -> None:
    block = db.session.scalar(
        select(MaintenanceBlock)
        .where(
            MaintenanceBlock.machine_id == machine_id,
            MaintenanceBlock.starts_at < ends,
            MaintenanceBlock.ends_at > starts,
        )
        .limit(1)
    )
    if block is not None:
        raise DomainError(
            _("The machine is under maintenance then: %(reason)s", reason=block.reason),
            field="start",
            code="under_maintenance",
            conflict=True,
        )
    if any(b.id != moving for b in _holding(machine_id, starts, ends)):
        raise DomainError(slot_taken(), field="start", code="slot_taken", conflict=True)


def _quota_row(startup_id: int, category: MachineCategory, week: date) -> QuotaWeek:
    """The startup's minutes of a category in a week, created if missing, locked."""
    key = {"startup_id": startup_id, "category": category, "week": week}
    if db.session.get(QuotaWeek, (startup_id, category, week)) is None:
        add_unique(QuotaWeek(**key, minutes=0))  # or made meanwhile by a concurrent booking
    return db.session.scalars(
        select(QuotaWeek)
        .filter_by(**key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _take_quota(startup: Startup, machine: Machine, starts: datetime, minutes: int) -> None:
    row = _quota_row(startup.id, machine.category, monday_of(local_day(starts)))
    quota = machine.lab.weekly_quota_hours * 60
    if row.minutes + minutes > quota:
        raise DomainError(
            _(
                "%(name)s may book %(quota)d hours of %(category)s a week; %(left)s are left "
                "that week.",
                name=startup.name,
                quota=machine.lab.weekly_quota_hours,
                category=machine.category.label,
                left=duration(max(0, quota - row.minutes)),
            ),
            field="minutes",
            code="quota_exceeded",
        )
    row.minutes += minutes


def _release_quota(booking: Booking) -> None:
    if booking.startup_id is None:
        return
    db.session.execute(
        update(QuotaWeek)
        .where(
            QuotaWeek.startup_id == booking.startup_id,
            QuotaWeek.category == booking.category,
            QuotaWeek.week == monday_of(local_day(booking.starts_at)),
        )
        .values(
            minutes=case(
                (QuotaWeek.minutes > booking.minutes, QuotaWeek.minutes - booking.minutes), else_=0
            )
        )
        .execution_options(synchronize_session=False)
    )


def _add_to(model: Any, key: dict[str, Any], new: dict[str, Any], **deltas: int) -> None:
    """Add `deltas` to a stored tally row, creating it (with `new`) if missing; safe against a
    concurrent insert of the same row."""
    statement = (
        update(model)
        .filter_by(**key)
        .values({name: getattr(model, name) + delta for name, delta in deltas.items()})
        .execution_options(synchronize_session=False)
    )
    if db.session.execute(statement).rowcount:
        return
    if not add_unique(model(**key, **new, **deltas)):
        db.session.execute(statement)  # the row was made meanwhile: add to it


def _add_day(booking: Booking, booked: int = 0, used: int = 0, no_shows: int = 0) -> None:
    """Add to the stored figures of the booking's machine: its day and its month."""
    day = local_day(booking.starts_at)
    for model, key in (
        (MachineDay, {"machine_id": booking.machine_id, "day": day}),
        (MachineMonth, {"machine_id": booking.machine_id, "month": day.replace(day=1)}),
    ):
        _add_to(
            model,
            key,
            {"lab_id": booking.lab_id},
            booked_minutes=booked,
            used_minutes=used,
            no_shows=no_shows,
        )


def _save(
    booking: Booking,
    starts: datetime | None = None,
    ends: datetime | None = None,
    machine: Machine | None = None,
) -> None:
    """Write the booking (moved to [starts, ends) of `machine` when given) in a savepoint: the
    exclusion
    constraint's refusal (PostgreSQL) is the same answer as the check's, and the transaction
    stays usable. (The savepoint begins before the change: begin_nested flushes what is
    pending, and a refusal outside it would abort the whole transaction on PostgreSQL.)"""
    savepoint = db.session.begin_nested()
    db.session.add(booking)
    if starts is not None and ends is not None:
        booking.starts_at, booking.ends_at = starts, ends
    if machine is not None:
        booking.machine = machine
    try:
        db.session.flush()
    except IntegrityError as error:
        savepoint.rollback()
        raise DomainError(slot_taken(), field="start", code="slot_taken", conflict=True) from error
    savepoint.commit()


def book(actor: User, machine: Machine, data: BookingData, now: datetime | None = None) -> Booking:
    """Book a free range of a machine, checking every rule, as one serialized transaction."""
    now = now or utcnow()
    machine = _locked_machine(machine.id)
    startup = _startup_for(actor, machine, data.startup_id, data.startup_name)
    staff = is_staff(actor, machine.lab)
    starts = data.starts_at.astimezone(UTC)
    ends = _check_time(machine, starts, data.minutes, now)
    if not data.purpose.strip():
        raise DomainError(_("Say what you will make, for the lab's staff."), field="purpose")
    if not staff:
        _check_certificate(actor, machine, local_day(starts))
    if startup is not None and not staff:
        _check_no_shows(startup, machine.lab)
    _check_free(machine.id, starts, ends, moving=None)
    if startup is not None and not staff:
        _take_quota(startup, machine, starts, data.minutes)
    booking = Booking(
        machine_id=machine.id,
        lab_id=machine.lab_id,
        category=machine.category,
        startup_id=startup.id if startup is not None else None,
        user_id=actor.id,
        purpose=data.purpose.strip(),
        starts_at=starts,
        ends_at=ends,
        status=BookingStatus.CONFIRMED,
    )
    _save(booking)
    _add_day(booking, booked=booking.minutes)
    audit.record(actor, "fablab.booked", booking, machine=machine.id)
    signals.booking_created.send(booking, actor=actor)
    return booking


def sibling_machines(machine: Machine) -> list[Machine]:
    """The machines a booking of `machine` may move to: the same lab and category, active (the
    machine itself first)."""
    others = db.session.scalars(
        select(Machine)
        .where(
            Machine.lab_id == machine.lab_id,
            Machine.category == machine.category,
            Machine.status == MachineStatus.ACTIVE,
            Machine.id != machine.id,
        )
        .order_by(Machine.name)
    )
    return [machine, *others]


def _locked_pair(first_id: int, second_id: int) -> tuple[Machine, Machine]:
    """Both machines' rows locked, the lower id first (two moves in opposite directions queue
    rather than deadlock)."""
    locked = {i: _locked_machine(i) for i in sorted({first_id, second_id})}
    return locked[first_id], locked[second_id]


def move_booking(
    actor: User,
    booking: Booking,
    starts_at: datetime,
    minutes: int,
    now: datetime | None = None,
    machine_id: int | None = None,
) -> Booking:
    """Move a booking to another range of its machine, or of another machine of the same lab
    and category (`machine_id`): one transaction, one UPDATE; if the new range is refused the
    booking keeps its old one, on its old machine."""
    now = now or utcnow()
    if not may_change(actor, booking):
        raise NotFound("booking")
    machine, target = _locked_pair(booking.machine_id, machine_id or booking.machine_id)
    db.session.refresh(booking)
    staff = is_staff(actor, machine.lab)
    _check_changeable(booking, staff, now)
    if target.lab_id != machine.lab_id or target.category is not machine.category:
        raise DomainError(
            _(
                "A booking moves only to a machine of the same lab and kind (%(category)s).",
                category=machine.category.label,
            ),
            field="machine_id",
        )
    starts = starts_at.astimezone(UTC)
    ends = _check_time(target, starts, minutes, now)
    if not staff:
        _check_certificate(booking.user, target, local_day(starts))
    _check_free(target.id, starts, ends, moving=booking.id)
    _add_day(booking, booked=-booking.minutes)
    _release_quota(booking)
    if booking.startup is not None and not staff:
        _take_quota(booking.startup, target, starts, minutes)
    old, old_machine = booking.starts_at, booking.machine_id
    _save(booking, starts, ends, target)
    _add_day(booking, booked=booking.minutes)
    audit.record(actor, "fablab.moved", booking, was=old.isoformat(), was_machine=old_machine)
    return booking


def _check_changeable(booking: Booking, staff: bool, now: datetime) -> None:
    if booking.status is not BookingStatus.CONFIRMED:
        raise DomainError(
            _("This booking can no longer be changed: %(status)s.", status=booking.status.label),
            code="not_changeable",
            conflict=True,
        )
    notice = timedelta(hours=booking.machine.lab.cancel_notice_hours)
    if not staff and booking.starts_at - now < notice:
        raise DomainError(
            _(
                "A booking can be cancelled or moved until %(hours)d hours before it starts; "
                "ask the lab's staff.",
                hours=booking.machine.lab.cancel_notice_hours,
            ),
            code="cancel_notice_passed",
            conflict=True,
        )


def cancel_booking(
    actor: User, booking: Booking, reason: str = "", now: datetime | None = None
) -> Booking:
    now = now or utcnow()
    if not may_change(actor, booking):
        raise NotFound("booking")
    _locked_machine(booking.machine_id)
    db.session.refresh(booking)
    _check_changeable(booking, is_staff(actor, booking.machine.lab), now)
    _cancel(booking, reason, now)
    audit.record(actor, "fablab.cancelled", booking)
    signals.booking_cancelled.send(booking, actor=actor)
    return booking


def _cancel(booking: Booking, reason: str, now: datetime) -> None:
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancel_reason = reason[:300]
    _add_day(booking, booked=-booking.minutes)
    _release_quota(booking)


def _cancel_all(bookings: Sequence[Booking], reason: str, now: datetime) -> int:
    """Cancel bookings for the lab's reason and email whoever made them (same transaction)."""
    for booking in bookings:
        _cancel(booking, reason, now)
        if booking.user.active:
            queue_email(booking.user, "fablab_booking_cancelled", booking=booking, reason=reason)
    db.session.flush()
    return len(bookings)


# ---------------------------------------------------------------- maintenance


def block_machine(
    actor: User,
    machine: Machine,
    starts: datetime,
    ends: datetime,
    reason: str,
    now: datetime | None = None,
) -> tuple[MaintenanceBlock, int]:
    """Block a machine for maintenance; the bookings inside are cancelled and their owners
    emailed in the same transaction. The block and the number of bookings cancelled."""
    now = now or utcnow()
    _require_staff(actor, machine.lab)
    if ends <= starts:
        raise DomainError(_("The end comes after the start."), field="ends_at")
    if ends <= now:
        raise DomainError(_("This period has passed."), field="ends_at")
    if ends - starts > timedelta(days=180):
        raise DomainError(_("A maintenance block lasts at most 180 days."), field="ends_at")
    if not reason.strip():
        raise DomainError(_("Give the reason, for the founders."), field="reason")
    machine = _locked_machine(machine.id)
    block = MaintenanceBlock(
        machine_id=machine.id,
        starts_at=starts,
        ends_at=ends,
        reason=reason.strip(),
        created_by_id=actor.id,
    )
    # the same block sent twice (a double click, twenty requests at once) is made once
    add_unique(
        block,
        DomainError(
            _(
                "%(machine)s is already blocked from %(start)s to %(end)s.",
                machine=machine.name,
                start=format_datetime(starts),
                end=format_datetime(ends),
            )
        ),
    )
    cancelled = _cancel_all(_holding(machine.id, starts, ends), block.reason, now)
    audit.record(actor, "fablab.blocked", block, cancelled=cancelled)
    return block, cancelled


def remove_block(actor: User, block: MaintenanceBlock) -> None:
    machine = db.session.get(Machine, block.machine_id)
    assert machine is not None
    _require_staff(actor, machine.lab)
    audit.record(actor, "fablab.unblocked", block)
    db.session.delete(block)
    db.session.flush()


def managed_block(actor: User, block_id: int) -> MaintenanceBlock:
    block = db.session.get(MaintenanceBlock, block_id)
    if block is None:
        raise NotFound("block")
    managed_machine(actor, block.machine_id)
    return block


def upcoming_blocks(machine: Machine, now: datetime, limit: int = LIST_LIMIT) -> list[Any]:
    return list(
        db.session.scalars(
            select(MaintenanceBlock)
            .where(MaintenanceBlock.machine_id == machine.id, MaintenanceBlock.ends_at > now)
            .order_by(MaintenanceBlock.starts_at)
            .limit(limit)
        )
    )


# ----------------------------------------------------------- check-in, no-show


def check_in(actor: User, booking: Booking, now: datetime | None = None) -> Booking:
    now = now or utcnow()
    _require_staff(actor, booking.machine.lab)
    if booking.status is BookingStatus.CHECKED_IN:
        raise DomainError(_("This booking is already checked in."))
    if booking.status is not BookingStatus.CONFIRMED:
        raise DomainError(
            _("This booking can no longer be checked in: %(status)s.", status=booking.status.label)
        )
    if now < booking.starts_at - CHECK_IN_EARLY:
        raise DomainError(_("Check-in opens 15 minutes before the booking starts."))
    if now >= booking.ends_at:
        raise DomainError(_("This booking has ended."))
    done = db.session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == BookingStatus.CONFIRMED)
        .values(status=BookingStatus.CHECKED_IN, checked_in_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        raise DomainError(_("This booking is already checked in."))
    db.session.refresh(booking)
    _add_day(booking, used=booking.minutes)
    audit.record(actor, "fablab.checked_in", booking)
    return booking


def release_no_shows(now: datetime | None = None, batch: int = 500) -> int:
    """The scheduled job: bookings not checked in 15 minutes after their start become no-shows
    and free their machine, in one transaction. The number released."""
    with db.transaction():
        return mark_no_shows(now or utcnow(), batch)


def mark_no_shows(now: datetime, batch: int = 500) -> int:
    """Idempotent: each booking changes once (a guarded UPDATE), so two runs at the same
    moment (two processes) count each no-show once."""
    released = 0
    due = db.session.scalars(
        select(Booking)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.starts_at <= now - NO_SHOW_GRACE,
        )
        .order_by(Booking.starts_at)
        .limit(batch)
    ).all()
    for booking in due:
        changed = db.session.execute(
            update(Booking)
            .where(Booking.id == booking.id, Booking.status == BookingStatus.CONFIRMED)
            .values(status=BookingStatus.NO_SHOW)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            continue  # checked in, cancelled or released meanwhile
        _add_day(booking, booked=-booking.minutes, no_shows=1)
        if booking.startup_id is not None:
            _count_no_show(booking.startup_id, booking.machine.lab.center_id)
        released += 1
    return released


def _count_no_show(startup_id: int, center_id: int) -> None:
    _add_to(LabStartup, {"startup_id": startup_id, "center_id": center_id}, {}, no_shows=1)


def staffed_startup(actor: User, startup_id: int, center_id: int | None = None) -> Startup:
    """A startup with a no-show record at the actor's center (`center_id`, the manager's own
    by default; an administrator may name any), for that center's staff."""
    startup = db.session.get(Startup, startup_id)
    center_id = center_id or actor.managed_center_id
    if (
        startup is None
        or center_id is None
        or not _staff_of(actor, center_id)
        or db.session.get(LabStartup, (startup_id, center_id)) is None
    ):
        raise NotFound("startup")
    return startup


def reset_no_shows(actor: User, startup: Startup, center_id: int | None = None) -> None:
    """The center's staff lift the suspension their center's no-shows caused (theirs only)."""
    center_id = center_id or actor.managed_center_id
    if center_id is None or not _staff_of(actor, center_id):
        raise NotFound("startup")
    record = db.session.get(LabStartup, (startup.id, center_id))
    if record is None:
        raise NotFound("startup")
    if not record.no_shows:
        raise DomainError(_("%(name)s has no no-show to reset.", name=startup.name))
    record.no_shows = 0
    record.reset_at = utcnow()
    audit.record(actor, "fablab.no_shows_reset", startup, center=center_id)


def no_show_counts(actor: Any, limit: int = LIST_LIMIT) -> list[tuple[Startup, LabStartup]]:
    """Startups with no-shows at the actor's center (every center for administrators)."""
    statement = (
        select(Startup, LabStartup)
        .join(LabStartup, LabStartup.startup_id == Startup.id)
        .where(LabStartup.no_shows > 0)
        .order_by(LabStartup.no_shows.desc(), Startup.name, LabStartup.center_id)
        .limit(limit)
    )
    if not actor.is_admin:
        if actor.managed_center_id is None:
            return []
        statement = statement.where(LabStartup.center_id == actor.managed_center_id)
    return list(db.session.execute(statement))


def certificate_reminders(now: datetime | None = None) -> int:
    """The scheduled job: tell each holder once that their certificate expires within 14 days."""
    today = local_day(now or utcnow())
    sent = 0
    with db.transaction():
        expiring = db.session.scalars(
            select(Certificate).where(
                Certificate.expires_on.between(
                    today, today + timedelta(days=CERTIFICATE_WARNING_DAYS)
                )
            )
        ).all()
        for certificate in expiring:
            period = certificate.expires_on.isoformat() if certificate.expires_on else ""
            if certificate.user.active and first_time(
                "fablab.certificate_expiry", certificate.id, period
            ):
                queue_email(
                    certificate.user, "fablab_certificate_expiring", certificate=certificate
                )
                sent += 1
    return sent


# ------------------------------------------------------------- what pages show


@dataclass
class Span:
    """A stretch of a day on the week view: free, yours, busy, maintenance or past."""

    starts_at: datetime
    ends_at: datetime
    kind: str
    label: str = ""
    booking: Booking | None = None


@dataclass
class DayView:
    info: DayInfo
    spans: list[Span] = field(default_factory=list)


def week_view(actor: Any, machine: Machine, monday: date, now: datetime) -> list[DayView]:
    """The machine's week, day by day, in runs of free and taken slots (three queries)."""
    return days_view(actor, machine, monday, monday + timedelta(days=6), now)


MAX_AVAILABILITY_DAYS = 31


def availability(
    actor: Any, machine: Machine, first: date, last: date, now: datetime
) -> tuple[list[Span], list[Span]]:
    """(free, busy) stretches of the machine from `first` to `last` (local days, at most
    31): free is bookable by the opening hours, closed days, maintenance and the other
    bookings; busy is taken by a booking or maintenance. The same runs as the week view."""
    if last < first:
        raise DomainError(_("The end comes after the start."), field="to", code="bad_period")
    if (last - first).days >= MAX_AVAILABILITY_DAYS:
        raise DomainError(
            _("Choose a period of at most %(days)d days.", days=MAX_AVAILABILITY_DAYS),
            field="to",
            code="bad_period",
        )
    spans = [span for view in days_view(actor, machine, first, last, now) for span in view.spans]
    free = [span for span in spans if span.kind == "free"]
    busy = [span for span in spans if span.kind in ("busy", "mine", "maintenance")]
    return free, busy


def days_view(
    actor: Any, machine: Machine, monday: date, sunday: date, now: datetime
) -> list[DayView]:
    """The machine's days from `monday` to `sunday`, in runs of free and taken slots."""
    start, end = at_local(monday, time(0)), at_local(sunday + timedelta(days=1), time(0))
    bookings = _holding(machine.id, start, end)
    blocks = list(
        db.session.scalars(
            select(MaintenanceBlock).where(
                MaintenanceBlock.machine_id == machine.id,
                MaintenanceBlock.starts_at < end,
                MaintenanceBlock.ends_at > start,
            )
        )
    )
    staff = is_staff(actor, machine.lab)
    step = timedelta(minutes=machine.slot_minutes)
    days = []
    for info in lab_days(machine.lab, monday, sunday):
        view = DayView(info)
        days.append(view)
        if not info.open:
            continue
        assert info.opens is not None and info.closes is not None
        moment, closes = at_local(info.day, info.opens), at_local(info.day, info.closes)
        while moment < closes:
            slot_end = min(moment + step, closes)
            span = _slot(actor, staff, moment, slot_end, bookings, blocks, now)
            last = view.spans[-1] if view.spans else None
            if (
                last
                and last.kind == span.kind
                and last.label == span.label
                and (last.booking is span.booking)
            ):
                last.ends_at = slot_end
            else:
                view.spans.append(span)
            moment = slot_end
    return days


def _slot(
    actor: Any,
    staff: bool,
    starts: datetime,
    ends: datetime,
    bookings: list[Booking],
    blocks: list[MaintenanceBlock],
    now: datetime,
) -> Span:
    block = next((b for b in blocks if b.starts_at < ends and b.ends_at > starts), None)
    if block is not None:
        return Span(starts, ends, "maintenance", block.reason)
    booking = next((b for b in bookings if b.starts_at < ends and b.ends_at > starts), None)
    if booking is not None:
        mine = booking.user_id == actor.id or (
            booking.startup is not None and booking.startup.has_member(actor)
        )
        if staff:
            owner = booking.startup.name if booking.startup else _("Lab use")
            label = f"{owner} · {booking.user.name}"
        else:
            label = _("Your booking") if mine else _("Busy")
        return Span(starts, ends, "mine" if mine else "busy", label, booking)
    if starts < now:
        return Span(starts, ends, "past")
    return Span(starts, ends, "free", _("Free"))


def bookable_machines_query() -> Select[Any]:
    """The machines of every lab that are not retired (the API's equipment list)."""
    return select(Machine).where(Machine.status != MachineStatus.RETIRED)


def visible_bookings_query(actor: User) -> Select[Any]:
    """The user's bookings (as `bookings_query`), and for a lab's staff every booking of the
    labs of the center they manage (every lab for admins)."""
    statement = select(Booking).join(Machine, Machine.id == Booking.machine_id)
    if actor.is_admin:
        return statement
    member_of = select(StartupMember.startup_id).where(StartupMember.user_id == actor.id)
    conditions = [Booking.user_id == actor.id, Booking.startup_id.in_(member_of)]
    if actor.managed_center_id is not None:
        staffed = select(Lab.id).where(Lab.center_id == actor.managed_center_id)
        conditions.append(Booking.lab_id.in_(staffed))
    return statement.where(or_(*conditions))


def bookings_of_machine(statement: Select[Any], machine_id: int) -> Select[Any]:
    return statement.where(Booking.machine_id == machine_id)


def bookings_between(
    statement: Select[Any], starts: datetime | None, ends: datetime | None
) -> Select[Any]:
    if starts is not None:
        statement = statement.where(Booking.ends_at > starts)
    if ends is not None:
        statement = statement.where(Booking.starts_at < ends)
    return statement


def bookings_query(actor: User) -> Select[Any]:
    """The bookings a user made or that their startups hold (the "my bookings" list)."""
    member_of = select(StartupMember.startup_id).where(StartupMember.user_id == actor.id)
    return (
        select(Booking)
        .join(Machine, Machine.id == Booking.machine_id)
        .where(or_(Booking.user_id == actor.id, Booking.startup_id.in_(member_of)))
    )


def upcoming_bookings(user: User, now: datetime, limit: int = 5) -> list[Booking]:
    return list(
        db.session.scalars(
            bookings_query(user)
            .where(Booking.status.in_(HOLDING), Booking.ends_at > now)
            .order_by(Booking.starts_at)
            .limit(limit)
        )
    )


def day_bookings(lab: Lab, day: date) -> list[Booking]:
    """A lab's bookings of a day (the staff's check-in list), bounded by the lab's hours."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.lab_id == lab.id,
                Booking.starts_at >= at_local(day, time(0)),
                Booking.starts_at < at_local(day + timedelta(days=1), time(0)),
                Booking.status != BookingStatus.CANCELLED,
            )
            .order_by(Booking.starts_at, Booking.id)
            .limit(200)
        )
    )


def labs_of(center_id: int | None = None) -> list[Lab]:
    statement = select(Lab).order_by(Lab.center_id, Lab.name)
    if center_id is not None:
        statement = statement.where(Lab.center_id == center_id)
    return list(db.session.scalars(statement))


def machines_of(lab: Lab, include_retired: bool = False) -> list[Machine]:
    statement = select(Machine).where(Machine.lab_id == lab.id).order_by(Machine.name)
    if not include_retired:
        statement = statement.where(Machine.status != MachineStatus.RETIRED)
    return list(db.session.scalars(statement))


# ---------------------------------------------------------------- utilization


@dataclass
class Period:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def check_period(first: date | None, last: date | None, today: date) -> Period:
    first = first or today.replace(day=1)
    last = last or today
    if last < first:
        raise DomainError(_("The end comes after the start."), field="last")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise DomainError(_("Choose a period of at most a year."), field="last")
    return Period(first, last)


def open_minutes(lab: Lab, period: Period) -> int:
    """Minutes the lab is open in the period, counted from its weekly hours less the holidays,
    with the staff's decisions (one query): the same cost for a week and for a year."""
    weekly = {row.weekday: _minutes_between(row.opens, row.closes) for row in lab.hours}
    weeks, rest = divmod(period.days, 7)
    total = weeks * sum(weekly.values())
    for offset in range(rest):
        total += weekly.get((period.last - timedelta(days=offset)).weekday(), 0)
    decided = {
        row.day: row.open
        for row in db.session.scalars(
            select(LabDay).where(
                LabDay.lab_id == lab.id, LabDay.day.between(period.first, period.last)
            )
        )
    }
    holidays_in = {
        day
        for year in range(period.first.year, period.last.year + 1)
        for day in _holidays(year, "vi")
        if period.first <= day <= period.last
    }
    for day in holidays_in | set(decided):  # counted above as ordinary days
        if not decided.get(day, day not in holidays_in):
            total -= weekly.get(day.weekday(), 0)
    return total


def _minutes_between(opens: time, closes: time) -> int:
    return (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _figures_source(period: Period) -> Any:
    """Rows (machine, lab, booked, used, no-shows) covering the period: the stored months that
    lie wholly inside it, and the stored days of the partial months at its ends."""
    first_month = period.first if period.first.day == 1 else _next_month(period.first)
    after = period.last + timedelta(days=1)
    end = after if after.day == 1 else period.last.replace(day=1)  # whole months: [first, end)
    if first_month >= end:
        first_month = end = period.first  # no whole month: days only
        edges = [(period.first, period.last)]
    else:
        edges = [(period.first, first_month - timedelta(days=1)), (end, period.last)]
    parts = [
        select(
            model.machine_id,
            model.lab_id,
            model.booked_minutes.label("booked"),
            model.used_minutes.label("used"),
            model.no_shows.label("no_shows"),
        ).where(condition)
        for model, condition in (
            (MachineMonth, and_(MachineMonth.month >= first_month, MachineMonth.month < end)),
            (MachineDay, or_(false(), *(MachineDay.day.between(a, b) for a, b in edges if a <= b))),
        )
    ]
    return union_all(*parts).subquery("stored")


# the sort keys of lists.UTILIZATION: labels of utilization_query's columns
BOOKED = literal_column("booked")
NO_SHOWS = literal_column("no_shows")


def utilization_query(labs: Sequence[Lab], period: Period) -> Select[Any]:
    """Rows (machine, booked, used, no-shows, open minutes) from the stored months and days:
    the cost follows the number of machines, never the number of bookings or of days."""
    opened = {lab.id: open_minutes(lab, period) for lab in labs}
    open_column = (
        case(*((Machine.lab_id == lab_id, literal(m)) for lab_id, m in opened.items()), else_=0)
        if opened
        else literal(0)
    )
    stored = _figures_source(period)
    sums = (
        select(
            stored.c.machine_id,
            func.sum(stored.c.booked).label("booked"),
            func.sum(stored.c.used).label("used"),
            func.sum(stored.c.no_shows).label("no_shows"),
        )
        .group_by(stored.c.machine_id)
        .subquery("sums")
    )
    return (
        select(
            Machine,
            func.coalesce(sums.c.booked, 0).label("booked"),
            func.coalesce(sums.c.used, 0).label("used"),
            func.coalesce(sums.c.no_shows, 0).label("no_shows"),
            open_column.label("open_minutes"),
        )
        .outerjoin(sums, sums.c.machine_id == Machine.id)
        .where(Machine.lab_id.in_([lab.id for lab in labs]))
        # the labs are in the session already: no join that LIMIT would wrap in a subquery
        .options(lazyload(Machine.lab))
    )


@dataclass
class LabFigures:
    lab: Lab
    booked: int
    used: int
    no_shows: int
    open_minutes: int
    machines: int

    @property
    def utilization(self) -> float | None:
        capacity = self.open_minutes * self.machines
        return self.booked / capacity if capacity else None


def lab_figures(labs: Sequence[Lab], period: Period) -> list[LabFigures]:
    """Per lab, from the stored months and days (one grouped query)."""
    stored = _figures_source(period)
    rows = {
        row.lab_id: row
        for row in db.session.execute(
            select(
                stored.c.lab_id,
                func.sum(stored.c.booked).label("booked"),
                func.sum(stored.c.used).label("used"),
                func.sum(stored.c.no_shows).label("no_shows"),
            )
            .where(stored.c.lab_id.in_([lab.id for lab in labs]))
            .group_by(stored.c.lab_id)
        )
    }
    machines = dict(
        db.session.execute(
            select(Machine.lab_id, func.count())
            .where(Machine.status != MachineStatus.RETIRED)
            .group_by(Machine.lab_id)
        ).all()
    )
    figures = []
    for lab in labs:
        row = rows.get(lab.id)
        figures.append(
            LabFigures(
                lab,
                int(row.booked) if row else 0,
                int(row.used) if row else 0,
                int(row.no_shows) if row else 0,
                open_minutes(lab, period),
                machines.get(lab.id, 0),
            )
        )
    return figures


def percent(value: float | None) -> str:
    return "–" if value is None else f"{format_number(value * 100, 0)} %"
