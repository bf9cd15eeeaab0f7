"""pytest fixtures for the end-to-end test cluster (etcd + kube-apiserver + kwok).

Use from any conftest.py:

    import sys, pathlib
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "cluster"))
    from fixtures import *  # noqa: F401,F403  -> e2e_cluster, e2e_kubectl, tiny_scenario

`e2e_cluster` (session scope) is one cluster per pytest process, however many conftests import
it. It reuses a running cluster when KUBECTL_TRIAGE_E2E_KUBECONFIG points at one (and then
never stops it); otherwise it starts one in $KUBECTL_TRIAGE_E2E_RUN, by default in
/tmp/kubectl-triage-e2e-pytest-<pid> (its own: a cluster started by hand with tests/cluster/up
in /tmp/kubectl-triage-e2e, or another pytest session, is left alone), building the binaries
first if they are not cached (unless KUBECTL_TRIAGE_E2E_BUILD=0, which skips the e2e tests
instead). It stops it at the end of the session (unless KUBECTL_TRIAGE_E2E_KEEP=1) and removes
the run directory, except after a failed test: then its logs and audit log are kept.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import cluster as _cluster  # noqa: E402
import scenario as _scenario  # noqa: E402

TESTDATA = HERE / "testdata"
# The hand-written taskflow incident (tools/make_demo.py, docs/handwritten-incident.md): what the
# e2e tests load to compare live answers with a bundle's. The shipped demo is recorded from the
# live incident instead (tools/record_demo.py; tests/cluster/taskflow_live.py runs it).
HANDWRITTEN_BUNDLE = HERE.parents[1] / "tests" / "data" / "handwritten-demo"

__all__ = [
    "e2e_cluster",
    "e2e_kubectl",
    "tiny_scenario",
    "handwritten_scenario",
    "e2e_toxiproxy",
    "faulty_api",
    "ClusterHandle",
    "FaultyApi",
    "Toxiproxy",
    "HANDWRITTEN_BUNDLE",
    "pytest_configure",
]


@dataclass
class ClusterHandle:
    """A running test cluster, as tests see it."""

    run: Path
    kubeconfig: Path
    bin: Path
    owned: bool  # started by this pytest process (and so stopped by it)
    loaded: dict[str, Any] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)  # namespace -> key of its bundle

    @property
    def env(self) -> dict[str, str]:
        """Environment for subprocesses: the pinned kubectl first on PATH, our kubeconfig, a
        discovery cache of this run (a reused port would otherwise serve stale discovery)."""
        env = dict(os.environ)
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["KUBECONFIG"] = str(self.kubeconfig)
        env["KUBECACHEDIR"] = str(self.run / "kubecache")
        env["KUBECTL_TRIAGE_E2E_KUBECONFIG"] = str(self.kubeconfig)
        env["KUBECTL_TRIAGE_E2E_RUN"] = str(self.run)
        return env

    @property
    def kubectl_path(self) -> Path:
        return self.bin / "kubectl"

    @property
    def audit_log(self) -> Path:
        return self.run / "audit.log"

    def kubectl(
        self,
        *args: str,
        context: str = "admin",
        check: bool = True,
        timeout: float = 60,
        input: str | None = None,
    ) -> subprocess.CompletedProcess:
        """Run the pinned kubectl against this cluster; text stdout/stderr captured."""
        cmd = [
            str(self.kubectl_path),
            "--kubeconfig",
            str(self.kubeconfig),
            "--context",
            context,
            *args,
        ]
        p = subprocess.run(
            cmd, env=self.env, capture_output=True, text=True, timeout=timeout, input=input
        )
        if check and p.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd[1:])} exited {p.returncode}\n"
                f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}"
            )
        return p

    def api(self, context: str = "setup") -> _cluster.Api:
        return _cluster.Api.from_kubeconfig(self.kubeconfig, context)

    def load(
        self, bundle: str | os.PathLike, standins: str | os.PathLike | None = None, **kw
    ) -> _scenario.LoadResult:
        """Load a bundle (with its stand-in servers file, if given) once per session: a second
        call with the same arguments returns the first result. Stand-ins need root and
        iproute2 (see has_pod_network); without them the bundle is loaded without stand-ins."""
        if standins and not self.has_pod_network:
            standins = None
        key = f"{Path(bundle).resolve()}|{standins and Path(standins).resolve()}"
        return self._once(key, bundle, lambda: _scenario.load_bundle(
            bundle, self.run, standins=standins, **kw))

    def load_with(self, bundle: str | os.PathLike, standins: list[dict], *,
                  key: str) -> _scenario.LoadResult:
        """Like load, with stand-ins given as a list (built by the caller); once per key."""
        cache_key = f"{Path(bundle).resolve()}|{key}"
        return self._once(cache_key, bundle, lambda: _scenario.load_bundle(
            bundle, self.run, standins=standins))

    def _once(self, key: str, bundle: str | os.PathLike, load) -> _scenario.LoadResult:
        """Load unless this key's result still stands: a bundle loaded later into one of
        its namespaces replaced it (the real taskflow incident and the demo share `taskflow`),
        and the next test that asks for it gets it loaded again."""
        namespaces = _scenario.bundle_namespaces(Path(bundle))
        if key not in self.loaded or any(self.owners.get(ns) != key for ns in namespaces):
            self.loaded[key] = load()
            self.owners.update({ns: key for ns in namespaces})
        return self.loaded[key]

    def require_real_dapr(self) -> None:
        """Skip without pod network namespaces; fail, never skip, when real daprd or
        redis-server is missing, since scripts/test builds and installs both."""
        if not self.has_pod_network:
            pytest.skip("pod network namespaces need root and iproute2")
        missing = []
        if not (self.bin / "daprd").exists():
            missing.append(f"no daprd in {self.bin}: run tests/cluster/build.sh")
        if shutil.which("redis-server") is None:
            missing.append("redis-server is not installed: run scripts/test, which installs it "
                           "(or apt-get install redis-server)")
        if missing:
            pytest.fail("; ".join(missing), pytrace=False)

    @property
    def has_pod_network(self) -> bool:
        """Pods can get network namespaces (pod proxy, exec and port-forward to stand-ins)."""
        return _cluster.netns_capable()

    def audit_events(self, user: str | None = None) -> list[dict]:
        """Events of the audit log so far (one per request at Metadata level, plus a
        ResponseStarted one for long-running requests), optionally only those of `user`
        (admin, viewer, e2e-setup = the scenario loader, kwok, system:apiserver, ...)."""
        out = []
        with open(self.audit_log, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    ev = json.loads(line)
                    if user is None or ev.get("user", {}).get("username") == user:
                        out.append(ev)
        return out

    def write_kubeconfig(
        self, path: str | os.PathLike, *, server: str | None = None, token: str | None = None
    ) -> Path:
        """A copy of the kubeconfig with every context's server and/or token replaced: for
        "unreachable server" (server=f"https://127.0.0.1:{closed_port}") and "bad token" tests."""
        cfg = json.loads(self.kubeconfig.read_text())
        for c in cfg["clusters"]:
            if server:
                c["cluster"]["server"] = server
        for u in cfg["users"]:
            if token:
                u["user"]["token"] = token
        path = Path(path)
        path.write_text(json.dumps(cfg, indent=2))
        path.chmod(0o600)
        return path


_HANDLE: ClusterHandle | None = None


def _start(request: pytest.FixtureRequest) -> ClusterHandle:
    config = request.config
    global _HANDLE
    if _HANDLE is not None:
        return _HANDLE
    reuse = os.environ.get("KUBECTL_TRIAGE_E2E_KUBECONFIG")
    if reuse:
        kc = Path(reuse).resolve()
        c = _cluster.Cluster(kc.parent)
        st = c.status()
        if not st.get("healthy"):
            pytest.fail(
                f"KUBECTL_TRIAGE_E2E_KUBECONFIG={reuse}: that cluster is not healthy: {st}",
                pytrace=False,
            )
        _HANDLE = ClusterHandle(
            run=kc.parent,
            kubeconfig=kc,
            bin=Path(c.state().get("bin") or _cluster.bin_dir()),
            owned=False,
        )
        return _HANDLE
    build = os.environ.get("KUBECTL_TRIAGE_E2E_BUILD", "1") != "0"
    if not build:
        missing = [
            b
            for b in ("etcd", "kube-apiserver", "kwok", "kubectl")
            if not (_cluster.bin_dir() / b).exists()
        ]
        if missing:
            pytest.skip(
                f"e2e binaries not built ({', '.join(missing)}) and KUBECTL_TRIAGE_E2E_BUILD=0"
            )
    # Its own run directory, so that two pytest sessions (or a session and a cluster started by
    # hand with tests/cluster/up) on one machine never stop each other's cluster.
    run_dir = (
        os.environ.get("KUBECTL_TRIAGE_E2E_RUN") or f"{_cluster.DEFAULT_RUN}-pytest-{os.getpid()}"
    )
    c = _cluster.Cluster(run_dir)
    try:
        c.up(build=build)
    except _cluster.ClusterError as e:
        pytest.fail(f"could not start the e2e cluster: {e}", pytrace=False)
    _HANDLE = ClusterHandle(
        run=c.run, kubeconfig=c.kubeconfig, bin=Path(c.state()["bin"]), owned=True
    )
    if os.environ.get("KUBECTL_TRIAGE_E2E_KEEP") != "1":

        def stop() -> None:
            # keep the logs and the audit log of a session with failures; else remove them
            failed = request.session.testsfailed > 0
            c.down(purge=not failed)
            if failed:
                print(f"\ne2e cluster logs kept in {c.run}", file=sys.stderr)

        config.add_cleanup(stop)
    return _HANDLE


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: needs the real test cluster (tests/cluster; slow on a cold cache)"
    )


@pytest.fixture(scope="session")
def e2e_cluster(request: pytest.FixtureRequest) -> ClusterHandle:
    """The running test cluster (started once per session, or reused; see the module doc)."""
    return _start(request)


@pytest.fixture(scope="session")
def e2e_kubectl(e2e_cluster: ClusterHandle):
    """kubectl(*args, context='admin', check=True) -> CompletedProcess, with the pinned kubectl."""
    return e2e_cluster.kubectl


# Module scope: a fixture asks the handle again in each module, so a scenario that another
# bundle replaced in its namespace (ClusterHandle._once) is loaded again before it is used.
@pytest.fixture(scope="module")
def tiny_scenario(e2e_cluster: ClusterHandle) -> _scenario.LoadResult:
    """tests/cluster/testdata/tiny loaded (namespace `shop`), with the stand-in servers of
    testdata/tiny-standins.yaml on the web pods when this machine allows network namespaces."""
    return e2e_cluster.load(TESTDATA / "tiny", standins=TESTDATA / "tiny-standins.yaml")


@pytest.fixture(scope="module")
def handwritten_scenario(e2e_cluster: ClusterHandle) -> _scenario.LoadResult:
    """The hand-written incident bundle (tests/data/handwritten-demo, namespace `taskflow`)."""
    if not (HANDWRITTEN_BUNDLE / "taskflow" / "pods.json").exists():
        pytest.fail(f"no hand-written bundle at {HANDWRITTEN_BUNDLE}", pytrace=False)
    # The pods answer what the bundle's probes.json recorded (OpenAPI, /dapr/subscribe, daprd
    # metadata) when this machine allows pod network namespaces.
    if e2e_cluster.has_pod_network:
        standins = _scenario.standins_from_probes(HANDWRITTEN_BUNDLE)
        return e2e_cluster.load_with(HANDWRITTEN_BUNDLE, standins, key="probes")
    return e2e_cluster.load(HANDWRITTEN_BUNDLE)


# ---------------------------------------------------------------------------- fault injection


class Toxiproxy:
    """Toxiproxy's HTTP API (https://github.com/Shopify/toxiproxy#http-api), loopback only.

        tp.add("kube-apiserver", "latency", {"latency": 2000})      # ms, on the answers
        tp.add("kube-apiserver", "bandwidth", {"rate": 10})          # KB/s
        tp.add("kube-apiserver", "limit_data", {"bytes": 60000})     # close after N bytes
        tp.add("kube-apiserver", "reset_peer", {"timeout": 0})       # TCP RST
        tp.add("kube-apiserver", "timeout", {"timeout": 0})          # blackhole, never closes
        tp.remove("kube-apiserver", "latency_downstream"); tp.reset()
    """

    def __init__(self, url: str) -> None:
        assert url.startswith("http://127.0.0.1:"), url  # nothing but loopback
        self.url = url

    def call(self, method: str, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else None

    def proxy(self, name: str, upstream: str) -> str:
        """A proxy on a free loopback port in front of `upstream` (host:port); its address."""
        with contextlib.suppress(urllib.error.HTTPError):
            self.call("DELETE", f"/proxies/{name}")
        listen = f"127.0.0.1:{_cluster.free_port()}"
        self.call("POST", "/proxies", {"name": name, "listen": listen, "upstream": upstream,
                                       "enabled": True})
        return listen

    def add(self, proxy: str, kind: str, attributes: dict, *, stream: str = "downstream",
            name: str | None = None) -> str:
        """A toxic on the proxy (`downstream`: on the server's answers); its name."""
        name = name or f"{kind}_{stream}"
        self.call("POST", f"/proxies/{proxy}/toxics", {
            "name": name, "type": kind, "stream": stream, "toxicity": 1.0,
            "attributes": attributes,
        })
        return name

    def remove(self, proxy: str, name: str) -> None:
        with contextlib.suppress(urllib.error.HTTPError):  # already gone: fine
            self.call("DELETE", f"/proxies/{proxy}/toxics/{name}")

    def reset(self) -> None:
        """Every toxic removed, every proxy enabled."""
        self.call("POST", "/reset")


@dataclass
class FaultyApi:
    """The cluster's API server behind toxiproxy: `kubeconfig` names the proxy (contexts
    admin, viewer, setup as the cluster's); `toxics` adds and removes faults on `proxy`."""

    cluster: ClusterHandle
    toxics: Toxiproxy
    proxy: str
    kubeconfig: Path
    upstream: str  # host:port of the API server behind the proxy


def faulty_kubeconfig(cluster: ClusterHandle, toxics: Toxiproxy, *, name: str,
                      upstream: str) -> FaultyApi:
    listen = toxics.proxy(name, upstream)
    kubeconfig = cluster.write_kubeconfig(cluster.run / f"{name}.proxy.kubeconfig",
                                          server=f"https://{listen}")
    return FaultyApi(cluster, toxics, name, kubeconfig, upstream)


def start_toxiproxy(cluster: ClusterHandle) -> Toxiproxy:
    """Toxiproxy of this cluster (built if missing, started once; stopped by `down`)."""
    if not (cluster.bin / "toxiproxy-server").exists():
        subprocess.run(["bash", str(HERE / "build.sh")], check=True, stdout=sys.stderr)
    try:
        return Toxiproxy(_cluster.Cluster(cluster.run).start_toxiproxy())
    except _cluster.ClusterError as e:
        pytest.fail(f"could not start toxiproxy: {e}", pytrace=False)


@pytest.fixture(scope="session")
def e2e_toxiproxy(e2e_cluster: ClusterHandle) -> Iterator[Toxiproxy]:
    toxics = start_toxiproxy(e2e_cluster)
    yield toxics
    # a reused cluster is not ours to leave a process in
    _cluster.Cluster(e2e_cluster.run).stop_component("toxiproxy")


@pytest.fixture
def faulty_api(e2e_cluster: ClusterHandle, e2e_toxiproxy: Toxiproxy) -> Iterator[FaultyApi]:
    """The cluster's kube-apiserver behind a toxiproxy proxy, no toxic yet; every toxic is
    removed after the test."""
    server = json.loads(e2e_cluster.kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    api = faulty_kubeconfig(e2e_cluster, e2e_toxiproxy, name="kube-apiserver",
                            upstream=server.removeprefix("https://"))
    yield api
    e2e_toxiproxy.reset()
