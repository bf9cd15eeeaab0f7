"""The CLI as users meet it: flags anywhere, exit codes, one-line errors, output formats."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kubectl_triage.options import hoist_global_flags
from tests.helpers import HANDWRITTEN, run

TRACE = (
    b"2026-11-27T23:00:00Z ERROR: Exception in ASGI application\n"
    b'Traceback (most recent call last):\n  File "/app/main.py", line 9, in workers\n'
    b"    return w.skills\nAttributeError: 'Worker' object has no attribute 'skills'\n"
    b"2026-11-27T23:00:01Z INFO processed 10 tasks, 0 errors\n"
)


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["logs", "api", "-n", "tf"], ["-n", "tf", "logs", "api"]),
        (["-n", "tf", "logs", "api"], ["-n", "tf", "logs", "api"]),
        (
            ["logs", "api", "--namespace=tf", "-o", "json"],
            ["--namespace=tf", "-o", "json", "logs", "api"],
        ),
        (["logs", "-ntf", "api", "-A"], ["-ntf", "-A", "logs", "api"]),
        (
            ["logs", "api", "-c", "app", "--context", "x"],
            ["--context", "x", "logs", "api", "-c", "app"],
        ),
        (["analyze", "--", "-n"], ["analyze", "--", "-n"]),
    ],
)
def test_global_flags_move_in_front_of_the_subcommand(argv, expected):
    assert hoist_global_flags(argv) == expected


def test_analyze_stdin_names_the_rule_and_ignores_benign_lines():
    result = run("analyze", "-", "-o", "json", stdin=TRACE)
    assert result.code == 0, result.stderr
    report = result.json()
    assert [f["rule"] for f in report["findings"]] == ["schema-mismatch"]
    finding = report["findings"][0]
    assert finding["count"] == 1 and "skills" in finding["example"]
    assert all("0 errors" not in g["example"] for g in report["groups"])


def test_json_report_keeps_its_schema():
    report = run("analyze", "-", "-o", "json", stdin=TRACE).json()
    assert report["apiVersion"] == "triage/v1" and report["kind"] == "Report"
    for key in ("context", "namespace", "findings", "checks"):
        assert key in report
    finding = report["findings"][0]
    for key in (
        "rule",
        "severity",
        "title",
        "cause",
        "fix",
        "next",
        "count",
        "where",
        "example",
        "firstSeen",
        "lastSeen",
    ):
        assert key in finding, key
    assert finding["severity"] in ("info", "warning", "error")
    assert finding["firstSeen"] == "2026-11-27T23:00:00Z"


@pytest.mark.parametrize("fmt", ["yaml", "markdown", "wide", "table"])
def test_every_output_format_renders(fmt):
    result = run("analyze", "-", "-o", fmt, stdin=TRACE)
    assert result.code == 0 and "schema-mismatch" in result.stdout
    if fmt == "yaml":
        import yaml

        assert yaml.safe_load(result.stdout)["findings"][0]["rule"] == "schema-mismatch"


def test_fail_on_sets_exit_code_3_only_when_reached():
    assert run("analyze", "-", "--fail-on", "error", stdin=TRACE).code == 3
    assert run("analyze", "-", "--fail-on", "error", stdin=b"INFO all good\n").code == 0


def test_missing_file_is_a_one_line_usage_error():
    result = run("analyze", "/no/such/file.log")
    assert result.code == 2
    assert result.stderr.strip() == "error: /no/such/file.log: no such file"


def test_unknown_flag_is_usage_error_without_traceback():
    result = run("logs", "--no-such-flag")
    assert result.code == 2
    assert "Traceback" not in result.stderr and result.stderr.startswith("error: ")


def test_bad_since_is_usage_error():
    result = run(*HANDWRITTEN, "logs", "taskflow-api", "--since", "yesterday")
    assert result.code == 2 and "invalid duration" in result.stderr


def test_no_colour_unless_a_terminal_and_no_NO_COLOR():
    plain = run("analyze", "-", stdin=TRACE)
    assert "\x1b[" not in plain.stdout
    coloured = run("analyze", "-", stdin=TRACE, tty=True)
    assert "\x1b[" in coloured.stdout
    assert "\x1b[" not in run("analyze", "-", stdin=TRACE, tty=True, env={"NO_COLOR": ""}).stdout
    assert "\x1b[" not in run("--no-color", "analyze", "-", stdin=TRACE, tty=True).stdout


def test_control_sequences_from_logs_never_reach_the_terminal():
    evil = b"ERROR \x1b]0;pwned\x07boom \x1b[2J\x1b[31mred\x1b[0m\x07 failed\n"
    result = run("analyze", "-", stdin=evil)
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "boom" in result.stdout


def test_rules_show_unknown_id_suggests_the_nearest():
    result = run("rules", "show", "crashloop")
    assert result.code == 1
    assert "crash-loop" in result.stderr and "\n" not in result.stderr.strip()


def test_rules_list_and_show():
    listing = run("rules", "list", "-o", "json").json()
    assert any(r["id"] == "crash-loop" for r in listing["rules"])
    shown = run("rules", "show", "crash-loop", "-o", "json").json()
    assert shown["rule"]["id"] == "crash-loop" and shown["rule"]["next"]


def test_version_command_and_flag():
    assert run("version").stdout.startswith("kubectl-triage ")
    assert "kubectl-triage" in run("--version").stdout


def test_installed_script_runs_and_keeps_stdout_for_data():
    proc = subprocess.run(
        [sys.executable, "-m", "kubectl_triage", "analyze", "-", "-o", "json"],
        input=TRACE,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["findings"][0]["rule"] == "schema-mismatch"
    assert proc.stderr == b""


def _leaf_commands(group, path=()):
    import click

    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _leaf_commands(command, (*path, name))
        else:
            yield (*path, name)


def test_every_command_help_has_examples():
    from click.testing import CliRunner

    from kubectl_triage.cli import cli

    runner = CliRunner()
    helps = {" ".join(p): runner.invoke(cli, [*p, "--help"]).output for p in _leaf_commands(cli)}
    assert len(helps) > 20 and all(text.startswith("Usage:") for text in helps.values())
    assert [name for name, text in helps.items() if "Examples:" not in text] == []
