"""A model is always the one trained last under its name: deleting it (or its dataset, or its
project) and training again under the same names never answers from the old model."""

import numpy as np
import pytest

from tests.api.test_jobs import _dataset, _train


def _upload(client, where: dict, inverted: bool) -> np.ndarray:
    """300 rows whose `label` is x0 > 0 (or its opposite); `flipped` is always the opposite."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(300, 4))
    labels = (x[:, 0] > 0).astype(int)
    if inverted:
        labels = 1 - labels
    attributes = [{"label": str(v), "flipped": str(1 - v)} for v in labels]
    client.finished(client.ok("add_data_batch", **where, data=x.tolist(),
                              attributes=attributes)["job_id"])
    return labels


def _train_and_predict(client, where: dict, label: str) -> np.ndarray:
    job = client.ok("train_automl_model", **where, model_name="m", training_mode="high_speed",
                    task_type="classification", label_attribute=label,
                    time_budget=3)["job_id"]
    client.finished(job, "get_automl_training_status")
    return np.asarray(client.ok("automl_predict", **where, model_name="m",
                                prediction_dataset=where["collection_name"])["predictions"])


@pytest.mark.parametrize("delete", ["delete_automl_model", "delete_collection", "delete_project"])
def test_retrained_model_answers_after_delete(client, delete):
    """The first model is used (and cached) before the delete; the second is trained on the
    opposite labels under the same project, dataset and model names."""
    where = {"project_name": "P", "collection_name": "train"}
    client.ok("create_project", project_name="P")
    client.ok("init", **where, vector_dim=4)
    labels = _upload(client, where, inverted=False)
    assert np.mean(_train_and_predict(client, where, "label") == labels) > 0.9
    if delete == "delete_automl_model":
        client.ok(delete, **where, model_name="m")
        second = _train_and_predict(client, where, "flipped")
    else:
        client.ok(delete, **(where if delete == "delete_collection" else {"project_name": "P"}))
        if delete == "delete_project":
            client.ok("create_project", project_name="P")
        client.ok("init", **where, vector_dim=4)
        assert np.array_equal(_upload(client, where, inverted=True), 1 - labels)
        second = _train_and_predict(client, where, "label")
    assert np.mean(second == 1 - labels) > 0.9


@pytest.mark.parametrize("delete", ["delete_collection", "delete_project"])
def test_deleting_a_dataset_cancels_its_jobs_and_keeps_them_readable(client, project, delete):
    where = _dataset(client, project, n=3000, dim=30)
    running = _train(client, where, "first")  # high_accuracy with a 120 s budget
    queued = _train(client, where, "second")
    client.ok(delete, **(where if delete == "delete_collection" else {"project_name": project}))
    what = "dataset" if delete == "delete_collection" else "project"
    for job in (running, queued):
        status = client.ok("get_automl_training_status", job_id=job)
        assert status["status"] == "failed", status
        assert status["error"] == f"cancelled: the {what} was deleted"
        assert status["model_name"] in ("first", "second")
    # the other user's view: still nothing
    client.as_key("key-bob").fails("get_automl_training_status", 404, job_id=running)
