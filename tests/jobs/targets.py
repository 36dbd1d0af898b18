"""Job bodies the runner tests give a training process (module level, so that a spawned
process can import them). The job's `action` says what to do."""

import os
import signal

from app.db.models import Job
from app.db.session import Database
from app.jobs.runner import _run_in_process
from app.jobs.state import claim, finish


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def scripted(database_url: str, job_id: str) -> None:
    """`die`: claim the job, then be killed as the OOM killer would; `die_early`: be killed
    before claiming it; `raise`: fail outside the job's own error handling; else finish."""
    db = Database(database_url)
    with db.session() as session:
        action = session.get(Job, job_id).action
    if action == "die_early":
        _die()
    attempt = claim(db, job_id)
    if action == "die":
        _die()
    if action == "raise":
        raise RuntimeError("the database went away")
    with db.session() as session:
        job = session.get(Job, job_id)
        finish(session, job, {"pid": os.getpid(), "attempt": attempt})
    db.dispose()


def real_unless_doomed(database_url: str, job_id: str) -> None:
    """The real training, except for models named doomed*: claimed, then killed."""
    db = Database(database_url)
    with db.session() as session:
        model_name = (session.get(Job, job_id).result or {}).get("model_name", "")
    if model_name.startswith("doomed"):
        claim(db, job_id)
        _die()
    db.dispose()
    _run_in_process(database_url, job_id)
