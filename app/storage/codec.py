"""Byte encodings of one chunk's columns. numpy's own format, loaded without pickle."""

import io
import zlib

import numpy as np
import orjson
import scipy.sparse as sp


def encode_ids(ids: list[str]) -> bytes:
    return zlib.compress(orjson.dumps(ids), 1)


def decode_ids(blob: bytes) -> list[str]:
    return orjson.loads(zlib.decompress(blob))


def encode_vectors(vectors: np.ndarray | sp.csr_matrix) -> bytes:
    buffer = io.BytesIO()
    if sp.issparse(vectors):
        csr = sp.csr_matrix(vectors, dtype=np.float32)
        np.savez_compressed(
            buffer,
            indptr=csr.indptr,
            indices=csr.indices,
            data=csr.data,
            shape=np.array(csr.shape, dtype=np.int64),
        )
    else:
        np.savez_compressed(buffer, dense=np.asarray(vectors, dtype=np.float32))
    return buffer.getvalue()


def decode_vectors(blob: bytes) -> np.ndarray | sp.csr_matrix:
    with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
        if "dense" in arrays:
            return arrays["dense"]
        shape = tuple(int(v) for v in arrays["shape"])
        return sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)


def encode_attributes(rows: list[dict]) -> bytes:
    """Row dicts stored column-wise: {name: [value per row, None where the row lacks it]}."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    columns = {name: [row.get(name) for row in rows] for name in names}
    return zlib.compress(orjson.dumps(columns), 1)


def decode_attributes(blob: bytes) -> dict[str, list]:
    return orjson.loads(zlib.decompress(blob))
