"""Startups: the profile and team that apply, incubate, pitch and graduate."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from incubator.accounts.models import Role
    from incubator.api.core import register
    from incubator.domains import MenuEntry, Panel, contribute
    from incubator.startups import api, panels, views

    app.register_blueprint(views.bp)
    register(app, api.bp)
    contribute(
        app,
        MenuEntry(_l("My startups"), "startups.mine", order=20, roles=frozenset({Role.FOUNDER})),
        Panel("startups/panel_invitations.html", panels.invitations, order=0),
    )
