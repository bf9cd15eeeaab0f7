"""Every kubectl connection flag the plugin accepts, compared with real kubectl on the real
test cluster: the same flags must reach the same server as the same identity.

Identity is read from the API server's audit log (user, impersonated user, groups, uid of
each request), told apart by User-Agent: kubectl's requests and ours, for the same flags,
must carry the same identities; where kubectl fails (bad token, closed port, wrong TLS
name), so must we, with exit 1.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.test_live import triage

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster(e2e_cluster, tiny_scenario):
    return e2e_cluster


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(cluster) -> dict:
    return json.loads(cluster.kubeconfig.read_text())


def _server(cluster) -> str:
    return _config(cluster)["clusters"][0]["cluster"]["server"]


def _token(cluster, user: str) -> str:
    return next(u["user"]["token"] for u in _config(cluster)["users"] if u["name"] == user)


def _identities(cluster, start: int, agent: str) -> set[tuple]:
    """(user, impersonated user, impersonated groups, impersonated uid) of the requests
    logged after line `start` whose User-Agent begins with `agent`."""
    time.sleep(0.3)  # the audit backend writes each request when it completes
    lines = cluster.audit_log.read_text(encoding="utf-8").splitlines()[start:]
    out = set()
    for line in lines:
        event = json.loads(line)
        if not event.get("userAgent", "").startswith(agent):
            continue
        imp = event.get("impersonatedUser") or {}
        out.add((
            event["user"].get("username", ""),  # none when authentication failed
            imp.get("username"),
            tuple(sorted(g for g in imp.get("groups") or () if not g.startswith("system:"))),
            imp.get("uid"),
        ))
    return out


def _both(cluster, flags: list[str], *, kubeconfig: Path | None = None,
          env: dict[str, str] | None = None, context: str | None = "admin"):
    """Run `kubectl FLAGS get pods` and `kubectl-triage FLAGS status`; return both processes
    and the identities each one's requests carried."""
    config = ["--kubeconfig", str(kubeconfig or cluster.kubeconfig)]
    ctx = ["--context", context] if context else []
    start = len(cluster.audit_log.read_text(encoding="utf-8").splitlines())
    theirs = subprocess.run(
        [str(cluster.kubectl_path), *config, *ctx, *flags, "get", "pods", "-n", "shop"],
        env={**cluster.env, **(env or {})}, capture_output=True, text=True, timeout=60,
    )
    kubectl_ids = _identities(cluster, start, "kubectl/")
    start = len(cluster.audit_log.read_text(encoding="utf-8").splitlines())
    ours = subprocess.run(
        [sys.executable, "-m", "kubectl_triage", *config, *ctx, *flags, "status", "-n",
         "shop", "-o", "json"],
        env={**cluster.env, **(env or {})}, capture_output=True, text=True, timeout=60,
    )
    return theirs, ours, kubectl_ids, _identities(cluster, start, "kubectl-triage/")


def _same_identity(cluster, flags: list[str], expected: tuple, **kw) -> None:
    theirs, ours, kubectl_ids, our_ids = _both(cluster, flags, **kw)
    assert theirs.returncode == 0, theirs.stderr
    assert ours.returncode == 0, ours.stderr
    assert kubectl_ids == {expected}, kubectl_ids
    assert our_ids == kubectl_ids


@pytest.mark.parametrize(
    "flags, expected",
    [
        ([], ("admin", None, (), None)),
        (["--token", "{viewer}"], ("viewer", None, (), None)),
        (["--user", "viewer"], ("viewer", None, (), None)),
        (["--as", "viewer"], ("admin", "viewer", (), None)),
        (["--as", "viewer", "--as-group", "team-a", "--as-group", "team-b"],
         ("admin", "viewer", ("team-a", "team-b"), None)),
        (["--as", "viewer", "--as-uid", "1234"], ("admin", "viewer", (), "1234")),
        (["--request-timeout", "5s"], ("admin", None, (), None)),
        (["--insecure-skip-tls-verify"], ("admin", None, (), None)),
        (["--certificate-authority", "{ca}"], ("admin", None, (), None)),
        (["--tls-server-name", "kubernetes"], ("admin", None, (), None)),
    ],
)
def test_flags_act_as_kubectl_does(cluster, flags, expected):
    values = {"viewer": _token(cluster, "viewer"), "ca": str(cluster.run / "pki" / "ca.crt")}
    _same_identity(cluster, [f.format(**values) for f in flags], expected)


def test_insecure_flag_prints_no_warning(cluster):
    _, ours, _, _ = _both(cluster, ["--insecure-skip-tls-verify"])
    assert ours.returncode == 0 and "Warning" not in ours.stderr, ours.stderr


def test_server_flag_reaches_that_server_not_the_kubeconfigs(cluster, tmp_path):
    # A kubeconfig whose cluster is a closed port: only --server can make either succeed.
    dead = cluster.write_kubeconfig(tmp_path / "dead", server=f"https://127.0.0.1:{_closed_port()}")
    _same_identity(cluster, ["--server", _server(cluster)], ("admin", None, (), None),
                   kubeconfig=dead)


def test_cluster_flag_picks_the_named_cluster(cluster, tmp_path):
    config = _config(cluster)
    live = config["clusters"][0]
    config["clusters"].append({"name": "dead", "cluster": {
        **live["cluster"], "server": f"https://127.0.0.1:{_closed_port()}"}})
    for ctx in config["contexts"]:
        ctx["context"]["cluster"] = "dead"
    path = tmp_path / "config"
    path.write_text(json.dumps(config))
    _same_identity(cluster, ["--cluster", live["name"]], ("admin", None, (), None),
                   kubeconfig=path)


def test_first_of_several_kubeconfig_files_sets_the_context(cluster, tmp_path):
    config = _config(cluster)
    first = {**config, "current-context": "viewer",
             "users": [u for u in config["users"] if u["name"] == "viewer"]}
    (tmp_path / "first").write_text(json.dumps(first))
    env = {"KUBECONFIG": f"{tmp_path / 'first'}:{cluster.kubeconfig}"}
    theirs, ours, kubectl_ids, our_ids = _both_env(cluster, env)
    assert theirs.returncode == 0 and ours.returncode == 0, ours.stderr
    assert kubectl_ids == our_ids == {("viewer", None, (), None)}


def _both_env(cluster, env: dict[str, str]):
    """_both without --kubeconfig and --context: KUBECONFIG decides."""
    start = len(cluster.audit_log.read_text(encoding="utf-8").splitlines())
    theirs = subprocess.run([str(cluster.kubectl_path), "get", "pods", "-n", "shop"],
                            env={**cluster.env, **env}, capture_output=True, text=True,
                            timeout=60)
    kubectl_ids = _identities(cluster, start, "kubectl/")
    start = len(cluster.audit_log.read_text(encoding="utf-8").splitlines())
    ours = subprocess.run([sys.executable, "-m", "kubectl_triage", "status", "-n", "shop"],
                          env={**cluster.env, **env}, capture_output=True, text=True,
                          timeout=60)
    return theirs, ours, kubectl_ids, _identities(cluster, start, "kubectl-triage/")


def test_exec_credential_plugin_acts_as_kubectl_does(cluster, tmp_path):
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "import json\n"
        f"print(json.dumps({{'apiVersion': 'client.authentication.k8s.io/v1beta1', "
        f"'kind': 'ExecCredential', 'status': {{'token': {_token(cluster, 'viewer')!r}}}}}))\n"
    )
    config = _config(cluster)
    config["users"].append({"name": "cloud", "user": {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1", "command": sys.executable,
        "args": [str(plugin)], "interactiveMode": "Never"}}})
    config["contexts"].append({"name": "cloud", "context": {
        "cluster": config["clusters"][0]["name"], "user": "cloud"}})
    path = tmp_path / "config"
    path.write_text(json.dumps(config))
    _same_identity(cluster, [], ("viewer", None, (), None), kubeconfig=path, context="cloud")


@pytest.mark.parametrize(
    "flags",
    [
        ["--token", "not-a-token"],
        ["--server", "https://127.0.0.1:{closed}"],
        ["--tls-server-name", "wrong.example"],
        ["--certificate-authority", "{other_ca}"],
    ],
)
def test_where_kubectl_fails_so_do_we_in_one_line(cluster, flags, tmp_path):
    other_ca = tmp_path / "other.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(tmp_path / "k"), "-out", str(other_ca), "-days", "1", "-subj",
                    "/CN=other"], check=True, capture_output=True)
    flags = [f.format(closed=_closed_port(), other_ca=other_ca) for f in flags]
    theirs, ours, _, our_ids = _both(cluster, flags)
    assert theirs.returncode == 1, theirs.stdout
    assert ours.returncode == 1, ours.stdout
    assert ours.stderr.startswith("error: ") and ours.stderr.count("\n") == 1, ours.stderr
    # Nothing was done as anyone: refused before authentication, or no request at all.
    assert not our_ids - {("", None, (), None), ("system:anonymous", None, (), None)}


def test_triage_through_kubectl_plugin_honours_token(cluster):
    """As users run it: `kubectl triage --token T` acts as T."""
    start = len(cluster.audit_log.read_text(encoding="utf-8").splitlines())
    proc = triage(cluster, "--token", _token(cluster, "viewer"), "status", "-n", "shop",
                  via_kubectl=True)
    assert proc.returncode == 0, proc.stderr
    assert _identities(cluster, start, "kubectl-triage/") == {("viewer", None, (), None)}
