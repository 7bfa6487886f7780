"""Migration 0017 (Fablab center scope) on data made before it: a category certificate goes to
the center of the manager who granted it, or to every center when no manager granted it; a
startup's no-shows go to each center where it missed a booking. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from incubator import create_app, migrate
from incubator.db import db
from tests.test_migrations import empty_database  # noqa: F401 (the fixture)

AT = "2026-01-02 03:04:05"


def _ids(connection: Any, sql: str, **params: Any) -> list[Any]:
    return [tuple(row) for row in connection.execute(text(sql), params)]


def test_certificates_and_no_shows_find_their_center(empty_database: str) -> None:  # noqa: F811
    app = create_app("testing", DATABASE_URL=empty_database)
    try:
        migrate.upgrade(app, "0016")
        with db.engine(app).begin() as c:
            centers = dict(_ids(c, "SELECT code, id FROM centers"))
            biic, smic = centers["BIIC"], centers["SMIC"]
            for n, email in enumerate(("manager@x.test", "admin@x.test", "founder@x.test")):
                c.execute(
                    text(
                        "INSERT INTO users (id, email, name, locale, active, created_at)"
                        " VALUES (:id, :email, 'U', 'vi', :yes, :at)"
                    ),
                    {"id": 100 + n, "email": email, "yes": True, "at": AT},
                )
            c.execute(
                text(
                    "INSERT INTO role_grants (user_id, role, center_id, granted_at)"
                    " VALUES (100, 'manager', :smic, :at), (101, 'admin', NULL, :at)"
                ),
                {"smic": smic, "at": AT},
            )
            c.execute(
                text(
                    "INSERT INTO fablab_certificates (user_id, category, granted_by_id,"
                    " granted_at) VALUES (102, 'cnc', 100, :at), (102, 'laser_cutter', 101, :at)"
                ),
                {"at": AT},
            )
            c.execute(
                text(
                    "INSERT INTO startups (id, name, sector, description, website, trl,"
                    " team_size, created_at, updated_at) VALUES"
                    " (7, 'S', 'other', '', '', 3, 2, :at, :at)"
                ),
                {"at": AT},
            )
            c.execute(
                text(
                    "INSERT INTO fablab_labs (id, center_id, name, location, description,"
                    " horizon_days, cancel_notice_hours, weekly_quota_hours, no_show_limit,"
                    " created_at) VALUES (1, :biic, 'Lab', '', '', 30, 2, 10, 3, :at)"
                ),
                {"biic": biic, "at": AT},
            )
            c.execute(
                text(
                    "INSERT INTO fablab_machines (id, lab_id, name, category, description,"
                    " training_required, slot_minutes, min_minutes, max_minutes, status,"
                    " status_reason, created_at) VALUES"
                    " (1, 1, 'M', 'cnc', '', :no, 30, 30, 240, 'active', '', :at)"
                ),
                {"no": False, "at": AT},
            )
            c.execute(
                text(
                    "INSERT INTO fablab_bookings (machine_id, lab_id, category, startup_id,"
                    " user_id, purpose, starts_at, ends_at, status, created_at, cancel_reason)"
                    " VALUES (1, 1, 'cnc', 7, 102, '', :at, :at2, 'no_show', :at, '')"
                ),
                {"at": AT, "at2": "2026-01-02 04:04:05"},
            )
            c.execute(text("INSERT INTO fablab_startups (startup_id, no_shows) VALUES (7, 2)"))
        migrate.upgrade(app)
        with db.engine(app).connect() as c:
            certificates = _ids(
                c,
                "SELECT category, center_id FROM fablab_certificates ORDER BY category, center_id",
            )
            assert certificates == [
                ("cnc", smic),  # the SMIC manager's grant: SMIC
                *sorted(("laser_cutter", center) for center in centers.values()),  # the admin's
            ]
            assert _ids(c, "SELECT startup_id, center_id, no_shows FROM fablab_startups") == [
                (7, biic, 2)
            ]
        migrate.downgrade(app, "0016")
        with db.engine(app).connect() as c:
            assert _ids(c, "SELECT startup_id, no_shows FROM fablab_startups") == [(7, 2)]
            assert len(_ids(c, "SELECT id FROM fablab_certificates")) == 2
    finally:
        db.engine(app).dispose()
