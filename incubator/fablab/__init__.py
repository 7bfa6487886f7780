"""Fablab: labs with opening hours and closed days, machines, training certificates, bookings
that can never overlap, maintenance, check-in and no-shows, utilization."""

from datetime import timedelta

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from incubator import signals
    from incubator.accounts.models import Role
    from incubator.api.core import register
    from incubator.domains import MenuEntry, Panel, Schedule, Section, contribute
    from incubator.fablab import api, calendar, machines, panels, views

    app.register_blueprint(views.bp)
    register(app, api.bp)
    managers = frozenset({Role.MANAGER, Role.ADMIN})
    users = frozenset({Role.FOUNDER, Role.MANAGER, Role.ADMIN})
    contribute(
        app,
        MenuEntry(_l("Fablab"), "fablab.labs", order=60, roles=users),
        Panel("fablab/panel_bookings.html", panels.bookings, order=40),
        Panel("fablab/panel_staff.html", panels.staff, order=30, roles=managers),
        Section("accounts.account", "fablab/section_account.html", panels.account_section, 10),
        Schedule("fablab-no-shows", "incubator.fablab:no_shows_job", timedelta(minutes=5)),
        Schedule("fablab-certificates", "incubator.fablab:certificates_job", timedelta(hours=6)),
    )
    signals.open_data_figures.connect(api.open_data)
    signals.calendar_events.connect(calendar.booking_events)
    signals.booking_created.connect(api.booking_created)
    signals.booking_cancelled.connect(api.booking_cancelled)
    signals.stored_files.connect(machines.stored_photos)
    app.cli.add_command(release_no_shows)


def no_shows_job() -> None:
    """The scheduled job (runs in an app context)."""
    from incubator.fablab.noshows import release_no_shows as release

    release()


def certificates_job() -> None:
    from incubator.fablab.certificates import certificate_reminders

    certificate_reminders()


@click.command("release-no-shows")
@with_appcontext
def release_no_shows() -> None:
    """Mark bookings not checked in 15 minutes after their start as no-shows (idempotent)."""
    from incubator.fablab.noshows import release_no_shows as release

    click.echo(f"No-shows released: {release()}.")
