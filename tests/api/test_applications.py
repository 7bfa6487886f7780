"""/api/v1/applications: draft, answers, pitch deck, transitions, history; programs."""

from __future__ import annotations

from typing import Any

from incubator import files
from incubator.accounts.models import Role
from tests.api.fixtures import error_code

ANSWERS = {
    "problem": "Nông dân thiếu nước tưới mùa khô.",
    "solution": "Cảm biến độ ẩm và ứng dụng tưới thông minh.",
    "market": "Hơn 20.000 hộ trồng sầu riêng ở Bình Dương.",
    "traction": "5 hộ dùng thử, 2 hộ trả phí.",
    "team": "3 kỹ sư, 1 chuyên gia nông nghiệp.",
    "funding_need_vnd": 500_000_000,
}


def _draft(api: Any, make_user: Any, make_startup: Any, make_program: Any) -> tuple[Any, int]:
    founder = make_user(Role.FOUNDER)
    startup = make_startup(founder)
    program = make_program()
    client = api(founder)
    response = client.post(
        "/api/v1/applications",
        json={"startup_id": startup.id, "program_id": program.id, "answers": {"problem": "Nước"}},
    )
    assert response.status_code == 201, response.get_json()
    return client, response.get_json()["id"]


def test_the_program_lists_its_questions_and_rubric(
    make_user: Any, make_program: Any, api: Any
) -> None:
    program = make_program()
    make_program(is_open=False)
    client = api(make_user(Role.FOUNDER))
    listed = client.get("/api/v1/programs?open=true&center=BIIC").get_json()
    assert [p["id"] for p in listed["items"]] == [program.id]
    assert client.get("/api/v1/programs?open=true&center=SMIC").get_json()["total"] == 0
    detail = client.get(f"/api/v1/programs/{program.id}").get_json()
    assert {q["key"] for q in detail["questions"]} >= set(ANSWERS)
    assert detail["rubric"] and detail["open"] is True


def test_a_draft_program_is_not_found_by_founders(
    make_user: Any, make_program: Any, api: Any
) -> None:
    program = make_program(published=False)
    published = make_program(is_open=False)
    client = api(make_user(Role.FOUNDER))
    assert client.get(f"/api/v1/programs/{program.id}").status_code == 404
    listed = client.get("/api/v1/programs").get_json()  # published ones, open or closed
    assert [p["id"] for p in listed["items"]] == [published.id]


def test_apply_answer_upload_submit_and_history(
    app: Any, make_user: Any, make_startup: Any, make_program: Any, api: Any
) -> None:
    client, application_id = _draft(api, make_user, make_startup, make_program)
    path = f"/api/v1/applications/{application_id}"
    assert client.get(path).get_json()["answers"]["problem"] == "Nước"
    early = client.post(f"{path}/transitions", json={"to": "submitted"})
    assert early.status_code == 422
    assert error_code(early) == "incomplete"
    saved = client.patch(path, json={"answers": ANSWERS})
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["answers"]["funding_need_vnd"] == 500_000_000
    with app.app_context():
        pdf = files.minimal_pdf("Deck")
    not_pdf = client.put(
        f"{path}/pitch-deck", data=b"hello", headers={"Content-Type": "application/pdf"}
    )
    assert not_pdf.status_code == 422
    assert error_code(not_pdf) == "not_a_pdf"
    uploaded = client.put(
        f"{path}/pitch-deck", data=pdf, headers={"Content-Type": "application/pdf"}
    )
    assert uploaded.status_code == 200, uploaded.get_json()
    assert uploaded.get_json()["pitch_deck"]["size"] == len(pdf)
    download = client.get(f"{path}/pitch-deck")
    assert download.data == pdf
    assert download.mimetype == "application/pdf"
    download.close()
    moved = client.post(f"{path}/transitions", json={"to": "submitted"})
    assert moved.status_code == 201, moved.get_json()
    assert moved.get_json()["to_stage"] == "submitted"
    again = client.post(f"{path}/transitions", json={"to": "submitted"})
    assert again.status_code == 409
    assert error_code(again) == "transition_not_allowed"
    changed = client.patch(path, json={"answers": {"problem": "khác"}})
    assert changed.status_code == 409
    assert error_code(changed) == "not_a_draft"
    history = client.get(f"{path}/history").get_json()["items"]
    assert [t["to_stage"] for t in history] == ["draft", "submitted"]


def test_a_deck_over_20_mb_is_a_413(
    app: Any, make_user: Any, make_startup: Any, make_program: Any, api: Any
) -> None:
    client, application_id = _draft(api, make_user, make_startup, make_program)
    big = b"%PDF-1.4\n" + b"0" * (21 * 1024 * 1024)
    response = client.put(
        f"/api/v1/applications/{application_id}/pitch-deck",
        data=big,
        headers={"Content-Type": "application/pdf"},
    )
    assert response.status_code == 413
    assert error_code(response) == "too_large"
    huge = b"0" * (25 * 1024 * 1024)
    response = client.put(
        f"/api/v1/applications/{application_id}/pitch-deck",
        data=huge,
        headers={"Content-Type": "application/pdf"},
    )
    assert response.status_code == 413
    assert error_code(response) == "too_large"


def test_answers_are_checked_by_the_forms_validators(
    make_user: Any, make_startup: Any, make_program: Any, api: Any
) -> None:
    client, application_id = _draft(api, make_user, make_startup, make_program)
    path = f"/api/v1/applications/{application_id}"
    bad = client.patch(path, json={"answers": {"funding_need_vnd": "nhiều tiền"}})
    assert bad.status_code == 422
    assert "funding_need_vnd" in bad.get_json()["error"]["fields"]
    as_typed = client.patch(path, json={"answers": {"funding_need_vnd": "1.000.000"}})
    assert as_typed.get_json()["answers"]["funding_need_vnd"] == 1_000_000  # the web's text
    unknown = client.patch(path, json={"answers": {"nope": "x"}})
    assert unknown.status_code == 422
    assert error_code(unknown) == "unknown_question"


def test_applying_twice_is_a_conflict(
    make_user: Any, make_startup: Any, make_program: Any, api: Any
) -> None:
    founder = make_user(Role.FOUNDER)
    startup = make_startup(founder)
    program = make_program()
    client = api(founder)
    body = {"startup_id": startup.id, "program_id": program.id}
    assert client.post("/api/v1/applications", json=body).status_code == 201
    second = client.post("/api/v1/applications", json=body)
    assert second.status_code == 409
    assert error_code(second) == "duplicate_application"
    closed = make_program(is_open=False)
    late = client.post("/api/v1/applications", json={**body, "program_id": closed.id})
    assert late.status_code == 409
    assert error_code(late) == "call_closed"


def test_someone_elses_startup_is_not_found(
    make_user: Any, make_startup: Any, make_program: Any, api: Any
) -> None:
    startup = make_startup()
    program = make_program()
    client = api(make_user(Role.FOUNDER))
    response = client.post(
        "/api/v1/applications", json={"startup_id": startup.id, "program_id": program.id}
    )
    assert response.status_code == 404


def test_managers_move_their_centers_applications_only(
    make_application: Any, manager_of: Any, api: Any
) -> None:
    application = make_application("submitted")
    path = f"/api/v1/applications/{application.id}"
    smic = api(manager_of("SMIC"))
    assert smic.get(path).status_code == 404
    assert smic.post(f"{path}/transitions", json={"to": "screening"}).status_code == 404
    biic = api(manager_of("BIIC"))
    listed = biic.get("/api/v1/applications?stage=submitted").get_json()
    assert [a["id"] for a in listed["items"]] == [application.id]
    assert biic.get(path).get_json()["allowed_transitions"]
    moved = biic.post(f"{path}/transitions", json={"to": "screening"})
    assert moved.status_code == 201, moved.get_json()
    refused = biic.post(f"{path}/transitions", json={"to": "rejected"})
    assert refused.status_code == 422
    assert error_code(refused) == "reason_required"
    assert "reason" in refused.get_json()["error"]["fields"]


def test_the_founders_list_filters_by_program_and_stage(
    make_application: Any, api: Any, make_user: Any
) -> None:
    application = make_application("submitted")
    client = api(application.startup.members[0].user)
    listed = client.get(f"/api/v1/applications?program={application.program_id}").get_json()
    assert listed["total"] == 1
    assert client.get("/api/v1/applications?stage=draft").get_json()["total"] == 0
