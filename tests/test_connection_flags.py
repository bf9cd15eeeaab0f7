"""kubectl's connection flags reach the wire: which server is asked, with which credentials,
TLS settings and impersonation headers.

Two stand-in API servers on loopback record every request; a kubeconfig names the first
(context `a`, token `tok-a`) and the second (context `b`, token `tok-b`). Each test runs the
CLI with one flag and checks where the requests landed and what they carried. The same flags
are compared with real kubectl against the real test cluster in tests/e2e/test_connect_live.py.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tests.helpers import run


@dataclass
class Seen:
    path: str
    authorization: str | None
    impersonation: list[tuple[str, str]]


@dataclass
class StandIn:
    """An API server that answers every GET with an empty list and remembers the request."""

    url: str
    requests: list[Seen] = field(default_factory=list)


def _handler(record: list[Seen]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            record.append(
                Seen(
                    path=self.path,
                    authorization=self.headers.get("Authorization"),
                    impersonation=[
                        (name, value)
                        for name, value in self.headers.items()
                        if name.lower().startswith("impersonate-")
                    ],
                )
            )
            body = json.dumps({"kind": "List", "apiVersion": "v1", "items": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def servers(request) -> Iterator[tuple[StandIn, StandIn]]:
    started = []
    for _ in range(2):
        record: list[Seen] = []
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(record))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append((server, StandIn(f"http://127.0.0.1:{server.server_port}", record)))
    yield started[0][1], started[1][1]
    for server, _ in started:
        server.shutdown()
        server.server_close()


def _kubeconfig(path: Path, clusters: dict[str, dict], users: dict[str, dict]) -> Path:
    data = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "a",
        "clusters": [{"name": f"c-{n}", "cluster": c} for n, c in clusters.items()],
        "users": [{"name": f"u-{n}", "user": u} for n, u in users.items()],
        "contexts": [
            {"name": n, "context": {"cluster": f"c-{n}", "user": f"u-{n}"}} for n in clusters
        ],
    }
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def kubeconfig(tmp_path, servers) -> Path:
    a, b = servers
    return _kubeconfig(
        tmp_path / "config",
        {"a": {"server": a.url}, "b": {"server": b.url}},
        {"a": {"token": "tok-a"}, "b": {"token": "tok-b"}},
    )


def _status(kubeconfig: Path, *flags: str):
    return run("--kubeconfig", str(kubeconfig), *flags, "status", "-n", "shop", "-o", "json")


@pytest.mark.parametrize(
    "flags, server, token",
    [
        ((), "a", "tok-a"),
        (("--context", "b"), "b", "tok-b"),
        (("--cluster", "c-b"), "b", "tok-a"),
        (("--user", "u-b"), "a", "tok-b"),
        (("--token", "narrow"), "a", "narrow"),
        (("--context", "b", "--token", "narrow"), "b", "narrow"),
        (("--server", "{b}"), "b", "tok-a"),
        (("-s", "{b}", "--token", "narrow"), "b", "narrow"),
    ],
)
def test_requests_go_to_the_flags_server_with_the_flags_credentials(
    servers, kubeconfig, flags, server, token
):
    a, b = servers
    flags = tuple(f.format(b=b.url) for f in flags)
    result = _status(kubeconfig, *flags)
    assert result.code == 0, result.stderr
    target, other = (a, b) if server == "a" else (b, a)
    assert target.requests and not other.requests, "a request went to the other cluster"
    assert {r.authorization for r in target.requests} == {f"Bearer {token}"}


def test_repeated_as_group_is_sent_as_repeated_headers(servers, kubeconfig):
    a, _ = servers
    flags = ("--as", "alice", "--as-group", "dev", "--as-group", "ops", "--as-uid", "42")
    result = _status(kubeconfig, *flags)
    assert result.code == 0, result.stderr
    assert a.requests
    for seen in a.requests:
        assert seen.impersonation == [
            ("Impersonate-User", "alice"),
            ("Impersonate-Group", "dev"),
            ("Impersonate-Group", "ops"),
            ("Impersonate-Uid", "42"),
        ]


def _exec_plugin(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "plugin.py"
    script.write_text(textwrap.dedent(body))
    return script


def _exec_user(script: Path) -> dict:
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable,
            "args": [str(script)],
            "interactiveMode": "Never",
        }
    }


def test_exec_credential_plugin_token_is_used(tmp_path, servers):
    a, _ = servers
    script = _exec_plugin(
        tmp_path,
        """
        import json
        print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1",
                          "kind": "ExecCredential", "status": {"token": "from-plugin"}}))
        """,
    )
    config = _kubeconfig(tmp_path / "config", {"a": {"server": a.url}}, {"a": _exec_user(script)})
    result = _status(config)
    assert result.code == 0, result.stderr
    assert {r.authorization for r in a.requests} == {"Bearer from-plugin"}


def test_failing_exec_plugin_is_one_line_error_not_anonymous_requests(tmp_path, servers):
    a, _ = servers
    script = _exec_plugin(
        tmp_path,
        """
        import sys
        sys.stderr.write("token expired, run: cloud login\\n")
        sys.exit(1)
        """,
    )
    config = _kubeconfig(tmp_path / "config", {"a": {"server": a.url}}, {"a": _exec_user(script)})
    result = _status(config)
    assert result.code == 1
    assert result.stderr.startswith("error: getting credentials: exec plugin")
    assert result.stderr.count("\n") == 1
    assert not a.requests, "requests went out without credentials"


def test_token_flag_skips_the_exec_plugin(tmp_path, servers):
    a, _ = servers
    script = _exec_plugin(tmp_path, "import sys; sys.exit(1)\n")
    config = _kubeconfig(tmp_path / "config", {"a": {"server": a.url}}, {"a": _exec_user(script)})
    result = _status(config, "--token", "narrow")
    assert result.code == 0, result.stderr
    assert {r.authorization for r in a.requests} == {"Bearer narrow"}


# ---- TLS flags, against an HTTPS stand-in with a certificate for kube.test only ----------


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    """A CA and a server certificate for DNS:kube.test (not for 127.0.0.1), made by openssl."""
    d = tmp_path_factory.mktemp("pki")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.crt", "-days", "2", "-subj", "/CN=triage-test-ca")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
            "server.csr", "-subj", "/CN=kube.test")
    (d / "ext").write_text("subjectAltName=DNS:kube.test\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out",
            "other.crt", "-days", "2", "-subj", "/CN=another-ca")
    return {"ca": d / "ca.crt", "other": d / "other.crt", "crt": d / "server.crt",
            "key": d / "server.key"}


@pytest.fixture
def https(pki) -> Iterator[StandIn]:
    record: list[Seen] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(record))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["crt"], pki["key"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield StandIn(f"https://127.0.0.1:{server.server_port}", record)
    server.shutdown()
    server.server_close()


def _tls_kubeconfig(tmp_path: Path, https: StandIn, cluster: dict) -> Path:
    return _kubeconfig(
        tmp_path / "config", {"a": {"server": https.url, **cluster}}, {"a": {"token": "t"}}
    )


def _cli(*args: str) -> subprocess.CompletedProcess:
    """A real process: warnings urllib3 prints go to the real stderr."""
    env = {**os.environ, "HOME": "/nonexistent"}
    env.pop("KUBECONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "kubectl_triage", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )


def test_insecure_skip_tls_verify_connects_without_warnings(tmp_path, https, pki):
    config = _tls_kubeconfig(tmp_path, https, {"certificate-authority": str(pki["other"])})
    refused = _cli("--kubeconfig", str(config), "status", "-n", "shop")
    assert refused.returncode == 1 and "TLS" in refused.stderr
    done = _cli("--kubeconfig", str(config), "--insecure-skip-tls-verify", "status", "-n", "shop")
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "InsecureRequest" not in done.stderr
    assert https.requests


def test_certificate_authority_and_tls_server_name_flags(tmp_path, https, pki):
    config = _tls_kubeconfig(tmp_path, https, {"insecure-skip-tls-verify": True})
    base = ("--kubeconfig", str(config), "--certificate-authority", str(pki["ca"]))
    # The certificate names kube.test, not 127.0.0.1: the CA alone is not enough...
    wrong_name = run(*base, "status", "-n", "shop")
    assert wrong_name.code == 1 and "TLS" in wrong_name.stderr
    # ...and with --tls-server-name it verifies, against the flag's CA, not skipping.
    named = run(*base, "--tls-server-name", "kube.test", "status", "-n", "shop")
    assert named.code == 0, named.stderr
    other_ca = run("--kubeconfig", str(config), "--certificate-authority", str(pki["other"]),
                   "--tls-server-name", "kube.test", "status", "-n", "shop")
    assert other_ca.code == 1 and "TLS" in other_ca.stderr


def test_certificate_authority_with_insecure_flag_is_refused(tmp_path, https, pki):
    config = _tls_kubeconfig(tmp_path, https, {})
    result = run("--kubeconfig", str(config), "--insecure-skip-tls-verify",
                 "--certificate-authority", str(pki["ca"]), "status", "-n", "shop")
    assert result.code == 1
    assert result.stderr == (
        "error: specifying a root certificates file with the insecure flag is not allowed\n"
    )
    assert not https.requests


def test_a_namespace_that_is_a_path_never_reaches_the_server(servers, kubeconfig):
    a, _ = servers
    result = run("--kubeconfig", str(kubeconfig), "-n", "../../api/v1/secrets?x=", "status")
    assert result.code == 1
    assert result.stderr.startswith("error: invalid namespace '../../api/v1/secrets?x='")
    assert not a.requests
