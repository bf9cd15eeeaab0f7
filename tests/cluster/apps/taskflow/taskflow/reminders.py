"""The reminder scheduler of taskflow-api: a loop that fires due reminders."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from taskflow.db import Reminder

logger = logging.getLogger("taskflow.scheduler")


async def run(sessions: async_sessionmaker, interval: float) -> None:
    logger.info("Reminder scheduler started (poll every %gs, local timezone=%s)", interval,
                time.strftime("%Z"))
    while True:
        try:
            await fire_due(sessions)
        except Exception:
            logger.exception("Reminder poll failed")
        await asyncio.sleep(interval)


async def fire_due(sessions: async_sessionmaker) -> int:
    # BUG (timezone): due_at is stored as UTC without zone, but datetime.now() is the
    # container's local wall clock (TZ=Europe/Berlin in the pod spec), also without zone. East
    # of UTC every reminder fires as many hours early as the zone's offset (west: late).
    # Fix: now = datetime.now(timezone.utc).replace(tzinfo=None).
    now = datetime.now()
    async with sessions() as session:
        due = (await session.scalars(
            select(Reminder).where(Reminder.fired_at.is_(None), Reminder.due_at <= now)
            .order_by(Reminder.due_at)
        )).all()
        for reminder in due:
            fired = datetime.now(timezone.utc)
            logger.info("Firing reminder %d for task %d due_at=%s fired_at=%s", reminder.id,
                        reminder.task_id, reminder.due_at.replace(tzinfo=timezone.utc).isoformat(),
                        fired.isoformat(timespec="milliseconds"))
            reminder.fired_at = fired.replace(tzinfo=None)
        await session.commit()
    return len(due)
