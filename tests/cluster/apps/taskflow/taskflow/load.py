"""The load script: drives taskflow-api with one correlation id per request.

Each request carries a new `X-Request-ID` (uuid4) and a W3C `traceparent`; each is printed as
one line: `request_id=<id> traceparent=<tp> METHOD PATH -> STATUS`. Bounded: --rounds rounds of
the steps named by --steps, each request with a timeout, then it stops.
"""

from __future__ import annotations

import secrets
import sys
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

STEPS = ("tasks", "workers", "create", "assign", "complete", "reminder")


class Driver:
    def __init__(self, client: httpx.Client, out: Callable[[str], None]) -> None:
        self.client = client
        self.out = out
        self.statuses: list[tuple[str, str, int]] = []

    def request(self, method: str, path: str, **kwargs) -> httpx.Response | None:
        request_id = str(uuid.uuid4())
        traceparent = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
        headers = {"X-Request-ID": request_id, "traceparent": traceparent}
        try:
            response = self.client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            self.out(f"request_id={request_id} traceparent={traceparent} {method} {path} "
                     f"-> error: {exc}")
            self.statuses.append((method, path, 0))
            return None
        self.out(f"request_id={request_id} traceparent={traceparent} {method} {path} "
                 f"-> {response.status_code}")
        self.statuses.append((method, path, response.status_code))
        return response


def run(api: str, *, rounds: int, steps: tuple[str, ...], worker_id: int, reminder_tz: str,
        reminder_lead: float, timeout: float, out: Callable[[str], None] = print) -> Driver:
    unknown = set(steps) - set(STEPS)
    if unknown:
        raise ValueError(f"unknown step(s) {', '.join(sorted(unknown))}; known: {', '.join(STEPS)}")
    # a new connection per request: uvicorn closes a connection whose request raised, and a
    # POST is not retried on a connection the server has just closed
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=api, timeout=timeout, limits=limits) as client:
        driver = Driver(client, out)
        for n in range(1, rounds + 1):
            task_id = None
            if "tasks" in steps:
                driver.request("GET", "/tasks", params={"project_id": 1, "status": "open"})
            if "workers" in steps:
                driver.request("GET", "/workers")
            if {"create", "assign", "complete", "reminder"} & set(steps):
                created = driver.request("POST", "/tasks",
                                         json={"project_id": 1, "title": f"Load task {n}"})
                if created is not None and created.status_code == 201:
                    task_id = created.json()["id"]
            if task_id is None:
                continue
            if "assign" in steps:
                driver.request("POST", f"/tasks/{task_id}/assign", json={"worker_id": worker_id})
            if "complete" in steps:
                driver.request("POST", f"/tasks/{task_id}/complete")
            if "reminder" in steps:
                # "remind me in an hour", in the user's zone; reminder_lead seconds more, so a
                # scheduler that is exactly one hour early fires it reminder_lead seconds from now
                remind_at = (datetime.now(ZoneInfo(reminder_tz))
                             + timedelta(hours=1, seconds=reminder_lead))
                driver.request("POST", "/reminders", json={
                    "task_id": task_id, "tz": reminder_tz,
                    "remind_at": remind_at.replace(tzinfo=None).isoformat(timespec="seconds"),
                })
    return driver


def main(args) -> int:
    steps = tuple(s for s in args.steps.split(",") if s)
    try:
        driver = run(args.api, rounds=args.rounds, steps=steps, worker_id=args.worker_id,
                     reminder_tz=args.reminder_tz, reminder_lead=args.reminder_lead,
                     timeout=args.timeout, out=lambda line: print(line, flush=True))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = sum(1 for *_, status in driver.statuses if status == 0)
    print(f"{len(driver.statuses)} requests, {failed} without an answer", flush=True)
    return 1 if failed else 0
