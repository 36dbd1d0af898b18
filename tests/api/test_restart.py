"""Everything lives under AUTOML_DATA_DIR and survives a restart."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.db.models import Job
from app.db.session import Database
from app.main import create_app
from tests.conftest import Client

pytestmark = pytest.mark.parametrize("mode", ["embedded"])


def test_restart_keeps_everything(settings):
    where = {"project_name": "P", "collection_name": "c"}
    with TestClient(create_app(settings)) as http:
        client = Client(http)
        client.ok("create_project", project_name="P")
        client.ok("init", **where, vector_dim=2)
        job = client.ok("add_data_batch", **where, data=[[i, -i] for i in range(40)],
                        attributes=[{"label": str(i % 2)} for i in range(40)])["job_id"]
        client.finished(job)
        train = client.ok("train_automl_model", **where, model_name="m",
                          training_mode="high_speed", task_type="classification",
                          label_attribute="label")["job_id"]
        client.finished(train, "get_automl_training_status")
        before = client.ok("automl_predict", **where, model_name="m", prediction_dataset="c")

    with TestClient(create_app(settings)) as http:
        client = Client(http)
        assert client.ok("get_project_list")["project_list"] == ["P"]
        assert client.ok("get_collection_info", **where)["num_vectors"] == 40
        assert client.finished(job)["num_inserted"] == 40
        assert client.finished(train, "get_automl_training_status")["model_name"] == "m"
        after = client.ok("automl_predict", **where, model_name="m", prediction_dataset="c")
        assert after == before


def test_job_running_at_crash_is_failed_with_reason(settings):
    where = {"project_name": "P", "collection_name": "c"}
    with TestClient(create_app(settings)) as http:
        client = Client(http)
        client.ok("create_project", project_name="P")
        client.ok("init", **where, vector_dim=2)
        job = client.ok("add_data_batch", **where, data=[[1, 2]])["job_id"]
        client.finished(job)
    # as if the server had died while the job ran
    db = Database(settings.resolved_database_url)
    with db.session() as session:
        session.execute(update(Job).where(Job.id == job).values(status="in_progress"))
    db.dispose()
    with TestClient(create_app(settings)) as http:
        status = Client(http).ok("get_upload_data_status", job_id=job)
        assert status["status"] == "failed"
        assert "server stopped" in status["error"]
