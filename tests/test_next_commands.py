"""Every next command the demo's reports suggest runs: it names objects that exist, holds
no placeholder, and a `kubectl triage` one exits 0 (or 3, findings) on the demo."""

from __future__ import annotations

import shlex

import pytest

from tests.helpers import run

REPORTS = [
    ("summary",), ("checklist",), ("logs", "taskflow-api"), ("logs", "reminder-worker"),
    ("events",), ("dapr", "subs", "notification-service"), ("verify", "web-dashboard"),
]


def _suggested() -> list[str]:
    commands: set[str] = set()
    for args in REPORTS:
        report = run("--demo", *args, "-o", "json").json()
        for finding in report.get("findings", []):
            commands.update(finding.get("next") or [])
        for check in report.get("checks", []):
            commands.update(check.get("next") or [])
    return sorted(commands)


SUGGESTED = _suggested()


def test_no_suggested_command_holds_a_placeholder():
    assert SUGGESTED
    assert not [c for c in SUGGESTED if "<" in c or "{" in c]


@pytest.mark.parametrize(
    "command", [c for c in SUGGESTED if c.startswith("kubectl triage ")]
)
def test_suggested_triage_command_runs_on_the_demo(command):
    args = shlex.split(command)[2:]
    result = run("--demo", *args)
    assert result.code in (0, 3), (command, result.stderr)
