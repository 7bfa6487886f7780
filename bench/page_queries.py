"""Queries and time per key page, with small and large data.

    .venv/bin/python bench/page_queries.py [--sizes 10,1000] [--database-url URL]

A page is "bounded" when it runs the same number of queries whatever the
number of rows; the last column says so. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from incubator import create_app, migrate
from incubator.accounts.models import Role, RoleGrant, User
from incubator.accounts.services import hash_password
from incubator.applications.models import Application, StageTransition
from incubator.applications.stages import Stage
from incubator.centers.models import Center
from incubator.db import db, utcnow
from incubator.programs.models import Program, ProgramKind, ProgramStatus, RubricCriterion
from incubator.reviews.models import Conflict, Review, ReviewScore
from incubator.startups.models import Sector, Startup, StartupMember

PASSWORD = "bench-password"


def seed(app: Any, applications: int) -> dict[str, Any]:
    """One BIIC program with `applications` screened applications, each reviewed twice."""
    from datetime import timedelta

    with app.app_context():
        session = db.session
        center = session.query(Center).filter_by(code="BIIC").one()
        password = hash_password(PASSWORD)

        def user(email: str, *roles: Role) -> User:
            account = User(email=email, name=email.split("@")[0], password_hash=password)
            for role in roles:
                account.grants.append(
                    RoleGrant(role=role, center_id=center.id if role is Role.MANAGER else None)
                )
            session.add(account)
            return account

        user("manager@bench.test", Role.MANAGER)
        mentors = [user(f"mentor{i}@bench.test", Role.MENTOR) for i in range(2)]
        founder = user("founder@bench.test", Role.FOUNDER)
        now = utcnow()
        program = Program(
            center_id=center.id,
            name_vi="Bench",
            name_en="Bench",
            kind=ProgramKind.INCUBATION,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=30),
            capacity=10_000,
            status=ProgramStatus.PUBLISHED,
        )
        for position in range(4):
            program.criteria.append(
                RubricCriterion(
                    position=position, name_vi=f"C{position}", weight=position + 1, max_score=10
                )
            )
        session.add(program)
        session.flush()
        sectors = list(Sector)
        for number in range(applications):
            startup = Startup(
                name=f"Startup {number:05d}",
                sector=sectors[number % len(sectors)],
                trl=5,
                team_size=3,
            )
            startup.members.append(
                StartupMember(
                    user=founder if number == 0 else user(f"f{number}@bench.test", Role.FOUNDER)
                )
            )
            application = Application(
                startup=startup, program=program, stage=Stage.SCREENING, submitted_at=now
            )
            application.transitions.append(StageTransition(from_stage=None, to_stage=Stage.DRAFT))
            application.transitions.append(
                StageTransition(from_stage=Stage.DRAFT, to_stage=Stage.SUBMITTED)
            )
            application.transitions.append(
                StageTransition(from_stage=Stage.SUBMITTED, to_stage=Stage.SCREENING)
            )
            session.add(application)
            for mentor in mentors:
                review = Review(
                    application=application,
                    reviewer=mentor,
                    conflict=Conflict.NONE,
                    submitted_at=now,
                )
                review.scores.extend(
                    ReviewScore(criterion=c, score=(number + c.position) % 11)
                    for c in program.criteria
                )
                session.add(review)
            if number % 500 == 499:
                session.flush()
        session.commit()
        return {"program": program.id, "application": application.id}


def measure(app: Any, email: str, path: str) -> tuple[int, float, int]:
    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})
    counter = {"n": 0}

    def count(*_args: Any) -> None:
        counter["n"] += 1

    engine = db.engine(app)
    event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", count)
    return counter["n"], elapsed, response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10,1000")
    parser.add_argument(
        "--database-url", default=None, help="an EMPTY database (default: a temp SQLite file)"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[str, list[tuple[int, float, int]]] = {}
    for size in sizes:
        folder = Path(tempfile.mkdtemp(prefix="incubator-bench-"))
        url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
        app = create_app("testing", DATABASE_URL=url, UPLOAD_DIR=folder / "uploads", PER_PAGE=20)
        migrate.upgrade(app)
        ids = seed(app, size)
        pages = {
            "manager home": ("manager@bench.test", "/"),
            "program board": ("manager@bench.test", f"/manage/programs/{ids['program']}/board"),
            "applications + ranking": (
                "manager@bench.test",
                f"/manage/programs/{ids['program']}/applications",
            ),
            "application detail": (
                "manager@bench.test",
                f"/manage/applications/{ids['application']}",
            ),
            "programs list": ("manager@bench.test", "/manage/programs"),
            "open calls": ("founder@bench.test", "/calls"),
            "review queue": ("mentor0@bench.test", "/reviews"),
            "founder home": ("founder@bench.test", "/"),
        }
        for name, (email, path) in pages.items():
            results.setdefault(name, []).append(measure(app, email, path))
        if args.database_url:
            migrate.downgrade(app, "base")
        db.engine(app).dispose()
    header = (
        f"{'page':26}" + "".join(f"{f'{s} rows: queries, ms':>24}" for s in sizes) + "  bounded"
    )
    print(header)
    print("-" * len(header))
    for name, rows in results.items():
        cells = "".join(
            f"{q:>14}, {t * 1000:>7.1f}" + " " if code == 200 else f"{'HTTP ' + str(code):>24}"
            for q, t, code in rows
        )
        bounded = "yes" if len({q for q, _t, _c in rows}) == 1 else "NO"
        print(f"{name:26}{cells}  {bounded}")


if __name__ == "__main__":
    main()
