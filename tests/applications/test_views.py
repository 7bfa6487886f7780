from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from incubator.accounts.models import Role, User
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.audit import AuditEntry
from incubator.db import db
from incubator.files import minimal_pdf
from tests.applications.fixtures import ANSWERS, answer


def founder_client(app: Any, application: Any, login: Any) -> Any:
    with app.app_context():
        founder = db.session.get(User, application.startup.members[0].user_id)
    return login(founder)


def stored(app: Any, application_id: int) -> Application:
    with app.app_context():
        return db.session.get(Application, application_id)


@pytest.fixture
def english_founder(
    make_user: Any, make_startup: Any, make_application: Any, login: Any
) -> Callable[..., tuple[Any, Application]]:
    """english_founder(**application_options) -> (client, application) of a founder who reads
    English."""

    def make(**options: Any) -> tuple[Any, Application]:
        founder = make_user(Role.FOUNDER, locale="en")
        application = make_application(startup=make_startup(founder=founder), **options)
        return login(founder), application

    return make


def draft_form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = dict(ANSWERS, funding_need_vnd="1.500.000.000", action="save")
    form.update(changes)
    return form


def upload(client: Any, application: Any, data: bytes, name: str) -> Any:
    application_id = getattr(application, "id", application)
    return client.post(
        f"/applications/{application_id}/deck/upload",
        data={"deck": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_founder_applies_uploads_and_submits(
    app: Any, make_user: Any, make_startup: Any, make_program: Any, login: Any, outbox: Any
) -> None:
    founder = make_user(Role.FOUNDER, locale="en")
    startup = make_startup(founder=founder)
    program = make_program()
    client = login(founder)
    response = client.post(f"/calls/{program.id}/apply", data={"startup_id": startup.id})
    assert response.status_code == 302
    with app.app_context():
        application_id = db.session.scalar(select(Application.id))
    assert response.headers["Location"].endswith(f"/applications/{application_id}/edit")

    response = client.post(f"/applications/{application_id}/edit", data=draft_form())
    assert response.status_code == 302
    assert upload(client, application_id, minimal_pdf("Deck"), "pitch.pdf").status_code == 302
    saved = stored(app, application_id)
    assert answer(app, application_id, "funding_need_vnd") == 1_500_000_000
    assert saved.deck_filename == "pitch.pdf"
    edit_page = client.get(f"/applications/{application_id}/edit").get_data(as_text=True)
    assert 'id="last-saved"' in edit_page and "1.500.000.000" in edit_page

    response = client.post(f"/applications/{application_id}/edit", data=draft_form(action="submit"))
    assert response.status_code == 302
    assert stored(app, application_id).stage is Stage.SUBMITTED
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Submitted" in page and "timeline" in page
    assert any(m["to"] == founder.email and '"Submitted"' in m["subject"] for m in outbox.sent)
    # read-only now
    response = client.post(f"/applications/{application_id}/edit", data=draft_form(problem="đổi"))
    assert response.status_code == 302
    assert answer(app, application_id, "problem") == ANSWERS["problem"]


def test_submitting_an_incomplete_application_lists_what_is_missing(
    app: Any, english_founder: Any
) -> None:
    client, application = english_founder(complete=False)
    response = client.post(
        f"/applications/{application.id}/edit",
        data={"problem": "Chỉ có vấn đề", "action": "submit"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Please complete before submitting" in html and "Pitch deck" in html
    saved = stored(app, application.id)
    assert (
        saved.stage is Stage.DRAFT and answer(app, application.id, "problem") == "Chỉ có vấn đề"
    )  # the draft was kept


def test_bad_money_is_explained(app: Any, english_founder: Any) -> None:
    client, application = english_founder()
    html = client.post(
        f"/applications/{application.id}/edit", data=draft_form(funding_need_vnd="một tỷ")
    ).get_data(as_text=True)
    assert "Write a whole amount in VND" in html and 'value="một tỷ"' in html


def test_withdraw_needs_a_reason_and_is_final(app: Any, make_application: Any, login: Any) -> None:
    application = make_application(Stage.SUBMITTED)
    client = founder_client(app, application, login)
    url = f"/applications/{application.id}/move"
    client.post(url, data={"to": "withdrawn", "reason": "", "next": "/"})
    assert stored(app, application.id).stage is Stage.SUBMITTED
    client.post(url, data={"to": "withdrawn", "reason": "Đã nhận đầu tư", "next": "/"})
    assert stored(app, application.id).stage is Stage.WITHDRAWN
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Đã nhận đầu tư" in page


def test_a_founder_cannot_touch_another_startups_application(
    app: Any, make_application: Any, as_role: Any
) -> None:
    application = make_application(Stage.DRAFT)
    client, _ = as_role("founder")
    for path in (
        f"/applications/{application.id}",
        f"/applications/{application.id}/edit",
        f"/applications/{application.id}/deck",
        f"/manage/applications/{application.id}",
    ):
        assert client.get(path).status_code in (403, 404), path
    assert client.post(f"/applications/{application.id}/edit", data=draft_form()).status_code == 404
    response = client.post(
        f"/applications/{application.id}/move", data={"to": "withdrawn", "reason": "x"}
    )
    assert response.status_code == 404
    assert stored(app, application.id).stage is Stage.DRAFT
    assert client.get(f"/startups/{application.startup_id}").status_code == 404


def test_deck_is_served_only_to_those_allowed(
    app: Any, make_application: Any, manager_of: Any, login: Any, as_role: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    url = f"/applications/{application.id}/deck"
    with founder_client(app, application, login).get(url) as response:
        assert response.status_code == 200 and response.data.startswith(b"%PDF-")
        assert response.headers["Content-Type"] == "application/pdf"
        assert "attachment" in response.headers["Content-Disposition"]
    with login(manager_of("BIIC")).get(url) as response:
        assert response.status_code == 200
    assert as_role("manager", center="SMIC")[0].get(url).status_code == 404
    assert as_role("mentor")[0].get(url).status_code == 404
    assert app.test_client().get(url).status_code == 302  # to the login page


def test_board_shows_columns_counts_and_moves(
    app: Any, make_program: Any, make_application: Any, manager_of: Any, login: Any
) -> None:
    program = make_program()
    screening = make_application(Stage.SCREENING, program=program)
    make_application(Stage.SUBMITTED, program=program)
    make_application(Stage.DRAFT, program=program)
    client = login(manager_of("BIIC"))
    html = client.get(f"/manage/programs/{program.id}/board").get_data(as_text=True)
    assert 'id="column-draft"' not in html  # drafts are the founders' business
    assert 'id="column-screening"' in html and f'id="card-{screening.id}"' in html
    card = html[html.index(f'id="card-{screening.id}"') :]
    card = card[: card.index("</article>")]
    for target in ("accepted", "waitlisted", "rejected"):
        assert f'name="to" value="{target}"' in card
    response = client.post(
        f"/applications/{screening.id}/move",
        data={"to": "accepted", "reason": "", "next": f"/manage/programs/{program.id}/board"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/board")
    assert stored(app, screening.id).stage is Stage.ACCEPTED


def test_board_filters_by_sector(
    app: Any,
    make_program: Any,
    make_application: Any,
    make_startup: Any,
    manager_of: Any,
    login: Any,
) -> None:
    program = make_program()
    agri = make_application(
        Stage.SUBMITTED, program=program, startup=make_startup(sector="agritech")
    )
    fin = make_application(Stage.SUBMITTED, program=program, startup=make_startup(sector="fintech"))
    html = (
        login(manager_of("BIIC"))
        .get(f"/manage/programs/{program.id}/board?sector=fintech")
        .get_data(as_text=True)
    )
    assert f'id="card-{fin.id}"' in html and f'id="card-{agri.id}"' not in html


def test_an_invalid_move_from_the_board_is_a_message_not_an_error(
    app: Any, make_application: Any, manager_of: Any, make_user: Any, login: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    manager = manager_of("BIIC")
    with app.app_context():
        db.session.get(User, manager.id).locale = "en"
        db.session.commit()
    client = login(manager)
    response = client.post(
        f"/applications/{application.id}/move",
        data={"to": "graduated", "next": "/"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "cannot move from" in response.get_data(as_text=True)
    response = client.post(
        f"/applications/{application.id}/move",
        data={"to": "nonsense", "next": "/"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert stored(app, application.id).stage is Stage.SUBMITTED


def test_applications_list_ranks_and_exports_safely(
    app: Any,
    make_program: Any,
    make_application: Any,
    make_startup: Any,
    manager_of: Any,
    login: Any,
) -> None:
    program = make_program()
    evil = make_application(
        Stage.SUBMITTED, program=program, startup=make_startup(name="=HYPERLINK(1)")
    )
    client = login(manager_of("BIIC"))
    html = client.get(f"/manage/programs/{program.id}/applications").get_data(as_text=True)
    assert 'id="ranking"' in html and f"/manage/applications/{evil.id}" in html
    csv = client.get(f"/manage/programs/{program.id}/applications?format=csv").get_data(
        as_text=True
    )
    assert csv.startswith("\ufeff")
    assert "'=HYPERLINK(1)" in csv


def test_manager_application_page_shows_reviews_and_assigns(
    app: Any, make_application: Any, manager_of: Any, make_user: Any, login: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    mentor = make_user(Role.MENTOR, name="Cố vấn Minh")
    client = login(manager_of("BIIC"))
    page = client.get(f"/manage/applications/{application.id}").get_data(as_text=True)
    assert "Cố vấn Minh" in page  # offered as reviewer
    response = client.post(
        f"/manage/applications/{application.id}/reviewers", data={"reviewer_id": mentor.id}
    )
    assert response.status_code == 302
    assert stored(app, application.id).stage is Stage.SCREENING


def test_founder_list_of_applications(app: Any, make_application: Any, login: Any) -> None:
    application = make_application(Stage.SUBMITTED)
    client = founder_client(app, application, login)
    html = client.get("/applications").get_data(as_text=True)
    assert f"/applications/{application.id}" in html
    assert client.get("/applications?stage=draft").get_data(as_text=True).count(
        "/applications/"
    ) < html.count("/applications/")
    assert client.get("/applications?format=csv").data.startswith("\ufeff".encode())


def test_apply_without_a_startup_goes_to_the_profile_form(
    app: Any, as_role: Any, make_program: Any
) -> None:
    client, _ = as_role("founder")
    response = client.get(f"/calls/{make_program().id}/apply")
    assert response.status_code == 302 and response.headers["Location"].endswith("/startups/new")


def test_a_second_application_to_the_same_program_is_refused(
    app: Any, english_founder: Any
) -> None:
    client, application = english_founder()
    html = client.post(
        f"/calls/{application.program_id}/apply", data={"startup_id": application.startup_id}
    ).get_data(as_text=True)
    assert "has already applied to this program" in html
    with app.app_context():
        assert len(db.session.scalars(select(Application)).all()) == 1


# ------------------------------------------------ money, decks, autosave


def test_a_decimal_amount_is_refused_not_saved_as_something_else(
    app: Any, english_founder: Any
) -> None:
    client, application = english_founder()
    for typed in ("1.5", "1500000.75", "1,500,000"):
        response = client.post(
            f"/applications/{application.id}/edit", data=draft_form(funding_need_vnd=typed)
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "Draft saved" not in html, typed
        assert "for example 1.500.000.000" in html and f'value="{typed}"' in html
        assert answer(app, application.id, "funding_need_vnd") == 500_000_000


def test_the_deck_uploads_on_its_own_and_keeps_the_answers(
    app: Any, make_application: Any, login: Any
) -> None:
    application = make_application(complete=False)
    client = founder_client(app, application, login)
    client.post(f"/applications/{application.id}/edit", data=draft_form(problem="Đã lưu"))
    response = upload(client, application, minimal_pdf("Deck"), "pitch.pdf")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/applications/{application.id}/edit")
    saved = stored(app, application.id)
    assert saved.deck_filename == "pitch.pdf" and answer(app, application.id, "problem") == "Đã lưu"
    # a bad file changes nothing and says why, next to the deck's own form
    response = upload(client, application, b"GIF89a...", "other.pdf")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="deck-error"' in html
    assert stored(app, application.id).deck_filename == "pitch.pdf"


def test_the_answers_form_does_not_carry_the_deck(
    app: Any, make_application: Any, login: Any
) -> None:
    application = make_application(complete=False)
    client = founder_client(app, application, login)
    html = client.get(f"/applications/{application.id}/edit").get_data(as_text=True)
    answers = html[html.index('id="answers-form"') :]
    answers = answers[: answers.index("</form>")]
    assert 'name="deck"' not in answers and "multipart" not in answers
    assert f'data-autosave="/applications/{application.id}/autosave"' in html
    deck_form = html[html.index('id="deck-form"') :]
    assert 'enctype="multipart/form-data"' in deck_form[:300]
    assert f'data-max-bytes="{app.config["PITCH_DECK_MAX_BYTES"]}"' in deck_form


def test_a_too_large_deck_loses_no_answers(app: Any, make_application: Any, login: Any) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    application = make_application(complete=False)
    client = founder_client(app, application, login)
    client.post(f"/applications/{application.id}/edit", data=draft_form(problem="Đã lưu"))
    big = b"%PDF-" + b"0" * 20_000 + b"%%EOF"
    response = upload(client, application, big, "big.pdf")
    assert response.status_code == 413
    assert 'class="error-page"' in response.get_data(as_text=True)
    assert answer(app, application.id, "problem") == "Đã lưu"


def test_answers_autosave_in_the_background(app: Any, english_founder: Any) -> None:
    client, application = english_founder(complete=False)
    url = f"/applications/{application.id}/autosave"
    response = client.post(url, data=draft_form(problem="Đang gõ dở"))
    assert response.status_code == 200 and response.is_json
    assert response.json["saved"] is True
    assert re.fullmatch(r"Saved at \d{2}:\d{2}", response.json["message"])
    assert answer(app, application.id, "problem") == "Đang gõ dở"
    # nothing new: nothing written, not even the audit log
    with app.app_context():
        entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert client.post(url, data=draft_form(problem="Đang gõ dở")).json["saved"] is True
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries
    # a mistake is reported by field, and the rest waits for it
    response = client.post(url, data=draft_form(problem="Khác", funding_need_vnd="1.5"))
    assert response.status_code == 200 and response.json["saved"] is False
    assert "funding_need_vnd" in response.json["errors"]
    assert answer(app, application.id, "problem") == "Đang gõ dở"


def test_autosave_after_submission_is_refused(app: Any, make_application: Any, login: Any) -> None:
    application = make_application(Stage.SUBMITTED)
    client = founder_client(app, application, login)
    response = client.post(
        f"/applications/{application.id}/autosave", data=draft_form(problem="muộn")
    )
    assert response.status_code == 200 and response.json["saved"] is False
    assert response.json["message"]
    assert answer(app, application.id, "problem") == ANSWERS["problem"]


def test_long_answers_show_their_limit(app: Any, make_application: Any, login: Any) -> None:
    application = make_application(complete=False)
    client = founder_client(app, application, login)
    html = client.get(f"/applications/{application.id}/edit").get_data(as_text=True)
    assert html.count('maxlength="5000"') == 5
    assert 'class="counter" data-for="problem"' in html and "0 / 5.000" in html


def test_a_deck_is_always_a_pdf_by_name(
    app: Any, make_application: Any, manager_of: Any, login: Any
) -> None:
    application = make_application(complete=False)
    client = founder_client(app, application, login)
    upload(client, application, minimal_pdf("Deck"), "page.html")
    assert stored(app, application.id).deck_filename == "page.pdf"
    with client.get(f"/applications/{application.id}/deck") as response:
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "filename=page.pdf" in response.headers["Content-Disposition"]
    # a name stored before this rule is served as a PDF too
    with app.app_context():
        db.session.get(Application, application.id).deck_filename = "old.html"
        db.session.commit()
    with client.get(f"/applications/{application.id}/deck") as response:
        assert "filename=old.pdf" in response.headers["Content-Disposition"]


def test_reviewers_and_managers_open_the_deck_in_the_browser(
    app: Any, make_application: Any, manager_of: Any, login: Any, as_role: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    manager = login(manager_of("BIIC"))
    page = manager.get(f"/manage/applications/{application.id}").get_data(as_text=True)
    view_url = f"/applications/{application.id}/deck/view"
    assert f'href="{view_url}"' in page and f'href="/applications/{application.id}/deck"' in page
    with manager.get(view_url) as response:
        assert response.status_code == 200 and response.data.startswith(b"%PDF-")
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("inline")
        assert "filename=deck.pdf" in response.headers["Content-Disposition"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert as_role("manager", center="SMIC")[0].get(view_url).status_code == 404
    assert app.test_client().get(view_url).status_code == 302


def test_applying_to_a_closed_call_says_it_is_closed(
    app: Any, make_program: Any, make_startup: Any, make_user: Any, login: Any
) -> None:
    founder = make_user(Role.FOUNDER, locale="en")
    make_startup(founder=founder)
    program = make_program(is_open=False)
    client = login(founder)
    response = client.get(f"/calls/{program.id}/apply", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "This call is not open for applications." in html
    assert 'name="startup_id"' not in html
