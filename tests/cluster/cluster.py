#!/usr/bin/env python3
"""The end-to-end test cluster: etcd + kube-apiserver + kwok as plain processes on loopback.

    python3 tests/cluster/cluster.py up      [--run DIR] [--nodes N] [--no-build]
    python3 tests/cluster/cluster.py down    [--run DIR] [--purge]
    python3 tests/cluster/cluster.py status  [--run DIR]
    python3 tests/cluster/cluster.py env     [--run DIR]     # shell exports: KUBECONFIG, PATH, ...

`tests/cluster/up` and `tests/cluster/down` call the first two.

The run directory (default ${KUBECTL_TRIAGE_E2E_RUN:-/tmp/kubectl-triage-e2e}) holds the
certificates, tokens, logs of each component (etcd.log, kube-apiserver.log, kwok.log), the
audit log (audit.log, one JSON event per request at Metadata level), the kubeconfig
(contexts `admin`, `viewer`, `setup`) and state.json (ports, pids, binaries).

Python 3.10+, standard library plus PyYAML (for the kwok CRD files).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_RUN = os.environ.get("KUBECTL_TRIAGE_E2E_RUN", "/tmp/kubectl-triage-e2e")
DEFAULT_CACHE = os.environ.get(
    "KUBECTL_TRIAGE_E2E_CACHE", str(Path.home() / ".cache" / "kubectl-triage" / "e2e")
)
# The address every component listens on. Nothing here listens on, or sends to, anything else.
LOOPBACK = "127.0.0.1"
# Pod IPs kwok hands out. Loopback addresses: the apiserver's pod proxy refuses them ("address
# not allowed"), so no pod-proxy request can leave this machine.
POD_CIDR = "127.1.0.0/16"
SERVICE_CIDR = "10.96.0.0/16"  # only written into Service objects; no kube-proxy, no traffic
FROZEN_ANNOTATION = "e2e.kubectl-triage.io/frozen-status"
COMPONENTS = ("etcd", "kube-apiserver", "kwok")  # start order; stopped in reverse
# Pods that must answer through the apiserver's pod proxy get an address in a network namespace
# of their own, on a bridge of this cluster: 198.18.X.0/24 (RFC 2544's benchmarking range, never
# routed to another host: an `unreachable` route covers the whole /15 while the cluster is up).
NETNS_RANGE = "198.18.0.0/15"
# Commands that `kubectl exec` runs inside the pod's network namespace (kwok/netns-shim).
SHIMMED_COMMANDS = ("curl", "wget", "python3", "python", "sh", "bash", "env", "cat", "nc", "ip")


# Popen objects of the processes this Python process started: kept so that they are not
# garbage-collected while running (ResourceWarning), and reaped by `down` (no zombies).
_CHILDREN: dict[int, subprocess.Popen] = {}


def _reap(pid: int) -> None:
    proc = _CHILDREN.pop(pid, None)
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


class ClusterError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- versions, binaries


def read_versions() -> dict[str, str]:
    out = {}
    for line in (HERE / "versions.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    for k in ("K8S_VERSION", "ETCD_VERSION", "KWOK_VERSION"):
        if os.environ.get(k):
            out[k] = os.environ[k]
    return out


def bin_dir() -> Path:
    v = read_versions()
    pin = f"k8s-{v['K8S_VERSION']}_etcd-{v['ETCD_VERSION']}_kwok-{v['KWOK_VERSION']}"
    return Path(DEFAULT_CACHE) / pin / "bin"


def ensure_binaries(build: bool) -> Path:
    bdir = bin_dir()
    missing = [b for b in ("etcd", "kube-apiserver", "kwok", "kubectl") if not (bdir / b).exists()]
    if missing and build:
        log(
            f"binaries missing ({', '.join(missing)}): running build.sh (cold: ~6.5 min on 2 cores)"
        )
        subprocess.run(["bash", str(HERE / "build.sh")], check=True, stdout=sys.stderr)
        missing = [
            b for b in ("etcd", "kube-apiserver", "kwok", "kubectl") if not (bdir / b).exists()
        ]
    if missing:
        raise ClusterError(
            f"missing binaries in {bdir}: {', '.join(missing)}; run tests/cluster/build.sh"
        )
    return bdir


# ---------------------------------------------------------------------------- small API client


class ApiError(RuntimeError):
    def __init__(self, code: int, body: str, method: str, path: str):
        self.code = code
        self.body = body
        try:
            self.status = json.loads(body)
        except ValueError:
            self.status = {}
        msg = self.status.get("message") or body[:300]
        super().__init__(f"{method} {path}: HTTP {code}: {msg}")

    @property
    def reason(self) -> str:
        return self.status.get("reason", "")


class Api:
    """Just enough of a Kubernetes REST client: bearer token, our CA, JSON in and out."""

    def __init__(
        self,
        server: str,
        token: str,
        ca_file: str | None = None,
        ca_data: bytes | None = None,
        timeout: float = 30,
    ):
        self.server = server.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.ctx = ssl.create_default_context()
        if ca_file:
            self.ctx.load_verify_locations(cafile=ca_file)
        if ca_data:
            self.ctx.load_verify_locations(cadata=ca_data.decode())

    @classmethod
    def from_kubeconfig(cls, path: str | os.PathLike, context: str | None = None) -> Api:
        import yaml  # our kubeconfig is YAML-compatible JSON, but users may hand us any kubeconfig

        cfg = yaml.safe_load(Path(path).read_text())
        ctx_name = context or cfg.get("current-context")
        ctx = next(c["context"] for c in cfg["contexts"] if c["name"] == ctx_name)
        cluster = next(c["cluster"] for c in cfg["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in cfg["users"] if u["name"] == ctx["user"])
        ca_data = cluster.get("certificate-authority-data")
        return cls(
            cluster["server"],
            user["token"],
            ca_file=cluster.get("certificate-authority"),
            ca_data=base64.b64decode(ca_data) if ca_data else None,
        )

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict | None = None,
        content_type: str = "application/json",
        raw: bool = False,
        timeout: float | None = None,
    ):
        url = self.server + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(
                req, context=self.ctx, timeout=timeout or self.timeout
            ) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as e:
            raise ApiError(e.code, e.read().decode(errors="replace"), method, path) from None
        if raw:
            return payload
        return json.loads(payload) if payload else None

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path: str, body: Any, *, kind: str = "merge", **kw):
        ct = {
            "merge": "application/merge-patch+json",
            "strategic": "application/strategic-merge-patch+json",
            "json": "application/json-patch+json",
        }[kind]
        return self.request("PATCH", path, body, content_type=ct, **kw)

    def delete(self, path: str, **kw):
        return self.request("DELETE", path, **kw)

    def create_or_get(self, path: str, body: dict) -> dict:
        """POST body to the collection `path`; if it exists already, return the existing object."""
        try:
            return self.post(path, body)
        except ApiError as e:
            if e.code != 409:
                raise
            return self.get(f"{path}/{body['metadata']['name']}")


# ---------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def tail(path: Path, n: int = 40) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"(no {path})"
    return "\n".join(lines[-n:])


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def pid_is(pid: int, exe: str) -> bool:
    """True if pid runs the binary exe (so a recycled pid is never killed)."""
    try:
        return os.path.realpath(f"/proc/{pid}/exe").removesuffix(" (deleted)") == os.path.realpath(
            exe
        )
    except OSError:
        return False


def netns_capable() -> bool:
    """Pod network namespaces need root and iproute2 (`ip`)."""
    return os.geteuid() == 0 and shutil.which("ip") is not None


def _delete_netns(ns: str) -> None:
    """Kill what still runs in a network namespace we made (`ip netns pids`), then delete it."""
    r = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
    for p in r.stdout.split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(p), signal.SIGKILL)
    subprocess.run(["ip", "netns", "delete", ns], capture_output=True)
    # its hosts and resolv.conf (processes.write_netns_etc), mounted over /etc by ip netns exec
    shutil.rmtree(Path("/etc/netns") / ns, ignore_errors=True)


def make_certs(pki: Path) -> None:
    pki.mkdir(parents=True, exist_ok=True)
    o = "openssl"
    run(
        [
            o,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(pki / "ca.key"),
            "-out",
            str(pki / "ca.crt"),
            "-days",
            "3650",
            "-subj",
            "/CN=kubectl-triage-e2e-ca",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
        ]
    )
    (pki / "apiserver.ext").write_text(
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
        "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1\n"
    )
    run(
        [
            o,
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(pki / "apiserver.key"),
            "-out",
            str(pki / "apiserver.csr"),
            "-subj",
            "/CN=kube-apiserver",
        ]
    )
    run(
        [
            o,
            "x509",
            "-req",
            "-in",
            str(pki / "apiserver.csr"),
            "-CA",
            str(pki / "ca.crt"),
            "-CAkey",
            str(pki / "ca.key"),
            "-CAcreateserial",
            "-out",
            str(pki / "apiserver.crt"),
            "-days",
            "3650",
            "-extfile",
            str(pki / "apiserver.ext"),
        ]
    )
    run([o, "genrsa", "-out", str(pki / "sa.key"), "2048"])
    run([o, "rsa", "-in", str(pki / "sa.key"), "-pubout", "-out", str(pki / "sa.pub")])


def kubeconfig(server: str, ca_pem: bytes, users: dict[str, str], current: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "kubectl-triage-e2e",
                "cluster": {
                    "server": server,
                    "certificate-authority-data": base64.b64encode(ca_pem).decode(),
                },
            }
        ],
        "users": [{"name": name, "user": {"token": tok}} for name, tok in users.items()],
        "contexts": [
            {"name": name, "context": {"cluster": "kubectl-triage-e2e", "user": name}}
            for name in users
        ],
        "current-context": current,
    }


def aggregate_cluster_roles(api: Api) -> list[str]:
    """Do once what kube-controller-manager's clusterrole-aggregation controller does: fill the
    rules of every ClusterRole with an aggregationRule from the ClusterRoles its selectors match
    (aggregated ones included: `edit` takes `view`'s rules, `admin` takes `edit`'s). Call it again
    after creating ClusterRoles labelled rbac.authorization.k8s.io/aggregate-to-view (etc.)."""
    roles = {
        r["metadata"]["name"]: r
        for r in api.get("/apis/rbac.authorization.k8s.io/v1/clusterroles")["items"]
    }
    original = {n: list(r.get("rules") or []) for n, r in roles.items()}
    for _ in range(10):  # to a fixed point: view -> edit -> admin
        changed = False
        for name, role in roles.items():
            rule = role.get("aggregationRule")
            if not rule:
                continue
            rules: list[dict] = []
            for sel in rule.get("clusterRoleSelectors") or []:
                want = sel.get("matchLabels") or {}
                for oname in sorted(roles):
                    other = roles[oname]
                    labels = other["metadata"].get("labels") or {}
                    if oname != name and all(labels.get(k) == v for k, v in want.items()):
                        rules += [r for r in other.get("rules") or [] if r not in rules]
            if rules != (role.get("rules") or []):
                role["rules"] = rules
                changed = True
        if not changed:
            break
    done = []
    for name, role in roles.items():
        if role.get("aggregationRule") and role.get("rules") != original[name]:
            api.put(f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}", role)
            done.append(name)
    return done


# ---------------------------------------------------------------------------- the cluster


class Cluster:
    def __init__(self, run_dir: str | os.PathLike = DEFAULT_RUN):
        self.run = Path(run_dir).resolve()
        self.state_file = self.run / "state.json"

    # state ---------------------------------------------------------------
    def state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def save(self, state: dict) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.state_file)

    @property
    def kubeconfig(self) -> Path:
        return self.run / "kubeconfig"

    def api(self, context: str = "setup") -> Api:
        return Api.from_kubeconfig(self.kubeconfig, context)

    def env(self) -> dict[str, str]:
        st = self.state()
        return {
            "KUBECONFIG": str(self.kubeconfig),
            "PATH": f"{st.get('bin', bin_dir())}:{os.environ.get('PATH', '')}",
            "KUBECACHEDIR": str(self.run / "kubecache"),
            "KUBECTL_TRIAGE_E2E_KUBECONFIG": str(self.kubeconfig),
            "KUBECTL_TRIAGE_E2E_RUN": str(self.run),
        }

    # processes -----------------------------------------------------------
    def _spawn(self, st: dict, name: str, argv: list[str], env: dict | None = None) -> None:
        with open(self.run / f"{name}.log", "ab") as logf:
            proc = subprocess.Popen(
                argv,
                stdout=logf,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.run,
                env=env,
                start_new_session=True,  # not killed with the caller's process group
            )
        _CHILDREN[proc.pid] = proc
        st.setdefault("pids", {})[name] = proc.pid
        st.setdefault("exes", {})[name] = argv[0]
        st.setdefault("argvs", {})[name] = argv
        self.save(st)
        (self.run / f"{name}.pid").write_text(f"{proc.pid}\n")
        log(f"started {name} (pid {proc.pid}), log {self.run / (name + '.log')}")

    @staticmethod
    def _argv(st: dict, name: str) -> list[str]:
        return list(st.get("argvs", {}).get(name) or [])

    def _fail(self, name: str, what: str) -> None:
        logf = self.run / f"{name}.log"
        msg = f"{name}: {what}\n--- last lines of {logf} ---\n{tail(logf)}"
        raise ClusterError(msg)

    def _wait(self, st: dict, name: str, check, what: str, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        last_err: Exception | None = None
        while time.monotonic() < deadline:
            pid = st["pids"].get(name)
            if pid and not pid_alive(pid):
                self._fail(name, f"exited while waiting for {what}")
            try:
                res = check()
                if res:
                    return res
            except Exception as e:  # noqa: BLE001 - retried until the deadline
                last_err = e
            time.sleep(0.2)
        self._fail(
            name, f"timed out after {timeout:.0f}s waiting for {what} (last error: {last_err})"
        )

    # up ------------------------------------------------------------------
    def up(self, nodes: int = 2, build: bool = True) -> dict:
        t0 = time.monotonic()
        bdir = ensure_binaries(build)
        if self.state().get("pids"):
            log(f"a previous cluster state exists in {self.run}: stopping it first")
            self.down()
        if self.run.exists():
            shutil.rmtree(self.run)
        self.run.mkdir(parents=True)
        for d in ("pki", "etcd", "logs", "kwok-home", "kubecache", "exec"):
            (self.run / d).mkdir()
        v = read_versions()
        st: dict[str, Any] = {
            "run": str(self.run),
            "bin": str(bdir),
            "versions": v,
            "pids": {},
            "netns": [],
            "pod_cidr": POD_CIDR,
            "started": time.time(),
        }
        self.save(st)
        try:
            self._up(st, bdir, nodes)
        except BaseException:
            try:
                self.down()
            except Exception as e:  # noqa: BLE001
                log(f"cleanup after failed start: {e}")
            raise
        st["up_seconds"] = round(time.monotonic() - t0, 1)
        self.save(st)
        (self.run / "env.sh").write_text(
            "".join(f"export {k}={v!r}\n".replace("'", '"') for k, v in self.env().items())
        )
        log(
            f"cluster up in {st['up_seconds']} s: kubeconfig {self.kubeconfig} "
            "(contexts admin, viewer, setup)"
        )
        return st

    def _up(self, st: dict, bdir: Path, nodes: int) -> None:
        run_dir = self.run
        pki = run_dir / "pki"
        make_certs(pki)
        ports = {
            "etcd": free_port(),
            "etcd_peer": free_port(),
            "apiserver": free_port(),
            "kwok": free_port(),
        }
        st["ports"] = ports
        tokens = {name: secrets.token_hex(16) for name in ("admin", "viewer", "setup", "kwok")}
        st["tokens"] = tokens
        (run_dir / "tokens.csv").write_text(
            f'{tokens["admin"]},admin,uid-admin,"system:masters"\n'
            f"{tokens['viewer']},viewer,uid-viewer\n"
            f'{tokens["setup"]},e2e-setup,uid-e2e-setup,"system:masters"\n'
            f'{tokens["kwok"]},kwok,uid-kwok,"system:masters"\n'
        )
        (run_dir / "audit-policy.yaml").write_text(
            "apiVersion: audit.k8s.io/v1\nkind: Policy\n"
            "# one event per request (RequestReceived omitted), every request at Metadata level\n"
            "omitStages: [RequestReceived]\nrules:\n- level: Metadata\n"
        )
        self.save(st)

        # etcd ---------------------------------------------------------------
        eurl = f"http://{LOOPBACK}:{ports['etcd']}"
        purl = f"http://{LOOPBACK}:{ports['etcd_peer']}"
        self._spawn(
            st,
            "etcd",
            [
                str(bdir / "etcd"),
                "--name=e2e",
                f"--data-dir={run_dir / 'etcd'}",
                f"--listen-client-urls={eurl}",
                f"--advertise-client-urls={eurl}",
                f"--listen-peer-urls={purl}",
                f"--initial-advertise-peer-urls={purl}",
                f"--initial-cluster=e2e={purl}",
                "--initial-cluster-state=new",
                "--unsafe-no-fsync=true",
                "--log-level=warn",
                "--quota-backend-bytes=4294967296",
            ],
        )
        self._wait(
            st,
            "etcd",
            lambda: (
                json.loads(urllib.request.urlopen(eurl + "/health", timeout=2).read()).get("health")
                == "true"
            ),
            "etcd /health",
            30,
        )

        # kube-apiserver -------------------------------------------------------
        server = f"https://{LOOPBACK}:{ports['apiserver']}"
        st["server"] = server
        self._spawn(
            st,
            "kube-apiserver",
            [
                str(bdir / "kube-apiserver"),
                f"--etcd-servers={eurl}",
                f"--bind-address={LOOPBACK}",
                f"--advertise-address={LOOPBACK}",
                f"--secure-port={ports['apiserver']}",
                f"--cert-dir={pki}",
                f"--tls-cert-file={pki / 'apiserver.crt'}",
                f"--tls-private-key-file={pki / 'apiserver.key'}",
                f"--client-ca-file={pki / 'ca.crt'}",
                f"--token-auth-file={run_dir / 'tokens.csv'}",
                f"--service-account-issuer={server}",
                f"--service-account-key-file={pki / 'sa.pub'}",
                f"--service-account-signing-key-file={pki / 'sa.key'}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--authorization-mode=Node,RBAC",
                "--kubelet-preferred-address-types=InternalIP",
                # no kube-controller-manager: nobody would create the `default` ServiceAccounts
                "--disable-admission-plugins=ServiceAccount",
                # the apiserver would write Endpoints 127.0.0.1 for the `kubernetes` Service,
                # which Endpoints validation refuses; nothing needs them here
                "--endpoint-reconciler-type=none",
                # events of a loaded scenario must outlive a long test session (default 1h)
                "--event-ttl=168h",
                "--allow-privileged=true",
                "--profiling=false",
                f"--audit-policy-file={run_dir / 'audit-policy.yaml'}",
                f"--audit-log-path={run_dir / 'audit.log'}",
                "--audit-log-maxsize=0",
                "--audit-log-format=json",
                "--v=1",
            ],
        )
        setup = Api(server, tokens["setup"], ca_file=str(pki / "ca.crt"), timeout=5)
        self._wait(
            st,
            "kube-apiserver",
            lambda: setup.get("/readyz", raw=True) == b"ok",
            "/readyz to answer ok",
            120,
        )
        self._wait(
            st,
            "kube-apiserver",
            lambda: setup.get("/apis/rbac.authorization.k8s.io/v1/clusterroles/view"),
            "the bootstrap ClusterRole view",
            60,
        )
        setup.timeout = 30

        # kubeconfigs ------------------------------------------------------------
        ca_pem = (pki / "ca.crt").read_bytes()
        kc = kubeconfig(
            server,
            ca_pem,
            {"admin": tokens["admin"], "viewer": tokens["viewer"], "setup": tokens["setup"]},
            "admin",
        )
        self.kubeconfig.write_text(json.dumps(kc, indent=2))
        self.kubeconfig.chmod(0o600)
        kwok_kc = run_dir / "kwok.kubeconfig"
        kwok_kc.write_text(
            json.dumps(kubeconfig(server, ca_pem, {"kwok": tokens["kwok"]}, "kwok"), indent=2)
        )

        # RBAC for the viewer ------------------------------------------------------
        # `view`, `edit` and `admin` are aggregated ClusterRoles: their rules are filled by the
        # clusterrole-aggregation controller of kube-controller-manager, which does not run here.
        aggregate_cluster_roles(setup)
        setup.create_or_get(
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": "e2e-viewer-view"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "view",
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "viewer"}
                ],
            },
        )

        # kwok's CRDs (Logs, Exec, PortForward and their Cluster* forms) -------------------
        import yaml

        crd_names = []
        for f in sorted((HERE / "kwok" / "crds").glob("*.yaml")):
            for doc in yaml.safe_load_all(f.read_text()):
                if doc:
                    setup.create_or_get(
                        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", doc
                    )
                    crd_names.append(doc["metadata"]["name"])

        def crds_established():
            for n in crd_names:
                conds = (
                    setup.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{n}")
                    .get("status", {})
                    .get("conditions", [])
                )
                if not any(c["type"] == "Established" and c["status"] == "True" for c in conds):
                    return False
            return True

        self._wait(st, "kube-apiserver", crds_established, "kwok's CRDs to be established", 60)

        # nodes ----------------------------------------------------------------------
        node_names = [f"kwok-node-{i}" for i in range(nodes)]
        for n in node_names:
            self.create_node(setup, n)

        # kwok ---------------------------------------------------------------------
        stages = "\n---\n".join(
            f.read_text() for f in sorted((HERE / "kwok" / "stages").glob("*.yaml"))
        )
        (run_dir / "kwok.yaml").write_text(stages)
        # A clean environment: `kubectl exec` runs commands in kwok's environment, which must
        # not hand out the CI's or the developer's variables.
        # Its PATH starts with the netns shims: `kubectl exec POD -- curl ...` then runs curl in
        # the pod's network namespace when the pod has one (see netns-shim).
        shims = run_dir / "shims"
        shims.mkdir()
        for cmd in SHIMMED_COMMANDS:
            (shims / cmd).symlink_to(HERE / "kwok" / "netns-shim")
        kwok_env = {
            "PATH": f"{shims}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(run_dir / "kwok-home"),
            "LANG": "C.UTF-8",
        }
        kwok_argv = [
            str(bdir / "kwok"),
            f"--config={run_dir / 'kwok.yaml'}",
            f"--kubeconfig={kwok_kc}",
            "--manage-all-nodes=true",
            f"--node-ip={LOOPBACK}",
            f"--node-port={ports['kwok']}",
            f"--server-address={LOOPBACK}:{ports['kwok']}",
            f"--cidr={POD_CIDR}",
            "--enable-crds=Logs,ClusterLogs,Exec,ClusterExec,PortForward,ClusterPortForward",
        ]

        def kwok_healthy():
            ctx = ssl._create_unverified_context()  # kwok's own self-signed test certificate
            return (
                urllib.request.urlopen(
                    f"https://{LOOPBACK}:{ports['kwok']}/healthz", context=ctx, timeout=2
                )
                .read()
                .strip()
                == b"ok"
            )

        # kwok v0.8.0 has a start-up race (two goroutines fill an unguarded map of the easycel
        # package: "fatal error: concurrent map writes" from InstallMetrics, a few starts in ten
        # here). It is over once the server answers, so start it again if it dies before that.
        for attempt in range(1, 4):
            self._spawn(st, "kwok", kwok_argv, env=kwok_env)
            try:
                self._wait(st, "kwok", kwok_healthy, "kwok's /healthz", 60)
                break
            except ClusterError:
                pid = st["pids"]["kwok"]
                if attempt == 3 or pid_alive(pid):
                    raise
                crashed = run_dir / f"kwok.crash{attempt}.log"
                (run_dir / "kwok.log").rename(crashed)
                log(
                    f"kwok died while starting (attempt {attempt}, log kept in {crashed}): "
                    "starting it again"
                )
        self._wait(
            st, "kwok", lambda: self.nodes_ready(setup, node_names), "nodes to become Ready", 60
        )
        st["nodes"] = node_names
        self.save(st)

    @staticmethod
    def create_node(api: Api, name: str, labels: dict | None = None) -> dict:
        return api.create_or_get(
            "/api/v1/nodes",
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "annotations": {
                        "kwok.x-k8s.io/node": "fake",
                        "node.alpha.kubernetes.io/ttl": "0",
                    },
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        "type": "kwok",
                        **(labels or {}),
                    },
                },
            },
        )

    @staticmethod
    def nodes_ready(api: Api, names: list[str]) -> bool:
        items = {n["metadata"]["name"]: n for n in api.get("/api/v1/nodes")["items"]}
        for name in names:
            conds = items.get(name, {}).get("status", {}).get("conditions", [])
            if not any(c["type"] == "Ready" and c["status"] == "True" for c in conds):
                return False
        return True

    # pod network namespaces -------------------------------------------------
    def _net_names(self) -> tuple[str, str, int]:
        """(name prefix, bridge name, third octet) for this run directory."""
        h = hashlib.sha1(str(self.run).encode()).hexdigest()
        return f"kt{h[:4]}", f"kt{h[:4]}br", int(h[4:8], 16) % 250 + 1

    def add_pod_netns(self, label: str = "") -> dict:
        """A network namespace with one veth on this cluster's bridge: {"netns", "ip", "gateway"}.

        The apiserver reaches the address through the bridge; nothing else is routed."""
        st = self.state()
        prefix, bridge, octet = self._net_names()
        gw = f"198.18.{octet}.1"
        if not st.get("bridge"):
            cmds = [
                ["ip", "link", "add", bridge, "type", "bridge"],
                ["ip", "addr", "add", f"{gw}/24", "dev", bridge],
                ["ip", "link", "set", bridge, "up"],
            ]
            for c in cmds:
                run(c)
            st["bridge"] = bridge
            self.save(st)
            r = subprocess.run(
                ["ip", "route", "add", "unreachable", NETNS_RANGE], capture_output=True, text=True
            )
            if r.returncode == 0:
                st["unreachable_route"] = NETNS_RANGE
                self.save(st)
        i = st.get("netns_next", 2)
        if i > 254:
            raise ClusterError("no more pod network namespaces (253 per cluster)")
        st["netns_next"] = i + 1
        ns, host, peer = f"{prefix}-{i}", f"{prefix}h{i}", f"{prefix}p{i}"
        ip = f"198.18.{octet}.{i}"
        st.setdefault("netns", []).append(ns)
        st.setdefault("netns_labels", {})[ns] = label
        self.save(st)
        for c in [
            ["ip", "netns", "add", ns],
            ["ip", "link", "add", host, "type", "veth", "peer", "name", peer],
            ["ip", "link", "set", host, "master", bridge],
            ["ip", "link", "set", host, "up"],
            ["ip", "link", "set", peer, "netns", ns],
            ["ip", "-n", ns, "link", "set", peer, "name", "eth0"],
            ["ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", "eth0"],
            ["ip", "-n", ns, "link", "set", "eth0", "up"],
            ["ip", "-n", ns, "link", "set", "lo", "up"],
            ["ip", "-n", ns, "route", "add", "default", "via", gw],
        ]:
            run(c)
        return {"netns": ns, "ip": ip, "gateway": gw, "label": label}

    def release_pod_netns(self, label_prefix: str) -> list[str]:
        """Stop what runs in, and delete, the namespaces whose label starts with label_prefix."""
        st = self.state()
        gone = [
            n for n, lbl in (st.get("netns_labels") or {}).items() if lbl.startswith(label_prefix)
        ]
        for n in gone:
            _delete_netns(n)
            st["netns"] = [x for x in st.get("netns", []) if x != n]
            st["netns_labels"].pop(n, None)
        for e in st.get("extra_pids", []):
            if e.get("netns") in gone:
                _reap(e["pid"])
        st["extra_pids"] = [e for e in st.get("extra_pids", []) if e.get("netns") not in gone]
        self.save(st)
        return gone

    def spawn_in_netns(
        self, netns: str, name: str, argv: list[str], *, env: dict[str, str] | None = None
    ) -> int:
        """Start a helper (a stand-in server, a container's process) in a pod's network
        namespace, with this environment (default: ours); `down` stops it."""
        logf_path = self.run / "standins" / f"{name}.log"
        logf_path.parent.mkdir(exist_ok=True)
        with open(logf_path, "ab") as logf:
            proc = subprocess.Popen(
                ["ip", "netns", "exec", netns, *argv],
                stdout=logf,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.run,
                start_new_session=True,
                env=env,
            )
        _CHILDREN[proc.pid] = proc
        st = self.state()
        st.setdefault("extra_pids", []).append({"pid": proc.pid, "name": name, "netns": netns})
        self.save(st)
        return proc.pid

    # down ----------------------------------------------------------------
    # fault injection ------------------------------------------------------
    def start_toxiproxy(self) -> str:
        """Toxiproxy's API (http://127.0.0.1:PORT) of this cluster, started on first use.
        Its proxies are made by the caller (fixtures.Toxiproxy); everything on loopback."""
        st = self.state()
        pid = st.get("pids", {}).get("toxiproxy")
        if pid and pid_alive(pid):
            return f"http://{LOOPBACK}:{st['ports']['toxiproxy']}"
        exe = Path(st["bin"]) / "toxiproxy-server"
        if not exe.exists():
            raise ClusterError(f"no {exe}: run tests/cluster/build.sh")
        port = free_port()
        st["ports"]["toxiproxy"] = port
        # its default level logs every write of every connection (MBs per test)
        self._spawn(
            st, "toxiproxy", [str(exe), "-host", LOOPBACK, "-port", str(port)],
            env={**os.environ, "LOG_LEVEL": "info"},
        )
        url = f"http://{LOOPBACK}:{port}"
        self._wait(
            st, "toxiproxy", lambda: urllib.request.urlopen(url + "/version", timeout=2).read(),
            "toxiproxy's /version", 20,
        )
        return url

    def start_apiserver(
        self, name: str, extra_args: tuple[str, ...] = (), *, port: int = 0
    ) -> str:
        """Another kube-apiserver on the same etcd, certificates and tokens (its own port,
        audit log `<name>.audit.log`); its URL. Stopped by `down`, or by stop_component."""
        st = self.state()
        port = port or free_port()
        first = self._argv(st, "kube-apiserver")
        if not first:
            raise ClusterError("this cluster was started before start_apiserver: restart it")
        argv = [a for a in first if not a.startswith(("--secure-port=", "--audit-log-path="))]
        argv += [
            f"--secure-port={port}",
            f"--audit-log-path={self.run / (name + '.audit.log')}",
            *extra_args,
        ]
        st["ports"][name] = port
        self._spawn(st, name, argv)
        server = f"https://{LOOPBACK}:{port}"
        api = Api(server, st["tokens"]["setup"], ca_file=str(self.run / "pki" / "ca.crt"),
                  timeout=5)
        self._wait(st, name, lambda: api.get("/readyz", raw=True) == b"ok", "/readyz", 120)
        return server

    def stop_component(self, name: str, *, sig: int = signal.SIGTERM) -> None:
        """Signal one process this cluster started (a second apiserver, toxiproxy; SIGTERM
        by default) and wait for it to end (15 s, then SIGKILL)."""
        st = self.state()
        pid = st.get("pids", {}).pop(name, None)
        if not pid:
            return
        if pid_alive(pid) and pid_is(pid, st.get("exes", {}).get(name, "")):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            deadline = time.monotonic() + 15
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            with contextlib.suppress(ProcessLookupError):
                if pid_alive(pid):
                    os.kill(pid, signal.SIGKILL)
        _reap(pid)
        self.save(st)

    def down(self, purge: bool = False) -> None:
        st = self.state()
        pids = st.get("pids", {})
        exes = st.get("exes", {})
        # started after `up` (toxiproxy, a second apiserver): stopped first
        extras = [n for n in pids if n not in COMPONENTS]
        for name in [*extras, *reversed(COMPONENTS)]:
            pid = pids.get(name)
            if not pid:
                continue
            if pid_alive(pid) and pid_is(pid, exes.get(name, "")):
                log(f"stopping {name} (pid {pid})")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + 15
                while pid_alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
                if pid_alive(pid):
                    log(f"{name} did not stop on SIGTERM: SIGKILL")
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            _reap(pid)
            pids.pop(name, None)
        for extra in st.get("extra_pids", []):  # stand-in servers a scenario started
            pid = extra["pid"]
            # each one leads its own session (start_new_session): its process group is its own
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if pid_alive(pid) and os.getpgid(pid) == pid:
                    os.killpg(pid, signal.SIGTERM)
        for ns in st.get("netns", []):
            _delete_netns(ns)
        for extra in st.get("extra_pids", []):
            _reap(extra["pid"])
        if st.get("bridge"):
            subprocess.run(["ip", "link", "delete", st["bridge"]], capture_output=True)
        if st.get("unreachable_route"):
            subprocess.run(
                ["ip", "route", "del", "unreachable", st["unreachable_route"]], capture_output=True
            )
        if st:
            st["pids"] = {}
            st["extra_pids"] = []
            st["netns"] = []
            st["netns_labels"] = {}
            st["bridge"] = ""
            st["unreachable_route"] = ""
            st["netns_next"] = 2
            self.save(st)
        if purge and self.run.exists():
            shutil.rmtree(self.run)
        log(f"down ({self.run})")

    # status --------------------------------------------------------------
    def status(self) -> dict:
        st = self.state()
        out = {"run": str(self.run), "components": {}}
        for name in COMPONENTS:
            pid = st.get("pids", {}).get(name)
            out["components"][name] = {"pid": pid, "alive": bool(pid and pid_alive(pid))}
        out["healthy"] = False
        if all(c["alive"] for c in out["components"].values()) and self.kubeconfig.exists():
            try:
                out["healthy"] = self.api("setup").get("/readyz", raw=True, timeout=5) == b"ok"
            except Exception as e:  # noqa: BLE001
                out["error"] = str(e)
        return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="cluster.py", description=__doc__.split("\n\n")[0])
    p.add_argument("verb", choices=["up", "down", "status", "env"])
    p.add_argument("--run", default=DEFAULT_RUN, help="run directory (default %(default)s)")
    p.add_argument("--nodes", type=int, default=2, help="number of kwok nodes (up)")
    p.add_argument("--no-build", action="store_true", help="fail instead of running build.sh (up)")
    p.add_argument("--purge", action="store_true", help="also remove the run directory (down)")
    a = p.parse_args(argv)
    c = Cluster(a.run)
    try:
        if a.verb == "up":
            c.up(nodes=a.nodes, build=not a.no_build)
            print(c.kubeconfig)
        elif a.verb == "down":
            c.down(purge=a.purge)
        elif a.verb == "status":
            s = c.status()
            print(json.dumps(s, indent=2))
            return 0 if s["healthy"] else 1
        elif a.verb == "env":
            for k, v in c.env().items():
                print(f"export {k}='{v}'")
    except ClusterError as e:
        print(f"cluster {a.verb} failed: {e}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as e:
        print(
            f"cluster {a.verb} failed: {' '.join(map(str, e.cmd))}: exit {e.returncode}\n"
            f"{e.stderr or ''}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
