"""Pod status and events as records, so the same rules table judges them.

A crash loop read from a container's state and one read from a pasted `kubectl get pods`
are matched by the same row. The wording here is what the rules' samples expect.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from kubectl_triage.evidence import ContainerState, Event, Level, Pod, Record


def status_records(pods: Iterable[Pod]) -> Iterator[Record]:
    for pod in pods:
        yield from _pod_records(pod)
        for c in pod.containers:
            yield from _container_records(pod, c)


def _record(pod: Pod, text: str, *, level: Level = Level.WARNING) -> Record:
    return Record(
        text=text,
        level=level,
        message=text,
        time=pod.created,
        kind="status",
        namespace=pod.namespace,
        obj=f"Pod/{pod.name}",
    )


def _pod_records(pod: Pod) -> Iterator[Record]:
    if pod.reason:
        yield _record(
            pod, f"pod {pod.name} is {pod.phase}: {pod.reason}: {pod.message}".rstrip(": ")
        )
    if pod.phase == "Pending" and pod.conditions.get("PodScheduled") == "False":
        reason = pod.condition_reasons.get("PodScheduled", "Unschedulable")
        yield _record(pod, f"pod {pod.name} is Pending: {reason}")


def _container_records(pod: Pod, c: ContainerState) -> Iterator[Record]:
    kind = "init container" if c.init else "container"
    where = f"{kind} {c.name} in pod {pod.name}"
    if (
        c.state == "waiting"
        and c.reason
        and c.reason not in ("ContainerCreating", "PodInitializing")
    ):
        yield _record(pod, f"{where} is waiting: {c.reason}: {c.message}".rstrip(": "))
    if c.state == "terminated" and c.init and c.exit_code not in (0, None):
        yield _record(pod, f"{where} is terminated: {c.reason} (exit code {c.exit_code})")
    if c.last_state == "terminated" and c.last_reason in (
        "OOMKilled",
        "Error",
        "ContainerCannotRun",
    ):
        yield _record(
            pod,
            f"{where} last terminated: {c.last_reason} "
            f"(exit code {c.last_exit_code}), restarts {c.restarts}",
        )


def event_records(events: Iterable[Event]) -> Iterator[Record]:
    for e in events:
        text = f"{e.reason}: {e.message}"
        level = Level.WARNING if e.type == "Warning" else Level.INFO
        yield Record(
            text=text,
            level=level,
            message=text,
            time=e.last,
            kind="event",
            namespace=e.namespace,
            obj=f"{e.kind}/{e.name}",
            count=e.count,
        )
