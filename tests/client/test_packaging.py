"""The client is its own distribution: it depends on httpx and pandas only, and importing it
loads none of the server's packages."""

import subprocess
import sys
import tomllib
from pathlib import Path

CLIENT_DIR = Path(__file__).resolve().parents[2] / "client"


def test_dependencies_are_httpx_and_pandas_only():
    project = tomllib.loads((CLIENT_DIR / "pyproject.toml").read_text())["project"]
    assert project["name"] == "automl-client"
    names = sorted(d.split(">=")[0] for d in project["dependencies"])
    assert names == ["httpx", "pandas"]
    assert all(">=" in d for d in project["dependencies"])  # lower bounds only


def test_import_loads_no_server_package():
    code = ("import sys; import automl_client; "
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'app', 'fastapi', 'starlette', 'sqlalchemy', 'pydantic', 'lightgbm', 'sklearn', "
            "'catboost', 'scipy', 'celery', 'uvicorn', 'orjson'})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=CLIENT_DIR, check=True)
    assert result.stdout.strip() == ""
