"""api key lifecycle

Keys are stored as HMAC-SHA256 with a server secret (`hash_scheme` "hmac"); rows from before
keep their plain SHA-256 ("sha256", the server default here) until their key is next used, when
the row is rewritten as HMAC. `key_prefix` (generated keys only), `last_used_at` and
`revoked_at` serve `automl-server keys list|revoke`.

Columns are added in place (ALTER TABLE), not by a batch rebuild (see 0005).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("hash_scheme", sa.String(8), nullable=False,
                                        server_default="sha256"))
    op.add_column("api_keys", sa.Column("key_prefix", sa.String(16), nullable=True))
    op.add_column("api_keys", sa.Column("last_used_at", sa.DateTime(timezone=True),
                                        nullable=True))
    op.add_column("api_keys", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # HMAC rows cannot become SHA-256 again without their keys: they stop working.
    for column in ("revoked_at", "last_used_at", "key_prefix", "hash_scheme"):
        op.drop_column("api_keys", column)
