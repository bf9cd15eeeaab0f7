"""reminder-worker: delivers due reminders; needs its database at start.

In the incident its DATABASE_URL still names the in-namespace `postgres` Service, which has had
no endpoints since the StatefulSet was scaled to 0: every connection is refused, the worker gives
up after its retries with Python's uncaught traceback and exit status 1, and Kubernetes restarts
it (CrashLoopBackOff).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from taskflow.db import Reminder

VERSION = "0.4.0"

logger = logging.getLogger("reminder_worker")
db_log = logging.getLogger("reminder_worker.db")


async def wait_for_database(engine: AsyncEngine, attempts: int, backoff: float) -> None:
    """Connect, retrying with doubling back-off; the last failure propagates."""
    delay = backoff
    for attempt in range(1, attempts + 1):
        try:
            async with engine.connect() as conn:
                await conn.execute(select(1))
            return
        except Exception as exc:
            if attempt == attempts:
                raise
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            db_log.warning("Database not reachable (attempt %d/%d), retrying in %gs: %s",
                           attempt, attempts, delay, reason)
            await asyncio.sleep(delay)
            delay *= 2


async def run(db_url: str, attempts: int, backoff: float, poll: float, once: bool) -> None:
    url = make_url(db_url)
    if url.drivername == "postgresql":  # a plain URL, as ops write it: psycopg 3, async
        url = url.set(drivername="postgresql+psycopg")
    logger.info("reminder-worker %s starting", VERSION)
    logger.info("config: poll_interval=%gs retry policy: maxRetries=%d backoff=%gs", poll,
                attempts, backoff)
    db_log.info("Connecting to %s:%s/%s as %s", url.host, url.port or 5432, url.database,
                url.username)
    engine = create_async_engine(url)
    try:
        await wait_for_database(engine, attempts, backoff)
        db_log.info("Database ready")
        while True:
            async with engine.connect() as conn:
                pending = await conn.scalar(
                    select(func.count()).select_from(Reminder.__table__)
                    .where(Reminder.__table__.c.fired_at.is_(None)))
            logger.info("%d reminders pending", pending)
            if once:
                return
            await asyncio.sleep(poll)
    finally:
        await engine.dispose()
