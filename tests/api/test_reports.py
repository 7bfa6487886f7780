"""/api/v1 reports: the startup's progress report (whoever may view the startup), cohort,
center and export jobs (the center's managers; 202 with the job's address), a job's status
(its requester) and its file; a read-only token asks for nothing; twenty identical requests
at once follow one job."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import func, select

from incubator.accounts.models import Role, User
from incubator.db import db
from incubator.reports.models import JobStatus, ReportJob
from tests.api.fixtures import error_code
from tests.api.test_concurrency import TIMES, at_once
from tests.reports.fixtures import STARTUP_NAME, Reported


@pytest.fixture(autouse=True)
def _one_process(app: Flask) -> None:
    app.config["REPORTS_PROCESSES"] = 1


@pytest.fixture
def no_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Jobs are queued but no worker runs them."""
    from incubator import jobs

    queued: list[Any] = []
    monkeypatch.setattr(jobs, "enqueue", lambda *args, **kwargs: queued.append(args))
    yield queued


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def _jobs(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ReportJob))


def test_a_startups_report_for_whoever_may_view_it(
    reported: Callable[..., Reported],
    api: Any,
    make_user: Callable[..., User],
    make_mentor: Callable[..., User],
    manager_of: Callable[[str], User],
) -> None:
    world = reported()
    url = f"/api/v1/startups/{world.startup_id}/report.pdf?lang=vi"
    allowed = {
        "founder": world.founder,
        "assigned mentor": world.mentor,
        "manager of its center": world.manager,
        "admin": make_user(Role.ADMIN),
    }
    for who, user in allowed.items():
        response = api(user, read_only=True).get(url)
        assert response.status_code == 200, who
        assert response.mimetype == "application/pdf"
        assert "attachment" in response.headers["Content-Disposition"]
        assert STARTUP_NAME in _pdf_text(response.data), who
    refused = {
        "another founder": make_user(Role.FOUNDER),
        "a mentor not assigned": make_mentor("BIIC"),
        "the other center's manager": manager_of("SMIC"),
    }
    for who, user in refused.items():
        response = api(user).get(url)
        assert response.status_code == 404, who
        assert error_code(response) == "not_found"
    assert api(None).get(url).status_code == 401
    assert api(world.founder).get("/api/v1/startups/999999/report.pdf").status_code == 404
    wrong = api(world.founder).get(f"/api/v1/startups/{world.startup_id}/report.pdf?lang=fr")
    assert wrong.status_code == 422
    assert "lang" in wrong.get_json()["error"]["fields"]


def test_a_cohort_report_is_asked_followed_and_downloaded(
    app: Flask, reported: Callable[..., Reported], api: Any
) -> None:
    world = reported()
    manager = api(world.manager)
    asked = manager.post("/api/v1/reports", json={"kind": "cohort", "program_id": world.program_id})
    assert asked.status_code == 202, asked.get_json()
    job = asked.get_json()
    assert asked.headers["Location"].endswith(f"/api/v1/reports/{job['id']}")
    assert job["url"] == f"/api/v1/reports/{job['id']}"
    # (the tests' jobs run inline, after the commit)
    status = manager.get(job["url"]).get_json()
    assert status["status"] == "done" and status["finished"] and status["progress"] == 100
    assert status["download_url"] == f"/api/v1/reports/{job['id']}/download"
    assert status["pages"] >= 1
    with manager.get(status["download_url"]) as download:  # a streamed file: closed after
        assert download.status_code == 200
        assert download.mimetype == "application/pdf"
        assert STARTUP_NAME in _pdf_text(download.data)


def test_who_may_ask_for_a_report(
    app: Flask,
    reported: Callable[..., Reported],
    api: Any,
    manager_of: Callable[[str], User],
    make_user: Callable[..., User],
    no_queue: list[Any],
) -> None:
    world = reported()
    body = {"kind": "cohort", "program_id": world.program_id}
    founder = api(world.founder).post("/api/v1/reports", json=body)
    assert founder.status_code == 403
    assert error_code(founder) == "forbidden"
    read_only = api(world.manager, read_only=True).post("/api/v1/reports", json=body)
    assert read_only.status_code == 403
    assert error_code(read_only) == "read_only_token"
    smic = api(manager_of("SMIC")).post("/api/v1/reports", json=body)
    assert smic.status_code == 404
    smic_center = api(world.manager).post(
        "/api/v1/reports", json={"kind": "center", "center": "SMIC", "from": "2026-01-01"}
    )
    assert smic_center.status_code == 404
    assert api(None).post("/api/v1/reports", json=body).status_code == 401
    assert _jobs(app) == 0
    admin = api(make_user(Role.ADMIN)).post("/api/v1/reports", json=body)
    assert admin.status_code == 202
    assert len(no_queue) == 1


def test_a_report_request_is_checked(reported: Callable[..., Reported], api: Any) -> None:
    world = reported()
    manager = api(world.manager)
    cases = [
        ({"kind": "cohort"}, "program_id"),
        ({"kind": "center", "from": "2026-01-01", "to": "2026-03-31"}, "center"),
        ({"kind": "center", "center": "BIIC", "from": "2026-03-01", "to": "2026-01-31"}, "to"),
        ({"kind": "center", "center": "BIIC", "to": "2026-01-31"}, "from"),
        ({"kind": "weekly", "center": "BIIC"}, "kind"),
        ({"kind": "center", "center": "BIIC", "from": "2026-13-01"}, "from"),
        ({"kind": "cohort", "program_id": world.program_id, "lang": "fr"}, "lang"),
        ({"kind": "cohort", "program_id": world.program_id, "colour": 1}, "colour"),
    ]
    for body, field in cases:
        response = manager.post("/api/v1/reports", json=body)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["error"]["fields"], (body, response.get_json())


def test_a_center_report_job_and_its_file_while_in_the_works(
    app: Flask, reported: Callable[..., Reported], api: Any, no_queue: list[Any], make_user: Any
) -> None:
    world = reported()
    manager = api(world.manager)
    body = {"kind": "center", "center": "BIIC", "from": "2026-01-01", "to": "2026-06-30"}
    asked = manager.post("/api/v1/reports", json={**body, "pdfa": True, "lang": "en"})
    assert asked.status_code == 202
    job = asked.get_json()
    assert job["status"] == "queued" and job["download_url"] is None
    with app.app_context():
        stored = db.session.get(ReportJob, job["id"])
        assert stored.params["archival"] is True
        assert stored.params["first"] == "2026-01-01" and stored.lang == "en"
    not_ready = manager.get(f"/api/v1/reports/{job['id']}/download")
    assert not_ready.status_code == 409
    assert error_code(not_ready) == "not_ready"
    # asked again while in the works: the same job
    again = manager.post("/api/v1/reports", json={**body, "pdfa": True, "lang": "en"})
    assert again.status_code == 202 and again.get_json()["id"] == job["id"]
    # someone else's job is not found
    stranger = api(make_user(Role.MANAGER))
    assert stranger.get(job["url"]).status_code == 404
    assert stranger.get(f"/api/v1/reports/{job['id']}/download").status_code == 404
    assert manager.get("/api/v1/reports/999999").status_code == 404
    with app.app_context(), db.transaction():
        db.session.get(ReportJob, job["id"]).status = JobStatus.FAILED
    failed = manager.get(f"/api/v1/reports/{job['id']}/download")
    assert failed.status_code == 404


def test_twenty_identical_requests_follow_one_job(
    app: Flask, reported: Callable[..., Reported], make_token: Any, no_queue: list[Any]
) -> None:
    world = reported()
    body = {"kind": "cohort", "program_id": world.program_id, "lang": "vi"}
    answers = at_once(app, make_token(world.manager), "POST", "/api/v1/reports", body)
    statuses = [status for status, _ in answers]
    assert statuses == [202] * TIMES, answers
    assert len({answer["id"] for _, answer in answers}) == 1
    assert _jobs(app) == 1
    assert len(no_queue) == 1
