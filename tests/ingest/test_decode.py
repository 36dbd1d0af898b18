import base64
import gzip
import os
import tracemalloc

import pytest

from app.ingest import IngestError, decode_file, read_file_data
from app.ingest import decode as decode_module

from .conftest import encode, error_of

MB = 1_000_000


def test_plain_base64():
    assert decode_file(encode(b"a,b\n1,2\n"), None, max_bytes=MB) == b"a,b\n1,2\n"


def test_missing_padding_and_whitespace_are_tolerated():
    text = base64.b64encode(b"hello world!!").decode().rstrip("=")
    wrapped = "\n".join(text[i : i + 4] for i in range(0, len(text), 4)) + "\r\n"
    assert decode_file(wrapped, None, max_bytes=MB) == b"hello world!!"


def test_invalid_base64_character():
    msg = error_of(decode_file, "YWJj%ZGVm", None, max_bytes=MB)
    assert "file_data is not valid base64" in msg
    assert "'%'" in msg and "position 4" in msg


def test_impossible_base64_length():
    assert "not valid base64" in error_of(decode_file, "YWJjZ", None, max_bytes=MB)


def test_non_ascii_is_invalid_base64():
    assert "not valid base64" in error_of(decode_file, "YWJj\u00e9", None, max_bytes=MB)


def test_gzip_explicit_and_case_insensitive():
    assert decode_file(encode(b"x" * 100, gz=True), "GZIP", max_bytes=MB) == b"x" * 100


def test_gzip_autodetected_by_magic():
    assert decode_file(encode(b"abc", gz=True), None, max_bytes=MB) == b"abc"


def test_none_disables_autodetection():
    compressed = gzip.compress(b"abc")
    assert decode_file(encode(compressed), "none", max_bytes=MB) == compressed


def test_multi_member_gzip():
    data = gzip.compress(b"one\n") + gzip.compress(b"two\n")
    assert decode_file(encode(data), "gzip", max_bytes=MB) == b"one\ntwo\n"


def test_gzip_declared_but_not_gzip():
    msg = error_of(decode_file, encode(b"a,b\n"), "gzip", max_bytes=MB)
    assert 'compression_type is "gzip"' in msg and "not gzip data" in msg


def test_truncated_gzip():
    data = gzip.compress(b"x" * 10_000)[:-20]
    assert "truncated" in error_of(decode_file, encode(data), "gzip", max_bytes=MB)


def test_corrupt_gzip():
    data = bytearray(gzip.compress(b"hello" * 100))
    data[12:20] = b"\xff" * 8
    assert "not valid gzip data" in error_of(decode_file, encode(bytes(data)), "gzip", max_bytes=MB)


def test_trailing_garbage_after_gzip():
    data = gzip.compress(b"abc") + b"junk"
    assert "after the end of the gzip data" in error_of(
        decode_file, encode(data), "gzip", max_bytes=MB
    )


def test_unsupported_compression_type_lists_gzip():
    msg = error_of(decode_file, encode(b"abc"), "zip", max_bytes=MB)
    assert 'unsupported compression_type "zip"' in msg and '"gzip"' in msg


def test_gzip_bomb_is_rejected_without_inflating_everything():
    bomb = gzip.compress(b"\0" * (50 * MB))  # ~50 KB compressed
    for decode in (decode_file, read_file_data):
        msg = error_of(decode, encode(bomb), "gzip", max_bytes=MB)
        assert "limit of 1000000 bytes" in msg and "AUTOML_MAX_FILE_BYTES" in msg


def test_uncompressed_file_over_limit():
    for decode in (decode_file, read_file_data):
        msg = error_of(decode, encode(b"x" * 11), None, max_bytes=10)
        assert "limit of 10 bytes" in msg and "AUTOML_MAX_FILE_BYTES" in msg
    assert decode_file(encode(b"x" * 10), None, max_bytes=10) == b"x" * 10


def zeros_member(size: int) -> bytes:
    return gzip.compress(b"\0" * size, compresslevel=9)


def test_the_limit_counts_all_gzip_members_together():
    """12 members of 2 MB each, each one well within the limit, 24 MB in all."""
    members = zeros_member(2 * MB) * 12
    for decode in (decode_file, read_file_data):
        msg = error_of(decode, encode(members), None, max_bytes=10 * MB)
        assert "limit of 10000000 bytes" in msg and "AUTOML_MAX_FILE_BYTES" in msg
        assert "all gzip members together" in msg
    file = read_file_data(encode(members), None, max_bytes=24 * MB)
    assert file.gzip and file.size == 24 * MB and file.data == members
    assert decode_file(encode(members), None, max_bytes=24 * MB) == b"\0" * (24 * MB)


def test_the_request_path_checks_gzip_without_inflating_it():
    """read_file_data inflates only to count: its memory stays far below the inflated size
    (the bound is generous; the inflater works in 1 MB steps)."""
    members = zeros_member(4 * MB) * 12  # 48 MB inflated
    payload = encode(members)
    tracemalloc.start()
    try:
        file = read_file_data(payload, "gzip", max_bytes=100 * MB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert file.size == 48 * MB
    assert peak < 12 * MB, peak
    assert len(file.data) < MB  # kept compressed


def test_a_bomb_is_refused_after_about_the_limit():
    """The running total is checked at every step: the inflater stops soon after the limit
    (one output step, 1 MB, at most past it), long before the end of the data."""
    produced = []
    members = zeros_member(8 * MB) * 4
    with pytest.raises(IngestError):
        decode_module._inflate(members, 3 * MB, lambda chunk: produced.append(len(chunk)))
    assert 3 * MB - sum(produced) <= 1 << 20


def test_inflate_later_gives_the_file():
    data = gzip.compress(b"a,b\n1,2\n") + gzip.compress(b"3,4\n")
    file = read_file_data(encode(data), "gzip", max_bytes=MB)
    assert file.inflate() == b"a,b\n1,2\n3,4\n"
    plain = read_file_data(encode(b"a,b\n"), None, max_bytes=MB)
    assert not plain.gzip and plain.inflate() == b"a,b\n" and plain.size == 4


@pytest.mark.parametrize("sizes", [[1 << 20], [(1 << 20) + 1, 3], [0, 5, 0], [3 * (1 << 20) - 1]])
def test_gzip_output_step_boundaries(sizes):
    """Members whose output ends exactly on, or just past, a 1 MB step; empty members."""
    data = b"".join(gzip.compress(bytes([65 + k % 26]) * n) for k, n in enumerate(sizes))
    expected = b"".join(bytes([65 + k % 26]) * n for k, n in enumerate(sizes))
    assert decode_file(encode(data), "gzip", max_bytes=10 * MB) == expected
    assert read_file_data(encode(data), "gzip", max_bytes=10 * MB).size == len(expected)


def test_members_larger_than_an_input_step():
    """Incompressible members (compressed size > the 64 KB input step): a member may end in
    the middle of a step, and the next starts right there."""
    parts = [os.urandom(100_000), os.urandom(70_000), b"tail"]
    data = b"".join(gzip.compress(p) for p in parts)
    assert decode_file(encode(data), "gzip", max_bytes=MB) == b"".join(parts)


def test_nul_padding_after_the_last_member_is_accepted():
    data = gzip.compress(b"abc") + b"\0" * 100
    assert decode_file(encode(data), "gzip", max_bytes=MB) == b"abc"


def test_garbage_after_a_member_in_a_later_input_step():
    data = gzip.compress(os.urandom(100_000)) + b"junk"
    assert "after the end of the gzip data" in error_of(
        read_file_data, encode(data), "gzip", max_bytes=MB
    )


def test_truncated_second_member():
    data = gzip.compress(b"one") + gzip.compress(os.urandom(1000))[:-30]
    assert "truncated" in error_of(read_file_data, encode(data), "gzip", max_bytes=MB)


def test_misplaced_padding_is_invalid_base64():
    assert "padding" in error_of(decode_file, "YQ==YQ==", None, max_bytes=MB)


def test_non_ascii_whitespace_is_invalid_base64():
    msg = error_of(decode_file, "YWJj\u00a0ZGVm", None, max_bytes=MB)
    assert "not valid base64" in msg and "position 4" in msg


def test_error_type_is_value_error():
    with pytest.raises(ValueError):
        decode_file("!!!", None, max_bytes=MB)
    assert issubclass(IngestError, ValueError)
