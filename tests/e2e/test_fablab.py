"""Issue 11's journey in Chromium: the demo founder books the 3D printer for two hours next
week, sees it on the calendar (on a 390 px phone too) and in the calendar feed, moves it and
cancels it; the laser cutter without a certificate, a time outside opening hours, Tết and a
taken slot each give their message, in Vietnamese and in English; the manager blocks a
machine and the affected founder's email is in the outbox; utilization shows figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import select

from incubator.db import db, utcnow
from incubator.fablab.booking_rules import holding
from incubator.fablab.common import at_local, local_day, monday_of
from incubator.fablab.labs import day_info
from incubator.fablab.models import Booking, BookingStatus, Machine
from incubator.i18n import format_date, to_local
from incubator.mail import OutboxMessage
from tests.e2e.conftest import LiveServer, switch_language
from tests.fablab.test_photos import image_bytes

sync_api = pytest.importorskip("playwright.sync_api", reason="e2e: playwright is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

PHONE_390 = {"width": 390, "height": 844}
FOUNDER = "pham.quoc.bao@demo.test"
PRINTER = "Máy in 3D Prusa MK4"
LASER = "Máy cắt laser CO2 60W"
BAMBU = "Máy in 3D Bambu Lab X1"
PURPOSE = "Khung đỡ cảm biến SpO2, PLA"
REFUSALS = {  # no certificate, outside opening hours, Tết, a taken slot
    "vi": (
        "cần chứng nhận đào tạo",
        "Ngoài giờ mở cửa",
        "Tết Nguyên Đán",
        "Khung giờ này đã có người đặt",
    ),
    "en": (
        "needs a training certificate",
        "Outside opening hours",
        "Lunar New Year",
        "This slot is already taken",
    ),
}


def _machines(live_server: LiveServer) -> dict[str, int]:
    with live_server.app.app_context():
        return {m.name: m.id for m in db.session.scalars(select(Machine))}


def _free_day_next_week(live_server: LiveServer, machine_id: int) -> date:
    """An open day of next week with nothing booked on the machine from 09:00 to 11:00."""
    with live_server.app.app_context():
        machine = db.session.get(Machine, machine_id)
        monday = monday_of(local_day(utcnow())) + timedelta(days=7)
        for offset in range(6):
            day = monday + timedelta(days=offset)
            taken = holding(machine_id, at_local(day, time(9)), at_local(day, time(11)))
            if day_info(machine.lab, day).open and not taken:
                return day
    raise AssertionError("no free day next week")


def _submit(page: Any, selector: str = "main form button[type=submit]") -> None:
    with page.expect_navigation():
        page.click(selector)


def _fits(page: Any) -> None:
    sizes = page.evaluate("() => ({w: window.innerWidth, s: document.documentElement.scrollWidth})")
    assert sizes["s"] <= sizes["w"] + 1, sizes


def _book(page: Any, machine_id: int, day: date, start: str, minutes: int) -> None:
    page.goto(f"/fablab/machines/{machine_id}/book")
    page.fill("#day", format_date(day))
    page.select_option("#start", start)
    page.select_option("#minutes", str(minutes))
    page.fill("#purpose", PURPOSE)
    _submit(page, "#booking-form button[type=submit]")


def test_fablab_journey(
    open_page: Callable[..., Any], live_server: LiveServer, screenshot: Callable[..., Path]
) -> None:
    machines = _machines(live_server)
    printer = machines[PRINTER]
    day = _free_day_next_week(live_server, printer)

    # 1. The founder books the 3D printer for two hours next week, from the calendar.
    page = open_page(as_user=FOUNDER)
    page.goto("/fablab/")
    _submit(page, f"a:has-text('{PRINTER}')")
    with page.expect_navigation():
        page.click("a[rel=next]")
    with page.expect_navigation():  # the day's first free run
        page.locator(f".week-day[data-day='{day.isoformat()}'] a.book-link").first.click()
    expect(page.locator("#day")).to_have_value(format_date(day))
    page.select_option("#start", "09:00")
    page.select_option("#minutes", "120")
    page.fill("#purpose", PURPOSE)
    screenshot(page, "fablab-01-book")
    _submit(page, "#booking-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("Đã đặt lịch")
    mine = page.locator(f".week-day[data-day='{day.isoformat()}'] .span.mine")
    expect(mine).to_contain_text("09:00–11:00")
    expect(mine).to_contain_text("Lịch của bạn")
    screenshot(page, "fablab-02-calendar")

    # ... on a 390 px phone too
    phone = open_page(
        as_user=FOUNDER, viewport=PHONE_390, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    phone.goto(f"/fablab/machines/{printer}?week={day.isoformat()}")
    expect(phone.locator(".span.mine")).to_have_count(1)
    _fits(phone)
    screenshot(phone, "fablab-03-calendar-390px")

    # 2. The booking is in the private calendar feed, at its time in Hồ Chí Minh.
    page.goto("/account")
    if not page.locator("#feed-url").count():  # the founder makes the private link first
        with page.expect_navigation():
            page.click("#calendar form button[type=submit]")
    feed_url = page.input_value("#feed-url")
    feed = Calendar.from_ical(page.request.get(feed_url).body())
    starts = {
        event["dtstart"].dt
        for event in feed.walk("VEVENT")
        if str(event["uid"]).startswith("fablab-booking")
    }
    assert at_local(day, time(9)) in starts

    # 3. Moved from "my bookings", then cancelled.
    page.goto("/fablab/bookings?time=upcoming")
    _submit(page, f"#bookings tr:has-text('{PRINTER}') a.move-booking")
    page.select_option("#start", "13:00")
    _submit(page, "#move-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("Đã đổi lịch đặt")
    expect(page.locator(f".week-day[data-day='{day.isoformat()}'] .span.mine")).to_contain_text(
        "13:00–15:00"
    )
    # ... and to the other 3D printer of the lab, in the same step
    page.goto("/fablab/bookings?time=upcoming")
    _submit(page, f"#bookings tr:has-text('{PRINTER}') a.move-booking")
    page.select_option("#machine_id", label=BAMBU)
    page.select_option("#start", "09:00")
    screenshot(page, "fablab-04-move-to-another-machine")
    _submit(page, "#move-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("Đã đổi lịch đặt")
    expect(page.locator("h1")).to_contain_text(BAMBU)
    expect(page.locator(f".week-day[data-day='{day.isoformat()}'] .span.mine")).to_contain_text(
        "09:00–11:00"
    )
    page.goto("/fablab/bookings?time=upcoming")
    _fits(page)
    screenshot(page, "fablab-04-my-bookings")
    with live_server.app.app_context():
        booking_id = db.session.scalar(select(Booking.id).where(Booking.purpose == PURPOSE))
    _submit(
        page, f"#bookings form[action='/fablab/bookings/{booking_id}/cancel'] button.cancel-booking"
    )  # the confirmation dialog is accepted
    expect(page.locator(".flash-success")).to_contain_text("Đã hủy lịch đặt")
    with live_server.app.app_context():
        moved = db.session.execute(
            select(Booking.machine_id, Booking.status).where(Booking.purpose == PURPOSE)
        ).all()
    assert moved == [(machines[BAMBU], BookingStatus.CANCELLED)]

    # 4. The refusals, each with its message, in Vietnamese and in English.
    taken = _someone_elses_booking(live_server, printer)
    attempts = [  # machine, day, start, minutes, where the message is
        (machines[LASER], day, "09:00", 60, "main .flash-error"),
        (printer, day, "16:00", 120, "#start-error"),
        (printer, date(2027, 2, 6), "09:00", 60, "#day-error"),  # Tết
        (printer, local_day(taken[0]), taken[1], 60, "#start-error"),
    ]
    for language, messages in REFUSALS.items():
        if language == "en":
            switch_language(page, "en")
        for (machine, when, start, minutes, where), message in zip(attempts, messages, strict=True):
            _book(page, machine, when, start, minutes)
            expect(page.locator(where)).to_contain_text(message)
        screenshot(page, f"fablab-05-slot-taken-{language}")
    page.goto("/account")
    expect(page.locator("#certificates")).to_contain_text("3D printer")

    # 5. The manager blocks the Bambu printer over the founder's booking: he is emailed.
    manager = open_page(as_user="manager@biic.test")
    victim = _founders_future_booking(live_server, machines[BAMBU])
    block_day = format_date(local_day(victim))
    manager.goto(f"/fablab/machines/{machines[BAMBU]}/maintenance")
    manager.fill("#starts_at", f"{block_day} 08:00")
    manager.fill("#ends_at", f"{block_day} 17:00")
    manager.fill("#reason", "Thay bàn nhiệt")
    _submit(manager, "#maintenance-form button[type=submit]")
    expect(manager.locator(".flash-success")).to_contain_text("1 lịch đặt đã bị hủy")
    with live_server.app.app_context():
        emails = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == FOUNDER)
        ).all()
    assert any(BAMBU in e.subject and "Thay bàn nhiệt" in e.body for e in emails)
    manager.goto(f"/fablab/machines/{machines[BAMBU]}?week={local_day(victim)}")
    expect(manager.locator(".span.maintenance").first).to_contain_text("Thay bàn nhiệt")

    # 5a. The manager adds a photo of the Bambu printer: shown above its calendar.
    manager.goto(f"/fablab/machines/{machines[BAMBU]}/edit")
    manager.set_input_files(
        "#photo", {"name": "bambu.png", "mimeType": "image/png", "buffer": image_bytes("PNG")}
    )
    _submit(manager, "#machine-form button[type=submit]")
    expect(manager.locator(".flash-success")).to_be_visible()
    photo = manager.locator("img.machine-photo")
    expect(photo).to_be_visible()
    assert manager.evaluate("el => el.naturalWidth", photo.element_handle()) == 40
    screenshot(manager, "fablab-05a-machine-photo")

    # 5b. The manager books for a startup of the center that is not in incubation, by name.
    manager.goto(f"/fablab/machines/{printer}/book")
    manager.fill("#startup_name", "ví xanh")
    manager.fill("#day", format_date(day))
    manager.select_option("#start", "15:00")
    manager.select_option("#minutes", "60")
    manager.fill("#purpose", "Trình diễn cho đoàn khách")
    _submit(manager, "#booking-form button[type=submit]")
    expect(manager.locator(".flash-success")).to_be_visible()
    with live_server.app.app_context():
        made = db.session.scalars(
            select(Booking).where(Booking.purpose == "Trình diễn cho đoàn khách")
        ).one()
        assert made.startup is not None and made.startup.name == "Ví Xanh"

    # 6. Utilization shows figures, a chart and a CSV.
    manager.goto("/fablab/utilization")
    expect(manager.locator("#lab-figures")).to_contain_text("%")
    expect(manager.locator("svg.chart")).to_be_visible()
    expect(manager.locator("#utilization tbody tr").first).to_be_visible()
    screenshot(manager, "fablab-06-utilization")
    csv = manager.request.get(live_server.url + "/fablab/utilization?format=csv")
    assert "Fablab BIIC" in csv.text()

    # 7. Check-in from a phone.
    staff_phone = open_page(
        as_user="manager@biic.test",
        viewport=PHONE_390,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    staff_phone.goto("/fablab/")
    _fits(staff_phone)
    screenshot(staff_phone, "fablab-07-labs-390px")


def _someone_elses_booking(live_server: LiveServer, machine_id: int) -> tuple[Any, str]:
    with live_server.app.app_context():
        booking = db.session.scalars(
            select(Booking)
            .where(
                Booking.machine_id == machine_id,
                Booking.status == BookingStatus.CONFIRMED,
                Booking.starts_at > utcnow(),
            )
            .order_by(Booking.starts_at)
        ).first()
        assert booking is not None
        return booking.starts_at, to_local(booking.starts_at).strftime("%H:%M")


def _founders_future_booking(live_server: LiveServer, machine_id: int) -> Any:
    with live_server.app.app_context():
        booking = db.session.scalars(
            select(Booking).where(
                Booking.machine_id == machine_id,
                Booking.status == BookingStatus.CONFIRMED,
                Booking.starts_at > utcnow(),
            )
        ).first()
        assert booking is not None and booking.user.email == FOUNDER
        return booking.starts_at
