"""A failed upload that created its collection: what it leaves behind."""

import pytest

from app.db.models import Collection, Job, Project, utcnow
from app.jobs.data_job import discard_failed_upload
from app.jobs.inputs import store_inputs


@pytest.fixture(autouse=True)
def collection(db):
    """Collection 1, "c", of project 1 of the job database's user."""
    with db.session() as session:
        session.add(Project(id=1, user_id=1, name="p"))
        session.flush()
        session.add(Collection(id=1, project_id=1, name="c", vector_type="dense"))


def _upload(session, job_id: str, created: bool) -> Job:
    job = Job(id=job_id, user_id=1, kind="data", action="upload", status="failed",
              collection_id=1, created_at=utcnow())
    session.add(job)
    store_inputs(session, job_id, {"created_collection": created})
    return job


def test_the_empty_collection_a_failed_first_upload_created_is_removed(db):
    with db.session() as session:
        discard_failed_upload(session, _upload(session, "first", created=True))
    with db.session() as session:
        assert session.get(Collection, 1) is None


def test_it_stays_for_an_upload_sent_to_it_meanwhile(db):
    """The second upload was accepted (200, a job id): deleting the collection deleted that
    job too, and its data with it, unseen (its status: 'Job does not exist')."""
    with db.session() as session:
        first = _upload(session, "first", created=True)
        _upload(session, "second", created=False).status = "pending"
        session.flush()
        discard_failed_upload(session, first)
    with db.session() as session:
        assert session.get(Collection, 1) is not None
        assert session.get(Job, "second").status == "pending"
