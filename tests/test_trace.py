"""trace on the demo: one correlation id across services and sidecars, as a timeline."""

from __future__ import annotations

from tests.helpers import HANDWRITTEN, run

CORRELATION = "6f1c2a0e-9b7d-4c1e-8f3a-2d5b7e9c1a04"


def test_trace_follows_one_id_across_three_services_and_two_sidecars_in_time_order():
    report = run(*HANDWRITTEN, "trace", CORRELATION, "-o", "json").json()
    rows = report["timeline"]
    assert {r["service"] for r in rows} == {"web-dashboard", "taskflow-api",
                                            "notification-service"}
    assert {(r["service"], r["container"]) for r in rows} == {
        ("web-dashboard", "web"), ("taskflow-api", "api"), ("taskflow-api", "daprd"),
        ("notification-service", "app"), ("notification-service", "daprd")}
    times = [r["time"] for r in rows]
    assert times == sorted(times)
    assert all(CORRELATION in r["message"] or r["rule"] != "-" or r["level"] for r in rows)
    marked = [r for r in rows if r["mark"]]
    assert len(marked) == 1 and marked[0]["rule"] != "-"
    assert {"wrong-endpoint", "cloudevent-unwrap"} <= {f["rule"] for f in report["findings"]}


def test_trace_by_request_path():
    report = run(*HANDWRITTEN, "trace", "--path", "/workers", "-o", "json").json()
    assert "schema-mismatch" in {f["rule"] for f in report["findings"]}
    assert {r["service"] for r in report["timeline"]} >= {"taskflow-api", "web-dashboard"}


def test_trace_needs_one_needle_of_some_length():
    assert run(*HANDWRITTEN, "trace").code == 2
    assert run(*HANDWRITTEN, "trace", "abc").code == 2
    assert run(*HANDWRITTEN, "trace", "x1234", "--path", "/y").code == 2
