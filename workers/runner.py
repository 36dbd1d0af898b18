"""The production job runner: the API publishes job ids to Celery and trains nothing.

The database is the source of truth: a job is committed before it is published, and a
background thread re-publishes jobs that are still pending, or whose worker stopped sending
heartbeats, so a job survives a lost message (say, Redis restarted) or a dead worker. Extra
deliveries are harmless: only one run can claim a job."""

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import or_, select

from app.config import Settings
from app.db.models import Job, utcnow
from app.db.session import Database

log = logging.getLogger(__name__)


class CeleryRunner:
    def __init__(self, settings: Settings, db: Database):
        from workers.celery_app import make_celery

        self._settings = settings
        self._db = db
        self._celery = make_celery(settings)
        self._stop = threading.Event()
        self._sent: dict[str, float] = {}
        self._watcher = threading.Thread(target=self._watch, daemon=True, name="job-watcher")
        self._watcher.start()

    def submit(self, job_id: str, kind: str) -> None:
        try:
            self._celery.send_task("automl.run_job", args=[job_id],
                                   queue=f"{self._settings.queue_prefix}.{kind}",
                                   retry=True, retry_policy={"max_retries": 2})
            self._sent[job_id] = time.monotonic()
        except Exception:  # the broker is away: the job is stored, the watcher re-sends it
            log.warning("could not publish job %s; it will be re-sent", job_id, exc_info=True)

    def _watch(self) -> None:
        interval = max(1.0, self._settings.republish_after / 3)
        while not self._stop.wait(interval):
            try:
                self._republish()
            except Exception:
                log.warning("job watcher pass failed", exc_info=True)

    def _republish(self) -> None:
        wait = self._settings.republish_after
        now = utcnow()
        with self._db.session() as session:
            rows = session.execute(
                select(Job.id, Job.kind).where(or_(
                    (Job.status == "pending") & (Job.created_at < now - timedelta(seconds=wait)),
                    (Job.status == "in_progress")
                    & (Job.heartbeat_at
                       < now - timedelta(seconds=self._settings.job_stale_seconds))))
                .order_by(Job.created_at).limit(500)
            ).all()
        for job_id, kind in rows:
            if time.monotonic() - self._sent.get(job_id, 0.0) >= wait:
                self.submit(job_id, kind)
        horizon = time.monotonic() - 3600
        self._sent = {k: v for k, v in self._sent.items() if v > horizon}

    def shutdown(self) -> None:
        self._stop.set()
        self._watcher.join(timeout=5)
