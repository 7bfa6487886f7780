"""No double booking, ever: two dozen founders' requests for overlapping ranges of one machine
at the same moment, through the real request path (form, view, service, transaction), give
exactly one booking and "slot taken" for every other one, never an error page; on
PostgreSQL the exclusion constraint refuses an overlap even from code that skips the check.

Run with `-s` to see the figures (requests, winners, seconds)."""

from __future__ import annotations

import threading
import time as clock
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from incubator.accounts.models import User
from incubator.db import db
from incubator.fablab import bookings
from incubator.fablab.bookings import book, move_booking
from incubator.fablab.models import Booking, BookingStatus, MachineDay
from incubator.i18n import format_date
from tests.fablab.fixtures import at, booking, get, open_day

REQUESTS = 24
SLOT_TAKEN = "This slot is already taken. Please choose another time."
# every range contains 11:00–11:30, so any two of them overlap
RANGES = [
    (h, m, minutes)
    for h, m in ((9, 0), (9, 30), (10, 0), (10, 30), (11, 0))
    for minutes in (60, 90, 120, 150, 180)
    if (h * 60 + m + minutes) >= 11 * 60 + 30
][:REQUESTS]


def _post_at_once(
    app: Flask, clients: list[FlaskClient], requests: list[tuple[str, dict[str, Any]]]
) -> tuple[list[tuple[int, str]], float]:
    barrier = threading.Barrier(len(requests), timeout=60)
    answers: list[tuple[int, str]] = []
    failures: list[BaseException] = []

    def post(client: FlaskClient, path: str, data: dict[str, Any]) -> None:
        try:
            barrier.wait()
            response = client.post(path, data=data, headers={"Accept-Language": "en"})
            answers.append((response.status_code, response.get_data(as_text=True)))
        except BaseException as error:  # reported below, never lost in the thread
            failures.append(error)

    threads = [
        threading.Thread(target=post, args=(client, path, data))
        for client, (path, data) in zip(clients, requests, strict=True)
    ]
    started = clock.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = clock.perf_counter() - started
    assert failures == []
    assert len(answers) == len(requests)
    return answers, elapsed


def test_overlapping_requests_at_once_give_exactly_one_booking(
    app: Flask, make_machine: Any, make_founder: Any, login: Any
) -> None:
    item = make_machine(longest=240)
    founders = [make_founder() for _ in range(4)]
    with app.app_context():
        day = open_day(item.lab_id, 2)
    clients = []
    requests = []
    for number in range(REQUESTS):
        founder = founders[number % len(founders)]
        if number < len(founders):
            client = login(founder.user)
        else:
            client = app.test_client()
            client.set_cookie(
                "session", clients[number % len(founders)].get_cookie("session").value
            )
        clients.append(client)
        hour, minute, minutes = RANGES[number % len(RANGES)]
        requests.append(
            (
                f"/fablab/machines/{item.id}/book",
                {
                    "startup_id": str(founder.startup_id),
                    "day": format_date(day),
                    "start": f"{hour:02d}:{minute:02d}",
                    "minutes": str(minutes),
                    "purpose": "In vỏ cảm biến",
                },
            )
        )
    answers, elapsed = _post_at_once(app, clients, requests)
    statuses = [status for status, _body in answers]
    winners = statuses.count(302)
    print(
        f"\nfablab concurrency ({db.engine(app).dialect.name}): {REQUESTS} requests, "
        f"{winners} winner, {elapsed:.2f} s"
    )
    assert 500 not in statuses, statuses
    assert winners == 1, statuses
    refused = [body for status, body in answers if status == 200]
    assert len(refused) == REQUESTS - 1
    assert all("Máy in 3D Prusa" in body for body in refused)
    assert all(
        ("Khung giờ này đã có người đặt" in body) or (SLOT_TAKEN in body) for body in refused
    )
    with app.app_context():
        holding = db.session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.status == BookingStatus.CONFIRMED)
        )
        assert holding == 1
        stored = db.session.get(MachineDay, (item.id, day))
        assert stored.booked_minutes == db.session.scalars(select(Booking)).one().minutes


@pytest.mark.postgres
def test_the_exclusion_constraint_refuses_overlaps_that_skip_the_check(
    app: Flask, ctx: Any, english: None, make_machine: Any, make_founder: Any, monkeypatch: Any
) -> None:
    if db.engine(app).dialect.name != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only (SQLite: BEGIN IMMEDIATE)")
    item = make_machine()
    founder = make_founder()
    user = get(User, founder.user.id)
    day = open_day(item.lab, 2)
    first = book(user, item, booking(at(day, 9), 120, founder.startup_id))
    db.session.commit()
    # 1. a plain INSERT of an overlapping holding booking: refused by the database itself
    insert = text(
        "INSERT INTO fablab_bookings (machine_id, lab_id, category, user_id, purpose, starts_at,"
        " ends_at, status, created_at, cancel_reason) VALUES (:machine, :lab, 'printer_3d',"
        " :user, 'x', :starts, :ends, :status, now(), '')"
    )
    values = {"machine": item.id, "lab": item.lab_id, "user": user.id}
    with pytest.raises(IntegrityError, match="fablab_bookings_no_overlap"):
        db.session.execute(
            insert, values | {"starts": at(day, 10), "ends": at(day, 11), "status": "confirmed"}
        )
    db.session.rollback()
    # half-open: meeting at 11:00 is fine; cancelled bookings hold nothing
    db.session.execute(
        insert, values | {"starts": at(day, 11), "ends": at(day, 12), "status": "confirmed"}
    )
    db.session.execute(
        insert, values | {"starts": at(day, 9), "ends": at(day, 12), "status": "cancelled"}
    )
    db.session.commit()
    # 2. the service with its check switched off: the constraint's refusal is the same answer
    monkeypatch.setattr(bookings, "check_free", lambda *args, **kwargs: None)
    with pytest.raises(Exception) as refusal:
        book(user, item, booking(at(day, 10), 60, founder.startup_id))
    assert getattr(refusal.value, "message", "") == SLOT_TAKEN
    db.session.rollback()
    with pytest.raises(Exception) as refusal:
        move_booking(user, get(Booking, first.id), at(day, 11), 60)
    assert getattr(refusal.value, "message", "") == SLOT_TAKEN
    db.session.rollback()
    assert get(Booking, first.id).starts_at == at(day, 9)
