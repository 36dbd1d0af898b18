"""The fast libsvm reader (plain lines checked with numpy, numbers parsed by pyarrow, the
file streamed as sent) against scikit-learn's loader and the line parser: the same result
where it reads a file, theirs (results and error messages) wherever it gives up."""

import gzip
import random
import tracemalloc

import numpy as np
import pytest

from app.ingest import FileData, IngestError, IngestLimits, ParseOptions, libsvm_format, parse_file


@pytest.fixture(autouse=True)
def _every_file_tries_the_fast_reader(monkeypatch):
    monkeypatch.setattr(libsvm_format, "FAST_MIN_BYTES", 0)


@pytest.fixture
def fast(monkeypatch):
    """Which reader read each file: 'fast', or 'exact' when the fast one gave up."""
    outcomes: list[str] = []
    read_fast = libsvm_format._read_fast

    def spy(*args):
        try:
            result = read_fast(*args)
        except Exception:
            outcomes.append("exact")
            raise
        outcomes.append("fast")
        return result

    monkeypatch.setattr(libsvm_format, "_read_fast", spy)
    return outcomes


def outcome(parse) -> tuple:
    try:
        rows = parse()
    except IngestError as err:
        return ("error", type(err).__name__, str(err))
    v = rows.vectors
    labels = {k: [(type(x).__name__, x) for x in values] for k, values in rows.attributes.items()}
    if hasattr(v, "indptr"):
        return ("ok", v.shape, v.indices.dtype.str, v.indptr.dtype.str, v.data.dtype.str,
                v.indices.tobytes(), v.indptr.tobytes(), v.data.tobytes(), labels)
    return ("ok", v.shape, v.dtype.str, v.tobytes(), labels)


def exact(raw: bytes, monkeypatch, **options) -> tuple:
    with monkeypatch.context() as m:
        m.setattr(libsvm_format, "FAST_MIN_BYTES", 1 << 62)
        return outcome(lambda: parse_file(raw, ParseOptions(file_format="libsvm", **options)))


def both(raw: bytes, **options) -> list[tuple]:
    opts = ParseOptions(file_format="libsvm", **options)
    sent = FileData(gzip.compress(raw, 1), True, len(raw))
    return [outcome(lambda: parse_file(raw, opts)), outcome(lambda: parse_file(sent, opts))]


def lines(rows: int, seed: int = 0, start: int = 1) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(rows):
        idx = np.sort(rng.choice(np.arange(start, 60), size=rng.integers(0, 12), replace=False))
        values = rng.normal(size=len(idx)).round(4)
        pairs = " ".join(f"{k}:{v!r}" for k, v in zip(idx.tolist(), values.tolist(), strict=True))
        out.append(f"{i % 3 - 1} {pairs}".rstrip())
    return out


def text_of(items: list[str]) -> bytes:
    return ("\n".join(items) + "\n").encode()


BIG = lines(12_000)  # about 0.6 MB: several chunks of 20 kB


def test_a_plain_file_is_read_fast_the_same_from_bytes_and_from_gzip(fast, monkeypatch):
    raw = text_of(BIG)
    results = both(raw)
    assert fast == ["fast", "fast"]
    assert results[0] == results[1] == exact(raw, monkeypatch)
    rows = parse_file(raw, ParseOptions(file_format="libsvm"))
    assert rows.vectors.shape == (12_000, 59) and rows.attributes["label"][:3] == [-1, 0, 1]


@pytest.mark.parametrize("chunk", [libsvm_format._CHUNK_BYTES, 20_000])
@pytest.mark.parametrize(("line", "options"), [
    ("1 3:1 # a comment", {}),
    ("1\t3:1", {}),
    ("1  3:1", {}),
    ("1 3:1 ", {}),
    ("1 qid:3 4:1", {}),
    ("1 5:1 3:1", {}),  # unsorted: the line parser sorts
    ("1 3:1 3:2", {}),
    ("1 3:inf", {}),
    ("1 3:1e39", {}),
    ("1 3:3.4028235e38", {}),
    ("x 3:1", {}),
    ("1 3.0:1", {}),
    ("1 +3:1", {}),
    ("1 3:", {}),
    ("1 0:1", {}),  # one 0 index makes the whole file 0-based
    ("1 003:1", {}),
    ("1 1234567890:1", {}),
    ("1 80:1", {"vector_dim": 70}),
    ("1 80:1", {"limits": IngestLimits(1 << 30, 100, 70, 1 << 20)}),
    ("1 3:1\r", {}),
    ("1 3:1", {"limits": IngestLimits(1 << 30, 100, 100, 11_000)}),
    ("1 3:1", {"vector_type": "dense"}),
    ("1 3:1", {"vector_dim": 70, "libsvm_label_name": "y"}),
])
def test_a_line_past_the_first_chunks(monkeypatch, chunk, line, options):
    """The same line on its own at a later line of a large file: whichever reader reads it,
    the result or the error (with its line) is the one the other readers give."""
    monkeypatch.setattr(libsvm_format, "_CHUNK_BYTES", chunk)
    raw = text_of(BIG[:9_000] + [line] + BIG[9_000:])
    expected = exact(raw, monkeypatch, **options)
    assert both(raw, **options) == [expected, expected]


@pytest.mark.parametrize(("line", "options"), [
    ("1 0:1", {}),
    ("1 003:1", {}),
    ("1 3:3.4028235e38", {}),  # float32's largest, once rounded, as scikit-learn stores it
    ("-0 3:-0", {}),
    ("1 3:1", {"vector_type": "dense"}),
    ("1 3:1", {"vector_dim": 70, "libsvm_label_name": "y"}),
])
def test_plain_lines_are_read_fast(fast, monkeypatch, line, options):
    monkeypatch.setattr(libsvm_format, "_CHUNK_BYTES", 20_000)
    raw = text_of(BIG[:9_000] + [line] + BIG[9_000:])
    expected = exact(raw, monkeypatch, **options)
    assert expected[0] == "ok" and both(raw, **options) == [expected, expected]
    assert fast == ["fast", "fast"]


def test_zero_based_is_decided_by_the_whole_file(fast, monkeypatch):
    monkeypatch.setattr(libsvm_format, "_CHUNK_BYTES", 20_000)
    raw = text_of(BIG + ["1 0:2.5"])
    expected = exact(raw, monkeypatch)
    assert both(raw) == [expected, expected] and fast == ["fast", "fast"]
    rows = parse_file(raw, ParseOptions(file_format="libsvm"))
    assert rows.vectors.shape == (12_001, 60) and rows.vectors[12_000, 0] == 2.5


def test_blank_lines_and_a_last_line_without_its_line_feed(fast, monkeypatch):
    monkeypatch.setattr(libsvm_format, "_CHUNK_BYTES", 20_000)
    raw = ("\n\n".join(BIG[:3000]) + "\n\n\n" + "\n".join(BIG[3000:6000])).encode()
    expected = exact(raw, monkeypatch)
    assert expected[0] == "ok"
    assert both(raw) == [expected, expected] and fast == ["fast", "fast"]


def test_the_gzip_file_is_never_held_inflated(monkeypatch):
    """The memory Python allocates while reading grows with the rows about as the CSR matrix
    does (8 bytes an entry, and a little per row), not with the inflated text."""
    monkeypatch.setattr(libsvm_format, "_CHUNK_BYTES", 1 << 16)
    peaks, sizes = {}, {}
    for rows in (20_000, 60_000):
        raw = text_of(lines(rows, seed=rows))
        sent = FileData(gzip.compress(raw, 1), True, len(raw))
        options = ParseOptions(file_format="libsvm")
        parse_file(sent, options)
        tracemalloc.start()
        try:
            result = parse_file(sent, options)
            peaks[rows] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        v = result.vectors
        sizes[rows] = v.data.nbytes + v.indices.nbytes + v.indptr.nbytes + 40 * rows
    growth, csr = peaks[60_000] - peaks[20_000], sizes[60_000] - sizes[20_000]
    assert growth < 1.6 * csr, (growth, csr)


def _line(rng: random.Random) -> str:
    label = rng.choice(["1", "0", "-1", "2.5", "+1", "1e0"] if rng.random() < 0.97
                       else ["x", "nan", "", "1,2"])
    low = 0 if rng.random() < 0.02 else 1
    idx = sorted(rng.sample(range(low, 40), rng.randint(0, 6)))
    if rng.random() < 0.01 and len(idx) > 1:
        idx.reverse()
    pairs = []
    for k in idx:
        value = rng.choice(["0.5", "-1.25", "3", "1e-3", "0", "-0", "7.", ".5", "+2", "1E5"])
        pairs.append(f"{k}:{value}" if rng.random() < 0.99 else rng.choice(
            [f"{k:03d}:{value}", f"{k}.0:{value}", f"{k}:", f":{value}", f"{k}:inf",
             f"qid:{k}", f"{k}:1_0", f"{k * 10**9}:1"]))
    text = " ".join([label, *pairs])
    if rng.random() < 0.01:
        text = rng.choice([text + " ", " " + text, text + " # 0:1", "# only", "", text + "\r",
                           text.replace(" ", "\t", 1)])
    return text


@pytest.mark.parametrize("seed", range(12))
def test_random_files_read_alike(monkeypatch, seed):
    rng = random.Random(seed)
    for _ in range(4):
        monkeypatch.setattr(libsvm_format, "_CHUNK_BYTES", rng.choice([1 << 20, 700]))
        raw = ("\n".join(_line(rng) for _ in range(rng.choice([3, 50, 2000]))) + "\n").encode()
        options = {}
        if rng.random() < 0.2:
            options["vector_dim"] = rng.choice([30, 40, 41])
        if rng.random() < 0.2:
            options["limits"] = IngestLimits(1 << 30, 100, rng.choice([30, 40]),
                                             rng.choice([1000, 10**6]))
        expected = exact(raw, monkeypatch, **options)
        assert both(raw, **options) == [expected, expected], (raw[:200], options)
