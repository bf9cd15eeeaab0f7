"""Every command on the shipped demo incident (a bundle: a real input format, no cluster)."""

from __future__ import annotations

from tests.helpers import run

SEEDS = {
    "schema-mismatch",
    "wrong-endpoint",
    "async-sqlalchemy-greenlet",
    "cloudevent-unwrap",
    "timezone",
}


def _rules(report: dict) -> set[str]:
    return {f["rule"] for f in report["findings"]}


def test_demo_names_the_five_seed_patterns_and_the_crash_loop():
    result = run("demo", "-o", "json")
    assert result.code == 0, result.stderr
    report = result.json()
    assert SEEDS | {"crash-loop"} <= _rules(report)
    for finding in report["findings"]:
        assert finding["cause"] and finding["fix"] and finding["next"], finding["rule"]
        assert finding["example"]
    assert report["context"] == "prod-eu" and report["namespace"] == "taskflow"


def test_demo_table_shows_evidence_cause_fix_and_next_for_each_finding():
    out = run("demo").stdout
    for rule in SEEDS | {"crash-loop"}:
        block = out.split(f"  {rule}  ", 1)[1].split("\n\n", 1)[0]
        for label in ("evidence:", "cause:", "fix:", "next:"):
            assert label in block, (rule, label)


def test_logs_of_a_deployment_reads_every_pod_and_sidecar_of_its_current_replicaset():
    report = run("--demo", "logs", "taskflow-api", "-o", "json").json()
    pods = {w["pod"] for f in report["findings"] for w in f["where"] if w["kind"] == "log"}
    assert pods == {"taskflow-api-7c9d8f6b5-q8z4m", "taskflow-api-7c9d8f6b5-x2x7k"}
    assert {"schema-mismatch", "wrong-endpoint", "async-sqlalchemy-greenlet", "timezone"} <= _rules(
        report
    )
    assert "cloudevent-unwrap" not in _rules(report)  # that one is notification-service's
    wrong = next(f for f in report["findings"] if f["rule"] == "wrong-endpoint")
    assert (
        wrong["count"] > 1
        and wrong["next"][1] == "kubectl triage logs taskflow-api --grep 404 -n taskflow"
    )


def test_global_flags_after_the_subcommand_give_the_same_report():
    before = run("--demo", "-o", "json", "logs", "taskflow-api").json()
    after = run("logs", "taskflow-api", "--demo", "-o", "json").json()
    assert before == after


def test_a_traceback_is_one_record_counted_once():
    report = run("--demo", "logs", "taskflow-api", "-o", "json").json()
    schema = [g for g in report["groups"] if g["rule"] == "schema-mismatch"]
    assert schema and all("Traceback (most recent call last)" in g["example"] for g in schema)
    assert all(g["example"].rstrip().endswith("'skills'") for g in schema)


def test_previous_log_of_the_crash_looping_pod_is_read_automatically():
    report = run("--demo", "logs", "reminder-worker", "-o", "json").json()
    wheres = {
        (w["container"], w.get("previous", False)) for g in report["groups"] for w in g["where"]
    }
    assert ("worker", True) in wheres
    assert "crash-loop" in _rules(report)


def test_unknown_deployment_is_not_found_with_the_nearest_names():
    result = run("--demo", "logs", "taskflow-ap")
    assert result.code == 1
    assert result.stderr.startswith('error: deployments.apps "taskflow-ap" not found')
    assert "taskflow-api" in result.stderr and result.stderr.count("\n") == 1


def test_unknown_kind_is_a_usage_error():
    result = run("--demo", "logs", "cronjob/x")
    assert result.code == 2 and 'unknown kind "cronjob"' in result.stderr


def test_events_put_warnings_first_and_roll_pods_up_to_their_deployment():
    report = run("--demo", "events", "-o", "json").json()
    rows = report["events"]
    types = [r["type"] for r in rows]
    assert types == sorted(types, key=lambda t: t != "Warning")
    backoff = next(r for r in rows if r["reason"] == "BackOff")
    assert backoff["workload"] == "deployment/reminder-worker" and int(backoff["count"]) > 30
    assert "crash-loop" in _rules(report)


def test_events_of_a_target_are_its_pods_replicasets_and_deployment_only():
    rows = run("--demo", "events", "notification-service", "-o", "json").json()["events"]
    assert rows and all(r["workload"] == "deployment/notification-service" for r in rows)


def test_status_shows_the_crash_loop_with_restarts_and_last_termination():
    report = run("--demo", "status", "-o", "json").json()
    row = next(r for r in report["pods"] if r["pod"].startswith("reminder-worker"))
    assert row["status"] == "CrashLoopBackOff" and row["restarts"] == 7  # a number, for jq
    assert row["ready"] == "0/1" and "Error (1)" in row["lastTermination"]
    api = [r for r in report["pods"] if r["workload"] == "deployment/taskflow-api"]
    assert len(api) == 2 and all(r["sidecars"] == "daprd:ready" for r in api)
    assert "crash-loop" in _rules(report)


def test_grep_shows_matching_records_each_with_its_rule():
    report = run("--demo", "logs", "taskflow-api", "--grep", "greenlet", "-o", "json").json()
    assert report["records"]
    assert all("greenlet" in r["message"].lower() for r in report["records"])
    assert {r["rule"] for r in report["records"]} == {"async-sqlalchemy-greenlet"}


def test_markdown_report_is_ticket_ready():
    out = run("demo", "-o", "markdown").stdout
    assert out.startswith("# kubectl triage summary")
    assert "## Findings" in out and "`crash-loop`" in out
