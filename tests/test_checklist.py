"""checklist on the demo: the runbook's steps with verdicts, evidence and next commands."""

from __future__ import annotations

from tests.helpers import HANDWRITTEN, run

SEEDS = {"schema-mismatch", "wrong-endpoint", "async-sqlalchemy-greenlet", "cloudevent-unwrap",
         "timezone"}


def _checks(report: dict) -> dict[str, dict]:
    return {c["step"]: c for c in report["checks"]}


def test_checklist_fails_the_right_steps_and_names_the_seed_patterns():
    report = run(*HANDWRITTEN, "checklist", "-o", "json").json()
    checks = _checks(report)
    assert list(checks) == ["pods", "service endpoints", "app logs", "sidecar logs", "events",
                            "request path", "error patterns", "dapr wiring", "rollout"]
    for step in ("pods", "service endpoints", "app logs", "events", "request path",
                 "error patterns", "dapr wiring", "rollout"):
        assert checks[step]["verdict"] == "fail", step
        assert checks[step]["next"], f"{step} failed without a next command"
    assert "reminder-worker" in checks["pods"]["detail"]
    assert "Service postgres" in checks["service endpoints"]["detail"]
    assert "errors start at taskflow-api -> notification-service" in checks["request path"][
        "detail"]
    assert SEEDS | {"crash-loop"} <= {f["rule"] for f in report["findings"]}
    assert all(rule in checks["error patterns"]["detail"] for rule in SEEDS)


def test_symptom_is_recorded_and_ranks_the_findings_about_it_first():
    report = run(*HANDWRITTEN, "checklist", "--symptom", "500 on /workers", "-o", "json").json()
    assert report["symptom"] == "500 on /workers"
    assert report["findings"][0]["rule"] == "schema-mismatch"


def test_fail_on_error_gives_exit_3_for_ci():
    assert run(*HANDWRITTEN, "checklist", "--fail-on", "error", "-o", "json").code == 3


def test_markdown_checklist_is_ticket_ready():
    out = run(*HANDWRITTEN, "checklist", "--symptom", "500 on /workers", "-o", "markdown").stdout
    assert out.startswith("# kubectl triage checklist")
    assert "## Checklist" in out and "| fail | pods |" in out
    assert "## Findings" in out


def test_app_logs_step_counts_failing_records_as_the_findings_do():
    """The INFO request line and the DEBUG echo of a failure are context: the app-logs step
    said cloudevent-unwrap x81 and wrong-endpoint x33 where the findings count 27 and 11."""
    import re

    report = run(*HANDWRITTEN, "checklist", "-o", "json").json()
    step = next(c for c in report["checks"] if c["step"] == "app logs")
    counted = {rule: int(n) for rule, n in re.findall(r"([a-z-]+) x(\d+)", step["detail"])}
    findings = {f["rule"]: f["count"] for f in report["findings"]}
    assert counted["cloudevent-unwrap"] == findings["cloudevent-unwrap"] == 27
    assert counted["wrong-endpoint"] == findings["wrong-endpoint"] == 11
    assert counted["timezone"] == findings["timezone"]
