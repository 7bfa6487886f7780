"""A call that asks its own questions, through the real UI (issue 9's journey).

The BIIC manager (in English) creates a call, copies last call's form, adds a choice question
with a conditional follow-up and a required file question, and publishes; a founder (in
Vietnamese) applies, sees the follow-up appear and disappear without losing what was typed,
submits with the file missing and is told which, uploads it and submits; a mentor reads the
answers under the call's sections; the manager filters the ranking by the choice and exports
the CSV with a column per question. The database is only read, to learn ids and keys.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from incubator.files import minimal_pdf
from incubator.i18n import LOCAL_TZ
from tests.e2e.conftest import PHONE, LiveServer, switch_language
from tests.e2e.test_journey import AppReader, path_of, submit

sync_api = pytest.importorskip("playwright.sync_api", reason="e2e: playwright is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

MANAGER, FOUNDER, MENTOR = "manager@biic.test", "founder@biic.test", "mentor@biic.test"
LAST_CALL = "BIIC Incubation Program 2027 – Intake 1"
NEW_CALL = ("Ươm tạo Nông nghiệp số BIIC 2027", "BIIC Digital Agriculture 2027")
SECTOR = ("Sản phẩm thứ hai thuộc lĩnh vực nào?", "Sector of your second product")
CHOICES = [("Nông nghiệp", "Agriculture"), ("Y tế", "Health"), ("Chưa có", "None yet")]
FOLLOW_UP = ("Hợp tác xã đã thử nghiệm sản phẩm", "Cooperatives that piloted the product")
CERTIFICATE = ("Giấy chứng nhận đăng ký doanh nghiệp", "Business registration certificate")
PILOTS = "HTX Nông nghiệp Tân Uyên và HTX Sầu riêng Bắc Tân Uyên, 40 ha thử nghiệm."
TEXTS = {
    "problem": "Nông dân trồng sầu riêng thiếu dữ liệu tưới tiêu.",
    "solution": "Cảm biến độ ẩm đất và ứng dụng nhắc lịch tưới.",
    "market": "20.000 hộ trồng sầu riêng ở Đông Nam Bộ.",
    "traction": "2 hợp tác xã dùng thử trong 6 tháng.",
    "team": "3 kỹ sư IoT, 1 kỹ sư nông nghiệp.",
}


def local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


class Reader(AppReader):
    def call(self) -> tuple[int, dict[str, str]]:
        """The new call's id and the keys of its questions by English label."""
        from sqlalchemy import select

        from incubator.db import db
        from incubator.programs.models import Program
        from incubator.questions.models import Question

        def read() -> tuple[int, dict[str, str]]:
            program = db.session.scalars(
                select(Program).where(Program.name_en == NEW_CALL[1])
            ).one()
            rows = db.session.execute(
                select(Question.label_en, Question.key).where(Question.program_id == program.id)
            )
            return program.id, dict(rows.all())

        return self._run(read)


def manager_builds_the_call(page: Any, base_url: str, screenshot: Callable[..., Path]) -> int:
    switch_language(page, "en")
    page.goto("/manage/programs/new")
    now = datetime.now(LOCAL_TZ)
    page.fill("#name_vi", NEW_CALL[0])
    page.fill("#name_en", NEW_CALL[1])
    page.fill("#opens_at", local(now - timedelta(days=1)))
    page.fill("#closes_at", local(now + timedelta(days=30)))
    page.fill("#capacity", "10")
    page.fill("input[name='criteria-0-name_vi']", "Đổi mới sáng tạo")
    page.fill("input[name='criteria-0-weight']", "1")
    page.fill("input[name='criteria-0-max_score']", "10")
    submit(page, "main form button[type=submit]")
    program_id = int(path_of(page, base_url).rsplit("/", 1)[1])

    # the call starts with the default form; copy last call's instead
    submit(page, "#edit-form")
    assert path_of(page, base_url) == f"/manage/programs/{program_id}/form"
    page.select_option("#source_id", label=LAST_CALL)
    submit(page, "#copy-form button[type=submit]")
    expect(page.locator("main .flash-success")).to_be_visible()
    expect(page.locator(".question-list li")).to_have_count(6)

    # a choice question, in both languages
    submit(page, "#section-" + section_id(page, "Team") + " a.add-question")
    page.select_option("#kind", "single_choice")
    page.fill("#label_vi", SECTOR[0])
    page.fill("#label_en", SECTOR[1])
    page.check("#required")
    for n, (vi, en) in enumerate(CHOICES):
        page.fill(f"input[name='choices-{n}-label_vi']", vi)
        page.fill(f"input[name='choices-{n}-label_en']", en)
    submit(page, "#save-question")
    expect(page.locator("main .flash-success")).to_be_visible()

    # its follow-up, shown only for agriculture
    submit(page, "#section-" + section_id(page, "Team") + " a.add-question")
    page.select_option("#kind", "long_text")
    page.fill("#label_vi", FOLLOW_UP[0])
    page.fill("#label_en", FOLLOW_UP[1])
    page.check("#required")
    page.select_option("#condition", label=f"{SECTOR[1]} = {CHOICES[0][1]}")
    screenshot(page, "forms-01-follow-up")
    submit(page, "#save-question")

    # a required file
    submit(page, "#section-" + section_id(page, "Funding") + " a.add-question")
    page.select_option("#kind", "file")
    page.fill("#label_vi", CERTIFICATE[0])
    page.fill("#label_en", CERTIFICATE[1])
    page.check("#required")
    submit(page, "#save-question")
    expect(page.locator(".question-list li")).to_have_count(9)
    expect(page.locator("main")).to_contain_text(f"Only when «{SECTOR[1]}» is «{CHOICES[0][1]}»")
    screenshot(page, "forms-02-editor")

    page.goto(f"/manage/programs/{program_id}")
    submit(page, "form[action$='/publish'] button[type=submit]")
    expect(page.locator("main .flash-success")).to_be_visible()
    return program_id


def section_id(page: Any, title: str) -> str:
    heading = page.locator("article.form-section h2", has_text=title).first
    return heading.locator("xpath=ancestor::article").get_attribute("id").removeprefix("section-")


def founder_applies(
    page: Any,
    base_url: str,
    program_id: int,
    keys: dict[str, str],
    deck: Path,
    plan: Path,
    screenshot: Callable[..., Path],
) -> int:
    page.goto(f"/calls/{program_id}/apply")
    submit(page, "main form button[type=submit]")
    application_id = int(path_of(page, base_url).split("/")[2])
    sector, follow_up, certificate = keys[SECTOR[1]], keys[FOLLOW_UP[1]], keys[CERTIFICATE[1]]
    for name, text in TEXTS.items():
        page.fill(f"textarea[name={name}]", text)
    page.fill("input[name=funding_need_vnd]", "1.200.000.000")

    # the follow-up appears with the agriculture answer, and keeps what was typed
    box = page.locator(f"#q-{follow_up}")
    expect(box).to_be_hidden()
    page.check(f"input[name={sector}][value=c1]")
    expect(box).to_be_visible()
    page.fill(f"textarea[name={follow_up}]", PILOTS)
    page.check(f"input[name={sector}][value=c2]")
    expect(box).to_be_hidden()
    page.check(f"input[name={sector}][value=c1]")
    expect(page.locator(f"textarea[name={follow_up}]")).to_have_value(PILOTS)
    screenshot(page, "forms-03-founder-follow-up")
    page.set_input_files("input[name=deck]", str(deck))
    submit(page, "#upload-deck")
    expect(page.locator(f"textarea[name={follow_up}]")).to_have_value(PILOTS)

    # submitted without the certificate: told which, with a link to it
    submit(page, "#submit-application")
    assert path_of(page, base_url).startswith(f"/applications/{application_id}/edit")
    expect(page.locator("main .flash-error")).to_contain_text(CERTIFICATE[0])
    missing = page.locator(f"#missing a[href='#q-{certificate}']")
    expect(missing).to_have_text(CERTIFICATE[0])
    expect(page.locator("#missing li")).to_have_count(1)
    screenshot(page, "forms-04-missing")

    page.set_input_files(f"#file-{certificate}", str(plan))
    submit(page, f"#q-{certificate} button.upload-file")
    expect(page.locator(f"#file-current-{certificate}")).to_contain_text(plan.name)
    submit(page, "#submit-application")
    assert path_of(page, base_url) == f"/applications/{application_id}"
    expect(page.locator("main .badge.stage-submitted")).to_be_visible()
    expect(page.locator("main")).to_contain_text(PILOTS)
    return application_id


def test_a_call_with_its_own_questions(
    open_page: Callable[..., Any],
    live_server: LiveServer,
    tmp_path: Path,
    screenshot: Callable[..., Path],
) -> None:
    reader = Reader(live_server)
    base = live_server.url
    deck, plan = tmp_path / "pitch-deck.pdf", tmp_path / "giay-phep-kinh-doanh.pdf"
    deck.write_bytes(minimal_pdf("Deck"))
    plan.write_bytes(minimal_pdf("Giay phep"))

    manager = open_page(as_user=MANAGER)
    program_id = manager_builds_the_call(manager, base, screenshot)
    _id, keys = reader.call()

    founder = open_page(as_user=FOUNDER)
    application_id = founder_applies(founder, base, program_id, keys, deck, plan, screenshot)

    # the manager assigns a mentor, who reads the answers under the call's sections
    manager.goto(f"/manage/applications/{application_id}")
    expect(manager.locator(".answers-section h3")).to_have_text(
        ["Project", "Market and traction", "Team", "Funding"]
    )
    manager.select_option("#reviewer_id", str(reader.user_id(MENTOR)))
    submit(manager, f"form[action='/manage/applications/{application_id}/reviewers'] button")
    mentor = open_page(as_user=MENTOR)
    review_id = reader.review_id(application_id, MENTOR)
    mentor.goto(f"/reviews/{review_id}")
    mentor.check("input[name=conflict][value=none]")
    submit(mentor, f"form[action='/reviews/{review_id}/conflict'] button[type=submit]")
    team = mentor.locator(".answers-section", has=mentor.locator("h3", has_text="Đội ngũ"))
    expect(team).to_contain_text(SECTOR[0])
    expect(team).to_contain_text(CHOICES[0][0])
    expect(team).to_contain_text(PILOTS)
    funding = mentor.locator(".answers-section", has=mentor.locator("h3", has_text="Nhu cầu vốn"))
    expect(funding.locator("a")).to_have_text(plan.name)
    screenshot(mentor, "forms-05-reviewer")

    # the ranking, filtered by the choice, with the choice as a column; the CSV has every question
    manager.goto(f"/manage/programs/{program_id}/applications")
    manager.select_option("select[name=answer]", label=f"{SECTOR[1]}: {CHOICES[0][1]}")
    submit(manager, "form.filters button[type=submit]")
    expect(manager.locator("#ranking tbody tr")).to_have_count(1)
    manager.click("#answer-columns summary")
    manager.check(f"#answer-columns input[value={keys[SECTOR[1]]}]")
    submit(manager, "#answer-columns button[type=submit]")
    expect(manager.locator("#ranking thead")).to_contain_text(SECTOR[1])
    expect(manager.locator("#ranking tbody")).to_contain_text(CHOICES[0][1])
    screenshot(manager, "forms-06-ranking")
    manager.select_option("select[name=answer]", label=f"{SECTOR[1]}: {CHOICES[1][1]}")
    submit(manager, "form.filters button[type=submit]")
    expect(manager.locator("#ranking tbody tr")).to_have_count(0)
    manager.select_option("select[name=answer]", label=f"{SECTOR[1]}: {CHOICES[0][1]}")
    submit(manager, "form.filters button[type=submit]")
    with manager.expect_download() as download:
        manager.click("main .list-meta a")
    rows = list(csv.reader(Path(download.value.path()).read_text("utf-8-sig").splitlines()))
    header, (row,) = rows[0], rows[1:]
    for label in ("Problem", "Funding need (VND)", SECTOR[1], FOLLOW_UP[1], CERTIFICATE[1]):
        assert label in header
    assert row[header.index(SECTOR[1])] == CHOICES[0][1]
    assert row[header.index(FOLLOW_UP[1])] == PILOTS
    assert row[header.index(CERTIFICATE[1])] == plan.name

    # the founder's form on a phone
    phone = open_page(as_user=MANAGER, viewport=PHONE)
    phone.goto(f"/manage/programs/{program_id}/form")
    screenshot(phone, "forms-07-editor-phone")
