"""verify on the demo bundle, and --wait with an injected clock."""

from __future__ import annotations

from kubectl_triage.bundle import BundleSource
from kubectl_triage.commands.common import Run
from kubectl_triage.commands.verify import verify_report
from kubectl_triage.rules.engine import RuleSet
from kubectl_triage.rules.load import builtin_rules
from tests.helpers import HANDWRITTEN, HANDWRITTEN_DEMO, run


def _checks(report: dict) -> dict[str, str]:
    return {c["step"]: c["verdict"] for c in report["checks"]}


def test_finished_rollout_with_the_expected_image_but_new_errors():
    report = run(*HANDWRITTEN, "verify", "taskflow-api", "--image", "taskflow-api:1.8.0",
                 "-o", "json").json()
    assert _checks(report) == {"rollout": "pass", "pods": "pass", "image": "pass",
                               "restarts": "pass", "errors since start": "fail"}
    assert "schema-mismatch" in {f["rule"] for f in report["findings"]}


def test_wrong_image_fails():
    report = run(*HANDWRITTEN, "verify", "deploy/taskflow-api", "--image", "taskflow-api:1.8.1",
                 "-o", "json").json()
    assert _checks(report)["image"] == "fail"


def test_crash_looping_new_version_is_not_verified():
    report = run(*HANDWRITTEN, "verify", "reminder-worker", "-o", "json").json()
    checks = _checks(report)
    assert checks["rollout"] == "warn" and checks["restarts"] == "fail"
    assert "db-connection" in {f["rule"] for f in report["findings"]}


def test_unknown_deployment_is_not_found_with_a_suggestion():
    result = run(*HANDWRITTEN, "verify", "taskflow-apii")
    assert result.code == 1 and "taskflow-api" in result.stderr


def test_wait_polls_until_the_timeout_with_an_injected_clock():
    source = BundleSource(HANDWRITTEN_DEMO)
    ticks, sleeps = iter(range(0, 1000, 2)), []
    report = verify_report(Run(source, "taskflow", RuleSet(builtin_rules())), "reminder-worker",
                           image=None, wait=True, timeout=10, sleep=sleeps.append,
                           clock=lambda: next(ticks))
    assert len(sleeps) == 4  # never rolled out: polled until the 10 s deadline
    assert _checks(report.to_dict())["rollout"] == "warn"
    done = verify_report(Run(source, "taskflow", RuleSet(builtin_rules())), "taskflow-api",
                         image=None, wait=True, timeout=10, sleep=sleeps.append,
                         clock=lambda: 0)
    assert len(sleeps) == 4 and _checks(done.to_dict())["rollout"] == "pass"
