"""The site's shell: the home page that shows the panels the domains register, the language
switch and a health check."""

from flask import Flask


def init_app(app: Flask) -> None:
    from incubator.site import views

    app.register_blueprint(views.bp)
