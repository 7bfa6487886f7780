"""Alembic environment: the database URL comes from the app's config."""

from alembic import context

from incubator.db import UTCDateTime, make_engine
from incubator.models import metadata

config = context.config


def _url() -> str:
    url = config.attributes.get("url")
    if url:
        return url
    from incubator import create_app

    return create_app().config["DATABASE_URL"]


def render_item(type_, obj, autogen_context):
    """Migrations stay free of app imports: our UTC timestamp is a plain timestamptz."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
