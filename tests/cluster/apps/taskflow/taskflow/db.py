"""The taskflow schema (SQLAlchemy 2 ORM, async) and its seed data.

Migration 0042_worker_skills moved a worker's skills from a comma-separated `workers.skills`
column into the `worker_skills` table; the response schema of GET /workers was not updated
(see schemas.py).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

logger = logging.getLogger("taskflow.db")


class Base(DeclarativeBase):
    pass


class Worker(Base):
    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200))


class WorkerSkill(Base):
    __tablename__ = "worker_skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    skill: Mapped[str] = mapped_column(String(50))


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))


class Reminder(Base):
    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    # UTC, without zone: what the column type of the old schema held
    due_at: Mapped[datetime] = mapped_column(DateTime())
    tz: Mapped[str] = mapped_column(String(64))
    fired_at: Mapped[datetime | None] = mapped_column(DateTime())


_WORKERS = [
    ("Ana Lima", "python,sql"), ("Bo Chen", "go,kubernetes"), ("Chidi Okafor", "python,dapr"),
    ("Dana Weiss", "frontend"), ("Eli Novak", "sql,ops"),
]


def shown_url(url: str) -> str:
    """The URL as SQLAlchemy prints it: the password as ***."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str) -> tuple[AsyncEngine, async_sessionmaker]:
    engine = create_async_engine(url)
    # expire_on_commit is left at its default (True): see api.assign_task
    return engine, async_sessionmaker(engine)


async def prepare(engine: AsyncEngine, sessions: async_sessionmaker) -> None:
    """Create the tables and seed 5 workers and 12 open tasks of project 1 once."""
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with sessions() as session:
        if await session.scalar(select(func.count()).select_from(Worker)):
            return
        for name, skills in _WORKERS:
            worker = Worker(name=name, email=name.split()[0].lower() + "@taskflow.example")
            session.add(worker)
            await session.flush()
            session.add_all(WorkerSkill(worker_id=worker.id, skill=s) for s in skills.split(","))
        session.add_all(Task(project_id=1, title=f"Task {n}") for n in range(1, 13))
        await session.commit()
    logger.info("Seeded %d workers and 12 tasks", len(_WORKERS))
