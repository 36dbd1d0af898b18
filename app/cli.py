"""`automl-server serve | create-key USER | migrate | worker`."""

import argparse
import os
import sys

from app.config import Settings
from app.observability import metrics
from app.observability.logs import configure_logging, uvicorn_log_config


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
    if getattr(args, "log_format", None):
        overrides["log_format"] = args.log_format
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
    from app.services.key_secret import KeySecretMissing, key_secret

    try:
        key_secret(settings)
    except KeySecretMissing as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    tls_problem = _tls_problem(settings)
    if tls_problem:
        print(f"error: {tls_problem}", file=sys.stderr)
        return 2
    if settings.broker_url and not _schema_ready(settings):
        return 1
    if not settings.open_access and not settings.api_keys and not _has_keys(settings):
        print("warning: no API keys are registered; create one with `automl-server create-key "
              "USER`, set AUTOML_API_KEYS, or start with --open", file=sys.stderr)
    configure_logging(settings.log_format, settings.log_level)
    # uvicorn's loggers go through the root handler; its access log is replaced by the
    # request line of app.observability (request id, user, route, status, duration).
    app = create_app(settings, prestart_training=True)
    uvicorn.run(app, host=settings.host, port=settings.port,
                ssl_certfile=settings.ssl_certfile, ssl_keyfile=settings.ssl_keyfile,
                log_level=settings.log_level, access_log=False,
                log_config=uvicorn_log_config(settings.log_format, settings.log_level))
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


def _keys_session(args, use) -> int:
    """Run `use(session, secret)` on the server's database, with its key secret."""
    from app.db.migrate import ensure_schema
    from app.db.session import Database
    from app.errors import AppError
    from app.services.key_secret import KeySecretMissing, key_secret

    settings = _settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        secret = key_secret(settings)
    except KeySecretMissing as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    db = Database(settings.resolved_database_url)
    try:
        ensure_schema(db, auto_upgrade=True)
        with db.session() as session:
            use(session, secret)
    except AppError as err:
        print(f"error: {err.message}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    return 0


def create_key(args) -> int:
    """`keys create USER` (and the older `create-key USER`): print a new key, store its HMAC."""
    from app.services.accounts import create_key as new_key

    return _keys_session(args, lambda session, secret: print(new_key(session, args.user,
                                                                        secret)))


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def list_keys(args) -> int:
    """`keys list [USER]`: id, user, prefix, created, last used, revoked; never the key."""
    from app.services.accounts import list_keys as keys_of

    def show(session, _secret) -> None:
        print("id\tuser\tprefix\tcreated\tlast_used\trevoked")
        for k in keys_of(session, args.user):
            print(f"{k.id}\t{k.user}\t{k.prefix or '-'}\t{_when(k.created_at)}\t"
                  f"{_when(k.last_used_at)}\t{_when(k.revoked_at)}")

    return _keys_session(args, show)


def revoke_key(args) -> int:
    """`keys revoke KEY_ID` (the id `keys list` shows) or `keys revoke --key KEY`."""
    from app.services.accounts import revoke_key as revoke

    if (args.key_id is None) == (args.key is None):
        print("error: give a KEY_ID (see `keys list`) or --key KEY, not both", file=sys.stderr)
        return 2

    def run(session, secret) -> None:
        info = revoke(session, args.key_id, args.key, secret=secret)
        print(f"revoked key {info.id} of {info.user}")

    return _keys_session(args, run)


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
    """A thin wrapper over `celery -A workers.celery_app worker`, its app built from this
    command's Settings."""
    from workers.celery_app import make_celery

    settings = _settings(args)
    if not settings.broker_url:
        print("AUTOML_BROKER_URL is not set: workers are for the production mode",
              file=sys.stderr)
        return 2
    queues = ",".join(f"{settings.queue_prefix}.{q}" for q in args.queues.split(","))
    argv = ["worker", "--queues", queues, "--concurrency", str(args.concurrency),
            "--loglevel", settings.log_level.upper(),
            "--hostname", args.hostname or f"automl-{os.getpid()}@%h"]
    # Before the pool forks: its processes write metrics to the deployment's shared directory
    # and log through our handler (Celery leaves the root logger alone).
    metrics.setup(settings.resolved_metrics_dir)
    configure_logging(settings.log_format, settings.log_level)
    celery = make_celery(settings, concurrency=args.concurrency)
    celery.conf.worker_hijack_root_logger = False
    celery.worker_main(argv)
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
    run.add_argument("--log-format", choices=["text", "json"],
                     help="default text (AUTOML_LOG_FORMAT)")
    run.set_defaults(func=serve)
    key = commands.add_parser("create-key", help="print a new API key for USER")
    key.add_argument("user")
    key.add_argument("--data-dir")
    key.set_defaults(func=create_key)
    keys = commands.add_parser("keys", help="API keys: create, list, revoke").add_subparsers(
        dest="keys_command", required=True)
    made = keys.add_parser("create", help="print a new API key for USER (only its HMAC is kept)")
    made.add_argument("user")
    made.set_defaults(func=create_key)
    listed = keys.add_parser("list", help="keys (of USER): id, prefix, created, last used")
    listed.add_argument("user", nargs="?")
    listed.set_defaults(func=list_keys)
    revoked = keys.add_parser("revoke", help="revoke a key: refused at once by every process")
    revoked.add_argument("key_id", nargs="?", type=int, help="the id `keys list` shows")
    revoked.add_argument("--key", help="the key itself, instead of its id")
    revoked.set_defaults(func=revoke_key)
    for sub in (made, listed, revoked):
        sub.add_argument("--data-dir")
    mig = commands.add_parser("migrate", help="create or upgrade the database schema")
    mig.add_argument("--data-dir")
    mig.set_defaults(func=migrate)
    work = commands.add_parser("worker", help="run a Celery worker (production mode)")
    work.add_argument("--concurrency", type=int, default=1, help="processes (default 1)")
    work.add_argument("--queues", default="data,train", help="default data,train")
    work.add_argument("--hostname", help="Celery node name")
    work.add_argument("--log-format", choices=["text", "json"],
                      help="default text (AUTOML_LOG_FORMAT)")
    work.set_defaults(func=worker)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
