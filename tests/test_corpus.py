"""The real-log corpus (tests/data/corpus/*.jsonl, see its README) through `analyze`.

A positive excerpt must report its first expected rule and no rule it does not expect; a
benign one no warning/error finding. What the rules get wrong today is listed, per excerpt
and check, in known-misses.json (written by `bench/eval_corpus.py --write-known-misses`) and
runs as strict xfails: a miss that starts passing fails until it is taken off the list, and a
miss not on the list fails.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from kubectl_triage.evidence import Severity
from kubectl_triage.rules.engine import RuleSet, analyze_chunks
from kubectl_triage.rules.load import builtin_rules

DATA = Path(__file__).parent / "data" / "corpus"
CORPUS_FILES = ("dev.jsonl", "real.jsonl")
EXCERPTS = [
    json.loads(line)
    for name in CORPUS_FILES
    for line in (DATA / name).read_text(encoding="utf-8").splitlines()
    if line.strip()
]
BY_ID = {e["id"]: e for e in EXCERPTS}
RULESET = RuleSet(builtin_rules())
KNOWN_MISSES_FILE = DATA / "known-misses.json"
KNOWN_MISSES: dict[str, dict[str, str]] = (
    json.loads(KNOWN_MISSES_FILE.read_text(encoding="utf-8"))
    if KNOWN_MISSES_FILE.exists()
    else {}
)
# Rule ids the corpus may expect before the table has them (being added in parallel).
PENDING_RULES = {"service-no-endpoints"}

# Excerpts whose first expected rule no pattern can name without being wrong in general.
UNDETECTABLE = {
    "s256": "a .NET gRPC 'actively refused' with nothing saying the target is the Dapr "
            "sidecar (no :50001/:3500, no Dapr type): reported as connection-refused",
    "a123": "the same in Grpc.Net.Client's words ('Error starting gRPC call: Connection "
            "refused'): any gRPC client prints it; reported as connection-refused",
    "a124": "grpcurl refused on a random local port (dapr run's): nothing names Dapr; "
            "reported as connection-refused",
    "a192": "a bare java.net.ConnectException under grpc-netty frames, no io.dapr frame in "
            "the excerpt: reported as connection-refused",
    "a176": "etcd's own 'etcdserver: requested lease not found', which kube-apiserver and "
            "every etcd client print too; nothing names the Dapr scheduler",
    "b048": "kubectl describe of an init container Waiting: PodInitializing with no age: "
            "the normal state for seconds at start-up, a counter-sample of the rule",
    "b227": "kubectl describe of a wait-for-mysql init container still Running, with no "
            "age: the normal state while the database starts",
}
# Excerpts allowed to report a rule they do not expect (s223 left it when a stray fallback
# beside a named failure stopped being reported): strict, so a fixed one leaves the list.
INEXACT: dict[str, str] = {}


@cache
def _findings(excerpt_id: str):
    return analyze_chunks([BY_ID[excerpt_id]["log"].encode()], RULESET).findings()


def _param(excerpt: dict, kind: str, allowed: dict[str, str] | None = None, strict: bool = True):
    marks = ()
    known = KNOWN_MISSES.get(kind, {})
    if allowed and excerpt["id"] in allowed:
        marks = pytest.mark.xfail(reason=allowed[excerpt["id"]], strict=strict)
    elif excerpt["id"] in known:
        marks = pytest.mark.xfail(reason=f"known miss: {known[excerpt['id']]}", strict=True)
    return pytest.param(excerpt, id=excerpt["id"], marks=marks)


POSITIVES = [e for e in EXCERPTS if e["expect"]]
BENIGNS = [e for e in EXCERPTS if not e["expect"]]


@pytest.mark.parametrize("excerpt", [_param(e, "undetected", UNDETECTABLE) for e in POSITIVES])
def test_positive_excerpt_reports_its_first_expected_rule(excerpt):
    rules = [f.rule for f in _findings(excerpt["id"])]
    assert excerpt["expect"][0] in rules, (excerpt["source"], rules)


@pytest.mark.parametrize("excerpt", [_param(e, "inexact", INEXACT) for e in POSITIVES])
def test_positive_excerpt_reports_only_expected_rules(excerpt):
    extra = {f.rule for f in _findings(excerpt["id"])} - set(excerpt["expect"])
    assert not extra, (excerpt["source"], sorted(extra))


@pytest.mark.parametrize("excerpt", [_param(e, "loud") for e in BENIGNS])
def test_benign_excerpt_gives_no_warning_or_error_finding(excerpt):
    loud = [f.rule for f in _findings(excerpt["id"]) if f.severity >= Severity.WARNING]
    assert not loud, (excerpt["source"], loud)


def test_the_allow_lists_name_real_excerpts():
    ids = set(BY_ID)
    assert set(UNDETECTABLE) <= ids and set(INEXACT) <= ids
    positive = {e["id"] for e in POSITIVES}
    assert set(KNOWN_MISSES.get("undetected", {})) <= positive
    assert set(KNOWN_MISSES.get("inexact", {})) <= positive
    assert set(KNOWN_MISSES.get("loud", {})) <= ids - positive
    assert sum(e["id"].startswith("s") for e in EXCERPTS) == 135  # dev.jsonl
    assert len(EXCERPTS) == 1017


def test_the_corpus_holds_the_floor_issue_9_sets():
    # At least 700 excerpts, 30% benign, and every rule id expected first by at least 12
    # excerpts from at least 3 source projects (owner/repo), so no rule is judged on one
    # project's wording.
    assert len(EXCERPTS) >= 700
    benign = sum(not e["expect"] for e in EXCERPTS)
    assert benign / len(EXCERPTS) >= 0.30, f"{benign} of {len(EXCERPTS)} benign"
    by_rule: dict[str, list[str]] = {}
    for e in POSITIVES:
        by_rule.setdefault(e["expect"][0], []).append(re.split(r"[#:]", e["source"], maxsplit=1)[0])
    for rule in builtin_rules():
        projects = by_rule.get(rule.id, [])
        assert len(projects) >= 12 and len(set(projects)) >= 3, (rule.id, len(projects))


def test_the_corpus_files_are_well_formed():
    known_rules = {r.id for r in builtin_rules()} | PENDING_RULES
    source = re.compile(r"^[\w.-]+/[\w.-]+(#\d+|:\S.*)$")
    assert len(BY_ID) == len(EXCERPTS), "duplicate ids"
    assert len({e["log"] for e in EXCERPTS}) == len(EXCERPTS), "duplicate texts"
    for e in EXCERPTS:
        assert set(e) == {"id", "source", "origin", "expect", "log"}, e["id"]
        assert e["origin"] in {"app", "daprd", "kubectl"}, e["id"]
        assert source.match(e["source"]), e["id"]
        assert e["log"].strip(), e["id"]
        assert len(set(e["expect"])) == len(e["expect"]), e["id"]
        assert set(e["expect"]) <= known_rules, (e["id"], set(e["expect"]) - known_rules)
