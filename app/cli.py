"""`automl-server serve | create-key USER | migrate | worker`."""

import argparse
import os
import sys

from app.config import Settings


def _settings(args) -> Settings:
    overrides = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = args.data_dir
    if getattr(args, "open", False):
        overrides["open_access"] = True
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    if getattr(args, "ssl_certfile", None):
        overrides["ssl_certfile"] = args.ssl_certfile
    if getattr(args, "ssl_keyfile", None):
        overrides["ssl_keyfile"] = args.ssl_keyfile
    return Settings(**overrides)


def _tls_problem(settings: Settings) -> str | None:
    """Both files or neither, and both readable: said plainly instead of uvicorn's traceback."""
    files = {"--ssl-certfile": settings.ssl_certfile, "--ssl-keyfile": settings.ssl_keyfile}
    given = [flag for flag, path in files.items() if path]
    if len(given) == 1:
        missing = next(flag for flag in files if flag not in given)
        return f"{given[0]} needs {missing} too (AUTOML_SSL_CERTFILE, AUTOML_SSL_KEYFILE)"
    for flag, path in files.items():
        if path and not path.is_file():
            return f"{flag} {path}: no such file"
    return None


def serve(args) -> int:
    import uvicorn

    from app.main import create_app

    settings = _settings(args)
    tls_problem = _tls_problem(settings)
    if tls_problem:
        print(f"error: {tls_problem}", file=sys.stderr)
        return 2
    if settings.broker_url and not _schema_ready(settings):
        return 1
    if not settings.open_access and not settings.api_keys and not _has_keys(settings):
        print("warning: no API keys are registered; create one with `automl-server create-key "
              "USER`, set AUTOML_API_KEYS, or start with --open", file=sys.stderr)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                ssl_certfile=settings.ssl_certfile, ssl_keyfile=settings.ssl_keyfile,
                log_level=settings.log_level)
    return 0


def _schema_ready(settings: Settings) -> bool:
    """Production mode never migrates by itself: say so plainly instead of a traceback."""
    from app.db.migrate import SchemaMismatch, ensure_schema
    from app.db.session import Database

    db = Database(settings.resolved_database_url)
    try:
        ensure_schema(db, auto_upgrade=False)
        return True
    except SchemaMismatch as err:
        print(f"error: {err}", file=sys.stderr)
        return False
    finally:
        db.dispose()


def _has_keys(settings: Settings) -> bool:
    from sqlalchemy import inspect, select

    from app.db.models import ApiKey
    from app.db.session import Database

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    try:
        if not inspect(db.engine).has_table("api_keys"):
            return False
        with db.session() as session:
            return session.scalar(select(ApiKey.id).limit(1)) is not None
    finally:
        db.dispose()


def create_key(args) -> int:
    from app.db.migrate import ensure_schema
    from app.db.session import Database
    from app.services.accounts import create_key as new_key

    settings = _settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    ensure_schema(db, auto_upgrade=True)
    with db.session() as session:
        key = new_key(session, args.user)
    db.dispose()
    print(key)
    return 0


def migrate(args) -> int:
    from app.db.migrate import upgrade
    from app.db.session import Database

    settings = _settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    upgrade(db)
    db.dispose()
    print("schema is up to date")
    return 0


def worker(args) -> int:
    """A thin wrapper over `celery -A workers.celery_app worker`."""
    from workers.celery_app import celery_app, settings

    if not settings.broker_url:
        print("AUTOML_BROKER_URL is not set: workers are for the production mode",
              file=sys.stderr)
        return 2
    queues = ",".join(f"{settings.queue_prefix}.{q}" for q in args.queues.split(","))
    argv = ["worker", "--queues", queues, "--concurrency", str(args.concurrency),
            "--loglevel", settings.log_level.upper(),
            "--hostname", args.hostname or f"automl-{os.getpid()}@%h"]
    celery_app.worker_main(argv)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="automl-server", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="run the API server (embedded mode by default)")
    run.add_argument("--host", help="default 127.0.0.1 (AUTOML_HOST)")
    run.add_argument("--port", type=int, help="default 8000 (AUTOML_PORT)")
    run.add_argument("--data-dir", help="default ./automl-data (AUTOML_DATA_DIR)")
    run.add_argument("--open", action="store_true",
                     help="accept any non-empty API key, each its own tenant (AUTOML_OPEN_ACCESS)")
    run.add_argument("--ssl-certfile", help="serve HTTPS with this PEM certificate "
                                            "(AUTOML_SSL_CERTFILE); needs --ssl-keyfile")
    run.add_argument("--ssl-keyfile", help="the certificate's PEM private key (AUTOML_SSL_KEYFILE)")
    run.set_defaults(func=serve)
    key = commands.add_parser("create-key", help="print a new API key for USER")
    key.add_argument("user")
    key.add_argument("--data-dir")
    key.set_defaults(func=create_key)
    mig = commands.add_parser("migrate", help="create or upgrade the database schema")
    mig.add_argument("--data-dir")
    mig.set_defaults(func=migrate)
    work = commands.add_parser("worker", help="run a Celery worker (production mode)")
    work.add_argument("--concurrency", type=int, default=1, help="processes (default 1)")
    work.add_argument("--queues", default="data,train", help="default data,train")
    work.add_argument("--hostname", help="Celery node name")
    work.set_defaults(func=worker)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
