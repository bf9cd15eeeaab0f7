"""The Dapr sidecar's HTTP API, spoken with httpx (as a service without the Dapr SDK does)."""

from __future__ import annotations

import logging

import httpx

from taskflow.logs import REQUEST_ID, outgoing_headers

logger = logging.getLogger("taskflow.dapr")

PUBSUB = "pubsub"
TOPIC = "task-events"


class Sidecar:
    def __init__(self, http_port: int) -> None:
        self.base = f"http://localhost:{http_port}"
        self.client = httpx.AsyncClient(base_url=self.base, timeout=5.0)

    async def close(self) -> None:
        await self.client.aclose()

    async def publish(self, event_type: str, data: dict) -> None:
        """Publish to the task-events topic; the request id becomes the CloudEvent id."""
        response = await self.client.post(
            f"/v1.0/publish/{PUBSUB}/{TOPIC}",
            params={"metadata.cloudevent.id": REQUEST_ID.get()},
            json={"event_type": event_type, **data},
            headers=outgoing_headers(),
        )
        response.raise_for_status()

    async def invoke(self, app_id: str, method: str, payload: dict) -> httpx.Response:
        """POST to another app through service invocation; raises on a 4xx/5xx answer."""
        response = await self.client.post(
            f"/v1.0/invoke/{app_id}/method/{method}", json=payload, headers=outgoing_headers()
        )
        response.raise_for_status()
        return response
