"""The timezone detector (detectors/timezone.py): whole-hour offsets in the forms they take,
quiet on planning, TTLs, expiries, on-time runs and runs late by minutes; judged both ways a
record reaches it: through the registry over a run's Evidence (a bundle's pod log) and one
record at a time as `analyze` streams a file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kubectl_triage.bundle import BundleSource
from kubectl_triage.collect.gather import LogOptions
from kubectl_triage.commands.common import Run
from kubectl_triage.commands.logs import analyze_report
from kubectl_triage.detectors import LITERALS, REGISTRY, run_detectors
from kubectl_triage.evidence import LogRef
from kubectl_triage.rules.engine import RuleSet
from kubectl_triage.rules.load import builtin_rules

RULESET = RuleSet(builtin_rules(), literals=LITERALS)
CASCADE = Path(__file__).parent / "data" / "cascade"
LEDGER = LogRef("market", "ledger-8a9b0c1d2-v7w8x", "app")

OFF_BY_HOURS = [
    # due/fired: the record's own clock against its due time
    "2026-11-27T22:30:00.446Z 2026-11-27 22:30:00,446 INFO [sched] Firing reminder 38 "
    "due_at=2026-11-27T21:30:00+00:00",
    # due/fired pair in one record, naive against Z
    'level=info msg="reminder sent" scheduled_at=2024-05-01T09:00:00 '
    "started_at=2024-05-01T07:00:01Z",
    # RFC 2822 times and +hhmm offsets
    'level=info msg="reminder sent" scheduled_at="Wed, 05 Feb 2020 09:00:00 +0000" '
    'started_at="Wed, 05 Feb 2020 12:00:04 +0100"',
    # a space before the zone, "UTC" and "GMT" spelled out
    "INFO job=digest executed_at=2024-05-01 11:00:02 UTC due_at=2024-05-01 09:00:00 GMT",
    # JSON fields; Unix seconds; an hours-only offset; UTC+2; expected/actual
    '{"level":"info","msg":"job fired","due_at":"2024-05-01T09:00:00Z",'
    '"fired_at":"2024-05-01T11:00:00Z"}',
    "INFO job fired due_at=1714554000 fired_at=1714561200",
    '{"level":"info","msg":"task started","eta":"2024-05-01T09:00:00+02:00",'
    '"started_at":"2024-05-01T09:00:00Z"}',
    "INFO reminder sent scheduled_at=2024-05-01T09:00:00+02 started_at=2024-05-01T09:00:03Z",
    "INFO task fired scheduled_time=2024-05-01T09:00:00 UTC+2 run_time=2024-05-01T09:00:00Z",
    "INFO Job started, expected_at=2024-05-01T09:00:00-05:00 actual=2024-05-01T09:00:00Z",
    # Go's time.String() on both sides
    "INFO firing job scheduled for 2024-05-01 09:00:00 +0000 UTC "
    "now=2024-05-01 11:00:01 +0000 UTC",
    # a scheduler's own lateness, in APScheduler's, Go's and plain words
    'WARNING:apscheduler.executors.default:Run time of job "send_digest (trigger: '
    'cron[hour=\'9\'])" was missed by 2:00:03.120',
    'level=warn msg="job ran late" job=report late by 1h0m2s',
    "WARN job nightly delayed by 7200 seconds",
    "WARN reminder 12 is 3 hours late",
    'level=warn msg="cron run is late" job=digest lateness=2h0m1s',
    "WARN trigger fired 2h0m0.5s late",
    # naive against aware, in Python's, pandas', .NET/Npgsql's and Java's words
    "TypeError: can't compare offset-naive and offset-aware datetimes",
    "TypeError: Cannot compare tz-naive and tz-aware datetime-like objects",
    "System.ArgumentException: Cannot write DateTime with Kind=UTC to PostgreSQL type "
    "'timestamp without time zone'",
    "java.time.DateTimeException: Unable to obtain Instant from TemporalAccessor: "
    "2020-01-01T00:00 of type java.time.LocalDateTime",
]
ON_TIME_OR_NOT_A_RUN = [
    "2026-11-27T22:00:00Z INFO reminder 42 scheduled for 2026-11-27T23:00:00Z",
    'WARNING:apscheduler.executors.default:Run time of job "x" was missed by 0:05:03.120',
    'level=info msg="cache entry set" ttl=3600s expires_at=2024-05-01T10:00:00Z',
    "INFO token expired 2 hours ago, refreshing",
    "2024-05-01T09:00:05Z INFO firing job 4 due_at=2024-05-01T09:00:00Z",
    "2024-05-01T09:00:00Z task send_email dispatched eta=2024-05-01T11:00:00+02:00",
    "WARN job late by 12m3s",
    "INFO next_run=2024-05-01T12:00:00Z for job nightly (in 3 hours)",
    "INFO session expires in 1h, ttl 3600 s",
    'level=info msg="jwt refreshed" exp=2024-05-01T12:00:00Z iat=2024-05-01T09:00:00Z',
    "WARN job nightly delayed by 90 minutes",
    "INFO fired job due_at=1714554000 fired_at=1714554030",
    "INFO retry scheduled with delay=2h for job nightly",
    'level=warn msg="cron run is late" job=digest lateness=4m10s',
    "WARN trigger fired 30s late",
    "INFO job fired 3 days late due_at=2024-04-28T09:00:00Z fired_at=2024-05-01T09:00:00Z",
    "INFO reminder sent scheduled_at=2024-05-01T09:00:00+02 started_at=2024-05-01T07:00:03Z",
]


def _analyzed(log: str) -> set[str]:
    """As `analyze` judges a stream: the table, then the detectors' record judge."""
    report = analyze_report(RULESET, [log.encode() + b"\n"], name="sample")
    return {f.rule for f in report.findings}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tz") / "cascade"
    shutil.copytree(CASCADE, root)
    return root


def _registry(bundle: Path, log: str) -> set[str]:
    """Through the registry, as a view runs it: the line in a pod's log of a bundle."""
    (bundle / "market" / LEDGER.pod / "app.log").write_text(log + "\n", encoding="utf-8")
    run = Run(source=BundleSource(bundle), namespace="market", ruleset=RULESET)
    run.evidence.logs([LEDGER], options=LogOptions())
    run_detectors(run, ("timezone",))
    tally = run.tally()
    tally.add_all(run.evidence.records())
    return {f.rule for f in tally.findings()}


@pytest.mark.parametrize("log", OFF_BY_HOURS)
def test_a_run_whole_hours_off_its_due_time_is_timezone(log, bundle):
    assert "timezone" in _analyzed(log)
    assert "timezone" in _registry(bundle, log)


@pytest.mark.parametrize("log", ON_TIME_OR_NOT_A_RUN)
def test_planning_ttls_expiry_on_time_and_minutes_late_are_not_timezone(log, bundle):
    assert "timezone" not in _analyzed(log)
    assert "timezone" not in _registry(bundle, log)


def test_timezone_is_a_registry_detector_and_no_longer_part_of_the_table_engine():
    detector = REGISTRY["timezone"]
    assert detector.rules == ("timezone",) and detector.judge is not None
    # the table alone (no detector) does not judge an INFO line hours off its due time
    table_only = RuleSet(builtin_rules(), literals=LITERALS)
    from kubectl_triage.rules.engine import analyze_chunks

    line = OFF_BY_HOURS[0].encode()
    assert "timezone" not in {f.rule for f in analyze_chunks([line], table_only).findings()}


def test_a_record_judged_by_the_detector_is_the_runs_judgement_of_it(bundle):
    (bundle / "market" / LEDGER.pod / "app.log").write_text(OFF_BY_HOURS[0] + "\n")
    run = Run(source=BundleSource(bundle), namespace="market", ruleset=RULESET)
    run.evidence.logs([LEDGER], options=LogOptions())
    detected = run_detectors(run, ("timezone",))
    [(record, match)] = detected.verdicts
    assert run.classify(record) is match and match.judged
    assert "ran 1h after its due time" in match.detail


def test_a_specific_rule_of_the_table_wins_over_the_detector(bundle):
    # an OOM kill that happens to carry a due time hours off is the OOM kill
    line = ("2026-11-27T22:30:00Z ERROR worker OOMKilled while firing job due_at="
            "2026-11-27T20:30:00Z")
    assert _registry(bundle, line) == {"oom-killed"}
    assert _analyzed(line) == {"oom-killed"}
