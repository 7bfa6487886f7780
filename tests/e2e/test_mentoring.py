"""Issue 10's journey in Chromium: a manager starts incubation; the founder declares what the
startup needs; the manager assigns the first suggested mentor, whose reasons are shown, with
goals;
the mentor logs a session with two action items on a 390 px phone (the draft survives a
reload); the founder confirms, rates and ticks an action item, files a check-in and sees
the chart, in Vietnamese and in English; the manager's dashboard shows the hours; the
calendar feed, whose link the mentor makes on the account page, parses with icalendar and
gives the session's time in Asia/Ho_Chi_Minh."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.startups.models import Startup
from tests.e2e.conftest import LiveServer, log_out, switch_language

sync_api = pytest.importorskip("playwright.sync_api", reason="e2e: playwright is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

PHONE_390 = {"width": 390, "height": 844}
STARTUP = "Nông Trại Số"
MENTOR = "TS. Đặng Minh Tuấn"
NEEDS = ("Gọi vốn", "Nông nghiệp công nghệ cao")


def _accepted_application(live_server: LiveServer) -> tuple[int, int]:
    with live_server.app.app_context():
        application = db.session.scalars(
            select(Application)
            .join(Startup)
            .where(Startup.name == STARTUP, Application.stage == Stage.ACCEPTED)
        ).one()
        return application.id, application.startup_id


def _hours_this_month(page: Any) -> float:
    page.goto("/mentoring/")
    text = page.locator(".figures .figure .stat").first.inner_text()
    return float(text.replace(".", "").replace(",", "."))


def _submit(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def _fits(page: Any) -> None:
    sizes = page.evaluate("() => ({w: window.innerWidth, s: document.documentElement.scrollWidth})")
    assert sizes["s"] <= sizes["w"] + 1, sizes


def test_mentoring_journey(
    open_page: Callable[..., Any], live_server: LiveServer, screenshot: Callable[..., Path]
) -> None:
    application_id, startup_id = _accepted_application(live_server)

    # 1. The manager starts the incubation.
    manager = open_page(as_user="manager@biic.test")
    hours_before = _hours_this_month(manager)
    manager.goto(f"/manage/applications/{application_id}")
    _submit(manager, "form.move-form:has(input[name=to][value=incubating]) button")

    # 2. The founder declares, on the startup page, where the startup needs help.
    founder = open_page(
        as_user="founder@biic.test",
        viewport=PHONE_390,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    founder.goto(f"/startups/{startup_id}")
    _submit(founder, "#needs a")
    for need in NEEDS:
        founder.click(f"#tag_ids label.chip:has-text('{need}')")
    founder.click("#languages label.chip:has(input[value=en])")
    _fits(founder)
    screenshot(founder, "mentoring-01-needs-390px")
    _submit(founder, "main form button[type=submit]")
    for need in NEEDS:
        expect(founder.locator("#needs")).to_contain_text(need)

    # 3. The manager assigns the first suggestion, whose reasons name the needs it meets.
    manager.goto(f"/mentoring/startups/{startup_id}/assign")
    first = manager.locator("ul.suggestions li").first
    expect(first).to_contain_text(MENTOR)
    for need in NEEDS:
        expect(first.locator(".reasons")).to_contain_text(need)
    expect(first.locator(".reasons")).to_contain_text("chỗ trống")
    manager.fill("#goals", "Sẵn sàng gọi vốn hạt giống trong 6 tháng")
    screenshot(manager, "mentoring-01-suggestions")
    _submit(manager, "ul.suggestions li:first-child button[type=submit]")
    expect(manager.locator("#mentoring")).to_contain_text(MENTOR)
    expect(manager.locator("#mentoring")).to_contain_text("Sẵn sàng gọi vốn hạt giống")

    # 2. The mentor logs a session on a 390 px phone.
    phone = open_page(
        as_user="mentor@biic.test",
        viewport=PHONE_390,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    phone.goto("/mentoring/mine")
    _submit(phone, f"article.mentee:has-text('{STARTUP}') a.log-session")
    held_at = phone.input_value("#held_at")
    assert held_at and int(held_at[-2:]) % 15 == 0  # now, rounded to the quarter hour
    phone.click("label.chip:has(input[name=minutes][value='90'])")
    phone.click("label.chip:has(input[name=format][value=online])")
    phone.click(f"#topic_ids label.chip:has-text('{NEEDS[0]}')")
    phone.fill("#topics", "khách hàng")
    phone.fill("#summary", "Rà soát bản thuyết trình gọi vốn; chọn 3 nhà đầu tư để liên hệ.")
    phone.fill("#private_notes", "Nhóm cần thêm người phụ trách tài chính.")
    phone.fill("#action_items-0-title", "Cập nhật bảng tài chính 3 năm")
    phone.fill("#action_items-1-title", "Giới thiệu 3 nhà đầu tư thiên thần")
    phone.select_option("#action_items-1-owner", "mentor")
    # a dropped connection: the page is loaded again, the draft comes back
    phone.reload()
    expect(phone.locator("#summary")).to_have_value(
        "Rà soát bản thuyết trình gọi vốn; chọn 3 nhà đầu tư để liên hệ."
    )
    expect(phone.locator("input[name=minutes][value='90']")).to_be_checked()
    expect(phone.locator("#action_items-1-owner")).to_have_value("mentor")
    font = phone.eval_on_selector("#summary", "el => parseFloat(getComputedStyle(el).fontSize)")
    assert font >= 16
    _fits(phone)
    screenshot(phone, "mentoring-02-log-390px")
    _submit(phone, "form.session-log button[type=submit]")
    expect(phone.locator("main .flash-success")).to_be_visible()
    expect(phone.locator("main")).to_contain_text("Nhóm cần thêm người phụ trách tài chính.")
    stored = phone.evaluate("() => Object.keys(localStorage).length")
    assert stored == 0  # the draft is forgotten once saved
    session_path = phone.url.split(live_server.url, 1)[1].split("?")[0]
    screenshot(phone, "mentoring-03-saved-390px")

    # 3. The founder confirms and rates it, ticks an action item, files a check-in.
    founder.goto("/")
    expect(founder.locator("#panel-mentoring-founder")).to_contain_text(STARTUP)
    founder.goto(session_path)
    expect(founder.locator("main")).not_to_contain_text("phụ trách tài chính")  # private notes
    founder.click("label.chip:has(input[name=rating][value='5'])")
    founder.fill("#feedback", "Rất thiết thực.")
    _fits(founder)
    screenshot(founder, "mentoring-04-confirm-390px")
    _submit(founder, "#confirm button[type=submit]")
    expect(founder.locator(".badge.confirmed")).to_be_visible()
    _submit(founder, "li.action-item:first-child button[type=submit]")
    expect(founder.locator("li.action-item.done")).to_have_count(1)
    founder.goto(f"/mentoring/startups/{startup_id}/checkin")
    founder.fill("#revenue_vnd", "120.000.000")
    founder.fill("#customers", "25")
    founder.fill("#funding_raised_vnd", "0")
    founder.fill("#headcount", "6")
    _submit(founder, "main form button[type=submit]")
    expect(founder.locator("#checkins svg.chart").first).to_be_visible()
    expect(founder.locator("#checkins")).to_contain_text("120.000.000 ₫")
    _fits(founder)
    screenshot(founder, "mentoring-05-checkin-chart-390px")
    switch_language(founder, "en")
    expect(founder.locator("#checkins h3")).to_have_text("Monthly KPI check-ins")
    expect(founder.locator("#mentoring h2")).to_have_text("Mentoring")
    screenshot(founder, "mentoring-06-startup-en-390px")

    # 4. The manager's dashboard counts the 90 minutes.
    assert _hours_this_month(manager) == pytest.approx(hours_before + 1.5, abs=0.1)  # 1 decimal
    screenshot(manager, "mentoring-07-dashboard")
    switch_language(manager, "en")
    expect(manager.locator("h1")).to_have_text("Mentoring dashboard")
    log_out(manager)

    # 5. The mentor makes the calendar link on the account page; the feed lists the session at
    # the time typed, in Hồ Chí Minh.
    phone.goto("/account")
    _submit(phone, "#calendar form button[type=submit]")
    expect(phone.locator("#feed-url")).to_be_visible()
    _fits(phone)
    screenshot(phone, "mentoring-08-calendar-link-390px")
    feed = phone.request.get(phone.input_value("#feed-url"))
    assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
    events = [
        e for e in Calendar.from_ical(feed.body()).walk("VEVENT") if STARTUP in str(e["summary"])
    ]
    typed = [
        e.decoded("dtstart").astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M")
        for e in events
    ]
    assert held_at in typed
