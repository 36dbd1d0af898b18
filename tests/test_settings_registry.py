"""One Settings object, passed down (issue 14).

README's configuration table lists exactly Settings' fields, with their defaults; and no module
reads the environment or calls the global settings getter outside the process entry points."""

import ast
import re
from pathlib import Path

import pytest

from app.config import Settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

# Defaults the table states in words (derived, or a size in units): the phrase the row must
# show, and the value Settings declares (so changing the default forces updating both).
PROSE_DEFAULTS = {
    "data_dir": ("`./automl-data`", Path("./automl-data")),
    "database_url": ("SQLite in the data dir", None),
    "max_body_bytes": ("200 MB", 200 * 1024 * 1024),
    "max_file_bytes": ("4 x the body limit", 0),
    "train_memory_limit": ("half the machine's memory", 0),
    "key_secret": ("embedded: generated into", ""),
    "metrics_dir": ("`<data_dir>/metrics`", None),
}

# Where reading the environment / the global getter is allowed, and why.
ALLOWED = {
    # the process entry points: they build the one Settings and pass it down
    "app/cli.py": "entry point (its commands build Settings from flags and the environment)",
    "app/main.py": "create_app(settings=None) for `uvicorn app.main:create_app --factory`",
    "workers/celery_app.py": "entry point for `celery -A workers.celery_app` (module `app`)",
    "app/config.py": "defines Settings and get_settings",
    # not an AUTOML_* setting: prometheus_client's own multiprocess switch, which the module
    # sets from settings.metrics_dir before prometheus_client reads it
    "app/observability/metrics.py": "PROMETHEUS_MULTIPROC_DIR",
    # a different distribution with its own documented behaviour (client/README.md)
    "client/automl_client/_core.py": "the client's AUTOML_BASE_URL / AUTOML_API_KEY",
}
SOURCE_DIRS = ("app", "workers", "runtime/automl_runtime", "client/automl_client")


def _table_rows() -> list[list[str]]:
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `AUTOML_"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _documented() -> dict[str, str]:
    """AUTOML_NAME -> the default cell; a row may name several (`A`, `B` | `1`, `2`)."""
    out = {}
    for row in _table_rows():
        names = re.findall(r"`(AUTOML_[A-Z0-9_]+)`", row[0])
        defaults = [d.strip() for d in row[1].split(", ")] if len(names) > 1 else [row[1]]
        if len(defaults) == 1:  # one default for all of them
            defaults *= len(names)
        assert len(defaults) == len(names), row
        for name, default in zip(names, defaults, strict=True):
            assert name not in out, f"{name} has two rows"
            out[name] = default
    return out


def _shown(value) -> str:
    """How the table writes a plain default."""
    if value is None:
        return "unset"
    if value is False:
        return "`0`"
    if value is True:
        return "`1`"
    if value == "":
        return "empty"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def test_table_names_exactly_the_settings():
    fields = {f"AUTOML_{name.upper()}" for name in Settings.model_fields}
    documented = set(_documented())
    assert documented - fields == set(), "rows without a Settings field"
    assert fields - documented == set(), "Settings fields without a row"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_table_shows_the_default(name):
    cell = _documented()[f"AUTOML_{name.upper()}"]
    default = Settings.model_fields[name].default
    if name in PROSE_DEFAULTS:
        phrase, declared = PROSE_DEFAULTS[name]
        assert default == declared, f"{name}'s default changed: update README and this test"
        assert phrase in cell
    else:
        assert cell.startswith(_shown(default)), (cell, default)


def _leaks(path: Path) -> list[str]:
    """Reads of the environment (os.environ, os.getenv, os.environb, getenv) and calls of
    get_settings in one module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "environb", "getenv"):
            found.append(f"{node.attr} at line {node.lineno}")
        elif isinstance(node, ast.Name) and node.id in ("environ", "getenv", "get_settings"):
            found.append(f"{node.id} at line {node.lineno}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [f"from os import {a.name} at line {node.lineno}" for a in node.names
                      if a.name in ("environ", "environb", "getenv")]
    return found


def _modules():
    for folder in SOURCE_DIRS:
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_no_module_reads_the_environment_or_the_global_settings():
    leaks = {}
    for path in _modules():
        relative = path.relative_to(ROOT).as_posix()
        if relative not in ALLOWED and (found := _leaks(path)):
            leaks[relative] = found
    assert leaks == {}


def test_the_scan_finds_a_leak(tmp_path):
    """The check above can fail: each form of reading is caught."""
    for source in ("import os\nx = os.environ.get('AUTOML_X')\n",
                   "import os\nx = os.getenv('AUTOML_X')\n",
                   "from os import environ\n",
                   "from app.config import get_settings\nx = get_settings().port\n"):
        module = tmp_path / "m.py"
        module.write_text(source)
        assert _leaks(module), source
    assert _modules() and any(p.name == "state.py" for p in _modules())
