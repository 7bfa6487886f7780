"""Twenty identical requests at once that create a lab, a machine, a maintenance block or a
closed day: one of each, a clear answer for every request, never a 500 (SQLite and
PostgreSQL; `at_once` sends them through the real request path)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from incubator.fablab.models import Lab, LabDay, Machine, MaintenanceBlock
from incubator.i18n import format_date
from tests.fablab.fixtures import open_day
from tests.startups.test_archive_and_resubmit import form_token
from tests.test_concurrent_requests import at_once, count

LAB = {
    "name": "Techlab Thủ Dầu Một",
    "horizon_days": "30",
    "cancel_notice_hours": "2",
    "weekly_quota_hours": "10",
    "no_show_limit": "3",
    "day_0": "08:00-17:00",
}
MACHINE = {
    "name": "Máy khắc laser Trotec",
    "category": "laser_cutter",
    "slot_minutes": "30",
    "min_minutes": "30",
    "max_minutes": "120",
}


def _labs_named(app: Flask, name: str) -> int:
    return count(app, select(func.count()).select_from(Lab).where(Lab.name == name))


def test_creating_a_lab_twenty_times_at_once_from_one_form_makes_one(
    app: Flask, manager_of: Any, login: Any
) -> None:
    client = login(manager_of("BIIC"))
    token = form_token(client, "/fablab/labs/new")
    statuses = at_once(app, client, "/fablab/labs/new", {**LAB, "once": token})
    assert set(statuses) == {302}  # every click lands on the one lab
    assert _labs_named(app, LAB["name"]) == 1


def test_creating_a_lab_twenty_times_at_once_without_the_token_still_makes_one(
    app: Flask, manager_of: Any, login: Any
) -> None:
    client = login(manager_of("BIIC"))
    statuses = at_once(app, client, "/fablab/labs/new", LAB)
    assert statuses.count(302) == 1 and set(statuses) == {200, 302}
    assert _labs_named(app, LAB["name"]) == 1
    page = client.post("/fablab/labs/new", data=LAB)
    assert "Trung tâm đã có một phòng lab tên Techlab Thủ Dầu Một." in page.get_data(as_text=True)


def test_creating_a_machine_twenty_times_at_once_makes_one(
    app: Flask, make_lab: Any, manager_of: Any, login: Any
) -> None:
    lab = make_lab()
    client = login(manager_of("BIIC"))
    path = f"/fablab/labs/{lab.id}/machines/new"
    token = form_token(client, path)
    statuses = at_once(app, client, path, {**MACHINE, "once": token})
    assert set(statuses) == {302}
    machines = select(func.count()).select_from(Machine).where(Machine.lab_id == lab.id)
    assert count(app, machines) == 1
    # without the form's token the name is what keeps it single, with a message
    at_once(app, client, path, MACHINE)
    assert count(app, machines) == 1
    page = client.post(path, data=MACHINE)
    assert "đã có thiết bị tên Máy khắc laser Trotec" in page.get_data(as_text=True)


def test_blocking_a_machine_twenty_times_at_once_makes_one_block(
    app: Flask, make_machine: Any, manager_of: Any, login: Any
) -> None:
    item = make_machine()
    with app.app_context():
        day = format_date(open_day(item.lab_id, 2))
    client = login(manager_of("BIIC"))
    data = {"starts_at": f"{day} 08:00", "ends_at": f"{day} 12:00", "reason": "Thay đầu phun"}
    path = f"/fablab/machines/{item.id}/maintenance"
    statuses = at_once(app, client, path, data)
    assert statuses.count(302) == 1 and set(statuses) == {200, 302}
    blocks = select(func.count()).select_from(MaintenanceBlock)
    assert count(app, blocks.where(MaintenanceBlock.machine_id == item.id)) == 1
    page = client.post(path, data=data).get_data(as_text=True)
    assert f"đã được khóa bảo trì từ {day} 08:00 đến {day} 12:00" in page


def test_closing_a_day_twenty_times_at_once_closes_it_once(
    app: Flask, make_lab: Any, manager_of: Any, login: Any
) -> None:
    lab = make_lab()
    with app.app_context():
        day = open_day(lab.id, 3)
    client = login(manager_of("BIIC"))
    data = {"day": format_date(day), "state": "closed", "note": "Kiểm kê thiết bị"}
    statuses = at_once(app, client, f"/fablab/labs/{lab.id}/days", data)
    assert set(statuses) == {302}  # the same decision, taken once: every answer is "saved"
    days = select(func.count()).select_from(LabDay).where(LabDay.lab_id == lab.id)
    assert count(app, days) == 1
    # and opening it again twenty times leaves one row, open
    at_once(app, client, f"/fablab/labs/{lab.id}/days", {**data, "state": "open"})
    assert count(app, days) == 1
    assert count(app, select(LabDay.open).where(LabDay.lab_id == lab.id)) is True
