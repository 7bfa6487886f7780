"""Accounts: users, roles, sign-in, passwords and invitations."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from incubator import signals
    from incubator.accounts import cli, panels, sessions, views
    from incubator.accounts.models import Role
    from incubator.domains import MenuEntry, Panel, contribute

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.create_user)
    signals.backup_restored.connect(sessions.end_sessions_after)
    contribute(
        app,
        MenuEntry(_l("Users"), "accounts.users", order=90, roles=frozenset({Role.ADMIN})),
        Panel("accounts/panel_admin.html", panels.admin, order=10, roles=frozenset({Role.ADMIN})),
    )
