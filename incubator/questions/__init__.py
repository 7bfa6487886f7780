"""Questions: each call's application form (sections, typed questions, choices, conditions),
its editor, the ready-made library and the validator of each kind of answer."""

from flask import Flask


def init_app(app: Flask) -> None:
    from incubator.api.core import register
    from incubator.domains import Section, contribute
    from incubator.questions import api, panels, services, views

    app.register_blueprint(views.bp)
    register(app, api.bp)
    services.listen()
    contribute(
        app,
        Section("programs.detail", "questions/section_program.html", panels.program_form, order=5),
    )
