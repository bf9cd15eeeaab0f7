"""`rules list|show|test`: the rules table, one rule, and a check of a user rules file."""

from __future__ import annotations

import difflib
from pathlib import Path

from kubectl_triage.errors import NotFound
from kubectl_triage.evidence import Verdict
from kubectl_triage.report import Check, Report, Table
from kubectl_triage.rules.engine import RuleSet, analyze_chunks
from kubectl_triage.rules.load import builtin_rules, read_rules_file
from kubectl_triage.rules.model import CAMEL, Rule, rule_row


def rules_list_report(ruleset: RuleSet) -> Report:
    rows = tuple(
        (r.id, r.severity.label, ",".join(sorted(r.scopes)), r.title, r.origin)
        for r in sorted(ruleset.rules, key=lambda r: r.id)
    )
    table = Table(
        "rules", ("id", "severity", "scopes", "title", "origin"), rows, wide_columns=("origin",)
    )
    return Report(context="-", namespace="-", command="rules", tables=(table,))


def rules_show_report(ruleset: RuleSet, rule_id: str) -> Report:
    rule = ruleset.by_id.get(rule_id)
    if rule is None:
        near = difflib.get_close_matches(rule_id, sorted(ruleset.by_id), n=3)
        raise NotFound(f'rule "{rule_id}" not found', suggestions=near)
    rows = [
        ("id", rule.id),
        ("title", rule.title),
        ("severity", rule.severity.label),
        ("scopes", ", ".join(sorted(rule.scopes))),
        ("cause", rule.cause),
        ("fix", rule.fix),
    ]
    rows += [("next", cmd) for cmd in rule.next]
    rows += [("pattern", p.pattern) for p in rule.patterns]
    rows += [("exclude", p.pattern) for p in rule.exclude]
    rows += [("sample", s.replace("\n", "\\n")) for s in rule.samples]
    rows += [("counter-sample", s.replace("\n", "\\n")) for s in rule.counter_samples]
    rows.append(("origin", rule.origin))
    table = Table("rule", ("field", "value"), tuple(rows))
    return Report(
        context="-",
        namespace="-",
        command="rules",
        tables=(table,),
        # The row as a rules file spells it (rule_row), keys in the report's camelCase:
        # `-o yaml` pastes back unchanged, `-o json` keeps the keys it always had.
        extra={"rule": _shown(rule)},
    )


def _shown(rule: Rule) -> dict[str, object]:
    row: dict[str, object] = {CAMEL.get(k, k): v for k, v in rule_row(rule).items()}
    # Derived now, and ignored when a file gives them; kept for scripts that read them.
    row["literals"] = list(rule.literals)
    return row


def rules_test_report(path: Path) -> Report:
    """Load a user rules file; run each rule's samples and counter-samples with the
    built-in table beside it (so a user rule that a built-in one shadows shows up)."""
    user = read_rules_file(path)
    merged = {r.id: r for r in builtin_rules()}
    merged.update({r.id: r for r in user})
    ruleset = RuleSet(list(merged.values()))
    checks = []
    for rule in user:
        for sample in rule.samples:
            got = [f.rule for f in analyze_chunks([sample.encode()], ruleset).findings()]
            ok = rule.id in got
            checks.append(
                Check(
                    f"{rule.id}: sample",
                    Verdict.PASS if ok else Verdict.FAIL,
                    _short(sample) + ("" if ok else f" -> {', '.join(got) or 'nothing'}"),
                )
            )
        for sample in rule.counter_samples:
            got = [f.rule for f in analyze_chunks([sample.encode()], ruleset).findings()]
            ok = rule.id not in got
            checks.append(
                Check(
                    f"{rule.id}: counter-sample",
                    Verdict.PASS if ok else Verdict.FAIL,
                    _short(sample),
                )
            )
        if not rule.samples:
            checks.append(Check(f"{rule.id}: sample", Verdict.WARN, "no samples: add some"))
        if not rule.literals:
            checks.append(Check(f"{rule.id}: prefilter", Verdict.WARN,
                                "a pattern has no certain text of 3+ characters: every log "
                                "line is read, slower"))
    return Report(
        context="-",
        namespace="-",
        command="rules",
        checks=tuple(checks),
        notes=(f"{path}: {len(user)} rule(s) loaded.",),
    )


def _short(text: str) -> str:
    line = text.replace("\n", "\\n")
    return line if len(line) < 80 else line[:77] + "..."
