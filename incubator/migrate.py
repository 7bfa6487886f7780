"""Alembic, driven from the app: the URL comes from the app's config.

Alembic is imported when a migration runs, not with the app: the commands that do not
migrate (`flask run`, `seed-demo`) neither load it nor print its start-up lines.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

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

    command.upgrade(alembic_config(app), revision)


def downgrade(app: Flask, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(app), revision)
