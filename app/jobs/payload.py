"""A job's input, stored with the job so that any worker can run it: JSON metadata plus named
binary parts, packed in one zip."""

import io
import zipfile

import orjson


def pack(meta: dict, blobs: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("meta.json", orjson.dumps(meta, option=orjson.OPT_SERIALIZE_NUMPY))
        for name, data in (blobs or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def unpack(data: bytes) -> tuple[dict, dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        meta = orjson.loads(zf.read("meta.json"))
        blobs = {name: zf.read(name) for name in zf.namelist() if name != "meta.json"}
    return meta, blobs
