"""Once, also at once (issue 29, finding 6): the token and webhook forms run once per form,
the token limit holds under simultaneous requests, and every API POST takes an
`Idempotency-Key` (a repeat gets the first answer; twenty at once make one thing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from incubator.accounts.models import Role, User
from incubator.api.models import ApiToken, IdempotencyKey, Webhook
from incubator.api.tokens import MAX_LIVE_TOKENS
from incubator.db import db, utcnow
from incubator.i18n import to_local
from incubator.mentoring.models import MentoringSession
from incubator.once import new_token
from incubator.startups.models import Startup
from tests.together import TIMES, released_together

STARTUP = {"name": "Một lần", "sector": "edtech", "trl": 3, "team_size": 2}


def _count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def at_once(send: Callable[[int], Any]) -> list[Any]:
    """`send(n)` for n in 0..TIMES-1 from as many threads, released together; no 5xx."""
    answers = released_together(send, TIMES)
    assert all(answer.status_code < 500 for answer in answers), [a.status_code for a in answers]
    return answers


def twins(app: Flask, client: FlaskClient) -> list[FlaskClient]:
    """TIMES clients sharing `client`'s session (one browser, many clicks)."""
    cookie = client.get_cookie("session")
    made = []
    for _ in range(TIMES):
        twin = app.test_client()
        twin.set_cookie("session", cookie.value)
        made.append(twin)
    return made


# ------------------------------------------------------------------- web forms


def test_twenty_identical_token_forms_make_one_token(
    app: Flask, make_user: Any, login: Any
) -> None:
    user = make_user(Role.FOUNDER)
    clients = twins(app, login(user))
    form = {"token_name": "Kịch bản", "once": new_token()}
    answers = at_once(lambda n: clients[n].post("/account/tokens", data=form))
    assert {answer.status_code for answer in answers} <= {200, 302}
    shown = [a for a in answers if a.status_code == 200]
    assert len(shown) == 1 and "inc_" in shown[0].get_data(as_text=True)
    assert _count(app, ApiToken, ApiToken.user_id == user.id) == 1


def test_the_token_limit_holds_under_simultaneous_forms(
    app: Flask, make_user: Any, login: Any, make_token: Any
) -> None:
    user = make_user(Role.FOUNDER)
    for number in range(MAX_LIVE_TOKENS - 5):
        make_token(user, name=f"cũ {number}")
    clients = twins(app, login(user))
    answers = at_once(
        lambda n: clients[n].post(
            "/account/tokens", data={"token_name": f"mới {n}", "once": new_token()}
        )
    )
    assert sorted(a.status_code for a in answers) == [200] * 5 + [302] * (TIMES - 5)
    assert _count(app, ApiToken, ApiToken.user_id == user.id) == MAX_LIVE_TOKENS
    page = clients[0].get("/account").get_data(as_text=True)
    assert "token" in page


def test_a_token_form_sent_again_shows_no_second_token(
    app: Flask, make_user: Any, login: Any
) -> None:
    user = make_user(Role.FOUNDER, locale="en")
    client = login(user)
    form = {"token_name": "Kịch bản", "once": new_token()}
    assert client.post("/account/tokens", data=form).status_code == 200
    again = client.post("/account/tokens", data=form, follow_redirects=True)
    assert "the token was made once" in again.get_data(as_text=True)
    assert _count(app, ApiToken, ApiToken.user_id == user.id) == 1


def test_twenty_identical_webhook_forms_add_one_webhook(
    app: Flask, manager_of: Any, login: Any
) -> None:
    clients = twins(app, login(manager_of("BIIC")))
    form = {
        "url": "http://127.0.0.1:9/hook",
        "events": ["fablab.booking_created"],
        "once": new_token(),
    }
    answers = at_once(lambda n: clients[n].post("/webhooks", data=form))
    assert {answer.status_code for answer in answers} == {302}
    assert len({answer.headers["Location"] for answer in answers}) == 1
    assert _count(app, Webhook) == 1


# ----------------------------------------------------------- Idempotency-Key


def key() -> str:
    return new_token()


def test_a_repeat_with_the_key_gets_the_first_answer(app: Flask, make_user: Any, api: Any) -> None:
    client = api(make_user(Role.FOUNDER))
    headers = {"Idempotency-Key": key()}
    first = client.post("/api/v1/startups", json=STARTUP, headers=headers)
    again = client.post("/api/v1/startups", json=STARTUP, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count(app, Startup) == 1
    other = client.post("/api/v1/startups", json=STARTUP, headers={"Idempotency-Key": key()})
    assert other.status_code == 201 and _count(app, Startup) == 2


def test_a_refusal_is_kept_and_given_again_too(app: Flask, make_user: Any, api: Any) -> None:
    client = api(make_user(Role.FOUNDER))
    headers = {"Idempotency-Key": key()}
    bad = {**STARTUP, "trl": 99}
    first = client.post("/api/v1/startups", json=bad, headers=headers)
    assert first.status_code == 422
    again = client.post("/api/v1/startups", json=bad, headers=headers)
    assert (again.status_code, again.get_json()) == (422, first.get_json())


def test_the_same_key_for_another_request_is_refused(app: Flask, make_user: Any, api: Any) -> None:
    client = api(make_user(Role.FOUNDER))
    headers = {"Idempotency-Key": key()}
    assert client.post("/api/v1/startups", json=STARTUP, headers=headers).status_code == 201
    changed = client.post("/api/v1/startups", json={**STARTUP, "name": "Khác"}, headers=headers)
    assert changed.status_code == 422
    error = changed.get_json()["error"]
    assert error["code"] == "idempotency_key_reused" and "Idempotency-Key" in error["fields"]
    elsewhere = client.post("/api/v1/reports", json=STARTUP, headers=headers)
    assert elsewhere.get_json()["error"]["code"] == "idempotency_key_reused"
    assert _count(app, Startup) == 1


def test_keys_are_per_user(app: Flask, make_user: Any, api: Any) -> None:
    headers = {"Idempotency-Key": key()}
    for number in range(2):
        client = api(make_user(Role.FOUNDER))
        body = {**STARTUP, "name": f"Một lần {number}"}  # (a startup's name is unique)
        assert client.post("/api/v1/startups", json=body, headers=headers).status_code == 201
    assert _count(app, Startup) == 2


@pytest.mark.parametrize("bad", ["short", "x" * 65, "ключ-" * 5, "a b" * 10])
def test_a_malformed_key_is_a_400(app: Flask, make_user: Any, api: Any, bad: str) -> None:
    client = api(make_user(Role.FOUNDER))
    answer = client.post("/api/v1/startups", json=STARTUP, headers={"Idempotency-Key": bad})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "bad_idempotency_key"
    assert _count(app, Startup) == 0


def test_without_a_key_posts_still_work(app: Flask, make_user: Any, api: Any) -> None:
    client = api(make_user(Role.FOUNDER))
    for _ in range(2):
        assert client.post("/api/v1/startups", json=STARTUP).status_code == 201
    assert _count(app, Startup) == 2
    assert _count(app, IdempotencyKey) == 0


def test_a_server_error_frees_the_key(
    app: Flask, make_user: Any, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incubator.startups import services

    client = api(make_user(Role.FOUNDER))
    headers = {"Idempotency-Key": key()}
    create = services.create_startup

    def broken(*_args: Any) -> Any:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "create_startup", broken)
    assert client.post("/api/v1/startups", json=STARTUP, headers=headers).status_code == 500
    monkeypatch.setattr(services, "create_startup", create)
    assert client.post("/api/v1/startups", json=STARTUP, headers=headers).status_code == 201
    assert _count(app, Startup) == 1


def test_keys_are_kept_a_day(app: Flask, make_user: Any, api: Any) -> None:
    from incubator.api import idempotency_sweep_job

    client = api(make_user(Role.FOUNDER))
    headers = {"Idempotency-Key": key()}
    assert client.post("/api/v1/startups", json=STARTUP, headers=headers).status_code == 201
    with app.app_context():
        idempotency_sweep_job()
        assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1
        db.session.execute(
            update(IdempotencyKey).values(created_at=utcnow() - timedelta(days=1, minutes=1))
        )
        db.session.commit()
    # a day later the key is free again (found on the way, or swept)
    assert client.post("/api/v1/startups", json=STARTUP, headers=headers).status_code == 201
    assert _count(app, Startup) == 2
    with app.app_context():
        db.session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(days=2)))
        db.session.commit()
        idempotency_sweep_job()
    assert _count(app, IdempotencyKey) == 0


def test_the_document_offers_the_key_on_every_post(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    posts = [item["post"] for item in document["paths"].values() if "post" in item]
    assert len(posts) >= 7
    for operation in posts:
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert "Idempotency-Key" in names


def test_twenty_startups_at_once_with_one_key_make_one(
    app: Flask, make_user: Any, make_token: Any
) -> None:
    token = make_token(make_user(Role.FOUNDER))
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key()}
    answers = at_once(
        lambda _n: app.test_client().post("/api/v1/startups", json=STARTUP, headers=headers)
    )
    made = [a.get_json() for a in answers if a.status_code == 201]
    waiting = [a.get_json() for a in answers if a.status_code == 409]
    assert len(made) + len(waiting) == TIMES and made
    assert len({answer["id"] for answer in made}) == 1
    assert {w["error"]["code"] for w in waiting} <= {"idempotency_in_progress"}
    assert _count(app, Startup) == 1


def test_twenty_sessions_at_once_with_one_key_make_one(
    app: Flask, assigned: Any, make_token: Any
) -> None:
    _assignment, mentor, _founder, startup_id = assigned()
    body = {
        "startup_id": startup_id,
        "started_at": to_local(utcnow() - timedelta(hours=2)).isoformat(),
        "duration_minutes": 60,
        "format": "in_person",
        "topics": ["Gọi vốn"],
        "summary": "Chuẩn bị bản thuyết trình gọi vốn.",
    }
    headers = {"Authorization": f"Bearer {make_token(mentor)}", "Idempotency-Key": key()}
    answers = at_once(
        lambda _n: app.test_client().post("/api/v1/mentoring/sessions", json=body, headers=headers)
    )
    assert {a.status_code for a in answers} <= {201, 409}
    assert len({a.get_json()["id"] for a in answers if a.status_code == 201}) == 1
    assert _count(app, MentoringSession) == 1
    # without a key (and without client_key) a session is still logged
    again = app.test_client().post(
        "/api/v1/mentoring/sessions", json=body, headers=headers | {"Idempotency-Key": key()}
    )
    assert again.status_code == 201
    with app.app_context():
        assert db.session.get(User, mentor.id) is not None
