"""The site's shell: the home page that shows the panels the domains register, the language
switch and a health check."""

from flask import Flask


def init_app(app: Flask) -> None:
    from incubator.accounts.models import Role
    from incubator.domains import Panel, contribute
    from incubator.site import views

    app.register_blueprint(views.bp)
    # Judges have nothing to do yet; the demo-day domain will give them their panel.
    contribute(
        app,
        Panel("site/panel_judge.html", lambda _user: {}, order=40, roles=frozenset({Role.JUDGE})),
    )
