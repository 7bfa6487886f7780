"""Twenty managers assign the same mentor at the same moment: capacity holds."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from incubator.accounts.models import User
from incubator.db import db
from incubator.errors import DomainError
from incubator.mentoring import assignments
from incubator.mentoring.models import Assignment, MentoredStartup, MentorProfile

ATTEMPTS = 20


def test_capacity_holds_under_twenty_simultaneous_assignments(
    app: Any, english: None, make_mentored: Any, make_mentor: Any, manager_of: Any
) -> None:
    mentor = make_mentor(capacity=1)
    manager = manager_of("BIIC")
    startups = [make_mentored().startup_id for _ in range(ATTEMPTS)]
    barrier = threading.Barrier(ATTEMPTS, timeout=60)
    results: list[str] = []
    failures: list[BaseException] = []

    def attempt(startup_id: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                try:
                    with db.transaction():
                        assignments.assign(
                            db.session.get(User, manager.id),
                            db.session.get(MentoredStartup, startup_id),
                            db.session.get(User, mentor.id),
                        )
                    results.append("assigned")
                except DomainError as error:
                    results.append(error.message)
        except BaseException as error:  # reported below, never lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=attempt, args=(s,)) for s in startups]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert results.count("assigned") == 1
    assert sum("full" in r for r in results) == ATTEMPTS - 1
    with app.app_context():
        active = db.session.scalar(
            select(func.count()).select_from(Assignment).where(Assignment.active.is_(True))
        )
        assert active == 1
        assert db.session.get(MentorProfile, mentor.id).active_assignments == 1
