"""Fablab pages over HTTP: what founders and the lab's staff see and may do."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from incubator.accounts.models import Role, User
from incubator.db import db
from incubator.fablab.bookings import book
from incubator.fablab.models import Booking, BookingStatus, MaintenanceBlock
from incubator.i18n import format_date
from tests.fablab.fixtures import at, booking, open_day


def _form(founder: Any, day: Any, start: str = "09:00", minutes: int = 120) -> dict[str, str]:
    return {
        "startup_id": str(founder.startup_id),
        "day": format_date(day),
        "start": start,
        "minutes": str(minutes),
        "purpose": "In vỏ hộp cảm biến",
    }


@pytest.fixture
def at_machine(app: Any, make_machine: Any, make_founder: Any, login: Any) -> Any:
    """(machine, founder, the founder's logged-in client, an open day two days ahead)."""
    item = make_machine()
    founder = make_founder()
    client = login(founder.user)
    with app.app_context():
        day = open_day(item.lab_id, 2)
    return item, founder, client, day


def test_a_founder_books_moves_and_cancels_from_the_pages(app: Any, at_machine: Any) -> None:
    item, founder, client, day = at_machine
    assert "Máy in 3D Prusa" in client.get("/fablab/").get_data(as_text=True)
    week = client.get(f"/fablab/machines/{item.id}?week={day.isoformat()}").get_data(as_text=True)
    assert "book-link" in week and format_date(day) in week
    prefilled = client.get(f"/fablab/machines/{item.id}/book?start={day.isoformat()}T09:00")
    assert format_date(day) in prefilled.get_data(as_text=True)
    response = client.post(f"/fablab/machines/{item.id}/book", data=_form(founder, day))
    assert response.status_code == 302, response.get_data(as_text=True)
    week = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "span mine" in week
    with app.app_context():
        made = db.session.scalars(select(Booking)).one()
    listed = client.get("/fablab/bookings").get_data(as_text=True)
    assert f"/fablab/bookings/{made.id}/move" in listed
    csv = client.get("/fablab/bookings?format=csv").get_data(as_text=True)
    assert "In vỏ hộp cảm biến" in csv
    moved = client.post(
        f"/fablab/bookings/{made.id}/move",
        data={"day": format_date(day), "start": "13:00", "minutes": "60"},
    )
    assert moved.status_code == 302
    assert client.post(f"/fablab/bookings/{made.id}/cancel").status_code == 302
    with app.app_context():
        assert db.session.get(Booking, made.id).status is BookingStatus.CANCELLED


def test_bad_input_gets_messages_not_errors(at_machine: Any) -> None:
    item, founder, client, day = at_machine
    for changes in (
        {"day": "31/02/2027"},
        {"day": ""},
        {"start": "25:00"},
        {"minutes": "abc"},
        {"startup_id": "999999"},
        {"purpose": "   "},
    ):
        data = _form(founder, day) | changes
        response = client.post(f"/fablab/machines/{item.id}/book", data=data)
        assert response.status_code == 200, changes
        assert 'class="field-error"' in response.get_data(as_text=True), changes
    assert client.get(f"/fablab/machines/{item.id}?week=garbage").status_code == 200
    assert client.get(f"/fablab/machines/{item.id}/book?start=garbage").status_code == 200
    assert client.get("/fablab/machines/99999").status_code == 404


def test_others_bookings_and_staff_pages_are_out_of_reach(
    app: Any, make_machine: Any, make_founder: Any, login: Any
) -> None:
    item = make_machine()
    owner, other = make_founder(), make_founder()
    with app.app_context():
        day = open_day(item.lab_id, 2)
        made = book(
            db.session.get(User, owner.user.id), item, booking(at(day, 9), 60, owner.startup_id)
        )
        db.session.commit()
    client = login(other.user)
    assert client.post(f"/fablab/bookings/{made.id}/cancel").status_code == 404
    assert client.get(f"/fablab/bookings/{made.id}/move").status_code == 404
    for path in (
        "/fablab/utilization",
        "/fablab/certificates",
        f"/fablab/labs/{item.lab_id}/today",
    ):
        assert client.get(path).status_code in (403, 404), path
    week = client.get(f"/fablab/machines/{item.id}?week={day.isoformat()}").get_data(as_text=True)
    assert owner.user.name not in week and "span busy" in week


def test_staff_block_check_in_grant_and_read_utilization(
    app: Any, outbox: Any, make_machine: Any, make_founder: Any, manager_of: Any, login: Any
) -> None:
    item = make_machine(training=True)
    founder = make_founder()
    manager = manager_of("BIIC")
    client = login(manager)
    granted = client.post(
        "/fablab/certificates",
        data={"email": founder.user.email, "target": "c:printer_3d", "expires_on": ""},
    )
    assert granted.status_code == 302, granted.get_data(as_text=True)
    unknown = client.post(
        "/fablab/certificates", data={"email": "nobody@example.test", "target": "c:cnc"}
    )
    assert "field-error" in unknown.get_data(as_text=True)
    with app.app_context():
        day = open_day(item.lab_id, 2)
        made = book(
            db.session.get(User, founder.user.id), item, booking(at(day, 9), 60, founder.startup_id)
        )
        db.session.commit()
    today = client.get(f"/fablab/labs/{item.lab_id}/today?day={day.isoformat()}")
    assert "checkin-button" in today.get_data(as_text=True)
    blocked = client.post(
        f"/fablab/machines/{item.id}/maintenance",
        data={
            "starts_at": f"{format_date(day)} 08:00",
            "ends_at": f"{format_date(day)} 12:00",
            "reason": "Thay đầu phun",
        },
    )
    assert blocked.status_code == 302, blocked.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Booking, made.id).status is BookingStatus.CANCELLED
        assert db.session.scalars(select(MaintenanceBlock)).one().reason == "Thay đầu phun"
    page = client.get("/fablab/utilization").get_data(as_text=True)
    assert "<svg" in page and "Máy in 3D Prusa" in page
    csv = client.get("/fablab/utilization?format=csv")
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert "Máy in 3D Prusa" in csv.get_data(as_text=True)
    bad = client.get("/fablab/utilization?first=99/99/2026")
    assert bad.status_code == 200
    for path in (
        "/fablab/labs/new",
        f"/fablab/labs/{item.lab_id}/edit",
        f"/fablab/labs/{item.lab_id}/days",
        f"/fablab/machines/{item.id}/edit",
    ):
        assert client.get(path, follow_redirects=True).status_code == 200, path
    saved = client.post(
        f"/fablab/labs/{item.lab_id}/edit",
        data={
            "name": "Fablab BIIC",
            "horizon_days": "30",
            "cancel_notice_hours": "2",
            "weekly_quota_hours": "10",
            "no_show_limit": "3",
            "day_0": "08:00-17:00",
            "day_1": "17:00-08:00",
        },
    )
    assert "field-error" in saved.get_data(as_text=True)


def test_account_page_lists_certificates(
    app: Any, make_founder: Any, manager_of: Any, login: Any
) -> None:
    founder = make_founder()
    client = login(manager_of("BIIC"))
    client.post(
        "/fablab/certificates",
        data={"email": founder.user.email, "target": "c:laser_cutter", "expires_on": "31/12/2099"},
    )
    page = login(founder.user).get("/account").get_data(as_text=True)
    assert 'id="certificates"' in page and "31/12/2099" in page
    _ = Role


def test_the_staff_book_for_a_startup_of_the_center_by_its_name(
    app: Any, make_machine: Any, make_application: Any, manager_of: Any, login: Any
) -> None:
    from incubator.applications.stages import Stage
    from incubator.startups.models import Startup

    item = make_machine()
    applicant = make_application(Stage.SUBMITTED).startup_id
    with app.app_context():
        day = open_day(item.lab_id, 2)
        name = db.session.get(Startup, applicant).name
    client = login(manager_of("BIIC"))
    page = client.get(f"/fablab/machines/{item.id}/book").get_data(as_text=True)
    assert 'name="startup_name"' in page
    data = {"startup_id": "", "startup_name": name, "day": format_date(day), "start": "09:00"}
    response = client.post(
        f"/fablab/machines/{item.id}/book", data={**data, "minutes": "60", "purpose": "Mẫu thử"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Booking)).one().startup_id == applicant
    unknown = client.post(
        f"/fablab/machines/{item.id}/book",
        data={**data, "startup_name": "Không có", "minutes": "60", "purpose": "Mẫu thử"},
    )
    assert "Không có dự án khởi nghiệp nào của trung tâm tên" in unknown.get_data(as_text=True)


def test_my_bookings_move_a_booking_to_another_machine(
    app: Any, make_lab: Any, make_machine: Any, make_founder: Any, login: Any
) -> None:
    lab = make_lab()
    item = make_machine(lab=lab)
    other = make_machine(lab=lab, name="Máy in 3D Bambu")
    founder = make_founder()
    client = login(founder.user)
    with app.app_context():
        day = open_day(lab.id, 2)
    client.post(f"/fablab/machines/{item.id}/book", data=_form(founder, day))
    with app.app_context():
        made = db.session.scalars(select(Booking)).one()
    page = client.get(f"/fablab/bookings/{made.id}/move").get_data(as_text=True)
    assert 'name="machine_id"' in page and "Máy in 3D Bambu" in page
    moved = client.post(
        f"/fablab/bookings/{made.id}/move",
        data={
            "machine_id": str(other.id),
            "day": format_date(day),
            "start": "13:00",
            "minutes": "60",
        },
    )
    assert moved.status_code == 302, moved.get_data(as_text=True)
    assert f"/fablab/machines/{other.id}" in moved.headers["Location"]
    with app.app_context():
        assert db.session.get(Booking, made.id).machine_id == other.id
