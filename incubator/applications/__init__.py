"""Applications: drafts, pitch decks, and the stage machine that carries a startup through a
program (board, ranking, decisions)."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from incubator import signals
    from incubator.accounts.models import Role
    from incubator.api.core import register
    from incubator.applications import access, answers, api, decks, panels, views
    from incubator.domains import MenuEntry, Panel, Section, contribute

    app.register_blueprint(views.bp)
    register(app, api.bp)
    founders = frozenset({Role.FOUNDER})
    contribute(
        app,
        MenuEntry(_l("My applications"), "applications.mine", order=30, roles=founders),
        Panel(
            "applications/panel_manager.html",
            panels.manager,
            order=20,
            roles=frozenset({Role.MANAGER, Role.ADMIN}),
        ),
        Panel("applications/panel_founder.html", panels.founder, order=50, roles=founders),
        Section(
            "programs.detail",
            "applications/section_stage_counts.html",
            panels.stage_counts_section,
            order=10,
        ),
        Section(
            "startups.detail",
            "applications/section_startup_applications.html",
            panels.startup_applications_section,
            order=10,
        ),
    )
    signals.open_data_figures.connect(api.open_data)
    signals.may_view_startup.connect(access.manager_sees_applicant)
    signals.startups_visible_to.connect(access.startups_applied_to_center)
    signals.stage_changed.connect(api.stage_changed)
    signals.call_has_applicants.connect(access.has_applicants)
    signals.may_archive_startup.connect(access.manager_may_archive)
    signals.startup_in_progress.connect(access.in_progress)
    signals.form_in_use.connect(access.form_used)
    signals.question_deleted.connect(decks.forget_answer_files)
    signals.stored_files.connect(decks.stored_files)
    app.jinja_env.globals.update(answer_sections=answers.answer_sections)
