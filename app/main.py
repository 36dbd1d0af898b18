"""The FastAPI application: routers under /api, the dashboard under /ui, one error envelope,
jobs recovered at start."""

import logging
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from app.api import automl, collections, errors, jobs, openapi, projects, ready
from app.api.deps import Api
from app.api.envelope import success
from app.api.limits import BodySizeLimit
from app.config import Settings, get_settings
from app.db.migrate import ensure_schema
from app.db.session import Database
from app.jobs.runner import JobRunner, LocalRunner
from app.jobs.state import recover_interrupted
from app.observability import metrics
from app.observability.middleware import RequestObservability
from app.services.accounts import register_keys_from_spec
from app.services.key_secret import key_secret
from app.ui import actions as ui_actions
from app.ui import pages as ui_pages
from app.ui.rendering import HERE as UI_DIR

UI_STATIC = UI_DIR / "static"

log = logging.getLogger(__name__)


def make_runner(settings: Settings, db: Database, prestart_training: bool = False) -> JobRunner:
    """`prestart_training` (embedded): keep a training process with the engine imported
    waiting, so a training's budget is not spent starting one (5-8 s on a loaded machine)."""
    if settings.broker_url:
        from workers.runner import CeleryRunner

        return CeleryRunner(settings, db)
    return LocalRunner(db, train_workers=settings.train_workers,
                       stale_seconds=settings.job_stale_seconds,
                       threads=settings.threads_per_training(settings.train_workers),
                       prestart=prestart_training)


def create_app(settings: Settings | None = None, prestart_training: bool = False) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.resolved_database_url)
        ensure_schema(db, auto_upgrade=not settings.broker_url)
        with db.session() as session:
            register_keys_from_spec(session, settings.api_keys, key_secret(settings))
        runner = make_runner(settings, db, prestart_training)
        app.state.api = Api(settings, db, runner)
        if not settings.broker_url:
            for job_id, kind in recover_interrupted(db):
                runner.submit(job_id, kind)
        try:
            yield
        finally:
            runner.shutdown()
            db.dispose()
            metrics.process_exited()

    # Swagger UI and ReDoc from files installed with the package: /docs works air-gapped.
    app = FastAPIOffline(
        title="AutoML server",
        description="Self-hosted AutoML with VecML's REST API: POST /api/<endpoint>, JSON bodies "
                    "carrying user_api_key.",
        version="0.1.0",
        lifespan=lifespan,
    )
    api = APIRouter(prefix="/api", strict_content_type=False)
    for module in (projects, collections, jobs, automl):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(ready.router)
    app.include_router(ui_pages.router)
    app.include_router(ui_actions.router)
    app.mount("/ui/static", StaticFiles(directory=UI_STATIC), name="ui-static")
    errors.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    metrics.setup(settings.resolved_metrics_dir)
    app.add_middleware(RequestObservability)  # outermost: sees every answer, sets request ids

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    def prometheus_metrics() -> Response:
        body, content_type = metrics.render(app.state.api.db)
        return Response(body, media_type=content_type)

    @app.get("/health", tags=["health"])
    def health() -> dict:
        return success(status="ok")

    openapi.install(app, settings)
    return app
