"""Twenty identical requests at once to the API's creating endpoints: one creation, clear
answers for the rest, never a 5xx (the booking case is in test_fablab.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from incubator.accounts.models import Role
from incubator.applications.models import Application
from incubator.db import db, utcnow
from incubator.mentoring.models import CheckIn
from incubator.startups.models import Startup
from tests.together import TIMES, released_together


def at_once(
    app: Flask, token: str, method: str, path: str, body: Any, headers: dict[str, str] | None = None
) -> list[tuple[int, Any]]:
    def send(_number: int) -> tuple[int, Any]:
        response = app.test_client().open(
            path,
            method=method,
            json=body,
            headers={"Authorization": f"Bearer {token}", **(headers or {})},
        )
        return response.status_code, response.get_json()

    answers = released_together(send, TIMES)
    assert all(status < 500 for status, _body in answers), answers
    return answers


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_one_startup_for_one_idempotency_key(
    app: Flask, make_user: Any, make_token: Callable[..., str]
) -> None:
    token = make_token(make_user(Role.FOUNDER))
    body = {"name": "Một lần", "sector": "edtech", "trl": 3, "team_size": 2}
    answers = at_once(app, token, "POST", "/api/v1/startups", body, {"Idempotency-Key": "k" * 24})
    # one ran; the others waited for its answer and got it again (or 409 after a long wait)
    made = [answer for status, answer in answers if status == 201]
    assert made and len({answer["id"] for answer in made}) == 1
    assert {status for status, _ in answers} <= {201, 409}
    assert _count(app, Startup) == 1


def test_one_application_per_startup_and_program(
    app: Flask, make_user: Any, make_startup: Any, make_program: Any, make_token: Any
) -> None:
    founder = make_user(Role.FOUNDER)
    startup, program = make_startup(founder), make_program()
    body = {"startup_id": startup.id, "program_id": program.id}
    answers = at_once(app, make_token(founder), "POST", "/api/v1/applications", body)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * (TIMES - 1), statuses
    refusals = {a["error"]["code"] for s, a in answers if s == 409}
    assert refusals <= {"duplicate_application", "conflict"}, refusals
    assert _count(app, Application) == 1


def test_one_checkin_per_month(app: Flask, assigned: Any, make_token: Any) -> None:
    _assignment, _mentor, founder, startup_id = assigned()

    body = {
        "month": utcnow().date().replace(day=1).isoformat(),
        "revenue_vnd": 1_000_000,
        "customers": 1,
        "funding_raised_vnd": 0,
        "headcount": 2,
    }
    answers = at_once(
        app, make_token(founder), "POST", f"/api/v1/startups/{startup_id}/checkins", body
    )
    assert {status for status, _ in answers} == {201}
    assert _count(app, CheckIn) == 1
