"""Kubeconfig resolution as kubectl does it, and connection errors as one line each."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from kubectl_triage.errors import ConfigError
from kubectl_triage.kube.config import ConnectOptions, resolve
from tests.helpers import alias_bomb, run


def _kubeconfig(
    path: Path,
    *,
    current: str,
    contexts: dict[str, str],
    server: str,
    ca: str | None = None,
    namespace: str | None = None,
) -> Path:
    cluster = {"server": server}
    if ca:
        cluster["certificate-authority"] = ca
    else:
        cluster["insecure-skip-tls-verify"] = True
    data = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": current,
        "clusters": [{"name": f"c-{name}", "cluster": cluster} for name in contexts],
        "users": [
            {"name": f"u-{name}", "user": {"token": token}} for name, token in contexts.items()
        ],
        "contexts": [
            {
                "name": name,
                "context": {
                    "cluster": f"c-{name}",
                    "user": f"u-{name}",
                    **({"namespace": namespace} if namespace else {}),
                },
            }
            for name in contexts
        ],
    }
    path.write_text(yaml.safe_dump(data))
    return path


def test_first_kubeconfig_file_current_context_wins(tmp_path):
    first = _kubeconfig(
        tmp_path / "a",
        current="alpha",
        contexts={"alpha": "t1"},
        server="https://127.0.0.1:6443",
        namespace="shop",
    )
    second = _kubeconfig(
        tmp_path / "b", current="beta", contexts={"beta": "t2"}, server="https://127.0.0.1:7443"
    )
    resolved = resolve(ConnectOptions(env={"KUBECONFIG": f"{first}:{second}"}))
    assert resolved.context == "alpha"
    assert resolved.namespace == "shop"
    assert resolved.configuration.host == "https://127.0.0.1:6443"
    other = resolve(ConnectOptions(context="beta", env={"KUBECONFIG": f"{first}:{second}"}))
    assert other.configuration.host == "https://127.0.0.1:7443"
    assert other.namespace == "default"


def test_kubeconfig_is_never_written_back(tmp_path):
    path = _kubeconfig(
        tmp_path / "cfg", current="a", contexts={"a": "tok"}, server="https://127.0.0.1:6443"
    )
    before = path.read_bytes()
    resolve(ConnectOptions(kubeconfig=str(path), token="override"))
    assert path.read_bytes() == before


def test_relative_certificate_paths_resolve_against_the_kubeconfig(tmp_path):
    (tmp_path / "ca.crt").write_text("not used before a request")
    path = _kubeconfig(
        tmp_path / "cfg",
        current="a",
        contexts={"a": "tok"},
        server="https://127.0.0.1:6443",
        ca="ca.crt",
    )
    resolved = resolve(ConnectOptions(kubeconfig=str(path)))
    assert resolved.configuration.ssl_ca_cert == str(tmp_path / "ca.crt")


@pytest.mark.parametrize(
    "options, message",
    [
        (lambda p: ConnectOptions(kubeconfig=str(p / "missing")), "no such file or directory"),
        (
            lambda p: ConnectOptions(kubeconfig=str(p / "cfg"), context="nope"),
            'context "nope" does not exist',
        ),
        (lambda p: ConnectOptions(env={"HOME": str(p / "home")}), "no kubeconfig found"),
    ],
)
def test_config_errors_are_one_line(tmp_path, options, message):
    _kubeconfig(tmp_path / "cfg", current="a", contexts={"a": "t"}, server="https://127.0.0.1:1")
    with pytest.raises(ConfigError) as info:
        resolve(options(tmp_path))
    assert message in info.value.message and "\n" not in info.value.message


def test_invalid_yaml_kubeconfig_is_a_clear_error(tmp_path):
    bad = tmp_path / "cfg"
    bad.write_text("clusters: [unclosed\n")
    result = run("--kubeconfig", str(bad), "status")
    assert result.code == 1
    assert result.stderr == f"error: kubeconfig {bad} is not valid YAML\n"


def test_refused_connection_is_one_line_exit_1(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = _kubeconfig(
        tmp_path / "cfg", current="a", contexts={"a": "t"}, server=f"https://127.0.0.1:{port}"
    )
    result = run("--kubeconfig", str(path), "status", "-n", "shop")
    assert result.code == 1
    assert result.stderr == (
        f"error: The connection to the server 127.0.0.1:{port} was refused "
        "- did you specify the right host or port?\n"
    )
    assert result.stdout == ""


def test_silent_server_times_out_with_request_timeout(tmp_path):
    with socket.socket() as listener:  # accepts, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        path = _kubeconfig(
            tmp_path / "cfg", current="a", contexts={"a": "t"}, server=f"https://127.0.0.1:{port}"
        )
        result = run("--kubeconfig", str(path), "--request-timeout", "1s", "events")
    assert result.code == 1
    assert "timed out" in result.stderr and result.stderr.count("\n") == 1


def test_kubeconfig_alias_bomb_is_refused_in_one_short_line(tmp_path):
    bomb = tmp_path / "cfg"
    bomb.write_text(alias_bomb("clusters"))
    result = run("--kubeconfig", str(bomb), "status")
    assert result.code == 1
    assert result.stderr == f"error: kubeconfig {bomb} refused: its aliases expand to more " \
        "than 1000000 values (an alias bomb)\n"
