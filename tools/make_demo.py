#!/usr/bin/env python3
"""Write the hand-written taskflow incident bundle, a test input (the shipped demo is recorded:
tools/record_demo.py).

The bundle, tests/data/handwritten-demo/, is the `taskflow` namespace of the `prod-eu` cluster
one hour into a bad release (docs/handwritten-incident.md tells the story and lists the expected
findings). It follows docs/bundle-format.md: API List objects as JSON, one log file per container
as `kubectl logs --timestamps` prints it.

The generator uses the standard library only and is deterministic: one random.Random(SEED) and a
fixed clock, so two runs write byte-identical files. The Python tracebacks are real ones, captured
once from the same code run under uvicorn 0.32 / FastAPI 0.115 / SQLAlchemy 2.0 / httpx 0.27 on
Python 3.11, with paths rewritten to the container's.

    python3 tools/make_demo.py            # writes tests/data/handwritten-demo/
    python3 tools/make_demo.py --out DIR
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
import shutil
import time
import uuid
from collections import Counter
from pathlib import Path

SEED = 20261127
NAMESPACE = "taskflow"
CONTEXT = "prod-eu"
CORRELATION_ID = "6f1c2a0e-9b7d-4c1e-8f3a-2d5b7e9c1a04"
SITE = "/usr/local/lib/python3.11/site-packages"
DAPR_VERSION = "1.14.4"
DAPR_COMMIT = "583960dc90120616124b60ad2b7820fc0b3edf44"
HTTPX_UA = "python-httpx/0.27.2"
REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "tests" / "data" / "handwritten-demo"

rng = random.Random(SEED)


# --------------------------------------------------------------------------- clock and formats

SECOND = 10**9
MS = 10**6
US = 10**3


def ts(year: int, month: int, day: int, hour: int, minute: int, second: int = 0,
       micro: int = 0) -> int:
    """Nanoseconds since the epoch, UTC."""
    return calendar.timegm((year, month, day, hour, minute, second)) * SECOND + micro * US


def at(hour: int, minute: int, second: int = 0, micro: int = 0) -> int:
    return ts(2026, 11, 27, hour, minute, second, micro)


NOW = at(23, 10)                 # the bundle's createdAt
SINCE = at(22, 10)               # start of the log window


def _tm(ns: int) -> tuple[time.struct_time, int]:
    sec, frac = divmod(ns, SECOND)
    return time.gmtime(sec), frac


def _date(t: time.struct_time, sep: str = "T") -> str:
    return (f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}{sep}"
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}")


def rfc3339(ns: int) -> str:
    """metav1.Time: seconds."""
    return _date(_tm(ns)[0]) + "Z"


def micro_time(ns: int) -> str:
    """metav1.MicroTime, as Event.eventTime and series.lastObservedTime carry it."""
    t, frac = _tm(ns)
    return f"{_date(t)}.{frac // US:06d}Z"


def kubelet_time(ns: int) -> str:
    """`kubectl logs --timestamps`: RFC 3339 with nanoseconds, fixed width."""
    t, frac = _tm(ns)
    return f"{_date(t)}.{frac:09d}Z"


def go_time(ns: int) -> str:
    """Go's time.RFC3339Nano (logrus in daprd): trailing zeros trimmed."""
    t, frac = _tm(ns)
    digits = f"{frac:09d}".rstrip("0")
    return f"{_date(t)}.{digits}Z" if digits else f"{_date(t)}Z"


def py_time(ns: int) -> str:
    """logging's %(asctime)s."""
    t, frac = _tm(ns)
    return f"{_date(t, ' ')},{frac // MS:03d}"


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def nginx_time(ns: int) -> str:
    t, _ = _tm(ns)
    return (f"{t.tm_mday:02d}/{MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000")


def naive_iso(ns: int) -> str:
    return _date(_tm(ns)[0])


def jitter(lo_us: int, hi_us: int) -> int:
    return rng.randint(lo_us, hi_us) * US


def new_uid() -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def hexstr(n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


# what Kubernetes uses for generated name suffixes (no vowels, no 0/1/3)
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def ephemeral_port() -> int:
    return rng.randint(32768, 60999)


_rv = [48213000]


def resource_version() -> str:
    _rv[0] += rng.randint(3, 90)
    return str(_rv[0])


# --------------------------------------------------------------------------- real tracebacks

def _site(text: str) -> str:
    return text.replace("{SP}", SITE)


# GET /workers: the response model's validator reads Worker.skills, which migration 0042 added as
# a table but the ORM model never got.
TB_SCHEMA = _site("""\
ERROR:    Exception in ASGI application
Traceback (most recent call last):
  File "{SP}/uvicorn/protocols/http/httptools_impl.py", line 409, in run_asgi
    result = await app(  # type: ignore[func-returns-value]
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/uvicorn/middleware/proxy_headers.py", line 60, in __call__
    return await self.app(scope, receive, send)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/fastapi/applications.py", line 1054, in __call__
    await super().__call__(scope, receive, send)
  File "{SP}/starlette/applications.py", line 113, in __call__
    await self.middleware_stack(scope, receive, send)
  File "{SP}/starlette/middleware/errors.py", line 187, in __call__
    raise exc
  File "{SP}/starlette/middleware/errors.py", line 165, in __call__
    await self.app(scope, receive, _send)
  File "/app/taskflow/middleware.py", line 31, in __call__
    await self.app(scope, receive, send)
  File "{SP}/starlette/middleware/exceptions.py", line 62, in __call__
    await wrap_app_handling_exceptions(self.app, conn)(scope, receive, send)
  File "{SP}/starlette/_exception_handler.py", line 53, in wrapped_app
    raise exc
  File "{SP}/starlette/_exception_handler.py", line 42, in wrapped_app
    await app(scope, receive, sender)
  File "{SP}/starlette/routing.py", line 715, in __call__
    await self.middleware_stack(scope, receive, send)
  File "{SP}/starlette/routing.py", line 735, in app
    await route.handle(scope, receive, send)
  File "{SP}/starlette/routing.py", line 288, in handle
    await self.app(scope, receive, send)
  File "{SP}/starlette/routing.py", line 76, in app
    await wrap_app_handling_exceptions(app, request)(scope, receive, send)
  File "{SP}/starlette/_exception_handler.py", line 53, in wrapped_app
    raise exc
  File "{SP}/starlette/_exception_handler.py", line 42, in wrapped_app
    await app(scope, receive, sender)
  File "{SP}/starlette/routing.py", line 73, in app
    response = await f(request)
               ^^^^^^^^^^^^^^^^
  File "{SP}/fastapi/routing.py", line 327, in app
    content = await serialize_response(
              ^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/fastapi/routing.py", line 166, in serialize_response
    value, errors_ = field.validate(response_content, {}, loc=("response",))
                     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/fastapi/_compat.py", line 129, in validate
    self._type_adapter.validate_python(value, from_attributes=True),
    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/pydantic/type_adapter.py", line 410, in validate_python
    return self.validator.validate_python(
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/app/taskflow/schemas/worker.py", line 25, in collect_skills
    "skills": [s.name for s in data.skills],
                               ^^^^^^^^^^^
AttributeError: 'Worker' object has no attribute 'skills'""")  # noqa: E501 (verbatim)

# POST /tasks/{id}/assign: reading task.id after `await session.commit()` expired it.
TB_GREENLET = _site("""\
ERROR:    Exception in ASGI application
Traceback (most recent call last):
  File "{SP}/uvicorn/protocols/http/httptools_impl.py", line 409, in run_asgi
    result = await app(  # type: ignore[func-returns-value]
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/uvicorn/middleware/proxy_headers.py", line 60, in __call__
    return await self.app(scope, receive, send)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/fastapi/applications.py", line 1054, in __call__
    await super().__call__(scope, receive, send)
  File "{SP}/starlette/applications.py", line 113, in __call__
    await self.middleware_stack(scope, receive, send)
  File "{SP}/starlette/middleware/errors.py", line 187, in __call__
    raise exc
  File "{SP}/starlette/middleware/errors.py", line 165, in __call__
    await self.app(scope, receive, _send)
  File "/app/taskflow/middleware.py", line 31, in __call__
    await self.app(scope, receive, send)
  File "{SP}/starlette/middleware/exceptions.py", line 62, in __call__
    await wrap_app_handling_exceptions(self.app, conn)(scope, receive, send)
  File "{SP}/starlette/_exception_handler.py", line 53, in wrapped_app
    raise exc
  File "{SP}/starlette/_exception_handler.py", line 42, in wrapped_app
    await app(scope, receive, sender)
  File "{SP}/starlette/routing.py", line 715, in __call__
    await self.middleware_stack(scope, receive, send)
  File "{SP}/starlette/routing.py", line 735, in app
    await route.handle(scope, receive, send)
  File "{SP}/starlette/routing.py", line 288, in handle
    await self.app(scope, receive, send)
  File "{SP}/starlette/routing.py", line 76, in app
    await wrap_app_handling_exceptions(app, request)(scope, receive, send)
  File "{SP}/starlette/_exception_handler.py", line 53, in wrapped_app
    raise exc
  File "{SP}/starlette/_exception_handler.py", line 42, in wrapped_app
    await app(scope, receive, sender)
  File "{SP}/starlette/routing.py", line 73, in app
    response = await f(request)
               ^^^^^^^^^^^^^^^^
  File "{SP}/fastapi/routing.py", line 301, in app
    raw_response = await run_endpoint_function(
                   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/fastapi/routing.py", line 212, in run_endpoint_function
    return await dependant.call(**values)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/app/taskflow/api/tasks.py", line 20, in assign_task
    log.info("Task %s assigned to worker %s at %s", task.id, task.assignee_id, task.updated_at)
                                                    ^^^^^^^
  File "{SP}/sqlalchemy/orm/attributes.py", line 566, in __get__
    return self.impl.get(state, dict_)  # type: ignore[no-any-return]
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/orm/attributes.py", line 1086, in get
    value = self._fire_loader_callables(state, key, passive)
            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/orm/attributes.py", line 1116, in _fire_loader_callables
    return state._load_expired(state, passive)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/orm/state.py", line 803, in _load_expired
    self.manager.expired_attribute_loader(self, toload, passive)
  File "{SP}/sqlalchemy/orm/loading.py", line 1670, in load_scalar_attributes
    result = load_on_ident(
             ^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/orm/loading.py", line 509, in load_on_ident
    return load_on_pk_identity(
           ^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/orm/loading.py", line 694, in load_on_pk_identity
    session.execute(
  File "{SP}/sqlalchemy/orm/session.py", line 2362, in execute
    return self._execute_internal(
           ^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/orm/session.py", line 2247, in _execute_internal
    result: Result[Any] = compile_state_cls.orm_execute_statement(
                          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/orm/context.py", line 305, in orm_execute_statement
    result = conn.execute(
             ^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/engine/base.py", line 1418, in execute
    return meth(
           ^^^^^
  File "{SP}/sqlalchemy/sql/elements.py", line 515, in _execute_on_connection
    return connection._execute_clauseelement(
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/engine/base.py", line 1640, in _execute_clauseelement
    ret = self._execute_context(
          ^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/engine/base.py", line 1846, in _execute_context
    return self._exec_single_context(
           ^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/engine/base.py", line 1986, in _exec_single_context
    self._handle_dbapi_exception(
  File "{SP}/sqlalchemy/engine/base.py", line 2358, in _handle_dbapi_exception
    raise exc_info[1].with_traceback(exc_info[2])
  File "{SP}/sqlalchemy/engine/base.py", line 1967, in _exec_single_context
    self.dialect.do_execute(
  File "{SP}/sqlalchemy/engine/default.py", line 941, in do_execute
    cursor.execute(statement, parameters)
  File "{SP}/sqlalchemy/dialects/postgresql/asyncpg.py", line 568, in execute
    self._adapt_connection.await_(
  File "{SP}/sqlalchemy/util/_concurrency_py3k.py", line 123, in await_only
    raise exc.MissingGreenlet(
sqlalchemy.exc.MissingGreenlet: greenlet_spawn has not been called; can't call await_only() here. Was IO attempted in an unexpected place? (Background on this error at: https://sqlalche.me/e/20/xd2s)""")  # noqa: E501 (verbatim)

# POST /tasks/{id}/complete: the callback goes to /api/notify; the service serves
# /api/notifications/notify.
TB_NOTIFY = _site("""\
Traceback (most recent call last):
  File "/app/taskflow/services/notify.py", line 15, in notify_assignee
    resp.raise_for_status()
  File "{SP}/httpx/_models.py", line 763, in raise_for_status
    raise HTTPStatusError(message, request=request, response=self)
httpx.HTTPStatusError: Client error '404 Not Found' for url 'http://localhost:3500/v1.0/invoke/notification-service/method/api/notify'
For more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/404""")  # noqa: E501 (verbatim)

# reminder-worker: the legacy `postgres` Service has had no endpoints since 22:49.
TB_WORKER_DB = _site("""\
Traceback (most recent call last):
  File "{SP}/sqlalchemy/engine/base.py", line 146, in __init__
    self._dbapi_connection = engine.raw_connection()
                             ^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/engine/base.py", line 3302, in raw_connection
    return self.pool.connect()
           ^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/pool/base.py", line 449, in connect
    return _ConnectionFairy._checkout(self)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/pool/base.py", line 1263, in _checkout
    fairy = _ConnectionRecord.checkout(pool)
            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/pool/base.py", line 712, in checkout
    rec = pool._do_get()
          ^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/pool/impl.py", line 179, in _do_get
    with util.safe_reraise():
  File "{SP}/sqlalchemy/util/langhelpers.py", line 146, in __exit__
    raise exc_value.with_traceback(exc_tb)
  File "{SP}/sqlalchemy/pool/impl.py", line 177, in _do_get
    return self._create_connection()
           ^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/pool/base.py", line 390, in _create_connection
    return _ConnectionRecord(self)
           ^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/pool/base.py", line 674, in __init__
    self.__connect()
  File "{SP}/sqlalchemy/pool/base.py", line 900, in __connect
    with util.safe_reraise():
  File "{SP}/sqlalchemy/util/langhelpers.py", line 146, in __exit__
    raise exc_value.with_traceback(exc_tb)
  File "{SP}/sqlalchemy/pool/base.py", line 896, in __connect
    self.dbapi_connection = connection = pool._invoke_creator(self)
                                         ^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/engine/create.py", line 643, in connect
    return dialect.connect(*cargs, **cparams)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/engine/default.py", line 621, in connect
    return self.loaded_dbapi.connect(*cargs, **cparams)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/psycopg2/__init__.py", line 122, in connect
    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
psycopg2.OperationalError: connection to server at "postgres" (10.96.12.4), port 5432 failed: Connection refused
\tIs the server running on that host and accepting TCP/IP connections?


The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "<frozen runpy>", line 198, in _run_module_as_main
  File "<frozen runpy>", line 88, in _run_code
  File "/app/reminder_worker/__main__.py", line 21, in <module>
    main()
  File "/app/reminder_worker/__main__.py", line 13, in main
    wait_for_database()
  File "/app/reminder_worker/db.py", line 15, in wait_for_database
    with engine.connect() as conn:
         ^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/engine/base.py", line 3278, in connect
    return self._connection_cls(self)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/engine/base.py", line 148, in __init__
    Connection._handle_dbapi_exception_noconnection(
  File "{SP}/sqlalchemy/engine/base.py", line 2442, in _handle_dbapi_exception_noconnection
    raise sqlalchemy_exception.with_traceback(exc_info[2]) from e
  File "{SP}/sqlalchemy/engine/base.py", line 146, in __init__
    self._dbapi_connection = engine.raw_connection()
                             ^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/engine/base.py", line 3302, in raw_connection
    return self.pool.connect()
           ^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/pool/base.py", line 449, in connect
    return _ConnectionFairy._checkout(self)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/pool/base.py", line 1263, in _checkout
    fairy = _ConnectionRecord.checkout(pool)
            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/pool/base.py", line 712, in checkout
    rec = pool._do_get()
          ^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/pool/impl.py", line 179, in _do_get
    with util.safe_reraise():
  File "{SP}/sqlalchemy/util/langhelpers.py", line 146, in __exit__
    raise exc_value.with_traceback(exc_tb)
  File "{SP}/sqlalchemy/pool/impl.py", line 177, in _do_get
    return self._create_connection()
           ^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/pool/base.py", line 390, in _create_connection
    return _ConnectionRecord(self)
           ^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/pool/base.py", line 674, in __init__
    self.__connect()
  File "{SP}/sqlalchemy/pool/base.py", line 900, in __connect
    with util.safe_reraise():
  File "{SP}/sqlalchemy/util/langhelpers.py", line 146, in __exit__
    raise exc_value.with_traceback(exc_tb)
  File "{SP}/sqlalchemy/pool/base.py", line 896, in __connect
    self.dbapi_connection = connection = pool._invoke_creator(self)
                                         ^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/engine/create.py", line 643, in connect
    return dialect.connect(*cargs, **cparams)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/sqlalchemy/engine/default.py", line 621, in connect
    return self.loaded_dbapi.connect(*cargs, **cparams)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SP}/psycopg2/__init__.py", line 122, in connect
    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at "postgres" (10.96.12.4), port 5432 failed: Connection refused
\tIs the server running on that host and accepting TCP/IP connections?

(Background on this error at: https://sqlalche.me/e/20/e3q8)""")  # noqa: E501 (verbatim)


# --------------------------------------------------------------------------- container logs

class ContainerLog:
    """Records of one container, rendered as `kubectl logs --timestamps` prints them: each line
    of a record gets its own server timestamp, a few microseconds apart."""

    def __init__(self) -> None:
        self.records: list[tuple[int, int, str]] = []

    def add(self, app_ns: int, text: str) -> None:
        self.records.append((app_ns, len(self.records), text))

    def render(self) -> str:
        out: list[str] = []
        last = 0
        for app_ns, _, text in sorted(self.records):
            stamp = max(app_ns + jitter(30, 350) + rng.randint(0, 999),
                        last + rng.randint(700, 3000))
            for i, line in enumerate(text.split("\n")):
                if i:
                    stamp += rng.randint(700, 6000)
                out.append(f"{kubelet_time(stamp)} {line}")
                last = stamp
        return "\n".join(out) + "\n" if out else ""

    def __len__(self) -> int:
        return sum(r[2].count("\n") + 1 for r in self.records)


def _logfmt_value(value: object) -> str:
    text = str(value)
    safe = text and all(c.isalnum() or c in "-._/@^+" for c in text)
    return text if safe else json.dumps(text)


def logrus(ns: int, level: str, msg: str, fields: dict[str, object]) -> str:
    """daprd's text format: time, level, msg first, then the fields sorted by key."""
    head = [f'time="{go_time(ns)}"', f"level={level}", f"msg={_logfmt_value(msg)}"]
    return " ".join(head + [f"{k}={_logfmt_value(fields[k])}" for k in sorted(fields)])


PHRASES = {200: "OK", 201: "Created", 204: "No Content", 304: "Not Modified", 404: "Not Found",
           500: "Internal Server Error"}


# --------------------------------------------------------------------------- the cluster

NODES = [
    # name, internal IP, pod CIDR, zone, taint
    ("prod-eu-worker-1", "10.0.1.11", "10.244.1.0/24", "eu-central-a", None),
    ("prod-eu-worker-2", "10.0.2.12", "10.244.2.0/24", "eu-central-b", None),
    ("prod-eu-worker-3", "10.0.3.13", "10.244.3.0/24", "eu-central-c",
     {"key": "dedicated", "value": "batch", "effect": "NoSchedule"}),
]
GATEWAY = {"prod-eu-worker-1": "10.244.1.1", "prod-eu-worker-2": "10.244.2.1",
           "prod-eu-worker-3": "10.244.3.1"}
INGRESS_IP = "10.244.2.3"        # ingress-nginx controller, another namespace
WEB_IP = "10.244.1.7"

IMAGES = {
    "api": ("ghcr.io/acme/taskflow-api:1.8.0", 71236518),
    "api-old": ("ghcr.io/acme/taskflow-api:1.7.3", 70988211),
    "notification": ("ghcr.io/acme/notification-service:0.3.0", 58310442),
    "web": ("ghcr.io/acme/taskflow-web:2.3.1", 19873310),
    "worker": ("ghcr.io/acme/taskflow-reminder-worker:0.4.0", 64018893),
    "daprd": (f"ghcr.io/dapr/daprd:{DAPR_VERSION}", 41875512),
    "postgres": ("docker.io/library/postgres:15.8", 151203877),
}
IMAGE_DIGEST = {key: hexstr(64) for key in IMAGES}


def image_id(key: str) -> str:
    name = IMAGES[key][0].rsplit(":", 1)[0]
    return f"{name}@sha256:{IMAGE_DIGEST[key]}"


class Ids:
    """uids, made once in a fixed order."""

    def __init__(self) -> None:
        names = ["deploy/taskflow-api", "deploy/notification-service", "deploy/web-dashboard",
                 "deploy/reminder-worker", "rs/taskflow-api-7c9d8f6b5", "rs/taskflow-api-5d8c7b9f4",
                 "rs/notification-service-6b7f9c8d4", "rs/web-dashboard-84f6d9c7b",
                 "rs/reminder-worker-5f7b8c6d9", "sts/postgres",
                 "pod/taskflow-api-7c9d8f6b5-x2x7k", "pod/taskflow-api-7c9d8f6b5-q8z4m",
                 "pod/taskflow-api-5d8c7b9f4-hn6wd", "pod/taskflow-api-5d8c7b9f4-tbl9s",
                 "pod/notification-service-6b7f9c8d4-w7lzp", "pod/web-dashboard-84f6d9c7b-mx4qp",
                 "pod/reminder-worker-5f7b8c6d9-k8s2v", "pod/postgres-0",
                 "svc/taskflow-api", "svc/notification-service", "svc/web-dashboard",
                 "svc/postgres", "svc/taskflow-api-dapr", "svc/notification-service-dapr"]
        names += [f"node/{n[0]}" for n in NODES]
        self.uid = {name: new_uid() for name in names}

    def __getitem__(self, name: str) -> str:
        return self.uid[name]


IDS = Ids()


class Pod:
    """What the log simulation needs to know of a pod."""

    def __init__(self, name: str, *, ip: str, node: str, created: int, scheduled_after_ms: int,
                 started: int, ready: int, app_id: str = "", app_port: int = 0) -> None:
        self.name, self.ip, self.node = name, ip, node
        self.created, self.started, self.ready = created, started, ready
        self.scheduled = created + scheduled_after_ms * MS
        self.app_id, self.app_port = app_id, app_port
        self.gateway = GATEWAY[node]
        self.listening = started
        self.logs: dict[str, ContainerLog] = {}
        self.previous: dict[str, ContainerLog] = {}

    def log(self, container: str) -> ContainerLog:
        return self.logs.setdefault(container, ContainerLog())


API_A = Pod("taskflow-api-7c9d8f6b5-x2x7k", ip="10.244.1.12", node="prod-eu-worker-1",
            created=at(22, 14, 5, 118000), scheduled_after_ms=4200, started=at(22, 14, 12, 604000),
            ready=at(22, 14, 27, 211000), app_id="taskflow-api", app_port=8000)
API_B = Pod("taskflow-api-7c9d8f6b5-q8z4m", ip="10.244.2.9", node="prod-eu-worker-2",
            created=at(22, 14, 38, 964000), scheduled_after_ms=3350, started=at(22, 14, 45, 377000),
            ready=at(22, 14, 51, 0), app_id="taskflow-api", app_port=8000)
NOTIFY = Pod("notification-service-6b7f9c8d4-w7lzp", ip="10.244.2.14", node="prod-eu-worker-2",
             created=at(22, 13, 40, 212000), scheduled_after_ms=410, started=at(22, 13, 51, 388000),
             ready=at(22, 14, 1, 940000), app_id="notification-service", app_port=8001)
WEB = Pod("web-dashboard-84f6d9c7b-mx4qp", ip=WEB_IP, node="prod-eu-worker-1",
          created=ts(2026, 11, 24, 9, 12, 41), scheduled_after_ms=390,
          started=ts(2026, 11, 24, 9, 12, 49),
          ready=ts(2026, 11, 24, 9, 12, 55))
WORKER = Pod("reminder-worker-5f7b8c6d9-k8s2v", ip="10.244.3.5", node="prod-eu-worker-3",
             created=at(22, 14, 6, 301000), scheduled_after_ms=380, started=at(22, 14, 14, 902000),
             ready=at(22, 14, 14, 902000))
OLD_A = ("taskflow-api-5d8c7b9f4-hn6wd", "10.244.1.5", "prod-eu-worker-1")
OLD_B = ("taskflow-api-5d8c7b9f4-tbl9s", "10.244.2.6", "prod-eu-worker-2")


# --------------------------------------------------------------------------- taskflow-api logs

def api_line(pod: Pod, ns: int, level: str, logger: str, rid: str | None, msg: str) -> None:
    pod.log("api").add(ns, f"{py_time(ns)} {level} [{logger}] request_id={rid or '-'} {msg}")


def access(pod: Pod, ns: int, client: str, method: str, path: str, status: int) -> None:
    pod.log("api").add(ns, f'INFO:     {client} - "{method} {path} HTTP/1.1" {status} '
                           f"{PHRASES[status]}")


def daprd_line(pod: Pod, ns: int, level: str, msg: str, scope: str, **fields: object) -> None:
    fields.update(app_id=pod.app_id, instance=pod.name, scope=scope, type="log", ver=DAPR_VERSION)
    pod.log("daprd").add(ns, logrus(ns, level, msg, fields))


def dapr_call(pod: Pod, ns: int, method: str, path: str, code: int, *, rid: str | None,
              query: str = "", size: int = 0) -> int:
    """The app calls its sidecar over HTTP: httpx logs it, daprd's API log logs it."""
    duration = rng.randint(1, 4) if "/invoke/" not in path else rng.randint(3, 9)
    done = ns + duration * MS + jitter(100, 900)
    daprd_line(pod, done, "info", "HTTP API Called", "dapr.runtime.http-info", code=code,
               duration=duration, method=f"{method} {path}", size=size, useragent=HTTPX_UA)
    message = (f"HTTP Request: {method} http://localhost:3500{path}{query} "
               f'"HTTP/1.1 {code} {PHRASES[code]}"')
    if pod is NOTIFY:
        notify_line(done + jitter(50, 200), "INFO", rid, message)
    else:
        api_line(pod, done + jitter(50, 200), "INFO", "httpx", rid, message)
    return done + jitter(200, 600)


# What the incident contains, printed at the end for docs/handwritten-incident.md.
TALLY: Counter[str] = Counter()


def publish(pod: Pod, ns: int, rid: str | None, event_type: str, subject: str) -> int:
    """Publish to pubsub/task-events with the request id as CloudEvent id; the notification
    service receives it and drops it, because it reads the envelope, not its data."""
    event_id = rid or new_uid()
    ns = dapr_call(pod, ns, "POST", "/v1.0/publish/pubsub/task-events", 204, rid=rid,
                   query=f"?metadata.cloudevent.id={event_id}")
    api_line(pod, ns, "INFO", "taskflow.events", rid,
             f"Published {event_type} for {subject} to pubsub/task-events")
    deliver_event(ns + jitter(2500, 7000), event_id)
    TALLY["events published"] += 1
    return ns + jitter(100, 400)


def idempotency_check(pod: Pod, ns: int, rid: str) -> int:
    return dapr_call(pod, ns, "GET", f"/v1.0/state/statestore/idempotency-{rid}", 204, rid=rid)


def idempotency_save(pod: Pod, ns: int, rid: str) -> int:
    return dapr_call(pod, ns, "POST", "/v1.0/state/statestore", 204, rid=rid)


def asgi_error(pod: Pod, ns: int, client: str, method: str, path: str, traceback: str) -> None:
    access(pod, ns, client, method, path, 500)
    pod.log("api").add(ns + jitter(80, 300), traceback)


def req_list_tasks(pod: Pod, ns: int, rid: str, client: str, state: dict) -> tuple[int, int, int]:
    n = state["open"]
    ns += jitter(4000, 14000)
    api_line(pod, ns, "INFO", "taskflow.api.tasks", rid,
             f"Listed {n} tasks (project=17, status=open)")
    ns += jitter(300, 2000)
    access(pod, ns, client, "GET", "/tasks?project_id=17&status=open", 200)
    return ns, 200, n * 431 + 2


def req_stats(pod: Pod, ns: int, rid: str, client: str, state: dict) -> tuple[int, int, int]:
    ns += jitter(3000, 9000)
    stats = {"open": state["open"], "in_progress": state["in_progress"], "done": state["done"],
             "overdue": 2, "error_count": 0}
    api_line(pod, ns, "INFO", "taskflow.api.projects", rid,
             f"Project 17 stats: {json.dumps(stats)}")
    ns += jitter(200, 900)
    access(pod, ns, client, "GET", "/projects/17/stats", 200)
    return ns, 200, 97


def req_get_task(pod: Pod, ns: int, rid: str, client: str, task: int) -> tuple[int, int, int]:
    ns += jitter(2500, 7000)
    if task > 1400:   # a stale link from an old e-mail
        api_line(pod, ns, "INFO", "taskflow.api.tasks", rid, f"Task {task} not found")
        access(pod, ns + jitter(200, 600), client, "GET", f"/tasks/{task}", 404)
        return ns, 404, 27
    api_line(pod, ns, "INFO", "taskflow.api.tasks", rid, f"Fetched task {task}")
    ns += jitter(200, 700)
    access(pod, ns, client, "GET", f"/tasks/{task}", 200)
    return ns, 200, rng.randint(480, 640)


def req_workers(pod: Pod, ns: int, rid: str, client: str) -> tuple[int, int, int]:
    ns += jitter(6000, 15000)
    api_line(pod, ns, "INFO", "taskflow.api.workers", rid, "Listing 14 active workers")
    ns += jitter(1500, 4000)
    asgi_error(pod, ns, client, "GET", "/workers", TB_SCHEMA)
    TALLY[f"schema-mismatch {pod.name}"] += 1
    return ns, 500, 21


def req_create(pod: Pod, ns: int, rid: str, client: str, task: int, state: dict
               ) -> tuple[int, int, int]:
    ns = idempotency_check(pod, ns + jitter(500, 1500), rid)
    ns += jitter(6000, 14000)
    api_line(pod, ns, "INFO", "taskflow.api.tasks", rid,
             f"Created task {task} in project 17 (priority=normal)")
    state["open"] += 1
    ns = publish(pod, ns, rid, "task.created", f"task {task}")
    ns = idempotency_save(pod, ns, rid)
    access(pod, ns, client, "POST", "/tasks", 201)
    return ns, 201, rng.randint(440, 520)


def req_update(pod: Pod, ns: int, rid: str, client: str, task: int) -> tuple[int, int, int]:
    ns = idempotency_check(pod, ns + jitter(500, 1500), rid)
    ns += jitter(5000, 11000)
    fields = rng.choice([["priority"], ["title", "description"], ["priority", "labels"]])
    api_line(pod, ns, "INFO", "taskflow.api.tasks", rid, f"Updated task {task}: fields={fields}")
    ns = publish(pod, ns, rid, "task.updated", f"task {task}")
    ns = idempotency_save(pod, ns, rid)
    access(pod, ns, client, "PATCH", f"/tasks/{task}", 200)
    return ns, 200, rng.randint(480, 640)


def req_assign(pod: Pod, ns: int, rid: str, client: str, task: int, worker: int
               ) -> tuple[int, int, int]:
    ns = idempotency_check(pod, ns + jitter(500, 1500), rid)
    ns += jitter(1000, 3000)
    api_line(pod, ns, "INFO", "taskflow.api.tasks", rid,
             f"Assigning task {task} to worker {worker}")
    ns += jitter(7000, 16000)
    asgi_error(pod, ns, client, "POST", f"/tasks/{task}/assign", TB_GREENLET)
    TALLY[f"async-sqlalchemy-greenlet {pod.name}"] += 1
    return ns, 500, 21


def req_complete(pod: Pod, ns: int, rid: str, client: str, task: int, worker: int, state: dict
                 ) -> tuple[int, int, int]:
    ns = idempotency_check(pod, ns + jitter(500, 1500), rid)
    ns += jitter(1000, 3000)
    api_line(pod, ns, "INFO", "taskflow.api.tasks", rid, f"Completing task {task}")
    ns += jitter(5000, 12000)
    api_line(pod, ns, "INFO", "taskflow.api.tasks", rid, f"Task {task} status: in_progress -> done")
    state["in_progress"] -= 1
    state["done"] += 1
    ns = publish(pod, ns, rid, "task.completed", f"task {task}")
    path = "/v1.0/invoke/notification-service/method/api/notify"
    notify_access(ns + jitter(1500, 3500), rid, "POST", "/api/notify", 404)
    ns = dapr_call(pod, ns, "POST", path, 404, rid=rid, size=22)
    api_line(pod, ns, "ERROR", "taskflow.services.notify", rid,
             f"Failed to notify worker {worker} for task {task}\n{TB_NOTIFY}")
    TALLY[f"wrong-endpoint {pod.name}"] += 1
    ns = idempotency_save(pod, ns + jitter(300, 900), rid)
    access(pod, ns, client, "POST", f"/tasks/{task}/complete", 200)
    return ns, 200, rng.randint(400, 430)


# --------------------------------------------------------------------------- notification-service

def notify_line(ns: int, level: str, cid: str | None, msg: str) -> None:
    NOTIFY.log("app").add(ns, f"{py_time(ns)} [{cid or '-'}] {level} {msg}")


def notify_access(ns: int, cid: str | None, method: str, path: str, status: int,
                  client: str = "127.0.0.1") -> None:
    port = ephemeral_port()
    notify_line(ns, "INFO", cid, f'{client}:{port} - "{method} {path} HTTP/1.1" {status} '
                                 f"{PHRASES[status]}")


PAYLOAD_KEYS = ['data', 'datacontenttype', 'id', 'pubsubname', 'source', 'specversion', 'topic',
                'traceid', 'traceparent', 'tracestate', 'type']


def deliver_event(ns: int, event_id: str) -> None:
    """daprd delivers the CloudEvent; the handler reads event_type/task_id off the envelope."""
    notify_line(ns, "DEBUG", event_id, f"Task event payload keys: {PAYLOAD_KEYS}")
    ns += jitter(150, 500)
    notify_line(ns, "INFO", event_id, "Received task event: event_type: None task_id: None")
    ns += jitter(80, 300)
    notify_line(ns, "WARNING", event_id, "Unknown event type None, dropping")
    ns += jitter(400, 1200)
    notify_access(ns, event_id, "POST", "/events/task", 200)
    daprd_line(NOTIFY, ns + jitter(300, 900), "warning",
               f"DROP status returned from app while processing pub/sub event {event_id}",
               "dapr.runtime.processor.pubsub")
    TALLY["cloudevent-unwrap"] += 1


def notification_startup() -> None:
    pod = NOTIFY
    ns = pod.started + jitter(600000, 900000)
    notify_line(ns, "INFO", None, "Started server process [1]")
    notify_line(ns + jitter(200, 500), "INFO", None, "Waiting for application startup.")
    ns += jitter(40000, 90000)
    notify_line(ns, "INFO", None, "notification-service 0.3.0 starting (log_level=debug)")
    routes = ["/health", "/dapr/subscribe", "/events/task", "/api/notifications/notify",
              "/api/notifications/{notification_id}"]
    notify_line(ns + jitter(300, 900), "DEBUG", None, f"Routes: {routes}")
    ns += jitter(20000, 60000)
    notify_line(ns, "INFO", None, "SMTP relay smtp.eu.mailgun.org:587 (starttls), "
                                  "sender noreply@taskflow.acme.example")
    notify_line(ns + jitter(300, 800), "INFO", None,
                "Subscriptions: pubsub/task-events -> /events/task")
    ns += jitter(2000, 6000)
    notify_line(ns, "INFO", None, "Application startup complete.")
    notify_line(ns + jitter(100, 400), "INFO", None,
                "Uvicorn running on http://0.0.0.0:8001 (Press CTRL+C to quit)")
    pod.listening = ns + jitter(500, 1000)


def notification_digests() -> None:
    """Every five minutes: a digest run that finds nothing to send."""
    ns = at(22, 15, 0, 212000)
    while ns < NOW:
        notify_line(ns, "INFO", None, "Digest run started (window=5m)")
        done = dapr_call(NOTIFY, ns + jitter(500, 1500), "GET",
                         "/v1.0/state/statestore/digest-cursor", 200, rid=None, size=38)
        notify_line(done, "INFO", None, "Digest run finished: 0 sent, 0 failed")
        ns += 300 * SECOND + jitter(0, 40000)


# --------------------------------------------------------------------------- daprd start-up

def daprd_startup(pod: Pod, *, app_ready: int, subscribed: bool) -> int:
    """daprd 1.14 start-up in Kubernetes mode; returns when it called the app's /dapr/ routes."""
    ns = pod.started + jitter(700000, 1200000)
    lines = [
        ("info", f"Starting Dapr Runtime -- version {DAPR_VERSION} -- commit {DAPR_COMMIT}",
         "dapr.runtime"),
        ("info", "Log level set to: info", "dapr.runtime"),
        ("info", "Enabled API logging", "dapr.runtime"),
        ("info", 'metric spec: {"enabled":true}', "dapr.runtime.diagnostics"),
        ("info", "Using default latency distribution buckets: [1 2 3 4 5 6 8 10 13 16 20 25 30 "
                 "40 50 65 80 100 130 160 200 250 300 400 500 650 800 1000 2000 5000 10000 20000 "
                 "50000 100000]", "dapr.runtime.diagnostics"),
        ("warning", "The default value for 'spec.metric.http.increasedCardinality' will change "
                    "to 'false' in Dapr 1.15 or later", "dapr.runtime.diagnostics"),
        ("info", "Loading config from Kubernetes: taskflow-config", "dapr.runtime"),
        ("info", "Resiliency configuration loaded", "dapr.runtime"),
        ("info", "Kubernetes mode configured", "dapr.runtime"),
        ("info", f"app id: {pod.app_id}", "dapr.runtime"),
        ("info", "Security is initialized successfully", "dapr.runtime.security"),
    ]
    for i in range(3):
        lines.append(("info", "Scheduler client initialized for address: dapr-scheduler-server-"
                      f"{i}.dapr-scheduler-server.dapr-system.svc.cluster.local:50006",
                      "dapr.runtime.scheduler.clients"))
    lines += [
        ("info", "Scheduler clients initialized", "dapr.runtime.scheduler.clients"),
        ("info", "Dapr trace sampler initialized: ParentBased{root:TraceIDRatioBased{0.1},"
                 "remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,"
                 "localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}",
         "dapr.runtime"),
        ("info", "metrics server started on :9090/", "dapr.runtime"),
        ("info", "Initialized name resolution to kubernetes", "dapr.runtime"),
        ("info", "Loading components…", "dapr.runtime"),
        ("info", "Component loaded: pubsub (pubsub.redis/v1)", "dapr.runtime.processor"),
        ("info", "Waiting for all outstanding components to be processed…", "dapr.runtime"),
        ("info", "Component loaded: statestore (state.redis/v1)", "dapr.runtime.processor"),
        ("info", "All outstanding components processed", "dapr.runtime"),
        ("info", "Loading endpoints…", "dapr.runtime"),
        ("info", "Waiting for all outstanding http endpoints to be processed…", "dapr.runtime"),
        ("info", "All outstanding http endpoints processed", "dapr.runtime"),
        ("info", "Loading Declarative Subscriptions…", "dapr.runtime"),
        ("info", "gRPC server listening on TCP address: :50001", "dapr.runtime.grpc.api"),
        ("info", "Enabled gRPC tracing middleware", "dapr.runtime.grpc.api"),
        ("info", "Enabled gRPC metrics middleware", "dapr.runtime.grpc.api"),
        ("info", "Registering workflow engine for gRPC endpoint: [::]:50001",
         "dapr.runtime.grpc.api"),
        ("info", "API gRPC server is running on port 50001", "dapr.runtime"),
        ("info", "Enabled max body size HTTP middleware with size 4194304 bytes",
         "dapr.runtime.http"),
        ("info", "Enabled tracing HTTP middleware", "dapr.runtime.http"),
        ("info", "Enabled metrics HTTP middleware", "dapr.runtime.http"),
        ("info", "HTTP server listening on TCP address: [::1]:3500", "dapr.runtime.http"),
        ("info", "HTTP server listening on TCP address: 127.0.0.1:3500", "dapr.runtime.http"),
        ("info", "HTTP server is running on port 3500", "dapr.runtime"),
        ("info", "The request body size parameter is: 4194304 bytes", "dapr.runtime"),
        ("info", "gRPC server listening on TCP address: :50002", "dapr.runtime.grpc.internal"),
        ("info", "Enabled gRPC tracing middleware", "dapr.runtime.grpc.internal"),
        ("info", "Enabled gRPC metrics middleware", "dapr.runtime.grpc.internal"),
        ("info", "Internal gRPC server is running on :50002", "dapr.runtime"),
        ("info", f"Application protocol: http. Waiting on port {pod.app_port}.  This will block "
                 "until the app is listening on that port.", "dapr.runtime"),
    ]
    for level, msg, scope in lines:
        daprd_line(pod, ns, level, msg, scope)
        ns += jitter(20, 900)
    ns = max(ns, app_ready) + jitter(200000, 600000)
    daprd_line(pod, ns, "info", f"Application discovered on port {pod.app_port}", "dapr.runtime")
    ns += jitter(2000, 5000)
    calls_at = ns
    ns += jitter(3000, 6000)
    daprd_line(pod, ns, "info", "Application configuration loaded", "dapr.runtime")
    rest = [
        ("info", "Configuring actors placement provider 'placement'. Configuration: 'placement:"
                 "dapr-placement-server.dapr-system.svc.cluster.local:50005'",
         "dapr.runtime.actor"),
        ("info", "Configuring actor reminders provider 'default'. Configuration: ''",
         "dapr.runtime.actor"),
        ("info", "Actor runtime started. Idle timeout: 1h0m0s", "dapr.runtime.actor"),
        ("info", "Configuring workflow engine with actors backend", "dapr.runtime"),
        ("info", "Registering component for dapr workflow engine...", "dapr.runtime"),
        ("info", "Workflow engine initialized.", "dapr.runtime"),
    ]
    if subscribed:
        rest.insert(0, ("info", "app is subscribed to the following topics: [task-events] "
                                "through pubsub=pubsub", "dapr.runtime.processor.pubsub"))
    for level, msg, scope in rest:
        ns += jitter(50, 900)
        daprd_line(pod, ns, level, msg, scope)
    elapsed = (ns - pod.started) // MS
    daprd_line(pod, ns + jitter(100, 400), "info",
               f"dapr initialized. Status: Running. Init Elapsed {elapsed}ms", "dapr.runtime")
    daprd_line(pod, ns + jitter(30000, 60000), "info", "Scheduler stream connected",
               "dapr.runtime.scheduler")
    daprd_line(pod, ns + jitter(60000, 120000), "info",
               "Actor API level in the cluster has been updated to 10", "dapr.runtime.actor")
    daprd_line(pod, ns + jitter(120000, 200000), "info", "Placement tables updated, version: 14",
               "dapr.runtime.actors.placement")
    return calls_at


# --------------------------------------------------------------------------- taskflow-api start-up

# The reminders pending at start-up. remind_at is what the user typed, in the user's zone; the
# 1.8.0 scheduler gives the naive datetime to APScheduler, whose zone is UTC.
REMINDERS = [(38, (22, 30), "Europe/Berlin"), (47, (22, 45), "Europe/Berlin"),
             (40, (22, 50), "UTC"), (42, (23, 0), "Europe/Berlin"), (55, (23, 0), "Europe/Berlin")]
TZ_OFFSET_H = {"Europe/Berlin": 1, "UTC": 0}


def api_startup(pod: Pod, *, leader: bool, slow: bool) -> int:
    ns = pod.started + jitter(500000, 800000)
    log = pod.log("api")
    log.add(ns, "INFO:     Started server process [1]")
    log.add(ns + jitter(200, 600), "INFO:     Waiting for application startup.")
    ns += jitter(30000, 80000)
    api_line(pod, ns, "INFO", "taskflow.main", None,
             f"taskflow-api 1.8.0 starting (env=production, pod={pod.name})")
    ns += jitter(20000, 60000)
    api_line(pod, ns, "INFO", "taskflow.db", None, "Database engine ready: postgresql+asyncpg://"
             "taskflow:***@postgres-rw.database.svc.cluster.local:5432/taskflow (pool_size=10)")
    if slow:
        api_line(pod, ns + jitter(2000, 5000), "INFO", "taskflow.db", None,
                 "Waiting for migration lock (held by taskflow-api-5d8c7b9f4-hn6wd)")
        ns += 17 * SECOND + jitter(0, 300000)
        api_line(pod, ns, "INFO", "taskflow.db", None, "Migration lock acquired")
    ns += jitter(40000, 120000)
    api_line(pod, ns, "INFO", "taskflow.db", None,
             "Alembic revision 0042_worker_skills (head), nothing to migrate")
    ns += jitter(5000, 20000)
    api_line(pod, ns, "INFO", "taskflow.dapr", None,
             "Dapr sidecar at http://localhost:3500 (retry policy: maxRetries=3, "
             "backoff=exponential)")
    ns += jitter(10000, 40000)
    api_line(pod, ns, "INFO", "taskflow.cache", None,
             "Redis connected: redis-master.infra.svc.cluster.local:6379/2")
    ns += jitter(3000, 9000)
    if leader:
        ns = scheduler_startup(pod, ns)
    else:
        api_line(pod, ns, "INFO", "taskflow.scheduler", None,
                 f"Scheduler leader lock held by {API_A.name}; reminder scheduler on standby")
    ns += jitter(2000, 9000)
    log.add(ns, "INFO:     Application startup complete.")
    log.add(ns + jitter(100, 400),
            "INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)")
    return ns + jitter(400, 900)


def scheduler_startup(pod: Pod, ns: int) -> int:
    api_line(pod, ns, "INFO", "taskflow.scheduler", None,
             f"Scheduler leader lock acquired (holder={pod.name})")
    ns += jitter(1000, 4000)
    api_line(pod, ns, "INFO", "apscheduler.scheduler", None, "Scheduler started")
    for rid, (hour, minute), zone in REMINDERS:
        ns += jitter(1500, 4000)
        api_line(pod, ns, "INFO", "taskflow.scheduler", None,
                 f"Reminder {rid} scheduled: remind_at={naive_iso(at(hour, minute))} tz={zone}")
        api_line(pod, ns + jitter(200, 700), "INFO", "apscheduler.scheduler", None,
                 'Added job "fire_reminder" to job store "default"')
    ns += jitter(1000, 3000)
    api_line(pod, ns, "INFO", "taskflow.scheduler", None,
             f"Loaded {len(REMINDERS)} pending reminders (scheduler timezone=UTC)")
    return ns


def fire_reminders(pod: Pod) -> None:
    for rid, (hour, minute), zone in REMINDERS:
        fires = at(hour, minute) + jitter(400000, 470000)
        due = at(hour - TZ_OFFSET_H[zone], minute)
        job = (f"fire_reminder (trigger: date[{naive_iso(at(hour, minute)).replace('T', ' ')} UTC],"
               f" next run at: {naive_iso(at(hour, minute)).replace('T', ' ')} UTC)")
        scheduled = naive_iso(at(hour, minute)).replace("T", " ") + "+00:00"
        api_line(pod, fires, "INFO", "apscheduler.executors.default", None,
                 f'Running job "{job}" (scheduled at {scheduled})')
        ns = fires + jitter(300, 900)
        api_line(pod, ns, "INFO", "taskflow.scheduler", None,
                 f"Firing reminder {rid} due_at={naive_iso(due)}+00:00")
        ns = publish(pod, ns + jitter(200, 600), None, "reminder.due", f"reminder {rid}")
        api_line(pod, ns, "INFO", "taskflow.scheduler", None,
                 f"Reminder {rid} delivered to pubsub/task-events")
        api_line(pod, ns + jitter(200, 600), "INFO", "apscheduler.executors.default", None,
                 f'Job "{job}" executed successfully')
        TALLY["timezone" if zone != "UTC" else "timezone (correct, UTC)"] += 1


def dapr_startup_calls(pod: Pod, ns: int, client: str, *, subscribe_status: int) -> None:
    """daprd asks the app for its config and subscriptions once the app port is up."""
    if pod.app_id == "notification-service":
        notify_access(ns, new_uid(), "GET", "/dapr/config", 404, client)
        notify_access(ns + jitter(1000, 3000), new_uid(), "GET", "/dapr/subscribe",
                      subscribe_status, client)
        return
    access(pod, ns, f"{client}:{ephemeral_port()}", "GET", "/dapr/config", 404)
    access(pod, ns + jitter(1000, 3000), f"{client}:{ephemeral_port()}", "GET",
           "/dapr/subscribe", subscribe_status)


# --------------------------------------------------------------------------- probes

def probe_times(first: int, period_s: int, until: int) -> list[int]:
    out, ns = [], first
    while ns < until:
        out.append(ns + jitter(0, 40000))
        ns += period_s * SECOND
    return out


READINESS_OFFSET = 5540 * MS      # kubelet's first readiness probe of an api container


def first_success(first: int, period_s: int, listening: int) -> int:
    while first < listening:       # probes before the app listens fail: no access line
        first += period_s * SECOND
    return first


def api_probes(pod: Pod, listening: int) -> None:
    ready_first = first_success(pod.started + READINESS_OFFSET, 10, listening)
    pod.ready = ready_first + 40 * MS
    live_first = first_success(pod.started + 30 * SECOND + 812 * MS, 20, listening)
    for ns in sorted(probe_times(ready_first, 10, NOW) + probe_times(live_first, 20, NOW)):
        access(pod, ns, f"{pod.gateway}:{ephemeral_port()}", "GET", "/health", 200)


def notification_probes(pod: Pod) -> None:
    first_r = first_success(pod.started + 3 * SECOND + 188 * MS, 10, pod.listening)
    pod.ready = first_r + 40 * MS
    first_l = first_success(pod.started + 15 * SECOND + 377 * MS, 20, pod.listening)
    for ns in sorted(probe_times(first_r, 10, NOW) + probe_times(first_l, 20, NOW)):
        notify_access(ns, new_uid(), "GET", "/health", 200, pod.gateway)


# --------------------------------------------------------------------------- web-dashboard traffic

USERS = [
    ("198.51.100.23", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
                      "(KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"),
    ("203.0.113.41", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:145.0) Gecko/20100101 "
                     "Firefox/145.0"),
    ("192.0.2.77", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
                   "(KHTML, like Gecko) Version/26.1 Safari/605.1.15"),
]
SITE_URL = "https://taskflow.acme.example"


def nginx(ns: int, user: int, method: str, path: str, status: int, size: int, referer: str,
          rid: str = "-") -> None:
    """nginx's access line; its log format ends with the X-Request-ID it sets and passes on
    to the api (so `trace` follows a request from the dashboard on)."""
    ip, agent = USERS[user]
    WEB.log("web").add(ns, f'{INGRESS_IP} - - [{nginx_time(ns)}] "{method} {path} HTTP/1.1" '
                           f'{status} {size} "{referer}" "{agent}" "{ip}" rid={rid}')


def web_probes() -> None:
    first_r = at(22, 10, 2, 118000)
    first_l = at(22, 10, 17, 530000)
    for ns in sorted(probe_times(first_r, 10, NOW) + probe_times(first_l, 30, NOW)):
        WEB.log("web").add(ns, f'{WEB.gateway} - - [{nginx_time(ns)}] "GET /healthz HTTP/1.1" '
                               '200 2 "-" "kube-probe/1.30" "-"')


def page_load(ns: int, user: int, page: str) -> int:
    referer = f"{SITE_URL}{page}"
    nginx(ns, user, "GET", page, 200, 1184, "-")
    for asset in ("/assets/index-Dk3s9QxA.js", "/assets/index-B1x9fGhT.css", "/favicon.svg"):
        ns += jitter(20000, 90000)
        nginx(ns, user, "GET", asset, 304, 0, referer)
    return ns + jitter(50000, 150000)


class Traffic:
    """Requests from the browsers, through the web-dashboard's nginx, to the api pods."""

    def __init__(self) -> None:
        self.state = {"open": 41, "in_progress": 9, "done": 311}
        self.next_task = 1302

    def pick_pod(self, ns: int) -> Pod | None:
        ready = [p for p in (API_A, API_B) if p.ready <= ns]
        return rng.choice(ready) if ready else None

    def api(self, ns: int, user: int, method: str, path: str, page: str, handler, *,
            rid: str | None = None, pod: Pod | None = None, old: tuple[int, int] = (200, 400)
            ) -> None:
        rid = rid or new_uid()
        pod = pod or self.pick_pod(ns)
        if pod is None:        # served by the old ReplicaSet: only nginx saw it
            nginx(ns + jitter(4000, 20000), user, method, f"/api{path}", old[0], old[1],
                  f"{SITE_URL}{page}")
            return
        client = f"{WEB_IP}:{ephemeral_port()}"
        end, status, size = handler(pod, ns + jitter(300, 900), rid, client)
        nginx(end + jitter(200, 700), user, method, f"/api{path}", status, size,
              f"{SITE_URL}{page}", rid=rid)

    def poll(self, ns: int, user: int) -> None:
        n = self.state["open"]
        self.api(ns, user, "GET", "/tasks?project_id=17&status=open", "/board/17",
                 lambda p, t, r, c: req_list_tasks(p, t, r, c, self.state), old=(200, n * 431 + 2))
        self.api(ns + jitter(30000, 60000), user, "GET", "/projects/17/stats", "/board/17",
                 lambda p, t, r, c: req_stats(p, t, r, c, self.state), old=(200, 97))

    def action(self, ns: int, user: int, kind: str, task: int = 0, *, rid: str | None = None,
               pod: Pod | None = None) -> None:
        page = "/board/17"
        worker = rng.choice([3, 5, 8, 11, 12, 16])
        if kind == "workers":
            page = "/workers"
            ns = page_load(ns, user, page)
            self.api(ns, user, "GET", "/workers", page, req_workers, old=(200, 2157))
        elif kind == "create":
            task = self.next_task
            self.next_task += 1
            self.api(ns, user, "POST", "/tasks", page,
                     lambda p, t, r, c: req_create(p, t, r, c, task, self.state), old=(201, 468))
        elif kind == "update":
            self.api(ns, user, "PATCH", f"/tasks/{task}", page,
                     lambda p, t, r, c: req_update(p, t, r, c, task))
        elif kind == "assign":
            self.api(ns, user, "POST", f"/tasks/{task}/assign", page,
                     lambda p, t, r, c: req_assign(p, t, r, c, task, worker))
        elif kind == "complete":
            self.api(ns, user, "POST", f"/tasks/{task}/complete", page,
                     lambda p, t, r, c: req_complete(p, t, r, c, task, worker, self.state),
                     rid=rid, pod=pod)
        elif kind == "view":
            page = f"/tasks/{task}"
            self.api(ns, user, "GET", f"/tasks/{task}", page,
                     lambda p, t, r, c: req_get_task(p, t, r, c, task), old=(200, 512))


# What the users did, hour by hour: (time, user, action, task).
ACTIONS = [
    ((22, 11, 48), 0, "view", 1288), ((22, 12, 40), 1, "workers", 0),
    ((22, 13, 15), 0, "create", 0), ((22, 16, 12), 0, "workers", 0),
    ((22, 17, 20), 1, "create", 0), ((22, 18, 31), 0, "assign", 1290),
    ((22, 19, 47), 1, "workers", 0), ((22, 21, 15), 2, "complete", 1279),
    ((22, 22, 10), 0, "update", 1284), ((22, 23, 2), 2, "create", 0),
    ((22, 24, 50), 1, "assign", 1291), ((22, 25, 33), 2, "view", 1412),
    ((22, 26, 5), 0, "workers", 0), ((22, 27, 44), 1, "complete", 1281),
    ((22, 29, 12), 0, "view", 1290), ((22, 30, 44), 2, "create", 0),
    ((22, 32, 9), 0, "complete", 1283), ((22, 33, 41), 2, "workers", 0),
    ((22, 34, 33), 1, "update", 1296), ((22, 35, 12), 0, "assign", 1295),
    ((22, 36, 55), 2, "complete", 1285), ((22, 38, 20), 1, "workers", 0),
    ((22, 39, 25), 0, "create", 0), ((22, 40, 11), 1, "view", 1287),
    ((22, 41, 3), 1, "complete", 1287), ((22, 43, 15), 2, "update", 1299),
    ((22, 44, 58), 0, "workers", 0), ((22, 45, 37), 2, "complete", 1288),
    ((22, 47, 3), 1, "assign", 1297), ((22, 48, 51), 0, "create", 0),
    ((22, 50, 21), 0, "complete", 1292), ((22, 51, 40), 2, "view", 1303),
    ((22, 52, 13), 1, "workers", 0), ((22, 53, 48), 2, "complete", 1294),
    ((22, 55, 40), 0, "assign", 1300), ((22, 57, 6), 1, "create", 0),
    ((22, 58, 30), 2, "workers", 0), ((22, 59, 10), 0, "complete", 1296),
    ((23, 1, 27), 1, "update", 1301), ((23, 2, 5), 2, "complete", 1298),
    ((23, 3, 22), 0, "assign", 1304), ((23, 4, 40), 2, "create", 0),
    ((23, 5, 57), 1, "view", 1419), ((23, 6, 44), 0, "workers", 0),
    ((23, 7, 31), 1, "complete", 1299),
]


def simulate_traffic() -> None:
    traffic = Traffic()
    events: list[tuple[int, int, str, int]] = []
    for ns in probe_times(at(22, 10, 7, 402000), 60, NOW):
        events.append((ns, 0, "poll", 0))
    for ns in probe_times(at(22, 31, 38, 77000), 60, NOW):
        events.append((ns, 2, "poll", 0))
    events.append((at(22, 31, 36, 512000), 2, "page", 0))
    for (hour, minute, second), user, kind, task in ACTIONS:
        events.append((at(hour, minute, second, rng.randint(0, 999999)), user, kind, task))
    for ns, user, kind, task in sorted(events):
        if kind == "poll":
            traffic.poll(ns, user)
        elif kind == "page":
            page_load(ns, user, "/board/17")
        elif kind == "complete" and task == 1287:
            # the request the README's `trace` example follows
            traffic.action(at(22, 41, 3, 96000), user, kind, task, rid=CORRELATION_ID, pod=API_A)
        else:
            traffic.action(ns, user, kind, task)


def background_api_lines() -> None:
    for pod in (API_A, API_B):
        ns = at(22, 52, 17, rng.randint(0, 999999))
        api_line(pod, ns, "INFO", "taskflow.cache", None,
                 "Redis sentinel failover completed, master is now "
                 "redis-node-2.redis-headless.infra.svc.cluster.local:6379")
        ns = at(22, 30, 0, 0) + jitter(0, 90000000)
        api_line(pod, ns, "INFO", "taskflow.sync", None,
                 "Calendar feed sync finished: 38 feeds, 0 failed")


# --------------------------------------------------------------------------- reminder-worker

# kubelet's back-off after each crash: 10 s doubling to 5 min.
BACKOFF_S = [10, 20, 40, 80, 160, 300, 300]
FIRST_CRASH = at(22, 49, 31, 804000)    # postgres-0 went away; the running worker died


def worker_run(start: int) -> tuple[ContainerLog, int]:
    """One start of the worker: three connection attempts, then the traceback. Returns the
    log and when the process exited."""
    log = ContainerLog()
    ns = start + jitter(900000, 1400000)

    def line(level: str, logger: str, msg: str) -> None:
        log.add(ns, f"{py_time(ns)} {level} [{logger}] {msg}")

    line("INFO", "reminder_worker", "reminder-worker 0.4.0 starting")
    ns += jitter(300, 1200)
    line("INFO", "reminder_worker",
         "config: poll_interval=30s batch_size=50 retry policy: maxRetries=3 backoff=2s")
    ns += jitter(3000, 9000)
    line("INFO", "reminder_worker.db", "Connecting to postgres:5432/taskflow as taskflow")
    refused = ('connection to server at "postgres" (10.96.12.4), port 5432 failed: '
               "Connection refused")
    for attempt, wait in ((1, 2), (2, 4)):
        ns += jitter(2000, 6000)
        line("WARNING", "reminder_worker.db",
             f"Database not reachable (attempt {attempt}/3), retrying in {wait}s: {refused}")
        ns += wait * SECOND
    ns += jitter(4000, 9000)
    log.add(ns, TB_WORKER_DB)
    return log, ns + jitter(40000, 90000)


def simulate_worker() -> dict:
    runs, exit_ns = [], FIRST_CRASH
    for delay in BACKOFF_S:
        start = exit_ns + delay * SECOND + jitter(200000, 900000)
        log, exit_ns = worker_run(start)
        runs.append((start, exit_ns, log))
    WORKER.previous["worker"] = runs[-2][2]
    WORKER.logs["worker"] = runs[-1][2]
    TALLY["db-connection"] = 2
    return {"restarts": len(runs), "last_start": runs[-1][0], "last_exit": runs[-1][1],
            "first_crash": FIRST_CRASH, "starts": [r[0] for r in runs]}


# --------------------------------------------------------------------------- resources: helpers

def meta(name: str, uid: str, created: int, *, labels: dict | None = None,
         annotations: dict | None = None, owner: dict | None = None, generate: str = "",
         generation: int | None = None) -> dict:
    out: dict = {"name": name}
    if generate:
        out["generateName"] = generate
    out["namespace"] = NAMESPACE
    out["uid"] = uid
    out["resourceVersion"] = resource_version()
    if generation is not None:
        out["generation"] = generation
    out["creationTimestamp"] = rfc3339(created)
    if labels:
        out["labels"] = labels
    if annotations:
        out["annotations"] = annotations
    if owner:
        out["ownerReferences"] = [owner]
    return out


def owner_ref(kind: str, name: str, uid: str, api_version: str = "apps/v1") -> dict:
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": uid,
            "controller": True, "blockOwnerDeletion": True}


def http_probe(path: str, port: object, *, delay: int, period: int, timeout: int = 1,
               failures: int = 3) -> dict:
    return {"httpGet": {"path": path, "port": port, "scheme": "HTTP"},
            "initialDelaySeconds": delay, "timeoutSeconds": timeout, "periodSeconds": period,
            "successThreshold": 1, "failureThreshold": failures}


RESTRICTED = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
              "readOnlyRootFilesystem": True, "runAsNonRoot": True}


def env_value(name: str, value: str) -> dict:
    return {"name": name, "value": value}


def env_field(name: str, path: str) -> dict:
    return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}


def env_secret(name: str, secret: str, key: str) -> dict:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def dapr_annotations(app_id: str, port: int, *, level: str = "info") -> dict:
    return {"dapr.io/enabled": "true", "dapr.io/app-id": app_id, "dapr.io/app-port": str(port),
            "dapr.io/config": "taskflow-config", "dapr.io/log-level": level,
            "dapr.io/enable-api-logging": "true", "dapr.io/sidecar-cpu-request": "100m",
            "dapr.io/sidecar-memory-request": "128Mi", "dapr.io/sidecar-memory-limit": "256Mi"}


BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
TRUST_ANCHORS = ("-----BEGIN CERTIFICATE-----\n"
                 + "\n".join("".join(rng.choice(BASE64) for _ in range(64)) for _ in range(9))
                 + "\nMIIBxTCCAWugAwIBAgIRAPx3=\n-----END CERTIFICATE-----\n")


def daprd_container(app_id: str, port: int, token_volume: str) -> dict:
    scheduler = ",".join(f"dapr-scheduler-server-{i}.dapr-scheduler-server.dapr-system.svc."
                         "cluster.local:50006" for i in range(3))
    return {
        "name": "daprd",
        "image": IMAGES["daprd"][0],
        "imagePullPolicy": "IfNotPresent",
        "command": ["/daprd"],
        "args": ["--dapr-http-port=3500", "--dapr-grpc-port=50001",
                 "--dapr-internal-grpc-port=50002", "--dapr-listen-addresses=[::1],127.0.0.1",
                 "--dapr-public-port=3501", f"--app-id={app_id}", f"--app-port={port}",
                 "--app-protocol=http", "--control-plane-namespace=dapr-system",
                 "--control-plane-trust-domain=cluster.local", "--log-level=info",
                 "--enable-api-logging=true", "--mode=kubernetes", "--config=taskflow-config",
                 "--placement-host-address=dapr-placement-server.dapr-system.svc.cluster.local:"
                 "50005", f"--scheduler-host-address={scheduler}",
                 "--sentry-address=dapr-sentry.dapr-system.svc.cluster.local:443",
                 "--enable-metrics=true", "--metrics-port=9090", "--enable-mtls",
                 "--dapr-graceful-shutdown-seconds=-1"],
        "ports": [{"name": "dapr-http", "containerPort": 3500, "protocol": "TCP"},
                  {"name": "dapr-grpc", "containerPort": 50001, "protocol": "TCP"},
                  {"name": "dapr-internal", "containerPort": 50002, "protocol": "TCP"},
                  {"name": "dapr-metrics", "containerPort": 9090, "protocol": "TCP"}],
        "env": [env_field("NAMESPACE", "metadata.namespace"),
                env_field("POD_NAME", "metadata.name"),
                env_value("DAPR_CONTROLPLANE_NAMESPACE", "dapr-system"),
                env_value("DAPR_CONTROLPLANE_TRUST_DOMAIN", "cluster.local"),
                env_value("DAPR_TRUST_ANCHORS", TRUST_ANCHORS),
                env_field("DAPR_HOST_IP", "status.podIP")],
        "resources": {"limits": {"memory": "256Mi"},
                      "requests": {"cpu": "100m", "memory": "128Mi"}},
        "livenessProbe": http_probe("/v1.0/healthz", 3501, delay=3, period=6, timeout=3),
        "readinessProbe": http_probe("/v1.0/healthz", 3501, delay=3, period=6, timeout=3),
        "securityContext": {**RESTRICTED, "seccompProfile": {"type": "RuntimeDefault"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [
            {"name": "dapr-identity-token", "mountPath": "/var/run/secrets/dapr.io/sentrytoken",
             "readOnly": True},
            {"name": token_volume, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
             "readOnly": True}],
    }


def token_volume(name: str) -> dict:
    return {"name": name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
            "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}}


DAPR_TOKEN_VOLUME = {"name": "dapr-identity-token", "projected": {"defaultMode": 420, "sources": [
    {"serviceAccountToken": {"audience": "spiffe://cluster.local/ns/dapr-system/dapr-sentry",
                             "expirationSeconds": 7200, "path": "token"}}]}}

DEFAULT_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
     "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
     "tolerationSeconds": 300},
]


# --------------------------------------------------------------------------- workloads

def api_container(*, injected: bool, image: str = "api") -> dict:
    env = [env_value("APP_ENV", "production"), env_value("LOG_LEVEL", "info"),
           env_value("DATABASE_URL", "postgresql+asyncpg://taskflow:S3cr3tPass@postgres-rw."
                                     "database.svc.cluster.local:5432/taskflow"),
           env_value("API_TOKEN", "tfk_live_4f9a8c2e7b1d6053a9e2c4b8d7f1a6e3"),
           env_secret("JWT_SECRET", "taskflow-secrets", "jwt-secret"),
           env_value("REDIS_URL", "redis://redis-master.infra.svc.cluster.local:6379/2"),
           env_value("NOTIFICATION_APP_ID", "notification-service"),
           env_value("REMINDER_DEFAULT_TZ", "Europe/Berlin"),
           env_field("POD_NAME", "metadata.name")]
    if injected:
        env += [env_value("DAPR_HTTP_PORT", "3500"), env_value("DAPR_GRPC_PORT", "50001")]
    return {
        "name": "api",
        "image": IMAGES[image][0],
        "imagePullPolicy": "IfNotPresent",
        "command": ["uvicorn"],
        "args": ["taskflow.main:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers",
                 "--forwarded-allow-ips", "*"],
        "ports": [{"name": "http", "containerPort": 8000, "protocol": "TCP"}],
        "env": env,
        "resources": {"limits": {"memory": "512Mi"},
                      "requests": {"cpu": "250m", "memory": "256Mi"}},
        "livenessProbe": http_probe("/health", "http", delay=30, period=20, timeout=2),
        "readinessProbe": http_probe("/health", "http", delay=5, period=10, timeout=2),
        "securityContext": RESTRICTED,
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def notification_container(*, injected: bool) -> dict:
    env = [env_value("LOG_LEVEL", "debug"), env_value("PUBSUB_NAME", "pubsub"),
           env_value("TOPIC", "task-events"), env_value("SMTP_HOST", "smtp.eu.mailgun.org"),
           env_value("SMTP_PORT", "587"), env_value("SMTP_USER", "postmaster@mg.acme.example"),
           env_secret("SMTP_PASSWORD", "notification-smtp", "password"),
           env_value("MAIL_FROM", "noreply@taskflow.acme.example")]
    if injected:
        env += [env_value("DAPR_HTTP_PORT", "3500"), env_value("DAPR_GRPC_PORT", "50001")]
    return {
        "name": "app",
        "image": IMAGES["notification"][0],
        "imagePullPolicy": "IfNotPresent",
        "command": ["uvicorn"],
        "args": ["notification.main:app", "--host", "0.0.0.0", "--port", "8001",
                 "--log-config", "/app/logging.yaml"],
        "ports": [{"name": "http", "containerPort": 8001, "protocol": "TCP"}],
        "env": env,
        "resources": {"limits": {"memory": "256Mi"},
                      "requests": {"cpu": "100m", "memory": "128Mi"}},
        "livenessProbe": http_probe("/health", "http", delay=15, period=20),
        "readinessProbe": http_probe("/health", "http", delay=3, period=10),
        "securityContext": RESTRICTED,
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def web_container() -> dict:
    return {
        "name": "web",
        "image": IMAGES["web"][0],
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [env_value("API_UPSTREAM", "http://taskflow-api.taskflow.svc.cluster.local"),
                env_value("NGINX_WORKER_PROCESSES", "2")],
        "resources": {"limits": {"memory": "64Mi"}, "requests": {"cpu": "20m", "memory": "32Mi"}},
        "livenessProbe": http_probe("/healthz", "http", delay=5, period=30),
        "readinessProbe": http_probe("/healthz", "http", delay=2, period=10),
        "securityContext": {**RESTRICTED, "readOnlyRootFilesystem": False, "runAsUser": 101},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def worker_container() -> dict:
    return {
        "name": "worker",
        "image": IMAGES["worker"][0],
        "imagePullPolicy": "IfNotPresent",
        "command": ["python", "-m", "reminder_worker"],
        "env": [env_value("DATABASE_URL", "postgresql://taskflow:S3cr3tPass@postgres:5432/taskflow"),
                env_value("POLL_INTERVAL_SECONDS", "30"), env_value("BATCH_SIZE", "50"),
                env_value("LOG_LEVEL", "info")],
        "resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "50m", "memory": "128Mi"}},
        "securityContext": RESTRICTED,
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


class Workload:
    def __init__(self, name: str, *, labels: dict, annotations: dict, containers: list,
                 pod_spec: dict, hash_: str, created: int, rs_created: int, replicas: int,
                 revision: int, strategy: dict | None = None) -> None:
        self.name, self.labels, self.annotations = name, labels, annotations
        self.containers, self.pod_spec = containers, pod_spec
        self.hash, self.created, self.rs_created = hash_, created, rs_created
        self.replicas, self.revision = replicas, revision
        self.strategy = strategy or {"type": "RollingUpdate",
                                     "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}

    @property
    def rs_name(self) -> str:
        return f"{self.name}-{self.hash}"

    def template(self, hash_: str | None = None, containers: list | None = None) -> dict:
        labels = dict(self.labels)
        if hash_:
            labels["pod-template-hash"] = hash_
        return {"metadata": {"labels": labels, "annotations": self.annotations},
                "spec": {"containers": containers or self.containers, **self.pod_spec,
                         "dnsPolicy": "ClusterFirst", "restartPolicy": "Always",
                         "schedulerName": "default-scheduler", "securityContext": {},
                         "terminationGracePeriodSeconds": 30}}


API_AFFINITY = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
    {"labelSelector": {"matchLabels": {"app": "taskflow-api"}},
     "topologyKey": "kubernetes.io/hostname"}]}}

WORKLOADS = {
    "taskflow-api": Workload(
        "taskflow-api", labels={"app": "taskflow-api", "app.kubernetes.io/part-of": "taskflow",
                                "app.kubernetes.io/version": "1.8.0"},
        annotations=dapr_annotations("taskflow-api", 8000),
        containers=[api_container(injected=False)],
        pod_spec={"serviceAccountName": "taskflow-api", "affinity": API_AFFINITY},
        hash_="7c9d8f6b5", created=ts(2026, 3, 2, 10, 41, 7), rs_created=API_A.created - 300 * MS,
        replicas=2, revision=8,
        strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}}),
    "notification-service": Workload(
        "notification-service", labels={"app": "notification-service",
                                         "app.kubernetes.io/part-of": "taskflow",
                                         "app.kubernetes.io/version": "0.3.0"},
        annotations=dapr_annotations("notification-service", 8001),
        containers=[notification_container(injected=False)],
        pod_spec={"serviceAccountName": "notification-service"},
        hash_="6b7f9c8d4", created=NOTIFY.created - 400 * MS, rs_created=NOTIFY.created - 200 * MS,
        replicas=1, revision=1),
    "web-dashboard": Workload(
        "web-dashboard", labels={"app": "web-dashboard", "app.kubernetes.io/part-of": "taskflow",
                                 "app.kubernetes.io/version": "2.3.1"},
        annotations={}, containers=[web_container()], pod_spec={"serviceAccountName": "default"},
        hash_="84f6d9c7b", created=ts(2026, 3, 2, 10, 41, 9), rs_created=WEB.created - 300 * MS,
        replicas=1, revision=3),
    "reminder-worker": Workload(
        "reminder-worker", labels={"app": "reminder-worker",
                                   "app.kubernetes.io/part-of": "taskflow",
                                   "app.kubernetes.io/version": "0.4.0"},
        annotations={}, containers=[worker_container()],
        pod_spec={"serviceAccountName": "default",
                  "nodeSelector": {"node-role.acme.io/batch": "true"},
                  "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "batch",
                                   "effect": "NoSchedule"}]},
        hash_="5f7b8c6d9", created=WORKER.created - 500 * MS, rs_created=WORKER.created - 250 * MS,
        replicas=1, revision=1),
}


def deployment(w: Workload) -> dict:
    worker_down = w.name == "reminder-worker"
    ready = 0 if worker_down else w.replicas
    status: dict = {"observedGeneration": w.revision, "replicas": w.replicas,
                    "updatedReplicas": w.replicas}
    if ready:
        status["readyReplicas"] = ready
        status["availableReplicas"] = ready
    else:
        status["unavailableReplicas"] = w.replicas
    ready_pods = {"taskflow-api": API_B, "notification-service": NOTIFY, "web-dashboard": WEB,
                  "reminder-worker": WORKER}
    rollout_done = ready_pods[w.name].ready + 600 * MS
    available = (["False", "MinimumReplicasUnavailable", "Deployment does not have minimum "
                  "availability.", FIRST_CRASH + 900 * MS] if worker_down else
                 ["True", "MinimumReplicasAvailable", "Deployment has minimum availability.",
                  rollout_done])
    status["conditions"] = [
        {"type": "Available", "status": available[0], "lastUpdateTime": rfc3339(available[3]),
         "lastTransitionTime": rfc3339(available[3]), "reason": available[1],
         "message": available[2]},
        {"type": "Progressing", "status": "True", "lastUpdateTime": rfc3339(rollout_done),
         "lastTransitionTime": rfc3339(w.rs_created), "reason": "NewReplicaSetAvailable",
         "message": f'ReplicaSet "{w.rs_name}" has successfully progressed.'}]
    return {
        "metadata": meta(w.name, IDS[f"deploy/{w.name}"], w.created, labels=w.labels,
                         annotations={"deployment.kubernetes.io/revision": str(w.revision)},
                         generation=w.revision),
        "spec": {"replicas": w.replicas, "selector": {"matchLabels": {"app": w.labels["app"]}},
                 "template": w.template(), "strategy": w.strategy, "revisionHistoryLimit": 10,
                 "progressDeadlineSeconds": 600},
        "status": status,
    }


def replicaset(w: Workload, *, name_hash: str, created: int, replicas: int, revision: int,
               containers: list | None = None, ready: int | None = None) -> dict:
    name = f"{w.name}-{name_hash}"
    labels = {**w.labels, "pod-template-hash": name_hash}
    if containers:
        labels["app.kubernetes.io/version"] = "1.7.3"
    status: dict = {"replicas": replicas, "observedGeneration": 1 if replicas else 3}
    if replicas:
        status["fullyLabeledReplicas"] = replicas
        ready = replicas if ready is None else ready
        if ready:
            status["readyReplicas"] = ready
            status["availableReplicas"] = ready
    template = w.template(name_hash, containers)
    template["metadata"]["labels"] = labels
    return {
        "metadata": meta(name, IDS[f"rs/{name}"], created, labels=labels, annotations={
            "deployment.kubernetes.io/desired-replicas": str(w.replicas),
            "deployment.kubernetes.io/max-replicas": str(w.replicas + 1),  # maxSurge
            "deployment.kubernetes.io/revision": str(revision)},
            owner=owner_ref("Deployment", w.name, IDS[f"deploy/{w.name}"]),
            generation=status["observedGeneration"]),
        "spec": {"replicas": replicas,
                 "selector": {"matchLabels": {"app": w.labels["app"],
                                              "pod-template-hash": name_hash}},
                 "template": template},
        "status": status,
    }


# --------------------------------------------------------------------------- pods

def running(started: int) -> dict:
    return {"running": {"startedAt": rfc3339(started)}}


def container_status(name: str, image_key: str, *, state: dict, ready: bool, restarts: int = 0,
                     last_state: dict | None = None) -> dict:
    return {"name": name, "state": state, "lastState": last_state or {}, "ready": ready,
            "restartCount": restarts, "image": IMAGES[image_key][0], "imageID": image_id(image_key),
            "containerID": f"containerd://{hexstr(64)}", "started": "running" in state}


def conditions(pod: Pod, *, ready_at: int | None, not_ready_since: int | None = None,
               unready: str = "") -> list:
    scheduled = pod.scheduled
    cond = [{"type": "PodReadyToStartContainers", "status": "True",
             "lastProbeTime": None, "lastTransitionTime": rfc3339(scheduled + SECOND)},
            {"type": "Initialized", "status": "True", "lastProbeTime": None,
             "lastTransitionTime": rfc3339(scheduled)}]
    for kind in ("Ready", "ContainersReady"):
        if not_ready_since:
            cond.append({"type": kind, "status": "False", "lastProbeTime": None,
                         "lastTransitionTime": rfc3339(not_ready_since),
                         "reason": "ContainersNotReady",
                         "message": f"containers with unready status: [{unready}]"})
        else:
            cond.append({"type": kind, "status": "True", "lastProbeTime": None,
                         "lastTransitionTime": rfc3339(ready_at)})
    cond.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                 "lastTransitionTime": rfc3339(scheduled)})
    return cond


def pod_object(pod: Pod, w: Workload, *, containers: list, statuses: list, cond: list,
               extra_volumes: list | None = None, qos: str = "Burstable") -> dict:
    token = f"kube-api-access-{''.join(rng.choice(NAME_ALPHABET) for _ in range(5))}"
    for c in containers:
        if c["name"] != "daprd":
            c.setdefault("volumeMounts", []).append(
                {"name": token, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                 "readOnly": True})
        else:
            c["volumeMounts"][1]["name"] = token
    spec = w.template(w.hash, containers)["spec"]
    spec.update({"nodeName": pod.node, "enableServiceLinks": True,
                 "preemptionPolicy": "PreemptLowerPriority", "priority": 0,
                 "serviceAccount": spec["serviceAccountName"],
                 "tolerations": spec.get("tolerations", []) + DEFAULT_TOLERATIONS,
                 "volumes": (extra_volumes or []) + [token_volume(token)]})
    labels = {**w.labels, "pod-template-hash": w.hash}
    if w.annotations:
        labels["dapr.io/app-id"] = w.annotations["dapr.io/app-id"]
        labels["dapr.io/metrics-enabled"] = "true"
        labels["dapr.io/sidecar-injected"] = "true"
    return {
        "metadata": meta(pod.name, IDS[f"pod/{pod.name}"], pod.created, labels=labels,
                         annotations=w.annotations or None, generate=f"{w.rs_name}-",
                         owner=owner_ref("ReplicaSet", w.rs_name, IDS[f"rs/{w.rs_name}"])),
        "spec": spec,
        "status": {"phase": "Running", "conditions": cond, "hostIP": node_ip(pod.node),
                   "hostIPs": [{"ip": node_ip(pod.node)}], "podIP": pod.ip,
                   "podIPs": [{"ip": pod.ip}], "startTime": rfc3339(pod.scheduled),
                   "containerStatuses": statuses, "qosClass": qos},
    }


def node_ip(name: str) -> str:
    return next(n[1] for n in NODES if n[0] == name)


def dapr_pod(pod: Pod, w: Workload, app: dict, app_image: str) -> dict:
    app_name = app["name"]
    statuses = sorted([
        container_status(app_name, app_image, state=running(pod.started), ready=True),
        container_status("daprd", "daprd", state=running(pod.started + 700 * MS), ready=True)],
        key=lambda s: s["name"])
    return pod_object(pod, w, containers=[app, daprd_container(w.annotations["dapr.io/app-id"],
                                                               int(w.annotations["dapr.io/app-port"]),
                                                               "")],
                      statuses=statuses,
                      cond=conditions(pod, ready_at=pod.ready), extra_volumes=[DAPR_TOKEN_VOLUME])


def worker_pod(w: Workload, run: dict) -> dict:
    pod = WORKER
    last_id = f"containerd://{hexstr(64)}"
    message = (f"back-off 5m0s restarting failed container=worker "
               f"pod={pod.name}_{NAMESPACE}({IDS[f'pod/{pod.name}']})")
    status = container_status(
        "worker", "worker", ready=False, restarts=run["restarts"],
        state={"waiting": {"reason": "CrashLoopBackOff", "message": message}},
        last_state={"terminated": {"exitCode": 1, "reason": "Error",
                                   "startedAt": rfc3339(run["last_start"]),
                                   "finishedAt": rfc3339(run["last_exit"]),
                                   "containerID": last_id}})
    status["started"] = False
    status["containerID"] = last_id    # a waiting container reports its last instance
    return pod_object(pod, w, containers=[worker_container()], statuses=[status],
                      cond=conditions(pod, ready_at=None, not_ready_since=run["first_crash"]
                                      + 700 * MS, unready="worker"))


def all_pods(run: dict) -> list:
    api = WORKLOADS["taskflow-api"]
    pods = [dapr_pod(p, api, api_container(injected=True), "api") for p in (API_A, API_B)]
    pods.append(dapr_pod(NOTIFY, WORKLOADS["notification-service"],
                         notification_container(injected=True), "notification"))
    web = WORKLOADS["web-dashboard"]
    pods.append(pod_object(WEB, web, containers=[web_container()],
                           statuses=[container_status("web", "web", state=running(WEB.started),
                                                      ready=True)],
                           cond=conditions(WEB, ready_at=WEB.ready)))
    pods.append(worker_pod(WORKLOADS["reminder-worker"], run))
    return sorted(pods, key=lambda p: p["metadata"]["name"])


# --------------------------------------------------------------------------- services, sts, nodes

def service(name: str, ip: str, ports: list, selector: dict, created: int, *,
            headless: bool = False, owner: dict | None = None, labels: dict | None = None,
            annotations: dict | None = None) -> dict:
    spec: dict = {"ports": ports, "selector": selector, "clusterIP": "None" if headless else ip,
                  "clusterIPs": ["None" if headless else ip], "type": "ClusterIP",
                  "sessionAffinity": "None", "ipFamilies": ["IPv4"],
                  "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"}
    return {"metadata": meta(name, IDS[f"svc/{name}"], created, labels=labels,
                             annotations=annotations, owner=owner),
            "spec": spec, "status": {"loadBalancer": {}}}


def port(name: str, number: int, target: object) -> dict:
    return {"name": name, "protocol": "TCP", "port": number, "targetPort": target}


def dapr_service(app: str, created: int) -> dict:
    ports = [port("dapr-http", 80, 3500), port("dapr-grpc", 50001, 50001),
             port("dapr-internal", 50002, 50002), port("dapr-metrics", 9090, 9090)]
    return service(f"{app}-dapr", "", ports, {"app": app}, created, headless=True,
                   labels={"dapr.io/enabled": "true"},
                   annotations={"dapr.io/app-id": app, "prometheus.io/path": "/",
                                "prometheus.io/port": "9090", "prometheus.io/probe": "true",
                                "prometheus.io/scrape": "true"},
                   owner={"apiVersion": "apps/v1", "kind": "Deployment", "name": app,
                          "uid": IDS[f"deploy/{app}"], "controller": True,
                          "blockOwnerDeletion": True})


def all_services() -> list:
    created = ts(2026, 3, 2, 10, 41, 7)
    items = [
        service("taskflow-api", "10.96.48.120", [port("http", 80, "http")],
                {"app": "taskflow-api"}, created, labels={"app": "taskflow-api"}),
        service("notification-service", "10.96.201.37", [port("http", 80, "http")],
                {"app": "notification-service"}, NOTIFY.created - 2 * SECOND,
                labels={"app": "notification-service"}),
        service("web-dashboard", "10.96.93.15", [port("http", 80, 8080)],
                {"app": "web-dashboard"}, created, labels={"app": "web-dashboard"}),
        service("postgres", "10.96.12.4", [port("postgres", 5432, 5432)], {"app": "postgres"},
                ts(2026, 3, 2, 10, 40, 55), labels={"app": "postgres"}),
        dapr_service("taskflow-api", created + 3 * SECOND),
        dapr_service("notification-service", NOTIFY.created + 900 * MS),
    ]
    return sorted(items, key=lambda s: s["metadata"]["name"])


def postgres_statefulset() -> dict:
    labels = {"app": "postgres", "app.kubernetes.io/part-of": "taskflow"}
    container = {"name": "postgres", "image": IMAGES["postgres"][0],
                 "imagePullPolicy": "IfNotPresent",
                 "ports": [{"name": "postgres", "containerPort": 5432, "protocol": "TCP"}],
                 "env": [env_value("POSTGRES_DB", "taskflow"),
                         env_value("POSTGRES_USER", "taskflow"),
                         env_secret("POSTGRES_PASSWORD", "postgres-credentials", "password"),
                         env_value("PGDATA", "/var/lib/postgresql/data/pgdata")],
                 "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}},
                 "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}],
                 "terminationMessagePath": "/dev/termination-log",
                 "terminationMessagePolicy": "File"}
    return {
        "metadata": meta("postgres", IDS["sts/postgres"], ts(2026, 3, 2, 10, 40, 55), labels=labels,
                         annotations={"acme.io/decommissioned": "moved to database/postgres-rw "
                                                                "(CloudNativePG), 2026-11-27"},
                         generation=4),
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "postgres"}},
                 "serviceName": "postgres", "podManagementPolicy": "OrderedReady",
                 "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                 "revisionHistoryLimit": 10, "persistentVolumeClaimRetentionPolicy": {
                     "whenDeleted": "Retain", "whenScaled": "Retain"},
                 "template": {"metadata": {"labels": labels}, "spec": {
                     "containers": [container], "dnsPolicy": "ClusterFirst",
                     "restartPolicy": "Always", "schedulerName": "default-scheduler",
                     "securityContext": {"fsGroup": 999}, "terminationGracePeriodSeconds": 30}},
                 "volumeClaimTemplates": [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                           "metadata": {"name": "data"}, "spec": {
                                               "accessModes": ["ReadWriteOnce"],
                                               "resources": {"requests": {"storage": "20Gi"}},
                                               "volumeMode": "Filesystem"}}]},
        "status": {"observedGeneration": 4, "replicas": 0, "availableReplicas": 0,
                   "currentRevision": "postgres-6c8f5d7b94",
                   "updateRevision": "postgres-6c8f5d7b94",
                   "collisionCount": 0},
    }


def node_object(name: str, ip: str, cidr: str, zone: str, taint: dict | None) -> dict:
    index = [n[0] for n in NODES].index(name)
    created = ts(2026, 2, 11, 8, 3, 12) + index * 47 * SECOND
    labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
              "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
              "kubernetes.io/os": "linux", "node.kubernetes.io/instance-type": "m6i.xlarge",
              "topology.kubernetes.io/region": "eu-central", "topology.kubernetes.io/zone": zone}
    if taint:
        labels["node-role.acme.io/batch"] = "true"
    heartbeat = NOW - rng.randint(5, 40) * SECOND
    conds = [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory",
         "kubelet has sufficient memory available"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
    meta_ = {"name": name, "uid": IDS[f"node/{name}"], "resourceVersion": resource_version(),
             "creationTimestamp": rfc3339(created), "labels": labels,
             "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                             "volumes.kubernetes.io/controller-managed-attach-detach": "true"}}
    spec: dict = {"podCIDR": cidr, "podCIDRs": [cidr]}
    if taint:
        spec["taints"] = [taint]
    return {
        "metadata": meta_,
        "spec": spec,
        "status": {
            "capacity": {"cpu": "4", "ephemeral-storage": "101430960Ki", "hugepages-1Gi": "0",
                         "hugepages-2Mi": "0", "memory": "16203452Ki", "pods": "110"},
            "allocatable": {"cpu": "3920m", "ephemeral-storage": "93478772582",
                            "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "15376060Ki",
                            "pods": "110"},
            "conditions": [{"type": t, "status": s, "lastHeartbeatTime": rfc3339(heartbeat),
                            "lastTransitionTime": rfc3339(created + 30 * SECOND), "reason": r,
                            "message": m} for t, s, r, m in conds],
            "addresses": [{"type": "InternalIP", "address": ip},
                          {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"machineID": hexstr(32), "systemUUID": new_uid(), "bootID": new_uid(),
                         "kernelVersion": "5.15.0-126-generic", "osImage": "Ubuntu 22.04.5 LTS",
                         "containerRuntimeVersion": "containerd://1.7.22",
                         "kubeletVersion": "v1.30.6", "kubeProxyVersion": "v1.30.6",
                         "operatingSystem": "linux", "architecture": "amd64"},
        },
    }


# --------------------------------------------------------------------------- events

def involved(kind: str, name: str, *, field_path: str = "") -> dict:
    key = {"Pod": "pod", "ReplicaSet": "rs", "Deployment": "deploy", "StatefulSet": "sts"}[kind]
    out = {"kind": kind, "namespace": NAMESPACE, "name": name, "uid": IDS[f"{key}/{name}"],
           "apiVersion": "v1" if kind == "Pod" else "apps/v1",
           "resourceVersion": resource_version()}
    if field_path:
        out["fieldPath"] = field_path
    return out


def core_event(obj: dict, reason: str, message: str, *, first: int, last: int | None = None,
               count: int = 1, type_: str = "Normal", component: str, host: str = "") -> dict:
    """An Event as the core/v1 API records it (kubelet, controllers)."""
    last = last or first
    source = {"component": component}
    if host:
        source["host"] = host
    return {"metadata": {"name": f"{obj['name']}.{first:x}", "namespace": NAMESPACE,
                         "uid": new_uid(), "resourceVersion": resource_version(),
                         "creationTimestamp": rfc3339(first)},
            "involvedObject": obj, "reason": reason, "message": message, "source": source,
            "firstTimestamp": rfc3339(first), "lastTimestamp": rfc3339(last), "count": count,
            "type": type_, "eventTime": None, "reportingComponent": component,
            "reportingInstance": host}


def new_style_event(obj: dict, reason: str, message: str, *, event_time: int, action: str,
                    type_: str = "Normal", series: tuple[int, int] | None = None) -> dict:
    """An Event written through events.k8s.io/v1 (kube-scheduler), as the core/v1 list shows
    it: no first/lastTimestamp, eventTime in microseconds, repeats in `series`."""
    out = {"metadata": {"name": f"{obj['name']}.{event_time:x}", "namespace": NAMESPACE,
                        "uid": new_uid(), "resourceVersion": resource_version(),
                        "creationTimestamp": rfc3339(event_time)},
           "involvedObject": obj, "reason": reason, "message": message, "source": {},
           "firstTimestamp": None, "lastTimestamp": None, "type": type_,
           "eventTime": micro_time(event_time), "action": action,
           "reportingComponent": "default-scheduler",
           "reportingInstance": "default-scheduler-prod-eu-cp-1"}
    if series:
        out["series"] = {"count": series[0], "lastObservedTime": micro_time(series[1])}
    return out


def container_events(pod: Pod, container: str, image_key: str, start: int, *, pulled: bool,
                     pull_s: float = 0.0) -> list:
    obj = involved("Pod", pod.name, field_path=f"spec.containers{{{container}}}")
    image = IMAGES[image_key][0]
    out = []
    if pulled:
        out.append(core_event(obj, "Pulling", f'Pulling image "{image}"', first=start - int(
            (pull_s + 0.2) * SECOND), component="kubelet", host=pod.node))
        out.append(core_event(obj, "Pulled", f'Successfully pulled image "{image}" in '
                              f'{pull_s:.3f}s ({pull_s:.3f}s including waiting). Image size: '
                              f'{IMAGES[image_key][1]} bytes.', first=start - 150 * MS,
                              component="kubelet", host=pod.node))
    else:
        out.append(core_event(obj, "Pulled", f'Container image "{image}" already present on '
                              "machine", first=start - 150 * MS, component="kubelet",
                              host=pod.node))
    out.append(core_event(obj, "Created", f"Created container {container}", first=start - 90 * MS,
                          component="kubelet", host=pod.node))
    out.append(core_event(obj, "Started", f"Started container {container}", first=start,
                          component="kubelet", host=pod.node))
    return out


UNSCHEDULABLE = ("0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: batch}, "
                 "2 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are "
                 "available: 1 Preemption is not helpful for scheduling, 2 No preemption victims "
                 "found for incoming pod.")


def rollout_events() -> list:
    """The 22:14 rollout of taskflow-api: revision 7 (1.7.3) -> 8 (1.8.0)."""
    dep = involved("Deployment", "taskflow-api")
    new, old = "taskflow-api-7c9d8f6b5", "taskflow-api-5d8c7b9f4"
    t0, t1 = API_A.created - 300 * MS, API_B.created - 250 * MS
    ev = [core_event(dep, "ScalingReplicaSet", f"Scaled up replica set {new} from 0 to 1",
                     first=t0, component="deployment-controller"),
          core_event(dep, "ScalingReplicaSet", f"Scaled down replica set {old} from 2 to 1",
                     first=t0 + 40 * MS, component="deployment-controller"),
          core_event(dep, "ScalingReplicaSet", f"Scaled up replica set {new} from 1 to 2",
                     first=t1, component="deployment-controller"),
          core_event(dep, "ScalingReplicaSet", f"Scaled down replica set {old} from 1 to 0",
                     first=t1 + 35 * MS, component="deployment-controller")]
    rs_new, rs_old = involved("ReplicaSet", new), involved("ReplicaSet", old)
    for pod, when in ((API_A, t0), (API_B, t1)):
        ev.append(core_event(rs_new, "SuccessfulCreate", f"Created pod: {pod.name}",
                             first=when + 120 * MS, component="replicaset-controller"))
    for (name, ip, node), when in ((OLD_A, t0), (OLD_B, t1)):
        ev.append(core_event(rs_old, "SuccessfulDelete", f"Deleted pod: {name}",
                             first=when + 90 * MS, component="replicaset-controller"))
        obj = involved("Pod", name)
        for c in ("api", "daprd"):
            ev.append(core_event({**obj, "fieldPath": f"spec.containers{{{c}}}"}, "Killing",
                                 f"Stopping container {c}", first=when + 150 * MS,
                                 component="kubelet", host=node))
        if name == OLD_A[0]:
            ev.append(core_event({**obj, "fieldPath": "spec.containers{api}"}, "Unhealthy",
                                 f'Readiness probe failed: Get "http://{ip}:8000/health": dial tcp '
                                 f"{ip}:8000: connect: connection refused", first=when + 2 * SECOND
                                 + 310 * MS, type_="Warning", component="kubelet", host=node))
    # the new pods wait for the old ones to leave their nodes (required anti-affinity)
    for pod, first, last, count in ((API_A, t0 + 260 * MS, API_A.scheduled - 390 * MS, 3),
                                    (API_B, t1 + 230 * MS, API_B.scheduled - 480 * MS, 2)):
        obj = involved("Pod", pod.name)
        ev.append(new_style_event(obj, "FailedScheduling", UNSCHEDULABLE,
                                  event_time=first + jitter(0, 999), action="Scheduling",
                                  type_="Warning", series=(count, last + jitter(0, 999))))
    return ev


def pod_start_events() -> list:
    ev = []
    for pod in (API_A, API_B, NOTIFY, WORKER):
        ev.append(new_style_event(involved("Pod", pod.name), "Scheduled",
                                  f"Successfully assigned {NAMESPACE}/{pod.name} to {pod.node}",
                                  event_time=pod.scheduled + jitter(0, 999), action="Binding"))
    ev += container_events(API_A, "api", "api", API_A.started, pulled=True, pull_s=2.412)
    ev += container_events(API_A, "daprd", "daprd", API_A.started + 700 * MS, pulled=False)
    ev += container_events(API_B, "api", "api", API_B.started, pulled=False)
    ev += container_events(API_B, "daprd", "daprd", API_B.started + 700 * MS, pulled=False)
    ev += container_events(NOTIFY, "app", "notification", NOTIFY.started, pulled=True,
                           pull_s=9.871)
    # worker-2 ran the old api pod with its daprd: the sidecar image is already there
    ev += container_events(NOTIFY, "daprd", "daprd", NOTIFY.started + 700 * MS, pulled=False)
    api_obj = involved("Pod", API_A.name, field_path="spec.containers{api}")
    ev.append(core_event(api_obj, "Unhealthy", f'Readiness probe failed: Get "http://{API_A.ip}'
                         f':8000/health": dial tcp {API_A.ip}:8000: connect: connection refused',
                         first=API_A.started + READINESS_OFFSET,
                         last=API_A.started + READINESS_OFFSET + 10 * SECOND, count=2,
                         type_="Warning", component="kubelet", host=API_A.node))
    for name in ("notification-service",):
        w = WORKLOADS[name]
        ev.append(core_event(involved("Deployment", name), "ScalingReplicaSet",
                             f"Scaled up replica set {w.rs_name} from 0 to 1",
                             first=w.rs_created, component="deployment-controller"))
        ev.append(core_event(involved("ReplicaSet", w.rs_name), "SuccessfulCreate",
                             f"Created pod: {NOTIFY.name}", first=NOTIFY.created - 60 * MS,
                             component="replicaset-controller"))
    return ev


def worker_events(run: dict) -> list:
    w = WORKLOADS["reminder-worker"]
    obj = involved("Pod", WORKER.name, field_path="spec.containers{worker}")
    image = IMAGES["worker"][0]
    starts = run["starts"]
    first_start = WORKER.started
    ev = [core_event(involved("Deployment", w.name), "ScalingReplicaSet",
                     f"Scaled up replica set {w.rs_name} from 0 to 1", first=w.rs_created,
                     component="deployment-controller"),
          core_event(involved("ReplicaSet", w.rs_name), "SuccessfulCreate",
                     f"Created pod: {WORKER.name}", first=WORKER.created - 60 * MS,
                     component="replicaset-controller"),
          core_event(obj, "Pulling", f'Pulling image "{image}"', first=first_start - 3400 * MS,
                     component="kubelet", host=WORKER.node),
          core_event(obj, "Pulled", f'Successfully pulled image "{image}" in 3.118s (3.118s '
                     f'including waiting). Image size: {IMAGES["worker"][1]} bytes.',
                     first=first_start - 150 * MS, component="kubelet", host=WORKER.node),
          core_event(obj, "Pulled", f'Container image "{image}" already present on machine',
                     first=starts[0] - 150 * MS, last=starts[-1] - 150 * MS, count=len(starts),
                     component="kubelet", host=WORKER.node),
          core_event(obj, "Created", "Created container worker", first=first_start - 90 * MS,
                     last=starts[-1] - 90 * MS, count=len(starts) + 1, component="kubelet",
                     host=WORKER.node),
          core_event(obj, "Started", "Started container worker", first=first_start,
                     last=starts[-1], count=len(starts) + 1, component="kubelet",
                     host=WORKER.node),
          core_event(obj, "BackOff", f"Back-off restarting failed container worker in pod "
                     f"{WORKER.name}_{NAMESPACE}({IDS[f'pod/{WORKER.name}']})",
                     first=run["first_crash"] + 1200 * MS, last=at(23, 9, 52, 118000), count=34,
                     type_="Warning", component="kubelet", host=WORKER.node)]
    sts = involved("StatefulSet", "postgres")
    ev.append(core_event(sts, "SuccessfulDelete", "delete Pod postgres-0 in StatefulSet "
                         "postgres successful", first=at(22, 49, 2, 415000),
                         component="statefulset-controller"))
    ev.append(core_event({"kind": "Pod", "namespace": NAMESPACE, "name": "postgres-0",
                          "uid": IDS["pod/postgres-0"], "apiVersion": "v1",
                          "resourceVersion": resource_version(),
                          "fieldPath": "spec.containers{postgres}"},
                         "Killing", "Stopping container postgres", first=at(22, 49, 2, 470000),
                         component="kubelet", host="prod-eu-worker-2"))
    return ev


# --------------------------------------------------------------------------- writing

def list_object(kind: str, items: list, api_version: str = "v1") -> dict:
    return {"kind": kind, "apiVersion": api_version,
            "metadata": {"resourceVersion": str(_rv[0] + 7)}, "items": items}


def write_json(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def build_logs() -> dict:
    notification_startup()
    calls = daprd_startup(NOTIFY, app_ready=NOTIFY.listening, subscribed=True)
    dapr_startup_calls(NOTIFY, calls, "127.0.0.1", subscribe_status=200)
    notification_probes(NOTIFY)
    notification_digests()
    for pod, leader, slow in ((API_A, True, True), (API_B, False, False)):
        listening = api_startup(pod, leader=leader, slow=slow)
        calls = daprd_startup(pod, app_ready=listening, subscribed=False)
        dapr_startup_calls(pod, calls, "127.0.0.1", subscribe_status=404)
        api_probes(pod, listening)
    fire_reminders(API_A)
    background_api_lines()
    web_probes()
    simulate_traffic()
    return simulate_worker()


def write_bundle(out: Path) -> None:
    run = build_logs()
    if out.exists():
        shutil.rmtree(out)
    ns_dir = out / NAMESPACE
    ns_dir.mkdir(parents=True)
    write_json(out / "triage-bundle.json", {
        "apiVersion": "triage/v1", "kind": "Bundle", "createdAt": rfc3339(NOW),
        "context": CONTEXT, "namespaces": [NAMESPACE], "since": rfc3339(SINCE), "gaps": []})
    write_json(out / "nodes.json", list_object("NodeList", [node_object(*n) for n in NODES]))
    write_json(ns_dir / "pods.json", list_object("PodList", all_pods(run)))
    write_json(ns_dir / "deployments.json", list_object(
        "DeploymentList", [deployment(WORKLOADS[n]) for n in sorted(WORKLOADS)], "apps/v1"))
    api = WORKLOADS["taskflow-api"]
    rs = [replicaset(api, name_hash="5d8c7b9f4", created=ts(2026, 11, 20, 14, 2, 11), replicas=0,
                     revision=7, containers=[api_container(injected=False, image="api-old")]),
          replicaset(api, name_hash=api.hash, created=api.rs_created, replicas=2, revision=8)]
    for name in ("notification-service", "reminder-worker", "web-dashboard"):
        w = WORKLOADS[name]
        rs.append(replicaset(w, name_hash=w.hash, created=w.rs_created, replicas=1,
                             revision=w.revision, ready=0 if name == "reminder-worker" else None))
    write_json(ns_dir / "replicasets.json", list_object(
        "ReplicaSetList", sorted(rs, key=lambda r: r["metadata"]["name"]), "apps/v1"))
    write_json(ns_dir / "statefulsets.json", list_object("StatefulSetList",
                                                         [postgres_statefulset()], "apps/v1"))
    write_json(ns_dir / "daemonsets.json", list_object("DaemonSetList", [], "apps/v1"))
    write_json(ns_dir / "services.json", list_object("ServiceList", all_services()))
    events = rollout_events() + pod_start_events() + worker_events(run)
    write_json(ns_dir / "events.json", list_object(
        "EventList", sorted(events, key=lambda e: e["metadata"]["name"])))
    for pod in (API_A, API_B, NOTIFY, WEB, WORKER):
        folder = ns_dir / pod.name
        folder.mkdir()
        for container, log in sorted(pod.logs.items()):
            (folder / f"{container}.log").write_text(log.render(), encoding="utf-8")
        for container, log in sorted(pod.previous.items()):
            (folder / f"{container}.previous.log").write_text(log.render(), encoding="utf-8")
    write_json(ns_dir / "components.json", list_object("ComponentList", dapr_components(),
                                                       "dapr.io/v1alpha1"))
    write_json(ns_dir / "subscriptions.json", list_object("SubscriptionList",
                                                          dapr_subscriptions(),
                                                          "dapr.io/v2alpha1"))
    for pod_name, probes in demo_probes().items():
        write_json(ns_dir / pod_name / "probes.json", {"probes": probes})


def _openapi(title: str, version: str, paths: dict) -> str:
    doc = {"openapi": "3.1.0", "info": {"title": title, "version": version},
           "paths": {p: {m: {"responses": {"200": {"description": "OK"}}} for m in ms}
                     for p, ms in paths.items()}}
    return json.dumps(doc, sort_keys=True)


API_OPENAPI = _openapi("taskflow-api", "1.8.0", {
    "/health": ["get"], "/tasks": ["get", "post"], "/tasks/{task_id}": ["get", "patch"],
    "/tasks/{task_id}/assign": ["post"], "/tasks/{task_id}/complete": ["post"],
    "/workers": ["get"], "/workers/{worker_id}": ["get"], "/reminders": ["get", "post"],
})
NOTIFY_OPENAPI = _openapi("notification-service", "0.3.0", {
    "/health": ["get"], "/api/notifications/notify": ["post"],
    "/api/notifications/{notification_id}": ["get"], "/events/task": ["post"],
})


def _daprd_metadata(app_id: str, app_port: int, subscriptions: list) -> str:
    return json.dumps({
        "id": app_id, "runtimeVersion": "1.14.4", "enabledFeatures": [],
        "components": [{"name": "pubsub", "type": "pubsub.redis", "version": "v1",
                        "capabilities": ["SUBSCRIBE_WILDCARDS"]},
                       {"name": "statestore", "type": "state.redis", "version": "v1"}],
        "subscriptions": subscriptions,
        "appConnectionProperties": {"port": app_port, "protocol": "http",
                                    "channelAddress": "127.0.0.1",
                                    "health": {"healthProbeInterval": "5s"}},
        "extended": {"appPID": "1", "daprRuntimeVersion": "1.14.4"},
    }, sort_keys=True)


def dapr_resource(kind: str, name: str, spec: dict, *, created: int, scopes: list,
                  api_version: str = "dapr.io/v1alpha1") -> dict:
    return {"apiVersion": api_version, "kind": kind,
            "metadata": {"name": name, "namespace": NAMESPACE,
                         "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                         "creationTimestamp": rfc3339(created).split(".")[0] + "Z",
                         "generation": 1},
            "spec": spec, "scopes": scopes}


def dapr_components() -> list:
    def meta(pairs: dict) -> list:
        return [{"name": k, "value": v} for k, v in pairs.items()]
    return [
        dapr_resource("Component", "pubsub", {
            "type": "pubsub.redis", "version": "v1",
            "metadata": meta({"redisHost": "redis-master.infra.svc.cluster.local:6379"})
            + [{"name": "redisPassword", "secretKeyRef": {"name": "redis", "key": "password"}}],
        }, created=at(9, 0) - 86400 * SECOND * 40, scopes=["taskflow-api", "notification-service"]),
        dapr_resource("Component", "statestore", {
            "type": "state.redis", "version": "v1",
            "metadata": meta({"redisHost": "redis-master.infra.svc.cluster.local:6379"}),
        }, created=at(9, 0) - 86400 * SECOND * 40, scopes=["taskflow-api"]),
    ]


def dapr_subscriptions() -> list:
    """task-events is loaded (programmatic); reminder-events was applied after the
    notification-service sidecar started, so that sidecar never loaded it, and its route is
    not one the app serves."""
    return [
        dapr_resource("Subscription", "reminder-events", {
            "pubsubname": "pubsub", "topic": "reminder-due",
            "routes": {"default": "/events/reminder"}, "deadLetterTopic": "reminder-dlq",
        }, created=at(22, 30), scopes=["notification-service"],
            api_version="dapr.io/v2alpha1"),
    ]


def demo_probes() -> dict:
    """What exec-probe and dapr saw inside the pods when the bundle was taken."""
    notify_subs = [{"pubsubname": "pubsub", "topic": "task-events", "type": "PROGRAMMATIC",
                    "rules": [{"path": "/events/task"}], "deadLetterTopic": ""}]
    api = [
        {"port": 8000, "path": "/openapi.json", "status": 200, "via": "proxy",
         "container": "api", "body": API_OPENAPI},
        {"port": 3500, "path": "/v1.0/metadata", "status": 200, "via": "exec:curl",
         "container": "daprd", "body": _daprd_metadata("taskflow-api", 8000, [])},
        {"port": 8000, "path": "/dapr/subscribe", "status": 200, "via": "proxy",
         "container": "api", "body": "[]"},
    ]
    notify = [
        {"port": 8001, "path": "/openapi.json", "status": 200, "via": "proxy",
         "container": "app", "body": NOTIFY_OPENAPI},
        {"port": 8001, "path": "/dapr/subscribe", "status": 200, "via": "proxy",
         "container": "app", "body": json.dumps([{"pubsubname": "pubsub",
                                                  "topic": "task-events",
                                                  "route": "/events/task"}])},
        {"port": 3500, "path": "/v1.0/metadata", "status": 200, "via": "exec:curl",
         "container": "daprd", "body": _daprd_metadata("notification-service", 8001,
                                                       notify_subs)},
    ]
    return {API_A.name: api, API_B.name: api, NOTIFY.name: notify}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"bundle directory to (re)write (default: {DEFAULT_OUT})")
    args = parser.parse_args()
    write_bundle(args.out)
    for key in sorted(TALLY):
        print(f"{key}: {TALLY[key]}")


if __name__ == "__main__":
    main()
