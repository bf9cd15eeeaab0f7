"""Table output on a live cluster reads like kubectl's (issue 10): it names the context and
namespace it read, `-A` shows a NAMESPACE column over the cluster's namespaces, and `-o name`
and `-o jsonpath` print what real kubectl prints for the same pods."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.test_list_outputs import KUBECTL_SAYS, POD  # noqa: E402

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster(e2e_cluster, handwritten_scenario, tiny_scenario):
    """Two namespaces loaded: taskflow (the demo incident) and shop (the tiny scenario)."""
    return e2e_cluster


def triage(cluster, *args: str, columns: str = "200") -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "kubectl_triage", "--kubeconfig", str(cluster.kubeconfig),
           "--context", "admin", *args]
    env = {**cluster.env, "COLUMNS": columns}
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)


def test_table_output_names_the_context_and_namespace_it_read(cluster):
    out = triage(cluster, "status", "-n", "taskflow").stdout
    assert out.splitlines()[0] == "Context: admin  Namespace: taskflow"
    assert not triage(cluster, "status", "-n", "taskflow", "--no-headers").stdout.startswith(
        "Context:")
    report = json.loads(triage(cluster, "status", "-n", "taskflow", "-o", "json").stdout)
    assert (report["context"], report["namespace"], report["bundle"]) == (
        "admin", "taskflow", None)


@pytest.mark.parametrize("namespace", ["taskflow", "shop"])
def test_status_name_prints_what_kubectl_get_pods_prints(cluster, namespace):
    ours = triage(cluster, "status", "-n", namespace, "-o", "name").stdout.splitlines()
    theirs = cluster.kubectl("get", "pods", "-n", namespace, "-o", "name").stdout.splitlines()
    assert sorted(ours) == sorted(theirs) and theirs


def test_status_jsonpath_prints_the_pods_kubectl_jsonpath_prints(cluster):
    ours = triage(cluster, "status", "-n", "taskflow", "-o", "jsonpath={.pods[*].pod}").stdout
    theirs = cluster.kubectl("get", "pods", "-n", "taskflow", "-o",
                             "jsonpath={.items[*].metadata.name}").stdout
    assert sorted(ours.split(" ")) == sorted(theirs.split(" "))


def test_all_namespaces_shows_each_pods_namespace_as_kubectl_does(cluster):
    out = triage(cluster, "-A", "status").stdout
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("NAMESPACE"))
    rows = lines[header + 1 : lines.index("", header)]
    ours = {tuple(row.split()[:3:2]) for row in rows}  # (namespace, pod)
    theirs = cluster.kubectl(
        "get", "pods", "-A", "-o",
        'jsonpath={range .items[*]}{.metadata.namespace} {.metadata.name}{"\\n"}{end}',
    ).stdout
    assert ours == {tuple(line.split()) for line in theirs.splitlines()}
    assert {"shop", "taskflow"} <= {ns for ns, _ in ours}
    assert lines[0] == "Context: admin  Namespace: (all)"


@pytest.mark.parametrize("command", [("events",), ("logs", "-l", "app=web")])
def test_all_namespaces_events_and_logs_lead_with_the_namespace(cluster, command):
    out = triage(cluster, "-A", *command).stdout
    header = next(line for line in out.splitlines() if line.startswith("NAMESPACE"))
    assert header.split()[1] in ("TYPE", "COUNT")


def test_our_jsonpath_prints_what_kubectls_prints(cluster, tmp_path):
    """Each template of the unit tests' table, through the real kubectl binary (its
    client-side printer, no server needed) over the same object."""
    pod = json.loads(json.dumps(POD))
    pod["metadata"]["labels"]["z"] = "1"  # what `label z=1` sets: the object is unchanged
    path = tmp_path / "pod.json"
    path.write_text(json.dumps(pod))
    from kubectl_triage.render.jsonpath import execute, parse

    for template in KUBECTL_SAYS:
        theirs = subprocess.run(
            [str(cluster.kubectl_path), "label", "--local", "-f", str(path), "z=1",
             "--overwrite", "-o", f"jsonpath={template}"],
            capture_output=True, text=True, timeout=60,
        )
        assert theirs.returncode == 0, theirs.stderr
        assert execute(parse(template), pod) == theirs.stdout, template
