"""Demo days: the running order of a program's pitches, judges scoring from their phones
(saved as typed, kept on the device while offline), normalized results that freeze when
published, the graduation decisions and verifiable certificates of completion."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from incubator import signals
    from incubator.accounts.models import Role
    from incubator.api.core import register
    from incubator.demodays import api, decisions, panels, results, views
    from incubator.domains import MenuEntry, Panel, Section, contribute

    app.register_blueprint(views.bp)
    register(app, api.bp)
    app.register_blueprint(views.verify_bp)
    contribute(
        app,
        MenuEntry(_l("Demo days"), "demodays.index", order=58, roles=frozenset({Role.MANAGER})),
        MenuEntry(_l("Judging"), "demodays.index", order=48, roles=frozenset({Role.JUDGE})),
        Panel("demodays/panel_judge.html", panels.judge, order=40, roles=frozenset({Role.JUDGE})),
        Panel(
            "demodays/panel_manager.html", panels.manager, order=28, roles=frozenset({Role.MANAGER})
        ),
        Section(
            "startups.detail.wide", "demodays/section_startup.html", panels.startup_section, 20
        ),
    )
    signals.stage_changed.connect(decisions.follow_stage)
    signals.report_sections.connect(results.report_sections)
