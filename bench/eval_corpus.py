#!/usr/bin/env python3
"""Scores the rules table on the real-log corpus (tests/data/corpus); run on purpose.

    PYTHONPATH=$PWD python bench/eval_corpus.py                # figures + miss clusters
    PYTHONPATH=$PWD python bench/eval_corpus.py --write-known-misses
    PYTHONPATH=$PWD python bench/eval_corpus.py --write-readme-stats

Per rule id (an excerpt counts for the rule it expects first):
- samples: excerpts whose first expected id is the rule, in dev.jsonl / real.jsonl;
- detection: the first expected id is reported (any severity);
- exactness: every reported id is among the expected ones;
- FP benign: benign excerpts reporting the rule at warning or error;
- LOPO: detection when each source project P (owner/repo) is scored by a table without the
  patterns that match only P's excerpts. A pattern "matches only P" when, among every corpus
  excerpt and every rule's own `samples` (which name no project, so count as "not P"), the
  excerpts it matches all come from P. A rule fitted to the one project it was written from
  scores nothing there.

The engine is the one the tests use (RuleSet, analyze_chunks, builtin_rules); patterns are
removed with dataclasses.replace on the Rule, so this keeps working whatever file the rules
are loaded from.

--write-known-misses writes tests/data/corpus/known-misses.json: every excerpt that fails a
per-sample check of tests/test_corpus.py today (except the hand-written allow-lists there),
with a short reason. The test runs them as strict xfails: a miss that starts passing fails
the test until this list is regenerated, and a new miss fails it too.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from kubectl_triage.evidence import Severity
from kubectl_triage.rules.engine import RuleSet, analyze_chunks
from kubectl_triage.rules.load import builtin_rules
from kubectl_triage.rules.model import Rule

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus"
SETS = {"dev": CORPUS / "dev.jsonl", "real": CORPUS / "real.jsonl"}
KNOWN_MISSES = CORPUS / "known-misses.json"
README = CORPUS / "README.md"
STATS_BEGIN = "<!-- corpus-stats:begin (bench/eval_corpus.py --write-readme-stats) -->"
STATS_END = "<!-- corpus-stats:end -->"
BENIGN = "(benign)"


# --- corpus -------------------------------------------------------------------------------


def load_corpus(sets: dict[str, Path] = SETS) -> list[dict]:
    """Every excerpt, each with `set` (dev/real) and `project` (owner/repo) added."""
    excerpts = []
    for name, path in sets.items():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                excerpt = json.loads(line)
                excerpt["set"] = name
                excerpt["project"] = project_of(excerpt["source"])
                excerpts.append(excerpt)
    return excerpts


def project_of(source: str) -> str:
    """owner/repo of `owner/repo#123` or `owner/repo:path/to/file`."""
    return re.split(r"[#:]", source, maxsplit=1)[0]


def first_rule(excerpt: dict) -> str:
    return excerpt["expect"][0] if excerpt["expect"] else BENIGN


# --- scoring ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Result:
    reported: frozenset[str]  # every rule with a finding
    loud: frozenset[str]  # rules with a finding at warning or error

    def detected(self, excerpt: dict) -> bool:
        return bool(excerpt["expect"]) and excerpt["expect"][0] in self.reported

    def exact(self, excerpt: dict) -> bool:
        return self.reported <= set(excerpt["expect"])

    def quiet(self) -> bool:
        return not self.loud


def score(excerpt: dict, ruleset: RuleSet) -> Result:
    findings = analyze_chunks([excerpt["log"].encode()], ruleset).findings()
    return Result(
        frozenset(f.rule for f in findings),
        frozenset(f.rule for f in findings if f.severity >= Severity.WARNING),
    )


def score_all(excerpts: Sequence[dict], ruleset: RuleSet) -> dict[str, Result]:
    return {e["id"]: score(e, ruleset) for e in excerpts}


def pct(num: int, den: int) -> str:
    return f"{100 * num / den:5.1f}%" if den else "    -"


# --- leave one project out ----------------------------------------------------------------


def _searches(pattern: re.Pattern[str], text: str) -> bool:
    # Records are lines or multi-line blocks: an anchored pattern may match a line inside.
    return bool(pattern.search(text)) or any(pattern.search(ln) for ln in text.splitlines())


def single_project_patterns(
    rules: Sequence[Rule], excerpts: Sequence[dict]
) -> dict[str, dict[str, set[int]]]:
    """project -> rule id -> indexes of the patterns that match excerpts of that project only
    (rules' own samples count as another project)."""
    samples = [s for rule in rules for s in rule.samples]
    only: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for rule in rules:
        for index, pattern in enumerate(rule.patterns):
            projects = {e["project"] for e in excerpts if _searches(pattern, e["log"])}
            if len(projects) != 1:
                continue
            if any(_searches(pattern, s) for s in samples):
                continue
            only[projects.pop()][rule.id].add(index)
    return only


def without_patterns(rules: Sequence[Rule], drop: dict[str, set[int]]) -> list[Rule]:
    return [
        dataclasses.replace(
            rule,
            patterns=tuple(p for i, p in enumerate(rule.patterns) if i not in drop[rule.id]),
        )
        if drop.get(rule.id)
        else rule
        for rule in rules
    ]


def lopo(
    rules: Sequence[Rule], excerpts: Sequence[dict], base: dict[str, Result]
) -> tuple[dict[str, Result], dict[str, dict[str, set[int]]]]:
    only = single_project_patterns(rules, excerpts)
    by_project: dict[str, list[dict]] = defaultdict(list)
    for excerpt in excerpts:
        by_project[excerpt["project"]].append(excerpt)
    results = dict(base)
    for project, drop in only.items():
        ruleset = RuleSet(without_patterns(rules, drop))
        results.update(score_all(by_project[project], ruleset))
    return results, only


# --- reports ------------------------------------------------------------------------------


def overall(excerpts: Iterable[dict], results: dict[str, Result]) -> tuple[str, str, str]:
    excerpts = list(excerpts)
    pos = [e for e in excerpts if e["expect"]]
    ben = [e for e in excerpts if not e["expect"]]
    det = sum(results[e["id"]].detected(e) for e in pos)
    exa = sum(results[e["id"]].exact(e) for e in pos)
    qui = sum(results[e["id"]].quiet() for e in ben)
    return (
        f"{pct(det, len(pos))} ({det}/{len(pos)})",
        f"{pct(exa, len(pos))} ({exa}/{len(pos)})",
        f"{pct(qui, len(ben))} ({qui}/{len(ben)})",
    )


def print_report(
    rules: Sequence[Rule],
    excerpts: Sequence[dict],
    results: dict[str, Result],
    lopo_results: dict[str, Result],
    only: dict[str, dict[str, set[int]]],
) -> None:
    ids = sorted({r.id for r in rules} | {first_rule(e) for e in excerpts} - {BENIGN})
    benign = [e for e in excerpts if not e["expect"]]
    fp = Counter(rule for e in benign for rule in results[e["id"]].loud)
    header = (
        f"{'rule':27} {'n dev':>5} {'n new':>5} {'det dev':>7} {'det new':>7} {'det all':>7}"
        f" {'exact':>7} {'FP ben':>6} {'LOPO det':>8}"
    )
    print(header)
    print("-" * len(header))
    for rule_id in ids:
        mine = [e for e in excerpts if first_rule(e) == rule_id]
        dev = [e for e in mine if e["set"] == "dev"]
        new = [e for e in mine if e["set"] != "dev"]

        def det(group: list[dict], res: dict[str, Result] = results) -> str:
            return pct(sum(res[e["id"]].detected(e) for e in group), len(group))

        exact = pct(sum(results[e["id"]].exact(e) for e in mine), len(mine))
        print(
            f"{rule_id:27} {len(dev):5} {len(new):5} {det(dev):>7} {det(new):>7}"
            f" {det(mine):>7} {exact:>7} {fp[rule_id]:6} {det(mine, lopo_results):>8}"
        )
    print()
    print(f"{'set':6} {'excerpts':>8}  {'detection':>18}  {'exactness':>18}  {'benign quiet':>18}")
    for name, group in (
        ("dev", [e for e in excerpts if e["set"] == "dev"]),
        ("new", [e for e in excerpts if e["set"] != "dev"]),
        ("all", list(excerpts)),
    ):
        d, x, q = overall(group, results)
        print(f"{name:6} {len(group):8}  {d:>18}  {x:>18}  {q:>18}")
    d, _, _ = overall(excerpts, lopo_results)
    pruned = sum(len(v) for drop in only.values() for v in drop.values())
    print(
        f"\nLOPO detection (all sets): {d}; {pruned} patterns match one project only,"
        f" in {len(only)} projects"
    )
    print_clusters(excerpts, results)


def miss_reasons(excerpt: dict, result: Result) -> dict[str, str]:
    """kind -> reason, for each per-sample check of tests/test_corpus.py this excerpt fails."""
    reasons = {}
    if excerpt["expect"]:
        got = ", ".join(sorted(result.reported)) or "nothing"
        if not result.detected(excerpt):
            reasons["undetected"] = f"{excerpt['expect'][0]} not reported (got {got})"
        extra = sorted(result.reported - set(excerpt["expect"]))
        if extra:
            reasons["inexact"] = f"reports {', '.join(extra)} (expects {excerpt['expect'][0]})"
    elif result.loud:
        reasons["loud"] = f"benign, yet {', '.join(sorted(result.loud))} at warning/error"
    return reasons


def print_clusters(excerpts: Sequence[dict], results: dict[str, Result], top: int = 10) -> None:
    clusters: dict[str, list[str]] = defaultdict(list)
    for e in excerpts:
        r = results[e["id"]]
        if e["expect"] and not r.detected(e):
            got = ", ".join(sorted(r.reported)) or "nothing"
            clusters[f"missed {e['expect'][0]} (reported: {got})"].append(e["id"])
        elif e["expect"] and not r.exact(e):
            extra = ", ".join(sorted(r.reported - set(e["expect"])))
            clusters[f"{e['expect'][0]} found, but also {extra}"].append(e["id"])
        elif not e["expect"] and r.loud:
            clusters[f"benign, yet {', '.join(sorted(r.loud))}"].append(e["id"])
    by_rule: dict[str, list[str]] = defaultdict(list)
    for e in excerpts:
        if e["expect"] and not results[e["id"]].detected(e):
            by_rule[e["expect"][0]].append(e["id"])
    print(f"\nUndetected, by expected rule ({sum(map(len, by_rule.values()))}):")
    for rule_id, ids in sorted(by_rule.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(ids):3}  {rule_id:27} e.g. {', '.join(ids[:6])}")
    print(f"\nBiggest miss clusters (of {len(clusters)}):")
    for name, ids in sorted(clusters.items(), key=lambda kv: -len(kv[1]))[:top]:
        print(f"  {len(ids):3}  {name}\n       e.g. {', '.join(ids[:8])}")


# --- writers ------------------------------------------------------------------------------


def write_known_misses(excerpts: Sequence[dict], results: dict[str, Result]) -> dict:
    sys.path.insert(0, str(ROOT))
    from tests.test_corpus import INEXACT, UNDETECTABLE  # the hand-written allow-lists

    misses: dict[str, dict[str, str]] = {"undetected": {}, "inexact": {}, "loud": {}}
    for excerpt in excerpts:
        for kind, reason in miss_reasons(excerpt, results[excerpt["id"]]).items():
            if kind == "undetected" and excerpt["id"] in UNDETECTABLE:
                continue
            if kind == "inexact" and excerpt["id"] in INEXACT:
                continue
            misses[kind][excerpt["id"]] = reason
    data = {
        "about": "Excerpts the rules get wrong today, run as strict xfails by "
        "tests/test_corpus.py. Generated by bench/eval_corpus.py --write-known-misses; "
        "regenerate after changing the rules (a fixed miss fails the test until removed).",
        **misses,
    }
    KNOWN_MISSES.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return data


def stats_markdown(excerpts: Sequence[dict], rules: Sequence[Rule]) -> str:
    ids = sorted({r.id for r in rules} | {first_rule(e) for e in excerpts} - {BENIGN}) + [BENIGN]
    lines = [
        STATS_BEGIN,
        "",
        "| first expected id | dev | real | total | source projects |",
        "|---|---:|---:|---:|---:|",
    ]
    for rule_id in ids:
        mine = [e for e in excerpts if first_rule(e) == rule_id]
        dev = sum(e["set"] == "dev" for e in mine)
        lines.append(
            f"| {rule_id} | {dev} | {len(mine) - dev} | {len(mine)} |"
            f" {len({e['project'] for e in mine})} |"
        )
    dev = sum(e["set"] == "dev" for e in excerpts)
    projects = Counter(e["project"] for e in excerpts)
    lines.append(f"| **all** | {dev} | {len(excerpts) - dev} | {len(excerpts)} | {len(projects)} |")
    origins = Counter(e["origin"] for e in excerpts)
    kinds = Counter("issue/PR" if "#" in e["source"] else "file" for e in excerpts)
    benign = sum(not e["expect"] for e in excerpts)
    lines += [
        "",
        f"Benign: {benign} of {len(excerpts)} ({100 * benign / len(excerpts):.0f}%)."
        f" Origin: {', '.join(f'{k} {v}' for k, v in sorted(origins.items()))}."
        f" Source: {', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}.",
        "",
        f"{len(projects)} source projects; the 25 with most excerpts:",
        "",
        ", ".join(f"{p} ({n})" for p, n in projects.most_common(25)) + ".",
        "",
        STATS_END,
    ]
    return "\n".join(lines)


def write_readme_stats(excerpts: Sequence[dict], rules: Sequence[Rule]) -> None:
    text = README.read_text(encoding="utf-8")
    block = stats_markdown(excerpts, rules)
    if STATS_BEGIN in text and STATS_END in text:
        head, rest = text.split(STATS_BEGIN, 1)
        text = head + block + rest.split(STATS_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")


# --- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--write-known-misses", action="store_true")
    parser.add_argument("--write-readme-stats", action="store_true")
    parser.add_argument("--no-lopo", action="store_true", help="skip leave-one-project-out")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    rules = builtin_rules()
    excerpts = load_corpus()
    if args.write_readme_stats:
        write_readme_stats(excerpts, rules)
        print(f"updated {README.relative_to(ROOT)}")
    results = score_all(excerpts, RuleSet(rules))
    if args.write_known_misses:
        data = write_known_misses(excerpts, results)
        counts = ", ".join(f"{k} {len(v)}" for k, v in data.items() if isinstance(v, dict))
        print(f"wrote {KNOWN_MISSES.relative_to(ROOT)}: {counts}")
        return 0
    if args.write_readme_stats:
        return 0
    if args.no_lopo:
        lopo_results, only = results, {}
    else:
        lopo_results, only = lopo(rules, excerpts, results)
    print(f"{len(rules)} rules, {len(excerpts)} excerpts\n")
    print_report(rules, excerpts, results, lopo_results, only)
    print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
