"""automl-runtime is its own distribution: it depends on numpy, pandas, scipy and the model
families' libraries only, imports nothing of the server, and the server ships the same
package (its scoring code) inside its own distribution."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_DIR = ROOT / "runtime"


def test_dependencies_are_numpy_pandas_scipy_and_the_families_only():
    project = tomllib.loads((RUNTIME_DIR / "pyproject.toml").read_text())["project"]
    assert project["name"] == "automl-runtime"
    names = sorted(d.split(">=")[0] for d in project["dependencies"])
    assert names == ["catboost", "lightgbm", "numpy", "pandas", "scipy"]
    assert all(">=" in d for d in project["dependencies"])


def test_the_source_imports_no_server_package():
    allowed = {"__future__", "io", "json", "zipfile", "os", "math", "collections", "dataclasses",
               "numpy", "pandas", "scipy", "lightgbm", "catboost", "orjson", "automl_runtime"}
    for path in (RUNTIME_DIR / "automl_runtime").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or "automl_runtime"] if node.level == 0 else []
            else:
                continue
            for module in modules:
                assert module.split(".")[0] in allowed, (path.name, module)


def test_import_loads_no_server_package():
    code = ("import sys; import automl_runtime; "
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'app', 'fastapi', 'starlette', 'sqlalchemy', 'pydantic', 'celery', 'uvicorn', "
            "'lightgbm', 'catboost'})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=RUNTIME_DIR, check=True)
    # The families' libraries load with the first model that needs them.
    assert result.stdout.strip() == ""


def test_the_server_distribution_ships_the_runtime():
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]
    assert "runtime" in find["where"] and "automl_runtime*" in find["include"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY runtime ./runtime" in dockerfile
