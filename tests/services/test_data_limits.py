"""The data services' refusals, through the API of a small embedded app: limits (width, rows,
decompressed bytes), file formats, text in numeric columns, ids, label names and prediction
files. Each refusal is a 400 whose message says what is wrong and how to fix it, and stores
nothing."""

import base64
import gzip

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.errors import BadRequest
from app.main import create_app
from app.services import data
from tests.conftest import Client, make_settings

MB = 1_000_000
LIMITS = {"max_file_bytes": 8 * MB, "max_dense_dim": 4, "max_sparse_dim": 1000,
          "max_rows_per_request": 5}


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def app_client(tmp_path, **limits):
    """An embedded app with these limits (the routers pass them to the services)."""
    return TestClient(create_app(make_settings(tmp_path / "data", **limits)))


@pytest.fixture
def limited(tmp_path):
    with app_client(tmp_path, **LIMITS) as http:
        client = Client(http)
        client.ok("create_project", project_name="P", application="Machine Learning")
        yield client


@pytest.fixture
def client(tmp_path):
    with app_client(tmp_path) as http:
        client = Client(http)
        client.ok("create_project", project_name="P", application="Machine Learning")
        yield client


def where(name: str = "c") -> dict:
    return {"project_name": "P", "collection_name": name}


def collections(client) -> list:
    return client.ok("get_collection_list", project_name="P")["collection_list"]


# ---- limits ----

def test_upload_vector_dim_over_the_limit(limited):
    csv = b64(b"a,b\n1,2\n")
    msg = limited.fails("upload", 400, **where(), file_data=csv, file_format="csv",
                        vector_dim=5)
    assert "vector_dim is 5" in msg and "AUTOML_MAX_DENSE_DIM" in msg
    msg = limited.fails("upload", 400, **where(), file_data=b64(b"1 1:1\n"),
                        file_format="libsvm", vector_dim=1001)
    assert "AUTOML_MAX_SPARSE_DIM" in msg
    assert collections(limited) == []


def test_a_huge_libsvm_index_fails_the_upload_and_stores_nothing(client):
    """20 rows, one index of 99,999,999,999, under the default limits."""
    raw = b"1 1:0.5 3:1\n" * 19 + b"0 99999999999:1.5\n"
    status = client.wait(client.ok("upload", **where(), file_data=b64(raw),
                                   file_format="libsvm")["job_id"])
    assert status["status"] == "failed"
    assert "AUTOML_MAX_SPARSE_DIM" in status["error"] and "line 20" in status["error"]
    assert collections(client) == []


def test_rows_per_request(limited):
    limited.ok("init", **where(), vector_dim=2)
    msg = limited.fails("add_data_batch", 400, **where(), data=[[1, 2]] * 6)
    assert "6 rows" in msg and "AUTOML_MAX_ROWS_PER_REQUEST" in msg
    msg = limited.fails("delete_data", 400, **where(), string_ids=[str(i) for i in range(6)])
    assert "AUTOML_MAX_ROWS_PER_REQUEST" in msg
    limited.finished(limited.ok("add_data_batch", **where(), data=[[1, 2]] * 5)["job_id"])
    status = limited.wait(limited.ok("upload", **where(), file_data=b64(b"x,y\n" + b"1,2\n" * 6),
                                     file_format="csv", has_field_names=True)["job_id"])
    assert status["status"] == "failed" and "AUTOML_MAX_ROWS_PER_REQUEST" in status["error"]
    assert limited.ok("get_collection_info", **where())["num_vectors"] == 5


def test_widths_of_add_data(limited):
    limited.ok("init", **where("s"), vector_type="sparse")
    msg = limited.fails("add_data", 400, **where("s"), data={"1000": 1.0})
    assert "index 1000" in msg and "AUTOML_MAX_SPARSE_DIM" in msg
    limited.finished(limited.ok("add_data", **where("s"), data={"999": 1.0})["job_id"])
    # a dense collection whose width comes from its first upload
    limited.finished(limited.ok("upload", **where("d"), file_data=b64(b"a,b\n1,2\n"),
                                file_format="csv")["job_id"])
    msg = limited.fails("add_data_batch", 400, **where("d"), data=[[1, 2, 3, 4, 5]])
    assert "data[0] has 5 values" in msg and "AUTOML_MAX_DENSE_DIM" in msg


def test_gzip_members_count_together_and_are_refused_by_the_request(limited):
    """12 members of 2 MB of zeros (24 MB inflated, 24 KB sent) over an 8 MB limit."""
    members = gzip.compress(b"\0" * (2 * MB), compresslevel=9) * 12
    msg = limited.fails("upload", 400, **where(), file_data=b64(members), file_format="binary",
                        vector_dim=2)
    assert "AUTOML_MAX_FILE_BYTES" in msg and "8000000" in msg
    assert collections(limited) == []


def test_a_gzip_upload_is_inflated_by_its_job(client):
    lines = [b"x,y,label\n"] + [f"{i},{i * 2},{i % 2}\n".encode() for i in range(30)]
    members = b"".join(gzip.compress(b"".join(lines[k:k + 7])) for k in range(0, 31, 7))
    status = client.finished(client.ok("upload", **where(), file_data=b64(members),
                                       file_format="csv", label_column="label")["job_id"])
    assert status["num_inserted"] == 30
    assert client.ok("get_collection_info", **where())["feature_names"] == ["x", "y"]


# ---- file formats ----

@pytest.mark.parametrize(("fmt", "raw", "options"), [
    ("CSV", b"a,b\n1,2\n", {}),
    ("jsonl", b'{"data": [1, 2]}\n{"data": [3, 4]}\n', {}),
    ("NDJSON", b'{"data": [1, 2]}\n', {}),
    ("svmlight", b"1 1:1\n", {}),
    ("bin", np.zeros((2, 2), dtype="<f4").tobytes(), {"vector_dim": 2}),
])
def test_file_format_names_and_aliases(client, fmt, raw, options):
    client.finished(client.ok("upload", **where(), file_data=b64(raw), file_format=fmt,
                              **options)["job_id"])


def test_unknown_file_format(client):
    msg = client.fails("upload", 400, **where(), file_data=b64(b"a\n1\n"), file_format="xlsx")
    assert "file_format" in msg and '"csv"' in msg


# ---- text in numeric columns ----

AGES = "age,height,label\n" + "".join(f"{20 + i},{150 + i},{i % 2}\n" for i in range(10))


def test_text_in_a_numeric_column_of_an_upload(client):
    raw = (AGES + "twenty,170,1\n").encode()
    status = client.wait(client.ok("upload", **where(), file_data=b64(raw), file_format="csv",
                                   label_column="label")["job_id"])
    assert status["status"] == "failed"
    assert "line 12" in status["error"] and "'age'" in status["error"]
    assert "categorical_features" in status["error"]
    assert collections(client) == []
    # into a collection whose vector columns are known, one text value is enough
    client.finished(client.ok("upload", **where(), file_data=b64(AGES.encode()),
                              file_format="csv", label_column="label")["job_id"])
    status = client.wait(client.ok("upload", **where(), file_format="csv", label_column="label",
                                   file_data=b64(b"age,height,label\ntwenty,170,1\n"))["job_id"])
    assert status["status"] == "failed" and "line 2" in status["error"]
    assert "'age'" in status["error"] and "'twenty'" in status["error"]
    assert client.ok("get_collection_info", **where())["num_vectors"] == 10


# ---- ids and names ----

@pytest.mark.parametrize(("ids", "says"), [
    ([7], 'string_ids[0] is 7 (a number); ids are strings: send "7"'),
    ([1.5], 'string_ids[0] is 1.5 (a number); ids are strings: send "1.5"'),
    ([True], "string_ids[0] is true (a boolean); ids are strings"),
    ([None], "string_ids[0] is null (null); ids are strings"),
    ([["a"]], "(a list); ids are strings"),
    ([""], 'string_ids[0] "" is empty'),
    (["a\nb"], "control character '\\n'"),
    (["x" * 1025], "at most 1024"),
])
def test_ids_must_be_strings(client, ids, says):
    client.ok("init", **where(), vector_dim=2)
    client.finished(client.ok("add_data_batch", **where(), data=[[1, 2]],
                              string_ids=["a"])["job_id"])
    assert says in client.fails("add_data_batch", 400, **where(), data=[[1, 2]], string_ids=ids)
    assert says in client.fails("delete_data", 400, **where(), string_ids=ids)
    assert client.ok("get_collection_info", **where())["num_vectors"] == 1


def test_add_data_string_id(client):
    client.ok("init", **where(), vector_dim=2)
    msg = client.fails("add_data", 400, **where(), data=[1, 2], string_id="a\tb")
    assert "string_id" in msg and "control character" in msg


@pytest.mark.parametrize("name", ["", "  ", " \n", "a\nb", "y\x00", "y" * 300])
def test_attach_label_needs_a_plain_attribute_name(client, name):
    client.ok("init", **where(), vector_dim=2)
    client.finished(client.ok("add_data_batch", **where(), data=[[1, 2]])["job_id"])
    msg = client.fails("attach_automl_label", 400, **where(), file_data=b64(b"y\n1\n"),
                       file_format="csv", attribute_name=name)
    assert "attribute_name" in msg
    assert client.ok("get_collection_info", **where())["attribute_names"] == []


# ---- service functions ----

def test_check_vector_dim_is_a_bad_request():
    limits = data.IngestLimits(1, max_dense_dim=4, max_sparse_dim=10, max_rows=1)
    with pytest.raises(BadRequest, match="AUTOML_MAX_DENSE_DIM"):
        data.check_vector_dim("dense", 10**12, limits)
    with pytest.raises(BadRequest, match="AUTOML_MAX_SPARSE_DIM"):
        data.check_vector_dim("sparse", 11, limits)
    with pytest.raises(BadRequest, match="positive integer"):
        data.check_vector_dim("dense", 0, limits)
    data.check_vector_dim("sparse", 10, limits)
    data.check_vector_dim("dense", None, limits)


def test_check_file_format():
    assert data.check_file_format("SvmLight") == "libsvm"
    with pytest.raises(BadRequest, match="cannot be used here"):
        data.check_file_format("binary", data.FILE_FORMATS[:3])


# ---- prediction files ----

@pytest.fixture
def models(client):
    """A model on named columns (age, height) and one on unnamed vectors (3 wide)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    lines = ["age,height,label"] + [f"{20 + 10 * a:.3f},{170 + 10 * b:.3f},{int(a > 0)}"
                                    for a, b, _ in x]
    client.finished(client.ok("upload", **where("named"), file_format="csv",
                              label_column="label",
                              file_data=b64("\n".join(lines).encode()))["job_id"])
    client.ok("init", **where("plain"), vector_dim=3)
    client.finished(client.ok("add_data_batch", **where("plain"), data=x.tolist(),
                              attributes=[{"label": str(int(v > 0))} for v in x[:, 0]])["job_id"])
    for name in ("named", "plain"):
        client.finished(client.ok("train_automl_model", **where(name), model_name="m",
                                  training_mode="high_speed", task_type="classification",
                                  label_attribute="label", time_budget=2)["job_id"],
                        "get_automl_training_status")
    return client


def test_predict_a_headerless_csv_of_bare_vectors(models):
    raw = b"25,160\n35,180\n"
    result = models.ok("automl_predict", **where("named"), model_name="m", file_format="csv",
                       has_field_names=False, file_data=b64(raw))
    assert len(result["predictions"]) == 2
    result = models.ok("automl_predict", **where("plain"), model_name="m", file_format="CSV",
                       file_data=b64(b"0.1,0.2,0.3\n-1,0,1\n"))
    assert len(result["predictions"]) == 2


def test_predict_with_text_in_a_numeric_column(models):
    raw = b"age,height\n30,170\ntwenty,180\n"
    msg = models.fails("automl_predict", 400, **where("named"), model_name="m",
                       file_format="csv", has_field_names=True, file_data=b64(raw))
    assert "line 3" in msg and "'age'" in msg and "'twenty'" in msg
    msg = models.fails("automl_predict", 400, **where("plain"), model_name="m",
                       file_format="csv", has_field_names=True,
                       file_data=b64(b"x0,x1,x2\n1,twenty,3\n"))
    assert "line 2" in msg and "'x1'" in msg and "'twenty'" in msg


def test_predict_file_formats(models):
    ok = models.ok("automl_predict", **where("plain"), model_name="m", file_format="jsonl",
                   file_data=b64(b'{"data": [0.1, 0.2, 0.3]}\n'))
    assert len(ok["predictions"]) == 1
    msg = models.fails("automl_predict", 400, **where("plain"), model_name="m",
                       file_format="xlsx", file_data=b64(b"1,2,3\n"))
    assert "file_format" in msg


def test_predict_file_over_the_byte_limit(tmp_path):
    with app_client(tmp_path, max_file_bytes=MB) as http:
        client = Client(http)
        client.ok("create_project", project_name="P", application="Machine Learning")
        client.ok("init", **where(), vector_dim=1)
        client.finished(client.ok("add_data_batch", **where(), data=[[float(i)] for i in range(20)],
                                  attributes=[{"label": str(i % 2)} for i in range(20)])["job_id"])
        client.finished(client.ok("train_automl_model", **where(), model_name="m",
                                  training_mode="high_speed", task_type="classification",
                                  label_attribute="label", time_budget=2)["job_id"],
                        "get_automl_training_status")
        members = gzip.compress(b"1\n" * (MB // 4)) * 3
        msg = client.fails("automl_predict", 400, **where(), model_name="m", file_format="csv",
                           file_data=b64(members))
        assert "AUTOML_MAX_FILE_BYTES" in msg


def test_a_long_bad_id_is_shown_shortened(client):
    client.ok("init", **where(), vector_dim=2)
    msg = client.fails("add_data_batch", 400, **where(), data=[[1, 2]],
                       string_ids=[["x" * 500]])
    assert len(msg) < 200 and '["xxx' in msg and "..." in msg


@pytest.mark.parametrize("vector_type", ["Dense", "dense8Bit", " sparse "])
def test_upload_into_an_existing_dataset_checks_vector_type(client, vector_type):
    client.ok("init", **where(), vector_dim=2)
    msg = client.fails("upload", 400, **where(), file_format="csv", has_field_names=False,
                       vector_type=vector_type, file_data=b64(b"1,2\n"))
    assert "vector_type" in msg
