"""The table renderer: findings as blocks (cause, fix, next), sections as tabulate tables.

Colour is applied here only, and only when the options say so (a TTY, no NO_COLOR).
"""

from __future__ import annotations

from tabulate import tabulate

from kubectl_triage.evidence import Level, Severity
from kubectl_triage.records import clean_line, one_line
from kubectl_triage.render import RenderOptions
from kubectl_triage.render.incidents import incidents_text
from kubectl_triage.render.timeline import timeline_text
from kubectl_triage.report import TIMELINE_KEY, Finding, Group, Report, Table

_EXAMPLE_LINES = 6  # lines of a trace shown under a finding: head and the final cause
_MESSAGE_WIDTH = 110
# commands whose report says when no rule matched
_JUDGING = frozenset({"logs", "events", "status", "summary", "analyze", "demo", "dapr logs"})
_SEVERITY_COLOUR = {Severity.ERROR: "RED", Severity.WARNING: "YELLOW", Severity.INFO: "CYAN"}


def safe(text: str) -> str:
    """Cluster text with every control sequence removed, line by line."""
    return "\n".join(clean_line(line) for line in text.split("\n"))


class _Paint:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        if enabled:
            from colorama import Fore, Style

            self.fore, self.style = Fore, Style

    def __call__(self, text: str, colour: str = "", *, bright: bool = False) -> str:
        if not self.enabled:
            return text
        prefix = (getattr(self.fore, colour) if colour else "") + (
            self.style.BRIGHT if bright else ""
        )
        return f"{prefix}{text}{self.style.RESET_ALL}"


def render_table(report: Report, options: RenderOptions) -> str:
    paint = _Paint(options.color)
    parts: list[str] = [incidents_text(report.extra, safe=safe, paint=paint)]
    parts.append(
        timeline_text(
            report.extra.get(TIMELINE_KEY),
            width=options.width,
            ascii_only=options.ascii_only,
            paint=paint,
        )
    )
    for table in report.tables:
        parts.append(_section(table, options))
    if report.groups:
        parts.append(_groups(report.groups, options))
    if report.checks:
        parts.append(_checks(report, paint, options))
    if report.findings:
        parts.append("\n\n".join(_finding(f, paint) for f in report.findings))
    elif report.command in _JUDGING:
        parts.append("No known failure pattern found.")
    if report.gaps:
        parts.append(_gaps(report))
    for note in report.notes:
        parts.append(safe(note))
    return "\n\n".join(p for p in parts if p) + "\n"


def _section(table: Table, options: RenderOptions) -> str:
    keep = [i for i, c in enumerate(table.columns) if options.wide or c not in table.wide_columns]
    rows = [[safe(row[i]) for i in keep] for row in table.rows]
    if not rows:
        return f"No {table.name} found."
    headers = () if options.no_headers else [table.columns[i].upper() for i in keep]
    return tabulate(rows, headers=headers, tablefmt="plain", disable_numparse=True)


def _groups(groups: tuple[Group, ...], options: RenderOptions) -> str:
    rows = []
    for g in groups:
        pods = sorted({w.label() for w in g.where})
        where = pods[0] + (f" +{len(pods) - 1}" if len(pods) > 1 else "")
        message = one_line(safe(g.example))
        rows.append(
            [
                str(g.count),
                _level(g.level),
                g.rule or "-",
                where,
                _time(g.last_seen),
                message if options.wide else _cut(message, _MESSAGE_WIDTH),
            ]
        )
    headers = (
        () if options.no_headers else ["COUNT", "LEVEL", "RULE", "WHERE", "LAST SEEN", "MESSAGE"]
    )
    return tabulate(rows, headers=headers, tablefmt="plain", disable_numparse=True)


def _cut(text: str, width: int) -> str:
    """At most `width` characters; a cut one ends in an ellipsis, so it reads as cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def _checks(report: Report, paint: _Paint, options: RenderOptions) -> str:
    colour = {"pass": "GREEN", "warn": "YELLOW", "fail": "RED", "skip": ""}
    rows = [
        [paint(c.verdict.value.upper(), colour[c.verdict.value]), safe(c.step), safe(c.detail)]
        for c in report.checks
    ]
    headers = () if options.no_headers else ["VERDICT", "STEP", "DETAIL"]
    return tabulate(rows, headers=headers, tablefmt="plain")


def _finding(f: Finding, paint: _Paint) -> str:
    pods = sorted({w.label() for w in f.where})
    where = ", ".join(pods[:4]) + (f" and {len(pods) - 4} more" if len(pods) > 4 else "")
    head = (
        paint(f.severity.label.upper(), _SEVERITY_COLOUR[f.severity], bright=True)
        + f"  {paint(f.rule, bright=True)}  {f.title}  (x{f.count})"
    )
    lines = [head, f"  where:    {safe(where)}"]
    if f.first_seen:
        lines.append(f"  seen:     {_time(f.first_seen)} .. {_time(f.last_seen)}")
    lines.append("  evidence: " + _example(f.example).replace("\n", "\n            "))
    if f.detail:
        lines.append(f"  detail:   {safe(f.detail)}")
    lines.append(f"  cause:    {f.cause}")
    lines.append(f"  fix:      {f.fix}")
    for i, cmd in enumerate(f.next):
        lines.append(("  next:     " if i == 0 else "            ") + paint(safe(cmd), "CYAN"))
    return "\n".join(lines)


def _gaps(report: Report) -> str:
    lines = ["Not collected (the report above is without it):"]
    for gap in report.gaps:
        what = "/".join(x for x in (gap.pod, gap.container) if x)
        lines.append(f"  {gap.kind} {what}: {gap.reason}: {safe(gap.message)}".replace("  : ", ""))
    return "\n".join(lines)


def _example(text: str) -> str:
    lines = safe(text).split("\n")
    if len(lines) > _EXAMPLE_LINES:
        lines = lines[:2] + [f"... ({len(lines) - 4} lines)"] + lines[-2:]
    return "\n".join(line[:200] for line in lines)


def _level(level: Level) -> str:
    return level.name.lower() if level else "-"


def _time(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"
