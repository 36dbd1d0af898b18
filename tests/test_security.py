"""Stored bytes are data, never code: no module of the server can unpickle or evaluate them."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNSAFE_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "joblib", "marshal", "shelve"}
UNSAFE_CALLS = {"eval", "exec"}


def server_modules() -> list[Path]:
    return sorted((ROOT / "app").rglob("*.py")) + sorted((ROOT / "workers").rglob("*.py"))


def test_no_module_can_execute_stored_bytes():
    found = []
    for path in server_modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {(node.module or "").split(".")[0]}
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                names = {node.func.id} & UNSAFE_CALLS
            else:
                continue
            found += [f"{path.relative_to(ROOT)}:{node.lineno} {name}"
                      for name in names & (UNSAFE_MODULES | UNSAFE_CALLS)]
    assert found == []
