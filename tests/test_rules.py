"""The rules table: every row's own samples and counter-samples, the ids scripts rely on, the
literals the prefilter scans for, and users' rules files."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml

from kubectl_triage.errors import RulesFileError
from kubectl_triage.evidence import Level, Record
from kubectl_triage.rules import cache
from kubectl_triage.rules import load as load_module
from kubectl_triage.rules.engine import LEVEL_LITERALS, RuleSet, analyze_chunks
from kubectl_triage.rules.literals import required_literals
from kubectl_triage.rules.load import builtin_rules, load_rules, read_rules_file
from kubectl_triage.rules.model import ID_RE, Specificity, make_rule, rule_row
from tests.helpers import alias_bomb, run

RULES = builtin_rules()
RULESET = RuleSet(RULES)
NORMAL_LOG = Path(__file__).parent / "data" / "normal.log"

# DESIGN.md, "The rules table (minimum ids)": stable, scripts rely on them.
DESIGN_IDS = {
    "schema-mismatch", "wrong-endpoint", "async-sqlalchemy-greenlet", "cloudevent-unwrap",
    "timezone",
    "crash-loop", "oom-killed", "image-pull", "probe-failure", "scheduling", "config-missing",
    "volume-mount", "evicted", "init-container",
    "db-connection", "db-schema-drift", "dns-resolution", "connection-refused", "timeout",
    "tls-certificate", "auth-failure", "forbidden", "upstream-5xx", "import-error",
    "unhandled-exception", "app-out-of-memory", "port-in-use", "disk-full",
    "too-many-open-files", "validation-error", "rate-limited",
    "dapr-app-channel", "dapr-component-missing", "dapr-component-init", "dapr-scheduler",
    "dapr-placement", "dapr-subscription", "dapr-sidecar-unavailable", "dapr-mtls",
    "dapr-invoke-target",
}
GENERIC = {"connection-refused", "timeout", "upstream-5xx", "forbidden", "auth-failure",
           "validation-error", "rate-limited", "dns-resolution"}


def found(text: str) -> list[str]:
    """The rule ids `analyze` reports for a piece of log text."""
    return [f.rule for f in analyze_chunks([text.encode()], RULESET).findings()]


SAMPLES = [pytest.param(r.id, s, id=f"{r.id}-{i}") for r in RULES for i, s in enumerate(r.samples)]
COUNTERS = [pytest.param(r.id, s, id=f"{r.id}-{i}")
            for r in RULES for i, s in enumerate(r.counter_samples)]


@pytest.mark.parametrize("rule_id, sample", SAMPLES)
def test_sample_is_reported_as_its_rule(rule_id, sample):
    assert rule_id in found(sample)


@pytest.mark.parametrize("rule_id, sample", COUNTERS)
def test_counter_sample_is_not_reported_as_its_rule(rule_id, sample):
    assert rule_id not in found(sample)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_has_two_samples_two_counter_samples_cause_fix_and_next(rule):
    assert len(rule.samples) >= 2 and len(rule.counter_samples) >= 2
    assert rule.title and rule.cause and rule.fix and rule.next
    assert all(cmd.startswith("kubectl ") for cmd in rule.next)


@pytest.mark.parametrize("rule", [r for r in RULES if r.scopes > {"log"}], ids=lambda r: r.id)
def test_kubernetes_samples_match_as_status_and_event_records_too(rule):
    for sample in rule.samples:
        for kind in ("status", "event"):
            record = Record(text=sample, level=Level.WARNING, message=sample, kind=kind)
            match = RULESET.classify(record)
            assert match is not None and match.rule.id == rule.id, (kind, sample)


# What rules/facts.py writes for pod status and events ("{reason}: {message}").
EVENT_AND_STATUS_TEXTS = [
    ("BackOff: Back-off restarting failed container app in pod x", "crash-loop"),
    ("Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 500", "probe-failure"),
    ("FailedScheduling: 0/3 nodes are available: 3 Insufficient cpu.", "scheduling"),
    ("OOMKilling: Memory cgroup out of memory: Killed process 1234", "oom-killed"),
    ('Failed: Failed to pull image "x": rpc error: code = NotFound desc = not found', "image-pull"),
    ('FailedMount: MountVolume.SetUp failed for volume "cfg" : configmap "cfg" not found',
     "volume-mount"),
    ("Evicted: The node was low on resource: memory.", "evicted"),
    ("container worker in pod reminder-worker-abc is waiting: CrashLoopBackOff: back-off 5m0s "
     "restarting failed container", "crash-loop"),
    ("container app in pod web-1 last terminated: OOMKilled (exit code 137), restarts 3",
     "oom-killed"),
    ("container app in pod web-1 last terminated: Error (exit code 1), restarts 3", "crash-loop"),
    ('container app in pod web-1 is waiting: ImagePullBackOff: Back-off pulling image "x"',
     "image-pull"),
    ('container app in pod web-1 is waiting: CreateContainerConfigError: secret "db" not found',
     "config-missing"),
    ("init container migrate in pod web-1 is waiting: CrashLoopBackOff", "init-container"),
    ("init container migrate in pod web-1 is terminated: Error (exit code 1)", "init-container"),
    ("pod web-1 is Failed: Evicted: The node was low on resource: memory.", "evicted"),
    ("pod web-1 is Pending: Unschedulable: 0/3 nodes are available: 3 Insufficient memory.",
     "scheduling"),
]


@pytest.mark.parametrize("text, rule_id", EVENT_AND_STATUS_TEXTS)
def test_event_and_pod_status_texts_name_their_rule(text, rule_id):
    for kind in ("event", "status"):
        match = RULESET.classify(Record(text=text, level=Level.WARNING, message=text, kind=kind))
        assert match is not None and match.rule.id == rule_id


def test_every_design_id_exists_once_and_is_kebab_case():
    ids = [rule.id for rule in RULES]  # every row of rules/builtin.yaml, in order
    assert len(ids) == len(set(ids))
    assert set(ids) >= DESIGN_IDS
    assert all(ID_RE.match(i) for i in ids)


def test_specificity_generic_symptoms_and_the_one_fallback():
    by_id = {r.id: r for r in RULES}
    assert {r.id for r in RULES if r.specificity is Specificity.FALLBACK} == {
        "unhandled-exception"}
    assert {r.id for r in RULES if r.specificity is Specificity.GENERIC} == GENERIC
    assert by_id["db-connection"].specificity > by_id["connection-refused"].specificity


def test_a_specific_cause_wins_over_the_symptom_and_the_fallback():
    trace = ("Traceback (most recent call last):\n"
             '  File "/app/db.py", line 8, in connect\n'
             "    conn = psycopg2.connect(DSN)\n"
             "psycopg2.OperationalError: could not connect to server: Connection refused\n"
             '\tIs the server running on host "db" (10.0.0.7) and accepting\n')
    assert found(trace) == ["db-connection"]


# ---- literals: what the prefilter scans 100 MB logs for ------------------------------------

def _selective(word: str) -> bool:
    return len(word) >= 4 or bool(re.search(r"[^a-z0-9]", word))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_literals_are_long_or_punctuated(rule):
    # The engine's level words ("err", "exception", "panic") are quiet in the prefilter:
    # a line they alone hit is skipped when its own level is low.
    assert all(w in LEVEL_LITERALS or _selective(w) for w in rule.literals), rule.literals


def test_normal_traffic_holds_no_literal_and_gives_no_finding():
    text = NORMAL_LOG.read_text(encoding="utf-8")
    assert len(text.splitlines()) >= 200
    lowered = text.lower()
    # The prefilter's quiet words: the engine's level words, and the derived literals that are
    # level words themselves (crash-loop's `Error` status, the exception line's `Error`).
    quiet = {w.decode() for w in RULESET.prefilter.quiet_words}
    assert quiet - set(LEVEL_LITERALS) == {"error"}
    for rule in RULES:
        hits = [w for w in rule.literals if w not in quiet and w in lowered]
        assert not hits, (rule.id, hits)
    # What the prefilter really scans for: each literal from its rarest byte on.
    scanned = [w.decode() for w in RULESET.prefilter.literals if w.decode() not in quiet]
    assert not [w for w in scanned if w in lowered]
    assert found(text) == []


# ---- users' rules files ----------------------------------------------------------------------

def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD = """\
rules:
  - id: {id}
    title: Payment provider rejected the card
    severity: warning
    cause: The provider declined the charge.
    fix: Ask the customer for another card.
    patterns: ["{pattern}"]
    samples: ["ERROR card declined by provider"]
"""


def test_a_user_rule_file_adds_a_rule(tmp_path):
    path = _write(tmp_path, GOOD.format(id="card-declined", pattern="card declined"))
    (rule,) = read_rules_file(path)
    assert rule.id == "card-declined" and rule.origin == str(path)
    assert rule.literals == ("card declined",)


@pytest.mark.parametrize("body, problem", [
    (GOOD.format(id="card-declined", pattern="card (declined"), "bad regex"),
    (GOOD.format(id="card-declined", pattern="card declined") + "    colour: red\n",
     "unknown field(s): colour"),
    (GOOD.format(id="card-declined", pattern="card declined").replace(
        "    fix: Ask the customer for another card.\n", ""), "missing field(s): fix"),
])
def test_a_bad_user_rule_names_the_file_the_rule_and_the_problem(tmp_path, body, problem):
    path = _write(tmp_path, body)
    with pytest.raises(RulesFileError) as caught:
        read_rules_file(path)
    message = str(caught.value)
    assert str(path) in message and "'card-declined'" in message and problem in message
    assert "\n" not in message


def test_a_user_rule_overrides_the_built_in_row_with_its_id(tmp_path):
    path = _write(tmp_path, GOOD.format(id="crash-loop", pattern="worker gave up"))
    rules = load_rules(path, use_default=False)
    assert len(rules) == len(RULES)
    ruleset = RuleSet(rules)
    crash = ruleset.by_id["crash-loop"]
    assert crash.origin == str(path) and crash.title.startswith("Payment")
    ids = [f.rule for f in analyze_chunks([b"ERROR worker gave up after 3 tries\n"],
                                          ruleset).findings()]
    assert ids == ["crash-loop"]
    # The built-in patterns are gone with the row it replaced.
    assert "crash-loop" not in [
        f.rule for f in analyze_chunks([b"web-1   0/1   CrashLoopBackOff   7   14m\n"],
                                       ruleset).findings()]


# ---- derived literals: the prefilter never hides a line the rules would match -------------

ALL_TEXTS = [pytest.param(s, id=f"{r.id}-{kind}{i}") for r in RULES
             for kind, texts in (("s", r.samples), ("c", r.counter_samples))
             for i, s in enumerate(texts)]


@pytest.mark.parametrize("text", ALL_TEXTS)
def test_the_prefilter_drops_no_line_the_full_rules_would_match(text):
    full = {f.rule for f in analyze_chunks([text.encode()], RULESET, all_lines=True).findings()}
    fast = {f.rule for f in analyze_chunks([text.encode()], RULESET).findings()}
    assert full <= fast


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_match_of_a_pattern_holds_one_of_its_derived_literals(rule):
    for text in (*rule.samples, *rule.counter_samples):
        for pattern in rule.patterns:
            found_match = pattern.search(text)
            if found_match:
                words = required_literals(pattern.pattern)
                assert words and any(w in found_match.group().lower() for w in words), (
                    pattern.pattern, found_match.group())


@pytest.mark.parametrize("pattern, literals", [
    ("card declined", {"card declined"}),
    (r"status(?:[_ ]?code)?[=:] ?404\b",
     {f"status{c}{s}404" for c in ("", "_code", " code", "code") for s in ("=", "= ", ":", ": ")}),
    (r"(?:Error|Exception) in thread", {" in thread"}),
    (r"no (?:pubsub|state store)s? (?:is |are )?configured", {" configured"}),
    (r"\d+ms", None),
    (r"(?:foo|\w+) refused", {" refused"}),
])
def test_literals_are_derived_from_the_regex(pattern, literals):
    assert required_literals(pattern) == (None if literals is None else frozenset(literals))


def test_a_user_rule_gets_derived_literals(tmp_path):
    path = _write(tmp_path, GOOD.format(id="card-declined",
                                        pattern="card (?:declined|refused) by (?:stripe|adyen)"))
    (rule,) = read_rules_file(path)
    assert set(rule.literals) == {"card declined by ", "card refused by "}
    ruleset = RuleSet(load_rules(path, use_default=False))
    assert not ruleset.prefilter.keep_all
    ids = [f.rule for f in analyze_chunks([b"INFO ok\nERROR card refused by adyen\n"],
                                          ruleset).findings()]
    assert ids == ["card-declined"]


def test_a_user_rule_without_certain_text_is_read_on_every_line(tmp_path):
    path = _write(tmp_path, GOOD.format(id="slow-call", pattern="\\\\b\\\\d{5,}ms"))
    (rule,) = read_rules_file(path)
    assert rule.literals == ()
    ruleset = RuleSet(load_rules(path, use_default=False))
    assert ruleset.prefilter.keep_all  # no line may be skipped: nothing certain to look for
    ids = [f.rule for f in analyze_chunks([b"INFO ok\nWARN call took 12000ms\n"],
                                          ruleset).findings()]
    assert ids == ["slow-call"]


def test_a_retired_literals_field_is_accepted_and_ignored(tmp_path):
    path = _write(tmp_path, GOOD.format(id="card-declined", pattern="card declined")
                  + "    literals: [car]\n")
    (rule,) = read_rules_file(path)
    assert rule.literals == ("card declined",)


# ---- the built-in table's cache ------------------------------------------------------------

def test_the_built_in_table_is_read_from_its_cache_and_equal(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = builtin_rules()  # a miss: parses the YAML and writes the entry
    (entry,) = (tmp_path / "kubectl-triage").iterdir()
    monkeypatch.setattr(load_module, "_rows", lambda *_: pytest.fail("YAML parsed on a hit"))
    assert builtin_rules() == first == RULES


def test_a_corrupt_or_stale_cache_entry_is_a_miss(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    builtin_rules()
    (entry,) = (tmp_path / "kubectl-triage").iterdir()
    entry.write_bytes(b"\x00garbage")
    assert builtin_rules() == RULES
    assert cache.load(load_module.BUILTIN, load_module.builtin_text()) is not None  # rewritten
    assert cache.load(load_module.BUILTIN, load_module.builtin_text() + "#\n") is None


def test_an_unwritable_cache_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert builtin_rules() == RULES


# ---- one schema: the table, a user's file and `rules show -o yaml` spell a row alike --------

def test_every_built_in_row_is_spelled_as_rules_show_prints_it():
    rows = yaml.safe_load(load_module.builtin_text())["rules"]
    for row in rows:
        printed = rule_row(make_rule(row))
        assert printed == row and list(printed) == list(row), row["id"]


def _pasted(shown: str) -> str:
    """The lines under `rule:` pasted as one item of a user's `rules:` list."""
    lines = shown.splitlines()
    block = lines[lines.index("rule:") + 1:]
    # the row ends at the next top-level key (a blank line may sit inside a quoted sample)
    block = block[:next((i for i, ln in enumerate(block) if ln and not ln.startswith("  ")),
                        len(block))]
    return "rules:\n" + "\n".join(("- " if i == 0 else "  " if ln else "") + ln[2:]
                                  for i, ln in enumerate(block)) + "\n"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rules_show_yaml_pastes_back_into_a_rules_file_as_the_same_rule(rule, tmp_path):
    shown = run("rules", "show", rule.id, "-o", "yaml")
    assert shown.code == 0, shown.stderr
    pasted = _write(tmp_path, _pasted(shown.stdout))
    saved = tmp_path / "saved.yaml"  # the whole output, `> saved.yaml`
    saved.write_text(shown.stdout, encoding="utf-8")
    for path in (pasted, saved):
        (loaded,) = read_rules_file(path)
        assert loaded.origin == str(path)
        assert dataclasses.replace(loaded, origin=rule.origin) == rule


def test_no_cache_is_written_when_the_zipapp_cache_is_off(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("KUBECTL_TRIAGE_ZIPAPP_CACHE", "off")
    assert builtin_rules() == RULES
    assert list(tmp_path.iterdir()) == []


def test_rules_test_warns_of_a_rule_that_makes_every_line_be_read(tmp_path):
    path = _write(tmp_path, GOOD.format(id="slow-call", pattern="\\\\b\\\\d{5,}ms").replace(
        "ERROR card declined by provider", "WARN call took 12000ms"))
    result = run("rules", "test", str(path), "-o", "json")
    assert result.code == 0, result.stderr
    checks = {c["step"]: c["verdict"] for c in result.json()["checks"]}
    assert checks["slow-call: prefilter"] == "warn"


@pytest.mark.parametrize("pattern, why", [
    ("(a+)+$", "exponential"),
    ("(\\\\w+\\\\s?)*done", "exponential"),
    ("\\\\w*Timeout", "opens with an unbounded repeat"),
    ("\\\\d+/\\\\d+ nodes", "opens with an unbounded repeat"),
])
def test_a_user_rule_that_backtracks_without_bound_is_refused(tmp_path, pattern, why):
    path = _write(tmp_path, GOOD.format(id="slow-regex", pattern=pattern))
    result = run("--rules", str(path), "rules", "list")
    assert result.code == 2, result.stdout
    assert "refused" in result.stderr and why in result.stderr
    assert result.stderr.count("\n") == 1


def test_no_built_in_pattern_backtracks_without_bound():
    from kubectl_triage.rules.regexlint import backtracking_risk

    risky = {(r.id, p.pattern) for r in builtin_rules() for p in (*r.patterns, *r.exclude)
             if backtracking_risk(p.pattern)}
    assert not risky


def test_a_rules_file_alias_bomb_or_binary_is_one_line(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb("rules"))
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe rules: []")
    for path, message in ((bomb, "alias bomb"), (binary, "not UTF-8")):
        result = run("--rules", str(path), "rules", "list")
        assert result.code == 2 and message in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("command, message", [
    ("kubectl {", "Single '{'"),
    ("kubectl logs {pod.__class__}", "placeholders are"),
    ("kubectl logs {podd}", "placeholders are"),
])
def test_a_next_command_that_cannot_be_filled_is_refused_when_loaded(tmp_path, command, message):
    row = GOOD.format(id="bad-next", pattern="BADNEXT")
    next_line = f"    next: [{json.dumps(command)}]\n    fix:"
    path = _write(tmp_path, row.replace("    fix:", next_line, 1))
    result = run("--rules", str(path), "rules", "list")
    assert result.code == 2 and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1
