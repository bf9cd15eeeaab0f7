#!/usr/bin/env python3
"""Writes tests/data/cascade: a five-service incident where one callee explains the rest.

    python3 tests/data/make_cascade.py          # rewrites tests/data/cascade/

Namespace `market`, captured 2026-11-30T10:00:00Z:
- search (2 pods) is OOM-killed and crash-looping; its Service has no ready endpoint;
- catalog calls search (`http://search:8080/query`) and logs 503s from it (upstream-5xx);
- storefront calls catalog (`http://catalog.market.svc:8080/…`) and times out;
- checkout calls search by its cluster DNS name and is refused;
- ledger is healthy: alarming-looking lines (0 errors, error_rate=0, failover completed),
  a retry logged at DEBUG, a FailedScheduling that a Scheduled resolved, and a readiness
  failure of a pod of an old ReplicaSet that no longer exists.
The bundle is also loadable into the test cluster (tests/cluster/scenario.py load).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "cascade"
NS = "market"
NOW = datetime(2026, 11, 30, 10, 0, 0, tzinfo=timezone.utc)
START = NOW - timedelta(minutes=50)
NODE = "cascade-node-a"


def ts(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


def uid(kind: str, name: str) -> str:
    return f"{kind}-{name}"


APPS = {
    # name: (port, dapr app-id or None, hash, replicas)
    "search": (8080, None, "6d4f8b7c9", 2),
    "catalog": (8080, "catalog", "5b9c7d8f6", 1),
    "storefront": (8000, "storefront", "7f8c9d6b5", 1),
    "checkout": (8000, None, "6c7d8e9f0", 1),
    "ledger": (8000, None, "8a9b0c1d2", 1),
}
POD_SUFFIX = {
    "search": ["r2k4p", "w8n5q"],
    "catalog": ["k2m4n"],
    "storefront": ["p3q7r"],
    "checkout": ["s5t6u"],
    "ledger": ["v7w8x"],
}


def template(name: str) -> dict:
    port, app_id, _, _ = APPS[name]
    annotations = (
        {"dapr.io/enabled": "true", "dapr.io/app-id": app_id, "dapr.io/app-port": str(port)}
        if app_id
        else {}
    )
    return {
        "metadata": {"labels": {"app": name}, "annotations": annotations},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": f"registry.example/market/{name}:2.1.0",
                    "ports": [{"containerPort": port, "protocol": "TCP"}],
                }
            ]
        },
    }


def deployment(name: str) -> dict:
    _, _, _, replicas = APPS[name]
    ready = 0 if name == "search" else replicas
    return {
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": uid("d", name),
            "generation": 2,
            "creationTimestamp": ts(START - timedelta(days=3)),
            "labels": {"app": name},
            "annotations": {"deployment.kubernetes.io/revision": "2"},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": template(name),
        },
        "status": {
            "observedGeneration": 2,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
        },
    }


def replicaset(name: str, rs_hash: str, replicas: int, revision: str) -> dict:
    tpl = template(name)
    tpl["metadata"]["labels"]["pod-template-hash"] = rs_hash
    return {
        "metadata": {
            "name": f"{name}-{rs_hash}",
            "namespace": NS,
            "uid": uid("r", f"{name}-{rs_hash}"),
            "labels": {"app": name, "pod-template-hash": rs_hash},
            "annotations": {"deployment.kubernetes.io/revision": revision},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": name,
                    "uid": uid("d", name),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name, "pod-template-hash": rs_hash}},
            "template": tpl,
        },
        "status": {"replicas": replicas, "readyReplicas": replicas},
    }


def container_status(name: str, *, crashing: bool) -> dict:
    image = f"registry.example/market/{name}:2.1.0"
    if not crashing:
        return {
            "name": "app",
            "image": image,
            "ready": True,
            "started": True,
            "restartCount": 0,
            "state": {"running": {"startedAt": ts(START)}},
            "lastState": {},
        }
    return {
        "name": "app",
        "image": image,
        "ready": False,
        "started": False,
        "restartCount": 14,
        "state": {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": "back-off 5m0s restarting failed container=app",
            }
        },
        "lastState": {
            "terminated": {
                "reason": "OOMKilled",
                "exitCode": 137,
                "startedAt": ts(NOW - timedelta(minutes=3, seconds=10)),
                "finishedAt": ts(NOW - timedelta(minutes=2, seconds=40)),
            }
        },
    }


def pod(name: str, suffix: str) -> dict:
    _, _, rs_hash, _ = APPS[name]
    crashing = name == "search"
    tpl = template(name)
    ready = "False" if crashing else "True"
    return {
        "metadata": {
            "name": f"{name}-{rs_hash}-{suffix}",
            "namespace": NS,
            "uid": uid("p", f"{name}-{suffix}"),
            "creationTimestamp": ts(START),
            "labels": {"app": name, "pod-template-hash": rs_hash},
            "annotations": tpl["metadata"]["annotations"],
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": f"{name}-{rs_hash}",
                    "uid": uid("r", f"{name}-{rs_hash}"),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {**tpl["spec"], "nodeName": NODE, "restartPolicy": "Always"},
        "status": {
            "phase": "Running",
            "startTime": ts(START),
            "conditions": [
                {"type": "PodScheduled", "status": "True"},
                {"type": "Initialized", "status": "True"},
                {"type": "Ready", "status": ready},
                {"type": "ContainersReady", "status": ready},
            ],
            "containerStatuses": [container_status(name, crashing=crashing)],
        },
    }


def service(name: str) -> dict:
    port, _, _, _ = APPS[name]
    return {
        "metadata": {"name": name, "namespace": NS, "uid": uid("s", name)},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app": name},
            "ports": [{"name": "http", "port": port, "targetPort": port, "protocol": "TCP"}],
        },
    }


def event(obj_kind: str, obj: str, reason: str, message: str, **kw) -> dict:
    first, last = kw.get("first", kw.get("last")), kw["last"]
    name = f"{obj}.{reason.lower()}{int(last.timestamp())}"
    return {
        "metadata": {"name": name, "namespace": NS, "uid": uid("e", name)},
        "involvedObject": {
            "kind": obj_kind,
            "namespace": NS,
            "name": obj,
            "uid": uid("p" if obj_kind == "Pod" else "r", obj),
        },
        "reason": reason,
        "message": message,
        "type": kw.get("type", "Warning"),
        "count": kw.get("count", 1),
        "firstTimestamp": ts(first),
        "lastTimestamp": ts(last),
        "source": {"component": kw.get("component", "kubelet"), "host": NODE},
    }


def events() -> list[dict]:
    out = []
    for suffix in POD_SUFFIX["search"]:
        pod_name = f"search-6d4f8b7c9-{suffix}"
        out.append(
            event(
                "Pod",
                pod_name,
                "BackOff",
                f"Back-off restarting failed container app in pod {pod_name}_{NS}",
                first=START + timedelta(minutes=2),
                last=NOW - timedelta(seconds=40),
                count=41,
            )
        )
    ledger = "ledger-8a9b0c1d2-v7w8x"
    out.append(
        event(
            "Pod",
            ledger,
            "FailedScheduling",
            "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are "
            "available: 1 No preemption victims found for incoming pod.",
            last=START - timedelta(seconds=20),
            count=3,
            component="default-scheduler",
        )
    )
    out.append(
        event(
            "Pod",
            ledger,
            "Scheduled",
            f"Successfully assigned {NS}/{ledger} to {NODE}",
            last=START,
            type="Normal",
            component="default-scheduler",
        )
    )
    gone = "ledger-5f6e7d8c9-old12"
    out.append(
        event(
            "Pod",
            gone,
            "Unhealthy",
            'Readiness probe failed: Get "http://10.244.3.9:8000/health": dial tcp '
            "10.244.3.9:8000: connect: connection refused",
            last=START + timedelta(seconds=30),
            count=2,
        )
    )
    return out


REQ = [
    "3f2a1c9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
    "7a8b9c0d-1e2f-4a3b-8c5d-6e7f8a9b0c1d",
    "c0ffee00-1234-4abc-8def-0123456789ab",
]


def logs() -> dict[str, list[str]]:
    """Pod name/container -> lines as `kubectl logs --timestamps` gives them."""
    t = START + timedelta(minutes=5)
    catalog, storefront, checkout, ledger = [], [], [], []
    for n in range(12):
        at = t + timedelta(minutes=3 * n)
        rid = REQ[n % 3]
        catalog.append(f"{stamp(at)} INFO [catalog] request_id={rid} GET /api/products")
        catalog.append(
            f"{stamp(at + timedelta(milliseconds=40))} ERROR [catalog] request_id={rid} "
            "search failed: requests.exceptions.HTTPError: 503 Server Error: Service "
            "Unavailable for url: http://search:8080/query?q=lamp"
        )
        storefront.append(
            f"{stamp(at - timedelta(milliseconds=5))} INFO [storefront] request_id={rid} "
            "GET /products"
        )
        storefront.append(
            f"{stamp(at + timedelta(seconds=5))} ERROR [storefront] request_id={rid} catalog "
            "call failed: httpx.ReadTimeout: timed out calling "
            "http://catalog.market.svc:8080/api/products"
        )
        checkout.append(
            f"{stamp(at + timedelta(seconds=20))} ERROR [checkout] price lookup failed: "
            "httpx.ConnectError: [Errno 111] Connection refused "
            "(http://search.market.svc.cluster.local:8080/prices)"
        )
    for n in range(20):
        at = t + timedelta(minutes=2 * n)
        ledger += [
            f"{stamp(at)} INFO [ledger] batch {100 + n} settled: 0 errors, 0 failures, "
            "error_rate=0.0",
            f'{stamp(at + timedelta(seconds=1))} {{"time":"{stamp(at)}","level":"info",'
            f'"msg":"payment retry queue drained","error_rate":0,"failed":0}}',
        ]
    ledger += [
        f"{stamp(t)} INFO [ledger] failover completed: primary is ledger-db-0",
        f"{stamp(t)} INFO [ledger] Exception handler registered for /api/settle",
        f"{stamp(t)} DEBUG [ledger] dial tcp 10.0.0.7:5432: connect: connection refused "
        "(retrying)",
    ]
    search_prev = [
        f"{stamp(NOW - timedelta(minutes=3, seconds=9))} INFO [search] loading index "
        f"shard {k}/8 ({k * 700} MiB)"
        for k in range(1, 8)
    ]
    search_now = [f"{stamp(NOW - timedelta(seconds=30))} INFO [search] loading index shard 1/8"]
    out = {
        "catalog-5b9c7d8f6-k2m4n/app.log": catalog,
        "storefront-7f8c9d6b5-p3q7r/app.log": storefront,
        "checkout-6c7d8e9f0-s5t6u/app.log": checkout,
        "ledger-8a9b0c1d2-v7w8x/app.log": ledger,
    }
    for suffix in POD_SUFFIX["search"]:
        out[f"search-6d4f8b7c9-{suffix}/app.log"] = search_now
        out[f"search-6d4f8b7c9-{suffix}/app.previous.log"] = search_prev
    return out


def items(kind: str, rows: list[dict]) -> dict:
    return {"kind": kind, "apiVersion": "v1", "metadata": {}, "items": rows}


def write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    if ROOT.exists():
        shutil.rmtree(ROOT)
    ns = ROOT / NS
    write(
        ROOT / "triage-bundle.json",
        {
            "apiVersion": "triage/v1",
            "kind": "Bundle",
            "createdAt": ts(NOW),
            "context": "cascade",
            "namespaces": [NS],
            "since": ts(NOW - timedelta(hours=1)),
            "gaps": [],
        },
    )
    node = {
        "metadata": {"name": NODE, "uid": uid("n", NODE), "labels": {}},
        "spec": {"podCIDR": "10.244.1.0/24"},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }
    write(ROOT / "nodes.json", items("NodeList", [node]))
    write(ns / "deployments.json", items("DeploymentList", [deployment(a) for a in APPS]))
    rsets = [replicaset(a, APPS[a][2], APPS[a][3], "2") for a in APPS]
    rsets.append(replicaset("ledger", "5f6e7d8c9", 0, "1"))  # the old rollout, at zero
    write(ns / "replicasets.json", items("ReplicaSetList", rsets))
    pods = [pod(a, s) for a in APPS for s in POD_SUFFIX[a]]
    write(ns / "pods.json", items("PodList", pods))
    write(ns / "services.json", items("ServiceList", [service(a) for a in APPS]))
    write(ns / "events.json", items("EventList", events()))
    for rel, lines in logs().items():
        (ns / rel).parent.mkdir(parents=True, exist_ok=True)
        (ns / rel).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
