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


def _upgrade_to(db: Database, revision: str) -> None:
    from alembic import command

    from app.db.migrate import alembic_config, migration_connection

    config = alembic_config()
    with migration_connection(db.engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_sqlite_upgrade_keeps_rows_and_never_reuses_ids(tmp_path):
    """0002 rebuilds every table as AUTOINCREMENT: rows that refer to each other survive it,
    and the id of a deleted last row is not handed out again."""
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    _upgrade_to(db, "0001")
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO users (id, name) VALUES (1, 'u')"))
        connection.execute(text("INSERT INTO projects (id, user_id, name) VALUES (1, 1, 'p')"))
        connection.execute(text(
            "INSERT INTO collections (id, project_id, name, vector_type, dim_fixed, "
            "attribute_names, categorical_attributes, num_vectors, next_chunk_seq, next_auto_id)"
            " VALUES (1, 1, 'c', 'dense', 1, '[]', '[]', 0, 0, 0)"))
        for model_id in (1, 2):
            connection.execute(text(
                "INSERT INTO models (id, collection_id, name, task_type, training_mode, "
                "label_attribute, categorical_features, status) VALUES "
                f"({model_id}, 1, 'm{model_id}', 'classification', 'high_speed', 'y', '[]', "
                "'ready')"))
            connection.execute(text(
                f"INSERT INTO model_artifacts (model_id, data) VALUES ({model_id}, x'00')"))
    upgrade(db)
    assert differences(db) == []
    with db.engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM model_artifacts")).scalar() == 2
        connection.execute(text("DELETE FROM models WHERE id = 2"))
        assert connection.execute(text("SELECT count(*) FROM model_artifacts")).scalar() == 1
        connection.execute(text(
            "INSERT INTO models (collection_id, name, task_type, training_mode, label_attribute,"
            " categorical_features, status) VALUES (1, 'm3', 'regression', 'balanced', 'y', "
            "'[]', 'ready')"))
        new_id = connection.execute(text("SELECT id FROM models WHERE name = 'm3'")).scalar()
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert new_id == 3
    db.dispose()


def test_upgrade_moves_a_waiting_jobs_input_apart(tmp_path):
    """0003: a job still waiting keeps its input, now in job_inputs (the old zip's meta.json as
    part "meta"); a finished job's leftover input is dropped."""
    import io
    import zipfile

    import orjson

    from app.jobs.inputs import read_inputs

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("meta.json", orjson.dumps({"ids": ["a"]}))
        zf.writestr("file", b"1,2\n")
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    _upgrade_to(db, "0002")
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO users (id, name) VALUES (1, 'u')"))
        for job_id, status in (("waiting", "pending"), ("done", "finished")):
            connection.execute(text(
                "INSERT INTO jobs (id, user_id, kind, action, status, progress, attempts, "
                "cancel_requested, payload) VALUES (:id, 1, 'data', 'upload', :status, 0, 0, 0, "
                ":payload)"), {"id": job_id, "status": status, "payload": buffer.getvalue()})
    upgrade(db)
    assert differences(db) == []
    with db.session() as session:
        assert read_inputs(session, "waiting") == ({"ids": ["a"]}, {"file": b"1,2\n"})
        assert read_inputs(session, "done") == ({}, {})
    db.dispose()


def _downgrade_to(db: Database, revision: str) -> None:
    from alembic import command

    from app.db.migrate import alembic_config, migration_connection

    config = alembic_config()
    with migration_connection(db.engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_model_diagnostics_column_is_added_and_dropped_in_place(tmp_path):
    """0005: an existing model gets diagnostics null; the column goes without rebuilding
    `models` (which keeps AUTOINCREMENT and its artifacts) either way."""
    from app.db.models import Model

    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    _upgrade_to(db, "0004")
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO users (id, name) VALUES (1, 'u')"))
        connection.execute(text("INSERT INTO projects (id, user_id, name) VALUES (1, 1, 'p')"))
        connection.execute(text(
            "INSERT INTO collections (id, project_id, name, vector_type, dim_fixed, "
            "attribute_names, categorical_attributes, num_vectors, next_chunk_seq, next_auto_id)"
            " VALUES (1, 1, 'c', 'dense', 1, '[]', '[]', 0, 0, 0)"))
        connection.execute(text(
            "INSERT INTO models (id, collection_id, name, task_type, training_mode, "
            "label_attribute, categorical_features, status) VALUES (1, 1, 'old', "
            "'classification', 'high_speed', 'y', '[]', 'ready')"))
        connection.execute(text("INSERT INTO model_artifacts (model_id, data) VALUES (1, x'00')"))
    upgrade(db)
    assert differences(db) == []
    charts = {"kind": "regression", "n": 1, "actual": [1.5], "predicted": [1.0]}
    with db.session() as session:
        assert session.get(Model, 1).diagnostics is None
        session.get(Model, 1).diagnostics = charts
    with db.session() as session:
        assert session.get(Model, 1).diagnostics == charts

    def models_table() -> tuple[str, int]:
        with db.engine.connect() as connection:
            sql = connection.execute(text(
                "SELECT sql FROM sqlite_master WHERE name = 'models'")).scalar()
            artifacts = connection.execute(text("SELECT count(*) FROM model_artifacts")).scalar()
        return sql, artifacts

    sql, artifacts = models_table()
    assert "AUTOINCREMENT" in sql and "diagnostics" in sql and artifacts == 1
    _downgrade_to(db, "0004")
    sql, artifacts = models_table()
    assert "AUTOINCREMENT" in sql and "diagnostics" not in sql and artifacts == 1
    db.dispose()
