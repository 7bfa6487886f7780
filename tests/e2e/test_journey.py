"""The whole journey of one application, through the real UI, by every role in turn.

A new founder registers, confirms the email address through the emailed link, creates a
startup, applies to the open BIIC call and submits;
the BIIC manager assigns two mentors; each mentor declares no conflict of interest and
scores; the manager reads the ranking, accepts (the founder gets a Vietnamese email and
sees the timeline), then starts the incubation from the pipeline board.

Each role has its own browser context. Progress is made only through the browser; the
database is read (never written) to learn ids, and the memory mail transport to read
the emails. Vietnamese wording is being revised, so Vietnamese pages are checked by id,
name and value attributes, or against the app's own catalog; English text is asserted
once the manager has switched to English.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from incubator.files import minimal_pdf
from tests.e2e.conftest import LiveServer, log_in, switch_language

sync_api = pytest.importorskip("playwright.sync_api", reason="e2e: playwright is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

PROGRAM_VI = "Chương trình Ươm tạo BIIC 2027 – Đợt 1"
PROGRAM_EN = "BIIC Incubation Program 2027 – Intake 1"
MANAGER = "manager@biic.test"
MENTORS = {
    # email -> (name, a score per criterion of the BIIC rubric, in rubric order, out of 10)
    "mentor@biic.test": ("TS. Đặng Minh Tuấn", [9, 10, 8, 9]),
    "mentor2@biic.test": ("ThS. Lý Thanh Tâm", [8, 9, 9, 8]),
}

FOUNDER = {
    "name": "Trương Thị Hồng Nhung",
    "email": "hong.nhung@baoxanh.test",
    "password": "Bao-Xanh-2027!",
}
STARTUP = {
    "name": "Bao Bì Xanh Bình Dương",
    "sector": "cleantech",
    "description": "Bao bì phân hủy sinh học từ bã mía và vỏ trấu cho các nhà máy thực phẩm "
    "ở Bình Dương, thay thế hộp xốp và túi ni-lông.",
    "founded_on": "15/03/2023",
    "team_size": "6",
    "website": "https://baobixanh.vn",
    "title": "Nhà sáng lập, CEO",
}
ANSWERS = {
    "problem": "Các nhà máy thực phẩm ở Bình Dương thải ra hàng tấn hộp xốp mỗi ngày; "
    "chi phí xử lý rác thải nhựa ngày càng tăng.",
    "solution": "Khuôn ép bã mía và vỏ trấu thành hộp, khay chịu nhiệt đến 120 °C, "
    "giá chỉ cao hơn hộp xốp 8%.",
    "market": "Hơn 1.200 nhà máy và bếp ăn công nghiệp tại Bình Dương, Đồng Nai và TP.HCM.",
    "traction": "Hai khách hàng thử nghiệm ở KCN VSIP; đơn hàng đầu tiên 40.000 hộp mỗi tháng.",
    "team": "Ba kỹ sư vật liệu (ĐH Bách khoa), một chuyên gia bán hàng B2B, "
    "hai kỹ thuật viên sản xuất.",
}
FUNDING = "2.500.000.000"
ACCEPT_REASON = "Hồ sơ xuất sắc: sản phẩm đã có khách hàng thử nghiệm, đội ngũ mạnh."


# ---------------------------------------------------------------- reading the app


class AppReader:
    """Read-only look-ups in the live server's database, and the app's own Vietnamese."""

    def __init__(self, live_server: LiveServer) -> None:
        self.app = live_server.app

    def _run(self, function: Callable[[], Any]) -> Any:
        with self.app.app_context():  # its end closes the session: no lock is kept
            return function()

    def program(self) -> tuple[int, list[tuple[int, int, int]]]:
        """The open BIIC call: its id and its rubric as (criterion id, weight, max score)."""
        from sqlalchemy import select

        from incubator.db import db
        from incubator.programs.models import Program

        def read() -> tuple[int, list[tuple[int, int, int]]]:
            program = db.session.scalars(select(Program).where(Program.name_vi == PROGRAM_VI)).one()
            return program.id, [(c.id, c.weight, c.max_score) for c in program.criteria]

        return self._run(read)

    def user_id(self, email: str) -> int:
        from sqlalchemy import select

        from incubator.accounts.models import User
        from incubator.db import db

        return self._run(
            lambda: db.session.scalars(select(User.id).where(User.email == email)).one()
        )

    def user_locale(self, email: str) -> str:
        from sqlalchemy import select

        from incubator.accounts.models import User
        from incubator.db import db

        return self._run(
            lambda: db.session.scalars(select(User.locale).where(User.email == email)).one()
        )

    def application_stage(self, application_id: int) -> str:
        from incubator.applications.models import Application
        from incubator.db import db

        return self._run(lambda: db.session.get(Application, application_id).stage.value)

    def review_id(self, application_id: int, reviewer_email: str) -> int:
        from sqlalchemy import select

        from incubator.accounts.models import User
        from incubator.db import db
        from incubator.reviews.models import Review

        return self._run(
            lambda: db.session.scalars(
                select(Review.id)
                .join(User, User.id == Review.reviewer_id)
                .where(Review.application_id == application_id, User.email == reviewer_email)
            ).one()
        )

    def sent_to(self, email: str) -> list[dict[str, str]]:
        from incubator.mail import transport

        with self.app.app_context():
            return [dict(m) for m in transport().sent if m["to"] == email]

    def translate(self, language: str, function: Callable[[], Any]) -> Any:
        from flask_babel import force_locale

        with self.app.test_request_context(), force_locale(language):
            return function()

    def stage_vi(self, stage: str) -> str:
        from incubator.applications.stages import Stage

        return self.translate("vi", lambda: Stage(stage).label)

    def gettext_vi(self, text: str, **values: Any) -> str:
        from flask_babel import gettext

        return self.translate("vi", lambda: gettext(text, **values))


def path_of(page: Any, base_url: str) -> str:
    return page.url.removeprefix(base_url)


def submit(page: Any, button: str) -> None:
    """Click a submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(button)
    page.wait_for_load_state("load")


def timeline_stages(page: Any) -> list[str]:
    return [s.strip() for s in page.locator("ol.timeline > li > strong").all_inner_texts()]


def weighted_percent(rubric: list[tuple[int, int, int]], scores: list[int]) -> float:
    """A review's total as the app defines it: criteria scaled to their maximum, weighted."""
    total_weight = sum(weight for _, weight, _ in rubric)
    scaled = sum(
        weight * score / top for (_, weight, top), score in zip(rubric, scores, strict=True)
    )
    return scaled * 100 / total_weight


def number(value: float) -> str:
    """One decimal, decimal comma: the app writes numbers this way in both languages."""
    return f"{value:.1f}".replace(".", ",")


# ------------------------------------------------------------------------ the steps


def register_and_create_startup(
    page: Any, base_url: str, reader: AppReader, screenshot: Callable[..., Path]
) -> int:
    page.goto("/register")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("#locale")).to_have_value("vi")  # Vietnamese unless chosen otherwise
    page.fill("#name", FOUNDER["name"])
    page.fill("#email", FOUNDER["email"])
    page.fill("#password", FOUNDER["password"])
    page.fill("#confirm", FOUNDER["password"])
    screenshot(page, "01-register")
    submit(page, "form:has(#confirm) button[type=submit]")
    # the same neutral answer as for a known address: check your inbox, then log in
    assert path_of(page, base_url) == "/login"
    expect(page.locator("main .flash-success")).to_contain_text(FOUNDER["email"])
    expect(page.locator("#logout")).to_have_count(0)

    # Logged in but not confirmed yet: the pages work, with a banner
    log_in(page, base_url, FOUNDER["email"], FOUNDER["password"])
    assert path_of(page, base_url) == "/"
    expect(page.locator("#logout")).to_be_visible()
    expect(page.locator("#confirm-banner")).to_be_visible()
    expect(page.locator("section#panel-founder")).to_be_visible()

    # The founder confirms the address through the emailed link
    [welcome] = reader.sent_to(FOUNDER["email"])
    links = re.findall(r"(https?://\S+/email/confirm/[\w-]+)", welcome["body"])
    assert len(links) == 1, welcome["body"]
    assert links[0].startswith(base_url), links
    page.goto(links[0])
    expect(page.locator("main")).to_contain_text(FOUNDER["email"])
    screenshot(page, "01b-confirm-email")
    submit(page, "#confirm-email")
    assert path_of(page, base_url) == "/"
    expect(page.locator("main .flash-success")).to_be_visible()
    expect(page.locator("#confirm-banner")).to_have_count(0)

    # The startup profile, first with a date written the ISO way: refused, nothing lost.
    page.goto("/startups/new")
    page.fill("#name", STARTUP["name"])
    page.select_option("#sector", STARTUP["sector"])
    page.select_option("#trl", "6")
    page.fill("#description", STARTUP["description"])
    page.fill("#founded_on", "2023-03-15")
    page.fill("#team_size", STARTUP["team_size"])
    page.fill("#website", STARTUP["website"])
    page.fill("#title", STARTUP["title"])
    submit(page, "main form button[type=submit]")
    assert path_of(page, base_url).startswith("/startups/new?once=")  # the form's own token
    founded = page.locator("#founded_on")
    expect(founded).to_have_attribute("aria-invalid", "true")
    expect(founded).to_have_attribute("aria-describedby", "founded_on-error")
    expect(page.locator("#founded_on-error")).to_be_visible()
    expect(page.locator("#founded_on-error")).to_have_text(
        reader.gettext_vi("Write the date as dd/mm/yyyy.")
    )
    assert founded.evaluate("el => el.nextElementSibling && el.nextElementSibling.id") == (
        "founded_on-error"
    )
    # what was typed is still there, the mistake included, and nothing else is marked
    expect(founded).to_have_value("2023-03-15")
    expect(page.locator("#name")).to_have_value(STARTUP["name"])
    expect(page.locator("#sector")).to_have_value(STARTUP["sector"])
    expect(page.locator("#trl")).to_have_value("6")
    expect(page.locator("#description")).to_have_value(STARTUP["description"])
    expect(page.locator("#team_size")).to_have_value(STARTUP["team_size"])
    expect(page.locator("#website")).to_have_value(STARTUP["website"])
    expect(page.locator("#title")).to_have_value(STARTUP["title"])
    expect(page.locator("main [aria-invalid=true]")).to_have_count(1)
    screenshot(page, "02-startup-invalid-date")

    founded.fill(STARTUP["founded_on"])
    submit(page, "main form button[type=submit]")
    match = re.fullmatch(r"/startups/(\d+)", path_of(page, base_url))
    assert match, page.url
    expect(page.locator("h1")).to_contain_text(STARTUP["name"])
    expect(page.locator("main")).to_contain_text(STARTUP["founded_on"])
    return int(match.group(1))


def apply_and_submit(
    page: Any,
    base_url: str,
    program_id: int,
    deck: Path,
    reader: AppReader,
    screenshot: Callable[..., Path],
) -> int:
    page.goto("/calls")
    call_link = page.locator(f"main a[href='/calls/{program_id}']")
    expect(call_link).to_have_text(PROGRAM_VI)
    submit(page, f"main a[href='/calls/{program_id}']")
    expect(page.locator("h1")).to_have_text(PROGRAM_VI)
    screenshot(page, "03-call")
    submit(page, "#apply")
    assert path_of(page, base_url) == f"/calls/{program_id}/apply"
    startup_choice = page.locator("#startup_id option")
    expect(startup_choice).to_have_count(1)
    expect(startup_choice).to_have_text(STARTUP["name"])
    submit(page, "main form button[type=submit]")
    match = re.fullmatch(r"/applications/(\d+)/edit", path_of(page, base_url))
    assert match, page.url
    application_id = int(match.group(1))
    assert reader.application_stage(application_id) == "draft"

    # Fill every section and save the draft; then the deck, on its own form
    for name, text in ANSWERS.items():
        page.fill(f"textarea[name={name}]", text)
    page.fill("input[name=funding_need_vnd]", FUNDING)
    screenshot(page, "04-application-filled")
    submit(page, "#save-draft")
    assert path_of(page, base_url) == f"/applications/{application_id}/edit"
    expect(page.locator("main .flash-success")).to_be_visible()
    expect(page.locator("#last-saved")).to_contain_text(
        re.compile(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}")
    )
    page.set_input_files("input[name=deck]", str(deck))
    submit(page, "#upload-deck")
    assert path_of(page, base_url) == f"/applications/{application_id}/edit"
    for name, text in ANSWERS.items():
        expect(page.locator(f"textarea[name={name}]")).to_have_value(text)
    expect(page.locator("input[name=funding_need_vnd]")).to_have_value(FUNDING)
    expect(page.locator("#deck-current")).to_have_text(deck.name)
    expect(page.locator(f"main a[href='/applications/{application_id}/deck/view']")).to_be_visible()
    screenshot(page, "05-draft-saved")

    # Submit (the data-confirm dialog is accepted by the fixture)
    submit(page, "#submit-application")
    assert path_of(page, base_url) == f"/applications/{application_id}"
    expect(page.locator("main .flash-success")).to_be_visible()
    expect(page.locator("main .badge.stage-submitted")).to_be_visible()
    assert timeline_stages(page) == [reader.stage_vi("draft"), reader.stage_vi("submitted")]
    expect(page.locator("main")).to_contain_text("2.500.000.000 ₫")
    expect(page.locator("#deck-link")).to_have_text(deck.name)
    screenshot(page, "06-submitted")
    assert reader.application_stage(application_id) == "submitted"
    return application_id


def assign_mentors(
    page: Any,
    base_url: str,
    program_id: int,
    application_id: int,
    reader: AppReader,
    screenshot: Callable[..., Path],
) -> None:
    log_in(page, base_url, MANAGER)
    page.goto(f"/manage/programs/{program_id}")
    submit(page, f"main a[href='/manage/programs/{program_id}/board']")
    card = page.locator(f"#column-submitted #card-{application_id}")
    expect(card).to_be_visible()
    expect(card).to_contain_text(STARTUP["name"])
    screenshot(page, "07-board-submitted")
    submit(page, f"#card-{application_id} a[href='/manage/applications/{application_id}']")
    assert path_of(page, base_url) == f"/manage/applications/{application_id}"
    # the manager sees the answers of the submitted application
    expect(page.locator("main")).to_contain_text(ANSWERS["problem"])

    for email, (name, _) in MENTORS.items():
        option = page.locator(f"#reviewer_id option[value='{reader.user_id(email)}']")
        expect(option).to_have_text(name)
        page.select_option("#reviewer_id", str(reader.user_id(email)))
        submit(page, f"form[action='/manage/applications/{application_id}/reviewers'] button")
        assert path_of(page, base_url) == f"/manage/applications/{application_id}"
        expect(page.locator("main .flash-success")).to_contain_text(name)
        # an assigned mentor is no longer offered
        expect(option).to_have_count(0)
    summaries = page.locator("#scores details > summary")
    expect(summaries).to_have_count(2)
    for (name, _), summary in zip(MENTORS.values(), summaries.all(), strict=True):
        expect(summary).to_contain_text(name)
    # the first assignment put the application in screening
    expect(page.locator("main .badge.stage-screening")).to_be_visible()
    assert reader.application_stage(application_id) == "screening"
    for email in MENTORS:
        assert reader.sent_to(email), f"{email} got no email about the review"
    screenshot(page, "08-mentors-assigned")


def review(
    page: Any,
    base_url: str,
    email: str,
    application_id: int,
    rubric: list[tuple[int, int, int]],
    reader: AppReader,
    screenshot: Callable[..., Path],
) -> None:
    name, scores = MENTORS[email]
    slug = email.split("@")[0]
    review_id = reader.review_id(application_id, email)
    log_in(page, base_url, email)
    page.goto("/reviews")
    submit(page, f"main a[href='/reviews/{review_id}']")
    assert path_of(page, base_url) == f"/reviews/{review_id}"

    # Conflict of interest first: the answers and the score form stay hidden until then
    expect(page.locator("input[name=conflict][value=none]")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(ANSWERS["problem"])
    expect(page.locator("#save-scores")).to_have_count(0)
    expect(page.locator("input[name^=score_]")).to_have_count(0)
    screenshot(page, f"09-{slug}-conflict")
    page.check("input[name=conflict][value=none]")
    submit(page, f"form[action='/reviews/{review_id}/conflict'] button[type=submit]")
    assert path_of(page, base_url) == f"/reviews/{review_id}"

    for text in ANSWERS.values():
        expect(page.locator("main")).to_contain_text(text)
    expect(page.locator("main")).to_contain_text("2.500.000.000 ₫")
    expect(page.locator("input[name^=score_]")).to_have_count(len(rubric))
    for (criterion_id, _, top), score in zip(rubric, scores, strict=True):
        field = page.locator(f"input[name=score_{criterion_id}]")
        expect(field).to_have_attribute("type", "number")
        expect(field).to_have_attribute("max", str(top))
        field.fill(str(score))
        page.fill(
            f"textarea[name=comment_{criterion_id}]",
            f"{name}: điểm {score}/{top}, cần bổ sung số liệu khách hàng.",
        )
    screenshot(page, f"10-{slug}-scores")
    submit(page, "#save-scores")
    assert path_of(page, base_url) == "/reviews"
    expect(page.locator("main .flash-success")).to_be_visible()
    # the queue shows the review as scored, and the scores come back on the form
    row = page.locator("main tr", has=page.locator(f"a[href='/reviews/{review_id}']"))
    expect(row).to_contain_text(reader.gettext_vi("Scored"))
    page.goto(f"/reviews/{review_id}")
    for (criterion_id, _, _), score in zip(rubric, scores, strict=True):
        expect(page.locator(f"input[name=score_{criterion_id}]")).to_have_value(str(score))


def check_scores_and_accept(
    page: Any,
    base_url: str,
    program_id: int,
    application_id: int,
    rubric: list[tuple[int, int, int]],
    screenshot: Callable[..., Path],
) -> None:
    totals = [weighted_percent(rubric, scores) for _, scores in MENTORS.values()]
    mean, spread = sum(totals) / len(totals), max(totals) - min(totals)

    # The manager reads English from here on: "both languages"
    page.goto(f"/manage/applications/{application_id}")
    switch_language(page, "en")
    assert path_of(page, base_url) == f"/manage/applications/{application_id}"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#scores h2")).to_have_text("Reviews")
    expect(page.locator("#logout")).to_have_text("Log out")
    # the best of the call: the demo's other scored application totals 77,0
    expect(page.locator("#scores > p").first).to_have_text(
        re.compile(
            rf"Weighted mean: {number(mean)}\s+· Reviews: 2\s+· Spread: {number(spread)}"
            rf"\s+· Rank: 1"
        )
    )
    for (name, _), total, details in zip(
        MENTORS.values(), totals, page.locator("#scores details").all(), strict=True
    ):
        expect(details.locator("summary")).to_contain_text(f"{name} · No conflict")
        expect(details.locator("summary")).to_contain_text(number(total))
    screenshot(page, "11-manager-scores-en")

    # The ranking page of the program
    page.goto(f"/manage/programs/{program_id}/applications")
    expect(page.locator("h1")).to_have_text("Applications and ranking")
    first = page.locator("#ranking tbody tr").first
    expect(first.locator(f"a[href='/manage/applications/{application_id}']")).to_have_text(
        STARTUP["name"]
    )
    cells = first.locator("td")
    expect(cells.nth(0)).to_have_text("1")
    expect(cells.nth(3)).to_have_text("Screening")
    expect(cells.nth(4)).to_have_text(number(mean))
    expect(cells.nth(5)).to_have_text("2")
    expect(cells.nth(6)).to_have_text(number(spread))
    screenshot(page, "12-ranking-en")

    # Accept, with a reason
    submit(page, f"#ranking a[href='/manage/applications/{application_id}']")
    accept = page.locator("details", has=page.locator("input[name=to][value=accepted]"))
    accept.locator("summary").click()
    accept.locator("textarea[name=reason]").fill(ACCEPT_REASON)
    screenshot(page, "13-accept")
    submit(page, "details:has(input[name=to][value=accepted]) button[type=submit]")
    assert path_of(page, base_url) == f"/manage/applications/{application_id}"
    expect(page.locator("main .flash-success")).to_contain_text("Accepted")
    expect(page.locator("main .badge.stage-accepted")).to_have_text("Accepted")
    expect(page.locator("ol.timeline > li").last).to_contain_text(ACCEPT_REASON)
    # the reviewers cannot be changed any more
    expect(page.locator("#reviewer_id")).to_have_count(0)


def start_incubation_on_the_board(
    page: Any,
    base_url: str,
    program_id: int,
    application_id: int,
    screenshot: Callable[..., Path],
) -> None:
    page.goto(f"/manage/programs/{program_id}/board")
    card = f"#card-{application_id}"
    expect(page.locator(f"#column-accepted {card}")).to_be_visible()
    screenshot(page, "15-board-accepted-en")
    button = f"{card} button[name=to][value=incubating]"
    expect(page.locator(button)).to_have_text("Start incubation")
    submit(page, button)
    # back on the board, at the moved card
    assert path_of(page, base_url) == f"/manage/programs/{program_id}/board#card-{application_id}"
    moved = page.locator(f"#column-incubating {card}")
    expect(moved).to_be_visible()
    expect(page.locator(f"#column-accepted {card}")).to_have_count(0)
    expect(page.locator("main .flash-success")).to_contain_text(STARTUP["name"])
    expect(page.locator("#column-incubating h2 .count")).to_have_text("1")
    screenshot(page, "16-board-incubating-en")
    # the incubating column is the sixth: the board scrolled sideways to show the card
    expect(moved).to_be_in_viewport()
    screenshot(page, "16b-board-incubating-scrolled-en", full_page=False)


# ------------------------------------------------------------------------ the journey


def test_a_new_founder_is_applied_reviewed_accepted_and_incubated(
    live_server: LiveServer,
    open_page: Callable[..., Any],
    screenshot: Callable[..., Path],
    tmp_path: Path,
    browser_problems: Any,
) -> None:
    base_url = live_server.url
    reader = AppReader(live_server)
    program_id, rubric = reader.program()
    assert len(rubric) == len(next(iter(MENTORS.values()))[1])
    deck = tmp_path / "pitch-deck-bao-bi-xanh.pdf"
    deck.write_bytes(minimal_pdf("Bao Bi Xanh Binh Duong - Pitch deck"))

    # 1. The founder registers in Vietnamese, creates the startup, applies and submits
    founder = open_page()
    register_and_create_startup(founder, base_url, reader, screenshot)
    assert reader.user_locale(FOUNDER["email"]) == "vi"
    application_id = apply_and_submit(founder, base_url, program_id, deck, reader, screenshot)
    submitted_mail = reader.sent_to(FOUNDER["email"])
    assert any(PROGRAM_VI in m["subject"] for m in submitted_mail), submitted_mail

    # 2. The manager assigns two mentors
    manager = open_page()
    assign_mentors(manager, base_url, program_id, application_id, reader, screenshot)

    # 3. Each mentor declares no conflict and scores every criterion
    for email in MENTORS:
        review(open_page(), base_url, email, application_id, rubric, reader, screenshot)

    # 4. The manager (now in English, 7.) reads the scores and the ranking, and accepts
    check_scores_and_accept(manager, base_url, program_id, application_id, rubric, screenshot)
    assert reader.application_stage(application_id) == "accepted"

    # 5. The founder got the acceptance email, in Vietnamese, and sees the timeline
    accepted_vi = reader.stage_vi("accepted")
    expected_subject = reader.gettext_vi(
        '%(program)s: your application is now "%(stage)s"', program=PROGRAM_VI, stage=accepted_vi
    )
    mails = [m for m in reader.sent_to(FOUNDER["email"]) if m["subject"] == expected_subject]
    assert len(mails) == 1, reader.sent_to(FOUNDER["email"])
    body = mails[0]["body"]
    assert PROGRAM_VI in body and STARTUP["name"] in body, body
    assert FOUNDER["name"] in body, body
    assert ACCEPT_REASON in body, body
    assert f"/applications/{application_id}" in body, body
    assert PROGRAM_EN not in body and "Congratulations" not in body, body

    founder.goto(f"/applications/{application_id}")
    expect(founder.locator("html")).to_have_attribute("lang", "vi")
    expect(founder.locator("main .badge.stage-accepted")).to_have_text(accepted_vi)
    assert timeline_stages(founder) == [
        reader.stage_vi(stage) for stage in ("draft", "submitted", "screening", "accepted")
    ]
    expect(founder.locator("ol.timeline > li").last).to_contain_text(ACCEPT_REASON)
    screenshot(founder, "14-founder-accepted")

    # 6. The manager starts the incubation from the board
    start_incubation_on_the_board(manager, base_url, program_id, application_id, screenshot)
    assert reader.application_stage(application_id) == "incubating"
    incubating_vi = reader.stage_vi("incubating")
    assert any(
        incubating_vi in m["subject"] and PROGRAM_VI in m["subject"]
        for m in reader.sent_to(FOUNDER["email"])
    ), reader.sent_to(FOUNDER["email"])
    founder.reload()
    expect(founder.locator("main .badge.stage-incubating")).to_have_text(incubating_vi)
    assert timeline_stages(founder)[-1] == incubating_vi
    screenshot(founder, "17-founder-incubating")

    browser_problems.assert_clean()
