"""Exit codes that gate (DESIGN.md): verify is a gate, --fail-on counts failed checks, an
empty selection is not a clean bill of health."""

from __future__ import annotations

import pytest

from tests.helpers import HANDWRITTEN, run


def test_verify_exits_3_when_a_check_fails_without_fail_on():
    result = run(*HANDWRITTEN, "verify", "web-dashboard", "--image",
                 "ghcr.io/acme/taskflow-web:9.9.9")
    assert result.code == 3 and "FAIL" in result.stdout


def test_verify_exits_0_when_every_check_passes():
    assert run(*HANDWRITTEN, "verify", "web-dashboard").code == 0


@pytest.mark.parametrize("level", ["warning", "error"])
def test_fail_on_counts_a_failed_check_as_an_error(level):
    result = run(*HANDWRITTEN, "--fail-on", level, "checklist")
    assert "fail" in result.stdout.lower()
    assert result.code == 3


def test_an_empty_selection_says_so_and_exits_1():
    result = run(*HANDWRITTEN, "logs", "-l", "app=nope")
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == "error: No resources found in taskflow namespace.\n"


def test_dapr_publish_on_a_bundle_refuses_before_asking():
    result = run(*HANDWRITTEN, "dapr", "publish", "taskflow-api", "pubsub", "task-events",
                 tty=True, stdin=b"y\n")
    assert result.code == 2
    assert "Publish to" not in result.stderr
    assert "cannot run on a bundle" in result.stderr


def test_no_headers_applies_to_checks_and_messages_cut_show_an_ellipsis():
    checks = run(*HANDWRITTEN, "--no-headers", "checklist").stdout
    assert "VERDICT" not in checks
    groups = run(*HANDWRITTEN, "logs", "taskflow-api").stdout
    assert "…" in groups
