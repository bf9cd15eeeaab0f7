"""The timeline of summary and checklist: failing records per minute and workload over the
evidence window, with rollouts, restarts and the first failure marked; drawn to fit the
terminal, in block characters or, when the terminal cannot show them, ASCII."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from kubectl_triage.cli import main
from kubectl_triage.evidence import ContainerState, Level, LogRef, Owner, Pod, Record, ReplicaSet
from kubectl_triage.incidents.timeline import build_timeline
from kubectl_triage.options import Environment
from kubectl_triage.records import parse_time
from tests.helpers import HANDWRITTEN, run

BLOCKS = set("▁▂▃▄▅▆▇█")
CAPTURED = datetime(2026, 11, 27, 23, 10, tzinfo=timezone.utc)  # the demo bundle's createdAt


def _timeline(command: str = "summary") -> dict:
    result = run(*HANDWRITTEN, command, "-o", "json")
    assert result.code == 0, result.stderr
    return result.json()["failureTimeline"]


def _row(timeline: dict, workload: str) -> dict:
    return next(r for r in timeline["workloads"] if r["workload"] == workload)


def _minute(timeline: dict, at: str) -> int:
    return int((parse_time(at) - parse_time(timeline["start"])) / timedelta(minutes=1))


def _block(out: str) -> list[str]:
    """The TIMELINE block of a table report."""
    return out.split("TIMELINE", 1)[1].split("\n\n", 1)[0].split("\n")


def test_demo_window_is_the_hour_before_the_bundle_was_captured():
    timeline = _timeline()
    assert (timeline["start"], timeline["end"], timeline["minutes"]) == (
        "2026-11-27T22:10:00Z", "2026-11-27T23:10:00Z", 60)
    for row in timeline["workloads"]:
        assert len(row["failing"]) == 60 and sum(row["failing"]) == row["total"]


def test_the_2214_rollout_of_taskflow_api_is_marked_in_its_minute_before_the_first_failure():
    api = _row(_timeline(), "taskflow-api")
    rollout = next(m for m in api["marks"] if m["kind"] == "rollout")
    assert (rollout["at"], rollout["minute"], rollout["label"]) == (
        "2026-11-27T22:14:04Z", 4, "revision 8")
    first = next(m for m in api["marks"] if m["kind"] == "first-failure")
    assert first["minute"] == _minute(_timeline(), first["at"]) >= rollout["minute"]
    assert not any(api["failing"][: first["minute"]]) and api["failing"][first["minute"]]


def test_every_findings_first_record_falls_in_a_nonzero_bucket_of_its_workload():
    """The timeline and the findings count the same records: where a finding of a
    workload's logs was first seen, its row has a failing record."""
    result = run(*HANDWRITTEN, "summary", "-o", "json").json()
    timeline = result["failureTimeline"]
    checked = 0
    for finding in result["findings"]:
        logs = [w for w in finding["where"] if w["kind"] == "log"]
        if not logs or finding["firstSeen"] < timeline["start"]:
            continue
        workload = logs[0]["pod"].rsplit("-", 2)[0]
        row = _row(timeline, workload)
        assert row["failing"][_minute(timeline, finding["firstSeen"])] > 0, finding["rule"]
        checked += 1
    assert checked >= 4


def test_the_crash_looping_worker_shows_its_restarts_from_status_and_events():
    worker = _row(_timeline(), "reminder-worker")
    restarts = {m["minute"]: m["label"] for m in worker["marks"] if m["kind"] == "restart"}
    assert restarts[39].startswith("BackOff")  # 22:49:33, the first back-off
    assert "terminated (Error, exit code 1)" in restarts[55]  # 23:05:36, the last termination
    assert not any(worker["failing"][:50])


def test_postgres_stopping_at_2249_is_marked_on_its_own_row_beside_the_workers_backoff():
    """The root cause nothing runs for any more: its controller's last word, on the minute
    the worker began to crash."""
    timeline = _timeline()
    postgres = _row(timeline, "postgres")
    assert [(m["kind"], m["minute"]) for m in postgres["marks"]] == [("stopped", 39)]
    assert postgres["marks"][0]["label"].startswith("SuccessfulDelete: delete Pod postgres-0")
    assert postgres["total"] == 0
    # a Deployment that scaled an old ReplicaSet down but runs pods is not stopped
    api = _row(timeline, "taskflow-api")
    assert not [m for m in api["marks"] if m["kind"] == "stopped"]


def test_checklist_reports_the_timeline_too_and_logs_does_not():
    assert _row(_timeline("checklist"), "taskflow-api")["total"] > 0
    assert "failureTimeline" not in run(*HANDWRITTEN, "logs", "taskflow-api", "-o", "json").json()
    assert "TIMELINE" in run(*HANDWRITTEN, "checklist").stdout
    assert "TIMELINE" not in run(*HANDWRITTEN, "logs", "taskflow-api").stdout


def test_summary_draws_the_timeline_after_the_incidents_and_before_the_cards():
    out = run("demo", env={"COLUMNS": "80"}).stdout
    assert out.index("INCIDENTS") < out.index("TIMELINE") < out.index("ERROR  crash-loop")


def test_an_hour_fits_80_columns_a_minute_a_column_and_60_columns_by_two_minutes():
    lines = _block(run("demo", env={"COLUMNS": "80"}).stdout)
    assert all(len(line) <= 80 for line in ["TIMELINE" + lines[0], *lines[1:]])
    assert "per minute" in lines[0] and "notification-serv…" in "\n".join(lines)
    lines = _block(run("demo", env={"COLUMNS": "60"}).stdout)
    assert all(len(line) <= 60 for line in ["TIMELINE" + lines[0], *lines[1:]])
    assert "per 2 min" in lines[0]


def test_the_rollout_mark_sits_under_the_column_of_2214():
    lines = _block(run(*HANDWRITTEN, "summary", env={"COLUMNS": "200"}).stdout)  # per minute
    assert "per minute" in lines[0]
    api = next(i for i, line in enumerate(lines) if line.startswith("taskflow-api"))
    axis_labels = next(line for line in lines if line.lstrip().startswith("22:10"))
    origin = axis_labels.index("22:10")  # the window's first minute
    marks = lines[api + 1]
    assert marks.index("R") - origin == 4  # 22:14
    assert marks.index("!") - origin == 6  # 22:16, the first failing record
    bars = lines[api]
    assert bars[origin + 6] in BLOCKS and not bars[origin : origin + 6].strip()
    assert axis_labels.rstrip().endswith("23:10") and len(axis_labels.rstrip()) == origin + 60
    worker = next(i for i, line in enumerate(lines) if line.startswith("reminder-worker"))
    postgres = next(line for line in lines if line.startswith("postgres"))
    assert postgres.index("×") == lines[worker + 1].index("↻") == origin + 39  # 22:49


def test_wider_terminals_get_finer_buckets_and_every_line_fits():
    for columns in (40, 60, 100, 140, 250):
        lines = _block(run("demo", env={"COLUMNS": str(columns)}).stdout)
        assert all(len(line) <= columns for line in ["TIMELINE" + lines[0], *lines[1:]]), columns


def test_unicode_blocks_by_default_and_ascii_with_no_color():
    unicode = "\n".join(_block(run("demo").stdout))
    assert BLOCKS & set(unicode) and "↻" in unicode
    plain = _block(run("demo", "--no-color").stdout)
    assert all(line.isascii() for line in plain)
    assert any(c in "".join(plain) for c in ".:-=+*#%@") and " r " in " ".join(plain)
    assert all(line.isascii() for line in _block(run("demo", env={"NO_COLOR": ""}).stdout))


def test_ascii_when_stdout_cannot_encode_unicode():
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="latin-1")
    env = Environment(stdout=stdout, stderr=io.StringIO(), env={"HOME": "/nonexistent"})
    try:
        main(["demo"], env)
    except SystemExit as exc:
        assert not exc.code
    stdout.flush()
    lines = _block(raw.getvalue().decode("latin-1"))
    assert lines and all(line.isascii() for line in lines)


# ---- the builder, on evidence made for the purpose ---------------------------------------

NOW = datetime(2026, 1, 1, 12, 0, 30, tzinfo=timezone.utc)


def _pod(name: str, workload: str, *, restarts: int = 0, finished=None) -> Pod:
    container = ContainerState(
        name="app", image="x", ready=True, restarts=restarts, state="running",
        last_state="terminated" if finished else "", last_reason="OOMKilled" if finished else "",
        last_exit_code=137 if finished else None, last_finished=finished,
    )
    return Pod(namespace="ns", name=name, uid=name, phase="Running", node="n", created=None,
               labels={}, annotations={}, owner=None, workload=Owner("Deployment", workload),
               containers=(container,))


def _error(pod: str, at: datetime, text: str = "ERROR boom") -> Record:
    return Record(text=text, level=Level.ERROR, message=text, time=at,
                  ref=LogRef("ns", pod, "app"))


def _build(records, *, pods=(), replicasets=(), since=timedelta(minutes=30)):
    owner = {p.name: p.workload.name for p in pods}
    return build_timeline(
        now=NOW, since=since, pods=pods, replicasets=replicasets, events=(),
        failing=records, workload_of=lambda r: ("ns", owner[r.ref.pod]),
    )


def test_window_rounds_out_to_whole_minutes_and_counts_the_capture_minute():
    pod = _pod("web-1", "web")
    built = _build([_error("web-1", NOW), _error("web-1", NOW - timedelta(seconds=31))],
                   pods=[pod])
    assert built.start == datetime(2026, 1, 1, 11, 30, tzinfo=timezone.utc)
    assert built.minutes == 31 and built.rows[0].failing[-1] == 1
    assert built.rows[0].failing[-2] == 1  # 11:59:59


def test_a_failure_before_the_window_is_counted_apart_and_not_marked_first():
    pod = _pod("web-1", "web")
    built = _build([_error("web-1", NOW - timedelta(hours=2)), _error("web-1", NOW)], pods=[pod])
    row = built.rows[0]
    assert row.before == 1 and row.total == 1
    assert not [m for m in row.marks if m.kind == "first-failure"]


def test_rollouts_and_restarts_outside_the_window_are_not_marked():
    old = NOW - timedelta(hours=3)
    pod = _pod("web-1", "web", restarts=2, finished=NOW - timedelta(minutes=5))
    replicasets = [
        ReplicaSet("ns", "web-a", "a", (Owner("Deployment", "web"),), 3, created=old),
        ReplicaSet("ns", "web-b", "b", (Owner("Deployment", "web"),), 4,
                   created=NOW - timedelta(minutes=20)),
    ]
    row = _build([], pods=[pod], replicasets=replicasets).rows[0]
    assert [(m.kind, m.minute, m.label) for m in row.marks] == [
        ("rollout", 10, "revision 4"),
        ("restart", 25, "container app terminated (OOMKilled, exit code 137)"),
    ]


def test_rows_whose_trouble_started_first_come_first_and_quiet_ones_last():
    pods = [_pod("a-1", "a"), _pod("b-1", "b"), _pod("c-1", "c")]
    built = _build([_error("b-1", NOW - timedelta(minutes=20)),
                    _error("a-1", NOW - timedelta(minutes=3))], pods=pods)
    assert [r.workload for r in built.rows] == ["b", "a", "c"]


def test_rows_of_several_namespaces_are_named_namespace_slash_workload():
    from kubectl_triage.render.timeline import timeline_text

    built = _build([_error("a-1", NOW)], pods=[_pod("a-1", "a")]).to_dict()
    other = {**built["workloads"][0], "namespace": "shop"}
    built["workloads"].append(other)
    text = timeline_text(built, width=80, ascii_only=True, paint=lambda t, *a, **k: t)
    names = [line.split()[0] for line in text.split("\n")[1:] if line[:1].isalpha()]
    assert names == ["ns/a", "shop/a"]
