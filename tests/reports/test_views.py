"""Who may print what (founders their startup, mentors their assigned startups, managers
their center, admins all), the progress page and its JSON, download, retry, and twenty
identical requests at once."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import func, select

from incubator.accounts.models import Role, User
from incubator.db import db
from incubator.reports import render
from incubator.reports.models import JobStatus, ReportJob
from tests.reports.fixtures import STARTUP_NAME, Reported
from tests.test_concurrent_requests import at_once


@pytest.fixture(autouse=True)
def _one_process(app: Flask) -> None:
    app.config["REPORTS_PROCESSES"] = 1  # the tests of pools are in test_pdfs


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def test_who_may_download_a_startups_progress_report(
    app: Flask,
    reported: Callable[..., Reported],
    login: Callable[[User], Any],
    make_user: Callable[..., User],
    make_mentor: Callable[..., User],
    manager_of: Callable[[str], User],
) -> None:
    world = reported()
    url = f"/startups/{world.startup_id}/report.pdf?lang=vi"
    allowed = {
        "founder": world.founder,
        "assigned mentor": world.mentor,
        "manager of its center": world.manager,
        "admin": make_user(Role.ADMIN),
    }
    for who, user in allowed.items():
        response = login(user).get(url)
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
        assert login(user).get(url).status_code == 404, who
    assert app.test_client().get(url).status_code == 302  # to the login page


def test_the_founder_finds_the_download_on_the_startup_page(
    reported: Callable[..., Reported], login: Callable[[User], Any]
) -> None:
    world = reported()
    page = login(world.founder).get(f"/startups/{world.startup_id}").get_data(as_text=True)
    assert 'id="progress-report"' in page
    assert f"/startups/{world.startup_id}/report.pdf?lang=vi" in page
    assert f"/startups/{world.startup_id}/report.pdf?lang=en" in page


def test_a_bad_language_falls_back_to_the_page_language(
    reported: Callable[..., Reported], login: Callable[[User], Any]
) -> None:
    world = reported()
    response = login(world.founder).get(f"/startups/{world.startup_id}/report.pdf?lang=xx")
    assert response.status_code == 200
    assert "Trang 1 /" in _pdf_text(response.data)


def download(client: Any, url: str) -> Any:
    """A file's response, read and closed (send_file keeps the file open until then)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def _job(job_id: int) -> ReportJob:
    return db.session.get(ReportJob, job_id)


def test_a_manager_requests_the_cohort_report_follows_it_and_downloads_it(
    app: Flask, reported: Callable[..., Reported], login: Callable[[User], Any]
) -> None:
    world = reported()
    client = login(world.manager)
    index = client.get("/reports").get_data(as_text=True)
    assert f"/reports/cohort/{world.program_id}" in index
    response = client.post(f"/reports/cohort/{world.program_id}", data={"lang": "vi"})
    assert response.status_code == 302
    job_url = response.headers["Location"]
    page = client.get(job_url).get_data(as_text=True)
    assert 'id="job-progress"' in page and "js/reports.js" in page
    status = client.get(job_url + "/status").get_json()
    assert status["status"] == "done" and status["progress"] == 100 and status["finished"]
    pdf = download(client, status["download_url"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    text = _pdf_text(pdf.data)
    assert "Báo cáo khóa ươm tạo" in text and STARTUP_NAME in text
    # the requester's jobs only
    other = login(reported(center="SMIC").manager)
    assert other.get(job_url).status_code == 404
    assert other.get(job_url + "/status").status_code == 404
    assert download(other, status["download_url"]).status_code == 404


def test_cohort_and_center_reports_are_for_the_centers_managers(
    reported: Callable[..., Reported],
    login: Callable[[User], Any],
    manager_of: Callable[[str], User],
    make_user: Callable[..., User],
) -> None:
    world = reported()
    smic = login(manager_of("SMIC"))
    assert smic.post(f"/reports/cohort/{world.program_id}", data={"lang": "vi"}).status_code == 404
    form = {
        "center-center": "BIIC",
        "center-first": "01/01/2026",
        "center-last": "31/12/2026",
        "center-lang": "vi",
    }
    assert smic.post("/reports/center", data=form).status_code == 400  # BIIC is not a choice
    founder = login(world.founder)
    assert founder.get("/reports").status_code == 403
    assert (
        founder.post(f"/reports/cohort/{world.program_id}", data={"lang": "vi"}).status_code == 403
    )
    assert login(world.mentor).post("/reports/center", data=form).status_code == 403
    admin = login(make_user(Role.ADMIN))
    response = admin.post(f"/reports/cohort/{world.program_id}", data={"lang": "en"})
    assert response.status_code == 302


def test_the_center_report_form_says_what_is_wrong(
    reported: Callable[..., Reported], login: Callable[[User], Any]
) -> None:
    world = reported()
    client = login(world.manager)
    bad = {
        "center-center": "BIIC",
        "center-first": "31/12/2026",
        "center-last": "01/01/2026",
        "center-lang": "vi",
    }
    response = client.post("/reports/center", data=bad)
    assert response.status_code == 400
    assert "field-error" in response.get_data(as_text=True)
    garbled = dict(bad, **{"center-first": "2026-13-45"})
    assert client.post("/reports/center", data=garbled).status_code == 400
    good = dict(bad, **{"center-first": "01/01/2026", "center-last": "31/12/2026"})
    response = client.post("/reports/center", data=good)
    assert response.status_code == 302
    status = client.get(response.headers["Location"] + "/status").get_json()
    assert status["status"] == "done"
    assert download(client, status["download_url"]).data.startswith(b"%PDF")


def test_a_failed_job_shows_its_error_and_can_be_tried_again(
    app: Flask,
    reported: Callable[..., Reported],
    login: Callable[[User], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = reported()
    client = login(world.manager)
    real = render.cohort_pdf

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("máy in hết giấy")

    monkeypatch.setattr(render, "cohort_pdf", broken)
    job_url = client.post(f"/reports/cohort/{world.program_id}", data={"lang": "vi"}).headers[
        "Location"
    ]
    status = client.get(job_url + "/status").get_json()
    assert status["status"] == "failed" and "máy in hết giấy" in status["error"]
    assert status["download_url"] is None
    page = client.get(job_url).get_data(as_text=True)
    assert "máy in hết giấy" in page and 'id="job-retry"' in page
    monkeypatch.setattr(render, "cohort_pdf", real)
    assert client.post(job_url + "/retry").status_code == 302
    status = client.get(job_url + "/status").get_json()
    assert status["status"] == "done"
    with app.app_context():
        job = _job(status["id"])
        assert job.attempts == 2 and job.error == ""
    # a job that did not fail cannot be retried
    client.post(job_url + "/retry")
    with app.app_context():
        assert _job(status["id"]).attempts == 2


def test_twenty_identical_requests_make_one_job(
    app: Flask,
    reported: Callable[..., Reported],
    login: Callable[[User], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from incubator import jobs

    world = reported()
    queued: list[tuple[Any, ...]] = []
    # queued only, no worker: the twenty find the one job in the works
    monkeypatch.setattr(jobs, "enqueue", lambda *args, **kwargs: queued.append(args))
    client = login(world.manager)
    statuses = at_once(app, client, f"/reports/cohort/{world.program_id}", {"lang": "vi"})
    assert set(statuses) == {302}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReportJob)) == 1
        assert db.session.scalar(select(ReportJob.status)) is JobStatus.QUEUED
    assert len(queued) == 1
