"""model diagnostics

A trained model keeps chart data from its out-of-fold (or validation) predictions: a
confusion matrix and ROC curves, or sampled actual/predicted pairs. Models trained before have
none (null).

The column is added and dropped in place (ALTER TABLE), not by a batch rebuild: on SQLite a
rebuild of `models` would have to keep its AUTOINCREMENT (0002) and, with foreign keys on,
would cascade to the model artifacts. SQLite drops a column in place from 3.35 on.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("models", sa.Column("diagnostics", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("models", "diagnostics")
