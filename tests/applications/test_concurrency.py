"""Two managers at the same moment: the database, not luck, keeps the rules."""

from __future__ import annotations

import threading
from typing import Any

from incubator.accounts.models import User
from incubator.applications.models import Application
from incubator.applications.moves import move
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.errors import DomainError


def run_together(app: Any, moves: list[tuple[int, int, Stage, str]]) -> list[str]:
    """Each (actor id, application id, target, reason) in its own thread and transaction."""
    barrier = threading.Barrier(len(moves), timeout=30)
    results: list[str] = []
    failures: list[BaseException] = []

    def attempt(actor_id: int, application_id: int, target: Stage, reason: str) -> None:
        try:
            with app.app_context():
                barrier.wait()
                try:
                    with db.transaction():
                        actor = db.session.get(User, actor_id)
                        application = db.session.get(Application, application_id)
                        move(actor, application, target, reason)
                    results.append("moved")
                except DomainError as error:
                    results.append(error.message)
        except BaseException as error:  # reported below, never lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=attempt, args=move) for move in moves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    return results


def test_the_last_place_is_taken_once(
    app: Any, english: None, make_program: Any, make_application: Any, manager_of: Any
) -> None:
    program = make_program(capacity=1)
    first = make_application(Stage.SCREENING, program=program)
    second = make_application(Stage.SCREENING, program=program)
    manager = manager_of("BIIC")
    results = run_together(
        app,
        [(manager.id, first.id, Stage.ACCEPTED, ""), (manager.id, second.id, Stage.ACCEPTED, "")],
    )
    assert sorted(results, key=len) == [
        "moved",
        results[1] if results[0] == "moved" else results[0],
    ]
    assert sum("full" in r for r in results) == 1
    with app.app_context():
        from sqlalchemy import func, select

        accepted = db.session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.program_id == program.id, Application.stage == Stage.ACCEPTED)
        )
    assert accepted == 1


def test_one_card_moved_by_two_managers_moves_once(
    app: Any, english: None, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    from incubator.accounts.models import Role

    application = make_application(Stage.SCREENING)
    first, second = manager_of("BIIC"), make_user(Role.MANAGER, center="BIIC")
    results = run_together(
        app,
        [
            (first.id, application.id, Stage.ACCEPTED, ""),
            (second.id, application.id, Stage.REJECTED, "Không phù hợp"),
        ],
    )
    assert results.count("moved") == 1
    with app.app_context():
        stored = db.session.get(Application, application.id)
        assert len(stored.transitions) == 4  # created, submitted, screening, one decision
        assert stored.stage in (Stage.ACCEPTED, Stage.REJECTED)
