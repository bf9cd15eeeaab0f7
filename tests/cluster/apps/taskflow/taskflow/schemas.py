"""Response and request schemas (pydantic v2)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator


class WorkerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    skills: list[str]

    @model_validator(mode="before")
    @classmethod
    def collect_skills(cls, data):
        # BUG (schema-mismatch): written for the model before migration 0042, when a worker had a
        # comma-separated `skills` column. Worker has no `skills` any more, so serializing the
        # response of GET /workers raises AttributeError: 'Worker' object has no attribute
        # 'skills'. Fix: read WorkerSkill rows (a relationship) instead.
        if isinstance(data, dict):
            return data
        return {"id": data.id, "name": data.name,
                "skills": [s for s in data.skills.split(",") if s]}


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    title: str
    status: str
    assignee_id: int | None


class TaskIn(BaseModel):
    project_id: int
    title: str


class AssignIn(BaseModel):
    worker_id: int


class ReminderIn(BaseModel):
    task_id: int
    remind_at: str  # the user's wall-clock time, ISO 8601 without zone
    tz: str  # the user's IANA zone


class NotifyIn(BaseModel):
    worker_id: int
    task_id: int
    message: str
