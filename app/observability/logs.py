"""Logs as text or one JSON object a line, each record carrying the request or job it serves.

The JSON formatter is written here (a few lines over the standard library) rather than taken
from python-json-logger: it needs nothing that library adds, and one dependency fewer.
"""

import json
import logging
import time
from contextvars import ContextVar

# Set while a request is served (a dict the API fills in: the user once authenticated) and
# while a job runs; every log record made meanwhile carries them.
request_context: ContextVar[dict | None] = ContextVar("request_context", default=None)
job_id_var: ContextVar[str | None] = ContextVar("job_id", default=None)

FIELDS = ("request_id", "user", "route", "method", "status", "duration_ms", "job_id")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"


class ContextFilter(logging.Filter):
    """Adds request_id and job_id to every record from the context it was logged in."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = request_context.get()
        if context and not hasattr(record, "request_id"):
            record.request_id = context.get("request_id")
        job_id = job_id_var.get()
        if job_id and not hasattr(record, "job_id"):
            record.job_id = job_id
        extra = " ".join(f"{f}={getattr(record, f)}" for f in FIELDS
                         if getattr(record, f, None) is not None)
        record.context = f" [{extra}]" if extra else ""
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                + f".{int(record.msecs):03d}Z",
                "level": record.levelname.lower(), "logger": record.name,
                "message": record.getMessage()}
        for field in FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def make_formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def make_handler(log_format: str) -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(ContextFilter())
    return handler


def configure_logging(log_format: str, level: str) -> None:
    """The root logger writes to stderr in `log_format`; uvicorn's and Celery's loggers go
    through it too (uvicorn's access log is off: the request line below replaces it)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(make_handler(log_format))
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True


def uvicorn_log_config(log_format: str, level: str) -> dict:
    """uvicorn's dictConfig: everything through the root handler set by configure_logging."""
    return {"version": 1, "disable_existing_loggers": False,
            "loggers": {name: {"handlers": [], "propagate": True, "level": level.upper()}
                        for name in ("uvicorn", "uvicorn.error")}}
