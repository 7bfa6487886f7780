"""Issue 7 item 11: a resubmitted create form creates nothing twice; startups can be archived
(hidden from lists and pickers, data kept, not while an application is active) and restored."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from incubator.accounts.models import Role, User
from incubator.applications.drafts import start_application
from incubator.applications.stages import TERMINAL, Stage
from incubator.audit import AuditEntry
from incubator.db import db
from incubator.errors import DomainError
from incubator.startups import services
from incubator.startups.models import Startup, StartupMember
from tests.startups.test_views import profile


def once_token(html: str) -> str:
    match = re.search(r'name="once"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="once"', html
    )
    assert match, "the create form carries a one-time token"
    return match.group(1)


def form_token(client: FlaskClient, path: str) -> str:
    """Open a create form: its address gets a one-time token, which the form carries too."""
    response = client.get(path)
    assert response.status_code == 302
    address = response.headers["Location"]
    match = re.fullmatch(re.escape(path) + r"\?once=([\w-]+)", address)
    assert match, address
    token = once_token(client.get(address).get_data(as_text=True))
    assert token == match.group(1)
    return token


def startups_named(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(Startup.name == name))


def flashes(html: str) -> list[str]:
    return [m.strip() for m in re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', html, re.S)]


# ------------------------------------------------------------------ resubmitting


def test_back_and_save_again_gives_back_the_first_startup(app: Flask, make_user: Any, login: Any):
    client = login(make_user(Role.FOUNDER, locale="en"))
    token = form_token(client, "/startups/new")
    first = client.post("/startups/new", data=profile(once=token))
    assert first.status_code == 302
    # Back, then Save again: the browser sends the same form, token included
    again = client.post("/startups/new", data=profile(once=token))
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert startups_named(app, "Nông Trại Số") == 1
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "This form was already saved: the startup profile exists, here it is." in flashes(page)


def test_a_new_form_creates_a_new_startup_even_with_the_same_name(
    app: Flask, make_user: Any, login: Any
) -> None:
    client = login(make_user(Role.FOUNDER))
    for _ in range(2):
        token = form_token(client, "/startups/new")
        assert client.post("/startups/new", data=profile(once=token)).status_code == 302
    assert startups_named(app, "Nông Trại Số") == 2


def test_each_form_shows_a_different_token(make_user: Any, login: Any) -> None:
    client = login(make_user(Role.FOUNDER))
    tokens = {form_token(client, "/startups/new") for _ in range(3)}
    assert len(tokens) == 3


def test_someone_elses_token_does_not_reveal_their_startup(
    app: Flask, make_user: Any, login: Any
) -> None:
    owner, other = login(make_user(Role.FOUNDER)), login(make_user(Role.FOUNDER))
    token = form_token(owner, "/startups/new")
    created = owner.post("/startups/new", data=profile(once=token)).headers["Location"]
    response = other.post("/startups/new", data=profile(once=token, name="Khác"))
    assert response.headers.get("Location") != created
    assert other.get(created).status_code == 404


# ------------------------------------------------------------------ archiving


@pytest.fixture
def founded(make_user: Any, make_startup: Any, login: Any) -> tuple[FlaskClient, User, Startup]:
    founder = make_user(Role.FOUNDER, locale="en")
    return login(founder), founder, make_startup(founder, name="Lúa Xanh")


def archive(client: FlaskClient, startup: Startup) -> Any:
    return client.post(f"/startups/{startup.id}/archive")


def test_the_lead_founder_archives_after_confirming_and_restores(
    app: Flask, founded: tuple[FlaskClient, User, Startup], make_program: Any
) -> None:
    client, _founder, startup = founded
    detail = client.get(f"/startups/{startup.id}").get_data(as_text=True)
    assert f'href="/startups/{startup.id}/archive"' in detail
    confirm = client.get(f"/startups/{startup.id}/archive").get_data(as_text=True)
    assert "Archive Lúa Xanh?" in confirm and 'id="confirm-archive"' in confirm
    with app.app_context():
        assert db.session.get(Startup, startup.id).archived_at is None  # asking changes nothing

    response = archive(client, startup)
    assert response.headers["Location"] == f"/startups/{startup.id}"
    page = client.get(f"/startups/{startup.id}").get_data(as_text=True)
    assert "Lúa Xanh is archived" in " ".join(flashes(page))
    assert 'id="archived-note"' in page
    with app.app_context():
        stored = db.session.get(Startup, startup.id)
        assert stored.archived_at is not None
        assert stored.name == "Lúa Xanh" and len(stored.members) == 1  # data kept
    # hidden: My startups (but for the archived list), the apply picker, the home panel
    mine = client.get("/startups").get_data(as_text=True)
    assert 'id="archived-startups"' in mine
    assert "Lúa Xanh" not in mine.split('id="archived-startups"')[0]
    program = make_program()
    apply = client.get(f"/calls/{program.id}/apply")
    assert apply.status_code == 302 and apply.headers["Location"] == "/startups/new"
    assert "Lúa Xanh" not in client.get("/").get_data(as_text=True)

    assert client.post(f"/startups/{startup.id}/restore").status_code == 302
    assert "Lúa Xanh" in client.get("/startups").get_data(as_text=True)
    assert "Lúa Xanh" in client.get(f"/calls/{program.id}/apply").get_data(as_text=True)
    assert "Lúa Xanh" in client.get("/").get_data(as_text=True)
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"startup.archived", "startup.restored"} <= actions


def test_other_members_cannot_archive(
    app: Flask, founded: tuple[FlaskClient, User, Startup], make_user: Any, login: Any
) -> None:
    _client, _founder, startup = founded
    cofounder = make_user(Role.FOUNDER)
    with app.app_context():
        db.session.add(StartupMember(startup_id=startup.id, user_id=cofounder.id))
        db.session.commit()
    other = login(cofounder)
    assert "/archive" not in other.get(f"/startups/{startup.id}").get_data(as_text=True)
    assert other.get(f"/startups/{startup.id}/archive").status_code == 404
    assert archive(other, startup).status_code == 404
    with app.app_context():
        assert db.session.get(Startup, startup.id).archived_at is None


@pytest.mark.parametrize("stage", list(Stage), ids=str)
def test_archiving_waits_until_every_application_is_over(
    app: Flask, founded: tuple[FlaskClient, User, Startup], make_application: Any, stage: Stage
) -> None:
    """Refused while an application is active (not rejected, withdrawn, dropped, graduated)."""
    client, _founder, startup = founded
    make_application(stage, startup=startup)
    active = stage not in TERMINAL
    confirm = client.get(f"/startups/{startup.id}/archive").get_data(as_text=True)
    assert ('id="archive-blocked"' in confirm) is active
    assert ('id="confirm-archive"' in confirm) is not active
    response = archive(client, startup)
    messages = " ".join(flashes(client.get(response.headers["Location"]).get_data(as_text=True)))
    assert ("has an application in progress" in messages) is active
    with app.app_context():
        assert (db.session.get(Startup, startup.id).archived_at is None) is active


def test_a_manager_of_a_center_it_applied_to_archives_it_not_another_center(
    app: Flask,
    founded: tuple[FlaskClient, User, Startup],
    make_application: Any,
    manager_of: Any,
    login: Any,
) -> None:
    _client, _founder, startup = founded
    make_application(Stage.REJECTED, startup=startup)  # a BIIC program
    smic = login(manager_of("SMIC"))
    assert archive(smic, startup).status_code == 404
    biic = login(manager_of("BIIC"))
    assert "/archive" in biic.get(f"/startups/{startup.id}").get_data(as_text=True)
    assert archive(biic, startup).status_code == 302
    with app.app_context():
        assert db.session.get(Startup, startup.id).archived_at is not None
    assert biic.post(f"/startups/{startup.id}/restore").status_code == 302
    with app.app_context():
        assert db.session.get(Startup, startup.id).archived_at is None


def test_an_archived_startup_cannot_start_an_application(
    ctx: Flask, english: None, founded: tuple[FlaskClient, User, Startup], make_program: Any
) -> None:
    _client, founder, startup = founded
    program = make_program()
    with db.transaction():
        services.archive_startup(db.session.merge(founder), db.session.merge(startup))
    founder = db.session.merge(founder)
    founder.email_confirmed_at = founder.email_confirmed_at or founder.created_at
    with pytest.raises(DomainError, match="is archived"), db.transaction():
        start_application(founder, db.session.get(Startup, startup.id), db.session.merge(program))
