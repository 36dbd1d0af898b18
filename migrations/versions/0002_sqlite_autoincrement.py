"""ids are never reused on SQLite

SQLite hands a deleted row's id to the next insert unless the table is AUTOINCREMENT; an id that
comes back after a delete can name something that no longer exists (a cached model, a client's
reference). PostgreSQL sequences never reuse ids, so this revision changes nothing there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 14:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("users", "api_keys", "projects", "collections", "chunks", "models")


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        # Rebuilding a table drops the old one, which would cascade to every row that refers
        # to it. app.db.migrate.upgrade turns the pragma off for the migration.
        raise RuntimeError("run this migration with PRAGMA foreign_keys=OFF, as "
                           "`automl-server migrate` does")
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
