"""Hostile input, in both modes: hundreds of bad requests across every endpoint. None may get a
5xx, each gets an error message that says what is wrong, nothing stored changes, and the server
answers normally afterwards.

An upload is checked when it is parsed, which happens in its job: a bad file may be accepted
with a job id, and then its job must fail with a specific reason and add nothing.
"""

import base64
import gzip
import json
from dataclasses import dataclass

import numpy as np
import pytest

from tests.conftest import ALICE, BOB, make_settings

LIMITS = {"max_file_bytes": 1 << 20, "max_dense_dim": 1000, "max_sparse_dim": 10_000,
          "max_rows_per_request": 5000}
ENDPOINTS = (
    "create_project", "delete_project", "get_project_list", "init", "delete_collection",
    "get_collection_list", "get_collection_info", "add_data", "add_data_batch", "upload",
    "upload_automl_X", "attach_automl_label", "delete_data", "get_upload_data_status",
    "get_automl_training_status", "cancel_job", "train_automl_model", "automl_predict",
    "get_model_validation_metric", "get_feature_importance", "list_automl_model_infos",
    "delete_automl_model",
)


@pytest.fixture
def settings(tmp_path, mode, request):
    """Small limits, so that the bombs and wide rows below cost little to refuse."""
    if mode == "embedded":
        return make_settings(tmp_path / "data", **LIMITS)
    stack = request.getfixturevalue("production_stack")
    stack.reset()
    return stack.settings(tmp_path / "data", api_keys=f"{ALICE}:alice,{BOB}:bob", **LIMITS)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@dataclass
class Case:
    endpoint: str
    body: dict | bytes
    says: str
    """A piece of the message that shows it names the actual problem (case-insensitive)."""
    status: int = 400


@pytest.fixture
def world(client, project):
    where = {"project_name": project, "collection_name": "c"}
    client.ok("init", **where, vector_dim=3)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    attributes = [{"label": str(int(v > 0)), "color": "red" if v > 1 else "blue"}
                  for v in x[:, 0]]
    client.finished(client.ok("add_data_batch", **where, data=x.tolist(), attributes=attributes,
                              string_ids=[f"r{i}" for i in range(60)])["job_id"])
    job = client.ok("train_automl_model", **where, model_name="m", training_mode="high_speed",
                    task_type="classification", label_attribute="label",
                    time_budget=2)["job_id"]
    client.finished(job, "get_automl_training_status")
    return where, job


def snapshot(client, where: dict) -> dict:
    """What is stored, read back through the API."""
    model = {**where, "model_name": "m"}
    return {
        "projects": client.ok("get_project_list")["project_list"],
        "collections": client.ok("get_collection_list",
                                 project_name=where["project_name"])["collection_list"],
        "info": {k: v for k, v in client.ok("get_collection_info", **where).items()},
        "models": client.ok("list_automl_model_infos", **where)["model_infos"],
        "metric": client.ok("get_model_validation_metric", **model)["validation_metric"],
        "predictions": client.ok("automl_predict", **model,
                                 prediction_dataset=where["collection_name"])["predictions"],
        "bob": client.as_key(BOB).ok("get_project_list")["project_list"],
    }


def envelope_cases() -> list[Case]:
    """Every endpoint with bodies that are not a usable JSON object, or carry no valid key."""
    raw_bodies = [
        (b"", "empty"), (b"{", "JSON"), (b"[1, 2]", "object"), (b'"text"', "object"),
        (b"42", "object"), (b"null", "object"), (b"\xff\xfe{}", "JSON"),
    ]
    cases = []
    for endpoint in ENDPOINTS:
        cases += [Case(endpoint, raw, says) for raw, says in raw_bodies]
        cases.append(Case(endpoint, {"user_api_key": "wrong-key"}, "API key", 401))
        cases.append(Case(endpoint, {"user_api_key": ""}, "user_api_key", 401))
        cases.append(Case(endpoint, {"user_api_key": 5}, "user_api_key", 400))
    return cases


def field_cases(where: dict, job: str) -> list[Case]:
    model = {**where, "model_name": "m"}
    csv = b64(b"x0,x1,x2,label\n1,2,3,1\n")
    cases = []
    for name in ("qq\n", "a/b", "x" * 129, " lead", "trail ", "tab\there", "nul\x00", "", "ünï"):
        cases.append(Case("create_project", {"project_name": name}, "project_name"))
        cases.append(Case("init", {**where, "collection_name": name, "vector_dim": 3},
                          "collection_name"))
        cases.append(Case("train_automl_model", {
            **where, "model_name": name, "training_mode": "high_speed",
            "task_type": "classification", "label_attribute": "label"}, "model_name"))
    for dim, says in ((0, "vector_dim"), (-1, "vector_dim"), (10**12, "AUTOML_MAX_DENSE_DIM"),
                      (1001, "AUTOML_MAX_DENSE_DIM"), ("3", "vector_dim"), (2.5, "vector_dim")):
        cases.append(Case("init", {**where, "collection_name": "d", "vector_dim": dim}, says))
    cases.append(Case("init", {**where, "collection_name": "d", "vector_type": "sparse",
                               "vector_dim": 10**12}, "AUTOML_MAX_SPARSE_DIM"))
    cases.append(Case("init", {**where, "collection_name": "d", "vector_type": "dense3",
                               "vector_dim": 3}, "vector_type"))
    cases.append(Case("init", {**where, "vector_dim": 3}, "already exists", 409))
    for data, says in (([1, 2], "3"), ([1, 2, 3, 4], "3"), ([[1, 2, 3]], "number"),
                       (["a", "b", "c"], "number"), ([1, None, {}], "number"), ([], "data"),
                       ({"1": "x"}, ""), ("1,2,3", "")):
        cases.append(Case("add_data", {**where, "data": data, "string_id": "new"}, says))
    for ids in ([7], [1.5], [True], [None], [""], [["a"]]):
        cases.append(Case("add_data_batch", {**where, "data": [[1, 2, 3]], "string_ids": ids},
                          "string"))
        cases.append(Case("delete_data", {**where, "string_ids": ids}, "string"))
    cases.append(Case("add_data_batch", {**where, "data": [[1, 2, 3]], "string_ids": ["a", "b"]},
                      "string_ids"))
    cases.append(Case("delete_data", {**where, "string_ids": []}, "string_ids"))
    cases.append(Case("delete_data", {**where, "string_ids": "r1"}, "string_ids"))
    for attributes, says in (([{"a": [1]}], "attributes"), (["x"], "attributes"),
                             ([{}, {}], "attributes"), ({"a": 1}, "attributes")):
        cases.append(Case("add_data_batch", {**where, "data": [[1, 2, 3]],
                                             "attributes": attributes}, says))
    cases.append(Case("add_data_batch", {**where, "data": [[1, 2, 3]] * 5001},
                      "AUTOML_MAX_ROWS_PER_REQUEST"))
    cases.append(Case("add_data_batch", {**where, "data": [[1, 2, 3], [1, 2]]}, "3"))
    cases.append(Case("add_data_batch", {**where, "data": [[1, 2, "x"]]}, "number"))
    for file_data, says in (("@@@@", "base64"), ("abc", "base64"),
                            (b64(b"\x1f\x8b\x08\x00broken"), "gzip")):
        cases.append(Case("upload", {**where, "file_data": file_data, "file_format": "csv"},
                          says))
    for fmt in ("xlsx", "parquet", "", "c s v"):
        cases.append(Case("upload", {**where, "file_data": csv, "file_format": fmt},
                          "file_format"))
    cases.append(Case("upload", {**where, "file_data": csv, "file_format": "csv",
                                 "compression_type": "zip"}, "compression_type"))
    cases.append(Case("upload", {**where, "file_data": b64(gzip.compress(b"\0" * (2 << 20))),
                                 "file_format": "binary", "vector_dim": 3},
                      "AUTOML_MAX_FILE_BYTES"))
    members = b"".join(gzip.compress(b"\0" * (300 << 10)) for _ in range(5))
    cases.append(Case("upload", {**where, "file_data": b64(members), "file_format": "binary",
                                 "vector_dim": 3}, "AUTOML_MAX_FILE_BYTES"))
    cases.append(Case("upload", {**where, "file_data": b64(b"1 99999999999:1\n0 1:2\n" * 10),
                                 "file_format": "libsvm"}, "AUTOML_MAX_SPARSE_DIM"))
    cases.append(Case("upload", {**where, "collection_name": "new", "file_data": csv,
                                 "file_format": "binary"}, "vector_dim"))
    cases.append(Case("attach_automl_label", {**where, "file_data": b64(b"y\n1\n"),
                                              "attribute_name": ""}, "attribute_name"))
    cases.append(Case("attach_automl_label", {**where, "file_data": b64(b"y\n1\n"),
                                              "attribute_name": " \n"}, "attribute_name"))
    cases.append(Case("attach_automl_label", {**where, "file_data": "%%%",
                                              "attribute_name": "y"}, "base64"))
    for job_id, status, says in ((5, 404, "Job does not exist"), ("nope", 404, "Job"),
                                 ("", 404, "Job"), (None, 400, "job_id")):
        for endpoint in ("get_upload_data_status", "get_automl_training_status", "cancel_job"):
            cases.append(Case(endpoint, {"job_id": job_id}, says, status))
    cases.append(Case("cancel_job", {"job_id": job}, "already", 409))
    train = {**where, "model_name": "m2", "training_mode": "high_speed",
             "task_type": "classification", "label_attribute": "label"}
    for field, value, says in (
            ("training_mode", "turbo", "training_mode"), ("training_mode", "", "training_mode"),
            ("task_type", "clustering", "task_type"), ("task_type", None, "task_type"),
            ("label_attribute", "nope", "nope"), ("label_attribute", "", "label_attribute"),
            ("time_budget", -1, "time_budget"), ("time_budget", 0, "time_budget"),
            ("time_budget", "fast", "time_budget"), ("categorical_features", ["label"], "label"),
            ("categorical_features", ["nope"], "nope"), ("categorical_features", "color", ""),
            ("seed", "x", "seed")):
        cases.append(Case("train_automl_model", {**train, field: value}, says))
    cases.append(Case("train_automl_model", {**train, "validation_dataset": "nope"}, "nope",
                      404))
    cases.append(Case("train_automl_model", {**train, "model_name": "m"}, "already exists", 409))
    for extra, status, says in (
            ({}, 400, "prediction_dataset"),
            ({"prediction_dataset": "nope"}, 404, "nope"),
            ({"file_data": csv, "file_format": "xlsx"}, 400, "file_format"),
            ({"file_data": "!!", "file_format": "csv"}, 400, "base64"),
            ({"file_data": b64(b"x0,x1,x2\n1,twenty,3\n"), "file_format": "csv",
              "has_field_names": True}, 400, "x1"),
            ({"file_data": b64(b"x0,x1\n1,2\n"), "file_format": "csv",
              "has_field_names": True}, 400, "trained on 3"),
            ({"model_name": "nope", "prediction_dataset": "c"}, 404, "nope")):
        cases.append(Case("automl_predict", {**model, **extra}, says, status))
    for endpoint in ("get_model_validation_metric", "get_feature_importance",
                     "delete_automl_model"):
        cases.append(Case(endpoint, {**where, "model_name": "nope"}, "nope", 404))
        cases.append(Case(endpoint, {**where, "collection_name": "nope", "model_name": "m"},
                          "nope", 404))
        cases.append(Case(endpoint, {**where, "model_name": ["m"]}, "model_name"))
    for endpoint in ("delete_collection", "get_collection_info", "list_automl_model_infos"):
        cases.append(Case(endpoint, {**where, "collection_name": "nope"}, "nope", 404))
        cases.append(Case(endpoint, {**where, "project_name": "nope"}, "nope", 404))
    for endpoint in ("delete_project", "get_collection_list"):
        cases.append(Case(endpoint, {"project_name": "nope"}, "nope", 404))
        cases.append(Case(endpoint, {"project_name": {"a": 1}}, "project_name"))
    return cases


def send(client, case: Case):
    if isinstance(case.body, bytes):
        return client.http.post(f"/api/{case.endpoint}", content=case.body,
                                headers={"content-type": "application/json"})
    body = dict(case.body)
    body.setdefault("user_api_key", client.key)
    return client.http.post(f"/api/{case.endpoint}", content=json.dumps(body),
                            headers={"content-type": "application/json"})


def outcome(client, response) -> tuple[int, str]:
    """The status and message of a refusal; a file accepted for parsing is judged by its job."""
    payload = response.json()
    if response.status_code == 200 and payload.get("job_id", "").startswith(
            ("upload", "attach", "add_data", "delete_data")):
        status = client.wait(payload["job_id"])
        return (400, status["error"]) if status["status"] == "failed" else (200, str(status))
    if payload.get("success") is not False:
        return response.status_code, f"accepted: {payload}"
    return response.status_code, payload["error_message"]


def test_hostile_requests_get_specific_4xx_and_change_nothing(client, world):
    where, job = world
    before = snapshot(client, where)
    cases = envelope_cases() + field_cases(where, job)
    assert len(cases) >= 300
    problems = []
    for case in cases:
        response = send(client, case)
        if response.status_code >= 500:
            problems.append((case, response.status_code, response.text))
            continue
        status, message = outcome(client, response)
        if status != case.status or case.says.lower() not in message.lower() or len(message) < 12:
            problems.append((case, status, message))
    assert problems == [], "\n".join(map(repr, problems))
    assert snapshot(client, where) == before
    assert client.ok("get_project_list")["project_list"] == before["projects"]
