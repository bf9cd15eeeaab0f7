#!/usr/bin/env python3
"""Writes tests/data/rollouts: old rollouts that are over beside a ReplicaSet that is not.

    python3 tests/data/make_rollouts.py          # rewrites tests/data/rollouts/

Namespace `rollouts`, captured 2026-11-30T10:00:00Z, everything inside the last hour:
- ledger: revision 2 runs (one Ready pod); the ReplicaSet of revision 1 is scaled to zero.
  Its FailedCreate (a quota, 20 minutes ago) and the readiness failures of its pod that no
  longer exists are history, not findings;
- worker: revision 2 runs; the ReplicaSet of revision 1 is scaled to zero but one of its
  pods is still there, crash-looping on its way out (BackOff 3 minutes ago, OOMKilled, an
  OutOfMemoryError in its log): its events, its state and its log are history too;
- billing: its only ReplicaSet wants 2 pods and has none, refused by a quota (FailedCreate
  2 minutes ago, 12 times): no pod left, yet current; it is not an old rollout.
The bundle is also loadable into the test cluster (tests/cluster/scenario.py load).
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from make_cascade import stamp, ts, write  # the same times and files as the cascade's

ROOT = Path(__file__).resolve().parent / "rollouts"
NS = "rollouts"
NOW = datetime(2026, 11, 30, 10, 0, 0, tzinfo=timezone.utc)
START = NOW - timedelta(minutes=40)
NODE = "rollouts-node-a"
QUOTA = (
    'Error creating: pods "{rs}-{x}" is forbidden: exceeded quota: compute, requested: '
    "limits.memory=512Mi, used: limits.memory=2Gi, limited: limits.memory=2Gi"
)
# deployment -> (revision 1 hash, revision 2 hash or None, replicas)
APPS = {
    "ledger": ("5f6e7d8c9", "8a9b0c1d2", 1),
    "worker": ("6b7c8d9e0", "9c0d1e2f3", 1),
    "billing": ("7b6c5d4e3", None, 2),
}


def template(name: str, rs_hash: str = "") -> dict:
    labels = {"app": name, **({"pod-template-hash": rs_hash} if rs_hash else {})}
    return {
        "metadata": {"labels": labels},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": f"registry.example/rollouts/{name}:2.0.0",
                    "ports": [{"containerPort": 8000, "protocol": "TCP"}],
                }
            ]
        },
    }


def deployment(name: str) -> dict:
    _, new, replicas = APPS[name]
    revision = "2" if new else "1"
    ready = replicas if new else 0
    return {
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": f"d-{name}",
            "generation": int(revision),
            "creationTimestamp": ts(START - timedelta(days=2)),
            "labels": {"app": name},
            "annotations": {"deployment.kubernetes.io/revision": revision},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": template(name),
        },
        "status": {
            "observedGeneration": int(revision),
            "replicas": ready,
            "updatedReplicas": ready,
            "readyReplicas": ready,
            "availableReplicas": ready,
        },
    }


def replicaset(name: str, rs_hash: str, *, want: int, have: int, revision: int) -> dict:
    return {
        "metadata": {
            "name": f"{name}-{rs_hash}",
            "namespace": NS,
            "uid": f"r-{name}-{rs_hash}",
            "creationTimestamp": ts(START - timedelta(days=2 - revision)),
            "labels": {"app": name, "pod-template-hash": rs_hash},
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": name,
                    "uid": f"d-{name}",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "replicas": want,
            "selector": {"matchLabels": {"app": name, "pod-template-hash": rs_hash}},
            "template": template(name, rs_hash),
        },
        "status": {"replicas": have, "readyReplicas": min(have, want), "observedGeneration": 1},
    }


def replicasets() -> list[dict]:
    out = []
    for name, (old, new, replicas) in APPS.items():
        if new is None:  # billing: one ReplicaSet, wanting pods it cannot have
            out.append(replicaset(name, old, want=replicas, have=0, revision=1))
            continue
        leftover = 1 if name == "worker" else 0  # worker's old pod is still going away
        out.append(replicaset(name, old, want=0, have=leftover, revision=1))
        out.append(replicaset(name, new, want=replicas, have=replicas, revision=2))
    return out


def running() -> dict:
    return {
        "name": "app",
        "image": "registry.example/rollouts/app:2.0.0",
        "ready": True,
        "started": True,
        "restartCount": 0,
        "state": {"running": {"startedAt": ts(START)}},
        "lastState": {},
    }


def crashing() -> dict:
    return {
        "name": "app",
        "image": "registry.example/rollouts/worker:1.9.0",
        "ready": False,
        "started": False,
        "restartCount": 5,
        "state": {"waiting": {"reason": "CrashLoopBackOff",
                              "message": "back-off 2m40s restarting failed container=app"}},
        "lastState": {
            "terminated": {
                "reason": "OOMKilled",
                "exitCode": 137,
                "startedAt": ts(NOW - timedelta(minutes=4)),
                "finishedAt": ts(NOW - timedelta(minutes=3, seconds=30)),
            }
        },
    }


def pod(name: str, rs_hash: str, suffix: str, *, ok: bool) -> dict:
    ready = "True" if ok else "False"
    return {
        "metadata": {
            "name": f"{name}-{rs_hash}-{suffix}",
            "namespace": NS,
            "uid": f"p-{name}-{suffix}",
            "creationTimestamp": ts(START),
            "labels": {"app": name, "pod-template-hash": rs_hash},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": f"{name}-{rs_hash}",
                    "uid": f"r-{name}-{rs_hash}",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {**template(name, rs_hash)["spec"], "nodeName": NODE, "restartPolicy": "Always"},
        "status": {
            "phase": "Running",
            "startTime": ts(START),
            "conditions": [
                {"type": "PodScheduled", "status": "True"},
                {"type": "Initialized", "status": "True"},
                {"type": "Ready", "status": ready},
                {"type": "ContainersReady", "status": ready},
            ],
            "containerStatuses": [running() if ok else crashing()],
        },
    }


PODS = [
    pod("ledger", "8a9b0c1d2", "v7w8x", ok=True),
    pod("worker", "9c0d1e2f3", "k4m5n", ok=True),
    pod("worker", "6b7c8d9e0", "old34", ok=False),  # revision 1's, going away
]


def event(obj_kind: str, obj: str, reason: str, message: str, **kw) -> dict:
    last = kw["last"]
    name = f"{obj}.{reason.lower()}{int(last.timestamp())}"
    return {
        "metadata": {"name": name, "namespace": NS, "uid": f"e-{name}"},
        "involvedObject": {"kind": obj_kind, "namespace": NS, "name": obj,
                           "uid": f"{'p' if obj_kind == 'Pod' else 'r'}-{obj}"},
        "reason": reason,
        "message": message,
        "type": kw.get("type", "Warning"),
        "count": kw.get("count", 1),
        "firstTimestamp": ts(kw.get("first", last)),
        "lastTimestamp": ts(last),
        "source": {"component": kw.get("component", "replicaset-controller")},
    }


def events() -> list[dict]:
    old_ledger, old_worker, billing = "ledger-5f6e7d8c9", "worker-6b7c8d9e0", "billing-7b6c5d4e3"
    return [
        event("ReplicaSet", old_ledger, "FailedCreate",
              QUOTA.format(rs=old_ledger, x="q2w3e"), last=NOW - timedelta(minutes=20), count=3),
        event("ReplicaSet", old_ledger, "SuccessfulDelete",
              f"Deleted pod: {old_ledger}-old12", last=NOW - timedelta(minutes=14), type="Normal"),
        event("Pod", f"{old_ledger}-old12", "Unhealthy",
              'Readiness probe failed: Get "http://10.244.3.9:8000/health": dial tcp '
              "10.244.3.9:8000: connect: connection refused",
              last=NOW - timedelta(minutes=15), count=4, component="kubelet"),
        event("Pod", f"{old_worker}-old34", "BackOff",
              f"Back-off restarting failed container app in pod {old_worker}-old34_{NS}",
              last=NOW - timedelta(minutes=3), count=9, component="kubelet"),
        event("ReplicaSet", billing, "FailedCreate", QUOTA.format(rs=billing, x="z9y8x"),
              first=NOW - timedelta(minutes=30), last=NOW - timedelta(minutes=2), count=12),
    ]


def logs() -> dict[str, list[str]]:
    """Pod name/container -> lines as `kubectl logs --timestamps` gives them."""
    out = {}
    for p in PODS:
        name = p["metadata"]["name"]
        t = START + timedelta(minutes=1)
        out[f"{name}/app.log"] = [f"{stamp(t)} INFO service started on :8000"]
    # the old worker's last words before its OOM kill: evidence of revision 1, not of now
    out["worker-6b7c8d9e0-old34/app.log"].append(
        f"{stamp(NOW - timedelta(minutes=3, seconds=31))} ERROR java.lang.OutOfMemoryError: "
        "Java heap space"
    )
    return out


def items(kind: str, rows: list[dict]) -> dict:
    return {"apiVersion": "v1", "kind": kind, "items": rows}


def main() -> None:
    if ROOT.exists():
        shutil.rmtree(ROOT)
    ns = ROOT / NS
    write(ROOT / "triage-bundle.json", {
        "apiVersion": "triage/v1", "kind": "Bundle", "createdAt": ts(NOW),
        "context": "rollouts", "namespaces": [NS], "since": ts(NOW - timedelta(hours=1)),
        "gaps": [],
    })
    node = {
        "metadata": {"name": NODE, "uid": f"n-{NODE}", "labels": {}},
        "spec": {"podCIDR": "10.244.1.0/24"},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }
    write(ROOT / "nodes.json", items("NodeList", [node]))
    write(ns / "deployments.json", items("DeploymentList", [deployment(a) for a in APPS]))
    write(ns / "replicasets.json", items("ReplicaSetList", replicasets()))
    write(ns / "pods.json", items("PodList", PODS))
    write(ns / "services.json", items("ServiceList", []))
    write(ns / "events.json", items("EventList", events()))
    for rel, lines in logs().items():
        (ns / rel).parent.mkdir(parents=True, exist_ok=True)
        (ns / rel).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
