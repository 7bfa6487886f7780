"""Calendar feed tokens are stored hashed, like API tokens (issue 29): the address is shown once,
when made; the database holds only its SHA-256; addresses given out before keep working."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from incubator import create_app, migrate
from incubator.db import db
from incubator.mentoring.models import CalendarToken
from tests.test_migrations import empty_database  # noqa: F401 (a fixture)


def _address(response: Any) -> str:
    page = response.get_data(as_text=True)
    url = page.split('id="feed-url"')[0].rsplit('value="', 1)[1].split('"')[0]
    return url.split("localhost", 1)[1]


def test_the_address_is_shown_once_and_only_its_hash_is_stored(
    app: Any, make_user: Any, login: Any
) -> None:
    client = login(make_user())
    made = client.post("/mentoring/calendar/new")
    assert made.status_code == 200
    path = _address(made)
    secret = path.rsplit("/", 1)[1].removesuffix(".ics")
    assert app.test_client().get(path).status_code == 200
    account = client.get("/account").get_data(as_text=True)
    assert secret not in account and 'id="feed-url"' not in account
    assert "/mentoring/calendar/new" in account  # "regenerate to see a new link"
    with app.app_context():
        stored = db.session.scalars(select(CalendarToken)).one()
        columns = [getattr(stored, c.key) for c in CalendarToken.__table__.columns]
        assert not any(secret in str(value) for value in columns)
        assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()


def test_addresses_given_out_before_the_migration_keep_working(
    empty_database: str,  # noqa: F811 (the fixture)
) -> None:
    app = create_app("testing", DATABASE_URL=empty_database)
    engine = db.engine(app)
    try:
        script = ScriptDirectory.from_config(migrate.alembic_config(app))
        ours = next(
            s for s in script.walk_revisions() if s.path.endswith("_hashed_calendar_tokens.py")
        )
        migrate.upgrade(app, ours.down_revision)
        raw = secrets.token_urlsafe(32)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (email, name, locale, active, created_at) "
                    "VALUES ('feed@example.test', 'Người dùng', 'vi', :yes, CURRENT_TIMESTAMP)"
                ),
                {"yes": True},
            )
            user_id = connection.scalar(text("SELECT id FROM users"))
            connection.execute(
                text(
                    "INSERT INTO calendar_tokens (user_id, token, created_at) "
                    "VALUES (:user, :token, CURRENT_TIMESTAMP)"
                ),
                {"user": user_id, "token": raw},
            )
        migrate.upgrade(app)
        with engine.connect() as connection:
            names = {c["name"] for c in inspect(connection).get_columns("calendar_tokens")}
            assert "token" not in names
            (stored,) = connection.execute(text("SELECT token_hash FROM calendar_tokens")).one()
        assert stored != raw and raw not in stored
        feed = app.test_client().get(f"/mentoring/calendar/{raw}.ics")
        assert feed.status_code == 200 and feed.mimetype == "text/calendar"
        assert app.test_client().get(f"/mentoring/calendar/{stored}.ics").status_code == 404
    finally:
        engine.dispose()
