"""The fast CSV reader (pyarrow, streaming the file as sent) against the exact one: the same
result where it reads a file, the exact reader's result and error messages where it gives up
(on a later record batch too), and memory near the data's size."""

import gzip
import random
import tracemalloc

import numpy as np
import pytest

from app.ingest import (
    FileData,
    IngestError,
    IngestLimits,
    ParseOptions,
    TooLarge,
    csv_format,
    parse_file,
)

MB = 1 << 20


@pytest.fixture
def fast(monkeypatch):
    """Which reader read each file: 'fast', or 'exact' when the fast one gave up."""
    outcomes: list[str] = []
    read_fast = csv_format._parse_fast

    def spy(file, options):
        rows = read_fast(file, options)
        outcomes.append("fast" if rows is not None else "exact")
        return rows

    monkeypatch.setattr(csv_format, "_parse_fast", spy)
    return outcomes


def exact(raw: bytes, **options):
    """The exact reader's result (or error message)."""
    return outcome(lambda: csv_format._parse_exact(raw, ParseOptions(file_format="csv",
                                                                         **options)))


def outcome(parse) -> tuple:
    try:
        rows = parse()
    except IngestError as err:
        return ("error", type(err).__name__, str(err))
    vectors = rows.vectors.toarray() if hasattr(rows.vectors, "toarray") else rows.vectors
    typed = {k: [(type(v).__name__, v) for v in values] for k, values in rows.attributes.items()}
    return ("ok", rows.ids, vectors.dtype.str, vectors.shape,
            (np.nan_to_num(vectors, nan=-7.5) + 0.0).tobytes(), np.isnan(vectors).tobytes(),
            typed, rows.feature_names, type(rows.vectors).__name__)


def both(raw: bytes, **options) -> list[tuple]:
    """The outcome of parse_file on the bytes and on the gzip file as sent."""
    opts = ParseOptions(file_format="csv", **options)
    sent = FileData(gzip.compress(raw, 1), True, len(raw))
    return [outcome(lambda: parse_file(raw, opts)), outcome(lambda: parse_file(sent, opts))]


def table(rows: int, seed: int = 0, width: int = 8) -> list[str]:
    """Lines of a file with ids, numeric columns (some cells missing), text and a label."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(rows, width)).round(5)
    cities = np.array(["paris", "rome", "oslo", "new york"])[rng.integers(0, 4, rows)]
    lines = ["id," + ",".join(f"f{j}" for j in range(width)) + ",city,label"]
    for i, row in enumerate(values.tolist()):
        cells = ["" if (i * 7 + j) % 97 == 0 else repr(v) for j, v in enumerate(row)]
        lines.append(f"r{i},{','.join(cells)},{cities[i]},{i % 3}")
    return lines


def text_of(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


BIG = table(40_000)  # about 3.5 MB: several record batches past the first records


def test_a_large_file_is_read_fast_the_same_from_bytes_and_from_gzip(fast):
    raw = text_of(BIG)
    assert len(raw) > 3 * MB
    results = both(raw, label_column="label", attribute_columns=["city"])
    assert fast == ["fast", "fast"]
    assert results[0] == results[1] == exact(raw, label_column="label", attribute_columns=["city"])
    rows = parse_file(FileData(gzip.compress(raw), True, len(raw)),
                      ParseOptions(file_format="csv", label_column="label"))
    assert rows.vectors.dtype == np.float32 and rows.vectors.shape == (40_000, 8)
    assert rows.vectors.flags.c_contiguous and rows.vectors.base is None
    assert rows.ids[:2] == ["r0", "r1"] and np.isnan(rows.vectors[0, 0])
    assert rows.attributes["label"][:4] == [0, 1, 2, 0]
    assert rows.attributes["city"][:1] in (["paris"], ["rome"], ["oslo"], ["new york"])


@pytest.mark.parametrize(("line", "words"), [
    ("r_x,1,2,3,4,5,6,7,twenty,rome,1", "column 'f7': 'twenty' is not a number"),
    ("r_x,1,2,3,4,5,6,7,8,rome", "has 10 fields but line 1 has 11"),
    ("r_x,1,2,3,4,5,6,7,8,rome,1,9", "has 12 fields but line 1 has 11"),
    ("r_x,1,2,3,4,5,6,7,inf,rome,1", "inf is not a finite float32 number"),
    ("r_x,1,2,3,4,5,6,7,3.40282350e38,rome,1", "is not a finite float32 number"),
    ("r_x,1,2,3,4,5,6,7,\xff,rome,1", "not UTF-8"),
    ("r_x,1,2,3,4,5,6,7,\"8,rome,1", "never closed"),
    ("r5,1,2,3,4,5,6,7,8,rome,1", "id 'r5' appears twice"),
    (",1,2,3,4,5,6,7,8,rome,1", "the id column 'id' is empty"),
])
def test_a_mistake_in_a_later_batch_is_worded_by_the_exact_reader(fast, line, words):
    lines = BIG[:30_001] + [line] + BIG[30_001:]
    raw = "\n".join(lines).encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff")
    expected = exact(raw, label_column="label")
    assert expected[0] == "error" and words in expected[2], expected
    assert "line 30002" in expected[2] or "never closed" in expected[2]
    assert both(raw, label_column="label") == [expected, expected]
    assert fast == ["exact", "exact"]


@pytest.mark.parametrize("cell", ["NAN", "-nan", "1_000", "0x10"])
def test_numbers_pyarrow_reads_and_pandas_does_not(fast, cell):
    """Text to the exact reader (here an attribute: most of the column is text), a number or
    an error to pyarrow: the exact reader decides."""
    lines = ["a,b"] + [f"{i},word{i}" for i in range(3000)] + [f"{i},{cell}" for i in range(5)]
    raw = text_of(lines)
    expected = exact(raw)
    assert both(raw) == [expected, expected]
    texts = ["a,b"] + [f"{i},{cell if i % 2 else 1}" for i in range(3000)]
    raw = text_of(texts)
    expected = exact(raw)
    assert both(raw) == [expected, expected]


def test_text_in_a_column_whose_first_rows_were_numbers_becomes_an_attribute(fast):
    """Past the first rows, mostly text: an attribute, as the exact reader makes it."""
    lines = ["a,b"] + [f"{i},{i}" for i in range(1500)] + [f"{i},w{i}" for i in range(9000)]
    raw = text_of(lines)
    expected = exact(raw)
    assert expected[0] == "ok" and expected[7] == ["a"]
    assert both(raw) == [expected, expected]


@pytest.mark.parametrize("tail", [
    b"5,6\r7,8\n",  # a carriage return alone: a line break to pyarrow, not to the exact reader
    b"5,\"six\"\"\"\n",  # an escaped quote
    b"5, six\n",  # a space the exact reader drops
    b"5,\"multi\nline\"\n",
    b"   \n",  # a blank line of spaces
    b"5,\"\"\n7,NA\n",
])
def test_what_the_fast_reader_leaves_to_the_exact_one(fast, tail):
    raw = text_of(["a,b"] + [f"{i},x{i}" for i in range(3000)]) + tail
    expected = exact(raw)
    assert both(raw) == [expected, expected]


def test_a_carriage_return_alone_at_a_gzip_piece_boundary():
    """The inflater hands pyarrow pieces of 1 MB: a CR ending one piece is looked at with the
    byte that starts the next."""
    line = b"1,2\n"
    head = b"a,b\n" + line * ((MB - 4) // 4 - 1) + b"1,2"
    for sep in (b"\r\n", b"\r"):
        raw = head + sep + b"3,4\n" * 10
        assert len(head) + 1 == MB
        opts = ParseOptions(file_format="csv")
        sent = FileData(gzip.compress(raw, 1), True, len(raw))
        expected = exact(raw)
        assert outcome(lambda: parse_file(sent, opts)) == expected  # noqa: B023


def test_crlf_bom_quotes_and_blank_lines_are_read_fast(fast):
    lines = ['"id","x","y","note"'] + [f'"k{i}",{i},{i / 2},"a, b{i % 5}"' for i in range(5000)]
    raw = b"\xef\xbb\xbf" + "\r\n".join(lines[:2000] + [""] + lines[2000:]).encode() + b"\r\n"
    expected = exact(raw)
    assert expected[0] == "ok" and expected[1][:2] == ["k0", "k1"]
    assert both(raw) == [expected, expected]
    assert fast == ["fast", "fast"]


def test_rows_are_counted_against_the_limit_as_they_stream():
    limits = IngestLimits(max_file_bytes=1 << 30, max_dense_dim=100, max_sparse_dim=100,
                          max_rows=35_000)
    raw = text_of(BIG)
    for data in (raw, FileData(gzip.compress(raw, 1), True, len(raw))):
        with pytest.raises(TooLarge) as info:
            parse_file(data, ParseOptions(file_format="csv", limits=limits))
        assert "40000 rows" in str(info.value) and "AUTOML_MAX_ROWS_PER_REQUEST" in str(info.value)


def test_the_block_grows_when_later_rows_are_shorter(fast):
    """The block is first made for rows as long as the first ones; many shorter rows after
    them make it grow."""
    long_rows = [",".join(["123456.789"] * 6)] * 2000
    short_rows = [",".join(["1"] * 6)] * 200_000
    raw = text_of(["a,b,c,d,e,f"] + long_rows + short_rows)
    results = both(raw)
    assert fast == ["fast", "fast"]
    rows = parse_file(raw, ParseOptions(file_format="csv"))
    assert rows.vectors.shape == (202_000, 6) and rows.vectors[-1].tolist() == [1.0] * 6
    assert results[0] == results[1]


def test_a_trailing_comma_and_a_late_value_in_the_empty_column(fast):
    lines = ["a,b,"] + [f"{i},{i}," for i in range(3000)]
    raw = text_of(lines)
    expected = exact(raw)
    assert expected[7] == ["a", "b"]
    assert both(raw) == [expected, expected]
    raw = text_of(lines + ["1,2,3"])
    expected = exact(raw)
    assert both(raw) == [expected, expected]


def _peak(parse) -> int:
    tracemalloc.start()
    try:
        parse()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_gzip_file_is_never_held_inflated(monkeypatch):
    """Streaming into a float32 block: each row costs the memory Python allocates while
    parsing a gzip file about its float32 size (the inflated text is never held, and no
    float64 copy is made), where the exact reader needs several times that on top of the
    text. Measured as the growth of the peak from 20,000 to 60,000 rows of 32 numbers (the
    first records and the chunks of text in flight, made small here, are a constant)."""
    monkeypatch.setattr(csv_format, "_CHUNK_BYTES", 1 << 18)
    monkeypatch.setattr(csv_format, "_BATCH_BYTES", 1 << 16)
    options = ParseOptions(file_format="csv", label_column="label")
    peaks, texts = {}, {}
    for rows in (20_000, 60_000):
        raw = text_of([line.partition(",")[2] for line in table(rows, width=32)])
        sent = FileData(gzip.compress(raw, 1), True, len(raw))
        parse_file(sent, options)  # imports and caches out of the measure
        peaks[rows] = (_peak(lambda: parse_file(sent, options)),  # noqa: B023
                       _peak(lambda: csv_format._parse_exact(raw, options)))  # noqa: B023
        texts[rows] = len(raw)
    block = 40_000 * 32 * 4  # the float32 size of the rows added
    fast, exact_growth = (peaks[60_000][k] - peaks[20_000][k] for k in (0, 1))
    assert fast < 1.5 * block and fast < exact_growth / 3, (fast, exact_growth, block)
    assert block < 0.5 * (texts[60_000] - texts[20_000])


def _cell(rng: random.Random, kind: str) -> str:
    r = rng.random()
    if kind == "num":
        if r < 0.9:
            return rng.choice(["1", "2.5", "-3", "1e5", " 4", "5 ", "0007", "+.5", "5.", "-0.25"])
        return rng.choice(["", "NA", "N/A", "NaN", "nan", "null", "None", '""', "NAN", "inf",
                           "True", "x", '"1.5"', "123456789012345678901", " NA"])
    if kind == "text":
        if r < 0.9:
            return rng.choice(["red", "blue", "a b", "007", "1.0", "2020-01-01", "é", '"q,c"'])
        return rng.choice(["", "NA", " lead", '"x ""y"""', "1", "True", '"two\nlines"'])
    if kind == "int":
        return str(rng.randint(0, 3)) if r < 0.97 else rng.choice(["", "NA", "1.0", "x"])
    return f"r{rng.randint(0, 10**9)}" if r < 0.998 else rng.choice(["", "r1"])


@pytest.mark.parametrize("chunk", [csv_format._CHUNK_BYTES, 1000])
@pytest.mark.parametrize("seed", range(25))
def test_random_files_read_alike(monkeypatch, seed, chunk):
    """Random files of plain and odd cells, small and past the first records: the fast reader
    (tried on every file here; in chunks of about 1 kB of lines too) and the exact reader agree
    on the result or the error."""
    monkeypatch.setattr(csv_format, "_CHUNK_BYTES", chunk)
    monkeypatch.setattr(csv_format, "_BATCH_BYTES", min(chunk, csv_format._BATCH_BYTES))
    rng = random.Random(seed)
    for _ in range(5):
        width = rng.randint(1, 5)
        kinds = [rng.choice(["num", "num", "text", "int", "id"]) for _ in range(width)]
        names = [rng.choice(["id", "label", "a", "b", "color", ""]) + str(j) for j in range(width)]
        lines = [",".join(names)] if rng.random() < 0.8 else []
        for _ in range(rng.choice([3, 40, 1500])):
            lines.append(",".join(_cell(rng, k) for k in kinds))
        raw = (rng.choice(["\n", "\r\n"]).join(lines) + "\n").encode()
        options = {}
        if rng.random() < 0.4:
            options["label_column"] = rng.choice(names)
        if rng.random() < 0.2:
            options["attribute_columns"] = [rng.choice(names)]
        if rng.random() < 0.1:
            options["vector_type"] = "sparse"
        expected = exact(raw, **options)
        assert both(raw, **options) == [expected, expected], (raw[:200], options)


@pytest.fixture(autouse=True)
def _every_file_tries_the_fast_reader(monkeypatch):
    monkeypatch.setattr(csv_format, "FAST_MIN_BYTES", 0)
