"""The server's limits (width, rows) at the parser level: each is refused with a message that
names the limit's AUTOML_* setting, before anything as wide as the offending vector is built."""

import json

import numpy as np
import pytest
from scipy import sparse

from app.ingest import (
    IngestError,
    IngestLimits,
    ParseOptions,
    TooLarge,
    check_vector_dim,
    normalize_file_format,
    parse_file,
    parse_vectors,
)

from .conftest import error_of

LIMITS = IngestLimits(max_file_bytes=1 << 20, max_dense_dim=4, max_sparse_dim=1000, max_rows=5)


def parse(raw: bytes, **options):
    return parse_file(raw, ParseOptions(limits=options.pop("limits", LIMITS), **options))


# ---- libsvm ----

@pytest.mark.usefixtures("both_readers")
def test_a_huge_libsvm_index_is_refused_with_its_line():
    """20 rows, one index of 99,999,999,999: refused (with the default limit too), naming the
    setting and the line, without a matrix of that width."""
    raw = b"1 1:0.5 3:1\n" * 19 + b"0 2:1 99999999999:1.5\n"
    default = IngestLimits(800 << 20, 100_000, 1 << 24, 2_000_000)
    msg = error_of(parse, raw, file_format="libsvm", limits=default)
    assert "line 20" in msg and "99999999999" in msg and "AUTOML_MAX_SPARSE_DIM" in msg
    assert "16777216" in msg


@pytest.mark.usefixtures("both_readers")
def test_a_libsvm_index_just_over_the_limit():
    # 1-based: index 1000 makes the vectors 1000 wide (fine), 1001 does not fit
    assert parse(b"1 1000:1\n", file_format="libsvm", limits=LIMITS).vectors.shape[1] == 1000
    msg = error_of(parse, b"1 1:1\n0 1001:1\n", file_format="libsvm")
    assert "line 2" in msg and "1001 wide" in msg and "AUTOML_MAX_SPARSE_DIM" in msg
    # 0-based (some index is 0): index 999 is the widest that fits
    assert parse(b"1 0:1 999:1\n", file_format="libsvm").vectors.shape[1] == 1000
    assert "AUTOML_MAX_SPARSE_DIM" in error_of(parse, b"1 0:1 1000:1\n", file_format="libsvm")


@pytest.mark.usefixtures("both_readers")
def test_an_index_with_thousands_of_digits():
    raw = b"1 1:1\n0 " + b"9" * 5000 + b":1\n"
    msg = error_of(parse, raw, file_format="libsvm")
    assert "line 2" in msg and "AUTOML_MAX_SPARSE_DIM" in msg and len(msg) < 1000
    assert "far too large" in error_of(parse, raw, file_format="libsvm", limits=None)


@pytest.mark.usefixtures("both_readers")
def test_an_index_in_a_comment_is_not_the_one_reported():
    raw = b"1 1:1 # see 5000:1\n0 1:1\n1 3000:2\n"
    assert "line 3" in error_of(parse, raw, file_format="libsvm")


@pytest.mark.usefixtures("both_readers")
def test_libsvm_read_as_dense_has_the_dense_limit():
    msg = error_of(parse, b"1 1:1 5:1\n", file_format="libsvm", vector_type="dense")
    assert "AUTOML_MAX_DENSE_DIM" in msg and "sparse" in msg
    assert parse(b"1 1:1 4:1\n", file_format="libsvm", vector_type="dense").vectors.shape == (1, 4)


@pytest.mark.usefixtures("both_readers")
def test_libsvm_vector_dim_over_the_limit():
    msg = error_of(parse, b"1 1:1\n", file_format="libsvm", vector_dim=5000)
    assert "vector_dim is 5000" in msg and "AUTOML_MAX_SPARSE_DIM" in msg


@pytest.mark.usefixtures("both_readers")
def test_libsvm_rows():
    with pytest.raises(TooLarge) as info:
        parse(b"1 1:1\n" * 6, file_format="libsvm")
    assert "6 rows" in str(info.value) and "AUTOML_MAX_ROWS_PER_REQUEST" in str(info.value)
    assert parse(b"1 1:1\n" * 5, file_format="libsvm").n == 5


# ---- csv, json, binary ----

@pytest.mark.usefixtures("both_readers")
def test_csv_too_many_columns_is_refused_before_parsing():
    header = ",".join(f"f{j}" for j in range(50))
    raw = f"{header}\n" + ",".join("1" * 50) + "\n"
    msg = error_of(parse, raw.encode(), file_format="csv")
    assert "line 1 has 50 fields" in msg and "AUTOML_MAX_DENSE_DIM" in msg


@pytest.mark.usefixtures("both_readers")
def test_csv_vector_columns_at_and_over_the_limit():
    ok = b"id,a,b,c,d,label,color\nr1,1,2,3,4,0,red\n"
    rows = parse(ok, file_format="csv", label_column="label")
    assert rows.vectors.shape == (1, 4)
    wide = b"id,a,b,c,d,e,label\nr1,1,2,3,4,5,0\n"
    msg = error_of(parse, wide, file_format="csv", label_column="label")
    assert "5 vector columns" in msg and "AUTOML_MAX_DENSE_DIM" in msg


@pytest.mark.usefixtures("both_readers")
def test_csv_rows():
    raw = b"a,b\n" + b"1,2\n" * 6
    msg = error_of(parse, raw, file_format="csv", has_field_names=True)
    assert "6 rows" in msg and "AUTOML_MAX_ROWS_PER_REQUEST" in msg
    assert parse(b"1,2\n" * 5, file_format="csv", has_field_names=False).n == 5


def test_json_limits():
    wide = json.dumps([[1, 2, 3, 4, 5]]).encode()
    assert "AUTOML_MAX_DENSE_DIM" in error_of(parse, wide, file_format="json")
    far = json.dumps([{"data": {"5": 1.0}}, {"data": {"1000": 1.0}}]).encode()
    msg = error_of(parse, far, file_format="json", vector_type="sparse")
    assert "record 1" in msg and "index 1000" in msg and "AUTOML_MAX_SPARSE_DIM" in msg
    many = json.dumps([[1, 2]] * 6).encode()
    assert "AUTOML_MAX_ROWS_PER_REQUEST" in error_of(parse, many, file_format="json")
    batch = json.dumps({"data": [[1, 2]] * 6, "string_ids": [str(i) for i in range(6)]})
    assert "AUTOML_MAX_ROWS_PER_REQUEST" in error_of(parse, batch.encode(), file_format="json")
    keys = json.dumps([{f"k{j}": j for j in range(20)}]).encode()
    msg = error_of(parse, keys, file_format="json")
    assert "20 different keys" in msg and "AUTOML_MAX_DENSE_DIM" in msg


def test_binary_limits():
    raw = np.zeros((6, 2), dtype="<f4").tobytes()
    assert "AUTOML_MAX_ROWS_PER_REQUEST" in error_of(parse, raw, file_format="binary",
                                                      vector_dim=2)
    msg = error_of(parse, raw, file_format="binary", vector_dim=6)
    assert "vector_dim is 6" in msg and "AUTOML_MAX_DENSE_DIM" in msg


@pytest.mark.usefixtures("both_readers")
def test_no_limits_means_none():
    raw = b"1 1:1\n" * 6
    assert parse(raw, file_format="libsvm", limits=None).n == 6


# ---- JSON bodies ----

def test_parse_vectors_limits():
    with pytest.raises(TooLarge) as info:
        parse_vectors([[1.0]] * 6, vector_type="dense", vector_dim=None, limits=LIMITS)
    assert "data has 6 rows" in str(info.value)
    msg = error_of(parse_vectors, [[1, 2, 3, 4, 5]], vector_type="dense", vector_dim=None,
                   limits=LIMITS)
    assert "data[0] has 5 values" in msg and "AUTOML_MAX_DENSE_DIM" in msg
    for row in ({"1000": 1.0}, [[1000, 1.0]], "1000:1", {"indices": [1000], "values": [1]}):
        msg = error_of(parse_vectors, [{"1": 1.0}, row], vector_type="sparse", vector_dim=None,
                       limits=LIMITS)
        assert "data[1]" in msg and "1001 wide" in msg and "AUTOML_MAX_SPARSE_DIM" in msg
    matrix = parse_vectors([{"999": 1.0}], vector_type="sparse", vector_dim=None, limits=LIMITS)
    assert sparse.issparse(matrix) and matrix.shape == (1, 1000)


def test_a_sparse_index_with_many_digits_in_a_string():
    msg = error_of(parse_vectors, ["9" * 5000 + ":1"], vector_type="sparse", vector_dim=None)
    assert "far too large" in msg and len(msg) < 300


def test_a_value_that_is_no_number_is_said_before_the_width():
    msg = error_of(parse_vectors, [[[1, 2, 3]]], vector_type="dense", vector_dim=3)
    assert "data[0][0] is a list" in msg and "numbers" in msg


# ---- vector_dim of a request ----

@pytest.mark.parametrize(("vector_type", "dim", "says"), [
    ("dense", 10**12, "AUTOML_MAX_DENSE_DIM"),
    ("dense", 5, "AUTOML_MAX_DENSE_DIM"),
    ("sparse", 10**12, "AUTOML_MAX_SPARSE_DIM"),
    ("SPARSE", 1001, "AUTOML_MAX_SPARSE_DIM"),
    ("dense", 0, "positive integer"),
    ("dense", -1, "positive integer"),
    ("dense", "3", "positive integer"),
    ("dense", 2.5, "positive integer"),
    ("dense", True, "positive integer"),
])
def test_check_vector_dim_refuses(vector_type, dim, says):
    assert says in error_of(check_vector_dim, vector_type, dim, LIMITS)


def test_check_vector_dim_accepts():
    for vector_type, dim in (("dense", 4), ("sparse", 1000), ("dense", None), (None, 3)):
        check_vector_dim(vector_type, dim, LIMITS)
    check_vector_dim("dense", 10**12, None)  # no limits


# ---- file formats and options ----

@pytest.mark.parametrize(("given", "canonical"), [
    ("CSV", "csv"), (" csv ", "csv"), ("Json", "json"), ("jsonl", "json"), ("NDJSON", "json"),
    ("svmlight", "libsvm"), ("LibSVM", "libsvm"), ("bin", "binary"), ("BINARY", "binary"),
])
def test_file_format_names(given, canonical):
    assert normalize_file_format(given) == canonical


def test_unsupported_file_formats():
    for bad in ("xlsx", "", "c s v", None, 3):
        msg = error_of(normalize_file_format, bad)
        assert "file_format" in msg and '"csv"' in msg
    msg = error_of(normalize_file_format, "BIN", ("csv", "json", "libsvm"))
    assert "cannot be used here" in msg and '"binary"' not in msg


@pytest.mark.usefixtures("both_readers")
def test_parse_file_accepts_aliases():
    assert parse(b"a,b\n1,2\n", file_format="CSV").n == 1
    assert parse(b"1 1:1\n", file_format="svmlight").n == 1
    assert parse(b'{"data": [1, 2]}\n{"data": [3, 4]}\n', file_format="ndjson").n == 2


def test_options_round_trip_through_json():
    options = ParseOptions(file_format="csv", attribute_columns=["a"], limits=LIMITS,
                           numeric_columns=["x"])
    again = ParseOptions.from_dict(json.loads(json.dumps(options.to_dict())))
    assert again == options and again.limits == LIMITS
    assert ParseOptions.from_dict({"file_format": "csv"}).limits is None


def test_limits_from_settings():
    from app.config import Settings

    settings = Settings(max_body_bytes=1000, max_dense_dim=7, max_sparse_dim=70,
                        max_rows_per_request=700)
    assert IngestLimits.from_settings(settings) == IngestLimits(4000, 7, 70, 700)


def test_errors_are_ingest_errors():
    assert issubclass(TooLarge, IngestError)
