"""Demo-day pages: the manager's, the judges' JSON autosave, the public pages."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from incubator.db import db
from incubator.demodays.models import Certificate, DemoDay, DemoScore
from tests.demodays.fixtures import score


def _post_json(client: Any, path: str, data: Any) -> Any:
    return client.post(path, data=json.dumps(data), content_type="application/json")


def test_the_manager_plans_a_demo_day(
    app: Any, make_application: Any, make_program: Any, manager_of: Any, login: Any
) -> None:
    from incubator.applications.stages import Stage

    program = make_program()
    make_application(Stage.DEMO_DAY, program=program)
    client = login(manager_of("BIIC"))
    page = client.get("/demo-days/new", follow_redirects=True)
    assert page.status_code == 200
    response = client.post(
        page.request.path + "?" + page.request.query_string.decode(),
        data={
            "program_id": program.id,
            "name_vi": "Demo Day BIIC 2027",
            "name_en": "",
            "starts_at": "15/12/2027 08:30",
            "venue": "Hội trường BIIC",
            "pitch_minutes": "7",
            "qa_minutes": "3",
            "once": re.search(r"once=([\w-]+)", page.request.query_string.decode()).group(1),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Demo Day BIIC 2027" in detail
    assert "08:30–08:40" in detail
    assert client.get("/demo-days/").status_code == 200


def test_bad_input_is_a_message(app: Any, manager_of: Any, login: Any, make_program: Any) -> None:
    make_program()
    client = login(manager_of("BIIC"))
    response = client.post(
        "/demo-days/new",
        data={"program_id": "x", "name_vi": "", "starts_at": "32/13/2027", "pitch_minutes": "abc"},
    )
    assert response.status_code == 200
    assert "field-error" in response.get_data(as_text=True)


def test_a_judge_saves_scores_as_json(app: Any, make_demo_day: Any, login: Any) -> None:
    planned = make_demo_day(status="judging")
    client = login(planned.judges[0])
    page = client.get(f"/demo-days/{planned.demo_day_id}/judge")
    assert page.status_code == 200
    assert "data-csrf" in page.get_data(as_text=True)
    path = f"/demo-days/{planned.demo_day_id}/scores"
    slot, criterion = planned.slot_ids[0], planned.criterion_ids[0]
    ok = _post_json(client, path, {"slot": slot, "criterion": criterion, "value": 7})
    assert ok.status_code == 200 and ok.get_json()["ok"] is True
    bad = _post_json(client, path, {"slot": slot, "criterion": criterion, "value": 11})
    assert bad.status_code == 409 and bad.get_json()["ok"] is False
    assert (
        _post_json(client, path, {"slot": slot, "criterion": criterion, "value": "x"}).status_code
        == 400
    )
    assert _post_json(client, path, "nonsense").status_code == 400
    assert (
        _post_json(client, path, {"slot": 999999, "criterion": criterion, "value": 1}).status_code
        == 404
    )
    comment = _post_json(client, path, {"slot": slot, "comment": "Đội ngũ mạnh."})
    assert comment.status_code == 200
    with app.app_context():
        assert db.session.scalars(select(DemoScore.value)).all() == [7]
    now = client.get(f"/demo-days/{planned.demo_day_id}/now").get_json()
    assert now == {"current": None, "status": "judging"}


def test_an_uninvited_judge_and_a_founder_see_nothing(
    app: Any, make_demo_day: Any, as_role: Any, login: Any
) -> None:
    planned = make_demo_day(status="judging")
    outsider, _user = as_role("judge")
    assert outsider.get(f"/demo-days/{planned.demo_day_id}/judge").status_code == 404
    response = _post_json(
        outsider,
        f"/demo-days/{planned.demo_day_id}/scores",
        {"slot": planned.slot_ids[0], "criterion": planned.criterion_ids[0], "value": 5},
    )
    assert response.status_code == 404
    founder = login(planned.founders[0])
    assert founder.get(f"/demo-days/{planned.demo_day_id}").status_code == 403
    assert founder.get(f"/demo-days/{planned.demo_day_id}/leaderboard").status_code == 403


def test_the_csrf_token_travels_in_a_header(app: Any, make_demo_day: Any, login: Any) -> None:
    planned = make_demo_day(status="judging")
    client = login(planned.judges[0])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get(f"/demo-days/{planned.demo_day_id}/judge").get_data(as_text=True)
        token = re.search(r'data-csrf="([^"]+)"', page).group(1)
        path = f"/demo-days/{planned.demo_day_id}/scores"
        body = {"slot": planned.slot_ids[0], "criterion": planned.criterion_ids[0], "value": 4}
        refused = _post_json(client, path, body)
        assert refused.status_code == 400
        accepted = client.post(
            path,
            data=json.dumps(body),
            content_type="application/json",
            headers={"X-CSRFToken": token},
        )
        assert accepted.status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_leaderboard_publish_graduate_certificate_and_verify(
    app: Any, make_demo_day: Any, login: Any
) -> None:
    planned = make_demo_day(
        pitches=2, judges=1, status="judging", names=["Công ty Đổi Mới Sáng Tạo", "Nông Trại Số"]
    )
    for slot, value in zip(planned.slot_ids, (9, 5), strict=True):
        for criterion in planned.criterion_ids:
            score(app, planned, planned.judges[0], slot, criterion, value)
    manager = login(planned.manager)
    base = f"/demo-days/{planned.demo_day_id}"
    board = manager.get(f"{base}/leaderboard?by=normalized").get_data(as_text=True)
    assert board.index("Công ty Đổi Mới Sáng Tạo") < board.index("Nông Trại Số")
    assert re.search(r'id="by-normalized"[^>]*aria-current="page"', board)
    rows = manager.get(f"{base}/leaderboard/rows").get_data(as_text=True)
    assert rows.index("Công ty Đổi Mới Sáng Tạo") < rows.index("Nông Trại Số")
    assert manager.post(f"{base}/status", data={"change": "publish"}).status_code == 302
    with app.app_context():
        assert db.session.get(DemoDay, planned.demo_day_id).published
    response = manager.post(
        f"{base}/decide", data={"decision": "graduate", "slot_id": [planned.slot_ids[0]]}
    )
    assert response.status_code == 302
    with app.app_context():
        certificate = db.session.scalar(select(Certificate))
        code = certificate.code
    founder = login(planned.founders[0])
    pdf = founder.get(f"/demo-days/certificates/{code}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Công ty Đổi Mới Sáng Tạo" in text
    assert planned.founders[0].name in text
    assert code in text
    assert f"/verify/{code}" in text
    # another founder cannot download it; the verification page is public
    other = login(planned.founders[1])
    assert other.get(f"/demo-days/certificates/{code}.pdf").status_code == 404
    anonymous = app.test_client()
    valid = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    assert 'class="verify verify-valid"' in valid and "Công ty Đổi Mới Sáng Tạo" in valid
    assert "verify-unknown" in anonymous.get("/verify/NOPE1234").get_data(as_text=True)
    assert (
        manager.post(
            f"/demo-days/certificates/{code}/revoke", data={"reason": "Sai tên"}
        ).status_code
        == 302
    )
    assert "verify-revoked" in anonymous.get(f"/verify/{code}").get_data(as_text=True)
    # the founder sees the results and the comments on the startup's page
    with app.app_context():
        from incubator.applications.models import Application

        startup_id = db.session.get(Application, planned.application_ids[0]).startup_id
    page = founder.get(f"/startups/{startup_id}").get_data(as_text=True)
    assert "demo-day-results" in page


def test_the_public_schedule_shows_names_and_sectors_only(app: Any, make_demo_day: Any) -> None:
    planned = make_demo_day(pitches=2, names=["Ví Xanh", "EduViet AI"], status="judging")
    page = app.test_client().get(f"/demo-days/{planned.demo_day_id}/schedule")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ví Xanh" in text and "EduViet AI" in text
    assert planned.founders[0].email not in text
    assert planned.founders[0].name not in text


def test_the_judge_sees_their_invitation_on_the_home_page(
    app: Any, make_demo_day: Any, login: Any
) -> None:
    planned = make_demo_day()
    home = login(planned.judges[0]).get("/").get_data(as_text=True)
    assert "panel-judge" in home and "Demo Day thử" in home


def test_the_running_order_is_dragged_into_place(app: Any, make_demo_day: Any, login: Any) -> None:
    planned = make_demo_day(pitches=3)
    client = login(planned.manager)
    path = f"/demo-days/{planned.demo_day_id}/order"
    wanted = list(reversed(planned.slot_ids))
    assert client.post(path, data={"order": ",".join(map(str, wanted))}).status_code == 302
    with app.app_context():
        demo_day = db.session.get(DemoDay, planned.demo_day_id)
        assert [s.id for s in demo_day.slots] == wanted
    # a stale or tampered order changes nothing
    for bad in (",".join(map(str, wanted[:2])), "1,x,3", f"{wanted[0]},{wanted[0]},{wanted[1]}"):
        response = client.post(path, data={"order": bad}, follow_redirects=True)
        assert response.status_code == 200
        assert "field-error" in response.get_data(
            as_text=True
        ) or "flash-error" in response.get_data(as_text=True)
    with app.app_context():
        assert [s.id for s in db.session.get(DemoDay, planned.demo_day_id).slots] == wanted


def test_odd_addresses_are_not_found(app: Any, as_role: Any) -> None:
    client, _user = as_role("admin", "judge")
    for path in (
        "/demo-days/99999999999999999999999",
        "/demo-days/2147483648/judge",
        "/demo-days/2147483648/schedule",
        "/demo-days/certificates/" + "X" * 300 + ".pdf",
        "/verify/%00",
    ):
        assert client.get(path).status_code in (200, 400, 404), path  # (400: a NUL)
    assert "verify-unknown" in client.get("/verify/" + "Z" * 300).get_data(as_text=True)


@pytest.mark.parametrize("status", ["planning", "judging", "closed", "published"])
def test_a_demo_day_still_in_planning_has_no_public_page(
    app: Any, make_demo_day: Any, login: Any, status: str
) -> None:
    planned = make_demo_day(pitches=1, status=status)
    path = f"/demo-days/{planned.demo_day_id}/schedule"
    expected = 404 if status == "planning" else 200
    assert app.test_client().get(path).status_code == expected
    assert login(planned.manager).get(path).status_code == expected
    manage = login(planned.manager).get(f"/demo-days/{planned.demo_day_id}")
    assert (path in manage.get_data(as_text=True)) is (status != "planning")
