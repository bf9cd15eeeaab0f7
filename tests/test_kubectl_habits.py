"""kubectl's habits in `logs` and `events` (issue 10, point 7), on the demo bundle: events
--types/--for, logs --since-time/--timestamps/--all-containers, and -f in time order."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from kubectl_triage.commands.follow import TimeMerge
from kubectl_triage.evidence import Level, LogRef, Record
from kubectl_triage.records import parse_time
from tests.helpers import HANDWRITTEN, run

API = "taskflow-api"
WORKER_POD = "reminder-worker-5f7b8c6d9-k8s2v"


def _events(*args: str) -> list[list[str]]:
    result = run(*HANDWRITTEN, "events", *args, "-o", "json")
    assert result.code == 0, result.stderr
    return result.json()["events"]


def test_events_types_keeps_only_those_types():
    warnings = _events("--types", "Warning")
    normal = _events("--types", "normal")  # kubectl takes any case
    both = _events("--types", "Normal,Warning")
    assert warnings and {e["type"] for e in warnings} == {"Warning"}
    assert normal and {e["type"] for e in normal} == {"Normal"}
    assert len(both) == len(warnings) + len(normal) == len(_events())


def test_events_types_normal_judges_no_warning():
    report = run(*HANDWRITTEN, "events", "--types", "Normal", "-o", "json").json()
    assert "crash-loop" not in {f["rule"] for f in report["findings"]}


def test_events_bad_type_is_a_usage_error_in_kubectls_words():
    result = run(*HANDWRITTEN, "events", "--types", "Error")
    assert result.code == 2
    assert result.stderr.splitlines()[0] == "error: valid --types are Normal or Warning"


def test_events_for_is_that_object_only_not_its_owners_or_pods():
    rows = _events("--for", f"pod/{WORKER_POD}")
    assert rows and {e["object"] for e in rows} == {f"pod/{WORKER_POD}"}
    deploy = _events("--for", f"deploy/{API}")
    assert deploy and {e["object"] for e in deploy} == {f"deployment/{API}"}
    # a TARGET rolls up: the deployment's ReplicaSets and pods too
    assert len(_events(API)) > len(deploy)


def test_events_for_wants_kind_and_name():
    for bad in ("reminder-worker", "widget/x", "pod/"):
        result = run(*HANDWRITTEN, "events", "--for", bad)
        assert result.code == 2, bad
        assert "--for wants KIND/NAME" in result.stderr
    assert run(*HANDWRITTEN, "events", API, "--for", f"deploy/{API}").code == 2


def _records(*args: str) -> list[dict]:
    result = run(*HANDWRITTEN, "logs", API, "--all-lines", *args, "-o", "json")
    assert result.code == 0, result.stderr
    return result.json()["records"]


def test_logs_since_time_keeps_lines_at_or_after_it():
    cutoff = datetime(2026, 11, 27, 23, 5, tzinfo=timezone.utc)
    rows = _records("--since-time", "2026-11-27T23:05:00Z", "--timestamps")
    every = _records("--timestamps")
    assert rows and len(rows) < len(every)
    assert all(parse_time(r["time"]) >= cutoff for r in rows)
    assert [r for r in every if parse_time(r["time"]) >= cutoff] == rows


def test_logs_since_time_takes_an_offset_and_refuses_a_bare_date():
    plus_one = _records("--since-time", "2026-11-28T00:05:00+01:00", "--timestamps")
    assert plus_one == _records("--since-time", "2026-11-27T23:05:00Z", "--timestamps")
    for bad in ("2026-11-27", "yesterday", "2026-11-27T23:05:00"):
        result = run(*HANDWRITTEN, "logs", API, "--since-time", bad)
        assert result.code == 2 and "not an RFC 3339 time" in result.stderr, bad


def test_logs_since_and_since_time_do_not_go_together():
    result = run(*HANDWRITTEN, "logs", API, "--since", "5m", "--since-time", "2026-11-27T23:05:00Z")
    assert result.code == 2 and "at most one of --since or --since-time" in result.stderr


def test_logs_timestamps_prints_each_record_with_its_rfc3339_time():
    table = run(*HANDWRITTEN, "logs", API, "--grep", "skills", "--timestamps").stdout
    rows = [ln for ln in table.splitlines() if ln.startswith("2026-")]
    assert rows
    for row in rows:
        stamp = row.split()[0]
        assert stamp.endswith("Z") and parse_time(stamp) is not None, row
    plain = run(*HANDWRITTEN, "logs", API, "--grep", "skills").stdout
    assert not any(ln.startswith("2026-") for ln in plain.splitlines())


def test_logs_all_containers_is_every_container_and_refuses_c():
    every = run(*HANDWRITTEN, "logs", API, "--all-containers", "-o", "json").json()
    default = run(*HANDWRITTEN, "logs", API, "-o", "json").json()
    assert every["findings"] == default["findings"]
    listed = run(*HANDWRITTEN, "logs", API, "--all-containers", "--all-lines", "-o", "json").json()
    assert {r["container"] for r in listed["records"]} == {"api", "daprd"}
    result = run(*HANDWRITTEN, "logs", API, "--all-containers", "-c", "api")
    assert result.code == 2
    assert "--all-containers=true should not be specified with container name api" in result.stderr


def _record(seconds: int, ref: LogRef) -> Record:
    when = datetime(2026, 11, 27, 22, 0, tzinfo=timezone.utc) + timedelta(seconds=seconds)
    return Record(text=str(seconds), level=Level.ERROR, message=str(seconds), time=when, ref=ref)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_merge_interleaves_bursts_of_two_logs_in_time_order():
    a, b = LogRef("ns", "p1", "app"), LogRef("ns", "p2", "app")
    merge = TimeMerge([a, b], window=1.0, clock=_Clock())
    for s in (1, 3, 5):  # a's whole backlog arrives first
        merge.add(a, _record(s, a))
    assert merge.ready() == []  # b has said nothing yet: 1 may not be the oldest
    merge.add(b, _record(2, b))
    assert [r.text for r in merge.ready()] == ["1", "2"]
    merge.add(b, _record(4, b))
    assert [r.text for r in merge.ready()] == ["3", "4"]
    merge.close(b)
    merge.close(a)
    assert [r.text for r in merge.ready(final=True)] == ["5"]


def test_merge_does_not_wait_for_a_quiet_log_longer_than_the_window():
    a, b = LogRef("ns", "p1", "app"), LogRef("ns", "p2", "app")
    clock = _Clock()
    merge = TimeMerge([a, b], window=1.0, clock=clock)
    merge.add(a, _record(1, a))
    clock.now = 0.5
    assert merge.ready() == []
    clock.now = 1.2
    assert [r.text for r in merge.ready()] == ["1"]


def test_merge_counts_unshown_records_toward_the_order():
    a, b = LogRef("ns", "p1", "app"), LogRef("ns", "p2", "app")
    merge = TimeMerge([a, b], window=10.0, clock=_Clock())
    merge.add(a, _record(1, a))
    merge.add(b, _record(7, b), shown=False)  # an info line of b's, not printed, past 1
    assert [r.text for r in merge.ready()] == ["1"]


def test_follow_prints_the_containers_of_a_deployment_in_time_order():
    result = run(*HANDWRITTEN, "logs", API, "-f", "--all-lines", "-o", "json")
    assert result.code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    times = [parse_time(r["time"]) for r in rows if r["time"]]
    assert len({(r["pod"], r["container"]) for r in rows}) == 4
    assert times == sorted(times)
    # interleaved, not one container's whole log after another's
    where = [(r["pod"], r["container"]) for r in rows]
    switches = sum(1 for i in range(1, len(where)) if where[i] != where[i - 1])
    assert switches > 20


def test_follow_shows_a_logs_last_record_once_the_log_is_quiet():
    """A record ends when the next line begins; a followed log may say nothing more, so
    its last record must not wait for a line that does not come."""
    from kubectl_triage.commands.follow import _Groups

    ref = LogRef("ns", "p1", "app")
    clock = _Clock()
    groups = _Groups([ref], clock=clock)
    assert groups.feed(ref, 1, "INFO order 1 done") == []
    assert groups.feed(ref, 2, "Traceback (most recent call last):") != []  # 1 is complete
    assert groups.feed(ref, 3, '  File "/app/x.py", line 3, in f') == []
    assert groups.quiet(0.5) == []  # not quiet yet: the trace may go on
    clock.now = 0.6
    [last] = groups.quiet(0.5)
    assert last.text.startswith("Traceback") and last.text.endswith("in f")


def test_events_types_completes_kubectls_two_types():
    from tests.test_dist import answer

    assert answer("events", "--types", "")[0] == ["Warning", "Normal"]
    assert answer("events", "--types", "W")[0] == ["Warning"]
