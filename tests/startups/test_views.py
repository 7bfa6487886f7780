from __future__ import annotations

from typing import Any

from sqlalchemy import select

from incubator.accounts.models import Role, User
from incubator.db import db
from incubator.startups.models import Startup


def profile(**changes: str) -> dict[str, str]:
    form = {
        "name": "Nông Trại Số",
        "sector": "agritech",
        "description": "Tưới tiêu thông minh cho vườn sầu riêng",
        "founded_on": "15/03/2023",
        "website": "https://nongtraiso.vn",
        "trl": "6",
        "team_size": "4",
        "title": "CEO",
    }
    form.update(changes)
    return form


def test_a_founder_creates_and_edits_a_profile(app: Any, as_role: Any) -> None:
    client, _founder = as_role("founder")
    response = client.post("/startups/new", data=profile())
    assert response.status_code == 302
    with app.app_context():
        startup = db.session.scalar(select(Startup))
        assert startup.founded_on.isoformat() == "2023-03-15" and startup.trl == 6
    assert (
        client.post(f"/startups/{startup.id}/edit", data=profile(name="Nông Trại Số 2")).status_code
        == 302
    )
    page = client.get(f"/startups/{startup.id}").get_data(as_text=True)
    assert "Nông Trại Số 2" in page and "15/03/2023" in page


def test_bad_profile_input_is_shown_next_to_fields(app: Any, make_user: Any, login: Any) -> None:
    client = login(make_user(Role.FOUNDER, locale="en"))
    html = client.post(
        "/startups/new",
        data=profile(
            name="", founded_on="2023-03-15", website="not a url", team_size="0", trl="12"
        ),
    ).get_data(as_text=True)
    assert "This field is required." in html
    assert "Write the date as dd/mm/yyyy." in html
    assert "Invalid URL." in html
    assert "Number must be between 1 and 10000." in html
    assert "Not a valid choice." in html
    with app.app_context():
        assert db.session.scalar(select(Startup)) is None


def test_inviting_a_cofounder_from_the_profile(
    app: Any, make_startup: Any, login: Any, outbox: Any
) -> None:
    startup = make_startup()
    with app.app_context():
        founder = db.session.get(User, startup.members[0].user_id)
    client = login(founder)
    response = client.post(
        f"/startups/{startup.id}/members",
        data={"name": "Trần Bình", "email": "binh@example.test", "title": "CTO"},
    )
    assert response.status_code == 302
    assert "binh@example.test" in client.get(f"/startups/{startup.id}").get_data(as_text=True)
    assert [m["to"] for m in outbox.sent] == ["binh@example.test"]
    link = next(word for word in outbox.sent[0]["body"].split() if "/invitation/" in word)
    invited = app.test_client()
    path = link.replace(app.config["BASE_URL"], "")
    assert invited.get(path).status_code == 200
    assert (
        invited.post(
            path, data={"password": "mật-khẩu-mới-1", "confirm": "mật-khẩu-mới-1"}
        ).status_code
        == 302
    )
    home = invited.get("/").get_data(as_text=True)
    assert 'id="panel-invitations"' in home
    invitation_id = int(home.split('id="invitation-')[1].split('"')[0])
    response = invited.post(f"/invitations/{invitation_id}", data={"answer": "accept"})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/startups/{startup.id}"
    )
    assert f"/startups/{startup.id}" in invited.get("/startups").get_data(as_text=True)
    assert 'id="panel-invitations"' not in invited.get("/").get_data(as_text=True)
    # an invalid invitation is explained, not a 500
    response = client.post(
        f"/startups/{startup.id}/members", data={"name": "", "email": "không phải email"}
    )
    assert response.status_code == 302


def test_someone_elses_invitation_cannot_be_answered(
    app: Any, make_startup: Any, make_user: Any, login: Any, as_role: Any
) -> None:
    from incubator.startups.services import invite_member

    startup = make_startup()
    invited = make_user(Role.MENTOR)
    with app.app_context():
        invitation = invite_member(
            db.session.get(User, startup.members[0].user_id),
            db.session.get(Startup, startup.id),
            invited.email,
            "",
            "",
        )
        db.session.commit()
        invitation_id = invitation.id
    stranger, _ = as_role("founder")
    assert (
        stranger.post(f"/invitations/{invitation_id}", data={"answer": "accept"}).status_code == 404
    )
    client = login(invited)
    assert f'id="invitation-{invitation_id}"' in client.get("/invitations").get_data(as_text=True)
    client.post(f"/invitations/{invitation_id}", data={"answer": "decline"})
    assert "empty-state" in client.get("/invitations").get_data(as_text=True)


def test_strangers_cannot_edit_or_see_a_profile(app: Any, make_startup: Any, as_role: Any) -> None:
    startup = make_startup()
    client, _ = as_role("founder")
    assert client.get(f"/startups/{startup.id}").status_code == 404
    assert client.get(f"/startups/{startup.id}/edit").status_code == 404
    assert client.post(f"/startups/{startup.id}/edit", data=profile()).status_code == 404
    assert (
        client.post(
            f"/startups/{startup.id}/members", data={"name": "x", "email": "x@example.test"}
        ).status_code
        == 404
    )


def test_the_empty_state_invites_to_create(app: Any, as_role: Any) -> None:
    client, _ = as_role("founder")
    html = client.get("/startups").get_data(as_text=True)
    assert 'class="empty-state"' in html and 'href="/startups/new"' in html
