"""List outputs as kubectl users expect them (issue 10): `-A` puts a NAMESPACE column first,
`-o name` prints kind/name lines, `-o jsonpath=TEMPLATE` evaluates kubectl's JSONPath over the
report's JSON; a template that does not parse is a one-line usage error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kubectl_triage.render.jsonpath import JsonPathError, execute, parse
from tests.helpers import HANDWRITTEN, run

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "kubectl_triage" / "demo" / "taskflow"
SHOP = ROOT / "tests" / "cluster" / "testdata" / "tiny" / "shop"


@pytest.fixture(scope="module")
def two_namespaces(tmp_path_factory) -> Path:
    """The demo bundle (taskflow) with the tiny scenario's `shop` namespace beside it."""
    root = tmp_path_factory.mktemp("bundle") / "two"
    shutil.copytree(DEMO, root)
    shutil.copytree(SHOP, root / "shop")
    manifest = json.loads((root / "triage-bundle.json").read_text())
    manifest["namespaces"] = ["shop", "taskflow"]
    (root / "triage-bundle.json").write_text(json.dumps(manifest))
    return root


def _rows(out: str, header: str) -> tuple[str, list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start], lines[start + 1 : end]


# ---- -A -------------------------------------------------------------------------------------

@pytest.mark.parametrize("command,header", [
    (("status",), "NAMESPACE  WORKLOAD"),
    (("events",), "NAMESPACE  TYPE"),
    (("logs", "-l", "app=web"), "NAMESPACE  COUNT"),
])
def test_all_namespaces_puts_a_namespace_column_first(two_namespaces, command, header):
    out = run("--bundle", str(two_namespaces), "-A", *command, env={"COLUMNS": "200"}).stdout
    head, rows = _rows(out, header)
    assert rows and {row.split()[0] for row in rows} <= {"shop", "taskflow"}
    if command[0] != "logs":
        assert {row.split()[0] for row in rows} == {"shop", "taskflow"}
    one = run("--bundle", str(two_namespaces), "-n", "shop", *command,
              env={"COLUMNS": "200"}).stdout
    assert "NAMESPACE" not in one  # one namespace: no column, as kubectl


def test_all_namespaces_json_rows_say_their_namespace(two_namespaces):
    report = run("--bundle", str(two_namespaces), "-A", "status", "-o", "json").json()
    pairs = {(p["namespace"], p["pod"]) for p in report["pods"]}
    assert ("shop", "web-7c9d8f6b5d-q9hzr") in pairs
    assert ("taskflow", "taskflow-api-7c9d8f6b5-q8z4m") in pairs
    assert run("--bundle", str(two_namespaces), "-A", "status").stdout.startswith(
        f"Bundle: {two_namespaces}  Namespace: (all)")


# ---- -o name --------------------------------------------------------------------------------

def test_status_name_prints_one_pod_per_line_like_kubectl_get_pods():
    report = run(*HANDWRITTEN, "status", "-o", "json").json()
    out = run(*HANDWRITTEN, "status", "-o", "name").stdout
    assert out == "".join(f"pod/{p['pod']}\n" for p in report["pods"])


def test_events_name_prints_each_object_once_with_kubectls_group():
    out = run(*HANDWRITTEN, "events", "-o", "name").stdout.splitlines()
    assert len(out) == len(set(out))
    assert "pod/taskflow-api-5d8c7b9f4-hn6wd" in out
    assert "deployment.apps/reminder-worker" in out  # as `kubectl get deploy -o name`
    assert "replicaset.apps/notification-service-6b7f9c8d4" in out


def test_dapr_components_name_uses_the_crds_group():
    out = run(*HANDWRITTEN, "dapr", "components", "-o", "name").stdout
    assert out == "component.dapr.io/pubsub\ncomponent.dapr.io/statestore\n"


def test_rules_list_name():
    out = run("rules", "list", "-o", "name").stdout.splitlines()
    assert "rule/crash-loop" in out and all(line.startswith("rule/") for line in out)


def test_name_on_a_report_that_lists_no_objects_is_a_usage_error():
    result = run(*HANDWRITTEN, "summary", "-o", "name")
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "-o name" in result.stderr


# ---- -o jsonpath ----------------------------------------------------------------------------

def test_status_jsonpath_prints_the_fields_joined_by_spaces_without_a_newline():
    report = run(*HANDWRITTEN, "status", "-o", "json").json()
    out = run(*HANDWRITTEN, "status", "-o", "jsonpath={.pods[*].pod}").stdout
    assert out == " ".join(p["pod"] for p in report["pods"])


def test_jsonpath_range_and_filter_select_the_restarted_pods():
    template = '{range .pods[?(@.restarts > 0)]}{.pod}{"\\t"}{.restarts}{"\\n"}{end}'
    out = run(*HANDWRITTEN, "status", "-o", f"jsonpath={template}").stdout
    assert out == "reminder-worker-5f7b8c6d9-k8s2v\t7\n"


def test_jsonpath_works_on_every_report_and_after_the_subcommand():
    out = run(*HANDWRITTEN, "summary", "-o", "jsonpath={.incidents[0].workload}").stdout
    assert out == "postgres"
    assert run(*HANDWRITTEN, "checklist", "--output=jsonpath={.checks[0].step}").stdout == "pods"


@pytest.mark.parametrize("template", ["{.pods[", "{.pods[x]}", "{end}", "{range .pods[*]}",
                                      "{.pods", ""])
def test_a_bad_template_is_one_line_and_exit_2(template):
    result = run(*HANDWRITTEN, "status", "-o", f"jsonpath={template}")
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


POD = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "a", "namespace": "x", "labels": {"app": "web", "n": "1"}},
    "spec": {"containers": [
        {"name": "c", "image": "i"},
        {"name": "e", "image": "k", "ports": [{"containerPort": 80}, {"containerPort": 81}]},
    ]},
    "status": {"containerStatuses": [
        {"name": "c", "restartCount": 7, "ready": True, "imageID": "", "started": None},
    ]},
}

# What kubectl 1.36 prints for these templates over POD (`kubectl label --local -f pod.json
# z=1 --overwrite -o jsonpath=…`, POD carrying z=1 already); tests/e2e/test_terminal_live.py
# checks the same table against the real kubectl binary.
KUBECTL_SAYS = {
    "{.metadata.name}": "a",
    "{.metadata.labels}": '{"app":"web","n":"1"}',
    "{.status.containerStatuses[0].restartCount}": "7",
    '{range .spec.containers[*]}{.name}{"\\t"}{.image}{"\\n"}{end}': "c\ti\ne\tk\n",
    '{.spec.containers[?(@.name=="e")].image}': "k",
    "{.status.containerStatuses[0].ready}": "true",
    "{.status.containerStatuses[0].started}": "null",
    "{.nope}": "",
    "{.spec.containers[*].nope}": "",
    "{.spec.containers[-1:].name}": "e",
    "{.spec.containers[0]}": '{"image":"i","name":"c"}',
    "x{.kind}y": "xPody",
    "{.spec.containers[*].ports[*].containerPort}": "80 81",
    "{.metadata['name','namespace']}": "a x",
    "{.spec.containers[0:1].name}": "c",
    "{$.kind}": "Pod",
    "{.status.containerStatuses[0].imageID}": "",
    '{.metadata.labels.app}{"\\n"}': "web\n",
    "{.spec.containers[?(@.ports)].name}": "e",
    '{.spec.containers[?(@.name!="e")].name}': "c",
    "{.status.containerStatuses[?(@.restartCount>5)].name}": "c",
    "{range .spec.containers[*]}[{.name}]{end}": "[c][e]",
    "{.spec.containers[1].ports[0]}": '{"containerPort":80}',
}


@pytest.mark.parametrize("template", sorted(KUBECTL_SAYS))
def test_jsonpath_prints_what_kubectl_prints(template):
    assert execute(parse(template), POD) == KUBECTL_SAYS[template]


def test_recursive_descent_finds_every_name():
    assert execute(parse("{..name}"), POD).split() == ["a", "c", "e", "c"]


@pytest.mark.parametrize("template,message", [
    ("{.a", "unclosed action"),
    ("{.spec.containers[x]}", "invalid array index x"),
    ("{end}", "not in range"),
])
def test_jsonpath_errors_use_kubectls_words(template, message):
    with pytest.raises(JsonPathError, match=message):
        parse(template)
