"""Two machines sharing the database and a bucket, each with its own local folder: a deck or
a photo uploaded on one, a report rendered by a worker-like app, download from another (the
jobs backend inline: in-process apps stand for the machines). And the `storage` commands:
`migrate` copies a folder into the bucket (checked, idempotent), `check` lists lost files."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from incubator import create_app, files
from incubator.accounts.models import User
from incubator.applications.decks import upload_deck
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import db, run
from incubator.fablab.machines import MachineData, save_machine
from incubator.fablab.models import Machine, MachineCategory
from incubator.programs.models import Program
from incubator.reports import services as reports
from incubator.reports.models import ReportJob
from incubator.storage import LocalStorage, checksum, storage
from tests.accounts.fixtures import PASSWORD
from tests.fablab.test_photos import image_bytes
from tests.reports.fixtures import STARTUP_NAME, Reported


@pytest.fixture
def machines(
    app: Flask, on_bucket: Callable[[Flask], Flask], s3_settings: dict[str, Any], tmp_path: Path
) -> Iterator[tuple[Flask, Flask]]:
    """(web A, web B): the test's app and a second one with another UPLOAD_DIR, same
    database and bucket."""
    on_bucket(app)
    other = create_app(
        "testing",
        DATABASE_URL=app.config["DATABASE_URL"],
        UPLOAD_DIR=tmp_path / "machine-b",
        **s3_settings,
    )
    yield app, other
    db.engine(other).dispose()


def _login(app: Flask, user: User | str) -> FlaskClient:
    client = app.test_client()
    email = user if isinstance(user, str) else user.email
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _read(client: FlaskClient, url: str) -> Any:
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def _local_files(app: Flask) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"])
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_a_deck_and_a_photo_uploaded_on_one_machine_download_from_the_other(
    machines: tuple[Flask, Flask],
    make_application: Any,
    make_machine: Any,
    manager_of: Callable[[str], User],
) -> None:
    web_a, web_b = machines
    application = make_application(Stage.DRAFT)
    deck = files.minimal_pdf("Hồ sơ gọi vốn")
    with web_a.app_context():
        draft = db.session.get(Application, application.id)
        founder = db.session.get(User, draft.startup.members[0].user_id)
        run(upload_deck, founder, draft, files.Upload(io.BytesIO(deck), "hs.pdf"))
        machine = db.session.get(Machine, make_machine().id)
        manager = db.session.get(User, manager_of("BIIC").id)
        photo = image_bytes("JPEG")
        data = MachineData(
            name=machine.name,
            category=MachineCategory(machine.category),
            photo=files.Upload(io.BytesIO(photo), "may.jpg"),
        )
        saved = run(save_machine, manager, machine.lab, machine, data)
        photo_url = f"/fablab/machines/{saved.id}/photo/{saved.photo}"
        founder_email = founder.email
    assert _local_files(web_a) == [] and _local_files(web_b) == []  # all in the bucket
    on_b = _login(web_b, founder_email)
    served = _read(on_b, f"/applications/{application.id}/deck")
    assert served.status_code == 200 and served.data == deck
    assert served.mimetype == "application/pdf"
    served = _read(_login(web_b, manager_of("BIIC")), photo_url)
    assert served.status_code == 200 and served.data == photo and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    # still behind the app's own checks: another center's manager sees nothing
    other = _login(web_b, manager_of("SMIC"))
    assert _read(other, f"/applications/{application.id}/deck").status_code == 404


def test_a_cohort_report_rendered_by_a_worker_downloads_through_another_web_machine(
    machines: tuple[Flask, Flask],
    s3_settings: dict[str, Any],
    reported: Callable[..., Reported],
    tmp_path: Path,
) -> None:
    web_a, web_b = machines
    world = reported()
    worker = create_app(
        "testing",
        DATABASE_URL=web_a.config["DATABASE_URL"],
        UPLOAD_DIR=tmp_path / "worker",
        REPORTS_PROCESSES=1,
        **s3_settings,
    )
    try:
        with web_a.app_context():
            actor = db.session.get(User, world.manager.id)
            program = db.session.get(Program, world.program_id)
            job_id = run(reports.request_cohort, actor, program, "vi").id
        with worker.app_context():
            reports.run_job(job_id)
        assert _local_files(worker) == [] and _local_files(web_b) == []
        client = _login(web_b, world.manager)
        status = client.get(f"/reports/jobs/{job_id}/status").get_json()
        assert status["status"] == "done"
        pdf = _read(client, status["download_url"])
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert pdf.data.startswith(b"%PDF-") and "attachment" in pdf.headers["Content-Disposition"]
        from pypdf import PdfReader

        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
        assert STARTUP_NAME in text
        # upkeep on web A removes the worker's file from the bucket once it expired
        with web_a.app_context():
            job = db.session.get(ReportJob, job_id)
            key = f"reports/{job.file_name}"
            assert storage().exists(key)
            from incubator.db import utcnow

            job.expires_at = utcnow()
            db.session.commit()
            reports.upkeep()
            assert not storage().exists(key)
        assert _read(client, status["download_url"]).status_code == 404
    finally:
        db.engine(worker).dispose()


def test_an_export_made_on_one_machine_streams_from_the_api_of_the_other(
    machines: tuple[Flask, Flask], reported: Callable[..., Reported], make_token: Any
) -> None:
    web_a, web_b = machines
    world = reported()
    with web_a.app_context():
        actor = db.session.get(User, world.manager.id)
        center = reports.printable_center(actor, "BIIC")
        job_id = run(reports.request_export, actor, center, "vi").id  # inline: made here
    bearer = {"Authorization": f"Bearer {make_token(world.manager)}"}
    answer = web_b.test_client().get(f"/api/v1/reports/{job_id}/download", headers=bearer)
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert answer.is_streamed  # in chunks from the bucket, not read whole by spectree
    assert "attachment" in answer.headers["Content-Disposition"]
    data = answer.get_data()
    answer.close()
    assert answer.content_length == len(data)
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()
    web_b.config["STORAGE_PRESIGNED_SECONDS"] = 30
    moved = web_b.test_client().get(f"/api/v1/reports/{job_id}/download", headers=bearer)
    assert moved.status_code == 302 and "X-Amz-Signature=" in moved.headers["Location"]
    stranger = make_token(reported(center="SMIC").manager)
    refused = web_b.test_client().get(
        f"/api/v1/reports/{job_id}/download", headers={"Authorization": f"Bearer {stranger}"}
    )
    assert refused.status_code == 404  # the check comes first, even with presigned addresses


# ------------------------------------------------------------------ the commands


def test_storage_migrate_copies_a_folder_into_the_bucket_checked_and_once(
    app: Flask, on_bucket: Callable[[Flask], Flask], tmp_path: Path
) -> None:
    old = LocalStorage(tmp_path / "old-uploads")  # the folder of an earlier install
    contents = {
        "pitch_decks/a.pdf": files.minimal_pdf("A"),
        "answer_files/b.pdf": files.minimal_pdf("B"),
        "machine_photos/c.png": image_bytes("PNG"),
        "reports/d.zip": b"PK" + bytes(range(256)) * 300,
    }
    for key, data in contents.items():
        old.save(key, data)
    on_bucket(app)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["storage", "migrate", "--from", str(old.root)])
    assert first.exit_code == 0, first.output
    assert "4 copied, 0 already there, 0 failed" in first.output
    with app.app_context():
        bucket = storage()
        assert sorted(bucket.keys()) == sorted(contents)
        for key in contents:
            assert checksum(bucket, key) == checksum(old, key)
        bucket.save("pitch_decks/a.pdf", b"changed meanwhile")
    again = runner.invoke(args=["storage", "migrate", "--from", str(old.root)])
    assert "1 copied, 3 already there, 0 failed" in again.output, again.output
    assert sorted(p.relative_to(old.root).as_posix() for p in old.root.rglob("*.*")) == sorted(
        contents
    )  # the folder is left as it was
    same = app.test_cli_runner().invoke(args=["storage", "migrate"])
    assert same.exit_code == 0  # UPLOAD_DIR into the bucket: allowed (nothing in it here)
    app.config["STORAGE_URL"] = ""
    app.extensions.pop("storage")
    refused = runner.invoke(args=["storage", "migrate"])
    assert refused.exit_code != 0 and "configured storage itself" in refused.output


def test_storage_check_lists_the_files_rows_refer_to_that_are_missing(
    app: Flask, make_application: Any, on_bucket: Callable[[Flask], Flask]
) -> None:
    on_bucket(app)
    kept = make_application(Stage.SUBMITTED)
    lost = make_application(Stage.SUBMITTED)
    runner = app.test_cli_runner()
    fine = runner.invoke(args=["storage", "check"])
    assert fine.exit_code == 0 and "0 missing" in fine.output, fine.output
    with app.app_context():
        storage().delete(f"pitch_decks/{lost.deck_file}")
    found = runner.invoke(args=["storage", "check"])
    assert found.exit_code == 1
    assert f"pitch_decks/{lost.deck_file}  (deck of application {lost.id})" in found.output
    assert kept.deck_file not in found.output and "1 missing" in found.output


def test_files_in_the_bucket_follow_the_transaction(
    app: Flask, on_bucket: Callable[[Flask], Flask], make_application: Any
) -> None:
    """A deck stored in a transaction that rolls back is removed from the bucket; a replaced
    deck's old file goes once the replacement commits, not before."""
    on_bucket(app)
    application = make_application(Stage.DRAFT)

    def decks() -> list[str]:
        return sorted(storage().keys("pitch_decks/"))

    def upload(title: str) -> Application:
        draft = db.session.get(Application, application.id)
        founder = db.session.get(User, draft.startup.members[0].user_id)
        deck = files.Upload(io.BytesIO(files.minimal_pdf(title)), f"{title}.pdf")
        return upload_deck(founder, draft, deck)

    with app.app_context():
        first = decks()
        assert len(first) == 1  # the factory's deck
        with pytest.raises(RuntimeError), db.transaction():
            upload("Rolled back")
            assert len(decks()) == 2  # stored, the old one still there until the commit
            raise RuntimeError("the transaction fails")
        assert decks() == first
        with db.transaction():
            name = upload("Kept").deck_file
        assert decks() == [f"pitch_decks/{name}"]
