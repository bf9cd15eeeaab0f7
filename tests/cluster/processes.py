"""Real programs as pod containers' processes, in the pod's network namespace.

A stand-in entry of scenario.py (see README: "Real processes: daprd, redis, an app") may say

    daprd: true                      # the pod's `daprd` container runs the real daprd
    processes:                       # any other container runs a command of its own
      redis: {command: [redis-server, --port, "6379", ...], ports: [6379]}
      app: {command: ["{python}", -m, uvicorn, ...], cwd: "{here}/apps/x", env: {K: V},
            ports: [8000]}

Each process runs under crilog.py, so its stdout and stderr are that container's CRI log
(`kubectl logs POD -c CONTAINER` serves what it printed). Its environment is what a kubelet
gives: PATH, HOME and the container's literal `env` values (plus the entry's `env`).
Placeholders in commands, cwd and env: {python} (this interpreter), {here} (tests/cluster),
{workdir} (the container's own directory under <run>/containers/), {pod_ip}.

daprd runs in standalone mode with the flags the sidecar injector would give it from the
pod's `dapr.io/*` annotations; its API listens on localhost only, as injected, and
`--resources-path` holds the namespace's Component and Subscription objects as the API
server has them (daprd applies their scopes itself). Service invocation between sidecars
resolves app ids through the sqlite name resolver on one file of the run; pods resolve
Service names through /etc/netns/NETNS/hosts (which `ip netns exec` mounts as /etc/hosts),
written from the Services that select pods with a network namespace: no DNS runs here.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The ports of an injected daprd (pkg/injector/patcher defaults of 1.14).
DAPR_HTTP_PORT, DAPR_GRPC_PORT, DAPR_INTERNAL_PORT = 3500, 50001, 50002
DAPR_PUBLIC_PORT, DAPR_METRICS_PORT = 3501, 9090
# The injector's default --dapr-listen-addresses: the Dapr API is not on the pod IP, so the
# API server's pod proxy cannot reach it; port-forward (and the app beside it) can.
DAPR_LISTEN = "[::1],127.0.0.1"
LOCALHOST_ONLY = (DAPR_HTTP_PORT, DAPR_GRPC_PORT)


class ProcessError(RuntimeError):
    pass


def expand(value: str, names: dict[str, str]) -> str:
    for key, sub in names.items():
        value = value.replace("{" + key + "}", sub)
    return value


def container_env(pod: dict, container: str) -> dict[str, str]:
    """The container's literal env values, as a kubelet sets them (valueFrom left out)."""
    for c in pod.get("spec", {}).get("containers") or []:
        if c.get("name") == container:
            env = c.get("env") or []
            return {e["name"]: e.get("value", "") for e in env if "valueFrom" not in e}
    return {}


def base_env(home: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"}


# ---------------------------------------------------------------------------- daprd


def daprd_argv(binary: Path, pod: dict, *, config: Path, resources: Path) -> list[str]:
    """daprd's flags as pkg/injector/patcher/sidecar_container.go writes them, but
    `--mode standalone` with a local config and resources folder instead of the operator."""
    ann = pod["metadata"].get("annotations") or {}
    app_id = ann.get("dapr.io/app-id") or pod["metadata"]["name"]
    argv = [
        str(binary),
        "--dapr-http-port", str(DAPR_HTTP_PORT),
        "--dapr-grpc-port", str(DAPR_GRPC_PORT),
        "--dapr-internal-grpc-port", str(DAPR_INTERNAL_PORT),
        "--dapr-listen-addresses", ann.get("dapr.io/sidecar-listen-addresses", DAPR_LISTEN),
        "--dapr-public-port", str(DAPR_PUBLIC_PORT),
        "--app-id", app_id,
        "--app-protocol", ann.get("dapr.io/app-protocol", "http"),
        "--log-level", ann.get("dapr.io/log-level", "info"),
        "--mode", "standalone",
        "--config", str(config),
        "--resources-path", str(resources),
    ]
    if ann.get("dapr.io/app-port", "").isdigit():
        argv += ["--app-port", ann["dapr.io/app-port"]]
    if ann.get("dapr.io/enable-metrics", "true") == "true":
        argv += ["--enable-metrics", "--metrics-port",
                 ann.get("dapr.io/metrics-port", str(DAPR_METRICS_PORT))]
    if "dapr.io/enable-api-logging" in ann:
        argv.append(f"--enable-api-logging={ann['dapr.io/enable-api-logging'] == 'true'}".lower())
    if ann.get("dapr.io/log-as-json") == "true":
        argv.append("--log-as-json")
    return argv


def daprd_env(pod: dict, pod_ip: str, home: Path) -> dict[str, str]:
    """The injector's env for daprd: the pod's namespace and name, the pod IP as its host
    address (what the name resolver registers)."""
    meta = pod["metadata"]
    return {**base_env(home), "NAMESPACE": meta["namespace"], "POD_NAME": meta["name"],
            "DAPR_HOST_IP": pod_ip}


def write_resources(folder: Path, objects: list[dict]) -> list[str]:
    """One file per Component/Subscription, as the API server has it (server fields dropped);
    daprd reads YAML, and JSON is YAML."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    names = []
    for obj in objects:
        meta = obj.get("metadata") or {}
        body = {
            "apiVersion": obj["apiVersion"],
            "kind": obj["kind"],
            "metadata": {k: meta[k] for k in ("name", "namespace", "labels", "annotations")
                         if k in meta},
            **{k: v for k, v in obj.items() if k in ("spec", "scopes", "auth")},
        }
        name = f"{obj['kind'].lower()}-{meta['name']}.yaml"
        (folder / name).write_text(json.dumps(body, indent=1))
        names.append(name)
    return names


def write_config(path: Path, *, name_db: Path) -> None:
    """The sidecar's Configuration: sqlite name resolution on the run's shared file (mDNS, the
    standalone default, would multicast on the bridge)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "apiVersion": "dapr.io/v1alpha1",
        "kind": "Configuration",
        "metadata": {"name": "daprconfig"},
        "spec": {"nameResolution": {"component": "sqlite", "version": "v1",
                                    "configuration": {"connectionString": str(name_db)}}},
    }, indent=1))


def wait_daprd(pod_ip: str, log: Path, pid_alive, *, timeout: float = 40) -> None:
    """Until daprd's public /v1.0/healthz answers 204 (what the injected readiness probe asks),
    or fail with the tail of its container log."""
    url = f"http://{pod_ip}:{DAPR_PUBLIC_PORT}/v1.0/healthz"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 204:
                    return
        except (OSError, urllib.error.URLError):
            pass
        if not pid_alive() or time.monotonic() > deadline:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
            why = "exited" if not pid_alive() else f"not healthy after {timeout:.0f} s"
            raise ProcessError(f"daprd {why} ({url}); its log:\n{tail}")
        time.sleep(0.2)


# ---------------------------------------------------------------------------- hosts


def service_hosts(services: list[dict], pods: list[tuple[dict, str]]) -> list[str]:
    """/etc/hosts lines for the Services that select a pod with a network namespace:
    NAME, NAME.NS, NAME.NS.svc, NAME.NS.svc.cluster.local -> the first such pod's IP."""
    lines = []
    for svc in services:
        sel = (svc.get("spec") or {}).get("selector") or {}
        if not sel:
            continue
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        for pod, ip in pods:
            labels = pod["metadata"].get("labels") or {}
            if pod["metadata"]["namespace"] == ns and all(labels.get(k) == v
                                                          for k, v in sel.items()):
                lines.append(f"{ip}\t{name} {name}.{ns} {name}.{ns}.svc "
                             f"{name}.{ns}.svc.cluster.local")
                break
    return lines


def write_netns_etc(netns: str, *, pod_name: str, pod_ip: str, hosts: list[str]) -> Path:
    """/etc/netns/NETNS/{hosts,resolv.conf}: `ip netns exec` mounts them over /etc/. No DNS
    server answers here: resolv.conf names the namespace's own loopback, so a name not in
    hosts fails at once instead of a query leaving the namespace."""
    etc = Path("/etc/netns") / netns
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "hosts").write_text("\n".join([
        "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback",
        f"{pod_ip}\t{pod_name}", *hosts, ""]))
    (etc / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    return etc


# ---------------------------------------------------------------------------- generic


def command_of(spec: dict, names: dict[str, str]) -> list[str]:
    argv = [expand(str(a), names) for a in spec.get("command") or []]
    if not argv:
        raise ProcessError(f"process without a command: {spec}")
    if os.sep not in argv[0] and shutil.which(argv[0]) is None:
        hint = (" (scripts/test installs it: apt-get install redis-server)"
                if argv[0] == "redis-server" else "")
        raise ProcessError(f"{argv[0]} not found on PATH{hint}")
    return argv


def crilog_argv(log: Path, argv: list[str], *, cwd: str | None, hostname: str) -> list[str]:
    """crilog.py in a UTS namespace of its own, so the program's hostname is the pod's name
    (daprd logs it as `instance`, as in a pod)."""
    out = ["unshare", "--uts", sys.executable, str(HERE / "crilog.py"), "--log", str(log),
           "--hostname", hostname]
    if cwd:
        out += ["--cwd", cwd]
    return [*out, "--", *argv]
