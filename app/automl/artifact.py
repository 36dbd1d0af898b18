"""Model artifact: a zip holding `manifest.json` plus the component files it names.

LightGBM models are stored as LightGBM model text, CatBoost models in CatBoost's own binary
format, linear models as JSON coefficients;
nothing is pickled. The zip is byte-for-byte reproducible (fixed timestamps, sorted entries).
Writing is here; the format's name, version and reader (`unpack`) are the scoring code's
(`automl_runtime.artifact`), so the server and the standalone runtime read alike.
"""

from __future__ import annotations

import io
import zipfile

import orjson
from automl_runtime.artifact import FORMAT, READABLE, VERSION, UnsupportedArtifact
from automl_runtime.artifact import read as unpack

__all__ = ["FORMAT", "READABLE", "VERSION", "UnsupportedArtifact", "pack", "unpack"]

# Versions: see automl_runtime/artifact.py (a new version is declared there, with its reader).
# Optional manifest key, no version bump (absent means what every reader already does):
# "decision_threshold" (a binary classifier tuned for accuracy, balanced_accuracy or f1):
# predict the second class of "classes" when its probability is > the threshold, else the
# first; absent: argmax. Probabilities are not changed by it. Every reader that predicts
# labels must apply it (automl_runtime.pipeline.Pipeline.decide, which the server runs too).
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
