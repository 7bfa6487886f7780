"""Utilization over a week and over a year, at ten labs of eight machines: the page reads the
stored days (fablab_machine_days), never the bookings, so a year costs about what a week does.

    PYTHONPATH=$PWD .venv/bin/python bench/fablab_utilization.py [--bookings-per-day 6]

Builds a temporary SQLite database, migrates it, seeds ten labs with eight machines each and
a year of bookings (bulk inserts of bookings and of the per-day and per-month figures that
booking would have stored), then times `lab_figures` and the utilization list's page for a week and a year
(median of 7). Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select

from incubator import create_app, migrate
from incubator.accounts.models import User
from incubator.centers.models import Center
from incubator.db import db, utcnow
from incubator.fablab import lists
from incubator.fablab.common import at_local, local_day
from incubator.fablab.models import (
    Booking,
    Lab,
    Machine,
    MachineCategory,
    MachineDay,
    MachineMonth,
    OpeningHours,
)
from incubator.fablab.utilization import check_period, lab_figures, utilization_query


def seed(per_day: int) -> list[int]:
    session = db.session
    center = session.scalars(select(Center)).first()
    user = User(email="bench@example.test", name="Bench", locale="vi")
    session.add(user)
    labs = []
    for number in range(10):
        lab = Lab(center_id=center.id, name=f"Lab {number}")
        lab.hours = [OpeningHours(weekday=d, opens=clock(8), closes=clock(17)) for d in range(6)]
        session.add(lab)
        labs.append(lab)
    session.flush()
    machines = [
        Machine(lab_id=lab.id, name=f"Máy {lab.id}-{n}", category=MachineCategory.PRINTER_3D)
        for lab in labs
        for n in range(8)
    ]
    session.add_all(machines)
    session.flush()
    today = local_day(utcnow())
    bookings, days = [], []
    for offset in range(365):
        day = today - timedelta(days=offset)
        for machine in machines:
            for slot in range(per_day):
                starts = at_local(day, clock(8 + slot))
                bookings.append(
                    {
                        "machine_id": machine.id,
                        "lab_id": machine.lab_id,
                        "category": "printer_3d",
                        "user_id": user.id,
                        "purpose": "bench",
                        "starts_at": starts,
                        "ends_at": starts + timedelta(hours=1),
                        "status": "checked_in",
                        "created_at": starts,
                        "cancel_reason": "",
                    }
                )
            days.append(
                {
                    "machine_id": machine.id,
                    "day": day,
                    "lab_id": machine.lab_id,
                    "booked_minutes": 60 * per_day,
                    "used_minutes": 60 * per_day,
                    "no_shows": 0,
                }
            )
    session.execute(insert(Booking), bookings)
    session.execute(insert(MachineDay), days)
    months: dict[tuple[int, object], dict] = {}
    for row in days:
        key = (row["machine_id"], row["day"].replace(day=1))
        month = months.setdefault(
            key,
            {
                "machine_id": key[0],
                "month": key[1],
                "lab_id": row["lab_id"],
                "booked_minutes": 0,
                "used_minutes": 0,
                "no_shows": 0,
            },
        )
        for name in ("booked_minutes", "used_minutes", "no_shows"):
            month[name] += row[name]
    session.execute(insert(MachineMonth), list(months.values()))
    session.commit()
    return [lab.id for lab in labs]


def timed(call, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings-per-day", type=int, default=6)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp())
    app = create_app("testing", DATABASE_URL=f"sqlite:///{directory / 'bench.db'}")
    migrate.upgrade(app)
    with app.app_context():
        lab_ids = seed(args.bookings_per_day)
        labs = [db.session.get(Lab, lab_id) for lab_id in lab_ids]
        today = local_day(utcnow())
        count = db.session.query(Booking).count()
        print(f"{count} bookings, {len(labs)} labs, {8 * len(labs)} machines")
        print(f"{'period':<8}{'lab figures (ms)':>18}{'list page (ms)':>16}")
        for name, days in (("week", 6), ("month", 30), ("year", 364)):
            period = check_period(today - timedelta(days=days), today, today)
            params = lists.UTILIZATION.parse({})

            def figures(period=period) -> None:
                lab_figures(labs, period)

            def page(period=period, params=params) -> None:
                lists.UTILIZATION.page(utilization_query(labs, period), params, 20)

            print(f"{name:<8}{timed(figures):>18.1f}{timed(page):>16.1f}")


if __name__ == "__main__":
    main()
