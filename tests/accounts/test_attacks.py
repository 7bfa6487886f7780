"""Issue 7, "What a new user and an attacker found": sessions that can be ended, throttling
that cannot lock the owner out, reset links that work once, no account enumeration.

The concurrency tests send 20 requests at the same moment, each from its own test client
in its own thread; with TEST_DATABASE_URL they run on PostgreSQL.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from incubator.accounts.models import AccountToken, Role, User
from incubator.audit import AuditEntry
from incubator.db import db, utcnow
from incubator.mail import MemoryTransport
from tests.accounts.fixtures import PASSWORD

NEW_PASSWORD = "a-fresh-secret-7"
TOO_MANY = "Too many failed attempts. Please wait a few minutes and try again."
INVALID_LINK = "This link is invalid, expired or was already used."
RESET_SENT = "If an account exists for this email, we have sent a link to set a new password."
SIMULTANEOUS = 20


# ---------------------------------------------------------------- helpers


def html_of(response: Any) -> str:
    return response.get_data(as_text=True)


def flashes(html: str) -> list[str]:
    return [m.strip() for m in re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', html, re.S)]


def english(client: FlaskClient) -> FlaskClient:
    client.post("/language", data={"lang": "en", "next": "/"})
    return client


def from_address(app: Flask, address: str) -> FlaskClient:
    """A client whose requests come from `address`, in English."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def is_logged_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def log_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/login", data={"email": email, "password": password})


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def links_in(body: str) -> list[tuple[str, str]]:
    return re.findall(r"http://localhost(/[\w/-]*/)([\w-]{20,})\s", body)


def sent_to(outbox: MemoryTransport, email: str) -> list[dict[str, str]]:
    return [m for m in outbox.sent if m["to"] == email]


def count_rows(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


class HashChecks:
    """Counts the password hash checks of the account services."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from incubator.accounts import passwords

        self.count = 0
        self._lock = threading.Lock()
        real = passwords.check_password_hash

        def counted(hashed: str, password: str) -> bool:
            with self._lock:
                self.count += 1
            return real(hashed, password)

        monkeypatch.setattr(passwords, "check_password_hash", counted)


@pytest.fixture
def hash_checks(monkeypatch: pytest.MonkeyPatch) -> HashChecks:
    return HashChecks(monkeypatch)


@pytest.fixture
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """No throttle window ends in the middle of a test."""
    try:
        from incubator.accounts import throttle
    except ImportError:  # before the fix there were no windows
        return
    now = utcnow()
    monkeypatch.setattr(throttle, "now", lambda: now)


def at_once(app: Flask, request: Callable[[FlaskClient], Any], times: int = SIMULTANEOUS) -> list:
    """`request(client)` from `times` clients in as many threads, released together."""
    barrier = threading.Barrier(times, timeout=60)
    results: list[Any] = [None] * times
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            client = app.test_client()
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
            barrier.wait()
            results[index] = request(client)
        except BaseException as error:  # reported below, never lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    return results


# ------------------------------------------------ 4. sessions can be ended


def test_a_copied_session_cookie_stops_working_after_logout(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user(email="victim@example.test")
    browser = app.test_client()
    assert log_in(browser, user.email).status_code == 302
    thief = copy_of(app, browser)
    assert is_logged_in(thief)
    browser.post("/logout")
    assert not is_logged_in(browser)
    assert not is_logged_in(thief)


def test_a_password_change_ends_every_other_session(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user(email="victim@example.test")
    browser, laptop = app.test_client(), app.test_client()
    log_in(browser, user.email)
    log_in(laptop, user.email)
    thief = copy_of(app, laptop)
    response = browser.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert is_logged_in(browser)  # the session that changed it goes on
    assert not is_logged_in(laptop)
    assert not is_logged_in(thief)


def test_a_password_reset_ends_every_session(
    app: Flask, make_user: Callable[..., User], outbox: MemoryTransport
) -> None:
    user = make_user(email="victim@example.test", locale="en")
    laptop = app.test_client()
    log_in(laptop, user.email)
    thief = copy_of(app, laptop)
    app.test_client().post("/password/forgot", data={"email": user.email})
    [(path, raw)] = links_in(sent_to(outbox, user.email)[-1]["body"])
    owner = app.test_client()
    done = owner.post(path + raw, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert is_logged_in(owner)
    assert not is_logged_in(laptop)
    assert not is_logged_in(thief)


def test_the_account_page_lists_the_sessions_and_logs_out_everywhere_else(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user(email="many@example.test", locale="en")
    phone = app.test_client()
    log_in(
        phone,
        user.email,
    )
    desktop = app.test_client()
    desktop.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0 Safari/537.36"
    )
    log_in(desktop, user.email)
    page = html_of(desktop.get("/account"))
    sessions = page.split('id="sessions"')[1]
    rows = re.findall(r"<tr(?: class=\"this-device\")?>\s*<td>", sessions)
    assert len(rows) == 2
    this = re.search(r'<tr class="this-device">\s*<td>(.*?)</td>', sessions, re.S)
    assert this is not None
    assert "Chrome · Windows" in this.group(1)
    assert "this device" in this.group(1)
    form = re.search(
        r'<form method="post" action="/account/sessions/end-others"[^>]*data-confirm="[^"]+"',
        sessions,
    )
    assert form is not None, sessions
    assert 'name="csrf_token"' in sessions

    assert desktop.get("/account/sessions/end-others").status_code == 405
    response = desktop.post("/account/sessions/end-others")
    assert response.status_code == 302
    assert "You are logged out on every other device." in flashes(html_of(desktop.get("/account")))
    assert is_logged_in(desktop)
    assert not is_logged_in(phone)
    after = html_of(desktop.get("/account")).split('id="sessions"')[1]
    assert len(re.findall(r"<tr(?: class=\"this-device\")?>\s*<td>", after)) == 1
    assert "/account/sessions/end-others" not in after


def test_logging_out_everywhere_else_needs_the_csrf_token(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user(email="csrf@example.test")
    other = app.test_client()
    log_in(other, user.email)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        page = html_of(client.get("/login"))
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        assert client.post("/account/sessions/end-others").status_code == 400
        assert is_logged_in(other)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_user_loader_reads_the_session_and_the_user_in_one_query(
    app: Flask, make_user: Callable[..., User]
) -> None:
    from flask import session

    from incubator.accounts import sessions
    from incubator.security import _load_user

    user = make_user(Role.MANAGER, Role.JUDGE, center="SMIC")
    with app.app_context(), db.transaction():
        token = sessions.start_session(db.session.get(User, user.id), "192.0.2.1", "test")
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's own BEGIN (see incubator.db)
            statements.append(statement)

    engine = db.engine(app)
    with app.test_request_context("/"):
        session["sid"] = token
        event.listen(engine, "before_cursor_execute", record)
        try:
            loaded = _load_user(str(user.id))
            assert loaded is not None and loaded.id == user.id
            assert loaded.roles == {Role.MANAGER, Role.JUDGE}
            assert loaded.managed_center_id is not None
            assert [g.center.code for g in loaded.grants if g.center] == ["SMIC"]
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert len(statements) == 1, statements


def test_the_last_request_time_is_written_at_most_once_a_minute(
    app: Flask, make_user: Callable[..., User]
) -> None:
    from incubator.accounts.models import UserSession

    user = make_user()
    client = app.test_client()
    log_in(client, user.email)

    def last_seen() -> Any:
        with app.app_context():
            return db.session.scalar(select(UserSession.last_seen_at))

    first = last_seen()
    client.get("/")
    client.get("/account")
    assert last_seen() == first  # no write per request
    with app.app_context():
        row = db.session.scalar(select(UserSession))
        row.last_seen_at = utcnow() - timedelta(minutes=2)
        db.session.commit()
    client.get("/")
    assert last_seen() > first


# ------------------------------------------- 5. nobody can lock an account


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(
    app: Flask, make_user: Callable[..., User], pinned_clock: None
) -> None:
    user = make_user(email="owner@example.test")
    attacker = from_address(app, "198.51.100.66")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 3):
        log_in(attacker, user.email, "guess-guess")
    blocked = log_in(attacker, user.email, PASSWORD)
    assert blocked.status_code == 429
    assert TOO_MANY in html_of(blocked)
    owner = from_address(app, "192.0.2.10")
    assert log_in(owner, user.email, PASSWORD).status_code == 302


def test_failures_from_many_addresses_only_slow_the_account_down(
    app: Flask, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch, pinned_clock: None
) -> None:
    from incubator.accounts import views

    waits: list[float] = []
    monkeypatch.setattr(views, "wait", waits.append, raising=False)
    app.config.update(
        LOGIN_ACCOUNT_SLOW_AFTER=3,
        LOGIN_ACCOUNT_DELAY_SECONDS=0.5,
        LOGIN_ACCOUNT_MAX_DELAY_SECONDS=4,
    )
    user = make_user(email="owner@example.test")
    for number in range(8):  # a botnet: few tries per address
        response = log_in(from_address(app, f"198.51.100.{number}"), user.email, "guess-guess")
        assert response.status_code == 200
    assert waits == [0.5, 1, 2, 4, 4]  # growing, up to the maximum
    owner = from_address(app, "192.0.2.10")
    assert log_in(owner, user.email, PASSWORD).status_code == 302
    assert waits[-1] == 4  # the owner waited too, and got in


def test_simultaneous_wrong_passwords_are_checked_no_more_than_the_limit(
    app: Flask, make_user: Callable[..., User], hash_checks: HashChecks, pinned_clock: None
) -> None:
    user = make_user(email="target@example.test")
    limit = app.config["LOGIN_MAX_FAILURES"]

    def guess(client: FlaskClient) -> tuple[int, str]:
        response = log_in(client, user.email, "guess-guess")
        return response.status_code, html_of(response)

    results = at_once(app, guess)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * limit + [429] * (SIMULTANEOUS - limit)
    assert hash_checks.count == limit
    for status, html in results:
        expected = TOO_MANY if status == 429 else "The email or the password is not right."
        assert expected in html


def test_changing_the_password_is_throttled_too(
    app: Flask, make_user: Callable[..., User], pinned_clock: None
) -> None:
    user = make_user(email="stolen@example.test", locale="en")
    client = from_address(app, "198.51.100.7")
    log_in(client, user.email)
    wrong = {"current_password": "guess-guess", "new_password": NEW_PASSWORD}
    wrong["confirm"] = NEW_PASSWORD
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = client.post("/account/password", data=wrong)
        assert response.status_code == 200
        assert "The current password is not right." in html_of(response)
    right = dict(wrong, current_password=PASSWORD)
    response = client.post("/account/password", data=right)
    assert response.status_code == 429
    assert TOO_MANY in html_of(response)
    with app.app_context():
        assert db.session.get(User, user.id).password_hash == user.password_hash


# ------------------------------------------------------ 6. password reset


def test_reset_requests_are_throttled_per_email_with_the_same_answer(
    app: Flask, make_user: Callable[..., User], outbox: MemoryTransport, pinned_clock: None
) -> None:
    user = make_user(email="flooded@example.test", locale="en")
    answers = set()
    for number in range(25):
        client = from_address(app, f"198.51.100.{number}")
        response = client.post("/password/forgot", data={"email": user.email})
        assert response.status_code == 302
        answers.add(tuple(flashes(html_of(client.get("/login")))))
    assert answers == {(RESET_SENT,)}
    assert len(sent_to(outbox, user.email)) == app.config["RESET_MAX_PER_EMAIL"] == 3


def test_reset_requests_are_throttled_per_address(
    app: Flask, make_user: Callable[..., User], outbox: MemoryTransport, pinned_clock: None
) -> None:
    users = [make_user(email=f"user{n}@example.test") for n in range(12)]
    client = from_address(app, "198.51.100.1")
    for user in users:
        response = client.post("/password/forgot", data={"email": user.email})
        assert response.status_code == 302
        assert flashes(html_of(client.get("/login"))) == [RESET_SENT]
    assert len(outbox.sent) == app.config["RESET_MAX_PER_IP"] == 10


def test_simultaneous_reset_requests_send_no_more_than_the_limit(
    app: Flask, make_user: Callable[..., User], outbox: MemoryTransport, pinned_clock: None
) -> None:
    user = make_user(email="flooded@example.test")
    statuses = at_once(
        app,
        lambda client: client.post("/password/forgot", data={"email": user.email}).status_code,
    )
    assert statuses == [302] * SIMULTANEOUS
    assert len(sent_to(outbox, user.email)) == app.config["RESET_MAX_PER_EMAIL"]


def _two_reset_links(app: Flask, outbox: MemoryTransport, email: str) -> list[str]:
    for _ in range(2):
        app.test_client().post("/password/forgot", data={"email": email})
    links = [links_in(m["body"]) for m in sent_to(outbox, email)]
    assert len(links) == 2
    return [path + raw for [(path, raw)] in links]


def test_using_one_reset_link_voids_the_others(
    app: Flask, make_user: Callable[..., User], outbox: MemoryTransport
) -> None:
    user = make_user(email="forgot@example.test", locale="en")
    first, second = _two_reset_links(app, outbox, user.email)
    used = app.test_client()
    assert (
        used.post(second, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code
        == 302
    )
    late = english(app.test_client())
    response = late.post(first, data={"password": "another-pass-9", "confirm": "another-pass-9"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/password/forgot")
    assert INVALID_LINK in flashes(html_of(late.get("/password/forgot")))
    assert log_in(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


def test_changing_the_password_voids_outstanding_reset_links(
    app: Flask, make_user: Callable[..., User], outbox: MemoryTransport
) -> None:
    user = make_user(email="forgot@example.test", locale="en")
    links = _two_reset_links(app, outbox, user.email)
    client = app.test_client()
    log_in(client, user.email)
    client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    for link in links:
        response = app.test_client().get(link)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/password/forgot")


def test_one_reset_link_posted_at_once_is_redeemed_once(
    app: Flask, make_user: Callable[..., User], outbox: MemoryTransport
) -> None:
    user = make_user(email="forgot@example.test", locale="en")
    app.test_client().post("/password/forgot", data={"email": user.email})
    [(path, raw)] = links_in(sent_to(outbox, user.email)[0]["body"])

    def redeem(client: FlaskClient) -> tuple[int, str, list[str]]:
        response = client.post(path + raw, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        target = response.headers.get("Location", "")
        return response.status_code, target, flashes(html_of(client.get(target or "/")))

    results = at_once(app, redeem)
    assert {status for status, _, _ in results} == {302}
    winners = [r for r in results if r[1].endswith("/") and not r[1].endswith("forgot")]
    assert len(winners) == 1, results
    assert winners[0][2] == ["Your password is set."]
    for _status, target, messages in results:
        if (target, messages) != winners[0][1:]:
            assert target.endswith("/password/forgot")
            assert messages == [INVALID_LINK]
    assert count_rows(app, AuditEntry, AuditEntry.action == "user.reset_redeemed") == 1


# ---------------------------------------------------------- 7. enumeration


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "deactivated", "invited"])
def test_every_failed_login_checks_one_password_hash(
    app: Flask, make_user: Callable[..., User], hash_checks: HashChecks, case: str
) -> None:
    """Unknown accounts take as long as known ones: a hash is checked either way."""
    user = make_user(email="known@example.test", active=case != "deactivated")
    if case == "invited":
        with app.app_context():
            db.session.get(User, user.id).password_hash = None
            db.session.commit()
    email = "ghost@example.test" if case == "unknown email" else user.email
    password = "guess-guess" if case == "wrong password" else PASSWORD
    response = log_in(app.test_client(), email, password)
    assert response.status_code == 200
    assert hash_checks.count == 1


def _register(client: FlaskClient, email: str, name: str = "Nguyễn Thị Mai") -> Any:
    return client.post(
        "/register",
        data={
            "name": name,
            "email": email,
            "password": PASSWORD,
            "confirm": PASSWORD,
            "locale": "en",
        },
    )


def _answer(client: FlaskClient, response: Any) -> tuple[int, str, list[str]]:
    target = response.headers.get("Location", "")
    return response.status_code, target, flashes(html_of(client.get(target)))


def test_registering_a_known_email_gives_the_same_answer_and_tells_the_owner(
    app: Flask, make_user: Callable[..., User], outbox: MemoryTransport
) -> None:
    owner = make_user(email="taken@example.test", name="Chủ Tài Khoản", locale="en")
    fresh_client, taken_client = english(app.test_client()), english(app.test_client())
    fresh = _answer(fresh_client, _register(fresh_client, "new@example.test"))
    taken = _answer(taken_client, _register(taken_client, "TAKEN@example.test"))
    assert fresh[0] == taken[0] == 302
    assert fresh[1] == taken[1]
    neutral = [m.replace("new@example.test", "EMAIL") for m in fresh[2]]
    assert neutral == [m.replace("taken@example.test", "EMAIL") for m in taken[2]]
    assert "already exists" not in " ".join(taken[2])
    assert not is_logged_in(fresh_client) and not is_logged_in(taken_client)
    assert count_rows(app, User) == 2
    [warning] = sent_to(outbox, owner.email)
    assert warning["subject"] == "Someone tried to register with your email address"
    assert "Chủ Tài Khoản" in warning["body"]
    assert "/password/forgot" in warning["body"]
    assert links_in(warning["body"]) == []  # no token in it


def test_a_new_founder_confirms_the_email_before_applying(
    app: Flask, outbox: MemoryTransport, make_program: Callable[..., Any]
) -> None:
    program = make_program()
    client = english(app.test_client())
    assert _register(client, "mai@example.test").status_code == 302
    [welcome] = sent_to(outbox, "mai@example.test")
    [(path, raw)] = links_in(welcome["body"])
    assert path == "/email/confirm/"
    assert log_in(client, "mai@example.test").status_code == 302

    home = html_of(client.get("/"))
    assert 'id="confirm-banner"' in home
    assert "Please confirm your email address" in home
    created = client.post(
        "/startups/new",
        data={
            "name": "Nông Nghiệp Xanh",
            "sector": "agritech",
            "trl": "4",
            "description": "Cảm biến độ ẩm cho vườn sầu riêng",
            "team_size": "3",
            "title": "CEO",
        },
    )
    assert created.status_code == 302, html_of(created)  # other pages work
    startup_id = int(created.headers["Location"].rsplit("/", 1)[1])
    refused = client.post(f"/calls/{program.id}/apply", data={"startup_id": str(startup_id)})
    assert refused.status_code == 200
    assert "Please confirm your email address first" in html_of(refused)

    page = client.get(path + raw)
    assert page.status_code == 200
    assert "mai@example.test" in html_of(page)
    confirmed = client.post(path + raw)
    assert confirmed.status_code == 302
    assert "Thank you, your email address is confirmed." in flashes(html_of(client.get("/")))
    assert 'id="confirm-banner"' not in html_of(client.get("/"))
    applied = client.post(f"/calls/{program.id}/apply", data={"startup_id": str(startup_id)})
    assert applied.status_code == 302
    again = client.get(path + raw)
    assert again.status_code == 302  # the link works once


def test_the_confirmation_link_can_be_sent_again_a_few_times(
    app: Flask, make_user: Callable[..., User], outbox: MemoryTransport
) -> None:
    user = make_user(email="slow@example.test", locale="en", confirmed=False)
    client = english(app.test_client())
    log_in(client, user.email)
    limit = app.config["ACCOUNT_EMAILS_PER_HOUR"]
    for _ in range(limit):
        response = client.post("/email/confirm", data={"next": "/account"})
        assert response.headers["Location"].endswith("/account")
        assert "We have sent a new link to slow@example.test." in flashes(
            html_of(client.get("/account"))
        )
    client.post("/email/confirm", data={"next": "/account"})
    assert flashes(html_of(client.get("/account"))) == [
        "We have sent you several links recently. Please wait a while before asking again."
    ]
    assert len(sent_to(outbox, user.email)) == limit
    [(path, raw)] = links_in(sent_to(outbox, user.email)[0]["body"])
    assert client.post(path + raw).status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).email_confirmed


def test_an_invited_account_is_confirmed_by_its_link(
    app: Flask, make_user: Callable[..., User], login: Callable[[User], FlaskClient], outbox: Any
) -> None:
    admin = login(make_user(Role.ADMIN))
    admin.post(
        "/admin/users/invite",
        data={"email": "guest@example.test", "name": "Guest", "role": "judge", "center_id": ""},
    )
    [(path, raw)] = links_in(sent_to(outbox, "guest@example.test")[0]["body"])
    with app.app_context():
        guest = db.session.scalar(select(User).where(User.email == "guest@example.test"))
        assert not guest.email_confirmed
    app.test_client().post(path + raw, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    with app.app_context():
        assert db.session.get(User, guest.id).email_confirmed
        assert (
            db.session.scalar(
                select(func.count()).select_from(AccountToken).where(AccountToken.used_at.is_(None))
            )
            == 0
        )
