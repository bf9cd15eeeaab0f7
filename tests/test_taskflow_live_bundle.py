"""summary on tests/data/taskflow-live: the raw bundle `kubectl triage bundle` wrote from the
live taskflow incident (the real app and real daprd 1.14.4 in the e2e cluster), kept by
`tools/record_demo.py --keep-raw tests/data/taskflow-live` when it recorded the shipped demo
(docs/demo-incident.md); tests/test_recorded_demo.py normalises it again."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run

LIVE = str(Path(__file__).parent / "data" / "taskflow-live")
SEEDS = ("schema-mismatch", "wrong-endpoint", "async-sqlalchemy-greenlet", "cloudevent-unwrap",
         "timezone")


def test_summary_of_the_recorded_live_incident_names_the_five_seeds_and_postgres():
    result = run("--bundle", LIVE, "summary", "-n", "taskflow", "-o", "json")
    assert result.code == 0, result.stderr
    incidents = result.json()["incidents"]
    for seed in SEEDS:
        (owner,) = [i for i in incidents if seed in i["rules"]]
        assert owner["workload"] == (
            "notification-service" if seed == "cloudevent-unwrap" else "taskflow-api")
    first = incidents[0]
    assert (first["workload"], first["kind"], first["rules"]) == (
        "postgres", "Service", ["service-no-endpoints"])
    assert {(e["workload"], e["rule"]) for e in first["explains"]} == {
        ("reminder-worker", "crash-loop"), ("reminder-worker", "db-connection")}
    assert len(incidents) == 6
