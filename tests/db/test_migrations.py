"""The Alembic migrations create exactly the schema the models describe, on SQLite and
PostgreSQL, and the production server refuses a schema it does not know."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.db.migrate import SchemaMismatch, ensure_schema, upgrade
from app.db.models import Base
from app.db.session import Database
from app.main import create_app
from tests.production import BROKER_URL, SERVER_URL, require_services


def differences(db: Database) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_sqlite_migrations_match_models(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(db)
    assert differences(db) == []
    db.dispose()


@pytest.fixture
def empty_postgres():
    require_services()
    name = "automl_migration_test"
    admin = create_engine(f"{SERVER_URL}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{SERVER_URL}/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_postgres_migrations_match_models(empty_postgres):
    db = Database(empty_postgres)
    with pytest.raises(SchemaMismatch, match="automl-server migrate"):
        ensure_schema(db, auto_upgrade=False)
    upgrade(db)
    assert differences(db) == []
    ensure_schema(db, auto_upgrade=False)
    db.dispose()


def test_production_server_refuses_an_unmigrated_schema(empty_postgres, tmp_path):
    from app.config import Settings

    settings = Settings(data_dir=tmp_path, database_url=empty_postgres, broker_url=BROKER_URL)
    with pytest.raises(SchemaMismatch):
        with TestClient(create_app(settings)):
            pass
