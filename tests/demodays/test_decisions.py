"""Demo-day decisions without HTTP: graduating through the stage machine, with a certificate."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.demodays import decisions, planning
from incubator.demodays.models import Certificate
from incubator.errors import DomainError
from tests.demodays.fixtures import change_status, demo_day_of, in_db, user_of


def test_graduating_goes_through_the_stage_machine_and_issues_a_certificate(
    app: Any, english: None, make_demo_day: Any
) -> None:
    planned = make_demo_day(pitches=2, judges=1, status="judging")
    manager = planned.manager
    with app.app_context():
        with pytest.raises(DomainError, match="Publish the results"):
            decisions.decide(user_of(manager), demo_day_of(planned), planned.slot_ids, "graduate")
        change_status(planned, planning.Change.PUBLISH)
        with db.transaction():
            moved = decisions.decide(
                user_of(manager),
                demo_day_of(planned),
                planned.slot_ids[:1],
                decisions.Decision.GRADUATE,
            )
        assert moved == 1
        with db.transaction():
            decisions.decide(
                user_of(manager),
                demo_day_of(planned),
                planned.slot_ids[1:],
                decisions.Decision.NOT_READY,
            )
        first, second = (in_db(Application, a) for a in planned.application_ids)
        assert first.stage is Stage.GRADUATED
        assert second.stage is Stage.INCUBATING
        assert [t.to_stage for t in first.transitions][-1] is Stage.GRADUATED
        certificates = db.session.scalars(select(Certificate)).all()
        assert [c.application_id for c in certificates] == [first.id]
        assert certificates[0].founders == [planned.founders[0].name]
        with pytest.raises(DomainError, match="already decided"):
            decisions.decide(user_of(manager), demo_day_of(planned), planned.slot_ids, "graduate")
