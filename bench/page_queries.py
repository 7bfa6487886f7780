"""Queries and time per key page at growing sizes, in production configuration.

    PYTHONPATH=$PWD .venv/bin/python bench/page_queries.py [--sizes 100,1000,10000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1/bench_pages] [--repeat 7]
        [--profile]

For each size the script builds a fresh database (a temporary SQLite file, or the
EMPTY database given by --database-url: migrated up, seeded, measured, migrated
back down), seeds one BIIC program with that many applications, logs each role in
through the login form (CSRF token included) and requests every key page: one
warm-up request whose queries are counted, then --repeat timed requests of which
the median is shown. Each timed request builds its page (the page cache is emptied
before it: what a request pays after a write); the "cached" column is the same page
served from the page cache at the largest size. The app is built with config
"production" (SECRET_KEY, DATABASE_URL, BASE_URL and MAIL_BACKEND=log are set for it; nothing
else is overridden).

A page is "bounded" when it runs the same number of queries at every size. The
target of issue 8: at the largest size the page takes < 50 ms and at most twice
the time it takes at a tenth of that size. Prints tables; asserts nothing.

Seeding is done with bulk inserts, one function per table (seed_users,
seed_role_grants, ... seed_review_scores); after the reviews are in, seed()
calls recompute_scores(session, program_id), which is where stored aggregates
(score_mean, review_count, score_spread on applications) are to be filled.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import secrets
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session

from incubator import create_app, migrate
from incubator.accounts.models import Role, RoleGrant, User
from incubator.accounts.passwords import hash_password
from incubator.applications.models import Answer, Application, StageTransition
from incubator.applications.stages import Stage
from incubator.centers.models import Center
from incubator.db import db, utcnow
from incubator.programs.models import Program, ProgramKind, ProgramStatus, RubricCriterion
from incubator.questions.library import DEFAULT_FORM
from incubator.questions.models import Question
from incubator.questions.services import add_templates
from incubator.reviews.models import Conflict, Review, ReviewScore
from incubator.startups.models import Sector, Startup, StartupMember

PASSWORD = "bench-password"
MANAGER = "manager@bench.test"
FOUNDER = "founder@bench.test"  # member of startup 0, whose application is shown to the manager
MENTOR = "mentor0@bench.test"
MENTORS = 20
REVIEWS_PER_APPLICATION = 3
CRITERIA = 4
TARGET_MS = 50.0
TARGET_RATIO = 2.0

# How applications spread over the stages, per 100 (application n gets STAGE_MIX[n % 100]).
_MIX = (
    (Stage.SCREENING, 40),
    (Stage.SUBMITTED, 20),
    (Stage.REJECTED, 15),
    (Stage.ACCEPTED, 5),
    (Stage.WAITLISTED, 5),
    (Stage.INCUBATING, 5),
    (Stage.DEMO_DAY, 3),
    (Stage.WITHDRAWN, 3),
    (Stage.GRADUATED, 2),
    (Stage.DROPPED, 2),
)
STAGE_MIX = [stage for stage, share in _MIX for _ in range(share)]
assert len(STAGE_MIX) == 100

# The moves that lead from nothing to each stage (recorded as stage transitions).
_PATHS = {
    Stage.SUBMITTED: (Stage.DRAFT, Stage.SUBMITTED),
    Stage.SCREENING: (Stage.DRAFT, Stage.SUBMITTED, Stage.SCREENING),
}
_PATHS[Stage.ACCEPTED] = (*_PATHS[Stage.SCREENING], Stage.ACCEPTED)
_PATHS[Stage.WAITLISTED] = (*_PATHS[Stage.SCREENING], Stage.WAITLISTED)
_PATHS[Stage.REJECTED] = (*_PATHS[Stage.SCREENING], Stage.REJECTED)
_PATHS[Stage.WITHDRAWN] = (*_PATHS[Stage.SCREENING], Stage.WITHDRAWN)
_PATHS[Stage.INCUBATING] = (*_PATHS[Stage.ACCEPTED], Stage.INCUBATING)
_PATHS[Stage.DEMO_DAY] = (*_PATHS[Stage.INCUBATING], Stage.DEMO_DAY)
_PATHS[Stage.DROPPED] = (*_PATHS[Stage.INCUBATING], Stage.DROPPED)
_PATHS[Stage.GRADUATED] = (*_PATHS[Stage.DEMO_DAY], Stage.GRADUATED)
REVIEWED = frozenset(_PATHS) - {Stage.SUBMITTED}  # reviews start with screening


# ------------------------------------------------------------------ app


def production_app(url: str, folder: Path) -> Flask:
    """The app as `gunicorn 'incubator:create_app()'` builds it with INCUBATOR_CONFIG=production."""
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    os.environ["DATABASE_URL"] = url  # ProductionConfig refuses to start without these
    os.environ.setdefault("BASE_URL", "https://incubator.example.vn")
    os.environ.setdefault("MAIL_BACKEND", "log")  # no SMTP server: printed, on purpose
    os.environ["UPLOAD_DIR"] = str(folder / "uploads")
    os.environ.setdefault("SCHEDULER_ENABLED", "0")  # no reminder runs during the measures
    return create_app("production")


# ------------------------------------------------------------------ seed


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Bulk INSERT; the new ids in the order of `rows`."""
    if not rows:
        return []
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def seed_users(session: Session, password_hash: str, applications: int) -> dict[str, Any]:
    """The manager, the mentors, and one founder per startup (the first is FOUNDER)."""
    emails = [MANAGER]
    emails += [f"mentor{i}@bench.test" for i in range(MENTORS)]
    emails += [FOUNDER] + [f"f{n}@bench.test" for n in range(1, applications)]
    ids = _insert(
        session,
        User,
        [{"email": e, "name": e.split("@")[0], "password_hash": password_hash} for e in emails],
    )
    return {"manager": ids[0], "mentors": ids[1 : 1 + MENTORS], "founders": ids[1 + MENTORS :]}


def seed_role_grants(session: Session, users: dict[str, Any], center_id: int) -> None:
    rows = [{"user_id": users["manager"], "role": Role.MANAGER, "center_id": center_id}]
    rows += [{"user_id": u, "role": Role.MENTOR, "center_id": None} for u in users["mentors"]]
    rows += [{"user_id": u, "role": Role.FOUNDER, "center_id": None} for u in users["founders"]]
    session.execute(insert(RoleGrant), rows)


def seed_programs(session: Session, center_id: int) -> int:
    now = utcnow()
    row = {
        "center_id": center_id,
        "name_vi": "Bench",
        "name_en": "Bench",
        "kind": ProgramKind.INCUBATION,
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=30),
        "capacity": 100_000,
        "status": ProgramStatus.PUBLISHED,
    }
    program_id = _insert(session, Program, [row])[0]
    add_templates(session, session.get(Program, program_id), DEFAULT_FORM)  # the default form
    session.flush()
    return program_id


def seed_rubric_criteria(session: Session, program_id: int) -> list[int]:
    rows = [
        {
            "program_id": program_id,
            "position": p,
            "name_vi": f"C{p}",
            "weight": p + 1,
            "max_score": 10,
        }
        for p in range(CRITERIA)
    ]
    return _insert(session, RubricCriterion, rows)


def seed_startups(session: Session, applications: int) -> list[int]:
    sectors = list(Sector)
    rows = [
        {
            "name": f"Startup {n:05d}",
            "sector": sectors[n % len(sectors)],
            "description": "A bench startup.",
            "trl": 1 + n % 9,
            "team_size": 3,
        }
        for n in range(applications)
    ]
    return _insert(session, Startup, rows)


def seed_startup_members(session: Session, startups: list[int], founders: list[int]) -> None:
    rows = [{"startup_id": s, "user_id": f} for s, f in zip(startups, founders, strict=True)]
    session.execute(insert(StartupMember), rows)


def seed_applications(
    session: Session, startups: list[int], program_id: int, founders: list[int]
) -> list[int]:
    now = utcnow()
    rows = [
        {
            "startup_id": startup,
            "program_id": program_id,
            "stage": STAGE_MIX[n % 100],
            "submitted_at": now - timedelta(minutes=n),
            "created_by_id": founder,
        }
        for n, (startup, founder) in enumerate(zip(startups, founders, strict=True))
    ]
    return _insert(session, Application, rows)


ANSWER_TEXTS = {
    "problem": "Problem text.",
    "solution": "Solution text.",
    "market": "Market text.",
    "traction": "Traction text.",
    "team": "Team text.",
}


def seed_answers(session: Session, program_id: int, applications: list[int]) -> None:
    """The default form's six answers for every application."""
    found = session.execute(
        select(Question.key, Question.id).where(Question.program_id == program_id)
    )
    questions = dict(found.all())
    rows = [
        {"application_id": application, "question_id": questions[key], "value_text": text}
        for application in applications
        for key, text in ANSWER_TEXTS.items()
    ]
    rows += [
        {"application_id": a, "question_id": questions["funding_need_vnd"], "value_number": 5e8}
        for a in applications
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(Answer), rows[start : start + 5000])


def seed_stage_transitions(
    session: Session, applications: list[int], users: dict[str, Any]
) -> None:
    rows = []
    for n, application in enumerate(applications):
        path = _PATHS[STAGE_MIX[n % 100]]
        previous = None
        for stage in path:
            manager_move = previous not in (None, Stage.DRAFT) and stage is not Stage.WITHDRAWN
            rows.append(
                {
                    "application_id": application,
                    "from_stage": previous,
                    "to_stage": stage,
                    "actor_id": users["manager"] if manager_move else users["founders"][n],
                }
            )
            previous = stage
    session.execute(insert(StageTransition), rows)


def seed_reviews(
    session: Session, applications: list[int], users: dict[str, Any]
) -> list[tuple[int, int, int]]:
    """REVIEWS_PER_APPLICATION mentors per reviewed application, most of them scored.

    Returns (review id, application number, slot) of the submitted reviews.
    """
    now = utcnow()
    mentors = users["mentors"]
    rows, keys = [], []
    for n, application in enumerate(applications):
        if STAGE_MIX[n % 100] not in REVIEWED:
            continue
        for slot in range(REVIEWS_PER_APPLICATION):
            # one review in ten of each mentor's first slot is still to do
            pending = slot == 0 and (n // MENTORS) % 10 == 0
            rows.append(
                {
                    "application_id": application,
                    "reviewer_id": mentors[(n + slot) % MENTORS],
                    "assigned_by_id": users["manager"],
                    "conflict": Conflict.PENDING if pending else Conflict.NONE,
                    "declared_at": None if pending else now,
                    "submitted_at": None if pending else now,
                    "updated_at": None if pending else now,
                }
            )
            keys.append((n, slot, pending))
    ids = _insert(session, Review, rows)
    return [(i, n, slot) for i, (n, slot, pending) in zip(ids, keys, strict=True) if not pending]


def seed_review_scores(
    session: Session, reviews: list[tuple[int, int, int]], criteria: list[int]
) -> None:
    rows = [
        {
            "review_id": review,
            "criterion_id": criterion,
            "score": (n * 7 + position * 3 + slot * 5) % 11,
        }
        for review, n, slot in reviews
        for position, criterion in enumerate(criteria)
    ]
    for start in range(0, len(rows), 50_000):
        session.execute(insert(ReviewScore), rows[start : start + 50_000])


def recompute_scores(session: Session, program_id: int) -> None:
    """Fill the stored review summary of the program's applications and its stage counts after
    seeding, as the app keeps them when reviews are saved and applications move one by one."""
    from incubator.applications.ranking import recount_stages
    from incubator.reviews.scoring import refresh_program_scores

    refresh_program_scores(program_id)
    recount_stages(program_id)


def seed(app: Flask, applications: int) -> dict[str, Any]:
    """One BIIC program with `applications` applications spread over the stages, reviewed.

    Returns the ids the key pages need ("program", "application").
    """
    with app.app_context():
        session = db.session
        center_id = session.scalar(select(Center.id).where(Center.code == "BIIC"))
        users = seed_users(session, hash_password(PASSWORD), applications)
        seed_role_grants(session, users, center_id)
        program_id = seed_programs(session, center_id)
        criteria = seed_rubric_criteria(session, program_id)
        startups = seed_startups(session, applications)
        seed_startup_members(session, startups, users["founders"])
        application_ids = seed_applications(session, startups, program_id, users["founders"])
        seed_answers(session, program_id, application_ids)
        seed_stage_transitions(session, application_ids, users)
        reviews = seed_reviews(session, application_ids, users)
        seed_review_scores(session, reviews, criteria)
        recompute_scores(session, program_id)
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            # what autovacuum does within a minute of a bulk load on a live server
            with db.engine(app).connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        return {"program": program_id, "application": application_ids[0]}


# ----------------------------------------------------------------- pages


def key_pages(ids: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Page name: (email of the user who opens it, path)."""
    program = ids["program"]
    return {
        "board": (MANAGER, f"/manage/programs/{program}/board"),
        "applications + ranking": (MANAGER, f"/manage/programs/{program}/applications"),
        "ranking + answer columns": (
            MANAGER,
            f"/manage/programs/{program}/applications?cols=problem&cols=funding_need_vnd",
        ),
        "manager's application": (MANAGER, f"/manage/applications/{ids['application']}"),
        "manager home": (MANAGER, "/"),
        "founder home": (FOUNDER, "/"),
        "mentor home": (MENTOR, "/"),
        "open calls": (FOUNDER, "/calls"),
        "review queue": (MENTOR, "/reviews"),
    }


CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    found = CSRF_INPUT.search(html)
    if found is None:
        raise RuntimeError("no csrf_token in the login form")
    return found.group(1)


def logged_in_client(app: Flask, email: str) -> Any:
    """A test client logged in through the form, as a browser would (CSRF token included)."""
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"csrf_token": token, "email": email, "password": PASSWORD, "next": ""}
    )
    if response.status_code != 302:
        raise RuntimeError(f"login of {email} answered {response.status_code}")
    return client


def measure(
    app: Flask, client: Any, path: str, repeat: int, clock: Any = time.perf_counter
) -> tuple[int, float, int, float]:
    """(queries of the first request, median seconds of `repeat` later ones that build the
    page, status, median seconds of the same page served from the page cache).

    Each timed build starts with the page cache emptied: the figure is the page's own cost,
    which a request pays whenever a table the page read has changed.

    `clock` time.process_time counts this process's CPU only: steadier than the wall clock
    on a busy machine (on SQLite the database work is in this process too)."""
    counter = {"n": 0}

    def count(*_args: Any) -> None:
        counter["n"] += 1

    engine = db.engine(app)
    event.listen(engine, "before_cursor_execute", count)
    try:
        status = client.get(path).status_code
    finally:
        event.remove(engine, "before_cursor_execute", count)
    cache = app.extensions.get("page_cache")
    built, kept = [], []
    for _ in range(repeat):
        if cache is not None:
            cache.clear()
        started = clock()
        response = client.get(path)
        built.append(clock() - started)
        started = clock()
        client.get(path)
        kept.append(clock() - started)
        if response.status_code != 200:
            status = response.status_code
    return counter["n"], statistics.median(built), status, statistics.median(kept)


def profile(app: Flask, client: Any, path: str, top: int = 18) -> str:
    """One warm request that builds the page: its SQL statements by time, then cProfile's top
    entries."""
    client.get(path)
    if "page_cache" in app.extensions:
        app.extensions["page_cache"].clear()
    timings: list[tuple[float, str]] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        timings.append((time.perf_counter(), statement))

    def after(*_args: Any) -> None:
        started, statement = timings[-1]
        timings[-1] = (time.perf_counter() - started, statement)

    engine = db.engine(app)
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        client.get(path)
        profiler.disable()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    out = io.StringIO()
    total = sum(t for t, _s in timings)
    out.write(f"{len(timings)} statements, {total * 1000:.1f} ms in the database; slowest:\n")
    for seconds, statement in sorted(timings, key=lambda t: t[0], reverse=True)[:4]:
        flat = " ".join(statement.split())
        out.write(f"  {seconds * 1000:9.1f} ms  {flat[:400]}{'…' if len(flat) > 400 else ''}\n")
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top * 2)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# ------------------------------------------------------------------ main


def _cell(row: tuple[int, float, int, float]) -> str:
    queries, seconds, status, _cached = row
    if status != 200:
        return f"{'HTTP ' + str(status):>15}"
    return f"{queries:>5} {seconds * 1000:>8.1f} ms"


def print_table(sizes: list[int], results: dict[str, list[tuple[int, float, int, float]]]) -> None:
    ratio_label = f"{sizes[-1]}/{sizes[-2]}" if len(sizes) > 1 else "ratio"
    header = (
        f"{'page':24}"
        + "".join(f"{f'{s:,}: queries, time':>22}" for s in sizes)
        + f"{ratio_label:>12}  bounded  target  {'cached':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, rows in results.items():
        cells = "".join(f"{_cell(r):>22}" for r in rows)
        ok_status = all(code == 200 for _q, _t, code, _k in rows)
        bounded = "yes" if len({q for q, _t, _c, _k in rows}) == 1 else "NO"
        last = rows[-1][1] * 1000
        cached = f"{rows[-1][3] * 1000:>6.1f} ms"
        if len(rows) > 1 and ok_status:
            ratio = rows[-1][1] / rows[-2][1]
            met = ratio <= TARGET_RATIO and last < TARGET_MS
            verdict = "met" if met else "MISSED"
            print(f"{name:24}{cells}{ratio:>12.2f}  {bounded:7}  {verdict:6}  {cached}")
        else:
            met = ok_status and last < TARGET_MS
            verdict = "met" if met else "MISSED"
            print(f"{name:24}{cells}{'-':>12}  {bounded:7}  {verdict:6}  {cached}")
    print(
        f"target: < {TARGET_MS:.0f} ms at {sizes[-1]:,} and time ratio <= {TARGET_RATIO:g}"
        + (f" ({ratio_label})" if len(sizes) > 1 else "")
        + f"; times build the page; 'cached': the same page from the page cache at {sizes[-1]:,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000,10000", help="numbers of applications")
    parser.add_argument(
        "--database-url", default=None, help="an EMPTY database (default: a temp SQLite file)"
    )
    parser.add_argument("--repeat", type=int, default=7, help="timed requests per page")
    parser.add_argument(
        "--cpu", action="store_true", help="time the process's CPU, not the wall clock"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="at the largest size, cProfile one request of the board and of the ranking",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    clock = time.process_time if args.cpu else time.perf_counter
    results: dict[str, list[tuple[int, float, int, float]]] = {}
    profiles: dict[str, str] = {}
    notes = []
    for size in sizes:
        folder = Path(tempfile.mkdtemp(prefix="incubator-bench-"))
        url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
        app = production_app(url, folder)
        try:
            migrate.upgrade(app)
            started = time.perf_counter()
            ids = seed(app, size)
            notes.append(f"{size:,} applications seeded in {time.perf_counter() - started:.1f} s")
            pages = key_pages(ids)
            clients = {email: logged_in_client(app, email) for email, _path in pages.values()}
            for name, (email, path) in pages.items():
                results.setdefault(name, []).append(
                    measure(app, clients[email], path, args.repeat, clock)
                )
            if args.profile and size == sizes[-1]:
                for name in ("board", "applications + ranking"):
                    email, path = pages[name]
                    profiles[name] = profile(app, clients[email], path)
        finally:
            if args.database_url:
                db.engine(app).dispose()
                migrate.downgrade(app, "base")
            db.engine(app).dispose()
            shutil.rmtree(folder, ignore_errors=True)
    dialect = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"\n{dialect}, config 'production', in-process test client; "
        f"median of {args.repeat} warm requests ({'CPU' if args.cpu else 'wall'} time);"
        " queries counted on the first request"
    )
    for note in notes:
        print("  " + note)
    print()
    print_table(sizes, results)
    for name, text_ in profiles.items():
        print(f"\n===== cProfile, one request of {name!r} at {sizes[-1]:,} applications =====")
        print(text_)


if __name__ == "__main__":
    main()
