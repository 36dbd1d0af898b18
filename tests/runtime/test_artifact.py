"""The runtime refuses what it cannot score, with a message that says what to do."""

import io
import subprocess
import sys
import zipfile

import numpy as np
import orjson
import pytest

from app.automl import artifact
from app.automl.model import FittedModel
from tests.automl.helpers import make_data

from .test_parity import fit


def rewritten(data: bytes, **changes) -> bytes:
    """The artifact with its manifest's keys changed."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    manifest = {**orjson.loads(files["manifest.json"]), **changes}
    files["manifest.json"] = orjson.dumps(manifest)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, blob in files.items():
            archive.writestr(name, blob)
    return out.getvalue()


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    X, y = make_data("binary", n=200, seed=4)
    return fit("binary", X, y, {"linear": 1.0}).to_bytes()


def load_elsewhere(data: bytes, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "model.zip"
    path.write_bytes(data)
    code = ("import sys, automl_runtime\n"
            "try:\n    automl_runtime.load(sys.argv[1])\n"
            "except automl_runtime.UnsupportedArtifact as e:\n    print(e); sys.exit(3)\n")
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, cwd=tmp_path)


def test_a_newer_artifact_version_is_refused_with_advice(model_bytes, tmp_path):
    newer = rewritten(model_bytes, version=artifact.VERSION + 1)
    result = load_elsewhere(newer, tmp_path)
    assert result.returncode == 3, result.stderr
    message = result.stdout.strip()
    assert f"newer server (artifact version {artifact.VERSION + 1})" in message
    assert "upgrade automl-runtime" in message
    # The server reads with the same code, so it says the same.
    with pytest.raises(artifact.UnsupportedArtifact, match="upgrade automl-runtime"):
        FittedModel.from_bytes(newer)


@pytest.mark.parametrize("change, words", [
    ({"version": 0}, "version 0"),
    ({"version": "3"}, "version '3'"),
    ({"format": "something-else"}, "not an automl-server model artifact"),
])
def test_unknown_versions_and_formats_are_refused(model_bytes, tmp_path, change, words):
    result = load_elsewhere(rewritten(model_bytes, **change), tmp_path)
    assert result.returncode == 3, result.stderr
    assert words in result.stdout


def test_not_a_zip_is_refused(tmp_path):
    result = load_elsewhere(b"PK but not really", tmp_path)
    assert result.returncode == 3 and "bad zip" in result.stdout


def test_known_versions_load(model_bytes, tmp_path):
    import automl_runtime

    for version in artifact.READABLE:
        model = automl_runtime.load(rewritten(model_bytes, version=version))
        assert model.format_version == version
    rows = np.zeros((2, 6))
    with pytest.raises(TypeError, match="DataFrame"):  # it has a categorical feature
        model.predict(rows)
