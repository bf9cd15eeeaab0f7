"""python -m taskflow {api,notification,worker,load} [options]; `--help` on each for its flags.

Defaults come from the environment Dapr's injector and the pod spec give the app container:
PORT, APP_ID, DAPR_HTTP_PORT, DATABASE_URL, LOG_LEVEL.
"""

from __future__ import annotations

import argparse
import asyncio
import logging.config
import os
import sys


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() else default


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m taskflow", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def server(name: str, port: int, app_id: str, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"),
                       help="address to listen on (0.0.0.0 inside a pod; default %(default)s)")
        p.add_argument("--port", type=int, default=_env_int("PORT", port))
        p.add_argument("--app-id", default=os.environ.get("APP_ID", app_id))
        p.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "info"))
        return p

    api = server("api", 8000, "taskflow-api", "taskflow-api (uvicorn)")
    api.add_argument("--dapr-http-port", type=int, default=_env_int("DAPR_HTTP_PORT", 3500))
    api.add_argument("--db-url", default=os.environ.get(
        "DATABASE_URL", "sqlite+aiosqlite:///taskflow.db"))
    api.add_argument("--reminder-poll", type=float, default=1.0,
                     help="seconds between two polls of the reminder scheduler")

    server("notification", 8001, "notification-service", "notification-service (uvicorn)")

    worker = sub.add_parser("worker", help="reminder-worker (exits 1 when its database is down)")
    worker.add_argument("--db-url", default=os.environ.get(
        "DATABASE_URL", "postgresql://taskflow:taskflow@127.0.0.1:5432/taskflow"),
        help="SQLAlchemy URL; a plain postgresql:// means psycopg 3")
    worker.add_argument("--attempts", type=int, default=3)
    worker.add_argument("--backoff", type=float, default=2.0, help="first retry delay, doubled")
    worker.add_argument("--poll", type=float, default=30.0)
    worker.add_argument("--once", action="store_true", help="poll once, then exit 0")

    load = sub.add_parser("load", help="drive taskflow-api with correlation ids")
    load.add_argument("--api", default="http://127.0.0.1:8000")
    load.add_argument("--rounds", type=int, default=1)
    load.add_argument("--steps", default="tasks,workers,create,assign,complete,reminder")
    load.add_argument("--worker-id", type=int, default=2)
    load.add_argument("--reminder-tz", default="Europe/Berlin")
    load.add_argument("--reminder-lead", type=float, default=3.0)
    load.add_argument("--timeout", type=float, default=10.0)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "load":
        from taskflow import load

        return load.main(args)
    if args.command == "worker":
        from taskflow import worker

        logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                            format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
        # an unreachable database ends here with Python's own traceback and exit status 1
        asyncio.run(worker.run(args.db_url, args.attempts, args.backoff, args.poll, args.once))
        return 0

    import uvicorn

    from taskflow import logs

    if args.command == "api":
        from taskflow.api import create_app

        app = create_app(app_id=args.app_id, db_url=args.db_url,
                         dapr_http_port=args.dapr_http_port, reminder_poll=args.reminder_poll)
        config = logs.api_log_config(args.log_level)
    else:
        from taskflow.notification import create_app

        app = create_app(app_id=args.app_id, log_level=args.log_level)
        config = logs.notification_log_config(args.log_level)
    logging.config.dictConfig(config)
    uvicorn.run(app, host=args.host, port=args.port, log_config=config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
