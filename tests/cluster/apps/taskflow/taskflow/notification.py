"""notification-service: subscribes to task events through Dapr pub/sub, sends notifications.

Routes:
  GET  /dapr/subscribe                       pubsub/task-events -> /events/task
  POST /events/task                          the subscriber; reads the CloudEvent envelope as if
                                             it were the payload (cloudevent-unwrap), drops it
  POST /api/notifications/notify             what taskflow-api should call (it calls /api/notify)
  GET  /api/notifications/{notification_id}
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, HTTPException, Request

from taskflow.dapr import PUBSUB, TOPIC
from taskflow.logs import REQUEST_ID, RequestIdMiddleware
from taskflow.schemas import NotifyIn

VERSION = "0.3.0"

logger = logging.getLogger("notification")

HANDLED = {"task.created", "task.assigned", "task.completed"}


def create_app(*, app_id: str, log_level: str) -> FastAPI:
    sent: dict[int, dict] = {}
    ids = itertools.count(1)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logger.info("%s %s starting (log_level=%s)", app_id, VERSION, log_level)
        logger.debug("Routes: %s", [r.path for r in app.routes if not r.path.startswith(
            ("/docs", "/redoc", "/openapi"))])
        logger.info("Subscriptions: %s/%s -> /events/task", PUBSUB, TOPIC)
        yield

    app = FastAPI(title=app_id, version=VERSION, lifespan=lifespan)
    app.add_middleware(RequestIdMiddleware)

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.get("/dapr/subscribe")
    async def subscribe() -> list[dict]:
        return [{"pubsubname": PUBSUB, "topic": TOPIC, "route": "/events/task"}]

    @app.post("/events/task")
    async def task_event(request: Request) -> dict:
        event = await request.json()
        if isinstance(event, dict) and isinstance(event.get("id"), str):
            REQUEST_ID.set(event["id"][:64])  # taskflow-api publishes its request id as the id
        logger.debug("Task event payload keys: %s",
                     sorted(event) if isinstance(event, dict) else type(event).__name__)
        # BUG (cloudevent-unwrap): Dapr delivers the payload wrapped in a CloudEvent; event_type
        # and task_id are in event["data"], not at the top. Fix: event = event.get("data", event)
        event_type = event.get("event_type")
        task_id = event.get("task_id")
        logger.info("Received task event: event_type: %s task_id: %s", event_type, task_id)
        if event_type not in HANDLED:
            logger.warning("Unknown event type %s, dropping", event_type)
            return {"status": "DROP"}
        logger.info("Handled %s for task %s", event_type, task_id)
        return {"status": "SUCCESS"}

    @app.post("/api/notifications/notify", status_code=201)
    async def notify(body: NotifyIn) -> dict:
        notification_id = next(ids)
        sent[notification_id] = body.model_dump()
        logger.info("Notification %d queued for worker %d (task %d)", notification_id,
                    body.worker_id, body.task_id)
        return {"id": notification_id}

    @app.get("/api/notifications/{notification_id}")
    async def get_notification(notification_id: int) -> dict:
        if notification_id not in sent:
            raise HTTPException(404, f"notification {notification_id} not found")
        return sent[notification_id]

    return app
