"""The editor and the founder's form through HTTP; the ranking's answer columns and filter."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from sqlalchemy import select

from incubator.accounts.models import Role
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.files import minimal_pdf
from incubator.questions.models import Kind, Question
from tests.applications.fixtures import ANSWERS, answer


def form_page(client: Any, program_id: int) -> str:
    return client.get(f"/manage/programs/{program_id}/form").get_data(as_text=True)


def test_the_editor_adds_edits_moves_and_deletes_without_javascript(
    app: Any, make_program: Any, manager_of: Any, login: Any
) -> None:
    program = make_program(published=False)
    client = login(manager_of("BIIC"))
    with app.app_context():
        section_id = db.session.scalar(
            select(Question.section_id).where(
                Question.program_id == program.id, Question.key == "team"
            )
        )
    base = f"/manage/programs/{program.id}/form"
    response = client.post(
        f"{base}/questions/new",
        data={
            "section_id": section_id,
            "kind": "single_choice",
            "label_vi": "Trường đại học",
            "label_en": "University",
            "required": "y",
            "condition": "",
            "choices-0-label_vi": "ĐH Thủ Dầu Một",
            "choices-1-label_vi": "ĐH Quốc tế Miền Đông",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        question = db.session.scalars(
            select(Question).where(Question.label_vi == "Trường đại học")
        ).one()
        assert [c.label_vi for c in question.choices] == ["ĐH Thủ Dầu Một", "ĐH Quốc tế Miền Đông"]
        question_id, key = question.id, question.key
    html = form_page(client, program.id)
    assert f'id="question-{question_id}"' in html and "Trường đại học" in html
    # a choice question with one choice is refused, with the typed text kept
    response = client.post(
        f"{base}/questions/new",
        data={
            "section_id": section_id,
            "kind": "single_choice",
            "label_vi": "Ngành",
            "choices-0-label_vi": "Nông nghiệp",
            "condition": "",
        },
        headers={"Accept-Language": "en"},
    )
    html = response.get_data(as_text=True)
    assert (
        response.status_code == 200 and "Hãy đưa ra ít nhất hai lựa chọn" in html
    )  # the manager reads Vietnamese
    assert 'value="Nông nghiệp"' in html  # what was typed is kept
    # move up: before the team question
    assert (
        client.post(f"{base}/questions/{question_id}/move", data={"step": "-1"}).status_code == 302
    )
    with app.app_context():
        from incubator.programs.models import Program
        from incubator.questions.services import form_of

        keys = [q.key for q in form_of(db.session.get(Program, program.id)).questions]
        assert keys.index(key) == keys.index("team") - 1
    assert client.post(f"{base}/questions/{question_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Question, question_id) is None


def test_another_centers_manager_cannot_open_the_editor(
    make_program: Any, manager_of: Any, login: Any
) -> None:
    program = make_program(center="SMIC")
    client = login(manager_of("BIIC"))
    assert client.get(f"/manage/programs/{program.id}/form").status_code == 404


def test_the_editor_says_why_a_used_form_is_locked(
    make_program: Any, make_application: Any, manager_of: Any, login: Any
) -> None:
    program = make_program()
    make_application(Stage.SUBMITTED, program=program)
    client = login(manager_of("BIIC"))
    html = form_page(client, program.id)  # the manager reads Vietnamese
    assert 'id="form-locked"' in html and "không thể xóa câu hỏi hay đổi loại" in html
    assert "/delete" not in html  # no question nor section of a used form can be deleted
    assert "/move" in html and 'class="secondary outline edit-question"' in html


def test_the_founders_form_shows_conditions_in_words_and_uploads_files(
    app: Any,
    make_program: Any,
    add_question: Any,
    make_user: Any,
    make_startup: Any,
    make_application: Any,
    login: Any,
) -> None:
    program = make_program()
    partner = add_question(program, Kind.YES_NO, "Có nhà máy đối tác?", label_en="Factory partner?")
    add_question(program, Kind.LONG_TEXT, "Tên nhà máy", label_en="Factory", when=(partner, "yes"))
    plan = add_question(program, Kind.FILE, "Kế hoạch", label_en="Business plan", required=True)
    founder = make_user(Role.FOUNDER, locale="en")
    application = make_application(program=program, startup=make_startup(founder=founder))
    client = login(founder)
    html = client.get(f"/applications/{application.id}/edit").get_data(as_text=True)
    assert f'data-when="{partner.key}" data-when-value="yes"' in html
    assert "Only when «Factory partner?» is «Yes»" in html  # written for pages without JS
    assert f'href="#q-{plan.key}"' in html  # the missing file, linked
    response = client.post(
        f"/applications/{application.id}/answers/{plan.id}/file",
        data={"file": (io.BytesIO(b"not a pdf"), "plan.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "PDF" in response.get_data(as_text=True)
    response = client.post(
        f"/applications/{application.id}/answers/{plan.id}/file",
        data={"file": (io.BytesIO(minimal_pdf("Plan")), "kế hoạch.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert answer(app, application.id, plan.key) == "kế hoạch.pdf"
    with client.get(f"/applications/{application.id}/answers/{plan.id}/file") as download:
        assert download.status_code == 200 and download.data.startswith(b"%PDF")
    # per-question validation messages in the user's language, nothing lost
    response = client.post(
        f"/applications/{application.id}/autosave",
        data={**ANSWERS, "funding_need_vnd": "1.5", partner.key: "yes"},
    )
    assert response.json["saved"] is False and "funding_need_vnd" in response.json["errors"]


def test_the_ranking_filters_by_a_choice_and_exports_every_question(
    app: Any,
    make_program: Any,
    add_question: Any,
    make_application: Any,
    manager_of: Any,
    login: Any,
) -> None:
    program = make_program()
    machines = add_question(
        program, Kind.MULTIPLE_CHOICE, "Thiết bị", label_en="Machines", choices=("CNC", "Laser")
    )
    cnc, laser = (c.value for c in machines.choices)
    with_cnc = make_application(Stage.SUBMITTED, program=program)
    without = make_application(Stage.SUBMITTED, program=program)
    with app.app_context():
        from incubator.applications import drafts

        for application_id, chosen in ((with_cnc.id, [cnc, laser]), (without.id, [laser])):
            application = db.session.get(Application, application_id)
            question = db.session.get(Question, machines.id)
            value = [c for c in question.choices if c.value in chosen]
            drafts.store_answer(application, question, None, value)
        db.session.commit()
        cnc_id = next(c.id for c in db.session.get(Question, machines.id).choices if c.value == cnc)
    client = login(manager_of("BIIC"))
    url = f"/manage/programs/{program.id}/applications"
    html = client.get(f"{url}?answer=c{cnc_id}&cols={machines.key}").get_data(as_text=True)
    assert f"/manage/applications/{with_cnc.id}" in html
    assert f"/manage/applications/{without.id}" not in html
    assert "CNC; Laser" in html  # the chosen column
    assert f"cols={machines.key}" in html  # kept in the sort links
    assert f'type="hidden" name="cols" value="{machines.key}"' in html  # and by the filters
    response = client.get(f"{url}?format=csv")  # the manager reads Vietnamese
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    labels = ["Vấn đề", "Giải pháp", "Thị trường", "Kết quả đạt được", "Đội ngũ"]
    assert header[-7:] == [*labels, "Nhu cầu vốn (VND)", "Thiết bị"]  # one column per question
    by_machines = {row[header.index("Thiết bị")] for row in rows[1:]}
    assert by_machines == {"CNC; Laser", "Laser"}
    assert {row[header.index("Nhu cầu vốn (VND)")] for row in rows[1:]} == {"500.000.000 ₫"}


def test_the_ranking_filters_by_the_least_number_money_or_date_answered(
    app: Any,
    make_program: Any,
    add_question: Any,
    make_application: Any,
    manager_of: Any,
    login: Any,
) -> None:
    program = make_program()
    staff = add_question(program, Kind.NUMBER, "Số nhân sự", label_en="Staff")
    started = add_question(program, Kind.DATE, "Ngày thành lập", label_en="Founded")
    small = make_application(Stage.SUBMITTED, program=program)
    large = make_application(Stage.SUBMITTED, program=program)
    with app.app_context():
        from incubator.applications import drafts

        for application_id, people, day in (
            (small.id, 3, date(2020, 5, 1)),
            (large.id, 12, date(2024, 1, 15)),
        ):
            application = db.session.get(Application, application_id)
            drafts.store_answer(application, db.session.get(Question, staff.id), None, people)
            drafts.store_answer(application, db.session.get(Question, started.id), None, day)
        db.session.commit()
    client = login(manager_of("BIIC"))
    url = f"/manage/programs/{program.id}/applications"

    def shown(query: str) -> set[int]:
        html = client.get(f"{url}?{query}").get_data(as_text=True)
        return {a.id for a in (small, large) if f'/manage/applications/{a.id}"' in html}

    assert shown("") == {small.id, large.id}
    assert shown(f"min_{staff.key}=10") == {large.id}
    assert shown(f"min_{staff.key}=2,5") == {small.id, large.id}
    assert shown(f"min_{started.key}=01/01/2023") == {large.id}
    assert shown("min_funding_need_vnd=600.000.000") == set()  # the call's money question
    assert shown("min_funding_need_vnd=500.000.000") == {small.id, large.id}
    assert shown(f"min_{started.key}=31/02/2023") == {small.id, large.id}  # no date: ignored
    page = client.get(url).get_data(as_text=True)
    assert f'name="min_{started.key}"' in page and "dd/mm/yyyy" in page
