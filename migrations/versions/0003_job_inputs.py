"""job inputs apart from job status

A job's input (up to a few hundred MB: a file, a block of vectors) was a column of its status
row, so SQLite walked past it for every status poll. It moves to `job_inputs`, one row per
named part; the jobs still waiting for a worker keep theirs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 18:30:00
"""

import io
import zipfile
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The payload zip held "meta.json" and the named binary parts; a part keeps its name.
META_ENTRY, META_PART = "meta.json", "meta"


def upgrade() -> None:
    inputs = op.create_table(
        "job_inputs",
        sa.Column("job_id", sa.String(64), sa.ForeignKey("jobs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("part", sa.String(32), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    bind = op.get_bind()
    waiting = bind.execute(sa.text(
        "SELECT id, payload FROM jobs WHERE payload IS NOT NULL "
        "AND status IN ('pending', 'in_progress')"))
    for job_id, payload in waiting:
        with zipfile.ZipFile(io.BytesIO(payload)) as zf:
            rows = [{"job_id": job_id, "part": META_PART if name == META_ENTRY else name,
                     "data": zf.read(name)} for name in zf.namelist()]
        op.bulk_insert(inputs, rows)
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("payload")


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("payload", sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    parts: dict[str, dict[str, bytes]] = {}
    for job_id, part, data in bind.execute(sa.text("SELECT job_id, part, data FROM job_inputs")):
        parts.setdefault(job_id, {})[META_ENTRY if part == META_PART else part] = data
    for job_id, files in parts.items():
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED,
                             compresslevel=1) as zf:
            for name, data in files.items():
                zf.writestr(name, data)
        bind.execute(sa.text("UPDATE jobs SET payload = :p WHERE id = :i"),
                     {"p": buffer.getvalue(), "i": job_id})
    op.drop_table("job_inputs")
