"""The events a kubelet and the scheduler post for a pod whose containers really run.

kwok has no kubelet: nothing posts Scheduled, Pulled, Created, Started or BackOff for the pods
whose containers scenario.py runs as real processes (processes.py). The loader posts them
instead, at the moment a kubelet would: Scheduled when the pod is created on its node, Pulled,
Created and Started when a container's process is spawned, BackOff when that process exited
with an error (a kubelet then waits before restarting it; kwok never restarts it). Bodies are
core/v1 Events in the words of kubernetes v1.36 (pkg/kubelet/kuberuntime and the scheduler's
binding cycle), with the source, reportingComponent and fieldPath a kubelet gives them.

Standard library only.
"""

from __future__ import annotations

import datetime as dt
import secrets


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(pod: dict, *, reason: str, message: str, at: dt.datetime, kind: str = "Normal",
           component: str = "kubelet", container: str | None = None) -> dict:
    meta = pod["metadata"]
    node = (pod.get("spec") or {}).get("nodeName") or ""
    involved = {"apiVersion": "v1", "kind": "Pod", "name": meta["name"],
                "namespace": meta["namespace"], "uid": meta.get("uid", "")}
    if container:
        involved["fieldPath"] = f"spec.containers{{{container}}}"
    # a client-go recorder names an event <object>.<hex of the time in ns>
    name = f"{meta['name']}.{int(at.timestamp() * 1e9):x}{secrets.token_hex(2)}"
    source = {"component": component, **({"host": node} if component == "kubelet" else {})}
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": meta["namespace"]},
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "type": kind,
        "source": source,
        "firstTimestamp": _stamp(at),
        "lastTimestamp": _stamp(at),
        "count": 1,
        "reportingComponent": component,
        "reportingInstance": node if component == "kubelet" else component,
    }


def scheduled(pod: dict, at: dt.datetime) -> dict:
    meta = pod["metadata"]
    node = (pod.get("spec") or {}).get("nodeName") or ""
    return _event(pod, reason="Scheduled", component="default-scheduler", at=at,
                  message=f"Successfully assigned {meta['namespace']}/{meta['name']} to {node}")


def image_of(pod: dict, container: str) -> str:
    for c in (pod.get("spec") or {}).get("containers") or []:
        if c.get("name") == container:
            return c.get("image", "")
    return ""


def container_started(pod: dict, container: str, at: dt.datetime) -> list[dict]:
    """Pulled (the image is on the node: nothing is pulled here), Created, Started."""
    image = image_of(pod, container)
    return [
        _event(pod, reason="Pulled", container=container, at=at,
               message=f'Container image "{image}" already present on machine'),
        _event(pod, reason="Created", container=container, at=at,
               message=f"Created container: {container}"),
        _event(pod, reason="Started", container=container, at=at,
               message=f"Started container {container}"),
    ]


def back_off(pod: dict, container: str, at: dt.datetime) -> dict:
    """What the kubelet posts when it holds back the restart of a container that failed."""
    meta = pod["metadata"]
    return _event(pod, reason="BackOff", kind="Warning", container=container, at=at,
                  message=f"Back-off restarting failed container {container} in pod "
                          f"{meta['name']}_{meta['namespace']}({meta.get('uid', '')})")


def _set_ready(status: dict, *, ready: bool, container: str, at: dt.datetime) -> None:
    for cond in status.get("conditions") or []:
        if cond.get("type") not in ("Ready", "ContainersReady"):
            continue
        cond.update({"status": "True" if ready else "False", "lastTransitionTime": _stamp(at)})
        if ready:
            cond.pop("reason", None)
            cond.pop("message", None)
        else:
            cond.update({"reason": "ContainersNotReady",
                         "message": f"containers with unready status: [{container}]"})


def _container_status(status: dict, container: str) -> dict:
    for cs in status.setdefault("containerStatuses", []):
        if cs.get("name") == container:
            return cs
    cs = {"name": container}
    status["containerStatuses"].append(cs)
    return cs


def crashed_status(pod: dict, container: str, *, started: dt.datetime, finished: dt.datetime,
                   code: int, restarts: int, delay: int) -> dict:
    """The pod's status once `container` exited with `code` and the kubelet holds back its
    restart for `delay` seconds: waiting in CrashLoopBackOff, the exit as lastState."""
    meta, status = pod["metadata"], pod.get("status") or {}
    cs = _container_status(status, container)
    cs.update({
        "state": {"waiting": {
            "reason": "CrashLoopBackOff",
            "message": f"back-off {delay}s restarting failed container={container} "
                       f"pod={meta['name']}_{meta['namespace']}({meta.get('uid', '')})"}},
        "lastState": {"terminated": {
            "exitCode": code, "reason": "Error", "startedAt": _stamp(started),
            "finishedAt": _stamp(finished),
            "containerID": cs.get("containerID") or f"containerd://{secrets.token_hex(32)}"}},
        "ready": False, "started": False, "restartCount": restarts,
    })
    _set_ready(status, ready=False, container=container, at=finished)
    return status


def restarted_status(pod: dict, container: str, *, at: dt.datetime) -> dict:
    """The pod's status once the kubelet started `container` again (restartCount + 1)."""
    status = pod.get("status") or {}
    cs = _container_status(status, container)
    cs.update({"state": {"running": {"startedAt": _stamp(at)}}, "ready": True, "started": True,
               "restartCount": int(cs.get("restartCount") or 0) + 1,
               "containerID": f"containerd://{secrets.token_hex(32)}"})
    _set_ready(status, ready=True, container=container, at=at)
    return status
