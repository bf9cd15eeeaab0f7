"""The timezone detector (rules/detectors.py): whole-hour offsets in the forms they take,
quiet on planning, TTLs, expiries, on-time runs and runs late by minutes."""

from __future__ import annotations

import pytest

from kubectl_triage.rules.engine import RuleSet, analyze_chunks
from kubectl_triage.rules.load import builtin_rules

RULESET = RuleSet(builtin_rules())

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
    # a scheduler's own lateness, in APScheduler's, Go's and plain words
    'WARNING:apscheduler.executors.default:Run time of job "send_digest (trigger: '
    'cron[hour=\'9\'])" was missed by 2:00:03.120',
    'level=warn msg="job ran late" job=report late by 1h0m2s',
    "WARN job nightly delayed by 7200 seconds",
    "WARN reminder 12 is 3 hours late",
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
]


def _rules(log: str) -> set[str]:
    return {f.rule for f in analyze_chunks([log.encode()], RULESET).findings()}


@pytest.mark.parametrize("log", OFF_BY_HOURS)
def test_a_run_whole_hours_off_its_due_time_is_timezone(log):
    assert "timezone" in _rules(log)


@pytest.mark.parametrize("log", ON_TIME_OR_NOT_A_RUN)
def test_planning_ttls_expiry_on_time_and_minutes_late_are_not_timezone(log):
    assert "timezone" not in _rules(log)
