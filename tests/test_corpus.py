"""The real-log corpus (tests/data/corpus/dev.jsonl, see its README) through `analyze`.

A positive excerpt must report its first expected rule; a benign one no warning/error
finding; and, over the whole set, every reported rule must be among the expected ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubectl_triage.evidence import Severity
from kubectl_triage.rules.engine import RuleSet, analyze_chunks
from kubectl_triage.rules.load import builtin_rules

CORPUS = Path(__file__).parent / "data" / "corpus" / "dev.jsonl"
EXCERPTS = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()
            if line.strip()]
RULESET = RuleSet(builtin_rules())

# Excerpts whose first expected rule no pattern can name without being wrong in general.
UNDETECTABLE = {
    "s256": "a .NET gRPC 'actively refused' with nothing saying the target is the Dapr "
            "sidecar (no :50001/:3500, no Dapr type): reported as connection-refused",
}
# Excerpts allowed to report a rule they do not expect.
INEXACT = {
    "s223": "the bare `Dapr.Client.InvocationException` line printed under the 404 body it "
            "wraps reads as an unhandled exception",
}


def _findings(excerpt: dict):
    return analyze_chunks([excerpt["log"].encode()], RULESET).findings()


def _param(excerpt: dict):
    marks = ()
    if excerpt["id"] in UNDETECTABLE:
        marks = pytest.mark.xfail(reason=UNDETECTABLE[excerpt["id"]], strict=True)
    return pytest.param(excerpt, id=excerpt["id"], marks=marks)


POSITIVE = [_param(e) for e in EXCERPTS if e["expect"]]
BENIGN = [_param(e) for e in EXCERPTS if not e["expect"]]


@pytest.mark.parametrize("excerpt", POSITIVE)
def test_positive_excerpt_reports_its_first_expected_rule(excerpt):
    rules = [f.rule for f in _findings(excerpt)]
    assert excerpt["expect"][0] in rules, (excerpt["source"], rules)


@pytest.mark.parametrize("excerpt", BENIGN)
def test_benign_excerpt_gives_no_warning_or_error_finding(excerpt):
    loud = [f.rule for f in _findings(excerpt) if f.severity >= Severity.WARNING]
    assert not loud, excerpt["source"]


def test_reported_rules_are_among_the_expected_ones():
    inexact = {}
    for excerpt in EXCERPTS:
        extra = {f.rule for f in _findings(excerpt)} - set(excerpt["expect"])
        if excerpt["expect"] and extra:
            inexact[excerpt["id"]] = sorted(extra)
    assert set(inexact) <= set(INEXACT), {k: v for k, v in inexact.items() if k not in INEXACT}


def test_the_allow_lists_name_real_excerpts():
    ids = {e["id"] for e in EXCERPTS}
    assert set(UNDETECTABLE) <= ids and set(INEXACT) <= ids
    assert len(EXCERPTS) == 135
