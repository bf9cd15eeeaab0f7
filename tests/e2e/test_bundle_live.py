"""bundle from the real cluster: offline answers equal the live ones; a viewer's bundle
records what it could not read."""

from __future__ import annotations

import json

import pytest

from tests.e2e.test_live import triage

pytestmark = pytest.mark.e2e
NS = "taskflow"


@pytest.fixture(scope="module")
def cluster(e2e_cluster, handwritten_scenario):
    return e2e_cluster


def _findings(proc) -> list:
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    return sorted((f["rule"], f["count"], f.get("detail", "")) for f in report["findings"])


@pytest.mark.parametrize("context", ["admin", "viewer"])
def test_bundle_answers_like_the_cluster(cluster, tmp_path, context):
    out = tmp_path / f"{context}.tar.gz"
    made = triage(cluster, "bundle", "-n", NS, "-o", str(out), context=context)
    assert made.returncode == 0, made.stderr
    for command in (["summary"], ["logs", "taskflow-api"], ["checklist"]):
        live = triage(cluster, *command, "-n", NS, "-o", "json", context=context)
        offline = triage(cluster, "--bundle", str(out), *command, "-o", "json")
        assert _findings(offline) == _findings(live), command
    manifest_gaps = json.loads(triage(cluster, "--bundle", str(out), "summary", "-o",
                                      "json").stdout)["gaps"]
    probe_gaps = [g for g in manifest_gaps if g["kind"] == "probe"]
    if context == "viewer":  # no proxy, exec or port-forward: every probe is a named gap
        assert probe_gaps and all("Forbidden" in g["message"] or "forbidden" in g["message"]
                                  for g in probe_gaps)
        assert "warning: not collected: probe" in made.stderr
