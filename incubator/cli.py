"""`flask --app incubator ...` commands."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from incubator import backup, migrate, restore, storage
from incubator.accounts.models import User
from incubator.db import db


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(seed_demo)
    app.cli.add_command(send_mail)
    app.cli.add_command(worker)
    app.cli.add_command(run_schedules)
    app.cli.add_command(cache)
    app.cli.add_command(storage.cli)
    app.cli.add_command(backup.backup_command)
    app.cli.add_command(restore.restore_command)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema (alembic upgrade head)."""
    migrate.upgrade(current_app)
    click.echo("Database is at the latest schema.")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) if there are users.")
@click.option(
    "--i-know-this-is-production",
    "production_ok",
    is_flag=True,
    help="Load the demo into a production configuration all the same.",
)
def seed_demo(if_empty: bool, production_ok: bool) -> None:
    """Fill an empty database with demo centers, accounts, programs and applications."""
    from incubator import demo

    if current_app.config.get("PRODUCTION") and not production_ok:
        # 23 accounts with a published password, an admin among them
        raise click.ClickException(
            "This is a production configuration: the demo accounts share a published password. "
            "Run it with INCUBATOR_CONFIG=development, or add --i-know-this-is-production."
        )
    if db.session.scalar(select(func.count()).select_from(User)):
        if if_empty:
            click.echo("Demo data already loaded.")
            return
        raise click.ClickException(
            "The database already has users; seed-demo only fills an empty one."
        )
    with db.transaction():
        demo.load()
    click.echo("Demo data loaded.")


@click.command("send-mail")
@with_appcontext
def send_mail() -> None:
    """Deliver the emails that are due in the outbox now."""
    from incubator.mail import deliver_outbox

    sent, failed = deliver_outbox()
    click.echo(f"Sent {sent}, failed {failed}.")


@click.command("worker")
@with_appcontext
def worker() -> None:
    """Run an RQ worker for background jobs (needs REDIS_URL)."""
    from incubator import worker as worker_process

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("Set REDIS_URL to run a worker; without it jobs run in-process.")
    worker_process.run_worker(current_app._get_current_object())  # type: ignore[attr-defined]


@click.command("run-schedules")
@with_appcontext
def run_schedules() -> None:
    """Run every scheduled job once now (for a cron line when no worker schedules them)."""
    from incubator import scheduler

    for name in scheduler.run_due(current_app, {}, 0.0):
        click.echo(f"Ran {name}.")


@click.group("cache")
def cache() -> None:
    """The page cache."""


@cache.command("clear")
@with_appcontext
def cache_clear() -> None:
    """Let no process serve a page it kept (after data was changed by hand, in SQL)."""
    from incubator import pagecache

    pagecache.clear_everywhere(current_app)
    click.echo("Page cache cleared.")
