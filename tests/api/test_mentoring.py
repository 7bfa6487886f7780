"""/api/v1/mentoring/sessions and check-ins: who logs, who reads the private notes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from incubator.accounts.models import Role
from incubator.db import utcnow
from incubator.i18n import to_local
from tests.api.fixtures import error_code


def _session(startup_id: int, **changes: Any) -> dict[str, Any]:
    body = {
        "startup_id": startup_id,
        "started_at": to_local(utcnow() - timedelta(hours=2)).isoformat(),
        "duration_minutes": 60,
        "format": "in_person",
        "topics": ["Gọi vốn", "Tài chính"],
        "summary": "Chuẩn bị bản thuyết trình gọi vốn.",
        "private_notes": "Đội ngũ còn yếu về tài chính.",
        "action_items": [{"text": "Gửi bảng số liệu", "owner": "startup", "due": None}],
    }
    return body | changes


def test_a_mentor_logs_and_the_notes_stay_private(
    assigned: Any, manager_of: Any, api: Any, make_user: Any
) -> None:
    _assignment, mentor, founder, startup_id = assigned()
    mentor_api = api(mentor)
    created = mentor_api.post("/api/v1/mentoring/sessions", json=_session(startup_id))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["private_notes"] == "Đội ngũ còn yếu về tài chính."
    assert created.get_json()["topics"] == "Gọi vốn, Tài chính"
    founder_view = api(founder).get(f"/api/v1/mentoring/sessions?startup={startup_id}").get_json()
    assert founder_view["total"] == 1
    assert founder_view["items"][0]["private_notes"] is None
    manager_view = api(manager_of("BIIC")).get("/api/v1/mentoring/sessions").get_json()
    assert manager_view["items"][0]["private_notes"] == "Đội ngũ còn yếu về tài chính."
    assert api(manager_of("SMIC")).get("/api/v1/mentoring/sessions").get_json()["total"] == 0
    stranger = api(make_user(Role.FOUNDER)).get("/api/v1/mentoring/sessions").get_json()
    assert stranger["total"] == 0


def test_only_the_assigned_mentor_logs(assigned: Any, api: Any, make_mentor: Any) -> None:
    _assignment, _mentor, founder, startup_id = assigned()
    other = api(make_mentor())
    assert other.post("/api/v1/mentoring/sessions", json=_session(startup_id)).status_code == 404
    assert (
        api(founder).post("/api/v1/mentoring/sessions", json=_session(startup_id)).status_code
        == 404
    )


def test_the_services_rules_answer_422(assigned: Any, api: Any) -> None:
    _assignment, mentor, _founder, startup_id = assigned()
    client = api(mentor)
    future = to_local(utcnow() + timedelta(days=2)).isoformat()
    response = client.post(
        "/api/v1/mentoring/sessions", json=_session(startup_id, started_at=future)
    )
    assert response.status_code == 422
    assert "held_at" in response.get_json()["error"]["fields"]
    naive = client.post(
        "/api/v1/mentoring/sessions", json=_session(startup_id, started_at="2026-01-01T10:00:00")
    )
    assert naive.status_code == 422
    assert "started_at" in naive.get_json()["error"]["fields"]
    twice = _session(startup_id, client_key="abc")
    assert client.post("/api/v1/mentoring/sessions", json=twice).status_code == 201
    again = client.post("/api/v1/mentoring/sessions", json=twice)
    assert again.status_code == 409
    assert error_code(again) == "already_saved"


def test_founders_file_checkins(assigned: Any, api: Any, make_user: Any) -> None:
    _assignment, mentor, founder, startup_id = assigned()
    month = utcnow().date().replace(day=1).isoformat()
    body = {
        "month": month,
        "revenue_vnd": 12_000_000,
        "customers": 4,
        "funding_raised_vnd": 0,
        "headcount": 5,
        "note": "Tháng tốt",
    }
    created = api(founder).post(f"/api/v1/startups/{startup_id}/checkins", json=body)
    assert created.status_code == 201, created.get_json()
    listed = api(mentor).get(f"/api/v1/startups/{startup_id}/checkins").get_json()
    assert listed["items"][0]["revenue_vnd"] == 12_000_000
    assert api(mentor).post(f"/api/v1/startups/{startup_id}/checkins", json=body).status_code == 404
    stranger = api(make_user(Role.FOUNDER))
    assert stranger.get(f"/api/v1/startups/{startup_id}/checkins").status_code == 404
    negative = api(founder).post(
        f"/api/v1/startups/{startup_id}/checkins", json=body | {"headcount": -1}
    )
    assert negative.status_code == 422
    assert "headcount" in negative.get_json()["error"]["fields"]
