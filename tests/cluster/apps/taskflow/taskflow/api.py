"""taskflow-api: tasks, workers and reminders; calls notification-service through Dapr.

Routes and what they do wrong (README.md has the log lines):
  GET  /workers               500: the response schema reads Worker.skills (schema-mismatch)
  POST /tasks/{id}/assign     500 after the commit: MissingGreenlet (async-sqlalchemy-greenlet)
  POST /tasks/{id}/complete   200, but invokes notification-service's /api/notify, which it
                              does not serve: 404 through the sidecar (wrong-endpoint)
  POST /reminders             fine; the scheduler then fires it hours early (timezone)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Annotated
from zoneinfo import ZoneInfo

import httpx
from fastapi import Depends, FastAPI, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow import reminders
from taskflow.dapr import PUBSUB, TOPIC, Sidecar
from taskflow.db import Reminder, Task, Worker, make_engine, prepare, shown_url
from taskflow.logs import RequestIdMiddleware
from taskflow.schemas import AssignIn, ReminderIn, TaskIn, TaskOut, WorkerOut

VERSION = "1.8.0"
NOTIFICATION_APP_ID = "notification-service"

logger = logging.getLogger("taskflow.main")
tasks_log = logging.getLogger("taskflow.api.tasks")
workers_log = logging.getLogger("taskflow.api.workers")


def create_app(*, app_id: str, db_url: str, dapr_http_port: int,
               reminder_poll: float = 1.0) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logger.info("%s %s starting (pid=%d, pod=%s)", app_id, VERSION, os.getpid(),
                    os.environ.get("HOSTNAME", "-"))
        engine, sessions = make_engine(db_url)
        logger.info("Database engine ready: %s", shown_url(db_url))
        await prepare(engine, sessions)
        app.state.sessions = sessions
        app.state.dapr = Sidecar(dapr_http_port)
        logging.getLogger("taskflow.dapr").info("Dapr sidecar at %s (pubsub=%s topic=%s)",
                                                app.state.dapr.base, PUBSUB, TOPIC)
        scheduler = asyncio.create_task(reminders.run(sessions, reminder_poll))
        yield
        scheduler.cancel()
        await app.state.dapr.close()
        await engine.dispose()

    app = FastAPI(title=app_id, version=VERSION, lifespan=lifespan)
    app.add_middleware(RequestIdMiddleware)
    _routes(app)
    return app


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


Session = Annotated[AsyncSession, Depends(_session)]


def _routes(app: FastAPI) -> None:
    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.get("/workers", response_model=list[WorkerOut])
    async def list_workers(session: Session) -> list[Worker]:
        rows = (await session.scalars(select(Worker).order_by(Worker.id))).all()
        workers_log.info("Listing %d workers", len(rows))
        return list(rows)

    @app.get("/tasks", response_model=list[TaskOut])
    async def list_tasks(session: Session, project_id: int = 1,
                         status: str = "open") -> list[Task]:
        rows = (await session.scalars(
            select(Task).where(Task.project_id == project_id, Task.status == status)
        )).all()
        tasks_log.info("Listed %d tasks (project=%d, status=%s)", len(rows), project_id, status)
        return list(rows)

    @app.post("/tasks", response_model=TaskOut, status_code=201)
    async def create_task(body: TaskIn, session: Session) -> Task:
        task = Task(project_id=body.project_id, title=body.title, status="open")
        session.add(task)
        await session.flush()
        out = TaskOut.model_validate(task)
        await session.commit()
        tasks_log.info("Created task %d in project %d", out.id, out.project_id)
        return out

    @app.get("/tasks/{task_id}", response_model=TaskOut)
    async def get_task(task_id: int, session: Session) -> Task:
        task = await session.get(Task, task_id)
        if task is None:
            raise HTTPException(404, f"task {task_id} not found")
        return task

    @app.post("/tasks/{task_id}/assign")
    async def assign_task(task_id: int, body: AssignIn,
                          session: Session) -> dict:
        task = await session.get(Task, task_id)
        if task is None:
            raise HTTPException(404, f"task {task_id} not found")
        task.assignee_id = body.worker_id
        task.status = "in_progress"
        await session.commit()
        # BUG (async-sqlalchemy-greenlet): commit expired every attribute (expire_on_commit is
        # True), so reading task.id loads it again, lazily, outside an awaited call:
        # sqlalchemy.exc.MissingGreenlet. The assignment is saved all the same; the caller gets
        # a 500. Fix: await session.refresh(task) after the commit, or expire_on_commit=False.
        tasks_log.info("Task %d assigned to worker %d", task.id, task.assignee_id)
        return {"id": task.id, "status": task.status, "assignee_id": task.assignee_id}

    @app.post("/tasks/{task_id}/complete")
    async def complete_task(task_id: int, request: Request,
                            session: Session) -> dict:
        task = await session.get(Task, task_id)
        if task is None:
            raise HTTPException(404, f"task {task_id} not found")
        tasks_log.info("Completing task %d", task_id)
        previous, worker_id = task.status, task.assignee_id
        task.status = "done"
        await session.commit()
        tasks_log.info("Task %d status: %s -> done", task_id, previous)
        dapr: Sidecar = request.app.state.dapr
        try:
            await dapr.publish("task.completed", {"task_id": task_id, "worker_id": worker_id})
            tasks_log.info("Published task.completed for task %d to %s/%s", task_id, PUBSUB, TOPIC)
        except httpx.HTTPError:
            tasks_log.exception("Failed to publish task.completed for task %d", task_id)
        if worker_id is not None:
            try:
                # BUG (wrong-endpoint): notification-service serves /api/notifications/notify;
                # /api/notify was its path before it was split out of this service.
                await dapr.invoke(NOTIFICATION_APP_ID, "api/notify", {
                    "worker_id": worker_id, "task_id": task_id,
                    "message": f"Task {task_id} is done",
                })
            except httpx.HTTPError:
                tasks_log.exception("Failed to notify worker %d for task %d", worker_id, task_id)
        return {"id": task_id, "status": "done"}

    @app.post("/reminders", status_code=201)
    async def create_reminder(body: ReminderIn,
                              session: Session) -> dict:
        try:
            zone = ZoneInfo(body.tz)
            local = datetime.fromisoformat(body.remind_at)
        except (ValueError, KeyError) as exc:
            raise HTTPException(422, f"bad remind_at or tz: {exc}") from exc
        due_utc = local.replace(tzinfo=zone).astimezone(timezone.utc)
        reminder = Reminder(task_id=body.task_id, due_at=due_utc.replace(tzinfo=None), tz=body.tz)
        session.add(reminder)
        await session.flush()
        reminder_id = reminder.id
        await session.commit()
        logging.getLogger("taskflow.scheduler").info(
            "Reminder %d scheduled: remind_at=%s tz=%s (UTC %s)", reminder_id,
            local.isoformat(), body.tz, due_utc.strftime("%H:%M:%S"))
        return {"id": reminder_id, "due_at": due_utc.isoformat()}
