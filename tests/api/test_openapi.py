"""/openapi.json tells the truth: the statuses each operation answers, the error envelope, the
enumerations and rules of the request fields (checked against the server's own functions)."""

import json
import re

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
from tests.conftest import make_settings

ERROR = {"$ref": "#/components/schemas/ErrorResponse"}
SUCCESS = {"$ref": "#/components/schemas/SuccessResponse"}
NOT_FOUND_IMPOSSIBLE = {"/api/create_project", "/api/get_project_list", "/health"}
CONFLICTS = {"/api/create_project", "/api/init", "/api/upload", "/api/upload_automl_X",
             "/api/cancel_job", "/api/train_automl_model", "/api/automl_predict",
             "/api/get_model_validation_metric", "/api/get_feature_importance"}


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
        assert responses["200"]["content"]["application/json"]["schema"] == SUCCESS
        expected = {"413", "500"} if path == "/health" else {"400", "401", "413", "500", "503"}
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
    assert schemas["SuccessResponse"]["properties"]["success"]["const"] is True


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
