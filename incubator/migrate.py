"""Alembic, driven from the app: the URL comes from the app's config.

Alembic is imported when a migration runs, not with the app: the commands that do not
migrate (`flask run`, `seed-demo`) neither load it nor print its start-up lines.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import Flask

from incubator import DATA

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = DATA / "migrations"
# "setup plugin ..." for each of alembic's own plugins, when it is imported: noise
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def alembic_config(app: Flask) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = app.config["DATABASE_URL"]
    return config


def upgrade(app: Flask, revision: str = "head") -> None:
    from alembic import command

    config = alembic_config(app)
    restamp_old_build(config)
    command.upgrade(config, revision)


def downgrade(app: Flask, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(app), revision)


# What each revision leaves in the schema that no earlier one made and no later one removes:
# a table, or "table.column". `restamp_old_build` reads them; a test checks them.
MARKS = {
    "0001": "users",
    "0002": "startups",
    "0003": "applications.score_mean",
    "0004": "user_sessions",
    "0005": "mentor_profiles",
    "0006": "programs.description_vi",
    "0007": "expertise_tags",
    "0008": "form_submissions",
    "0009": "questions",
    "0010": "fablab_labs",
    "0011": "api_tokens",
    "0012": "fablab_machines.photo",
    "0013": "report_jobs",
    "0014": "demo_days",
    "0015": "stage_counts",
    "0016": "calendar_tokens.token_hash",
    "0017": "fablab_certificates.center_id",
    "0018": "heartbeats",
    "0019": "idempotency_keys",
}

# Builds made from branches before they landed stamped their migration with the id it had
# there; the merges renumbered them (git log --follow migrations/versions/). A database such
# a build made is stamped with an id that now means another migration: stamped "0012" by the
# reports branch, it has report_jobs but not the Fablab photos, and a plain `alembic upgrade`
# would run 0013 (reports) again and stop on "table report_jobs already exists". The id that
# build stamped, what its migration was, and which current revisions its database holds:
OLD_STAMPS = [
    ("0003", "sessions and throttling", ("0001", "0002", "0004")),
    ("0004", "mentoring", ("0001", "0002", "0003", "0005")),
    ("0005", "bilingual texts", ("0001", "0002", "0003", "0006")),
    ("0007", "archived startups, form tokens", (*[f"{n:04}" for n in range(1, 7)], "0008")),
    ("0008", "mentoring tags and feeds", (*[f"{n:04}" for n in range(1, 7)], "0007")),
    ("0009", "call forms", (*[f"{n:04}" for n in range(1, 7)], "0009")),
    ("0010", "fablab", (*[f"{n:04}" for n in range(1, 7)], "0010")),
    ("0011", "demo days", (*[f"{n:04}" for n in range(1, 11)], "0014")),
    ("0012", "reports", (*[f"{n:04}" for n in range(1, 11)], "0013")),
    ("0013", "API", (*[f"{n:04}" for n in range(1, 11)], "0011")),
    ("0014", "Fablab photos", (*[f"{n:04}" for n in range(1, 11)], "0012")),
]


def applied_revisions(connection: Any) -> set[str]:
    """The revisions whose mark is in the database's schema."""
    from sqlalchemy import inspect

    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    found = set()
    for revision, mark in MARKS.items():
        table, _, column = mark.partition(".")
        if table in tables and (
            not column or column in {c["name"] for c in inspector.get_columns(table)}
        ):
            found.add(revision)
    return found


def restamp_old_build(config: Config) -> None:
    """Before an upgrade: when the stamp and the schema disagree (a stamp written by an earlier
    build whose migration ids were renumbered since, see OLD_STAMPS), walk the chain up to the
    last revision whose mark is there, stamping the revisions that are there and upgrading
    through the ones that are not. A database this chain built is left alone."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from incubator.db import make_engine

    engine = make_engine(config.attributes["url"])
    try:
        with engine.connect() as connection:
            stamps = MigrationContext.configure(connection).get_current_heads()
            applied = applied_revisions(connection) if stamps else set()
    finally:
        engine.dispose()
    if not stamps:
        return  # an empty database
    chain = [
        s.revision for s in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))
    ]
    (stamp,) = stamps
    stamped = set(chain[: chain.index(stamp) + 1]) if stamp in chain else None
    marked = applied & set(MARKS)
    if stamped is not None and marked == stamped & set(MARKS):
        return
    if not marked:
        command.stamp(config, "base", purge=True)  # stamped, but nothing of ours is there
        return
    logging.getLogger(__name__).warning(
        "The database is stamped %s but holds the changes of %s: a stamp from an earlier build,"
        " re-stamped before upgrading.",
        stamp,
        ", ".join(sorted(marked)),
    )
    last = max(chain.index(revision) for revision in marked)
    first = True
    for index, revision in enumerate(chain[: last + 1]):
        following = chain[index + 1] if index < last else None
        there = revision in marked
        if following is not None and (following in marked) == there:
            continue  # a run of revisions that are all there, or all missing
        if there:
            command.stamp(config, revision, purge=first)
        else:
            if first:
                command.stamp(config, "base", purge=True)
            command.upgrade(config, revision)
        first = False
