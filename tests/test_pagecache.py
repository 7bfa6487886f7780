"""The whole-page cache of the key pages (incubator/pagecache.py): a page read again costs no
query of its own until a table it read is written; never another user's, session's or
language's page; never a flashed message twice; versions shared between processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select, text, update

from incubator import create_app, pagecache
from incubator.accounts.models import Role, User
from incubator.applications.stages import Stage
from incubator.db import Base, db
from incubator.fablab.models import Lab
from incubator.pagecache import Entry, FileVersions, RedisVersions, VersionedCache


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL the app runs while the test runs."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine(app), "before_cursor_execute", note)
    yield seen
    event.remove(db.engine(app), "before_cursor_execute", note)


def page_queries(seen: list[str]) -> list[str]:
    """What a request ran besides BEGIN and loading the browser's session and user."""
    return [s for s in seen if s.strip() != "BEGIN" and "FROM user_sessions" not in s]


@pytest.fixture
def ranking(app: Flask, make_program: Any, make_application: Any, manager_of: Any, login: Any):
    program = make_program()
    make_application(Stage.SUBMITTED, program=program)
    client = login(manager_of("BIIC"))
    return client, f"/manage/programs/{program.id}/applications", program


def test_a_page_read_again_runs_no_query_of_its_own(ranking: Any, statements: list[str]) -> None:
    client, path, _program = ranking
    first = client.get(path)
    assert first.status_code == 200
    assert page_queries(statements), "the first request builds the page"
    statements.clear()
    again = client.get(path)
    assert again.status_code == 200
    assert again.get_data() == first.get_data()
    assert page_queries(statements) == []


def test_a_write_to_a_table_the_page_read_shows_at_once(
    ranking: Any, make_application: Any, app: Flask, statements: list[str]
) -> None:
    client, path, program = ranking
    assert client.get(path).get_data(as_text=True).count("/manage/applications/") == 1
    added = make_application(Stage.SUBMITTED, program=program)
    page = client.get(path).get_data(as_text=True)
    assert f"/manage/applications/{added.id}" in page
    client.get(path)
    statements.clear()
    with app.app_context(), db.transaction() as session:  # a Core statement counts too
        session.execute(update(User).where(User.id == added.created_by_id).values(name="Mới"))
    client.get(path)
    assert page_queries(statements), "users changed: the page was built again"


def test_a_write_elsewhere_keeps_the_page(ranking: Any, app: Flask, statements: list[str]) -> None:
    client, path, _program = ranking
    client.get(path)
    with app.app_context(), db.transaction() as session:
        center = session.scalar(text("SELECT id FROM centers WHERE code = 'BIIC'"))
        session.add(Lab(center_id=center, name=f"Xưởng {uuid.uuid4().hex[:6]}"))
    statements.clear()
    assert client.get(path).status_code == 200
    assert page_queries(statements) == []


def test_a_rolled_back_write_changes_no_version(app: Flask) -> None:
    cache: VersionedCache = app.extensions["page_cache"]
    before = cache.versions.read(["users"])
    with app.app_context():
        db.session.execute(update(User).values(name="không lưu"))
        db.session.rollback()
    assert cache.versions.read(["users"]) == before


def test_versions_move_only_after_the_commit(app: Flask, make_user: Any) -> None:
    """A page built while a transaction is open must not be stored under the versions that
    follow its commit: the counters move once the connection is back in the pool."""
    user = make_user()
    cache: VersionedCache = app.extensions["page_cache"]
    before = cache.versions.read(["users"])
    with db.engine(app).begin() as connection:
        connection.execute(update(User).where(User.id == user.id).values(name="Đang ghi"))
        assert cache.versions.read(["users"]) == before
    assert cache.versions.read(["users"]) != before


def test_pages_are_kept_per_user_session_and_language(
    app: Flask, make_program: Any, make_user: Any, login: Any
) -> None:
    program = make_program()
    first = make_user(Role.MANAGER, center="BIIC", name="Quản Lý Một")
    second = make_user(Role.MANAGER, center="BIIC", name="Quản Lý Hai")
    path = f"/manage/programs/{program.id}/board"
    one, two = login(first), login(second)
    assert "Quản Lý Một" in one.get(path).get_data(as_text=True)
    assert "Quản Lý Hai" in two.get(path).get_data(as_text=True)
    assert "Quản Lý Một" in one.get(path).get_data(as_text=True)

    other_browser = login(first)
    app.config["WTF_CSRF_ENABLED"] = True  # the pages' forms carry their session's token
    token = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
    mine = token.findall(one.get(path).get_data(as_text=True))
    theirs = token.findall(other_browser.get(path).get_data(as_text=True))
    assert mine and theirs and set(mine).isdisjoint(theirs), "each session its own form tokens"

    app.config["WTF_CSRF_ENABLED"] = False
    vietnamese = one.get(path).get_data(as_text=True)
    one.post("/language", data={"lang": "en", "next": "/"})
    english = one.get(path).get_data(as_text=True)
    assert english != vietnamese
    assert 'lang="en"' in english


def test_a_flashed_message_is_shown_once(app: Flask, make_user: Any, login: Any) -> None:
    client = login(make_user(Role.FOUNDER))
    client.get("/")  # kept, without a message
    with client.session_transaction() as browser:
        browser["_flashes"] = [("success", "Một lần thôi")]
    assert "Một lần thôi" in client.get("/").get_data(as_text=True)
    assert "Một lần thôi" not in client.get("/").get_data(as_text=True)


def test_only_html_pages_are_kept(ranking: Any, statements: list[str]) -> None:
    client, path, _program = ranking
    for _ in range(2):
        statements.clear()
        response = client.get(path + "?format=csv")
        assert response.mimetype == "text/csv"
        assert page_queries(statements), "a CSV is built each time"


def test_a_page_expires_after_the_configured_seconds(
    ranking: Any, app: Flask, statements: list[str]
) -> None:
    client, path, _program = ranking
    app.extensions["page_cache"].seconds = 0.05
    client.get(path)
    time.sleep(0.1)
    statements.clear()
    client.get(path)
    assert page_queries(statements)


def test_the_cache_keeps_within_its_budget(tmp_path: Path) -> None:
    cache = VersionedCache(FileVersions(tmp_path / "versions"), seconds=60, max_bytes=8_000)
    for number in range(20):
        page = (b"x" * 900, "text/html")
        cache.put((number,), Entry(page, 900, ("users",), (0,), time.monotonic()))
    assert 0 < len(cache) <= 8
    assert cache.get((19,)) is not None, "the newest stays"
    assert cache.get((0,)) is None, "the oldest went first"


def test_file_versions_are_shared_by_the_processes_of_a_machine(tmp_path: Path) -> None:
    path = tmp_path / "versions"
    here = FileVersions(path)
    before = here.read(["applications", "reviews"])
    script = (
        "import sys; from pathlib import Path; from incubator.pagecache import FileVersions; "
        "FileVersions(Path(sys.argv[1])).bump(['applications'])"
    )
    subprocess.run(  # noqa: S603 (our interpreter, our code)
        [sys.executable, "-c", script, str(path)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    after = here.read(["applications", "reviews"])
    assert after[0] == before[0] + 1
    assert after[1] == before[1]


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL")
def test_redis_versions_start_over_with_a_new_epoch() -> None:
    versions = RedisVersions(os.environ["TEST_REDIS_URL"], f"test:pagecache:{uuid.uuid4().hex}")
    assert versions.snapshot()("users") is None, "nothing to compare with yet"
    versions.bump(["users"])
    stored = versions.snapshot()("users")
    assert versions.read(["users"]) == (stored,)
    versions.bump(["reviews"])
    assert versions.read(["users"]) == (stored,)
    versions.bump(["users"])
    assert versions.read(["users"]) != (stored,)
    versions._redis.delete(versions._key)  # Redis restarted empty
    for _ in range(2):
        versions.bump(["users"])
    assert versions.read(["users"]) != (stored,), "same count, another epoch"
    versions._redis.delete(versions._key)


def test_foreign_key_actions_count_as_writes() -> None:
    cascades = pagecache._cascades(Base.metadata)
    deleted_with_programs = {
        key.parent.table.name
        for table in Base.metadata.tables.values()
        for key in table.foreign_keys
        if key.column.table.name == "programs" and key.ondelete
    }
    assert deleted_with_programs, "some table follows programs by a foreign-key action"
    assert deleted_with_programs <= cascades["programs"]
    assert cascades["users"] >= {"users"}


def test_switched_off_with_zero_seconds(database_url: str, tmp_path: Path) -> None:
    app = create_app("testing", DATABASE_URL=database_url, PAGE_CACHE_SECONDS=0)
    try:
        assert "page_cache" not in app.extensions
    finally:
        db.engine(app).dispose()


def test_every_key_page_is_cached() -> None:
    """The pages bench/load.py measures are the ones that keep their HTML."""
    from incubator.applications import views as applications
    from incubator.programs import views as programs
    from incubator.reviews import views as reviews
    from incubator.site import views as site

    for view in (
        applications.board,
        applications.program_applications,
        applications.manage,
        site.home,
        programs.calls,
        reviews.queue,
    ):
        assert view.__code__ is pagecache.cached_page(lambda: None).__code__, view.__name__
        assert getattr(view, "access", None) is not None, "the access rule survives"


def test_no_bump_is_lost_between_threads(tmp_path: Path) -> None:
    versions = FileVersions(tmp_path / "versions")
    (before,) = versions.read(["reviews"])

    def bump_many() -> None:
        for _ in range(5000):
            versions.bump(["reviews"])

    threads = [threading.Thread(target=bump_many) for _ in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns between any two bytecodes
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert versions.read(["reviews"]) == (before + 40_000,)


# ------------------------------------------------------------------ logins


def login_lookups(seen: list[str]) -> list[str]:
    """security._load_user's query (the account page lists the sessions with another)."""
    return [s for s in seen if "FROM user_sessions JOIN users" in s]


def test_a_browser_is_looked_up_on_every_request(
    app: Flask, make_user: Any, login: Any, statements: list[str]
) -> None:
    """No login is kept between requests (tests/test_revocation.py: changes made in SQL)."""
    client = login(make_user(Role.FOUNDER))
    for _ in range(2):
        statements.clear()
        assert client.get("/account").status_code == 200
        assert len(login_lookups(statements)) == 1


@pytest.mark.parametrize("change", ["deactivate", "revoke_session", "remove_role"])
def test_a_kept_login_ends_the_moment_its_user_session_or_role_changes(
    app: Flask, make_user: Any, login: Any, change: str
) -> None:
    from incubator.accounts.models import RoleGrant, UserSession

    user = make_user(Role.MENTOR)
    client = login(user)
    assert client.get("/reviews").status_code == 200
    assert client.get("/reviews").status_code == 200  # from the page cache
    with app.app_context(), db.transaction() as session:
        if change == "deactivate":
            session.get(User, user.id).active = False
        elif change == "revoke_session":
            for row in session.query(UserSession).filter_by(user_id=user.id):
                row.revoked_at = datetime.now(UTC)
        else:
            session.execute(RoleGrant.__table__.delete().where(RoleGrant.user_id == user.id))
    response = client.get("/reviews")
    if change == "remove_role":
        assert response.status_code == 403
    else:
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_the_last_request_is_still_noted_and_moves_no_version(
    app: Flask, make_user: Any, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incubator import security
    from incubator.accounts.models import UserSession

    user = make_user(Role.FOUNDER)
    client = login(user)
    client.get("/")
    later = datetime.now(UTC) + timedelta(minutes=5)
    monkeypatch.setattr(security, "utcnow", lambda: later)
    cache: VersionedCache = app.extensions["page_cache"]
    before = cache.versions.read(["user_sessions"])
    assert client.get("/").status_code == 200
    with app.app_context():
        seen = db.session.scalars(select(UserSession.last_seen_at).filter_by(user_id=user.id))
        assert max(seen) == later
    assert cache.versions.read(["user_sessions"]) == before


def test_every_table_a_page_reads_counts_even_without_a_join(app: Flask, make_program: Any) -> None:
    """`FROM programs, centers` (a condition instead of a join): both are read."""
    from incubator.centers.models import Center
    from incubator.programs.models import Program

    make_program()
    read: set[str] = set()
    token = pagecache._reading.set(read)
    try:
        with app.app_context():
            db.session.execute(select(Program.id).where(Program.center_id == Center.id)).all()
    finally:
        pagecache._reading.reset(token)
    assert {"programs", "centers"} <= read


def test_a_failing_versions_store_means_no_cache_and_no_lost_connection(
    ranking: Any, app: Flask, make_application: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, path, program = ranking
    cache: VersionedCache = app.extensions["page_cache"]

    def down(*_args: Any) -> Any:
        raise ConnectionError("the versions store is down")

    for name in ("snapshot", "read", "bump"):
        monkeypatch.setattr(cache.versions, name, down)
    for _ in range(3):  # every page built, every write still committed, the pool intact
        assert client.get(path).status_code == 200
        make_application(Stage.SUBMITTED, program=program)
    assert len(cache) == 0
    assert db.engine(app).pool.checkedout() == 0


def test_on_sqlite_the_versions_come_before_the_first_query(
    ranking: Any, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite reads as of a transaction's first query: the login's, before the view. Versions
    taken after it could be newer than the page's data and keep a stale page as current."""
    if db.engine(app).dialect.name != "sqlite":
        pytest.skip("PostgreSQL reads what is committed when each statement starts")
    client, path, _program = ranking
    happened: list[str] = []
    cache: VersionedCache = app.extensions["page_cache"]
    taken = cache.snapshot
    monkeypatch.setattr(cache, "snapshot", lambda: happened.append("versions") or taken())
    event.listen(
        db.engine(app), "before_cursor_execute", lambda *a: happened.append(a[2].split()[0])
    )
    assert client.get(path).status_code == 200
    assert happened.index("versions") < happened.index("SELECT")


def test_the_page_cache_is_on_for_either_database(app: Flask) -> None:
    assert isinstance(app.extensions["page_cache"], VersionedCache)
    assert "login_cache" not in app.extensions


def test_a_write_in_plain_sql_moves_its_table(app: Flask, make_user: Any) -> None:
    make_user()
    cache: VersionedCache = app.extensions["page_cache"]
    before = cache.versions.read(["users", "programs"])
    with app.app_context(), db.transaction() as session:
        session.execute(text("UPDATE users SET name = 'Tên viết tay'"))
    after = cache.versions.read(["users", "programs"])
    assert after[0] != before[0]
    assert after[1] == before[1]
