import time

import numpy as np
import pytest
from scipy import sparse

from .conftest import error_of, parse, roundtrip

pytestmark = pytest.mark.usefixtures("both_readers")

CSV = b"id,f1,f2,color,label\nr1,1.5,2,red,1\nr2,,3,blue,0\nr3,4,5,,1\n"


@pytest.mark.parametrize("gz", [False, True])
def test_csv_roundtrip_with_and_without_gzip(gz):
    rows = roundtrip(CSV, gz=gz, file_format="csv", label_column="label")
    assert rows.n == 3
    assert rows.ids == ["r1", "r2", "r3"]
    assert rows.feature_names == ["f1", "f2"]
    assert rows.vectors.dtype == np.float32
    assert rows.vectors[0].tolist() == [1.5, 2.0]
    assert np.isnan(rows.vectors[1, 0])
    assert rows.attributes == {"label": [1, 0, 1], "color": ["red", "blue", None]}


def test_no_header_detected_for_all_numeric_file():
    rows = parse(b"1,2,3\n4,5,6\n", file_format="csv")
    assert rows.ids is None and rows.feature_names is None
    assert rows.vectors.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert rows.attributes == {}


def test_header_detected_over_numeric_column():
    rows = parse(b"x,1\n1,2\n3,4\n", file_format="csv")
    assert rows.feature_names == ["x", "1"] and rows.n == 2


def test_header_detected_when_every_first_cell_is_text():
    rows = parse(b"a,b,c\nx,1,2\n", file_format="csv")
    assert rows.feature_names == ["b", "c"] and rows.attributes == {"a": ["x"]}


def test_first_row_with_text_in_text_column_is_data():
    rows = parse(b"red,1,2\nblue,3,4\n", file_format="csv")
    assert rows.feature_names is None
    assert rows.attributes == {"column_0": ["red", "blue"]}


def test_has_field_names_false_forces_data_row():
    rows = parse(b"x,1\n2,3\n", file_format="csv", has_field_names=False, attribute_columns=["0"])
    assert rows.n == 2 and rows.feature_names is None
    assert rows.attributes == {"column_0": ["x", "2"]}


def test_has_field_names_true_with_numeric_header():
    rows = parse(b"1,2\n3,4\n", file_format="csv", has_field_names=True)
    assert rows.feature_names == ["1", "2"] and rows.vectors.tolist() == [[3, 4]]


def test_id_column_by_name_index_and_disabled():
    raw = b"key,a,b\nk1,1,2\nk2,3,4\n"
    assert parse(raw, file_format="csv", id_column="key").ids == ["k1", "k2"]
    assert parse(raw, file_format="csv", id_column=0).ids == ["k1", "k2"]
    raw_no_header = b"k1,1,2\nk2,3,4\n"
    assert parse(raw_no_header, file_format="csv", id_column="0").ids == ["k1", "k2"]
    rows = parse(b"id,a\n1,5\n2,6\n", file_format="csv", id_column="")
    assert rows.ids is None and rows.feature_names == ["id", "a"]


def test_auto_id_column_keeps_spelling_and_is_case_insensitive():
    rows = parse(b"String_ID,a\n007,1\n008,2\n", file_format="csv")
    assert rows.ids == ["007", "008"] and rows.feature_names == ["a"]


def test_explicit_attributes_keep_numbers():
    raw = b"a,n,x,big\n1,3,2.5,123456789012345678901\n2,,1,1\n"
    rows = parse(raw, file_format="csv", attribute_columns=["n", "x", "big"])
    assert rows.feature_names == ["a"]
    assert rows.attributes == {"n": [3, None], "x": [2.5, 1.0], "big": [123456789012345678901, 1]}
    assert isinstance(rows.attributes["x"][1], float)


def test_explicit_attribute_with_text_is_string():
    rows = parse(b"a,z\n1,07\n2,x\n", file_format="csv", attribute_columns=["z"])
    assert rows.attributes["z"] == ["07", "x"]


def test_auto_attribute_values_are_strings():
    rows = parse(b"a,mixed\n1,5\n2,five\n", file_format="csv")
    assert rows.attributes["mixed"] == ["5", "five"]


def test_missing_markers_and_quotes_crlf_bom():
    raw = b'\xef\xbb\xbf"a","b, c",d\r\n1,NA,"x ""q"""\r\n2,3,\r\n\r\n'
    rows = parse(raw, file_format="csv")
    assert rows.feature_names == ["a", "b, c"]
    assert np.isnan(rows.vectors[0, 1]) and rows.vectors[1, 1] == 3
    assert rows.attributes["d"] == ['x "q"', None]


def test_multiline_quoted_field_and_line_numbers():
    raw = b'a,note\n1,"two\nlines"\n2,ok\n3\n'
    msg = error_of(parse, raw, file_format="csv")
    assert "line 5 has 1 fields but line 1 has 2" in msg


def test_trailing_comma_column_is_ignored():
    rows = parse(b"a,b,\n1,2,\n3,4,\n", file_format="csv")
    assert rows.feature_names == ["a", "b"]


def test_true_false_text_kept_as_written():
    rows = parse(b"a,flag\n1,True\n2,no\n", file_format="csv")
    assert rows.attributes["flag"] == ["True", "no"]


def test_sparse_vector_type_converts():
    rows = parse(b"a,b\n0,2\n,0\n", file_format="csv", vector_type="sparse")
    assert sparse.isspmatrix_csr(rows.vectors) and rows.vectors.nnz == 1


def test_vector_dim_checked_and_hint_names_text_columns():
    msg = error_of(parse, b"a,b,c\n1,2,x\n3,4,5\n", file_format="csv", vector_dim=3)
    assert "2 numeric vector columns but the collection has vector_dim 3" in msg
    assert "'c' (e.g. 'x' at line 2)" in msg


def test_ragged_long_row():
    msg = error_of(parse, b"a,b\n1,2\n3,4,5\n", file_format="csv")
    assert "line 3 has 3 fields but line 1 has 2" in msg


def test_duplicate_header_names():
    msg = error_of(parse, b"a,b,a\n1,2,3\n", file_format="csv")
    assert "duplicate column names: 'a'" in msg


def test_zero_vector_columns():
    msg = error_of(parse, b"name,color\nbob,red\n", file_format="csv")
    assert "no numeric columns" in msg


def test_header_only():
    assert "header row but no data rows" in error_of(parse, b"a,b\n", file_format="csv")


def test_unknown_id_column_lists_columns():
    msg = error_of(parse, b"a,b\n1,2\n", file_format="csv", id_column="key")
    assert "id_column 'key' is not a column" in msg and "'a', 'b'" in msg


def test_name_without_header_needs_position():
    msg = error_of(parse, b"1,2\n3,4\n", file_format="csv", label_column="y")
    assert "no header row" in msg and "0-based" in msg


def test_column_used_twice():
    msg = error_of(parse, b"a,b,c\nx,1,2\n", file_format="csv", id_column="a", label_column="a")
    assert "cannot be both id_column and label_column" in msg


def test_empty_and_duplicate_ids():
    assert "line 3: the id column 'id' is empty" in error_of(
        parse, b"id,a\nx,1\n,2\n", file_format="csv"
    )
    assert "id 'x' appears twice (line 2 and line 3)" in error_of(
        parse, b"id,a\nx,1\nx,2\n", file_format="csv"
    )


def test_infinite_value():
    msg = error_of(parse, b"a,b\n1,2\n3,-inf\n", file_format="csv")
    assert "line 3, column 'b'" in msg and "not a finite float32" in msg


def test_unclosed_quote():
    assert "never closed" in error_of(parse, b'a,b\n1,"2\n3,4\n', file_format="csv")


def test_not_utf8():
    msg = error_of(parse, b"a,b\n1,\xff\n", file_format="csv")
    assert "line 2" in msg and "not UTF-8" in msg


def test_large_csv_is_fast():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(100_000, 50)).round(4)
    header = "id," + ",".join(f"f{j}" for j in range(50)) + "\n"
    body = "\n".join(f"r{i}," + ",".join(map(str, row)) for i, row in enumerate(values.tolist()))
    raw = (header + body + "\n").encode()
    start = time.perf_counter()
    rows = parse(raw, file_format="csv")
    assert time.perf_counter() - start < 5
    assert rows.vectors.shape == (100_000, 50) and rows.ids[-1] == "r99999"


def test_auto_id_column_not_used_when_listed_as_attribute():
    rows = parse(b"id,a\nx,1\ny,2\n", file_format="csv", attribute_columns=["id"])
    assert rows.ids is None and rows.attributes == {"id": ["x", "y"]}


def test_true_false_with_missing_cells_kept_as_written():
    """pandas reads such a column as objects (True, NaN, False), not as booleans."""
    rows = parse(b"a,flag\n1,True\n2,\n3,False\n", file_format="csv")
    assert rows.feature_names == ["a"]
    assert rows.attributes["flag"] == ["True", None, "False"]


def test_missing_markers_beside_an_integer_past_int64():
    """pandas leaves the markers of such a column as text; they are missing values."""
    rows = parse(b"a,b\n1,123456789012345678901\n2,NA\n3,1e5\n4,None\n", file_format="csv")
    assert rows.feature_names == ["a", "b"]
    assert rows.vectors[:, 1].tolist()[::2] == [np.float32(1.2345678901234568e20), 1e5]
    assert np.isnan(rows.vectors[1, 1]) and np.isnan(rows.vectors[3, 1])
