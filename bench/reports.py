"""Reports: the startup report's overhead over WeasyPrint, and the cohort report with one and
with two processes, at cohorts of 10, 50 and 200 startups with a year of data each.

    PYTHONPATH=$PWD .venv/bin/python bench/reports.py [--sizes 10,50,200] [--repeat 5]

For each size a temporary SQLite database is migrated and seeded (one program; per startup:
its stage history, an assigned mentor, 24 sessions with action items, 12 monthly check-ins
and mentoring months, milestones and 12 used Fablab bookings). Then, each measurement in a
fresh process of its own (so that peak memory is that run's):

* startup report: `render.startup_pdf` (gather the data, render the template, WeasyPrint)
  against WeasyPrint alone rendering the same final HTML; median of --repeat warm runs;
* cohort report: `render.cohort_pdf` with 1 process (chunks rendered in the main process)
  and with 2 (a pool of worker processes), wall time, pages, and the peak resident memory
  of the largest process (ru_maxrss of the main process and of the pool's workers).

Prints a table; asserts nothing. The machine is shared: figures move with its load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _app(database: str):
    from incubator import create_app

    return create_app(
        "testing",
        DATABASE_URL=f"sqlite:///{database}",
        UPLOAD_DIR=Path(database).parent / "uploads",
    )


def seed(database: str, size: int) -> None:
    from sqlalchemy import select

    from incubator import migrate
    from incubator.accounts.models import Role, RoleGrant, User
    from incubator.applications.models import Application, StageTransition
    from incubator.applications.stages import Stage
    from incubator.centers.models import Center
    from incubator.db import db
    from incubator.fablab.models import Booking, BookingStatus, Lab, Machine, MachineCategory
    from incubator.mentoring.models import (
        ActionItem,
        ActionOwner,
        Assignment,
        CheckIn,
        MentoredStartup,
        MentoringMonth,
        MentoringSession,
        Milestone,
        MilestoneStatus,
        SessionFormat,
    )
    from incubator.programs.models import Program, ProgramKind, ProgramStatus
    from incubator.startups.models import Sector, Startup, StartupMember

    app = _app(database)
    migrate.upgrade(app)
    sectors = list(Sector)
    start = datetime(2025, 11, 1, 2, tzinfo=UTC)
    with app.app_context():
        session = db.session
        center = session.scalars(select(Center).where(Center.code == "BIIC")).one()
        mentor = User(email="mentor@bench.test", name="TS. Đặng Minh Tuấn", locale="vi")
        mentor.grants.append(RoleGrant(role=Role.MENTOR))
        session.add(mentor)
        program = Program(
            center_id=center.id,
            name_vi="Chương trình Ươm tạo BIIC 2026",
            name_en="BIIC Incubation Program 2026",
            kind=ProgramKind.INCUBATION,
            opens_at=start - timedelta(days=60),
            closes_at=start - timedelta(days=30),
            starts_on=start.date(),
            ends_on=date(2026, 10, 31),
            capacity=size,
            status=ProgramStatus.PUBLISHED,
        )
        lab = Lab(center_id=center.id, name="Fablab BIIC")
        session.add_all([program, lab])
        session.flush()
        machine = Machine(
            lab_id=lab.id, name="Máy in 3D Prusa MK4", category=MachineCategory.PRINTER_3D
        )
        session.add(machine)
        session.flush()
        for number in range(size):
            founder = User(
                email=f"founder{number}@bench.test", name=f"Nguyễn Thị Hồng {number}", locale="vi"
            )
            founder.grants.append(RoleGrant(role=Role.FOUNDER))
            startup = Startup(
                name=f"Dự án Đổi mới Sáng tạo {number:03d}",
                sector=sectors[number % len(sectors)],
                description="Giải pháp công nghệ cho doanh nghiệp vừa và nhỏ ở Bình Dương. " * 3,
                trl=5,
                team_size=4,
                website="https://example.vn",
            )
            startup.members.append(StartupMember(user=founder, title="CEO"))
            session.add(startup)
            session.flush()
            graduated = number % 5 == 0
            stage = Stage.GRADUATED if graduated else Stage.INCUBATING
            application = Application(
                startup_id=startup.id,
                program_id=program.id,
                stage=stage,
                submitted_at=start - timedelta(days=40),
                score_mean=60 + number % 40,
                review_count=3,
            )
            session.add(application)
            session.flush()
            route = [
                Stage.DRAFT,
                Stage.SUBMITTED,
                Stage.SCREENING,
                Stage.ACCEPTED,
                Stage.INCUBATING,
            ]
            if graduated:
                route += [Stage.DEMO_DAY, Stage.GRADUATED]
            previous = None
            for step, target in enumerate(route):
                session.add(
                    StageTransition(
                        application_id=application.id,
                        from_stage=previous,
                        to_stage=target,
                        at=start - timedelta(days=40 - 5 * step),
                    )
                )
                previous = target
            session.add(
                MentoredStartup(
                    startup_id=startup.id,
                    application_id=application.id,
                    center_id=center.id,
                    stage=stage.value,
                    since=start,
                    sessions=24,
                    minutes=24 * 60,
                    rating_total=24 * 4,
                    ratings=24,
                )
            )
            session.flush()
            assignment = Assignment(
                startup_id=startup.id,
                mentor_id=mentor.id,
                starts_on=start.date(),
                ends_on=date(2026, 10, 31),
                goals="Gọi vốn hạt giống",
            )
            session.add(assignment)
            session.flush()
            for month in range(12):
                first = date(2025 + (10 + month) // 12, (10 + month) % 12 + 1, 1)
                session.add(
                    CheckIn(
                        startup_id=startup.id,
                        month=first,
                        revenue_vnd=10_000_000 * (month + 1),
                        customers=5 + 2 * month,
                        funding_raised_vnd=500_000_000 if month == 6 else 0,
                        headcount=4 + month // 3,
                    )
                )
                session.add(
                    MentoringMonth(startup_id=startup.id, month=first, minutes=120, sessions=2)
                )
                for half in range(2):
                    held = datetime(first.year, first.month, 5 + 12 * half, 2, tzinfo=UTC)
                    mentoring = MentoringSession(
                        assignment_id=assignment.id,
                        mentor_id=mentor.id,
                        startup_id=startup.id,
                        center_id=center.id,
                        client_key=f"{number}-{month}-{half}",
                        held_at=held,
                        minutes=60,
                        format=SessionFormat.IN_PERSON,
                        topics="Mô hình kinh doanh, gọi vốn",
                        summary="Rà soát kế hoạch tài chính.",
                        confirmed_at=held,
                        rating=4,
                    )
                    mentoring.action_items.append(
                        ActionItem(
                            startup_id=startup.id,
                            title="Cập nhật bảng số liệu khách hàng",
                            owner=ActionOwner.STARTUP,
                            due_on=(held + timedelta(days=10)).date(),
                        )
                    )
                    session.add(mentoring)
                booked = start + timedelta(days=30 * month, hours=number % 8 + 1, minutes=number)
                session.add(
                    Booking(
                        machine_id=machine.id,
                        lab_id=lab.id,
                        category=MachineCategory.PRINTER_3D,
                        startup_id=startup.id,
                        user_id=founder.id if founder.id else mentor.id,
                        purpose="Vỏ hộp cảm biến",
                        starts_at=booked + timedelta(seconds=number),
                        ends_at=booked + timedelta(hours=1, seconds=number),
                        status=BookingStatus.CHECKED_IN,
                    )
                )
            for index, status in enumerate(MilestoneStatus):
                session.add(
                    Milestone(
                        startup_id=startup.id,
                        title=f"Cột mốc {index + 1}: ký hợp đồng khách hàng",
                        due_on=date(2026, 3 + index, 1),
                        status=status,
                    )
                )
            session.flush()
        session.commit()
    from incubator.db import db as database_handle

    database_handle.engine(app).dispose()


def _peak_mb(*, children: bool) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def measure_startup(database: str, repeat: int) -> dict:
    from flask_babel import force_locale
    from weasyprint import HTML

    from incubator.db import db
    from incubator.pdf import STATIC_BASE, StaticOnlyFetcher, page_frame, render_print_template
    from incubator.reports import render

    app = _app(database)
    ours, theirs = [], []
    with app.app_context():
        with force_locale("vi"):
            report = render.startup_values(1)
            html = render_print_template(
                "report_startup.html", report=report, **page_frame("BIIC", "Báo cáo tiến độ")
            )
        db.session.close()
        render.startup_pdf(1, "vi")  # warm: fonts, stylesheets, templates
        HTML(string=html, base_url=STATIC_BASE, url_fetcher=StaticOnlyFetcher()).write_pdf()
        for _ in range(repeat):
            began = time.perf_counter()
            render.startup_pdf(1, "vi")
            ours.append(time.perf_counter() - began)
            db.session.close()
            began = time.perf_counter()
            HTML(string=html, base_url=STATIC_BASE, url_fetcher=StaticOnlyFetcher()).write_pdf()
            theirs.append(time.perf_counter() - began)
    return {"ours": statistics.median(ours), "weasyprint": statistics.median(theirs)}


def measure_cohort(database: str, processes: int) -> dict:
    from pypdf import PdfReader

    from incubator.reports import render

    app = _app(database)
    with tempfile.TemporaryDirectory() as directory, app.app_context():
        out = str(Path(directory) / "cohort.pdf")
        if processes > 1:
            render.warm_pool(processes)  # started before the clock, as in a running server
        began = time.perf_counter()
        result = render.cohort_pdf(1, "vi", out, processes)
        elapsed = time.perf_counter() - began
        main_mb = _peak_mb(children=False)  # the report's, before the check below reads it all
        pages = len(PdfReader(out).pages)
        render.shutdown_pool()
    usage = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return {
        "cpu": sum(u.ru_utime + u.ru_stime for u in usage),
        "seconds": elapsed,
        "pages": pages == result.pages and pages,
        "main_mb": main_mb,
        "workers_mb": _peak_mb(children=True),
    }


def _child(*args: str) -> dict:
    output = subprocess.run(  # noqa: S603 (this script, our interpreter)
        [sys.executable, __file__, "--child", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SCHEDULER_ENABLED": "0"},
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,50,200")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", nargs=3, metavar=("KIND", "DATABASE", "ARG"))
    args = parser.parse_args()
    if args.child:
        kind, database, arg = args.child
        if kind == "seed":
            seed(database, int(arg))
            print(json.dumps({}))
        elif kind == "startup":
            print(json.dumps(measure_startup(database, int(arg))))
        else:
            print(json.dumps(measure_cohort(database, int(arg))))
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as directory:
            database = str(Path(directory) / "bench.db")
            began = time.perf_counter()
            _child("seed", database, str(size))
            seeded = time.perf_counter() - began
            startup = _child("startup", database, str(args.repeat))
            one = _child("cohort", database, "1")
            two = _child("cohort", database, "2")
        rows.append((size, seeded, startup, one, two))
        print(f"size {size}: seeded in {seeded:.0f} s", file=sys.stderr)
    print(
        "| startups | startup report (ours) | WeasyPrint alone | overhead | cohort pages "
        "| cohort, 1 process | cohort, 2 processes | speed-up | peak MB, 1 process "
        "| peak MB, 2 processes (main / largest worker) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size, _seeded, startup, one, two in rows:
        overhead = startup["ours"] / startup["weasyprint"] - 1
        print(
            f"| {size} | {startup['ours']:.2f} s | {startup['weasyprint']:.2f} s "
            f"| {overhead * 100:+.0f} % | {two['pages']} | {one['seconds']:.1f} s "
            f"| {two['seconds']:.1f} s | {one['seconds'] / two['seconds']:.2f}× "
            f"| {one['main_mb']:.0f} | {two['main_mb']:.0f} / {two['workers_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
