"""/openapi.json tells the truth: the statuses each operation answers, the error envelope, the
schema of each operation's success (checked against the real answers of a whole workflow), the
enumerations and rules of the request fields (checked against the server's own functions)."""

import base64
import json
import re

import jsonschema_rs
import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.api import openapi
from app.api.schemas import SPACE
from app.errors import BadRequest
from app.ingest import IngestError, normalize_file_format
from app.ingest.decode import _compression_mode
from app.ingest.ids import id_problem
from app.main import create_app
from app.services.names import check_attribute_name, check_name
from tests.conftest import ALICE, Client, make_settings

ERROR = {"$ref": "#/components/schemas/ErrorResponse"}
GENERIC = ({"$ref": "#/components/schemas/Success"},
           {"$ref": "#/components/schemas/SuccessResponse"})
NOT_FOUND_IMPOSSIBLE = {"/api/create_project", "/api/get_project_list", "/health", "/ready"}
CONFLICTS = {"/api/create_project", "/api/init", "/api/upload", "/api/upload_automl_X",
             "/api/cancel_job", "/api/train_automl_model", "/api/automl_predict",
             "/api/get_model_validation_metric", "/api/get_feature_importance",
             "/api/get_model_leaderboard", "/api/download_automl_model"}


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("openapi") / "data", max_dense_dim=777,
                             max_sparse_dim=8888)
    with TestClient(create_app(settings)) as http:
        response = http.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def request_schema(document, operation) -> dict:
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def matches(pattern: str, value: str) -> bool:
    """JSON Schema's reading of a pattern: a search, where `$` ends the text (ECMA 262)."""
    return re.search(pattern.removesuffix("$") + r"\Z" if pattern.endswith("$") else pattern,
                     value) is not None


def accepted(check, value) -> bool:
    try:
        check(value)
    except (BadRequest, IngestError):
        return False
    return True


def test_no_422_anywhere(document):
    text = json.dumps(document)
    assert '"422"' not in text
    assert "HTTPValidationError" not in text and "ValidationError" not in document[
        "components"]["schemas"]


def test_every_operation_lists_the_statuses_it_answers(document):
    paths = {path for path, _, _ in operations(document)}
    assert paths == set(openapi.STATUSES), "openapi.STATUSES must list every operation"
    for path, method, operation in operations(document):
        responses = operation["responses"]
        assert responses["200"]["content"]["application/json"]["schema"] not in GENERIC
        expected = ({"413", "500"} if path == "/health" else {"413", "500", "503"}
                    if path == "/ready" else {"400", "401", "413", "500", "503"})
        if path not in NOT_FOUND_IMPOSSIBLE:
            expected.add("404")
        if path in CONFLICTS:
            expected.add("409")
        assert set(responses) - {"200"} == expected, (method, path)
        for status in expected:
            assert responses[status]["content"]["application/json"]["schema"] == ERROR
            assert responses[status]["description"]


def test_error_and_success_envelopes(document):
    schemas = document["components"]["schemas"]
    error = schemas["ErrorResponse"]
    assert error["required"] == ["success", "error_message"]
    assert error["properties"]["success"]["const"] is False
    assert error["properties"]["error_message"]["type"] == "string"
    assert error["additionalProperties"] is False
    assert "Success" not in schemas and "SuccessResponse" not in schemas  # all declare their own


def success_schema(document, path: str) -> dict:
    ref = document["paths"][path]["post" if path.startswith("/api/") else "get"][
        "responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


EXTENSION_ENDPOINTS = {"/api/get_collection_info", "/api/cancel_job", "/api/list_jobs",
                       "/api/download_automl_model", "/api/get_model_leaderboard",
                       "/health", "/ready"}
EXTENSION_FIELDS = {
    "JobStatusResponse": {"job_id", "job_type", "progress", "current_step", "leaderboard",
                  "num_training_samples", "num_inserted", "num_deleted", "num_labelled",
                  "project_name", "collection_name"},
    "PredictionResponse": {"classes", "probabilities", "explanations"},
    "FeatureImportanceResponse": {"importance_type", "metric", "num_rows", "n_repeats"},
    "Importance": {"std"},
    "DownloadModelResponse": {"model_data", "format_version", "manifest"},
}


def test_every_operation_declares_its_own_success_schema(document):
    """No generic envelope: each success names its fields, allows no others, and says which
    are extensions of VecML's API."""
    schemas = document["components"]["schemas"]
    for path, _, _ in operations(document):
        schema = success_schema(document, path)
        assert schema["additionalProperties"] is False, path
        assert schema["required"][0] == "success", path
        assert schema["properties"]["success"]["const"] is True, path
        for name, prop in schema["properties"].items():
            assert prop.get("description"), (path, name)
        assert schema.get("description", "").startswith("Extension") == (
            path in EXTENSION_ENDPOINTS), path
    for model, fields in EXTENSION_FIELDS.items():
        for name, prop in schemas[model]["properties"].items():
            assert prop["description"].startswith("Extension") == (name in fields), (model, name)
    model_infos = schemas["ModelInfosResponse"]["properties"]["model_infos"]["items"]["anyOf"]
    assert model_infos[0]["type"] == "array" and len(model_infos[0]["prefixItems"]) == 5
    assert model_infos[1] == {"$ref": "#/components/schemas/ModelInfo"}
    metric = schemas["ValidationMetricResponse"]["properties"]["validation_metric"]["anyOf"]
    assert metric == [{"$ref": "#/components/schemas/ClassificationMetric"}, {"type": "number"}]


def test_every_request_field_has_a_description_and_the_key_is_required(document):
    for path, _, operation in operations(document):
        if "requestBody" not in operation:
            continue
        schema = request_schema(document, operation)
        assert schema["required"][0] == "user_api_key", path
        assert schema["properties"]["user_api_key"]["type"] == "string"
        assert schema["properties"]["user_api_key"]["minLength"] == 1
        for name, field in schema["properties"].items():
            assert field.get("description"), (path, name)


def field(document, model: str, name: str) -> dict:
    """A property's schema, the non-null branch of an optional one."""
    schema = document["components"]["schemas"][model]["properties"][name]
    branches = [b for b in schema.get("anyOf", [schema]) if b.get("type") != "null"]
    return branches[0] if len(branches) == 1 else {"anyOf": branches}


def test_enumerations(document):
    assert field(document, "TrainRequest", "training_mode")["enum"] == [
        "high_speed", "balanced", "high_accuracy", "auto"]
    assert field(document, "TrainRequest", "task_type")["enum"] == [
        "classification", "regression"]
    for model in ("InitRequest", "UploadRequest", "UploadAutomlXRequest"):
        assert field(document, model, "vector_type")["enum"] == ["dense", "sparse"]


SPELLINGS = ["csv", "CSV", "Json", " jsonl ", "NDJSON", "libsvm", "SvmLight", "binary", "BIN",
             "\tcsv\n", "xlsx", "parquet", "", "c s v", "csv2", "jsonlines", "json l", "bin\x00",
             "\u3000csv"]


def test_file_format_pattern_is_the_servers_rule(document):
    upload = field(document, "UploadRequest", "file_format")["pattern"]
    predict = field(document, "PredictRequest", "file_format")["pattern"]
    for value in SPELLINGS:
        assert matches(upload, value) == accepted(normalize_file_format, value), value
        assert matches(predict, value) == accepted(
            lambda v: normalize_file_format(v, ("csv", "json", "libsvm")), value), value
    assert matches(upload, "CSV") and matches(upload, "svmlight") and not matches(upload, "xlsx")


def test_compression_pattern_is_the_servers_rule(document):
    pattern = field(document, "UploadRequest", "compression_type")["pattern"]
    for value in ["gzip", "GZIP", " Gzip ", "none", "NONE", "", "  ", "\u2003gzip", "zip",
                  "gz", "gzip2", "g zip", "bzip2", "none\x00"]:
        assert matches(pattern, value) == accepted(_compression_mode, value), repr(value)


NAMES = ["qq", "qq\n", "a/b", "x" * 128, "x" * 129, " lead", "trail ", "in side", "tab\there",
         "nul\x00", "", "ünï", "a.b-c_d", ".", "-"]


def test_name_patterns_are_the_servers_rule(document):
    project = field(document, "ProjectRequest", "project_name")["pattern"]
    collection = field(document, "CollectionRequest", "collection_name")["pattern"]
    model = field(document, "ModelRequest", "model_name")["pattern"]
    for value in NAMES:
        assert matches(project, value) == accepted(
            lambda v: check_name("project_name", v), value), repr(value)
        assert matches(collection, value) == accepted(
            lambda v: check_name("collection_name", v), value), repr(value)
        assert matches(model, value) == accepted(
            lambda v: check_name("model_name", v), value), repr(value)


TEXTS = ["label", " label", "label ", "two words", "", " ", "\u3000", "\xa0x", "a\nb", "a\tb",
         "a\x7fb", "a\x85b", "\x9f", "ünï", "x" * 200, "x" * 201, "x" * 256, "x" * 257,
         "x" * 1024, "x" * 1025]


def check_id(value: str) -> None:
    if id_problem(value):
        raise BadRequest(id_problem(value))


def length_ok(schema: dict, value: str) -> bool:
    return schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value))


@pytest.mark.parametrize("model, name, check", [
    ("TrainRequest", "label_attribute", lambda v: check_attribute_name("label_attribute", v)),
    ("AttachLabelRequest", "attribute_name",
     lambda v: check_attribute_name("attribute_name", v)),
    ("AddDataRequest", "string_id", check_id),
])
def test_text_patterns_are_the_servers_rule(document, model, name, check):
    schema = field(document, model, name)
    for value in TEXTS:
        assert (matches(schema["pattern"], value) and length_ok(schema, value)) == accepted(
            check, value), (name, repr(value))


def test_string_ids_and_job_ids(document):
    assert field(document, "AddDataBatchRequest", "string_ids")["items"] == field(
        document, "AddDataRequest", "string_id")
    assert field(document, "DeleteDataRequest", "string_ids")["minItems"] == 1
    job_id = field(document, "JobRequest", "job_id")
    assert {branch["type"] for branch in job_id["anyOf"]} == {"string", "integer"}


def test_widths_are_this_servers_limits(document):
    init = document["components"]["schemas"]["InitRequest"]["anyOf"]
    dense, sparse = (branch["properties"] for branch in init)
    assert dense["vector_type"]["const"] == "dense"
    assert dense["vector_dim"]["maximum"] == 777
    assert sparse["vector_dim"]["anyOf"][0]["maximum"] == 8888
    upload = document["components"]["schemas"]["UploadRequest"]["anyOf"]
    assert [b["properties"]["vector_dim"]["anyOf"][0]["maximum"] for b in upload] == [
        777, 8888, 8888]


def test_space_class_is_what_str_strip_removes():
    space = re.compile(f"[{SPACE}]")
    assert [c for c in map(chr, range(0x110000)) if space.fullmatch(c)] == [
        c for c in map(chr, range(0x110000)) if c.isspace()]


# ---- the declared success schemas against real answers ----


class Checked(Client):
    """A client whose every answer is validated against its operation's schema in the
    server's own /openapi.json: the success schema for a 200, the error envelope otherwise."""

    def __init__(self, http: TestClient, document: dict, seen: set[str]):
        super().__init__(http, ALICE)
        self.document, self.seen = document, seen
        self._validators: dict[tuple[str, int], jsonschema_rs.Validator] = {}

    def validator(self, path: str, status: int) -> jsonschema_rs.Validator:
        if (path, status) not in self._validators:
            ref = self.document["paths"][path]["post"]["responses"][str(status)]["content"][
                "application/json"]["schema"]["$ref"]
            self._validators[path, status] = jsonschema_rs.Draft202012Validator(
                {"$ref": ref, "components": self.document["components"]})
        return self._validators[path, status]

    def post(self, endpoint: str, **body):
        response = super().post(endpoint, **body)
        path = f"/api/{endpoint}"
        errors = [f"{e.instance_path}: {e.message}" for e in
                  self.validator(path, response.status_code).iter_errors(response.json())]
        assert not errors, (path, response.status_code, errors[:5], response.text[:2000])
        if response.status_code == 200:
            self.seen.add(path)
        return response


class HeldTrainings:
    """The app's job runner; trainings submitted while `hold` is set stay pending."""

    def __init__(self, runner):
        self.runner, self.hold = runner, False

    def submit(self, job_id: str, kind: str) -> None:
        if not (self.hold and kind == "train"):
            self.runner.submit(job_id, kind)

    def shutdown(self) -> None:
        self.runner.shutdown()


def _rows(n: int, seed: int):
    x = np.random.default_rng(seed).normal(size=(n, 3))
    labels = [{"label": "yes" if a > 0 else "no", "y": float(2 * a + b), "colour": c}
              for (a, b, _), c in zip(x, ["red", "green", "blue"] * n, strict=False)]
    return x.round(4).tolist(), labels


def test_real_answers_match_the_declared_success_schemas(tmp_path):
    """A whole workflow, each answer validated against /openapi.json: projects, datasets, data
    jobs of every kind, trainings of both tasks, predictions with and without labels and
    probabilities, metrics, importance, model listings in both formats, jobs listed and
    cancelled, deletions; every operation answers 200 at least once."""
    seen: set[str] = set()
    settings = make_settings(tmp_path / "data")
    with TestClient(create_app(settings)) as http:
        document = http.get("/openapi.json").json()
        health = http.get("/health")
        assert jsonschema_rs.Draft202012Validator(
            {**success_schema(document, "/health"),
             "components": document["components"]}).is_valid(health.json())
        api = http.app.state.api
        api.runner = runner = HeldTrainings(api.runner)
        c = Checked(http, document, seen)
        c.ok("create_project", project_name="P", application="Machine Learning")
        c.fails("create_project", 409, project_name="P")
        c.ok("get_project_list")
        where = {"project_name": "P", "collection_name": "train"}
        c.ok("init", **where, vector_type="dense", vector_dim=3)
        c.ok("init", project_name="P", collection_name="sparse", vector_type="sparse")
        c.ok("get_collection_info", project_name="P", collection_name="sparse")  # no width
        data, attributes = _rows(80, 1)
        batch = c.ok("add_data_batch", **where, data=data, attributes=attributes,
                     string_ids=[f"r{i}" for i in range(80)])["job_id"]
        assert c.finished(batch)["num_inserted"] == 80
        one = c.ok("add_data", **where, string_id="extra", data=[0.1, 0.2, 0.3],
                   attributes={"label": "yes", "y": 1.0, "colour": "red"})["job_id"]
        c.finished(one)
        c.finished(c.ok("delete_data", **where, string_ids=["extra", "nobody"])["job_id"])
        duplicate = c.ok("add_data_batch", **where, data=data[:1], string_ids=["r0"])["job_id"]
        assert c.wait(duplicate)["status"] == "failed"  # a failed data job's view
        c.ok("get_collection_list", project_name="P")
        assert c.ok("get_collection_info", **where)["num_vectors"] == 80

        csv = "a,b,c,colour\n" + "".join(f"{i},{i % 3},{i % 5},red\n" for i in range(20))
        named = {"project_name": "P", "collection_name": "named"}
        upload = c.ok("upload", **named, file_data=_b64(csv), file_format="csv",
                      has_field_names=True)["job_id"]
        c.finished(upload)
        assert c.ok("get_collection_info", **named)["feature_names"] == ["a", "b", "c"]
        x_job = c.ok("upload_automl_X", project_name="P", collection_name="x",
                     X=_b64("a,b\n1,2\n3,4\n5,6\n"), has_field_names=True)["job_id"]
        c.finished(x_job)
        labels = c.ok("attach_automl_label", project_name="P", collection_name="x",
                      file_data=_b64("target\nu\nv\nu\n"), file_format="csv",
                      has_field_names=True, attribute_name="target")["job_id"]
        assert c.finished(labels, "get_automl_training_status")["num_labelled"] == 3

        train = {"training_mode": "high_speed", "time_budget": 2, "seed": 1}
        clf = c.ok("train_automl_model", **where, model_name="clf", task_type="classification",
                   label_attribute="label", categorical_features=["colour"], **train)["job_id"]
        reg = c.ok("train_automl_model", **where, model_name="reg", task_type="regression",
                   label_attribute="y", **train)["job_id"]
        status = c.finished(clf, "get_automl_training_status", timeout=120)
        assert isinstance(status["validation_metric"], dict) and status["leaderboard"]
        status = c.finished(reg, "get_automl_training_status", timeout=120)
        assert isinstance(status["validation_metric"], float)

        new = {"project_name": "P", "collection_name": "new"}
        c.ok("init", **new, vector_dim=3)
        fresh, _ = _rows(7, 2)
        c.finished(c.ok("add_data_batch", **new, data=fresh,
                        attributes=[{"colour": "blue"}] * 7)["job_id"])
        model = {**where, "model_name": "clf"}
        plain = c.ok("automl_predict", **model, prediction_dataset="new")
        assert plain["num_samples"] == 0 and "prediction_metric" not in plain
        scored = c.ok("automl_predict", **model, prediction_dataset="train",
                      return_probabilities=True)
        assert isinstance(scored["prediction_metric"], dict) and scored["probabilities"]
        regression = c.ok("automl_predict", **where, model_name="reg",
                          prediction_dataset="train", return_probabilities=True)
        assert isinstance(regression["prediction_metric"], float)
        assert isinstance(c.ok("get_model_validation_metric", **where,
                               model_name="reg")["validation_metric"], float)
        assert isinstance(c.ok("get_model_validation_metric", **model)["validation_metric"],
                          dict)
        c.ok("get_feature_importance", **model)
        assert c.ok("get_model_leaderboard", **model)["leaderboard"]
        assert c.ok("download_automl_model", **model)["manifest"]["classes"]
        assert "classes" not in c.ok("download_automl_model", **where,
                                     model_name="reg")["manifest"]
        assert c.ok("list_automl_model_infos", **where)["model_infos"][0][0] == "clf"

        runner.hold = True
        held = c.ok("train_automl_model", **where, model_name="held",
                    task_type="classification", label_attribute="label", **train)["job_id"]
        assert c.ok("get_automl_training_status", job_id=held)["status"] == "pending"
        assert c.ok("cancel_job", job_id=held)["error"] == "cancelled by the user"
        assert c.ok("get_automl_training_status", job_id=held)["status"] == "failed"
        runner.hold = False
        c.fails("cancel_job", 409, job_id=clf)
        c.fails("get_model_validation_metric", 409, **where, model_name="held")
        listed = c.ok("list_jobs")
        assert listed["total"] == len(listed["jobs"]) >= 10
        c.ok("list_jobs", **where, kind="train", status="finished", limit=1, offset=1)

        with TestClient(create_app(make_settings(tmp_path / "data",
                                                 model_infos_format="objects"))) as objects:
            infos = Checked(objects, document, seen).ok("list_automl_model_infos", **where)
            assert infos["model_infos"][0]["model_name"] == "clf"

        c.ok("delete_automl_model", **model)
        c.ok("delete_collection", **new)
        c.ok("delete_project", project_name="P")
        c.fails("get_upload_data_status", 404, job_id="nothing")
    assert seen == {path for path in document["paths"] if path.startswith("/api/")}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
