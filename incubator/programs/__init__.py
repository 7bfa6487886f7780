"""Programs: the centers' calls for applications and the cohorts that come out of them."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from incubator.accounts.models import Role
    from incubator.api.core import register
    from incubator.domains import MenuEntry, Panel, contribute
    from incubator.programs import api, panels, views

    app.register_blueprint(views.bp)
    register(app, api.bp)
    managers = frozenset({Role.MANAGER, Role.ADMIN})
    contribute(
        app,
        MenuEntry(_l("Open calls"), "programs.calls", order=10),
        MenuEntry(_l("Programs"), "programs.manage", order=50, roles=managers),
        Panel("programs/panel_welcome.html", panels.welcome, order=0, anonymous=True),
    )
