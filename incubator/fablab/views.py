"""Fablab pages: each parses, authorizes through a loader, calls one service through
`perform` and redirects or renders."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from incubator import storage
from incubator.accounts.models import Role
from incubator.centers.services import all_centers
from incubator.db import utcnow
from incubator.errors import DomainError
from incubator.fablab import lists, noshows
from incubator.fablab.booking_rules import bookable_startups, incubating_startups
from incubator.fablab.bookings import book as make_booking
from incubator.fablab.bookings import (
    bookings_query,
    cancel_booking,
    changeable_booking,
    day_bookings,
    managed_booking,
    move_booking,
    sibling_machines,
)
from incubator.fablab.certificates import (
    grant_certificate,
    managed_certificate,
    recent_certificates,
    revoke_certificate,
    user_by_email,
    valid_certificate,
)
from incubator.fablab.charts import utilization_chart
from incubator.fablab.common import duration, is_staff, local_day, monday_of
from incubator.fablab.forms import (
    WEEKDAYS,
    WEEKDAYS_SHORT,
    BookingForm,
    CancelForm,
    CertificateForm,
    DayForm,
    LabForm,
    MachineForm,
    MaintenanceForm,
    MoveForm,
    PeriodForm,
    StatusForm,
)
from incubator.fablab.labs import (
    decided_days,
    labs_of,
    managed_lab,
    save_lab,
    set_day,
    upcoming_holidays,
)
from incubator.fablab.machines import (
    machine_photo,
    machines_of,
    managed_machine,
    save_machine,
    set_status,
    viewable_machine,
)
from incubator.fablab.maintenance import block_machine, managed_block, remove_block, upcoming_blocks
from incubator.fablab.models import Lab, Machine, MachineCategory, MachineStatus
from incubator.fablab.noshows import check_in, no_show_counts, staffed_startup
from incubator.fablab.slots import week_view
from incubator.fablab.utilization import check_period, lab_figures, percent, utilization_query
from incubator.i18n import format_time, local_to_utc, to_local
from incubator.security import logged_in, roles
from incubator.web import flash_form_errors, once_address, perform, perform_once

bp = Blueprint("fablab", __name__, url_prefix="/fablab")
STAFF = (Role.MANAGER, Role.ADMIN)


def _day_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _today() -> date:
    return local_day(utcnow())


# ------------------------------------------------------------------- labs


@bp.get("/")
@logged_in
def labs() -> Any:
    shown = labs_of()
    return render_template(
        "fablab/labs.html",
        labs=[(lab, machines_of(lab)) for lab in shown],
        staff_of={lab.id: is_staff(current_user, lab) for lab in shown},
        no_shows=no_show_counts(current_user) if current_user.has_role(*STAFF) else [],
        center_codes={lab.center_id: lab.center.code for lab in shown},
    )


@bp.route("/labs/new", methods=["GET", "POST"])
@roles(*STAFF)
def new_lab() -> Any:
    if (fresh := once_address()) is not None:
        return fresh
    center_id = current_user.managed_center_id or all_centers()[0].id
    return _lab_form(None, center_id)


@bp.route("/labs/<int:lab_id>/edit", methods=["GET", "POST"])
@roles(*STAFF)
def edit_lab(lab_id: int) -> Any:
    lab = managed_lab(current_user, lab_id)
    return _lab_form(lab, lab.center_id)


def _lab_form(lab: Any, center_id: int) -> Any:
    form = LabForm(obj=lab)
    if lab is not None and not form.is_submitted():
        form.fill_hours(lab)
    if form.validate_on_submit():
        if lab is None:  # created once per form, however often it is sent
            outcome = perform_once(
                form, Lab, save_lab, current_user, center_id, None, form.data_out()
            )
        else:
            outcome = perform(save_lab, current_user, center_id, lab, form.data_out(), form=form)
        if outcome.ok:
            flash(_("The lab is saved."), "success")
            return redirect(url_for("fablab.labs"))
    return render_template("fablab/lab_form.html", form=form, lab=lab)


@bp.route("/labs/<int:lab_id>/days", methods=["GET", "POST"])
@roles(*STAFF)
def days(lab_id: int) -> Any:
    lab = managed_lab(current_user, lab_id)
    form = DayForm()
    if form.validate_on_submit():
        outcome = perform(
            set_day, current_user, lab, form.day.data, form.is_open(), form.note.data or ""
        )
        if outcome.ok:
            flash(_("The day is saved."), "success")
            return redirect(url_for("fablab.days", lab_id=lab.id))
    today = _today()
    return render_template(
        "fablab/days.html",
        lab=lab,
        form=form,
        decided=decided_days(lab, today),
        holidays=upcoming_holidays(today),
    )


@bp.get("/labs/<int:lab_id>/today")
@roles(*STAFF)
def today(lab_id: int) -> Any:
    lab = managed_lab(current_user, lab_id)
    day = _day_arg("day") or _today()
    return render_template(
        "fablab/today.html",
        lab=lab,
        day=day,
        bookings=day_bookings(lab, day),
        now=utcnow(),
        previous=day - timedelta(days=1),
        next=day + timedelta(days=1),
    )


# --------------------------------------------------------------- machines


@bp.get("/machines/<int:machine_id>")
@logged_in
def machine(machine_id: int) -> Any:
    item = viewable_machine(current_user, machine_id)
    now = utcnow()
    monday = monday_of(_day_arg("week") or local_day(now))
    staff = is_staff(current_user, item.lab)
    return render_template(
        "fablab/machine.html",
        machine=item,
        days=week_view(current_user, item, monday, now),
        monday=monday,
        sunday=monday + timedelta(days=6),
        previous=monday - timedelta(days=7),
        next=monday + timedelta(days=7),
        staff=staff,
        blocks=upcoming_blocks(item, now) if staff else [],
        certificate=valid_certificate(current_user, item, local_day(now)),
    )


@bp.route("/labs/<int:lab_id>/machines/new", methods=["GET", "POST"])
@roles(*STAFF)
def new_machine(lab_id: int) -> Any:
    lab = managed_lab(current_user, lab_id)  # another center's lab: 404 first
    if (fresh := once_address()) is not None:
        return fresh
    return _machine_form(lab, None)


@bp.route("/machines/<int:machine_id>/edit", methods=["GET", "POST"])
@roles(*STAFF)
def edit_machine(machine_id: int) -> Any:
    item = managed_machine(current_user, machine_id)
    return _machine_form(item.lab, item)


def _machine_form(lab: Any, item: Machine | None) -> Any:
    form = MachineForm(obj=item)
    if form.validate_on_submit():
        if item is None:  # created once per form, however often it is sent
            outcome = perform_once(
                form, Machine, save_machine, current_user, lab, None, form.data_out()
            )
        else:
            outcome = perform(save_machine, current_user, lab, item, form.data_out(), form=form)
        if outcome.ok:
            flash(_("The machine is saved."), "success")
            return redirect(url_for("fablab.machine", machine_id=outcome.value.id))
    return render_template(
        "fablab/machine_form.html", form=form, lab=lab, machine=item, status_form=StatusForm()
    )


@bp.get("/machines/<int:machine_id>/photo/<name>")
@logged_in
def photo(machine_id: int, name: str) -> Any:
    """The machine's photo (its address names the stored file: a new photo, a new address)."""
    key, mimetype = machine_photo(current_user, machine_id, name)
    return storage.send(key, name, mimetype, as_attachment=False, conditional=True)


@bp.post("/machines/<int:machine_id>/status")
@roles(*STAFF)
def status(machine_id: int) -> Any:
    item = managed_machine(current_user, machine_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        outcome = perform(
            set_status,
            current_user,
            item,
            MachineStatus(form.status.data),
            form.reason.data or "",
        )
        if outcome.ok:
            flash(
                _("The status is saved; %(n)d bookings were cancelled.", n=outcome.value),
                "success",
            )
    return redirect(url_for("fablab.edit_machine", machine_id=item.id))


@bp.route("/machines/<int:machine_id>/maintenance", methods=["GET", "POST"])
@roles(*STAFF)
def maintenance(machine_id: int) -> Any:
    item = managed_machine(current_user, machine_id)
    form = MaintenanceForm()
    if form.validate_on_submit():
        outcome = perform(
            block_machine,
            current_user,
            item,
            form.starts_at.data,
            form.ends_at.data,
            form.reason.data or "",
            form=form,
        )
        if outcome.ok:
            _block, cancelled = outcome.value
            flash(
                _(
                    "The machine is blocked; %(n)d bookings were cancelled and their owners "
                    "emailed.",
                    n=cancelled,
                ),
                "success",
            )
            return redirect(url_for("fablab.maintenance", machine_id=item.id))
    return render_template(
        "fablab/maintenance.html",
        machine=item,
        form=form,
        blocks=upcoming_blocks(item, utcnow()),
    )


@bp.post("/blocks/<int:block_id>/delete")
@roles(*STAFF)
def delete_block(block_id: int) -> Any:
    block = managed_block(current_user, block_id)
    machine_id = block.machine_id
    if perform(remove_block, current_user, block).ok:
        flash(_("The maintenance block is removed."), "success")
    return redirect(url_for("fablab.maintenance", machine_id=machine_id))


# --------------------------------------------------------------- bookings


def _start_arg() -> datetime | None:
    try:
        return local_to_utc(datetime.fromisoformat(request.args.get("start", "")))
    except ValueError:
        return None


@bp.route("/machines/<int:machine_id>/book", methods=["GET", "POST"])
@logged_in
def book(machine_id: int) -> Any:
    item = viewable_machine(current_user, machine_id)
    staff = is_staff(current_user, item.lab)
    # the staff: the center's startups in incubation; any other of the center by its name
    startups = incubating_startups(item.lab.center_id) if staff else bookable_startups(current_user)
    form = BookingForm(machine=item, startups=startups, staff=staff)
    if not form.is_submitted():
        start = _start_arg()
        if start is not None:
            form.fill(start)
        form.minutes.data = max(item.min_minutes, min(120, item.max_minutes))
    if form.validate_on_submit():
        outcome = perform(make_booking, current_user, item, form.data_out(), form=form)
        if outcome.ok:
            flash(_("Booked: %(machine)s.", machine=item.name), "success")
            return redirect(_week_url(outcome.value))
    return render_template(
        "fablab/book.html", machine=item, form=form, startups=startups, staff=staff
    )


def _week_url(booking: Any) -> str:
    week = local_day(booking.starts_at).isoformat()
    return url_for("fablab.machine", machine_id=booking.machine_id, week=week) + "#calendar"


@bp.get("/bookings")
@logged_in
def bookings() -> Any:
    return lists.BOOKINGS.render(
        "fablab/bookings.html",
        bookings_query(current_user),
        actor=current_user,
        cancel_form=CancelForm(),
    )


@bp.route("/bookings/<int:booking_id>/move", methods=["GET", "POST"])
@logged_in
def move(booking_id: int) -> Any:
    booking = changeable_booking(current_user, booking_id)
    machines = sibling_machines(booking.machine)
    form = MoveForm(machine=booking.machine, machines=machines)
    if not form.is_submitted():
        form.fill(booking.starts_at, booking.minutes)
    if form.validate_on_submit():
        outcome = perform(
            move_booking,
            current_user,
            booking,
            form.starts_at(),
            form.minutes.data,
            machine_id=form.machine_id.data,
            form=form,
        )
        if outcome.ok:
            flash(_("The booking is moved."), "success")
            return redirect(_week_url(outcome.value))
    return render_template("fablab/move.html", booking=booking, form=form, machines=machines)


@bp.post("/bookings/<int:booking_id>/cancel")
@logged_in
def cancel(booking_id: int) -> Any:
    booking = changeable_booking(current_user, booking_id)
    form = CancelForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif perform(cancel_booking, current_user, booking, form.reason.data or "").ok:
        flash(_("The booking is cancelled."), "success")
    return redirect(url_for("fablab.bookings"))


@bp.post("/bookings/<int:booking_id>/checkin")
@roles(*STAFF)
def checkin(booking_id: int) -> Any:
    booking = managed_booking(current_user, booking_id)
    if perform(check_in, current_user, booking).ok:
        flash(_("Checked in: %(who)s.", who=booking.user.name), "success")
    day = local_day(booking.starts_at).isoformat()
    return redirect(url_for("fablab.today", lab_id=booking.lab_id, day=day))


@bp.post("/startups/<int:startup_id>/no-shows/reset")
@roles(*STAFF)
def reset_no_shows(startup_id: int) -> Any:
    center_id = _center_arg()
    startup = staffed_startup(current_user, startup_id, center_id)
    if perform(noshows.reset_no_shows, current_user, startup, center_id).ok:
        flash(_("%(name)s may book again.", name=startup.name), "success")
    return redirect(url_for("fablab.labs"))


def _center_arg() -> int | None:
    """The center an administrator acts for (a manager acts for their own)."""
    value = request.form.get("center_id", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


# ----------------------------------------------------------- certificates


@bp.route("/certificates", methods=["GET", "POST"])
@roles(*STAFF)
def certificates() -> Any:
    center_id = current_user.managed_center_id
    machines = [m for lab in labs_of(center_id) for m in machines_of(lab) if m.training_required]
    centers = [] if center_id else [(c.id, c.code) for c in all_centers()]
    form = CertificateForm(machines=machines, centers=centers)
    if form.validate_on_submit():
        outcome = perform(_grant, form, form=form)
        if outcome.ok:
            flash(_("The certificate is granted."), "success")
            return redirect(url_for("fablab.certificates"))
    return render_template(
        "fablab/certificates.html",
        form=form,
        certificates=recent_certificates(current_user),
    )


def _grant(form: CertificateForm) -> Any:
    """Inside the transaction: find the person and the machine, then grant."""
    user = user_by_email(form.email.data or "")
    machine_id, category, center_id = form.target_parts()
    machine = None
    if machine_id is not None:
        machine = managed_machine(current_user, machine_id)
    if machine is None and category is None:
        raise DomainError(_("Choose a machine or a category."), field="target")
    return grant_certificate(
        current_user, user, machine, category, form.expires_on.data, center_id=center_id
    )


@bp.post("/certificates/<int:certificate_id>/revoke")
@roles(*STAFF)
def revoke(certificate_id: int) -> Any:
    certificate = managed_certificate(current_user, certificate_id)
    if perform(revoke_certificate, current_user, certificate).ok:
        flash(_("The certificate is revoked."), "success")
    return redirect(url_for("fablab.certificates"))


# ------------------------------------------------------------ utilization


@bp.get("/utilization")
@roles(*STAFF)
def utilization() -> Any:
    own = labs_of(None if current_user.is_admin else current_user.managed_center_id)
    shown = own
    chosen = request.args.get("lab", "")
    if chosen.isdigit():
        shown = [lab for lab in shown if lab.id == int(chosen)] or shown
    form = PeriodForm(request.args)
    today = _today()
    try:
        if request.args and not form.validate():
            raise DomainError(_("Write the dates as dd/mm/yyyy."))
        period = check_period(form.first.data, form.last.data, today)
    except DomainError as error:
        flash(error.message, "error")
        period = check_period(None, None, today)
    figures = lab_figures(shown, period)
    return lists.UTILIZATION.render(
        "fablab/utilization.html",
        utilization_query(shown, period),
        actor=current_user,
        filename=f"fablab-utilization-{period.first}-{period.last}.csv",
        form=form,
        period=period,
        figures=figures,
        labs=own,
        chosen=chosen,
        chart=utilization_chart,
        categories=MachineCategory,
    )


# ---------------------------------------------------------------- filters


@bp.app_template_filter("clock")
def clock(moment: datetime) -> str:
    """hh:mm in Asia/Ho_Chi_Minh."""
    return format_time(moment)


@bp.app_template_filter("local_iso")
def local_iso(moment: datetime) -> str:
    """yyyy-mm-ddThh:mm in Asia/Ho_Chi_Minh (the booking form's ?start=)."""
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


@bp.app_template_filter("local_date_iso")
def local_date_iso(moment: datetime) -> str:
    return local_day(moment).isoformat()


@bp.app_template_global("weekday_name")
def weekday_name(day: date) -> str:
    return str(WEEKDAYS[day.weekday()])


@bp.app_template_global("weekday_short")
def weekday_short(number: int) -> str:
    return str(WEEKDAYS_SHORT[number])


bp.add_app_template_global(duration, "duration")
bp.add_app_template_global(percent, "percent")
