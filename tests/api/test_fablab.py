"""/api/v1/equipment and /api/v1/bookings: the same rules as the web, with codes; and the
concurrent booking test of the Fablab issue repeated through the API."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from incubator.accounts.models import Role
from incubator.db import db
from incubator.fablab.models import Booking, BookingStatus, LabDay
from incubator.i18n import to_local
from tests.api.fixtures import error_code
from tests.conftest import app_session
from tests.fablab.fixtures import at, open_day

REQUESTS = 24


def _slot(app: Flask, lab: Any, hour: int, minutes: int = 60) -> tuple[str, str]:
    with app.app_context():
        day = open_day(lab)
    starts = to_local(at(day, hour))
    return starts.isoformat(), (starts + timedelta(minutes=minutes)).isoformat()


def test_equipment_and_its_availability(
    app: Flask, make_machine: Any, make_user: Any, api: Any
) -> None:
    machine = make_machine()
    client = api(make_user(Role.FOUNDER))
    listed = client.get("/api/v1/equipment?center=BIIC").get_json()
    assert [m["id"] for m in listed["items"]] == [machine.id]
    item = listed["items"][0]
    assert item["slot_minutes"] == 30 and item["requires_training"] is False
    assert client.get("/api/v1/equipment?center=SMIC").get_json()["total"] == 0
    with app.app_context():
        day = open_day(machine.lab_id)
    free = client.get(f"/api/v1/equipment/{machine.id}/availability?from={day}&to={day}").get_json()
    assert free["busy"] == []
    assert free["free"][0]["starts_at"].endswith("+07:00")
    too_long = client.get(
        f"/api/v1/equipment/{machine.id}/availability?from={day}&to={day + timedelta(days=40)}"
    )
    assert too_long.status_code == 422
    assert error_code(too_long) == "bad_period"
    assert client.get("/api/v1/equipment/999999/availability").status_code == 404


def test_book_then_cancel(app: Flask, make_machine: Any, make_founder: Any, api: Any) -> None:
    machine = make_machine()
    founder = make_founder()
    client = api(founder.user)
    starts, ends = _slot(app, machine.lab_id, 9)
    body = {
        "equipment_id": machine.id,
        "startup_id": founder.startup_id,
        "starts_at": starts,
        "ends_at": ends,
        "purpose": "In vỏ hộp cảm biến",
    }
    created = client.post("/api/v1/bookings", json=body)
    assert created.status_code == 201, created.get_json()
    booking_id = created.get_json()["id"]
    taken = client.post("/api/v1/bookings", json=body)
    assert taken.status_code == 409
    assert error_code(taken) == "slot_taken"
    availability = client.get(f"/api/v1/equipment/{machine.id}/availability?from={starts[:10]}")
    assert availability.get_json()["busy"][0]["starts_at"] == starts
    assert client.get("/api/v1/bookings").get_json()["total"] == 1
    cancelled = client.delete(f"/api/v1/bookings/{booking_id}")
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled"
    again = client.delete(f"/api/v1/bookings/{booking_id}")
    assert again.status_code == 409
    assert error_code(again) == "not_changeable"


def test_broken_rules_answer_422_with_their_code(
    app: Flask, make_lab: Any, make_machine: Any, make_founder: Any, api: Any
) -> None:
    lab = make_lab()
    machine = make_machine(lab=lab)
    trained = make_machine(lab=lab, training=True, name="Máy cắt laser")
    founder = make_founder()
    client = api(founder.user)

    def book(machine_id: int, hour: int, minutes: int = 60) -> Any:
        starts, ends = _slot(app, machine.lab_id, hour, minutes)
        return client.post(
            "/api/v1/bookings",
            json={
                "equipment_id": machine_id,
                "startup_id": founder.startup_id,
                "starts_at": starts,
                "ends_at": ends,
                "purpose": "Thử",
            },
        )

    late = book(machine.id, 18, 120)
    assert late.status_code == 422
    assert error_code(late) == "outside_opening_hours"
    assert error_code(book(trained.id, 9)) == "not_certified"
    with app_session(app) as session:
        day = open_day(machine.lab_id)
        session.add(LabDay(lab_id=machine.lab_id, day=day, open=False, note="Bảo trì"))
        session.commit()
    starts = to_local(at(day, 9))
    closed = client.post(
        "/api/v1/bookings",
        json={
            "equipment_id": machine.id,
            "startup_id": founder.startup_id,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "purpose": "Thử",
        },
    )
    assert closed.status_code == 422
    assert error_code(closed) == "closed_day"


def test_the_quota_is_enforced(
    app: Flask, make_lab: Any, make_machine: Any, make_founder: Any, api: Any
) -> None:
    machine = make_machine(lab=make_lab(quota=1))
    founder = make_founder()
    client = api(founder.user)
    starts, ends = _slot(app, machine.lab_id, 9, 120)
    response = client.post(
        "/api/v1/bookings",
        json={
            "equipment_id": machine.id,
            "startup_id": founder.startup_id,
            "starts_at": starts,
            "ends_at": ends,
            "purpose": "Thử",
        },
    )
    assert response.status_code == 422
    assert error_code(response) == "quota_exceeded"


def test_another_startup_cannot_be_booked_for_nor_its_booking_cancelled(
    app: Flask, make_machine: Any, make_founder: Any, api: Any
) -> None:
    machine = make_machine()
    owner, other = make_founder(), make_founder()
    starts, ends = _slot(app, machine.lab_id, 9)
    body = {
        "equipment_id": machine.id,
        "startup_id": owner.startup_id,
        "starts_at": starts,
        "ends_at": ends,
        "purpose": "Thử",
    }
    refused = api(other.user).post("/api/v1/bookings", json=body)
    assert refused.status_code == 422
    assert error_code(refused) == "not_a_member"
    booking_id = api(owner.user).post("/api/v1/bookings", json=body).get_json()["id"]
    assert api(other.user).delete(f"/api/v1/bookings/{booking_id}").status_code == 404
    assert api(other.user).get("/api/v1/bookings").get_json()["total"] == 0


def test_simultaneous_posts_for_one_slot_give_one_201(
    app: Flask, make_machine: Any, make_founder: Any, make_token: Any
) -> None:
    machine = make_machine()
    founders = [make_founder() for _ in range(REQUESTS)]
    starts, ends = _slot(app, machine.lab_id, 10)
    requests = [
        (
            make_token(f.user),
            {
                "equipment_id": machine.id,
                "startup_id": f.startup_id,
                "starts_at": starts,
                "ends_at": ends,
                "purpose": "In mẫu",
            },
        )
        for f in founders
    ]
    barrier = threading.Barrier(REQUESTS, timeout=60)
    answers: list[tuple[int, str]] = []
    failures: list[BaseException] = []

    def post(token: str, body: dict[str, Any]) -> None:
        try:
            client = app.test_client()
            barrier.wait()
            response = client.post(
                "/api/v1/bookings", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            answers.append(
                (response.status_code, error_code(response) if response.status_code != 201 else "")
            )
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=post, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    statuses = sorted(status for status, _code in answers)
    assert statuses == [201] + [409] * (REQUESTS - 1), answers
    assert {code for status, code in answers if status == 409} == {"slot_taken"}
    with app.app_context():
        held = db.session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.status == BookingStatus.CONFIRMED)
        )
        assert held == 1
