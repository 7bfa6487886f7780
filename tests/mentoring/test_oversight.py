"""What the center's managers follow, without HTTP: sessions flagged after 7 days unconfirmed
and the figures of the three dashboards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from incubator.accounts.models import User
from incubator.applications.stages import Stage
from incubator.db import db, utcnow
from incubator.mentoring import checkins, oversight, sessions
from incubator.mentoring.models import (
    ActionItem,
    MentoredStartup,
    Milestone,
    MilestoneStatus,
    local_today,
)
from tests.mentoring.fixtures import log_committed, user_in_db


def test_only_sessions_unconfirmed_for_more_than_7_days_are_flagged(
    ctx: Any, assigned: Any, manager_of: Any
) -> None:
    assignment_id, mentor, _founder, _startup_id = assigned()
    old, recent = log_committed(assignment_id, mentor), log_committed(assignment_id, mentor)
    now = utcnow()
    old.created_at = now - timedelta(days=9, hours=1)
    recent.created_at = now - timedelta(days=6)
    db.session.commit()
    center_id = old.center_id
    assert oversight.flagged_sessions(center_id, now) == [(old, 9)]
    assert oversight.flagged_count(center_id, now) == 1
    smic = db.session.get(User, manager_of("SMIC").id).managed_center_id
    assert oversight.flagged_sessions(smic, now) == []


def test_the_figures_of_the_three_dashboards(
    ctx: Any, assigned: Any, manager_of: Any, make_mentored: Any
) -> None:
    assignment_id, mentor, _founder, startup_id = assigned()
    make_mentored()  # a second startup with no session and no check-in
    log_committed(assignment_id, mentor)
    now = utcnow()
    mentor_user = user_in_db(mentor)
    assert sessions.mentor_sessions_this_month(mentor_user, now) == 1
    assert sessions.mentor_awaiting_count(mentor_user) == 1
    db.session.add(
        Milestone(
            startup_id=startup_id,
            title="Ra mắt",
            due_on=local_today() + timedelta(days=9),
            status=MilestoneStatus.IN_PROGRESS,
        )
    )
    db.session.add(
        Milestone(
            startup_id=startup_id, title="Xong", due_on=local_today(), status=MilestoneStatus.DONE
        )
    )
    db.session.flush()
    assert checkins.next_milestone(startup_id).title == "Ra mắt"
    center_id = db.session.get(MentoredStartup, startup_id).center_id
    assert dict(oversight.stage_counts(center_id)) == {Stage.INCUBATING: 2}
    assert oversight.quiet_count(center_id, now) == 1
    assert oversight.missing_count(center_id, local_today()) == 2
    assert db.session.scalars(select(ActionItem)).all()
