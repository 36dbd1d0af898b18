"""Scoring with automl_runtime in a separate Python process that never imports the server."""

import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd

RUNTIME_DIR = Path(__file__).resolve().parents[2] / "runtime"
# (not sklearn: LightGBM imports it when it is installed, as it is beside the server.)
SERVER_MODULES = {"app", "fastapi", "starlette", "sqlalchemy", "pydantic", "celery",
                  "uvicorn", "alembic", "workers", "migrations"}

_SCRIPT = r"""
import pickle, sys
import pandas as pd
import automl_runtime

model = automl_runtime.load(sys.argv[1])
rows = pd.read_pickle(sys.argv[2])
out = {
    "predict": model.predict(rows),
    "proba": model.predict_proba(rows) if model.task == "classification" else None,
    "classes": model.classes_,
    "features": model.features,
    "describe": model.describe(),
    "modules": sorted(m for m in sys.modules if m.split(".")[0] in set(sys.argv[4].split(","))),
}
with open(sys.argv[3], "wb") as handle:
    pickle.dump(out, handle)
"""


def score_elsewhere(artifact: bytes, rows, tmp_path: Path) -> dict:
    """What automl_runtime answers for `rows` (a DataFrame or array), from another process
    started in an empty directory; `modules`: the server's packages it imported (none)."""
    model_path, rows_path, out_path = (tmp_path / n for n in ("model.zip", "rows.pkl", "out.pkl"))
    model_path.write_bytes(artifact)
    pd.to_pickle(rows, rows_path)
    work = tmp_path / "elsewhere"
    work.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-c", _SCRIPT, str(model_path), str(rows_path),
                    str(out_path), ",".join(sorted(SERVER_MODULES))],
                   cwd=work, check=True, capture_output=True, text=True)
    with open(out_path, "rb") as handle:
        return pickle.load(handle)
