# syntax=docker/dockerfile:1
# automl-server, production image: `automl-server serve` by default; the same image runs
# `automl-server migrate` and `automl-server worker` (see docker-compose.yml).

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build stage: resolve and install the project into a virtualenv -------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY workers ./workers
COPY migrations ./migrations
COPY runtime ./runtime
RUN /opt/venv/bin/pip install ".[production]"

# ---- runtime stage: the virtualenv and the one shared library LightGBM needs -----------------
FROM ${PYTHON_IMAGE} AS runtime

# libgomp1: OpenMP runtime for LightGBM. Nothing else is installed; no compilers.
# Not version-pinned: the pin would break on every Debian point release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 automl \
    && useradd --system --uid 10001 --gid automl --home-dir /var/lib/automl \
       --shell /usr/sbin/nologin automl \
    && mkdir -p /var/lib/automl \
    && chown automl:automl /var/lib/automl

COPY --from=build /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    AUTOML_DATA_DIR=/var/lib/automl \
    AUTOML_HOST=0.0.0.0 \
    AUTOML_PORT=8000 \
    AUTOML_LOG_FORMAT=json \
    AUTOML_METRICS_DIR=/tmp/automl-metrics

WORKDIR /var/lib/automl
USER 10001:10001

EXPOSE 8000

# No curl in slim images: ask /ready (database, schema, broker) with the standard library (non-2xx raises -> exit 1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/ready', timeout=4)"]

CMD ["automl-server", "serve", "--host", "0.0.0.0", "--port", "8000"]
