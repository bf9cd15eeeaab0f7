"""tests/cluster/processes.py and crilog.py without a cluster: daprd's flags from a pod's
annotations, the hosts lines from Services, a program's output as CRI log lines."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

CLUSTER = Path(__file__).resolve().parent / "cluster"
sys.path.insert(0, str(CLUSTER))

import processes  # noqa: E402


def _pod(annotations: dict, labels: dict | None = None, ns: str = "orders") -> dict:
    return {"metadata": {"name": "notify-1", "namespace": ns, "annotations": annotations,
                         "labels": labels or {}},
            "spec": {"containers": [{"name": "app", "env": [
                {"name": "DAPR_HTTP_PORT", "value": "3500"},
                {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}]}}


def test_daprd_flags_follow_the_injector_and_the_annotations():
    pod = _pod({"dapr.io/app-id": "notify", "dapr.io/app-port": "8000",
                "dapr.io/log-as-json": "true", "dapr.io/enable-api-logging": "true"})
    argv = processes.daprd_argv(Path("/bin/daprd"), pod, config=Path("/c.yaml"),
                                resources=Path("/res"))
    flags = dict(zip(argv[1::2], argv[2::2], strict=False))
    assert flags["--app-id"] == "notify" and flags["--app-port"] == "8000"
    assert flags["--dapr-listen-addresses"] == "[::1],127.0.0.1"
    assert flags["--mode"] == "standalone" and flags["--resources-path"] == "/res"
    assert "--log-as-json" in argv and "--enable-api-logging=true" in argv


def test_daprd_without_app_port_or_metrics_gets_neither_flag():
    pod = _pod({"dapr.io/app-id": "worker", "dapr.io/enable-metrics": "false"})
    argv = processes.daprd_argv(Path("/bin/daprd"), pod, config=Path("/c"), resources=Path("/r"))
    assert "--app-port" not in argv and "--enable-metrics" not in argv
    assert not any(a.startswith("--enable-api-logging") for a in argv)


def test_a_container_gets_its_literal_env_only():
    assert processes.container_env(_pod({}), "app") == {"DAPR_HTTP_PORT": "3500"}


def test_hosts_lines_name_each_service_that_selects_a_pod_with_an_address():
    def svc(name: str, selector: dict) -> dict:
        return {"metadata": {"name": name, "namespace": "orders"}, "spec": {"selector": selector}}

    services = [svc("redis", {"app": "redis"}), svc("db", {"app": "db"}), svc("ext", {})]
    pods = [(_pod({}, {"app": "redis"}), "198.18.7.2"), (_pod({}, {"app": "db"}, "other"), "x")]
    assert processes.service_hosts(services, pods) == [
        "198.18.7.2\tredis redis.orders redis.orders.svc redis.orders.svc.cluster.local"]


def test_crilog_writes_stdout_and_stderr_as_cri_lines(tmp_path):
    log = tmp_path / "c.log"
    code = subprocess.run(
        [sys.executable, str(CLUSTER / "crilog.py"), "--log", str(log), "--", sys.executable,
         "-c", "import sys; print('out 1'); sys.stdout.flush(); print('err 1', file=sys.stderr);"
         " sys.exit(3)"], capture_output=True, timeout=30).returncode
    assert code == 3
    lines = sorted(log.read_text().splitlines(), key=lambda x: x.split(" ", 1)[1])
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z"
    assert [re.sub(stamp, "T", line) for line in lines] == ["T stderr F err 1", "T stdout F out 1"]
