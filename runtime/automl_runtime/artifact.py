"""Reading a model artifact: a zip holding `manifest.json` plus the component files it names.

LightGBM models are stored as LightGBM model text, CatBoost models in CatBoost's own binary
format, linear models as JSON coefficients; nothing is pickled. The server writes artifacts
(`app/automl/artifact.py`); this module is the one reader, used by the server and by
standalone scoring alike.
"""

from __future__ import annotations

import io
import json
import zipfile

try:  # faster on large linear models; the same numbers as json
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is optional
    _loads = json.loads

FORMAT = "automl-model"
# 2 added stacked members (older readers would ignore them and predict wrongly); 3 leaves out
# the names of unnamed columns (`numeric_names` null, the width in `n_numeric`), which older
# readers cannot load. 1 and 2 still load.
VERSION = 3
READABLE = (1, 2, 3)


class UnsupportedArtifact(ValueError):
    """The bytes are not a model artifact this reader knows how to score."""


def loads(data: bytes):
    return _loads(data)


def read(data: bytes) -> tuple[dict, dict[str, bytes]]:
    """(manifest, files) of an artifact; UnsupportedArtifact when it is not one this version
    of the reader can score (another format, a newer artifact version)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    except zipfile.BadZipFile as exc:
        raise UnsupportedArtifact("not a model artifact (bad zip)") from exc
    if "manifest.json" not in files:
        raise UnsupportedArtifact("not a model artifact (no manifest.json)")
    try:
        manifest = loads(files.pop("manifest.json"))
    except ValueError as exc:
        raise UnsupportedArtifact("not a model artifact (manifest.json is not JSON)") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise UnsupportedArtifact(
            f"not an automl-server model artifact (format {found!r}, expected {FORMAT!r})")
    version = manifest.get("version")
    if isinstance(version, int) and version > max(READABLE):
        raise UnsupportedArtifact(
            f"this model was saved by a newer server (artifact version {version}); this "
            f"automl-runtime reads versions {READABLE[0]}-{READABLE[-1]}: upgrade automl-runtime")
    if version not in READABLE:
        raise UnsupportedArtifact(
            f"unsupported model artifact {FORMAT!r} version {version!r}; this automl-runtime "
            f"reads versions {READABLE[0]}-{READABLE[-1]}")
    return manifest, files


def describe(manifest: dict) -> dict:
    """What a model reads and is made of, from its manifest: the numeric input features (their
    names in order, or null for unnamed vectors, with their count), the categorical ones with
    their known levels, the classes (classification), the task, the decision threshold if
    tuned, and the members (name, family, weight, stacked)."""
    features = manifest["features"]
    labels = manifest["labels"]
    names = features.get("numeric_names")
    summary: dict = {
        "format_version": manifest["version"],
        "task": manifest["task"],
        "numeric_features": list(names) if names is not None else None,
        "n_numeric": int(features.get("n_numeric", len(names or []))),
        "categorical_features": [
            {"name": name, "levels": list(features["categories"].get(name, []))}
            for name in features["categorical_names"]
        ],
    }
    if manifest["task"] == "classification":
        summary["classes"] = list(labels["classes"])
    if manifest.get("decision_threshold") is not None:
        summary["decision_threshold"] = float(manifest["decision_threshold"])
    summary["members"] = [
        {
            "name": member["name"],
            "family": member["components"][0]["meta"]["family"] if member["components"] else None,
            "weight": float(member["weight"]),
            "stacked": bool(member.get("stacked", False)),
        }
        for member in manifest["members"]
    ]
    return summary
