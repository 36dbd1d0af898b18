"""/upload in every format, with and without gzip, and the AutoML upload endpoints."""

import base64
import gzip
import json

import numpy as np
import pytest

CSV = b"id,x1,x2,color,label\na,1.0,2.0,red,1\nb,3.0,,blue,0\nc,5.0,6.0,red,1\n"
JSON = json.dumps([
    {"string_id": "a", "data": [1.0, 2.0], "attributes": {"label": "1"}},
    {"string_id": "b", "data": [3.0, None], "attributes": {"label": "0"}},
    {"string_id": "c", "data": [5.0, 6.0], "attributes": {"label": "1"}},
]).encode()
LIBSVM = b"1 1:0.5 3:1.0\n0 2:2.0\n1 1:1.0 4:3.0\n"
BINARY = np.arange(6, dtype="<f4").tobytes()

CASES = {
    "csv": (CSV, {"has_field_names": True, "label_column": "label"}, "dense", 2),
    "json": (JSON, {}, "dense", 2),
    "libsvm": (LIBSVM, {}, "sparse", 4),
    "binary": (BINARY, {"vector_dim": 2}, "dense", 2),
}


def b64(raw: bytes, gz: bool) -> str:
    return base64.b64encode(gzip.compress(raw) if gz else raw).decode()


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("fmt", sorted(CASES))
def test_upload_creates_and_appends(client, project, fmt, gz):
    raw, options, vector_type, dim = CASES[fmt]
    where = {"project_name": project, "collection_name": f"{fmt}-data"}
    extra = {"compression_type": "gzip"} if gz else {}
    for _ in range(2 if fmt in ("libsvm", "binary") else 1):
        job = client.ok("upload", **where, file_data=b64(raw, gz), file_format=fmt,
                        **options, **extra)["job_id"]
        client.finished(job)
    info = client.ok("get_collection_info", **where)
    rows = 3 if fmt != "binary" else 3
    expected = rows * (2 if fmt in ("libsvm", "binary") else 1)
    assert (info["vector_type"], info["vector_dim"], info["num_vectors"]) == (
        vector_type, dim, expected)
    if fmt in ("csv", "libsvm", "json"):
        assert "label" in info["attribute_names"]
    if fmt == "csv":
        assert info["feature_names"] == ["x1", "x2"]
        assert "color" in info["attribute_names"]


def test_upload_errors_store_nothing(client, project):
    where = {"project_name": project, "collection_name": "c"}
    assert "base64" in client.fails("upload", 400, **where, file_data="%%%", file_format="csv")
    assert "file_format" in client.fails("upload", 400, **where, file_data=b64(CSV, False),
                                         file_format="xlsx")
    client.fails("upload", 400, **where, file_data=b64(CSV, False), file_format="csv",
                 compression_type="zip")
    # a malformed first upload fails its job and leaves no collection behind
    status = client.wait(client.ok("upload", **where, file_data=b64(b"a,b\n1,2\n3\n", False),
                                   file_format="csv", has_field_names=True)["job_id"])
    assert status["status"] == "failed" and status["error"]
    assert client.ok("get_collection_list", project_name=project)["collection_list"] == []
    # a good upload, then a malformed one: the first stays whole
    client.finished(client.ok("upload", **where, file_data=b64(CSV, False), file_format="csv",
                              has_field_names=True, label_column="label")["job_id"])
    status = client.wait(client.ok("upload", **where, file_data=b64(b"x1,x2\n1,2,3\n", False),
                                   file_format="csv", has_field_names=True)["job_id"])
    assert status["status"] == "failed"
    assert client.ok("get_collection_info", **where)["num_vectors"] == 3


def test_dimension_mismatch_into_existing_collection(client, project):
    where = {"project_name": project, "collection_name": "c"}
    client.ok("init", **where, vector_dim=5)
    status = client.wait(client.ok("upload", **where, file_data=b64(BINARY, False),
                                   file_format="binary")["job_id"])
    assert status["status"] == "failed"
    assert "vector_dim" in status["error"] or "multiple" in status["error"]


def test_upload_automl_x_and_attach_label(client, project):
    where = {"project_name": project, "collection_name": "auto"}
    features = b"age,city,score\n30,paris,1.5\n40,rome,2.5\n50,paris,3.5\n"
    client.finished(client.ok("upload_automl_X", **where, X=b64(features, False),
                              file_format="csv", has_field_names=True, vector_type="dense",
                              categorical_features=["city"])["job_id"])
    labels = b"target\nyes\nno\nyes\n"
    job = client.ok("attach_automl_label", **where, file_data=b64(labels, False),
                    file_format="csv", has_field_names=True, attribute_name="target")["job_id"]
    status = client.finished(job, "get_automl_training_status")
    assert status["num_labelled"] == 3
    info = client.ok("get_collection_info", **where)
    assert info["feature_names"] == ["age", "score"]
    assert info["categorical_attributes"] == ["city"]
    assert set(info["attribute_names"]) == {"city", "target"}
    bad = client.ok("attach_automl_label", **where, file_data=b64(b"target\nyes\n", False),
                    file_format="csv", has_field_names=True, attribute_name="t2")["job_id"]
    status = client.wait(bad)
    assert status["status"] == "failed" and "3 vectors" in status["error"]
    # a label named as a feature would be read from that feature at prediction time
    message = client.fails("attach_automl_label", 400, **where, file_data=b64(labels, False),
                           file_format="csv", has_field_names=True, attribute_name="score")
    assert "'score' is a feature column" in message
