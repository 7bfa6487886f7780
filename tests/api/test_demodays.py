"""/api/v1/demo-days/{id}/results: published results only; every pitch for the center's
managers and the admins, a founder's own pitch for its members, 404 for anyone else."""

from __future__ import annotations

from typing import Any

from flask import Flask

from incubator.accounts.models import Role, User
from incubator.demodays import access, planning
from tests.api.fixtures import error_code
from tests.conftest import app_session
from tests.demodays.fixtures import Planned, score


def _publish(app: Flask, planned: Planned) -> None:
    with app_session(app) as session:
        demo_day = access.managed_demo_day(
            session.get(User, planned.manager.id), planned.demo_day_id
        )
        planning.change_status(
            session.get(User, planned.manager.id), demo_day, planning.Change.PUBLISH
        )
        session.commit()


def test_published_results_by_who_may_see_them(
    app: Flask, make_demo_day: Any, api: Any, manager_of: Any, make_user: Any
) -> None:
    planned = make_demo_day(
        pitches=2, judges=1, status="judging", names=["Nông Sản Việt", "Ví Xanh"]
    )
    judge = planned.judges[0]
    for slot, value in zip(planned.slot_ids, (5, 8), strict=True):
        for criterion in planned.criterion_ids:
            score(app, planned, judge, slot, criterion, value)
    url = f"/api/v1/demo-days/{planned.demo_day_id}/results"
    manager = api(planned.manager, read_only=True)
    unpublished = manager.get(url)
    assert unpublished.status_code == 404
    assert error_code(unpublished) == "not_found"

    _publish(app, planned)
    results = manager.get(url).get_json()
    assert [p["startup_name"] for p in results["pitches"]] == ["Ví Xanh", "Nông Sản Việt"]
    assert [p["rank"] for p in results["pitches"]] == [1, 2]
    assert results["pitches"][0]["raw_mean"] == 80
    assert [c["mean"] for c in results["pitches"][0]["criteria"]] == [8, 8]
    assert results["judges"] == 1 and results["published_at"].endswith("+07:00")
    assert api(make_user(Role.ADMIN)).get(url).get_json() == results

    # a founder: their own pitch alone, with its rank among all
    own = api(planned.founders[0]).get(url).get_json()
    assert [(p["startup_name"], p["rank"]) for p in own["pitches"]] == [("Nông Sản Việt", 2)]
    for who in (manager_of("SMIC"), make_user(Role.FOUNDER), judge):
        assert api(who).get(url).status_code == 404
    assert api(None).get(url).status_code == 401
    assert manager.get("/api/v1/demo-days/999999/results").status_code == 404
