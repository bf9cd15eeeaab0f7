"""Every next command the demo's reports suggest runs: it names objects that exist, holds
no placeholder, and a `kubectl triage` one exits 0 (or 3, findings) on the demo."""

from __future__ import annotations

import shlex

import pytest

from tests.helpers import HANDWRITTEN, HANDWRITTEN_DEMO, run

REPORTS = [
    ("summary",), ("checklist",), ("logs", "taskflow-api"), ("logs", "reminder-worker"),
    ("events",), ("dapr", "subs", "notification-service"), ("verify", "web-dashboard"),
]


def _suggested() -> list[str]:
    commands: set[str] = set()
    for args in REPORTS:
        report = run(*HANDWRITTEN, *args, "-o", "json").json()
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
    result = run(*HANDWRITTEN, *args)
    assert result.code in (0, 3), (command, result.stderr)


def test_with_several_namespaces_a_command_names_its_workload_in_its_own_namespace(tmp_path):
    """One finding seen in two namespaces (-A: the demo's worker and the tiny bundle's web
    both crash-loop) fills its commands from one place: `logs reminder-worker -n shop` would
    name the taskflow workload in the shop namespace, and fail."""
    import json
    import shutil
    from pathlib import Path

    root = tmp_path / "two"
    shutil.copytree(HANDWRITTEN_DEMO, root)
    tiny = Path(__file__).parent / "cluster" / "testdata" / "tiny" / "shop"
    shutil.copytree(tiny, root / "shop")
    names: dict[str, set[str]] = {}
    for ns in ("taskflow", "shop"):
        for kind in ("deployments", "statefulsets", "pods"):
            path = root / ns / f"{kind}.json"
            if path.exists():
                items = json.loads(path.read_text())["items"]
                names.setdefault(ns, set()).update(i["metadata"]["name"] for i in items)
    everywhere = set().union(*names.values())
    report = run("--bundle", str(root), "-A", "summary", "-o", "json").json()
    checked = 0
    for finding in report["findings"]:
        for command in finding.get("next") or []:
            words = shlex.split(command)
            if "-n" not in words:
                continue
            ns = words[words.index("-n") + 1]
            named = [w for w in words if w in everywhere]
            assert all(w in names[ns] for w in named), (finding["rule"], command)
            checked += len(named)
    assert checked > 5
