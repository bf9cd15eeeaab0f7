"""Applies the rules table to records; groups and counts what it finds.

`RuleSet` is made once per run; it compiles its prefilter and its literal index (~0.08 s)
when first asked for them, so that a live run sends its first requests before, not after:
the first log read builds them while the others are on the wire. `Tally` takes records one
at a time and keeps only aggregates, so memory stays flat however long the logs are.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from kubectl_triage.evidence import Level, LogRef, Record, Severity
from kubectl_triage.records import cause_line
from kubectl_triage.report import Finding, Group, Where, sort_findings
from kubectl_triage.rules.literals import common_text
from kubectl_triage.rules.model import Rule, Specificity
from kubectl_triage.scan import Prefilter, trie_pattern

# Words that make a record worth parsing even when no rule names it: level words and the
# starts of stack traces. Rules add their own literals.
LEVEL_LITERALS = (
    "err",
    "warn",
    "fatal",
    "crit",
    "panic",
    "severe",
    "exception",
    "traceback",
    "fail",
)


def quiet_literals(rules: Sequence[Rule]) -> set[str]:
    """Derived literals the prefilter may treat as level words ("error", "exception"): a
    benign line that merely says "error" and whose own level is below WARNING is no finding
    (DESIGN.md: level detection comes before keyword matching)."""
    return {word for rule in rules for word in rule.literals if _is_level_word(word)}


def _is_level_word(word: str) -> bool:
    # "error", "errors", "failed", "exception", "panicked"; not "errimagepull", "failedmount"
    return word.isalpha() and any(
        word.startswith(level) and len(word) - len(level) <= 6 for level in LEVEL_LITERALS
    )


@dataclass(frozen=True)
class Match:
    rule: Rule
    detail: str = ""
    # A detector judged the record across its fields (a due time hours off the record's own
    # clock; detectors/): the record is a failure whatever level the app logged it at.
    judged: bool = False


class RuleSet:
    def __init__(self, rules: Sequence[Rule], *, literals: Sequence[str] = ()) -> None:
        """`literals`: more words whose lines the prefilter keeps (the record-judging
        detectors', detectors.LITERALS), the table's own being derived from its patterns."""
        # Most specific first: the first specific match ends the search.
        self.rules = tuple(sorted(rules, key=lambda r: -r.specificity))
        self.by_id = {r.id: r for r in rules}
        self._extra_literals = tuple(literals)
        self._built = threading.Lock()
        self._prefilter: Prefilter | None = None
        self._index: _LiteralIndex | None = None

    @property
    def prefilter(self) -> Prefilter:
        """What the scan looks for: the rules' literals and the extra ones (built once)."""
        if self._prefilter is None:
            with self._built:
                if self._prefilter is None:
                    self._prefilter = self._make_prefilter()
        return self._prefilter

    def _make_prefilter(self) -> Prefilter:
        rules = self.rules
        return Prefilter(
            [*(w for r in rules for w in r.literals), *self._extra_literals],
            quiet_words=[*LEVEL_LITERALS, *quiet_literals(rules)],
            keep_all=any(not r.literals and "log" in r.scopes for r in rules),
            common=common_text().encode(),
        )

    @property
    def _literal_index(self) -> _LiteralIndex:
        if self._index is None:
            with self._built:
                if self._index is None:
                    self._index = _LiteralIndex(self.rules)
        return self._index

    def _candidate_rules(self, lowered: str) -> frozenset[int]:
        index = self._literal_index
        if index.regex is None:
            return index.always
        found = {m.group(1) for m in index.regex.finditer(lowered.encode("utf-8", "replace"))}
        return frozenset().union(index.always, *(index.candidates[w] for w in found))

    def classify(self, record: Record) -> Match | None:
        lowered = record.text.lower()
        for index in sorted(self._candidate_rules(lowered)):  # most specific first
            rule = self.rules[index]
            if record.kind not in rule.scopes:
                continue
            if record.level and record.level < rule.min_level:
                continue
            if rule.matches(record.text, lowered, holds_literal=True):
                return Match(rule)
        return None


class _LiteralIndex:
    """One regex pass over a record names the rules whose literals it holds; the per-rule
    loop over ~600 literals cost ~50 us a record. At each position the trie matches the
    longest literal, so each word maps to the rules of every literal that begins it.
    A rule without literals is a candidate for every record."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        by_word: dict[bytes, set[int]] = {}
        for index, rule in enumerate(rules):
            for word in rule.literals:
                by_word.setdefault(word.encode(), set()).add(index)
        self.always = frozenset(i for i, r in enumerate(rules) if not r.literals)
        self.candidates = {
            word: frozenset().union(
                self.always, *(by_word.get(word[:n], ()) for n in range(1, len(word) + 1))
            )
            for word in by_word
        }
        words = sorted(by_word)
        self.regex = re.compile(b"(?=(" + trie_pattern(words) + b"))") if words else None


# What varies between two occurrences of one failure, set aside so that one failure across
# thousands of requests is one group: times, ids named as such, uuids, hex, addresses and
# ports, durations, then any token holding a digit, then bare numbers. Order matters: the
# specific shapes go first so their pieces are not half-replaced by the generic ones. The
# third item is a text the key must hold for the pattern to be worth a pass (the key is
# lower-cased for that check only).
_NAMED_ID = re.compile(
    r"\b((?:x[-_])?(?:request|req|trace|span|correlation|corr|message|msg|event"
    r"|cloudevent|session|transaction|tx)[-_. ]?id\b[\"']?\s*[=:]\s*[\"']?)[^\s\"',;\]\)]+",
    re.I,
)
_NORMALISE = [
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"), "<time>",
     "-"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<id>",
     "-"),
    (re.compile(r"\b0x[0-9a-f]+\b|\b[0-9a-f]{12,}\b", re.I), "<hex>", ""),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<ip>", "."),
    (re.compile(r"\[[0-9a-f:]*:[0-9a-f:]*\](?::\d+)?", re.I), "<ip>", "["),
    (re.compile(r"(?<=[\w\]]):\d{2,5}\b"), ":<port>", ":"),
    (re.compile(r"\b\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)\b"), "<duration>", ""),
    (re.compile(r"\b(?=[\w-]*\d)[\w-]{5,}\b"), "<id>", ""),
    (re.compile(r"\d+(?:\.\d+)?"), "#", ""),
]


# Fingerprints by the key's shape: its text with every ASCII digit made 0. Each pattern of
# _NORMALISE treats the digits 0-9 alike (\d, [0-9a-f], \w and \b see no difference) and
# every digit is gone from a fingerprint, so keys of one shape have one fingerprint: a flood
# of one error differing in its numbers (pod names, ports, counts) is normalised once, not
# at ~11 us a record. Emptied when full, so memory stays flat on a log of ever-new shapes.
_SHAPES: dict[bytes, str] = {}
_MAX_SHAPES = 4096
_ZEROS = bytes.maketrans(b"123456789", b"000000000")


def fingerprint(record: Record) -> str:
    """The record with numbers, ids, addresses and times set aside."""
    key = record.message.split("\n", 1)[0][:200]
    if "\n" in record.text:
        key += " | " + cause_line(record.text).strip()[:200]
    # (UTF-8 bytes: a multi-byte character holds no byte below 0x80, so no ASCII digit)
    shape = key.encode("utf-8", "surrogatepass").translate(_ZEROS)
    found = _SHAPES.get(shape)
    if found is None:
        if len(_SHAPES) >= _MAX_SHAPES:
            _SHAPES.clear()
        found = _SHAPES[shape] = _normalise(key)
    return found


def _normalise(key: str) -> str:
    if "id" in key.lower():
        key = _NAMED_ID.sub(r"\1<id>", key)
    if not any(c.isdigit() for c in key):
        return key  # the rest all need a digit
    for pattern, repl, needs in _NORMALISE:
        if needs in key:
            key = pattern.sub(repl, key)
    return key


def where_of(record: Record) -> Where:
    if record.ref is not None:
        ref = record.ref
        return Where("log", ref.namespace, ref.pod, ref.container, ref.previous)
    return Where(record.kind, record.namespace, obj=record.obj)


_NEVER = datetime.max.replace(tzinfo=timezone.utc)


def _ordered(where: Iterable[Where]) -> tuple[Where, ...]:
    return tuple(
        sorted(where, key=lambda w: (w.kind, w.namespace, w.pod, w.container, w.previous, w.obj))
    )


def is_failing(record: Record, match: Match | None) -> bool:
    """A record counts as a failure unless the app logged it at INFO or DEBUG: the request
    line and the debug echo around a failure are its context, not more failures. A level the
    line does not say (a pasted event, a bare exception line) counts."""
    if match is not None and match.judged:
        return True
    return record.level is Level.UNKNOWN or record.level >= Level.WARNING


@dataclass
class _Acc:
    level: Level
    rule: str
    example: str
    detail: str
    count: int = 0
    failing: int = 0  # of `count`, the records that are failures by their own level
    beside: int = 0  # of `count`, fallback records printed beside a named failure
    where: dict[Where, None] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None

    def add(self, record: Record, *, failing: bool) -> None:
        self.count += record.count
        if failing:
            self.failing += record.count
        self.where.setdefault(where_of(record))
        self.level = max(self.level, record.level)
        if record.time is not None:
            self.first = record.time if self.first is None else min(self.first, record.time)
            self.last = record.time if self.last is None else max(self.last, record.time)


# An exception a few lines from a record a rule names is that failure surfacing again (the
# wrapper a framework raises, the access line of the 500 it caused, the bare exception line
# an SDK prints under the body it wraps), not a second, unknown one.
_BESIDE_LINES = 30
_PENDING = 16  # fallback records of one log still waiting for a named one to follow


class Tally:
    """Takes records, keeps groups (by fingerprint) and the rule that names each."""

    def __init__(
        self,
        ruleset: RuleSet,
        *,
        min_level: Level = Level.WARNING,
        classify: Callable[[Record], Match | None] | None = None,
    ) -> None:
        self.ruleset = ruleset
        self.min_level = min_level  # unnamed records below this are not grouped
        # a run's memoised judge, so that several tallies over one record judge it once
        self.classify = classify or ruleset.classify
        self._groups: dict[tuple[str, str], _Acc] = {}
        # per log: the line of the last named record, and fallback records not yet beside one
        self._last_named: dict[LogRef | None, int] = {}
        self._pending: dict[LogRef | None, list[tuple[int, _Acc]]] = {}

    def _place(self, record: Record, match: Match | None, acc: _Acc) -> None:
        """Marks fallback records that sit beside a named record of the same log."""
        if match is None or record.kind != "log" or not record.line:
            return
        ref, line = record.ref, record.line
        if match.rule.specificity is Specificity.FALLBACK:
            last = self._last_named.get(ref)
            if last is not None and line - last <= _BESIDE_LINES:
                acc.beside += record.count
            else:
                pending = self._pending.setdefault(ref, [])
                pending.append((line, acc))
                del pending[:-_PENDING]
            return
        self._last_named[ref] = line + record.text.count("\n")
        for start, waiting in self._pending.pop(ref, ()):
            if line - start <= _BESIDE_LINES:
                waiting.beside += 1

    def add(self, record: Record) -> Match | None:
        match = self.classify(record)
        if match is None and record.level < self.min_level:
            return None
        rule_id = match.rule.id if match else ""
        key = (rule_id, fingerprint(record))
        acc = self._groups.get(key)
        if acc is None:
            acc = self._groups[key] = _Acc(
                record.level, rule_id, record.text, match.detail if match else ""
            )
        elif record.time is not None and (acc.first is None or record.time < acc.first):
            # Logs arrive in whatever order their fetches finish: the earliest record is the
            # example, so a report does not depend on that order.
            acc.example, acc.detail = record.text, match.detail if match else ""
        acc.add(record, failing=is_failing(record, match))
        self._place(record, match, acc)
        return match

    def keeps(self, record: Record) -> bool:
        """Would `add` count this record? (judging it as `add` will)"""
        return record.level >= self.min_level or self.classify(record) is not None

    def add_all(self, records: Iterable[Record]) -> None:
        for record in records:
            self.add(record)

    def groups(self) -> tuple[Group, ...]:
        out = [
            Group(
                fp,
                acc.level,
                acc.rule,
                acc.count,
                _ordered(acc.where),
                acc.example,
                acc.first,
                acc.last,
                acc.failing,
            )
            for (_, fp), acc in self._groups.items()
        ]
        out.sort(key=lambda g: (not g.rule, -g.level, -g.count, g.rule, g.fingerprint))
        return tuple(out)

    def findings(
        self, *, context: dict[str, str] | None = None, workload_of: Mapping[str, str] | None = None
    ) -> tuple[Finding, ...]:
        """One finding per rule. `workload_of` (pod -> deployment name) lets next commands
        name the workload rather than one of its pods."""
        by_rule: dict[str, list[_Acc]] = {}
        for (rule_id, _), acc in self._groups.items():
            if not rule_id:
                continue
            if acc.beside >= acc.count and self.ruleset.by_id[rule_id].specificity is (
                Specificity.FALLBACK
            ):
                continue  # every one of them beside a failure a rule names
            by_rule.setdefault(rule_id, []).append(acc)
        return sort_findings(
            [
                _finding(self.ruleset.by_id[rule_id], accs, context or {}, workload_of or {})
                for rule_id, accs in by_rule.items()
            ]
        )


def _finding(
    rule: Rule, accs: list[_Acc], context: dict[str, str], workload_of: Mapping[str, str]
) -> Finding:
    # the error line over its info echo; then the most frequent; ties by time, so the
    # report does not depend on the order logs arrived in
    top = min(
        accs, key=lambda a: (not a.failing, -a.level, -a.count, a.first or _NEVER, a.example)
    )
    # Counted once, at its level: a finding counts its failing records. A rule matched only
    # by INFO/DEBUG records is a hint (severity info), never a warning or error by itself.
    failing = sum(a.failing for a in accs)
    where: dict[Where, None] = {}
    for acc in sorted(accs, key=lambda a: (a.first or _NEVER, a.example)):
        where.update(acc.where)
    firsts = [a.first for a in accs if a.first]
    lasts = [a.last for a in accs if a.last]
    first_where, context = _live_first(_ordered(top.where), context, workload_of)
    return rule_finding(
        rule,
        where=_ordered(where),
        context=_with_workload(context, first_where, workload_of),
        at=first_where,
        example=top.example,
        detail=top.detail,
        count=failing or sum(a.count for a in accs),
        severity=rule.severity if failing else Severity.INFO,
        first_seen=min(firsts) if firsts else None,
        last_seen=max(lasts) if lasts else None,
    )


def _live_first(
    wheres: Sequence[Where], context: dict[str, str], workload_of: Mapping[str, str]
) -> tuple[Where, dict[str, str]]:
    """The place next commands name: a pod that still exists when the caller knows which
    do (`workload_of`); an event of a deleted pod names none (`logs <gone pod>` fails)."""
    if not workload_of:
        return wheres[0], context
    for where in wheres:
        pod = where.pod or (where.obj[4:] if where.obj.startswith("Pod/") else "")
        if pod in workload_of:
            return where, context
    first = wheres[0]
    if first.pod or first.obj.startswith("Pod/"):
        return Where(first.kind, namespace=first.namespace), {**context, "pod": "<pod>"}
    return first, context


def rule_finding(
    rule: Rule,
    *,
    where: tuple[Where, ...],
    context: dict[str, str],
    example: str,
    detail: str = "",
    count: int = 1,
    severity: Severity | None = None,
    first_seen: datetime | None = None,
    last_seen: datetime | None = None,
    at: Where | None = None,
) -> Finding:
    """A finding of `rule`: its title, cause and fix, next commands filled for `at` (the
    place its workload was taken from; else the first place it was seen), so a command
    never pairs one namespace's workload with another's namespace."""
    return Finding(
        rule=rule.id,
        severity=rule.severity if severity is None else min(severity, rule.severity),
        title=rule.title,
        cause=rule.cause,
        fix=rule.fix,
        next=filled_commands(rule.next, where[0] if at is None else at, context),
        count=count,
        where=where,
        example=example,
        first_seen=first_seen,
        last_seen=last_seen,
        detail=detail,
    )


def _with_workload(
    context: dict[str, str], where: Where, workload_of: Mapping[str, str]
) -> dict[str, str]:
    pod = where.pod or (where.obj[4:] if where.obj.startswith("Pod/") else "")
    if "workload" in context or pod not in workload_of:
        return context
    return {**context, "workload": workload_of[pod]}


class _Blanks(dict):
    def __missing__(self, key: str) -> str:
        return f"<{key}>"


_UNFILLED = re.compile(r"<[a-z][a-z-]*>")


def filled_commands(
    templates: Iterable[str], where: Where, context: dict[str, str]
) -> tuple[str, ...]:
    """The next commands this finding can name in full: one that would still say
    `<callee>` or `<deployment>` is left out (a detector that knows the callee adds it)."""
    filled = (fill_command(t, where, context) for t in templates)
    return tuple(c for c in dict.fromkeys(filled) if not _UNFILLED.search(c))


def fill_command(template: str, where: Where, context: dict[str, str]) -> str:
    """Fill a rule's next command with what the finding knows: {pod}, {namespace}, …"""
    values = _Blanks(context)
    for key in ("namespace", "pod", "container"):
        if getattr(where, key):
            values[key] = getattr(where, key)
    if where.obj and "pod" not in values and where.obj.startswith("Pod/"):
        values["pod"] = where.obj[4:]
    values.setdefault("target", values.get("workload", values.get("pod", "<target>")))
    command = template.format_map(values)
    if (
        " -n " not in command
        and values.get("namespace", "<namespace>") != "<namespace>"
        and "{namespace}" not in template
        and command.startswith("kubectl")
    ):
        command += f" -n {values['namespace']}"
    return command


def analyze_chunks(
    chunks: Iterable[bytes],
    ruleset: RuleSet,
    *,
    tally: Tally | None = None,
    all_lines: bool = False,
    ref: LogRef | None = None,
) -> Tally:
    """Apply the rules to raw log bytes (a file, stdin, one container's log)."""
    from kubectl_triage.scan import iter_records

    tally = tally or Tally(ruleset)
    prefilter = None if all_lines else ruleset.prefilter
    tally.add_all(iter_records(chunks, prefilter=prefilter, ref=ref))
    return tally
