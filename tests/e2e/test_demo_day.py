"""Issue 12's journey in Chromium: the manager selects a third startup for demo day, plans a
demo day with the three, reorders the running order, adds a break and invites two judges;
both judges score from a 390 px phone, one abstains on a pitch, the other loses the network
mid-pitch (the browser's offline mode) and its scores arrive when it returns; the
leaderboard shows the raw and the normalized rankings; the results are published; a
startup graduates, and the QR code of its certificate (a link on the QR in the PDF, and the
verification address printed beside it) opens a page that confirms the certificate."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from incubator.accounts.models import User
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.demodays.models import DemoDay, DemoScore
from incubator.programs.models import Program
from incubator.startups.models import Startup
from tests.e2e.conftest import BrowserProblems, LiveServer

sync_api = pytest.importorskip("playwright.sync_api", reason="e2e: playwright is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

PHONE_390 = {"width": 390, "height": 844}
THIRD = "MediCare Thủ Dầu Một"  # incubating in the BIIC 2026 program: selected for demo day
NAME = "Demo Day BIIC 2026 – Chung kết"


def _submit(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def _fits(page: Any) -> None:
    sizes = page.evaluate("() => ({w: window.innerWidth, s: document.documentElement.scrollWidth})")
    assert sizes["s"] <= sizes["w"] + 1, sizes


def _application(live_server: LiveServer, startup: str) -> tuple[int, int]:
    with live_server.app.app_context():
        application = db.session.scalars(
            select(Application)
            .join(Startup)
            .join(Program)
            .where(Startup.name == startup, Program.name_vi == "Chương trình Ươm tạo BIIC 2026")
        ).one()
        return application.id, application.program_id


def _scores_of(live_server: LiveServer, email: str, slot_id: int) -> int:
    with live_server.app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(DemoScore)
            .join(User, User.id == DemoScore.judge_id)
            .where(User.email == email, DemoScore.slot_id == slot_id)
        )


def _score_pitch(judge: Any, slot_id: int, values: list[int]) -> None:
    pitch = judge.locator(f"#pitch-{slot_id}")
    if pitch.get_attribute("open") is None:
        pitch.locator("summary").click()
    selects = pitch.locator("select.score")
    assert selects.count() == len(values)
    for index, value in enumerate(values):
        selects.nth(index).select_option(str(value))


def _phone(open_page: Callable[..., Any], live_server: LiveServer, email: str) -> Any:
    page = open_page(
        as_user=email, viewport=PHONE_390, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    return page


def test_demo_day_journey(
    open_page: Callable[..., Any],
    live_server: LiveServer,
    browser_problems: BrowserProblems,
    screenshot: Callable[..., Path],
) -> None:
    third_id, program_id = _application(live_server, THIRD)

    # 1. The manager selects a third startup for demo day, through the stage machine.
    manager = open_page(as_user="manager@biic.test")
    manager.goto(f"/manage/applications/{third_id}")
    _submit(manager, "form.move-form:has(input[name=to][value=demo_day]) button")

    # 2. ...plans the demo day: the program's three startups at demo day are its pitches.
    manager.goto("/demo-days/new")
    manager.select_option("#program_id", str(program_id))
    manager.fill("#name_vi", NAME)
    manager.fill("#name_en", "BIIC Demo Day 2026 – Final")
    manager.fill("#starts_at", "20/12/2027 08:30")
    manager.fill("#venue", "Hội trường BIIC, Thủ Dầu Một")
    manager.fill("#pitch_minutes", "7")
    manager.fill("#qa_minutes", "3")
    _submit(manager, "#demo-day-form button[type=submit]")
    expect(manager.locator("h1")).to_have_text(NAME)
    slots = manager.locator("#schedule .slot")
    expect(slots).to_have_count(3)
    names = slots.locator(".startup-name").all_inner_texts()
    assert THIRD in names and "DataMine Analytics" in names and "Sen Vàng Logistics" in names
    assert "08:30–08:40" in slots.first.inner_text()
    demo_day_id = int(manager.url.split("/demo-days/")[1].split("/")[0].split("#")[0])

    # the last pitch moves up; a break goes in at the end
    last = names[-1]
    _submit(manager, "#schedule .slot:last-child .move-up")
    expect(slots.nth(1).locator(".startup-name")).to_have_text(last)
    manager.click("#schedule details summary")
    manager.fill("#break-form #minutes", "15")
    manager.fill("#break-form #label", "Giải lao")
    _submit(manager, "#break-form button[type=submit]")
    expect(slots).to_have_count(4)
    expect(slots.last).to_contain_text("Giải lao")
    expect(slots.last).to_contain_text("09:00–09:15")

    # two judges: the demo judge accounts
    for email in ("mentor@biic.test", "judge@biic.test"):
        manager.fill("#judge-form #email", email)
        _submit(manager, "#judge-form button[type=submit]")
    expect(manager.locator("#judges .judges li")).to_have_count(2)
    _submit(manager, "button.open-judging")
    with live_server.app.app_context():
        demo_day = db.session.get(DemoDay, demo_day_id)
        pitch_ids = [s.id for s in demo_day.pitches]
        pitch_names = [s.application.startup.name for s in demo_day.pitches]
        criteria = len(demo_day.criteria)
    assert criteria == 4
    # "now pitching": the first pitch
    _submit(manager, f"#slot-{pitch_ids[0]} .now-pitching")
    screenshot(manager, "demo-day-manager")

    # 3. Judge A scores from a 390 px phone and abstains on the second pitch.
    judge_a = _phone(open_page, live_server, "mentor@biic.test")
    expect(judge_a.locator("#panel-judge")).to_contain_text(NAME)
    judge_a.goto(f"/demo-days/{demo_day_id}/judge")
    expect(judge_a.locator(f"#pitch-{pitch_ids[0]}.current")).to_have_count(1)
    expect(judge_a.locator("#now-pitching")).to_contain_text(pitch_names[0])
    _score_pitch(judge_a, pitch_ids[0], [8, 7, 8, 7])
    judge_a.fill(f"#comment-{pitch_ids[0]}", "Trình bày rõ ràng, số liệu thuyết phục.")
    judge_a.locator(f"#comment-{pitch_ids[0]}").blur()
    expect(judge_a.locator(f'[data-status-for="{pitch_ids[0]}"]')).to_have_class(
        "pitch-status saved"
    )
    judge_a.locator(f"#pitch-{pitch_ids[1]} summary").click()
    judge_a.locator(f"#pitch-{pitch_ids[1]} .abstain-box").check()
    expect(judge_a.locator(f'[data-status-for="{pitch_ids[1]}"]')).to_have_class(
        "pitch-status saved"
    )
    expect(judge_a.locator(f"#pitch-{pitch_ids[1]} select.score").first).to_be_disabled()
    _score_pitch(judge_a, pitch_ids[2], [6, 6, 5, 6])
    expect(judge_a.locator(f'[data-status-for="{pitch_ids[2]}"]')).to_have_class(
        "pitch-status saved"
    )
    _fits(judge_a)
    screenshot(judge_a, "demo-day-judge-a")

    # 4. Judge B scores the first pitch, then loses the network mid-pitch.
    judge_b = _phone(open_page, live_server, "judge@biic.test")
    judge_b.goto(f"/demo-days/{demo_day_id}/judge")
    _score_pitch(judge_b, pitch_ids[0], [5, 5, 6, 5])
    expect(judge_b.locator(f'[data-status-for="{pitch_ids[0]}"]')).to_have_class(
        "pitch-status saved"
    )
    # the manager moves on to the second pitch; the judge's page follows
    _submit(manager, f"#slot-{pitch_ids[1]} .now-pitching")
    expect(judge_b.locator(f"#pitch-{pitch_ids[1]}.current")).to_have_count(1, timeout=15_000)
    judge_b.context.set_offline(True)
    _score_pitch(judge_b, pitch_ids[1], [4, 5, 4, 3])
    waiting = judge_b.locator(f'[data-status-for="{pitch_ids[1]}"]')
    expect(waiting).to_have_class("pitch-status waiting")
    expect(waiting).to_have_text("Đang chờ mạng")
    assert _scores_of(live_server, "judge@biic.test", pitch_ids[1]) == 0
    screenshot(judge_b, "demo-day-judge-b-offline")
    # the network returns: the scores kept on the phone arrive
    judge_b.context.set_offline(False)
    expect(waiting).to_have_class("pitch-status saved", timeout=15_000)
    expect(waiting).to_have_text("Đã lưu")
    assert _scores_of(live_server, "judge@biic.test", pitch_ids[1]) == criteria
    _score_pitch(judge_b, pitch_ids[2], [3, 3, 4, 3])
    expect(judge_b.locator(f'[data-status-for="{pitch_ids[2]}"]')).to_have_class(
        "pitch-status saved"
    )
    _fits(judge_b)
    screenshot(judge_b, "demo-day-judge-b-online")
    # the failed requests of the offline minute are what the test caused, not problems
    browser_problems.messages = [
        m for m in browser_problems.messages if "ERR_INTERNET_DISCONNECTED" not in m
    ]

    # 5. The leaderboard: raw and normalized rankings, judges and abstentions.
    manager.goto(f"/demo-days/{demo_day_id}/leaderboard")
    rows = manager.locator("table.leaderboard tbody tr")
    expect(rows).to_have_count(3)
    raw_order = rows.locator(".startup-name").all_inner_texts()
    judges = dict(zip(raw_order, rows.locator(".judges").all_inner_texts(), strict=True))
    abstentions = rows.locator(".abstentions").all_inner_texts()
    assert judges[pitch_names[0]] == "2"
    assert sorted(abstentions) == ["0", "0", "1"]
    assert manager.locator("#method").is_visible()
    manager.click("#by-normalized")
    expect(manager.locator("#by-normalized")).to_have_attribute("aria-current", "page")
    normalized_order = rows.locator(".startup-name").all_inner_texts()
    assert sorted(normalized_order) == sorted(raw_order)
    screenshot(manager, "demo-day-leaderboard")

    # 6. Publish (confirmed), then graduate the first startup of the ranking.
    _submit(manager, "button.publish")
    expect(manager.locator("#demo-day-status")).to_have_text("Đã công bố kết quả")
    winner = manager.locator("table.leaderboard tbody tr .startup-name").first.inner_text()
    manager.locator("table.leaderboard tbody tr").first.locator("input[type=checkbox]").check()
    _submit(manager, "#graduate")
    expect(manager.locator("table.leaderboard tbody tr").first).to_contain_text("Tốt nghiệp")
    # judges can no longer change anything
    judge_a.reload()
    expect(judge_a.locator(f"#pitch-{pitch_ids[0]} select.score").first).to_be_disabled()

    # 7. The certificate: its QR code links to the verification page, which confirms it.
    link = manager.locator("a.certificate-link").first
    response = manager.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.body()))
    page = reader.pages[0]
    text = " ".join(page.extract_text().split())
    assert winner in text
    uris = [
        annotation.get_object()["/A"]["/URI"]
        for annotation in page.get("/Annots", [])
        if annotation.get_object().get("/A", {}).get("/URI")
    ]
    assert len(set(uris)) == 1 and "/verify/" in uris[0]
    assert uris[0] in text
    visitor = open_page(viewport=PHONE_390, is_mobile=True)
    visitor.goto(uris[0])
    expect(visitor.locator("#verify-result")).to_have_class("verify verify-valid")
    expect(visitor.locator("#verify-result")).to_contain_text(winner)
    screenshot(visitor, "demo-day-verify")
    with live_server.app.app_context():
        graduated = db.session.scalars(
            select(Application).join(Startup).where(Startup.name == winner)
        ).all()
        assert Stage.GRADUATED in [a.stage for a in graduated]


def test_demo_day_pages_fit_a_phone(
    open_page: Callable[..., Any], live_server: LiveServer, screenshot: Callable[..., Path]
) -> None:
    """The demo data's demo days on a 390 px phone: the manager's pages, the public schedule,
    the founder's results with the certificate, the judge's upcoming day."""
    with live_server.app.app_context():
        days = {d.name_vi: d.id for d in db.session.scalars(select(DemoDay))}
        logimekong = db.session.scalar(select(Startup.id).where(Startup.name == "LogiMekong"))
    past, upcoming = days["Demo Day BIIC 2026"], days["Demo Day BIIC 2026 – Đợt 2"]
    manager = _phone(open_page, live_server, "manager@biic.test")
    for path in (
        "/demo-days/",
        f"/demo-days/{upcoming}",
        f"/demo-days/{past}/leaderboard?by=normalized",
        f"/demo-days/{upcoming}/print",
    ):
        manager.goto(path)
        _fits(manager)
        if "leaderboard" in path:
            expect(manager.locator("table.leaderboard tbody tr")).to_have_count(3)
            screenshot(manager, "demo-day-phone-leaderboard")
    visitor = open_page(viewport=PHONE_390, is_mobile=True)
    still_planned = visitor.request.get(f"{live_server.url}/demo-days/{upcoming}/schedule")
    assert still_planned.status == 404
    visitor.goto(f"/demo-days/{past}/schedule")
    expect(visitor.locator("table.schedule tbody tr")).to_have_count(4)
    _fits(visitor)
    founder = _phone(open_page, live_server, "huynh.tan.phat@demo.test")
    founder.goto(f"/startups/{logimekong}")
    section = founder.locator("#demo-day-results")
    expect(section).to_contain_text("Demo Day BIIC 2026")
    response = founder.request.get(
        live_server.url + section.locator("a[href$='.pdf']").get_attribute("href")
    )
    assert response.status == 200
    assert "LogiMekong" in " ".join(
        PdfReader(io.BytesIO(response.body())).pages[0].extract_text().split()
    )
    _fits(founder)
    screenshot(founder, "demo-day-phone-founder")
    judge = _phone(open_page, live_server, "mentor@biic.test")
    expect(judge.locator("#panel-judge")).to_contain_text("Demo Day BIIC 2026 – Đợt 2")
    judge.goto(f"/demo-days/{upcoming}/judge")
    expect(judge.locator("details.pitch")).to_have_count(2)
    _fits(judge)
