"""What comes from outside (log lines, names, a user's rules, the command line) reaches the
terminal, a ticket or a script sanitised: no control sequences or bidi overrides, no secret
in clear, no HTML in Markdown; and any failure is one line, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import HANDWRITTEN, run

OSC52 = "\x1b]52;c;ZXZpbA==\x07"
CLEAR = "\x1b[2J"
RLO = "\u202e"


def _analyze(text: str, *args: str):
    return run("analyze", "-", *args, stdin=text.encode())


def test_log_lines_lose_escapes_and_bidi_overrides_in_every_format():
    line = f"ERROR {OSC52}{CLEAR}db {RLO}gnp.exe ConnectionRefusedError: [Errno 111] refused\n"
    for fmt in ("table", "wide", "json", "yaml", "markdown"):
        result = _analyze(line, "-o", fmt)
        assert result.code == 0, result.stderr
        for bad in ("\x1b", "\x07", RLO):
            assert bad not in result.stdout, (fmt, bad)
        assert "ConnectionRefusedError" in result.stdout


def test_secrets_in_log_lines_are_redacted_in_reports():
    line = ("ERROR connect postgres://app:S3cr3tPass@db:5432/x failed: "
            "ConnectionRefusedError: [Errno 111] Connection refused "
            "Authorization: Bearer tfk_live_abcdef123456\n")
    result = _analyze(line, "-o", "json")
    text = json.dumps(result.json())
    assert "S3cr3tPass" not in text and "tfk_live_abcdef123456" not in text
    assert "postgres://app:<redacted>@db" in text


def test_markdown_does_not_pass_html_or_links_from_logs_into_the_ticket():
    line = ('ERROR <img src=x onerror=alert(1)> [click](https://evil.example) '
            "ConnectionRefusedError: [Errno 111] Connection refused\n")
    result = _analyze(line, "-o", "markdown")
    assert result.code == 0
    outside_fences = result.stdout.split("```")[::2]
    for part in outside_fences:
        assert "<img" not in part and "](https://evil" not in part


def test_rule_titles_from_a_users_rules_file_are_sanitised(tmp_path: Path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(json.dumps({"rules": [{
        "id": "evil-title", "title": f"Bad {CLEAR}thing", "severity": "error",
        "cause": "c", "fix": "f", "patterns": ["EVILMARK"],
        "samples": ["ERROR EVILMARK"]}]}))
    result = run("--rules", str(rules), "analyze", "-", stdin=b"ERROR EVILMARK here\n")
    assert result.code == 0, result.stderr
    assert "Bad thing" in result.stdout and "\x1b" not in result.stdout


def test_arguments_echoed_in_errors_are_sanitised():
    result = run(*HANDWRITTEN, "logs", f"nope{OSC52}")
    assert result.code == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert result.stderr.count("\n") <= 2


def test_bad_selector_on_a_bundle_is_one_line_exit_1():
    result = run(*HANDWRITTEN, "status", "-l", "x in (a")
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == "error: unable to parse requirement: 'x in (a'\n"


def test_huge_duration_is_a_usage_error_not_a_traceback():
    result = run(*HANDWRITTEN, "logs", "taskflow-api", "--since", "99999999999999999999h")
    assert result.code == 2
    assert result.stderr.startswith('error: Invalid value for --since: duration')


def test_unexpected_exception_is_one_line_and_debug_shows_it(tmp_path: Path):
    bundle = tmp_path / "b"
    (bundle / "shop").mkdir(parents=True)
    (bundle / "shop" / "pods.json").write_text('{"kind": "PodList", "items": ["a"]}')
    result = run("--bundle", str(bundle), "-n", "shop", "status")
    assert result.code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_plugin_alone_prints_help_and_succeeds():
    done = subprocess.run([sys.executable, "-m", "kubectl_triage"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("Usage: kubectl triage")
    assert done.stderr == ""
