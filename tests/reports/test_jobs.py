"""Report jobs without HTTP: a worker killed mid-job is detected by its stopped heartbeat and
the job marked failed; files expire and are removed by the schedule; RQ runs the jobs; the
CLI prints every report; the center's export is a ZIP of the lists' CSVs."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader

from incubator.accounts.models import User
from incubator.db import db, run, utcnow
from incubator.programs.models import Program
from incubator.reports import services
from incubator.reports.models import JobStatus, ReportJob, ReportKind
from incubator.storage import storage
from tests.reports.fixtures import STARTUP_NAME, Reported
from tests.reports.test_views import download
from tests.test_mail import redis_url, rq_app  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def _queued_cohort(app: Flask, world: Reported) -> int:
    with app.app_context():
        actor = db.session.get(User, world.manager.id)
        program = db.session.get(Program, world.program_id)
        job = run(services.request_cohort, actor, program, "vi")
        return job.id


def _job(app: Flask, job_id: int) -> ReportJob:
    with app.app_context():
        return db.session.get(ReportJob, job_id)


WORKER = textwrap.dedent(
    """
    import sys
    from incubator import create_app
    from incubator.reports.services import run_job

    url, uploads, job_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = create_app(
        "testing", DATABASE_URL=url, UPLOAD_DIR=uploads, REPORTS_PROCESSES=1,
        REPORTS_STEP_DELAY=60, REPORTS_HEARTBEAT_SECONDS=0.2,
    )
    with app.app_context():
        run_job(job_id)
    """
)


@pytest.fixture
def no_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Jobs are queued but no worker runs them (the test runs them itself)."""
    from incubator import jobs

    queued: list[Any] = []
    monkeypatch.setattr(jobs, "enqueue", lambda *args, **kwargs: queued.append(args))
    yield queued


def _wait(condition: Callable[[], bool], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def test_a_worker_killed_mid_job_is_detected_and_its_job_marked_failed(
    app: Flask, reported: Callable[..., Reported], no_queue: list[Any], tmp_path: Path
) -> None:
    world = reported()
    job_id = _queued_cohort(app, world)
    worker = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", WORKER, app.config["DATABASE_URL"], str(tmp_path), str(job_id)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: _job(app, job_id).progress > 1)  # gathering, then paused by the delay
        running = _job(app, job_id)
        assert running.status is JobStatus.RUNNING
        assert running.worker.endswith(f":{worker.pid}")
        app.config["REPORTS_DEAD_AFTER_SECONDS"] = 1.5
        first_beat = running.heartbeat_at
        time.sleep(2)
        with app.app_context():
            assert run(services.mark_dead_jobs) == 0  # alive: its heartbeat goes on
        assert _job(app, job_id).heartbeat_at > first_beat
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    assert _job(app, job_id).status is JobStatus.RUNNING  # nobody said anything
    time.sleep(2)
    with app.app_context():
        assert run(services.mark_dead_jobs) == 1
        assert run(services.mark_dead_jobs) == 0  # idempotent
    dead = _job(app, job_id)
    assert dead.status is JobStatus.FAILED
    assert dead.error == "Tiến trình tạo báo cáo này đã dừng."
    assert dead.finished_at is not None and dead.file_name is None
    # and it can be tried again, by a live worker this time
    app.config["REPORTS_PROCESSES"] = 1
    with app.app_context():
        run(services.retry_job, db.session.get(User, world.manager.id), dead)
        services.run_job(job_id)
    assert _job(app, job_id).status is JobStatus.DONE


def test_a_job_no_worker_took_fails_after_the_queue_timeout(
    app: Flask, reported: Callable[..., Reported], no_queue: list[Any]
) -> None:
    job_id = _queued_cohort(app, reported())
    with app.app_context():
        assert run(services.mark_dead_jobs) == 0
        later = utcnow() + timedelta(seconds=app.config["REPORTS_QUEUE_TIMEOUT_SECONDS"] + 1)
        assert run(services.mark_dead_jobs, later) == 1
    job = _job(app, job_id)
    assert job.status is JobStatus.FAILED and "kịp thời" in job.error


def test_finished_files_expire_and_the_schedule_removes_them(
    app: Flask, reported: Callable[..., Reported], no_queue: list[Any]
) -> None:
    world = reported()
    job_id = _queued_cohort(app, world)
    app.config["REPORTS_PROCESSES"] = 1
    with app.app_context():
        services.run_job(job_id)
    job = _job(app, job_id)
    key, files = f"reports/{job.file_name}", storage(app)
    assert job.status is JobStatus.DONE and files.exists(key)
    assert job.expires_at - job.finished_at == timedelta(hours=app.config["REPORTS_KEEP_HOURS"])
    schedules = {s.name: s for s in app.extensions["contributions"].schedules}
    assert schedules["reports-upkeep"].job == "incubator.reports:upkeep_job"
    from incubator.reports import upkeep_job

    with app.app_context():
        upkeep_job()  # not yet
    assert files.exists(key) and _job(app, job_id).status is JobStatus.DONE
    with app.app_context():
        db.session.get(ReportJob, job_id).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        upkeep_job()
        upkeep_job()  # idempotent
    assert not files.exists(key)
    expired = _job(app, job_id)
    assert expired.status is JobStatus.EXPIRED and expired.file_name is None


def test_rq_workers_run_report_jobs(
    app: Flask,
    rq_app: Any,  # noqa: F811
    reported: Callable[..., Reported],
    login: Callable[[User], Any],
) -> None:
    from rq import SimpleWorker

    world = reported()
    app.config["REPORTS_PROCESSES"] = 1
    client = login(world.manager)
    job_url = client.post(f"/reports/cohort/{world.program_id}", data={"lang": "en"}).headers[
        "Location"
    ]
    assert client.get(job_url + "/status").get_json()["status"] == "queued"
    assert rq_app.count == 1
    assert rq_app.jobs[0].timeout == app.config["REPORTS_JOB_TIMEOUT_SECONDS"] > 180
    SimpleWorker([rq_app], connection=rq_app.connection).work(burst=True)
    status = client.get(job_url + "/status").get_json()
    assert status["status"] == "done", status
    pdf = download(client, status["download_url"]).data
    assert "Cohort report" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_the_cli_prints_every_report(
    app: Flask, reported: Callable[..., Reported], tmp_path: Path
) -> None:
    world = reported()
    runner = app.test_cli_runner()
    commands = {
        "startup.pdf": ["report", "startup", str(world.startup_id), "--lang", "en"],
        "cohort.pdf": ["report", "cohort", str(world.program_id), "--processes", "1"],
        "center.pdf": [
            "report",
            "center",
            "BIIC",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--pdfa",
        ],
    }
    for name, args in commands.items():
        result = runner.invoke(args=[*args, "-o", str(tmp_path / name)])
        assert result.exit_code == 0, (name, result.output)
        assert "Wrote" in result.output
        reader = PdfReader(tmp_path / name)
        text = " ".join(page.extract_text() for page in reader.pages)
        assert STARTUP_NAME in " ".join(text.split()), name
    bad = runner.invoke(
        args=[
            "report",
            "center",
            "BIIC",
            "--from",
            "2026-13-01",
            "--to",
            "2026-12-31",
            "-o",
            str(tmp_path / "x.pdf"),
        ]
    )
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    missing = runner.invoke(args=["report", "startup", "999999", "-o", str(tmp_path / "y.pdf")])
    assert missing.exit_code == 1 and "No startup" in missing.output


def test_the_centers_export_is_a_zip_of_the_lists_csv(
    app: Flask, reported: Callable[..., Reported], login: Callable[[User], Any]
) -> None:
    world = reported()
    client = login(world.manager)
    response = client.post("/reports/export", data={"export-center": "BIIC", "export-lang": "vi"})
    assert response.status_code == 302
    status = client.get(response.headers["Location"] + "/status").get_json()
    assert status["status"] == "done", status
    archive = download(client, status["download_url"])
    assert archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        names = set(zipped.namelist())
        assert names == {
            "ho-so-ung-tuyen.csv",
            "danh-gia.csv",
            "buoi-co-van.csv",
            "bao-cao-kpi.csv",
            "dat-lich-fablab.csv",
            "hieu-suat-fablab.csv",
        }
        for name in names:
            assert zipped.read(name).startswith("\ufeff".encode()), name
        applications = zipped.read("ho-so-ung-tuyen.csv").decode("utf-8-sig")
        assert STARTUP_NAME in applications and "Đang ươm tạo" in applications
        sessions = zipped.read("buoi-co-van.csv").decode("utf-8-sig")
        assert "Gọi vốn hạt giống" in sessions
        checkins = zipped.read("bao-cao-kpi.csv").decode("utf-8-sig")
        assert checkins.count(STARTUP_NAME) == 3
    # another center's manager may not export BIIC
    with app.app_context():
        job = db.session.get(ReportJob, status["id"])
        assert job.kind is ReportKind.EXPORT
