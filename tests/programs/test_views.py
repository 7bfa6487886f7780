from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from incubator.accounts.models import Role
from incubator.db import db
from incubator.programs.models import Program, ProgramStatus


def program_form(**changes: str) -> dict[str, str]:
    form = {
        "center_id": "1",
        "name_vi": "Ươm tạo 2027",
        "name_en": "Incubation 2027",
        "kind": "incubation",
        "description_vi": "Sáu tháng",
        "description_en": "",
        "opens_at": "01/12/2026 08:00",
        "closes_at": "31/12/2026 17:00",
        "starts_on": "15/01/2027",
        "ends_on": "15/07/2027",
        "capacity": "10",
        "criteria-0-name_vi": "Đội ngũ",
        "criteria-0-name_en": "Team",
        "criteria-0-weight": "2",
        "criteria-0-max_score": "10",
        "criteria-1-name_vi": "",
        "criteria-1-weight": "",
        "criteria-1-max_score": "",
    }
    form.update(changes)
    return form


def test_a_manager_creates_a_program_through_the_form(app: Any, as_role: Any) -> None:
    client, _manager = as_role("manager", center="BIIC")
    response = client.post("/manage/programs/new", data=program_form())
    assert response.status_code == 302
    with app.app_context():
        program = db.session.scalar(select(Program))
        assert program.name_vi == "Ươm tạo 2027"
        assert program.opens_at.isoformat() == "2026-12-01T01:00:00+00:00"  # 08:00 in Hồ Chí Minh
        assert program.starts_on.isoformat() == "2027-01-15"
        assert [(c.name_vi, c.name_en, c.weight, c.max_score) for c in program.criteria] == [
            ("Đội ngũ", "Team", 2, 10)
        ]
        assert program.status is ProgramStatus.DRAFT


def test_bad_program_input_is_shown_next_to_the_fields_and_kept(
    app: Any, as_role: Any, make_user: Any, login: Any
) -> None:
    manager = make_user(Role.MANAGER, center="BIIC", locale="en")
    client = login(manager)
    response = client.post(
        "/manage/programs/new",
        data=program_form(
            closes_at="31/13/2026",
            capacity="many",
            **{"criteria-0-weight": ""},
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Write the date and time as dd/mm/yyyy hh:mm." in html
    assert 'value="31/13/2026"' in html  # what was typed stays
    assert "Not a valid integer value." in html
    assert html.count('class="field-error"') >= 3
    with app.app_context():
        assert db.session.scalar(select(Program)) is None


def test_closing_before_opening_is_explained(app: Any, make_user: Any, login: Any) -> None:
    client = login(make_user(Role.MANAGER, center="BIIC", locale="en"))
    html = client.post(
        "/manage/programs/new", data=program_form(closes_at="01/11/2026 08:00")
    ).get_data(as_text=True)
    assert "The call must close after it opens." in html


def test_the_smic_manager_sees_nothing_of_biic(app: Any, as_role: Any, make_program: Any) -> None:
    biic = make_program(center="BIIC")
    client, _ = as_role("manager", center="SMIC")
    for path in (
        f"/manage/programs/{biic.id}",
        f"/manage/programs/{biic.id}/edit",
        f"/manage/programs/{biic.id}/board",
        f"/manage/programs/{biic.id}/applications",
        f"/manage/programs/{biic.id}/assign",
    ):
        assert client.get(path).status_code == 404, path
    assert (
        client.post(f"/manage/programs/{biic.id}/publish", data={"published": "0"}).status_code
        == 404
    )
    listing = client.get("/manage/programs").get_data(as_text=True)
    assert biic.name_vi not in listing
    assert client.get("/manage/programs?format=csv").get_data(as_text=True).count("\n") == 1


def test_the_manager_cannot_pick_the_other_center_in_the_form(app: Any, as_role: Any) -> None:
    client, _ = as_role("manager", center="BIIC")
    response = client.post("/manage/programs/new", data=program_form(center_id="2"))
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Program)) is None


def test_founders_and_mentors_cannot_manage(app: Any, as_role: Any) -> None:
    for role in ("founder", "mentor", "judge"):
        client, _ = as_role(role)
        assert client.get("/manage/programs").status_code == 403
        assert client.post("/manage/programs/new", data=program_form()).status_code == 403


def test_public_calls_list_and_detail(app: Any, client: Any, make_program: Any) -> None:
    open_biic = make_program(center="BIIC", name="Đợt mở BIIC")
    open_smic = make_program(center="SMIC", name="Đợt mở SMIC")
    closed = make_program(is_open=False, name="Đợt đã đóng")
    draft = make_program(published=False, name="Bản nháp")
    html = client.get("/calls").get_data(as_text=True)
    assert "Đợt mở BIIC" in html and "Đợt mở SMIC" in html
    assert "Đợt đã đóng" not in html and "Bản nháp" not in html
    assert 'class="countdown"' in html
    assert client.get(f"/calls/{open_smic.id}").status_code == 200
    assert client.get(f"/calls/{closed.id}").status_code == 200  # published, just not open
    assert client.get(f"/calls/{draft.id}").status_code == 404
    only_smic = client.get("/calls?center=SMIC").get_data(as_text=True)
    assert "Đợt mở SMIC" in only_smic and "Đợt mở BIIC" not in only_smic
    assert open_biic.id != open_smic.id


def test_calls_paginate_and_export(app: Any, client: Any, make_program: Any) -> None:
    for number in range(7):
        make_program(name=f"Đợt {number}")
    first = client.get("/calls").get_data(as_text=True)
    second = client.get("/calls?page=2").get_data(as_text=True)
    assert first.count('class="call-card"') == 5 and second.count('class="call-card"') == 2
    beyond = client.get("/calls?page=99")
    assert (
        beyond.status_code == 200 and beyond.get_data(as_text=True).count('class="call-card"') == 2
    )
    csv = client.get("/calls?format=csv")
    assert csv.data.startswith("\ufeff".encode())
    assert csv.get_data(as_text=True).count("\n") == 8


def test_publish_and_close_review_buttons(
    app: Any, make_program: Any, manager_of: Any, login: Any
) -> None:
    program = make_program(published=False)
    client = login(manager_of("BIIC"))
    client.post(f"/manage/programs/{program.id}/publish", data={"published": "1"})
    client.post(f"/manage/programs/{program.id}/review", data={"closed": "1"})
    with app.app_context():
        stored = db.session.get(Program, program.id)
        assert stored.status is ProgramStatus.PUBLISHED and stored.review_closed


def test_editing_keeps_criteria_ids_and_adds_rows(
    app: Any, make_program: Any, manager_of: Any, login: Any
) -> None:
    program = make_program()
    client = login(manager_of("BIIC"))
    page = client.get(f"/manage/programs/{program.id}/edit").get_data(as_text=True)
    assert page.count('name="criteria-') >= 4 * (len(program.criteria) + 3)
    ids = [c.id for c in program.criteria]
    form = program_form(center_id=str(program.center_id))
    for index, criterion in enumerate(program.criteria):
        form[f"criteria-{index}-id"] = str(criterion.id)
        form[f"criteria-{index}-name_vi"] = criterion.name_vi + "!"
        form[f"criteria-{index}-weight"] = str(criterion.weight)
        form[f"criteria-{index}-max_score"] = str(criterion.max_score)
    assert client.post(f"/manage/programs/{program.id}/edit", data=form).status_code == 302
    with app.app_context():
        stored = db.session.get(Program, program.id)
        assert [c.id for c in stored.criteria] == ids
        assert all(c.name_vi.endswith("!") for c in stored.criteria)


def test_a_blank_date_is_required_not_an_error_page(app: Any, make_user: Any, login: Any) -> None:
    client = login(make_user(Role.MANAGER, center="BIIC", locale="en"))
    response = client.post("/manage/programs/new", data=program_form(opens_at="   "))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="opens_at-error">This field is required.' in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"starts_on": "30/12/2026"},
            "starts_on",
            "The program cannot start before applications close.",
        ),
        (
            {"opens_at": "01/10/2026 08:00", "closes_at": "01/11/2026 08:00"},
            "closes_at",
            "The application window is already over",
        ),
    ],
)
def test_programs_that_cannot_work_are_refused(
    app: Any, make_user: Any, login: Any, changes: dict, field: str, message: str
) -> None:
    client = login(make_user(Role.MANAGER, center="BIIC", locale="en"))
    html = client.post("/manage/programs/new", data=program_form(**changes)).get_data(as_text=True)
    assert f'id="{field}-error">{message}' in html
    with app.app_context():
        assert db.session.scalar(select(Program)) is None


def test_an_old_program_can_still_be_edited(
    app: Any, make_program: Any, manager_of: Any, login: Any
) -> None:
    program = make_program(is_open=False)
    client = login(manager_of("BIIC"))
    page = client.get(f"/manage/programs/{program.id}/edit").get_data(as_text=True)
    form = dict(re.findall(r'<input[^>]* name="([^"]+)"[^>]* value="([^"]*)"', page))
    form.update(
        center_id=str(program.center_id),
        kind="incubation",
        description_vi="Mô tả mới",
        starts_on="",
        ends_on="",
    )
    response = client.post(f"/manage/programs/{program.id}/edit", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Program, program.id).description_vi == "Mô tả mới"


def test_publishing_asks_first(app: Any, make_program: Any, manager_of: Any, login: Any) -> None:
    program = make_program(published=False)
    page = login(manager_of("BIIC")).get(f"/manage/programs/{program.id}").get_data(as_text=True)
    publish = page[: page.index('name="published" value="1"')]
    publish = publish[publish.rindex("<form") :]
    assert "data-confirm=" in publish


def test_texts_in_both_languages_fall_back_with_a_note(
    app: Any, make_user: Any, login: Any, client: Any
) -> None:
    manager = login(make_user(Role.MANAGER, center="BIIC"))
    form = program_form(description_en="Six months", **{"criteria-0-description_vi": "Kinh nghiệm"})
    form["criteria-1-name_vi"] = "Thị trường"
    form["criteria-1-weight"] = "1"
    form["criteria-1-max_score"] = "5"
    assert manager.post("/manage/programs/new", data=form).status_code == 302
    with app.app_context():
        program = db.session.scalar(select(Program))
        program.status = ProgramStatus.PUBLISHED
        db.session.commit()
    english = client.get(f"/calls/{program.id}", headers={"Accept-Language": "en"})
    html = english.get_data(as_text=True)
    assert "Team" in html and "Six months" in html and "Sáu tháng" not in html
    # no English for the second criterion nor for the first one's description: Vietnamese, marked
    assert 'Thị trường <small class="lang-note">(Tiếng Việt)</small>' in html
    assert 'Kinh nghiệm <small class="lang-note">(Tiếng Việt)</small>' in html
    vietnamese = client.get(f"/calls/{program.id}", headers={"Accept-Language": "vi"})
    html = vietnamese.get_data(as_text=True)
    assert "Đội ngũ" in html and "Sáu tháng" in html and "lang-note" not in html


def test_csv_says_its_charset_once(client: Any, make_program: Any) -> None:
    make_program()
    assert client.get("/calls?format=csv").headers["Content-Type"] == "text/csv; charset=utf-8"


def test_a_search_typed_decomposed_finds_the_composed_name(
    app: Any, make_program: Any, manager_of: Any, login: Any
) -> None:
    import unicodedata

    make_program(name="Ươm tạo Bình Dương")
    typed = unicodedata.normalize("NFD", "bình dương")
    assert typed != "bình dương"
    page = login(manager_of("BIIC")).get("/manage/programs", query_string={"q": typed})
    assert "Ươm tạo Bình Dương" in page.get_data(as_text=True)


def test_resubmitting_the_new_program_form_creates_one_program(
    app: Any, make_user: Any, login: Any
) -> None:
    """Issue 7 item 11: Back, then Save again, gives back the program made the first time."""
    from tests.startups.test_archive_and_resubmit import form_token

    client = login(make_user(Role.MANAGER, center="BIIC", locale="en"))
    token = form_token(client, "/manage/programs/new")
    first = client.post("/manage/programs/new", data=program_form(once=token))
    again = client.post("/manage/programs/new", data=program_form(once=token))
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    with app.app_context():
        assert len(db.session.scalars(select(Program)).all()) == 1
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "This form was already saved: the program exists, here it is." in page
