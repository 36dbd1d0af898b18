"""Recently used fitted models of this process, so that predictions skip loading the artifact.

An entry is keyed by the database and the training job that produced the model. A job id is
random and never reused, so a model that was deleted and trained again under the same name
(even where the database reuses the row id) can never be answered from the old entry; and a
deleted model is never read from here at all, since every prediction looks its model row up
first. Deletes drop their entries anyway, to free the memory.
"""

import threading
from collections import OrderedDict
from collections.abc import Iterable

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.automl import FittedModel
from app.db.models import Model, ModelArtifact
from app.errors import NotFound
from app.observability.metrics import set_models_cached

CACHE_SIZE = 8


def _key(session: Session, model_id: int, job_id: str | None) -> tuple[str, int, str | None]:
    return str(session.get_bind().url), model_id, job_id


class ModelCache:
    def __init__(self, size: int = CACHE_SIZE):
        self._items: OrderedDict[tuple, FittedModel] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, session: Session, model: Model) -> FittedModel:
        """The stored model, loaded on first use. It predicts on one thread: requests are
        served at the same time, each on its own thread, so one user's large prediction
        does not take every core from the others (and a training's)."""
        key = _key(session, model.id, model.job_id)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        artifact = session.get(ModelArtifact, model.id)
        if artifact is None:
            raise NotFound(f"Model '{model.name}' has no stored artifact")
        fitted = FittedModel.from_bytes(artifact.data, threads=1)
        with self._lock:
            self._items[key] = fitted
            while len(self._items) > self._size:
                self._items.popitem(last=False)
            set_models_cached(len(self._items))
        return fitted

    def drop(self, session: Session, models: Iterable[Model]) -> None:
        keys = [_key(session, m.id, m.job_id) for m in models]
        with self._lock:
            for key in keys:
                self._items.pop(key, None)
            set_models_cached(len(self._items))

    def __len__(self) -> int:
        return len(self._items)


model_cache = ModelCache()


def forget_models(session: Session, which: ColumnElement[bool]) -> None:
    """Drop this process's cached fitted models among those about to be deleted."""
    model_cache.drop(session, session.scalars(select(Model).where(which)).all())
