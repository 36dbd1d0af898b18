"""Alembic environment: the URL comes from the caller's connection or from the settings."""

from alembic import context

from app.config import get_settings
from app.db.migrate import migration_connection
from app.db.models import Base
from app.db.session import make_engine

target_metadata = Base.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(get_settings().resolved_database_url)
    with migration_connection(engine) as connection:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
