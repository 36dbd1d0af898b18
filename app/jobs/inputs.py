"""A job's input: its parameters (JSON) and named binary parts, stored in `job_inputs` once,
as the job will read them (no compression on top of the parts' own), so any worker can run it."""

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db.models import JobInput

META = "meta"


def store_inputs(session: Session, job_id: str, meta: dict,
                 parts: dict[str, bytes] | None = None) -> None:
    session.add(JobInput(job_id=job_id, part=META,
                         data=orjson.dumps(meta, option=orjson.OPT_SERIALIZE_NUMPY)))
    for name, data in (parts or {}).items():
        session.add(JobInput(job_id=job_id, part=name, data=data))


def read_meta(session: Session, job_id: str) -> dict:
    """The job's parameters, without reading its binary parts; {} when it has none left."""
    data = session.scalar(
        select(JobInput.data).where(JobInput.job_id == job_id, JobInput.part == META))
    return orjson.loads(data) if data is not None else {}


def read_inputs(session: Session, job_id: str) -> tuple[dict, dict[str, bytes]]:
    """The job's parameters and its binary parts by name."""
    rows = session.execute(
        select(JobInput.part, JobInput.data).where(JobInput.job_id == job_id)).all()
    parts = {part: data for part, data in rows}
    meta = parts.pop(META, None)
    return (orjson.loads(meta) if meta is not None else {}), parts


def drop_inputs(session: Session, job_ids) -> None:
    """Delete the inputs of jobs that ended (`job_ids`: ids, or a subquery of them)."""
    session.execute(delete(JobInput).where(JobInput.job_id.in_(job_ids))
                    .execution_options(synchronize_session=False))
