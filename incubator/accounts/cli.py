"""`flask --app incubator create-user ...`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from incubator.accounts.models import Role
from incubator.db import run
from incubator.errors import DomainError


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", "role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--center", "center", help="Center code (BIIC or SMIC), for managers.")
@click.option("--name", default="", help="Full name.")
@click.password_option()
def create_user(email: str, role: str, center: str | None, name: str, password: str) -> None:
    """Create a user with one role."""
    from incubator.accounts.registration import create_user as create

    try:
        user = run(create, email, name, password, Role(role), center)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created {user.email} ({role}).")
