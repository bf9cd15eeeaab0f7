"""Every command's -o json validates against docs/report.schema.json: typed for jq (numbers
as numbers, RFC 3339 times, null for absent, camelCase keys), `command` naming the
subcommand, no placeholder in a next command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.helpers import HANDWRITTEN, run

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "report.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA)

COMMANDS = [
    ("summary",), ("checklist",), ("status",), ("events",), ("logs", "taskflow-api"),
    ("logs", "taskflow-api", "--all-lines"), ("trace", "6f1c2a0e-9b7d-4c1e-8f3a-2d5b7e9c1a04"),
    ("verify", "web-dashboard"), ("dapr", "status", "taskflow-api"),
    ("dapr", "subs", "notification-service"), ("dapr", "logs", "taskflow-api"),
    ("dapr", "components"), ("exec-probe", "openapi", "taskflow-api"),
    ("exec-probe", "env", "taskflow-api"), ("rules", "list"), ("rules", "show", "timezone"),
]


# The words of args that name (sub)commands rather than their arguments.
COMMAND_WORDS = {"summary", "checklist", "status", "events", "logs", "trace", "verify", "dapr",
                 "subs", "components", "exec-probe", "openapi", "env", "rules", "list", "show"}


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_every_commands_json_validates_against_the_schema(args):
    result = run(*HANDWRITTEN, *args, "-o", "json")
    assert result.code in (0, 3), result.stderr
    report = result.json()
    errors = sorted(VALIDATOR.iter_errors(report), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert report["command"] == " ".join(a for a in args if a in COMMAND_WORDS)


def test_analyze_json_validates_too():
    result = run("analyze", "-", "-o", "json",
                 stdin=b"ERROR ConnectionRefusedError: [Errno 111] Connection refused\n")
    assert not list(VALIDATOR.iter_errors(result.json()))


def test_status_restarts_are_numbers_and_times_rfc3339():
    pods = run(*HANDWRITTEN, "status", "-o", "json").json()["pods"]
    crashing = next(p for p in pods if p["pod"].startswith("reminder-worker"))
    assert crashing["restarts"] == 7 and crashing["lastTermination"]
    assert all(p["created"].endswith("Z") for p in pods)
