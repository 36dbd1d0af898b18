"""Input mistakes that used to be accepted wrongly or to crash: text in numeric columns, names
given for a headerless file, ids that are no usable strings."""

import json

import numpy as np
import pytest

from app.ingest import MAX_ID_LENGTH, id_problem

from .conftest import error_of, parse

pytestmark = pytest.mark.usefixtures("both_readers")

AGES = "age,height,label\n" + "".join(f"{20 + i},{150 + i},{i % 2}\n" for i in range(10))


# ---- text in a numeric column ----

def test_text_in_a_mostly_numeric_column_names_column_and_line():
    raw = (AGES + "twenty,170,1\n").encode()
    msg = error_of(parse, raw, file_format="csv", label_column="label")
    assert "line 12" in msg and "'age'" in msg and "'twenty'" in msg
    assert "categorical_features" in msg and "make the column numeric" in msg


def test_the_line_counts_quoted_newlines():
    raw = ('x,y\n1,"a\nb"\n2,3\n' + "4,5\n" * 3 + "six,7\n").encode()
    msg = error_of(parse, raw, file_format="csv", has_field_names=True)
    assert "line 8" in msg and "'x'" in msg


def test_a_declared_column_keeps_its_text():
    raw = (AGES + "twenty,170,1\n").encode()
    for option in ({"attribute_columns": ["age"]}, {"label_column": "age"}):
        rows = parse(raw, file_format="csv", **option)
        assert rows.attributes["age"][-1] == "twenty" and rows.attributes["age"][0] == "20"


def test_a_mostly_text_column_is_still_an_attribute():
    raw = b"ticket,fare\nA/5 21171,7.25\nPC 17599,71.3\n113803,53.1\nSTON/O2,7.9\n"
    rows = parse(raw, file_format="csv")
    assert rows.feature_names == ["fare"]
    assert rows.attributes["ticket"] == ["A/5 21171", "PC 17599", "113803",
                                                      "STON/O2"]


def test_numeric_columns_must_hold_numbers():
    """The vector columns of the collection (or model) a file is for: one text value is enough
    to refuse, with its line."""
    raw = b"age,height\n30,160\ntwenty,170\n"
    assert parse(raw, file_format="csv").feature_names == ["height"]
    msg = error_of(parse, raw, file_format="csv", numeric_columns=["age", "height"])
    assert "line 3" in msg and "'age'" in msg and "'twenty'" in msg


def test_feature_count_names_the_text_that_made_the_file_short():
    raw = b"x0,x1,x2\n1,twenty,3\n"
    msg = error_of(parse, raw, file_format="csv", feature_count=3)
    assert "line 2" in msg and "'x1'" in msg and "'twenty'" in msg and "3 are needed" in msg
    assert parse(b"x0,x1,x2\n1,2,3\n", file_format="csv", feature_count=3).n == 1


def test_text_in_flat_json_records():
    records = [{"age": 20 + i, "label": i % 2} for i in range(5)] + [{"age": "twenty"}]
    msg = error_of(parse, json.dumps(records).encode(), file_format="json")
    assert "record 5" in msg and "'age'" in msg and "'twenty'" in msg


# ---- names given for a file without a header row (prediction files) ----

def test_optional_names_are_skipped_for_a_headerless_file():
    raw = b"0.5,1.5,2.5\n3.5,4.5,5.5\n"
    rows = parse(raw, file_format="csv", has_field_names=False, optional_columns=True,
                 attribute_columns=["color", "label"])
    assert rows.vectors.shape == (2, 3) and rows.attributes == {}
    assert np.allclose(rows.vectors[1], [3.5, 4.5, 5.5])
    # detected as headerless too
    rows = parse(raw, file_format="csv", optional_columns=True, attribute_columns=["label"])
    assert rows.vectors.shape == (2, 3)


def test_names_for_a_headerless_file_are_still_an_error_when_not_optional():
    msg = error_of(parse, b"1,2\n3,4\n", file_format="csv", has_field_names=False,
                   label_column="label")
    assert "no header row" in msg


# ---- ids in files ----

def test_file_ids_with_control_characters_or_too_long():
    raw = b'id,x\n"a\tb",1\nc,2\n'
    msg = error_of(parse, raw, file_format="csv")
    assert "line 2" in msg and "control character" in msg
    long_id = "i" * (MAX_ID_LENGTH + 1)
    msg = error_of(parse, f"id,x\n{long_id},1\n".encode(), file_format="csv")
    assert f"at most {MAX_ID_LENGTH}" in msg
    records = [{"id": "ok", "data": [1]}, {"id": "new\nline", "data": [2]}]
    msg = error_of(parse, json.dumps(records).encode(), file_format="json")
    assert "record 1" in msg and "control character" in msg


def test_id_problem():
    assert id_problem("r1") is None and id_problem("ünï code") is None
    assert id_problem("") == "is empty"
    assert "whitespace" in id_problem("  ")
    assert "control character" in id_problem("a\x00b")
    assert "control character" in id_problem("a\x85b")
    assert id_problem("x" * MAX_ID_LENGTH) is None


def test_json_records_may_lack_optional_attributes():
    raw = json.dumps([{"data": [1, 2]}, {"data": [3, 4], "color": "red"}]).encode()
    rows = parse(raw, file_format="json", optional_columns=True, attribute_columns=["label"])
    assert rows.n == 2 and rows.attributes == {"color": [None, "red"]}
    assert "label" in error_of(parse, raw, file_format="json", attribute_columns=["label"])
