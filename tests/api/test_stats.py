"""/api/v1/stats: open data read from the stored monthly figures, public when the center
publishes it, with an ETag and as CSV; no personal data."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from incubator.api import stats
from incubator.api.models import OpenDataMonth
from incubator.db import db, utcnow
from incubator.i18n import LOCAL_TZ
from tests.api.fixtures import error_code
from tests.conftest import app_session


def _refresh(app: Flask) -> None:
    with app.app_context():
        stats.refresh_open_data()


def test_figures_come_from_the_stored_months(
    app: Flask, make_application: Any, manager_of: Any, api: Any, login: Any
) -> None:
    make_application("submitted")
    make_application("incubating")
    make_application("submitted")
    _refresh(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OpenDataMonth)) == 4
    client = api(manager_of("BIIC"))
    response = client.get("/api/v1/stats?center=BIIC")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["startups_per_stage"] == {"submitted": 2, "incubating": 1}
    assert sum(p["applications"] for p in body["applications_per_program"]) == 3
    assert body["startups_per_sector"] == {"agritech": 3}
    assert "@" not in response.get_data(as_text=True)  # no emails, no names of people
    tag = response.headers["ETag"]
    assert (
        client.get("/api/v1/stats?center=BIIC", headers={"If-None-Match": tag}).status_code == 304
    )
    csv = client.get("/api/v1/stats.csv?center=BIIC")
    assert csv.mimetype == "text/csv"
    assert "startups_per_stage,incubating,1" in csv.get_data(as_text=True)


def test_private_until_the_center_publishes(
    app: Flask, manager_of: Any, api: Any, login: Any
) -> None:
    _refresh(app)
    anonymous = app.test_client()
    response = anonymous.get("/api/v1/stats?center=BIIC")
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert api(manager_of("SMIC")).get("/api/v1/stats?center=BIIC").status_code == 404
    page = login(manager_of("BIIC"))
    assert page.post("/webhooks/open-data", data={"public": "1"}).status_code == 302
    public = anonymous.get("/api/v1/stats?center=BIIC")
    assert public.status_code == 200
    assert public.headers["Cache-Control"].startswith("public")
    assert anonymous.get("/api/v1/stats?center=SMIC").status_code == 404
    assert anonymous.get("/api/v1/stats?center=NOPE").status_code == 404


def test_a_period_adds_up_its_months(app: Flask, manager_of: Any, api: Any) -> None:
    today = utcnow().astimezone(LOCAL_TZ).date()
    with app_session(app) as session:
        center_id = manager_of("BIIC").managed_center_id
        for month, sessions in ((date_of(today, 0), 3), (date_of(today, 1), 4)):
            session.add(
                OpenDataMonth(
                    center_id=center_id,
                    month=month,
                    figures={"mentoring_sessions": sessions, "mentoring_minutes": 90, "jobs": 7},
                )
            )
        session.commit()
    client = api(manager_of("BIIC"))
    both = client.get(f"/api/v1/stats?center=BIIC&from={date_of(today, 1)}&to={today}").get_json()
    assert both["mentoring_sessions"] == 7 and both["mentoring_hours"] == 3.0
    assert both["jobs"] == 7
    backwards = client.get(f"/api/v1/stats?center=BIIC&from={today}&to={date_of(today, 1)}")
    assert backwards.status_code == 422


def date_of(today: date, months_back: int) -> date:
    month = today.replace(day=1)
    for _ in range(months_back):
        month = (month - timedelta(days=1)).replace(day=1)
    return month
