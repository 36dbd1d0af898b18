"""Model artifact: a zip holding `manifest.json` plus the component files it names.

LightGBM models are stored as LightGBM model text, CatBoost models in CatBoost's own binary
format, linear models as JSON coefficients;
nothing is pickled. The zip is byte-for-byte reproducible (fixed timestamps, sorted entries).
"""

from __future__ import annotations

import io
import zipfile

import orjson

FORMAT = "automl-model"
# 2 added stacked members (older readers would ignore them and predict wrongly); 3 leaves out
# the names of unnamed columns (`numeric_names` null, the width in `n_numeric`), which older
# readers cannot load. 1 and 2 still load.
VERSION = 3
READABLE = (1, 2, 3)
_EPOCH = (1980, 1, 1, 0, 0, 0)
# zlib's fastest level: a 26-class LightGBM of 8.8 MB text deflates in 0.06 s to 3.6 MB, against
# 0.32 s and 3.2 MB at the default level 6 (about 5 % of letter's whole high_speed job, request
# to finished). Any level reads back the same.
COMPRESS_LEVEL = 1


def pack(manifest: dict, files: dict[str, bytes]) -> bytes:
    manifest = {"format": FORMAT, "version": VERSION, **manifest}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entries = {"manifest.json": orjson.dumps(manifest, option=orjson.OPT_INDENT_2), **files}
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name], compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


def unpack(data: bytes) -> tuple[dict, dict[str, bytes]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    except zipfile.BadZipFile as exc:
        raise ValueError("not a model artifact (bad zip)") from exc
    if "manifest.json" not in files:
        raise ValueError("not a model artifact (no manifest.json)")
    manifest = orjson.loads(files.pop("manifest.json"))
    if manifest.get("format") != FORMAT or manifest.get("version") not in READABLE:
        raise ValueError(
            f"unsupported model artifact {manifest.get('format')!r} "
            f"version {manifest.get('version')!r}"
        )
    return manifest, files
