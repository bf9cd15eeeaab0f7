"""Logging the way the taskflow services print it, with a correlation id on the app's lines.

taskflow-api keeps uvicorn's own format for uvicorn's lines (`INFO:     Started server process`,
access lines, `ERROR:    Exception in ASGI application` + traceback) and prints its own loggers
(taskflow.*, httpx, ...) as `2026-11-27 22:41:03,102 INFO [taskflow.api] request_id=<id> msg`.
notification-service prints every line, uvicorn's included, as
`2026-11-27 22:41:03,115 [<correlation id>] LEVEL msg` (asgi-correlation-id style).
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
TRACEPARENT: ContextVar[str | None] = ContextVar("traceparent", default=None)

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class RequestIdMiddleware:
    """Pure ASGI (so the id stays visible to uvicorn's access line of the same request).

    The id is the caller's X-Request-ID, else a new uuid4; it is echoed in the response's
    X-Request-ID. The caller's traceparent is kept for outgoing calls.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or str(uuid.uuid4())
        traceparent = headers.get(b"traceparent", b"").decode("latin-1")
        REQUEST_ID.set(request_id)
        TRACEPARENT.set(traceparent if _TRACEPARENT.match(traceparent) else None)

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


def outgoing_headers() -> dict[str, str]:
    """Headers that carry the correlation to the next service (through the Dapr sidecar)."""
    headers = {"X-Request-ID": REQUEST_ID.get()}
    traceparent = TRACEPARENT.get()
    if traceparent:
        headers["traceparent"] = traceparent
    return headers


def api_log_config(level: str) -> dict:
    """uvicorn's default configuration, plus the app's own format on the root logger."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "default": {"()": "uvicorn.logging.DefaultFormatter",
                        "fmt": "%(levelprefix)s %(message)s", "use_colors": False},
            "access": {"()": "uvicorn.logging.AccessFormatter",
                       "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" '
                              '%(status_code)s',
                       "use_colors": False},
            "app": {"format": "%(asctime)s %(levelname)s [%(name)s] request_id=%(request_id)s "
                              "%(message)s"},
        },
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default",
                        "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "access",
                       "stream": "ext://sys.stdout"},
            "app": {"class": "logging.StreamHandler", "formatter": "app", "filters": ["request_id"],
                    "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["app"], "level": level.upper()},
    }


def notification_log_config(level: str) -> dict:
    """One format for every logger, uvicorn's access lines included."""
    prefix = "%(asctime)s [%(request_id)s] %(levelname)s "
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "plain": {"format": prefix + "%(message)s"},
            "access": {"()": "uvicorn.logging.AccessFormatter", "use_colors": False,
                       "fmt": prefix + '%(client_addr)s - "%(request_line)s" %(status_code)s'},
        },
        "handlers": {
            "plain": {"class": "logging.StreamHandler", "formatter": "plain",
                      "filters": ["request_id"], "stream": "ext://sys.stdout"},
            "access": {"class": "logging.StreamHandler", "formatter": "access",
                       "filters": ["request_id"], "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["plain"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            # httpcore's DEBUG lines would drown the service's own
            "httpcore": {"level": "INFO"},
            "aiosqlite": {"level": "INFO"},
        },
        "root": {"handlers": ["plain"], "level": level.upper()},
    }
