"""Mentoring: mentors assigned to startups in incubation, sessions logged from a phone and
confirmed by the founders, action items, monthly KPI check-ins and milestones."""

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
    from incubator.mentoring import access, api, assignments, panels, views

    app.register_blueprint(views.bp)
    register(app, api.bp)
    mentors = frozenset({Role.MENTOR})
    founders = frozenset({Role.FOUNDER})
    managers = frozenset({Role.MANAGER})
    contribute(
        app,
        MenuEntry(_l("My mentees"), "mentoring.mine", order=45, roles=mentors),
        MenuEntry(_l("Mentoring"), "mentoring.dashboard", order=55, roles=managers),
        MenuEntry(_l("Mentoring sessions"), "mentoring.sessions", order=25, roles=founders),
        Panel("mentoring/panel_mentor.html", panels.mentor, order=35, roles=mentors),
        Panel("mentoring/panel_founder.html", panels.founder, order=15, roles=founders),
        Panel("mentoring/panel_manager.html", panels.manager, order=25, roles=managers),
        Section(
            "startups.detail.wide", "mentoring/section_startup.html", panels.startup_section, 10
        ),
        Section("accounts.account", "mentoring/section_account.html", panels.account_section, 10),
        Schedule("mentoring-reminders", "incubator.mentoring:reminders_job", timedelta(hours=1)),
    )
    signals.open_data_figures.connect(api.open_data)
    signals.may_view_startup.connect(access.mentor_sees_startup)
    signals.stage_changed.connect(assignments.follow_stage)
    signals.session_confirmed.connect(api.session_confirmed)
    app.cli.add_command(send_reminders)


def reminders_job() -> None:
    """The scheduled job (runs in an app context)."""
    from incubator.mentoring.reminders import send_reminders as send

    send()


@click.command("send-reminders")
@with_appcontext
def send_reminders() -> None:
    """Send the mentoring reminders that are due (each reminder is sent once)."""
    from incubator.mentoring.reminders import send_reminders as send

    counts = send()
    click.echo(
        f"Reminders: {counts.confirm} sessions to confirm, {counts.checkin} check-ins due, "
        f"{counts.action_items} action items due, {counts.flagged} sessions flagged to managers."
    )
