#!/usr/bin/env python3
"""Materialise a bundle directory (docs/bundle-format.md) into the end-to-end test cluster.

    python3 tests/cluster/scenario.py load   BUNDLE [--run DIR] [--context setup] [--node NODE]
    python3 tests/cluster/scenario.py unload BUNDLE [--run DIR]
    python3 tests/cluster/scenario.py scale  OUTDIR [--deployments 100] [--pods 2] [--log-lines 200]
                                                    [--namespace scale] [--load]

What `load` does, per namespace directory of the bundle (any directory holding pods.json, ...):
  - the Namespace;
  - Services (clusterIP re-allocated by this apiserver);
  - Deployments, StatefulSets, DaemonSets, then ReplicaSets, then Pods, each with its
    ownerReferences pointing at the new uids (no controllers run: nothing else creates them);
    their `status` from the bundle is written through the status subresource;
  - Pods keep `spec.nodeName`; a node the cluster lacks is created as a kwok node (Ready in a
    second). A pod with a status in the bundle gets the annotation
    e2e.kubectl-triage.io/frozen-status, which our kwok stages leave alone, and its bundle status
    (CrashLoopBackOff, restartCount, lastState.terminated, ...) is written as it is, but with
    hostIP 127.0.0.1 and a loopback pod IP. A pod without a status is made Running by kwok;
    a pod whose containers run as real processes (processes.py) gets the status of what they
    do instead, and the events a kubelet would post for them (kubelet.py; crash_loop for a
    process that fails);
  - container logs: <POD>/<CONTAINER>.log and <CONTAINER>.previous.log (or kubectl dump's
    logs.txt) are written in CRI format under <run>/pod-logs/ and served by kwok through a
    per-pod `Logs` object (current and --previous); an `Exec` object per pod runs `kubectl exec`
    commands on this machine in <run>/exec/<ns>/<pod>/ with the container's literal env vars;
  - Events (core/v1) with their reasons, types, counts, timestamps and sources, involvedObject
    uids fixed up.
It uses the `setup` context of <run>/kubeconfig by default, so the audit log tells the
scenario's own writes (user e2e-setup) from those of the tool under test (user admin/viewer).

Python 3.10+, standard library plus PyYAML.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import ipaddress
import json
import os
import re
import shutil
import socket
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kubelet  # noqa: E402
import processes  # noqa: E402
from cluster import DEFAULT_RUN, FROZEN_ANNOTATION, Api, ApiError, Cluster, pid_alive  # noqa: E402

HERE = Path(__file__).resolve().parent

# kind -> (API path prefix, plural, bundle file)
WORKLOADS = {
    "Deployment": ("/apis/apps/v1", "deployments", "deployments.json"),
    "StatefulSet": ("/apis/apps/v1", "statefulsets", "statefulsets.json"),
    "DaemonSet": ("/apis/apps/v1", "daemonsets", "daemonsets.json"),
    "ReplicaSet": ("/apis/apps/v1", "replicasets", "replicasets.json"),
}
KNOWN_FILES = {"pods.json", "services.json", "events.json", *(w[2] for w in WORKLOADS.values())}
SERVER_FIELDS = (
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "managedFields",
    "generation",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
# Loader-written pod IPs (kwok hands out 127.1.x.y from --cidr): loopback, so the apiserver's pod
# proxy refuses them and nothing can leave the machine.
LOADER_POD_NET = ipaddress.ip_network("127.2.0.0/16")
NODE_IP = "127.0.0.1"
TS_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) (.*)$", re.S
)
START_RE = re.compile(r"^==== START logs for container (\S+) of pod ([^/\s]+)/(\S+) ====$")
END_RE = re.compile(r"^==== END logs for container (\S+) of pod ([^/\s]+)/(\S+) ====$")


# ---------------------------------------------------------------------------- bundle reading


def read_list(path: Path) -> list[dict]:
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    return data.get("items") or [] if isinstance(data, dict) else list(data)


def bundle_namespaces(bundle: Path) -> list[str]:
    return sorted(
        d.name
        for d in bundle.iterdir()
        if d.is_dir() and any((d / f).exists() for f in KNOWN_FILES)
    )


def parse_dump_logs(text: str) -> dict[str, list[str]]:
    """kubectl cluster-info dump's logs.txt -> {container: lines}.

    A 'Request log error' (kubectl's, not the app's) counts as no log."""
    out: dict[str, list[str]] = {}
    cur: str | None = None
    for line in text.splitlines():
        m = START_RE.match(line)
        if m:
            cur = m.group(1)
            out[cur] = []
            continue
        if END_RE.match(line):
            cur = None
            continue
        if cur is not None:
            out[cur].append(line)
    for c, lines in list(out.items()):
        if len(lines) == 1 and lines[0].startswith("Request log error"):
            out[c] = []
    return out


def rfc3339(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def parse_time(s: str | None) -> dt.datetime | None:
    if not s:
        return None
    s = s.strip()
    m = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$", s)
    if not m:
        return None
    frac = (m.group(2) or "0")[:6].ljust(6, "0")
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    return dt.datetime.fromisoformat(f"{m.group(1)}.{frac}{tz}")


def to_cri(lines: Iterable[str], start: dt.datetime) -> str:
    """Lines as `kubectl logs --timestamps` prints them (or bare) -> CRI log file text.

    A line with a leading RFC 3339 timestamp keeps it (verbatim, nanoseconds included); a bare
    line gets the previous line's time plus 1 ms (the first: `start`)."""
    out = []
    t = start
    for line in lines:
        line = line.rstrip("\n").rstrip("\r")
        m = TS_RE.match(line)
        if m and parse_time(m.group(1)):
            ts, text = m.group(1), m.group(2)
            t = parse_time(ts)  # type: ignore[assignment]
            if not ts.endswith("Z"):
                ts = rfc3339(t)
        else:
            t = t + dt.timedelta(milliseconds=1)
            ts, text = rfc3339(t), line
        out.append(f"{ts} stdout F {text}\n")
    return "".join(out)


def read_log_file(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8", errors="replace").splitlines()


# ---------------------------------------------------------------------------- object clean-up


def clean_meta(obj: dict, keep_owner_refs: bool = True) -> dict:
    obj = copy.deepcopy(obj)
    meta = obj.setdefault("metadata", {})
    for f in SERVER_FIELDS:
        meta.pop(f, None)
    meta.pop("finalizers", None)
    if not keep_owner_refs:
        meta.pop("ownerReferences", None)
    ann = meta.get("annotations") or {}
    ann.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    if ann:
        meta["annotations"] = ann
    else:
        meta.pop("annotations", None)
    return obj


def synth_running_status(spec: dict) -> dict:
    """What kwok's pod-ready stage would write: Running, Ready, every container running."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    conds = ["Initialized", "Ready", "ContainersReady", "PodScheduled"]
    return {
        "phase": "Running",
        "startTime": now,
        "conditions": [{"type": c, "status": "True", "lastTransitionTime": now} for c in conds],
        "containerStatuses": [
            {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": "",
                "ready": True,
                "started": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": now}},
            }
            for c in spec.get("containers") or []
        ],
    }


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def wait_listening(ip: str, port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((ip, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"stand-in server on {ip}:{port} did not start") from None
            time.sleep(0.1)


def wait_for_crds(api: Api, plurals: tuple[str, ...], timeout: float = 20) -> None:
    """A new CRD is served a moment after it is created."""
    deadline = time.monotonic() + timeout
    for plural in plurals:
        while True:
            try:
                api.get(f"/apis/dapr.io/v1alpha1/{plural}")
                break
            except ApiError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def standins_from_probes(bundle: str | os.PathLike) -> list[dict]:
    """Stand-in servers that answer what a bundle's probes.json files recorded (the demo's
    OpenAPI documents, /dapr/subscribe, daprd metadata), and accept publishes on 3500."""
    out = []
    for path in sorted(Path(bundle).glob("*/*/probes.json")):
        ports: dict[int, dict] = {}
        for probe in json.loads(path.read_text()).get("probes") or []:
            if probe.get("status") is None:
                continue
            routes = ports.setdefault(int(probe["port"]), {})
            routes[f"GET {probe['path']}"] = {"status": probe["status"], "body": probe["body"]}
        if 3500 in ports:
            ports[3500]["POST /v1.0/publish/*"] = {"status": 204}
        out.append({"namespace": path.parent.parent.name, "pod": path.parent.name,
                    "ports": ports})
    return out


def read_standins(path: str | os.PathLike | None) -> list[dict]:
    """The `standins:` list of a YAML/JSON file (see README: stand-in servers)."""
    if not path:
        return []
    import yaml

    data = yaml.safe_load(Path(path).read_text())
    return list((data or {}).get("standins") or [])


@dataclass
class LoadResult:
    namespaces: list[str] = field(default_factory=list)
    uids: dict[tuple[str, str, str], str] = field(
        default_factory=dict
    )  # (kind, ns, name) -> new uid
    counts: dict[str, int] = field(default_factory=dict)
    nodes_created: list[str] = field(default_factory=list)
    renamed_events: list[str] = field(default_factory=list)  # duplicate names in the bundle
    seconds: float = 0.0
    # (ns, pod, container) -> how its process was started (Loader._spawn_container)
    containers: dict[tuple[str, str, str], dict] = field(default_factory=dict)

    def bump(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n


class Loader:
    def __init__(
        self,
        api: Api,
        run_dir: str | os.PathLike,
        node: str | None = None,
        replace: bool = True,
        standins: list[dict] | None = None,
    ):
        self.api = api
        self.replace = replace
        self.standins = standins or []
        self.cluster = Cluster(run_dir)
        self.pod_net: dict[tuple[str, str], dict] = {}
        self.pod_body: dict[tuple[str, str], dict] = {}  # pods with a network namespace
        self.pending: list[tuple[str, str]] = []  # pods with processes to start (see processes.py)
        self.run = Path(run_dir)
        self.node_override = node
        self.result = LoadResult()
        self._ip_index = self._count_existing_ips()

    # -- helpers
    def _count_existing_ips(self) -> int:
        marker = self.run / "pod-logs" / ".ip-index"
        try:
            return int(marker.read_text())
        except (FileNotFoundError, ValueError):
            return 0

    def next_pod_ip(self) -> str:
        self._ip_index += 1
        marker = self.run / "pod-logs" / ".ip-index"
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(str(self._ip_index))
        return str(LOADER_POD_NET.network_address + self._ip_index)

    def fix_owner_refs(self, obj: dict, ns: str) -> None:
        for ref in obj.get("metadata", {}).get("ownerReferences") or []:
            uid = self.result.uids.get((ref.get("kind"), ns, ref.get("name")))
            if uid:
                ref["uid"] = uid

    def ensure_namespace(self, ns: str) -> None:
        self.api.create_or_get(
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
        )
        self.result.namespaces.append(ns)

    def ensure_nodes(self, names: set[str], bundle_nodes: dict[str, dict]) -> None:
        existing = {n["metadata"]["name"] for n in self.api.get("/api/v1/nodes")["items"]}
        created = []
        for name in sorted(names - existing):
            labels = bundle_nodes.get(name, {}).get("metadata", {}).get("labels") or {}
            Cluster.create_node(self.api, name, labels)
            created.append(name)
        if created:
            deadline = time.monotonic() + 60
            while not Cluster.nodes_ready(self.api, created):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"kwok did not make nodes {created} Ready within 60s (is kwok running?)"
                    )
                time.sleep(0.2)
            self.result.nodes_created += created
        for name in names:
            node = self.api.get(f"/api/v1/nodes/{name}")
            self.result.uids[("Node", "", name)] = node["metadata"]["uid"]

    # -- workloads
    def create_workload(self, kind: str, ns: str, item: dict) -> dict:
        prefix, plural, _ = WORKLOADS[kind]
        body = clean_meta(item)
        body["apiVersion"], body["kind"] = "apps/v1", kind
        status = body.pop("status", None)
        self.fix_owner_refs(body, ns)
        body["metadata"]["namespace"] = ns
        obj = self.api.post(f"{prefix}/namespaces/{ns}/{plural}", body)
        name = obj["metadata"]["name"]
        if status:
            status = copy.deepcopy(status)
            if "observedGeneration" in status:
                status["observedGeneration"] = obj["metadata"].get("generation", 1)
            obj["status"] = status
            obj = self.api.put(f"{prefix}/namespaces/{ns}/{plural}/{name}/status", obj)
        self.result.uids[(kind, ns, name)] = obj["metadata"]["uid"]
        self.result.bump(kind)
        return obj

    # -- services
    def create_service(self, ns: str, item: dict) -> dict:
        body = clean_meta(item)
        body["apiVersion"], body["kind"] = "v1", "Service"
        body.pop("status", None)
        spec = body.setdefault("spec", {})
        if spec.get("clusterIP") not in (None, "None"):
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        for k in ("ipFamilies", "ipFamilyPolicy", "healthCheckNodePort"):
            spec.pop(k, None)
        try:
            obj = self.api.post(f"/api/v1/namespaces/{ns}/services", body)
        except ApiError as e:
            if e.code != 422:
                raise
            for p in spec.get("ports", []):  # e.g. a nodePort already taken: let the server pick
                p.pop("nodePort", None)
            obj = self.api.post(f"/api/v1/namespaces/{ns}/services", body)
        self.result.uids[("Service", ns, obj["metadata"]["name"])] = obj["metadata"]["uid"]
        self.result.bump("Service")
        return obj

    # -- Dapr's custom resources (their CRDs installed on first use, as `dapr init -k` would)
    def create_dapr(self, ns: str, plural: str, item: dict) -> dict:
        if not getattr(self, "_dapr_crds", False):
            for crd in json.loads((HERE / "dapr-crds.json").read_text())["items"]:
                self.api.create_or_get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                                       crd)
            wait_for_crds(self.api, ("components", "subscriptions"))
            self._dapr_crds = True
        body = clean_meta(item)
        version = body.get("apiVersion", "dapr.io/v1alpha1").split("/")[-1]
        obj = self.api.post(f"/apis/dapr.io/{version}/namespaces/{ns}/{plural}", body)
        self.result.bump(body.get("kind", plural))
        return obj

    # -- pods
    def create_pod(self, ns: str, item: dict) -> dict:
        body = clean_meta(item)
        body["apiVersion"], body["kind"] = "v1", "Pod"
        status = body.pop("status", None)
        self.fix_owner_refs(body, ns)
        body["metadata"]["namespace"] = ns
        spec = body.setdefault("spec", {})
        spec.pop("ephemeralContainers", None)  # only settable through its own subresource
        if self.node_override and spec.get("nodeName"):
            spec["nodeName"] = self.node_override
        standin = self.standin_for(ns, body)
        runs = bool(standin and (standin.get("processes") or standin.get("daprd")))
        if standin and (runs or not (status and status.get("phase"))):
            # a pod IP of our own needs a status of our own; a pod whose containers really run
            # gets the status of what they do (kubelet.crashed_status when one exits)
            status = synth_running_status(spec)
        frozen = bool(status and status.get("phase"))
        if frozen:
            body["metadata"].setdefault("annotations", {})[FROZEN_ANNOTATION] = "true"
        obj = self.api.post(f"/api/v1/namespaces/{ns}/pods", body)
        name = obj["metadata"]["name"]
        net = None
        if standin:
            net = self.cluster.add_pod_netns(label=f"{ns}/{name}")
            self.pod_net[(ns, name)] = net
            self.pod_body[(ns, name)] = obj
            if standin.get("processes") or standin.get("daprd"):
                self.pending.append((ns, name))
        if frozen:
            st = copy.deepcopy(status)
            if spec.get("nodeName"):
                st["hostIP"] = NODE_IP
                st["hostIPs"] = [{"ip": NODE_IP}]
            else:
                st.pop("hostIP", None)
                st.pop("hostIPs", None)
            if net:
                st["podIP"] = net["ip"]
                st["podIPs"] = [{"ip": net["ip"]}]
            elif st.get("podIP") or st.get("podIPs"):
                ip = NODE_IP if spec.get("hostNetwork") else self.next_pod_ip()
                st["podIP"] = ip
                st["podIPs"] = [{"ip": ip}]
            obj["status"] = st
            obj = self.api.put(f"/api/v1/namespaces/{ns}/pods/{name}/status", obj)
        if standin and net:
            self.start_standins(ns, name, net, standin)
        if runs and spec.get("nodeName"):
            self.post_event(kubelet.scheduled(obj, now()))
        self.result.uids[("Pod", ns, name)] = obj["metadata"]["uid"]
        self.result.bump("Pod")
        return obj

    # -- stand-in servers in pod network namespaces
    def standin_for(self, ns: str, pod: dict) -> dict | None:
        labels = pod.get("metadata", {}).get("labels") or {}
        name = pod.get("metadata", {}).get("name")
        for s in self.standins:
            if s.get("namespace", ns) != ns:
                continue
            if "pod" in s and s["pod"] != name:
                continue
            sel = s.get("selector") or {}
            if all(labels.get(k) == v for k, v in sel.items()) and ("pod" in s or sel):
                return s
        return None

    def start_standins(self, ns: str, name: str, net: dict, standin: dict) -> None:
        d = self.run / "standins"
        d.mkdir(exist_ok=True)
        forwards = []
        for port, routes in (standin.get("ports") or {}).items():
            port = int(port)
            rfile = d / f"{ns}.{name}.{port}.routes.json"
            rfile.write_text(json.dumps(routes, indent=1))
            self.cluster.spawn_in_netns(
                net["netns"],
                f"{ns}.{name}.{port}",
                [
                    sys.executable,
                    str(HERE / "standin.py"),
                    "--port",
                    str(port),
                    "--routes",
                    str(rfile),
                ],
            )
            forwards.append({"ports": [port], "target": {"address": net["ip"], "port": port}})
            wait_listening(net["ip"], port)
            self.result.bump("stand-in servers")
        if forwards:
            # `kubectl port-forward POD PORT` reaches the stand-in in the pod's namespace
            self.put_kwok("portforwards", ns, name, {"forwards": forwards})

    # -- real processes as containers (processes.py): after the namespace's objects exist
    def process_containers(self, ns: str, name: str) -> set[str]:
        standin = self.standin_for(ns, self.pod_body.get((ns, name), {})) or {}
        names = set(standin.get("processes") or {})
        return names | ({"daprd"} if standin.get("daprd") else set())

    def start_processes(self, ns: str) -> None:
        """Each pending pod's processes: plain ones first (a broker, an app), then daprd,
        which needs them; then the pod's port-forwards (localhost-only ports through
        kwok/localhost-pipe). Waits until each listens."""
        pending = [(n, name) for n, name in self.pending if n == ns]
        if not pending:
            return
        services = self.api.get(f"/api/v1/namespaces/{ns}/services")["items"]
        hosts = processes.service_hosts(
            services, [(body, self.pod_net[key]["ip"]) for key, body in self.pod_body.items()])
        for key in pending:
            net = self.pod_net[key]
            extra = processes.extra_hosts((self.standin_for(ns, self.pod_body[key]) or {})
                                          .get("hosts") or {}, namespace=ns)
            processes.write_netns_etc(net["netns"], pod_name=key[1], pod_ip=net["ip"],
                                      hosts=hosts + extra)
        for key in pending:
            standin = self.standin_for(ns, self.pod_body[key]) or {}
            for cname, spec in (standin.get("processes") or {}).items():
                self.start_process(key, cname, spec)
        resources = None
        for key in pending:
            if (self.standin_for(ns, self.pod_body[key]) or {}).get("daprd"):
                resources = resources if resources is not None else self.dapr_objects(ns)
                self.start_daprd(key, resources)
        for key in pending:
            self.put_forwards(key)

    def _spawn_container(self, key: tuple[str, str], cname: str, argv: list[str], *,
                         env: dict[str, str], cwd: str | None = None) -> tuple[int, Path]:
        ns, name = key
        log = self.run / "pod-logs" / ns / name / f"{cname}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        argv = processes.crilog_argv(log, argv, cwd=cwd, hostname=name)
        netns = self.pod_net[key]["netns"]
        pid = self.cluster.spawn_in_netns(netns, f"{ns}.{name}.{cname}", argv, env=env)
        self.result.containers[(ns, name, cname)] = {
            "argv": argv, "env": env, "netns": netns, "pid": pid, "log": str(log),
            "started": now().isoformat()}
        for event in kubelet.container_started(self.pod_body[key], cname, now()):
            self.post_event(event)
        self.result.bump("processes")
        return pid, log

    def post_event(self, body: dict) -> None:
        self.api.post(f"/api/v1/namespaces/{body['metadata']['namespace']}/events", body)
        self.result.bump("kubelet events")

    def workdir(self, key: tuple[str, str], cname: str) -> Path:
        d = self.run / "containers" / key[0] / key[1] / cname
        d.mkdir(parents=True, exist_ok=True)
        return d

    def start_process(self, key: tuple[str, str], cname: str, spec: dict) -> None:
        net, work = self.pod_net[key], self.workdir(key, cname)
        names = {"python": sys.executable, "here": str(HERE), "workdir": str(work),
                 "pod_ip": net["ip"]}
        argv = processes.command_of(spec, names)
        env = {**processes.base_env(work),
               **processes.container_env(self.pod_body[key], cname),
               **{k: processes.expand(str(v), names) for k, v in (spec.get("env") or {}).items()}}
        cwd = processes.expand(spec["cwd"], names) if spec.get("cwd") else str(work)
        self._spawn_container(key, cname, argv, env=env, cwd=cwd)
        for port in spec.get("ports") or []:
            wait_listening(net["ip"], int(port), timeout=float(spec.get("timeout", 30)))

    def dapr_objects(self, ns: str) -> list[dict]:
        """The namespace's Components and Subscriptions as the API server has them."""
        out = []
        for path in (f"/apis/dapr.io/v1alpha1/namespaces/{ns}/components",
                     f"/apis/dapr.io/v2alpha1/namespaces/{ns}/subscriptions"):
            try:
                items = self.api.get(path)["items"]
            except ApiError as e:
                if e.code != 404:  # no Dapr CRDs: no resources
                    raise
                items = []
            kind = "Component" if path.endswith("components") else "Subscription"
            out += [{**i, "kind": i.get("kind") or kind} for i in items]
        return out

    def start_daprd(self, key: tuple[str, str], resources: list[dict]) -> None:
        binary = Path(self.cluster.state().get("bin") or "") / "daprd"
        if not binary.exists():
            raise processes.ProcessError(f"no daprd in {binary.parent}: run tests/cluster/build.sh")
        net, work = self.pod_net[key], self.workdir(key, "daprd")
        config, folder = work / "config.yaml", work / "resources"
        processes.write_config(config, name_db=self.run / "dapr-nameresolution.db")
        processes.write_resources(folder, resources)
        pod = self.pod_body[key]
        argv = processes.daprd_argv(binary, pod, config=config, resources=folder)
        pid, log = self._spawn_container(key, "daprd", argv,
                                         env=processes.daprd_env(pod, net["ip"], work))
        processes.wait_daprd(net["ip"], log, lambda: pid_alive(pid))

    def put_forwards(self, key: tuple[str, str]) -> None:
        """Every port of the pod to port-forward: stand-in and process ports at the pod IP,
        daprd's API (localhost only) through kwok/localhost-pipe in the namespace."""
        ns, name = key
        net = self.pod_net[key]
        standin = self.standin_for(ns, self.pod_body[key]) or {}
        ports = {int(p) for p in standin.get("ports") or {}}
        for spec in (standin.get("processes") or {}).values():
            ports |= {int(p) for p in spec.get("ports") or []}
        forwards = []
        if standin.get("daprd"):
            pipe = HERE / "kwok" / "localhost-pipe"
            forwards += [{"ports": [p], "command": ["ip", "netns", "exec", net["netns"],
                                                     sys.executable, str(pipe), str(p)]}
                         for p in processes.LOCALHOST_ONLY]
            ports |= {processes.DAPR_PUBLIC_PORT, processes.DAPR_INTERNAL_PORT,
                      processes.DAPR_METRICS_PORT}
        forwards += [{"ports": [p], "target": {"address": net["ip"], "port": p}}
                     for p in sorted(ports)]
        self.put_kwok("portforwards", ns, name, {"forwards": forwards})

    def container_start(self, pod: dict, container: str, previous: bool) -> dt.datetime:
        st = pod.get("status") or {}
        for cs in (st.get("containerStatuses") or []) + (st.get("initContainerStatuses") or []):
            if cs.get("name") != container:
                continue
            state = cs.get("lastState" if previous else "state") or {}
            for s in state.values():
                t = parse_time((s or {}).get("startedAt"))
                if t:
                    return t
        return parse_time(st.get("startTime")) or dt.datetime.now(dt.timezone.utc)

    def write_logs(self, ns: str, pod: dict, pod_dir: Path) -> None:
        """CRI log files under <run>/pod-logs/<ns>/<pod>/ and the kwok Logs + Exec objects."""
        name = pod["metadata"]["name"]
        spec = pod.get("spec") or {}
        containers = [
            c for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])
        ]
        current: dict[str, list[str]] = {}
        previous: dict[str, list[str]] = {}
        if pod_dir.is_dir():
            if (pod_dir / "logs.txt").exists():
                current.update(
                    parse_dump_logs((pod_dir / "logs.txt").read_bytes().decode("utf-8", "replace"))
                )
            for f in pod_dir.glob("*.log"):
                if f.name.endswith(".previous.log"):
                    previous[f.name[: -len(".previous.log")]] = read_log_file(f)
                else:
                    current[f.name[: -len(".log")]] = read_log_file(f)
        out = self.run / "pod-logs" / ns / name
        out.mkdir(parents=True, exist_ok=True)
        logs = []
        for c in containers:
            cname = c["name"]
            cur = out / f"{cname}.log"
            cur.write_text(to_cri(current.get(cname, []), self.container_start(pod, cname, False)))
            entry: dict[str, Any] = {"containers": [cname], "logsFile": str(cur)}
            prev = out / f"{cname}.previous.log"
            if cname in previous:
                prev.write_text(to_cri(previous[cname], self.container_start(pod, cname, True)))
            # Without a previous instance the file does not exist, and `kubectl logs --previous`
            # gets HTTP 400 BadRequest, as from a kubelet (whose message differs: kwok says
            # 'failed to try resolving symlinks in path "...": lstat ...: no such file ...').
            entry["previousLogsFile"] = str(prev)
            logs.append(entry)
            if current.get(cname) or previous.get(cname):
                self.result.bump("log files", 1 + (cname in previous))
        self.put_kwok("logs", ns, name, {"logs": logs})
        workdir = self.run / "exec" / ns / name
        workdir.mkdir(parents=True, exist_ok=True)
        execs = []
        for c in containers:
            envs = [
                {"name": e["name"], "value": e.get("value", "")}
                for e in c.get("env") or []
                if "valueFrom" not in e
            ]
            net = self.pod_net.get((ns, name))
            if net:  # read by kwok/netns-shim: run the command in the pod's network namespace
                envs.append({"name": "KWOK_E2E_NETNS", "value": net["netns"]})
            if c["name"] in self.process_containers(ns, name) and c["name"] == "daprd":
                # daprd's image is distroless: no curl, no shell (netns-shim refuses them)
                envs.append({"name": "KWOK_E2E_DISTROLESS", "value": "1"})
            execs.append(
                {"containers": [c["name"]], "local": {"workDir": str(workdir), "envs": envs}}
            )
        self.put_kwok("execs", ns, name, {"execs": execs})

    def put_kwok(self, plural: str, ns: str, name: str, spec: dict) -> dict:
        kind = {"logs": "Logs", "execs": "Exec", "portforwards": "PortForward"}[plural]
        body = {
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": kind,
            "metadata": {"name": name, "namespace": ns},
            "spec": spec,
        }
        path = f"/apis/kwok.x-k8s.io/v1alpha1/namespaces/{ns}/{plural}"
        try:
            return self.api.post(path, body)
        except ApiError as e:
            if e.code != 409:
                raise
            cur = self.api.get(f"{path}/{name}")
            cur["spec"] = spec
            return self.api.put(f"{path}/{name}", cur)

    # -- events
    def create_event(self, ns: str, item: dict) -> dict | None:
        body = clean_meta(item, keep_owner_refs=False)
        body["apiVersion"], body["kind"] = "v1", "Event"
        body["metadata"]["namespace"] = ns
        inv = body.get("involvedObject") or {}
        inv.pop("resourceVersion", None)
        uid = self.result.uids.get(
            (inv.get("kind"), inv.get("namespace", "") or "", inv.get("name"))
        )
        if uid is None and inv.get("kind") == "Node":
            uid = self.result.uids.get(("Node", "", inv.get("name")))
        if uid:
            inv["uid"] = uid
        if not body.get("eventTime"):
            body.pop("eventTime", None)
        name = body["metadata"].get("name", "")
        for attempt in range(1, 10):
            try:
                obj = self.api.post(f"/api/v1/namespaces/{ns}/events", body)
                break
            except ApiError as e:
                if e.code == 409:
                    # Two events of the bundle with one name (a real cluster cannot have that):
                    # keep both, the second with a suffix, and say so in the result.
                    body["metadata"]["name"] = f"{name}.dup{attempt}"
                    self.result.renamed_events.append(f"{ns}/{name}")
                    continue
                if e.code != 422 or "eventTime" not in body:
                    raise
                body.pop("eventTime", None)  # a new-style event the legacy validation refuses
                body.pop("series", None)
        else:
            raise RuntimeError(f"event {ns}/{name}: name conflicts 9 times")
        self.result.bump("Event")
        return obj

    # -- the whole bundle
    def load(self, bundle: Path) -> LoadResult:
        t0 = time.monotonic()
        bundle = Path(bundle)
        if not bundle.is_dir():
            raise FileNotFoundError(f"bundle directory not found: {bundle}")
        bundle_nodes = {
            n.get("metadata", {}).get("name"): n for n in read_list(bundle / "nodes.json")
        }
        namespaces = bundle_namespaces(bundle)
        if not namespaces:
            raise ValueError(
                f"{bundle}: no namespace directory with pods.json, deployments.json, ..."
            )
        pods_by_ns = {ns: read_list(bundle / ns / "pods.json") for ns in namespaces}
        node_names = {self.node_override} if self.node_override else set()
        node_names |= {
            p.get("spec", {}).get("nodeName") for pods in pods_by_ns.values() for p in pods
        }
        node_names.discard(None)
        node_names.discard("")
        self.ensure_nodes(node_names, bundle_nodes)  # type: ignore[arg-type]
        for ns in namespaces:
            d = bundle / ns
            if self.replace:
                delete_namespace(self.api, ns)  # a known state: the namespace as the bundle has it
                self.cluster.release_pod_netns(f"{ns}/")
                shutil.rmtree(self.run / "pod-logs" / ns, ignore_errors=True)
            self.ensure_namespace(ns)
            for item in read_list(d / "services.json"):
                self.create_service(ns, item)
            for kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
                for item in read_list(d / WORKLOADS[kind][2]):
                    self.create_workload(kind, ns, item)
            for item in pods_by_ns[ns]:
                self.create_pod(ns, item)
                self.write_logs(ns, item, d / item["metadata"]["name"])
            for item in read_list(d / "events.json"):
                self.create_event(ns, item)
            for plural in ("components", "subscriptions"):
                for item in read_list(d / f"{plural}.json"):
                    self.create_dapr(ns, plural, item)
            self.start_processes(ns)
        self.result.seconds = round(time.monotonic() - t0, 2)
        return self.result


def load_bundle(
    bundle: str | os.PathLike,
    run_dir: str | os.PathLike = DEFAULT_RUN,
    *,
    api: Api | None = None,
    context: str = "setup",
    node: str | None = None,
    replace: bool = True,
    standins: str | os.PathLike | list[dict] | None = None,
    wait_running: float = 30,
) -> LoadResult:
    """Load `bundle` into the cluster of `run_dir` (its namespaces deleted first unless
    replace=False); wait until every pod kwok manages is Running.

    `standins` (a file, see read_standins, or its list) gives pods a network namespace of their
    own with stand-in HTTP servers, reachable through the pod proxy, port-forward and exec."""
    run_dir = Path(run_dir)
    api = api or Api.from_kubeconfig(run_dir / "kubeconfig", context)
    if not isinstance(standins, list):
        standins = read_standins(standins)
    loader = Loader(api, run_dir, node=node, replace=replace, standins=standins)
    res = loader.load(Path(bundle))
    if wait_running:
        deadline = time.monotonic() + wait_running
        while True:
            pending = []
            for ns in res.namespaces:
                for p in api.get(f"/api/v1/namespaces/{ns}/pods")["items"]:
                    frozen = FROZEN_ANNOTATION in (p["metadata"].get("annotations") or {})
                    if (
                        not frozen
                        and p["spec"].get("nodeName")
                        and p.get("status", {}).get("phase") != "Running"
                    ):
                        pending.append(f"{ns}/{p['metadata']['name']}")
            if not pending:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"pods not Running after {wait_running}s: {pending[:10]}")
            time.sleep(0.2)
    return res


def exit_code(run_dir: Path, ns: str, pod: str, container: str) -> int | None:
    """The code crilog.py reported for the container's last process (None: still running)."""
    log = run_dir / "standins" / f"{ns}.{pod}.{container}.log"
    codes = re.findall(r"^exited (-?\d+)$", log.read_text(errors="replace"), re.M)
    return int(codes[-1]) if codes else None


def crash_loop(run_dir: str | os.PathLike, result: LoadResult, ns: str, pod: str,
               container: str, *, restarts: int = 1, back_off: int = 10,
               timeout: float = 30, context: str = "setup") -> None:
    """What a kubelet does when a container's process (started by load_bundle) exits with an
    error, which kwok cannot do: the status says CrashLoopBackOff with the exit as lastState,
    a BackOff event is posted, and after the back-off (10 s, doubled each time) the process
    runs again, its log moved to <container>.previous.log as `kubectl logs --previous` reads
    it, with Pulled/Created/Started events. Returns after the process exited `restarts` + 1
    times; the pod is left in CrashLoopBackOff."""
    run_dir = Path(run_dir)
    api = Api.from_kubeconfig(run_dir / "kubeconfig", context)
    rec = result.containers[(ns, pod, container)]
    path = f"/api/v1/namespaces/{ns}/pods/{pod}"
    for attempt in range(restarts + 1):
        deadline = time.monotonic() + timeout
        while pid_alive(rec["pid"]) or exit_code(run_dir, ns, pod, container) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{ns}/{pod} {container}: still running after {timeout} s")
            time.sleep(0.2)
        code, finished = exit_code(run_dir, ns, pod, container), now()
        if not code:
            raise RuntimeError(f"{ns}/{pod} {container}: exited 0, not a crash")
        delay = back_off * 2**attempt
        obj = api.get(path)
        obj["status"] = kubelet.crashed_status(
            obj, container, started=dt.datetime.fromisoformat(rec["started"]),
            finished=finished, code=code, restarts=attempt, delay=delay)
        obj = api.put(f"{path}/status", obj)
        api.post(f"/api/v1/namespaces/{ns}/events", kubelet.back_off(obj, container, finished))
        if attempt == restarts:
            return
        time.sleep(delay)
        _restart(run_dir, api, rec, ns=ns, pod=pod, container=container)


def _restart(run_dir: Path, api: Api, rec: dict, *, ns: str, pod: str, container: str) -> None:
    """The container's process again, as a kubelet starts a new instance: the old log becomes
    the previous one, the status says running with one restart more, events as at the start."""
    log = Path(rec["log"])
    log.replace(log.with_name(f"{container}.previous.log"))
    rec["pid"] = Cluster(run_dir).spawn_in_netns(
        rec["netns"], f"{ns}.{pod}.{container}", rec["argv"], env=rec["env"])
    started = now()
    rec["started"] = started.isoformat()
    path = f"/api/v1/namespaces/{ns}/pods/{pod}"
    obj = api.get(path)
    obj["status"] = kubelet.restarted_status(obj, container, at=started)
    obj = api.put(f"{path}/status", obj)
    for event in kubelet.container_started(obj, container, started):
        api.post(f"/api/v1/namespaces/{ns}/events", event)


def unload_bundle(
    bundle: str | os.PathLike,
    run_dir: str | os.PathLike = DEFAULT_RUN,
    *,
    api: Api | None = None,
    context: str = "setup",
) -> list[str]:
    """Delete the bundle's namespaces and everything in them (no namespace controller runs, so
    this empties each namespace itself and then finalizes it)."""
    run_dir = Path(run_dir)
    api = api or Api.from_kubeconfig(run_dir / "kubeconfig", context)
    gone = []
    for ns in bundle_namespaces(Path(bundle)):
        delete_namespace(api, ns)
        Cluster(run_dir).release_pod_netns(f"{ns}/")  # and the pods' network namespaces
        gone.append(ns)
    return gone


def delete_namespace(api: Api, ns: str) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        "gracePeriodSeconds": 0,
        "propagationPolicy": "Background",
    }
    collections = [
        "/api/v1/namespaces/{ns}/pods",
        "/api/v1/namespaces/{ns}/events",
        "/api/v1/namespaces/{ns}/configmaps",
        "/api/v1/namespaces/{ns}/secrets",
        "/api/v1/namespaces/{ns}/serviceaccounts",
        "/apis/apps/v1/namespaces/{ns}/deployments",
        "/apis/apps/v1/namespaces/{ns}/replicasets",
        "/apis/apps/v1/namespaces/{ns}/statefulsets",
        "/apis/apps/v1/namespaces/{ns}/daemonsets",
        "/apis/kwok.x-k8s.io/v1alpha1/namespaces/{ns}/logs",
        "/apis/kwok.x-k8s.io/v1alpha1/namespaces/{ns}/execs",
        "/apis/kwok.x-k8s.io/v1alpha1/namespaces/{ns}/portforwards",
        # Dapr's resources (404 without its CRDs): no namespace controller would delete them,
        # and a reload would meet them again (409 on create)
        "/apis/dapr.io/v1alpha1/namespaces/{ns}/components",
        "/apis/dapr.io/v2alpha1/namespaces/{ns}/subscriptions",
    ]
    try:
        api.get(f"/api/v1/namespaces/{ns}")
    except ApiError as e:
        if e.code == 404:
            return
        raise
    for c in collections:
        try:
            api.request("DELETE", c.format(ns=ns), body)
        except ApiError as e:
            if e.code not in (404, 405):
                raise
    # services have no deletecollection
    for svc in api.get(f"/api/v1/namespaces/{ns}/services")["items"]:
        api.delete(f"/api/v1/namespaces/{ns}/services/{svc['metadata']['name']}")
    try:
        api.delete(f"/api/v1/namespaces/{ns}")
        nsobj = api.get(f"/api/v1/namespaces/{ns}")
        nsobj["spec"]["finalizers"] = []
        api.put(f"/api/v1/namespaces/{ns}/finalize", nsobj)
    except ApiError as e:
        if e.code != 404:
            raise
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            api.get(f"/api/v1/namespaces/{ns}")
        except ApiError as e:
            if e.code == 404:
                return
            raise
        time.sleep(0.2)
    raise RuntimeError(f"namespace {ns} still exists 30s after deletion")


def add_port_forward(
    api: Api, ns: str, pod: str, ports: list[int] | None, address: str, target_port: int
) -> dict:
    """Make `kubectl port-forward pod/<pod> <port>` reach address:target_port on this machine."""
    return Loader(api, os.environ.get("KUBECTL_TRIAGE_E2E_RUN", DEFAULT_RUN)).put_kwok(
        "portforwards",
        ns,
        pod,
        {
            "forwards": [
                {
                    **({"ports": ports} if ports else {}),
                    "target": {"address": address, "port": target_port},
                }
            ]
        },
    )


# ---------------------------------------------------------------------------- scale bundles


def write_scale_bundle(
    out: Path,
    *,
    namespace: str = "scale",
    deployments: int = 100,
    pods: int = 2,
    log_lines: int = 200,
    node: str = "kwok-node-0",
    start: str = "2026-11-28T10:00:00Z",
) -> Path:
    """A synthetic bundle: N deployments x M pods x 2 containers (app + daprd), each with a log."""
    t0 = parse_time(start)
    assert t0
    d = out / namespace
    d.mkdir(parents=True, exist_ok=True)
    deps, rss, podl = [], [], []
    for i in range(deployments):
        app = f"svc-{i:03d}"
        h = f"{(i * 2654435761) % 16**10:010x}"[:10]
        labels = {"app": app, "pod-template-hash": h}
        tmpl = {
            "metadata": {
                "labels": labels,
                "annotations": {
                    "dapr.io/enabled": "true",
                    "dapr.io/app-id": app,
                    "dapr.io/app-port": "8000",
                },
            },
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": f"example.invalid/{app}:1.0",
                        "ports": [{"containerPort": 8000}],
                    },
                    {"name": "daprd", "image": "example.invalid/daprd:1.14"},
                ]
            },
        }
        deps.append(
            {
                "metadata": {"name": app, "namespace": namespace, "labels": {"app": app}},
                "spec": {
                    "replicas": pods,
                    "selector": {"matchLabels": {"app": app}},
                    "template": {**copy.deepcopy(tmpl), "metadata": {"labels": {"app": app}}},
                },
            }
        )
        rss.append(
            {
                "metadata": {
                    "name": f"{app}-{h}",
                    "namespace": namespace,
                    "labels": labels,
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "Deployment",
                            "name": app,
                            "uid": "0",
                            "controller": True,
                        }
                    ],
                },
                "spec": {"replicas": pods, "selector": {"matchLabels": labels}, "template": tmpl},
            }
        )
        for j in range(pods):
            pname = f"{app}-{h}-{j:05d}"
            podl.append(
                {
                    "metadata": {
                        "name": pname,
                        "namespace": namespace,
                        "labels": labels,
                        "annotations": tmpl["metadata"]["annotations"],
                        "ownerReferences": [
                            {
                                "apiVersion": "apps/v1",
                                "kind": "ReplicaSet",
                                "name": f"{app}-{h}",
                                "uid": "0",
                                "controller": True,
                            }
                        ],
                    },
                    "spec": {"nodeName": node, **copy.deepcopy(tmpl["spec"])},
                }
            )
            pd = d / pname
            pd.mkdir(exist_ok=True)
            for c in ("app", "daprd"):
                with open(pd / f"{c}.log", "w") as f:
                    for k in range(log_lines):
                        ts = rfc3339(t0 + dt.timedelta(milliseconds=250 * k + j))
                        lvl = "ERROR" if k % 50 == 49 else "INFO"
                        f.write(f"{ts} {lvl} {c} {pname} request {k} handled in {k % 97} ms\n")
    for fname, kind, items in (
        ("deployments.json", "DeploymentList", deps),
        ("replicasets.json", "ReplicaSetList", rss),
        ("pods.json", "PodList", podl),
    ):
        (d / fname).write_text(json.dumps({"kind": kind, "apiVersion": "v1", "items": items}))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="scenario.py", description="Load a bundle into the e2e test cluster."
    )
    sub = p.add_subparsers(dest="verb", required=True)
    for verb in ("load", "unload"):
        s = sub.add_parser(verb)
        s.add_argument("bundle")
        s.add_argument("--run", default=DEFAULT_RUN)
        s.add_argument("--context", default="setup")
        if verb == "load":
            s.add_argument(
                "--node", help="put every scheduled pod on this (kwok) node instead of its own"
            )
            s.add_argument(
                "--keep",
                action="store_true",
                help="do not delete the bundle's namespaces first (fails on objects that exist)",
            )
            s.add_argument(
                "--standins",
                help="YAML file: pods that get a network namespace and stand-in HTTP servers",
            )
    s = sub.add_parser("scale", help="write a synthetic scale bundle (and load it with --load)")
    s.add_argument("out")
    s.add_argument("--namespace", default="scale")
    s.add_argument("--deployments", type=int, default=100)
    s.add_argument("--pods", type=int, default=2)
    s.add_argument("--log-lines", type=int, default=200)
    s.add_argument("--node", default="kwok-node-0")
    s.add_argument("--load", action="store_true")
    s.add_argument("--run", default=DEFAULT_RUN)
    a = p.parse_args(argv)
    if a.verb == "load":
        r = load_bundle(
            a.bundle,
            a.run,
            context=a.context,
            node=a.node,
            replace=not a.keep,
            standins=a.standins,
        )
        print(
            json.dumps(
                {
                    "namespaces": r.namespaces,
                    "created": r.counts,
                    "nodes_created": r.nodes_created,
                    "renamed_events": r.renamed_events,
                    "seconds": r.seconds,
                },
                indent=2,
            )
        )
    elif a.verb == "unload":
        print(json.dumps({"deleted_namespaces": unload_bundle(a.bundle, a.run, context=a.context)}))
    elif a.verb == "scale":
        t0 = time.monotonic()
        out = write_scale_bundle(
            Path(a.out),
            namespace=a.namespace,
            deployments=a.deployments,
            pods=a.pods,
            log_lines=a.log_lines,
            node=a.node,
        )
        print(f"wrote {out} in {time.monotonic() - t0:.1f}s", file=sys.stderr)
        if a.load:
            r = load_bundle(out, a.run)
            print(
                json.dumps(
                    {"namespaces": r.namespaces, "created": r.counts, "seconds": r.seconds},
                    indent=2,
                )
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
