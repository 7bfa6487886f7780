"""Twenty identical requests at the same moment: one effect, clear answers, never a 500
(SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from incubator.applications.models import StageTransition
from incubator.applications.stages import Stage
from incubator.audit import AuditEntry
from incubator.db import db
from incubator.demodays.models import Certificate, DemoDay, DemoJudge, DemoScore, DemoSlot
from tests.test_concurrent_requests import TIMES, at_once


def _all_at_once(
    app: Flask, client: FlaskClient, calls: list[Callable[[FlaskClient], Any]]
) -> list[Any]:
    """Each call gets its own client sharing `client`'s session; all start together."""
    cookie = client.get_cookie("session")
    barrier = threading.Barrier(len(calls), timeout=60)
    answers: list[Any] = []
    failures: list[BaseException] = []

    def go(call: Callable[[FlaskClient], Any]) -> None:
        twin = app.test_client()
        twin.set_cookie("session", cookie.value)
        try:
            barrier.wait()
            answers.append(call(twin))
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=go, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert len(answers) == len(calls)
    assert 500 not in [a.status_code for a in answers]
    return answers


def _score_call(path: str, body: dict[str, Any]) -> Callable[[FlaskClient], Any]:
    return lambda c: c.post(path, data=json.dumps(body), content_type="application/json")


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_twenty_identical_score_saves_store_one_score(
    app: Flask, make_demo_day: Any, login: Any
) -> None:
    planned = make_demo_day(pitches=1, judges=1, status="judging")
    client = login(planned.judges[0])
    path = f"/demo-days/{planned.demo_day_id}/scores"
    body = {"slot": planned.slot_ids[0], "criterion": planned.criterion_ids[0], "value": 7}
    answers = _all_at_once(app, client, [_score_call(path, body)] * TIMES)
    assert [a.status_code for a in answers] == [200] * TIMES
    with app.app_context():
        assert db.session.scalars(select(DemoScore.value)).all() == [7]


def test_twenty_publications_publish_once(app: Flask, make_demo_day: Any, login: Any) -> None:
    planned = make_demo_day(pitches=1, judges=1, status="judging")
    client = login(planned.manager)
    statuses = at_once(
        app, client, f"/demo-days/{planned.demo_day_id}/status", {"change": "publish"}
    )
    assert set(statuses) == {302}
    with app.app_context():
        published = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "demo_day.publish")
        ).all()
        assert len(published) == 1
        assert db.session.get(DemoDay, planned.demo_day_id).published


def test_no_score_is_written_after_publication_even_at_the_same_moment(
    app: Flask, make_demo_day: Any, login: Any
) -> None:
    planned = make_demo_day(pitches=2, judges=1, status="judging")
    judge = login(planned.judges[0])
    manager = login(planned.manager)
    path = f"/demo-days/{planned.demo_day_id}/scores"
    calls = [
        _score_call(
            path,
            {
                "slot": planned.slot_ids[n % 2],
                "criterion": planned.criterion_ids[n % 2],
                "value": n % 11,
            },
        )
        for n in range(TIMES - 1)
    ]
    cookie_manager = manager.get_cookie("session").value

    def publish(twin: FlaskClient) -> Any:
        twin.set_cookie("session", cookie_manager)
        return twin.post(f"/demo-days/{planned.demo_day_id}/status", data={"change": "publish"})

    answers = _all_at_once(app, judge, [*calls, publish])
    assert {a.status_code for a in answers[:-1]} <= {200, 302, 409}
    with app.app_context():
        demo_day = db.session.get(DemoDay, planned.demo_day_id)
        assert demo_day.published
        latest = db.session.scalar(select(func.max(DemoScore.updated_at)))
        assert latest is None or latest <= demo_day.published_at
        # the stored results are those of the scores kept
        from incubator.demodays import standings

        stored = [(s.raw_mean, s.normalized) for s in demo_day.pitches]
        standings.recompute(demo_day)
        assert [(s.raw_mean, s.normalized) for s in demo_day.pitches] == stored
        db.session.rollback()


def test_twenty_identical_invitations_invite_once(
    app: Flask, make_demo_day: Any, make_user: Any, login: Any
) -> None:
    from incubator.accounts.models import Role

    planned = make_demo_day(judges=0)
    judge = make_user(Role.JUDGE)
    statuses = at_once(
        app,
        login(planned.manager),
        f"/demo-days/{planned.demo_day_id}/judges",
        {"email": judge.email},
    )
    assert set(statuses) == {302}
    with app.app_context():
        assert _count(DemoJudge) == 1


def test_twenty_identical_breaks_add_one(app: Flask, make_demo_day: Any, login: Any) -> None:
    planned = make_demo_day(pitches=1)
    statuses = at_once(
        app,
        login(planned.manager),
        f"/demo-days/{planned.demo_day_id}/breaks",
        {"minutes": "15", "label": "Giải lao", "once": "x" * 32},
    )
    assert set(statuses) == {302}
    with app.app_context():
        breaks = db.session.scalar(
            select(func.count()).select_from(DemoSlot).where(DemoSlot.application_id.is_(None))
        )
        assert breaks == 1


def test_twenty_identical_moves_move_once(app: Flask, make_demo_day: Any, login: Any) -> None:
    planned = make_demo_day(pitches=3)
    last = planned.slot_ids[-1]
    statuses = at_once(
        app,
        login(planned.manager),
        f"/demo-days/{planned.demo_day_id}/slots/{last}/move",
        {"position": "2", "direction": "up"},
    )
    assert set(statuses) == {302}
    with app.app_context():
        assert db.session.get(DemoSlot, last).position == 1


def test_twenty_identical_graduations_graduate_once(
    app: Flask, make_demo_day: Any, login: Any
) -> None:
    planned = make_demo_day(pitches=1, judges=1, status="published")
    statuses = at_once(
        app,
        login(planned.manager),
        f"/demo-days/{planned.demo_day_id}/decide",
        {"decision": "graduate", "slot_id": str(planned.slot_ids[0])},
    )
    assert set(statuses) == {302}
    with app.app_context():
        graduated = db.session.scalar(
            select(func.count())
            .select_from(StageTransition)
            .where(StageTransition.to_stage == Stage.GRADUATED)
        )
        assert graduated == 1
        assert _count(Certificate) == 1


def test_twenty_identical_reorders_give_that_order(
    app: Flask, make_demo_day: Any, login: Any
) -> None:
    planned = make_demo_day(pitches=3)
    wanted = list(reversed(planned.slot_ids))
    statuses = at_once(
        app,
        login(planned.manager),
        f"/demo-days/{planned.demo_day_id}/order",
        {"order": ",".join(map(str, wanted))},
    )
    assert set(statuses) == {302}
    with app.app_context():
        assert [s.id for s in db.session.get(DemoDay, planned.demo_day_id).slots] == wanted
