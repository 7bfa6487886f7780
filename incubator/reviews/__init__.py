"""Reviews: reviewers assigned to applications, conflicts of interest, rubric scores."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from incubator import signals
    from incubator.accounts.models import Role
    from incubator.domains import MenuEntry, Panel, Section, contribute
    from incubator.reviews import panels, services, views

    app.register_blueprint(views.bp)
    mentors = frozenset({Role.MENTOR})
    contribute(
        app,
        MenuEntry(_l("My reviews"), "reviews.queue", order=40, roles=mentors),
        Panel("reviews/panel_mentor.html", panels.mentor, order=30, roles=mentors),
        Section(
            "applications.manage", "reviews/section_reviews.html", panels.reviews_section, order=10
        ),
    )
    signals.may_read_deck.connect(services.reviewer_reads_deck)
    signals.rubric_in_use.connect(services.rubric_scored)
    signals.stage_changed.connect(services.forget_withdrawn_scores)
