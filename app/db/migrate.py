"""Schema management with Alembic: upgrade to head, or refuse a schema this code does not know."""

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from app.db.session import Database


class SchemaMismatch(RuntimeError):
    pass


def alembic_config() -> Config:
    """Built in code, so that it works from an installed package as from a checkout."""
    config = Config()
    config.set_main_option("script_location", str(files("migrations")))
    return config


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction for migrations. On SQLite, foreign keys are off meanwhile:
    rebuilding a table drops the old one, which would otherwise cascade to the rows that refer
    to it (the pragma cannot change inside a transaction, so it is set before one begins)."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                yield connection
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(db: Database) -> None:
    config = alembic_config()
    with migration_connection(db.engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_schema(db: Database, *, auto_upgrade: bool) -> None:
    """Embedded mode upgrades itself; production mode expects `automl-server migrate` first."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    current = current_revision(db)
    if current == head:
        return
    if auto_upgrade:
        upgrade(db)
        return
    raise SchemaMismatch(
        f"the database schema is at revision {current or 'none'} but this server needs {head}; "
        "run `automl-server migrate` first")
