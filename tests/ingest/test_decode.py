import base64
import gzip

import pytest

from app.ingest import IngestError, decode_file

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
    msg = error_of(decode_file, encode(bomb), "gzip", max_bytes=MB)
    assert "larger than the limit of 1000000 bytes" in msg


def test_uncompressed_file_over_limit():
    assert "more than the limit of 10 bytes" in error_of(
        decode_file, encode(b"x" * 11), None, max_bytes=10
    )


def test_error_type_is_value_error():
    with pytest.raises(ValueError):
        decode_file("!!!", None, max_bytes=MB)
    assert issubclass(IngestError, ValueError)
