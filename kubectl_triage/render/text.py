"""The table renderer: a header line (which cluster), the overview, sections as tables,
findings as cards (cause, fix, next), all fitted to the terminal's width by render/layout.

Colour is applied here only, and only when the options say so (a TTY, no NO_COLOR).
"""

from __future__ import annotations

from collections import Counter

from kubectl_triage.evidence import Level, Severity
from kubectl_triage.frames import evidence_lines
from kubectl_triage.records import clean_line, one_line
from kubectl_triage.render import RenderOptions, layout
from kubectl_triage.render.incidents import incidents_text, overview_text
from kubectl_triage.render.layout import column_kind, cut, cut_left, wrap, wrap_command
from kubectl_triage.render.timeline import timeline_text
from kubectl_triage.report import TIMELINE_KEY, Finding, Report, Table

_EXAMPLE_LINES = 6  # lines of a trace shown under a finding: head and the final cause
_MESSAGE_WIDTH = 160  # a record's one line in a table, before fitting to the terminal
_EXAMPLE_WIDTH = 200  # an evidence line, unwrapped (-o wide)
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
    width = None if options.wide else options.width
    parts: list[str] = [] if options.no_headers else [header_line(report, width)]
    checks = _checks(report, paint, options) if report.checks else ""
    if "incidents" in report.extra:  # summary, demo, checklist: one screen first
        parts.append(
            overview_text(
                report.extra,
                width=width,
                paint=paint,
                follows=_follows(report),
                namespaced=report.all_namespaces,
                findings=[_finding_line(f) for f in report.findings],
            )
        )
        parts.append(checks)  # a checklist's verdicts, before the evidence behind them
        checks = ""
    parts.append(
        timeline_text(
            report.extra.get(TIMELINE_KEY),
            width=options.width,
            ascii_only=options.ascii_only,
            paint=paint,
        )
    )
    parts.append(incidents_text(report.extra, safe=safe, paint=paint, width=width))
    for table in report.tables:
        parts.append(_section(table, options, all_namespaces=report.all_namespaces))
    if report.groups:
        parts.append(_groups(report, options))
    parts.append(checks)
    if report.findings:
        parts.append("\n\n".join(_finding(f, paint, width) for f in report.findings))
    elif report.command in _JUDGING:
        parts.append("No known failure pattern found.")
    if report.gaps:
        parts.append(_gaps(report, width))
    for note in report.notes:
        parts.append("\n".join(wrap(safe(note), width, indent="  ")))
    return "\n\n".join(p for p in parts if p) + "\n"


def header_line(report: Report, width: int | None) -> str:
    """Which cluster (or bundle) and namespace the report read, as kubectl's config views
    name them; "" for a report that read neither (analyze, rules)."""
    if report.context == "-":
        return ""
    namespace = "Namespace: " + ("(all)" if report.all_namespaces else report.namespace)
    if not report.bundle:
        return cut(f"Context: {report.context}  {namespace}", width)
    room = None if width is None else width - len(f"Bundle:   {namespace}")
    path = cut_left(report.bundle, max(room, 10)) if room is not None else report.bundle
    return f"Bundle: {path}  {namespace}"


def _follows(report: Report) -> str:
    """The overview's last line: what the rest of the report holds."""
    parts = []
    if report.extra.get("incidents"):
        parts.append("each incident's evidence")
    if report.checks:
        verdicts = Counter(c.verdict.value for c in report.checks)
        said = ", ".join(f"{n} {v}" for v, n in verdicts.most_common())
        parts.append(f"{len(report.checks)} checklist steps ({said})")
    if report.findings:
        parts.append(f"{len(report.findings)} finding(s), each with cause, fix and next commands")
    if report.extra.get("history"):
        parts.append("the history")
    if report.gaps:
        parts.append("what could not be collected")
    return "Below: " + "; ".join(parts) + "." if parts else ""


def _finding_line(f: Finding) -> str:
    return f"{f.severity.label.upper():<7}  {f.rule}  {f.title} (x{f.count})"


def _section(table: Table, options: RenderOptions, *, all_namespaces: bool = False) -> str:
    keep = [i for i, c in enumerate(table.columns) if options.wide or c not in table.wide_columns]
    if not table.rows:
        return f"No {table.name} found."
    width = _width(options)
    below = table.columns.index(table.below) if table.below in table.columns else None
    # --no-headers is for awk and cut: one line a row, the same columns whatever the width
    script = options.no_headers
    if script:
        below = None

    cells = [[one_line(safe(cell)) for cell in row] for row in table.rows]

    def laid_out(keep: list[int]) -> tuple[list[str], list[list[str]], list[int], int | None]:
        headers = [table.columns[i].upper() for i in keep]
        rows = [[row[i] for i in keep] for row in cells]
        kinds = [column_kind(table.columns[i]) for i in keep]
        return headers, rows, kinds, keep.index(below) if below in keep else None

    # On a narrow terminal the message goes under its row, then the columns a reader can
    # spare go, before a name is cut ("deployment/…" tells no row from another).
    for drop in () if script else table.narrow_drops:
        headers, rows, kinds, under = laid_out(keep)
        if not layout.cuts(headers, rows, width=width, kinds=kinds, below=under):
            break
        keep = [i for i in keep if table.columns[i] != drop]
    headers, rows, kinds, under = laid_out(keep)
    # a FIELD/VALUE listing (rules show, dapr status) is read, not scanned: values wrap
    wrapped = frozenset({1}) if table.columns == ("field", "value") else frozenset()
    return layout.table([] if options.no_headers else headers, rows, width=width, kinds=kinds,
                        wrapped=wrapped, below=under)


def _width(options: RenderOptions) -> int | None:
    return None if options.wide else options.width


def _groups(report: Report, options: RenderOptions) -> str:
    rows = []
    for g in report.groups:
        pods = sorted({w.label() for w in g.where})
        where = pods[0] + (f" +{len(pods) - 1}" if len(pods) > 1 else "")
        message = one_line(safe(g.example))
        row = [str(g.count), _level(g.level), g.rule or "-", where, _time(g.last_seen),
               message if options.wide else cut(message, _MESSAGE_WIDTH)]
        if report.all_namespaces:
            row.insert(0, ", ".join(sorted({w.namespace for w in g.where if w.namespace})) or "-")
        rows.append(row)
    headers = ["COUNT", "LEVEL", "RULE", "WHERE", "LAST SEEN", "MESSAGE"]
    if report.all_namespaces:
        headers.insert(0, "NAMESPACE")
    kinds = [column_kind(h) for h in headers]
    # --no-headers is for awk and cut: one line a row, the same columns whatever the width
    return layout.table([] if options.no_headers else headers, rows, width=_width(options),
                        kinds=kinds, below=None if options.no_headers else len(headers) - 1)


def _checks(report: Report, paint: _Paint, options: RenderOptions) -> str:
    colour = {"PASS": "GREEN", "WARN": "YELLOW", "FAIL": "RED", "SKIP": ""}
    rows = [[c.verdict.value.upper(), safe(c.step), safe(c.detail)] for c in report.checks]
    headers = [] if options.no_headers else ["VERDICT", "STEP", "DETAIL"]
    # A step's detail is its evidence ("route /events/reminder is not served"): it wraps
    # under its column rather than being cut.
    return layout.table(
        headers,
        rows,
        width=_width(options),
        kinds=[layout.FIELD, layout.NAME, layout.FREE],
        wrapped=frozenset({2}),
        paint=lambda column, text: paint(text, colour.get(text, "")) if column == 0 else text,
    )


def _finding(f: Finding, paint: _Paint, width: int | None) -> str:
    pods = sorted({w.label() for w in f.where})
    where = ", ".join(pods[:4]) + (f" and {len(pods) - 4} more" if len(pods) > 4 else "")
    label = f.severity.label.upper()
    head = wrap(f"{label}  {f.rule}  {f.title}  (x{f.count})", width, indent="  ")
    coloured = paint(label, _SEVERITY_COLOUR[f.severity], bright=True) + "  " + paint(
        f.rule, bright=True)
    lines = [head[0].replace(f"{label}  {f.rule}", coloured, 1), *head[1:]]
    lines += _field("where", safe(where), width)
    if f.first_seen:
        lines += _field("seen", f"{_time(f.first_seen)} .. {_time(f.last_seen)}", width)
    for n, line in enumerate(_example(f.example, wide=width is None)):
        lines += wrap(line, width, first=_LABEL.format("evidence:") if n == 0 else _INDENT,
                      indent=_INDENT + "  ")
    if f.detail:
        lines += _field("detail", safe(f.detail), width)
    lines += _field("cause", f.cause, width)
    lines += _field("fix", f.fix, width)
    for i, cmd in enumerate(f.next):
        first = _LABEL.format("next:") if i == 0 else _INDENT
        lines += [paint(x, "CYAN") for x in wrap_command(safe(cmd), width, first=first,
                                                        indent=_INDENT + "  ")]
    return "\n".join(lines)


_LABEL = "  {:<10}"  # "  cause:    "
_INDENT = " " * 12


def _field(label: str, text: str, width: int | None) -> list[str]:
    """A labelled paragraph of a card, wrapped under its own first word."""
    return wrap(text, width, first=_LABEL.format(label + ":"), indent=_INDENT)


def _gaps(report: Report, width: int | None) -> str:
    lines = ["Not collected (the report above is without it):"]
    for gap in report.gaps:
        what = "/".join(x for x in (gap.pod, gap.container) if x)
        text = f"{gap.kind} {what}: {gap.reason}: {safe(gap.message)}".replace(" : ", ": ")
        lines += wrap(text, width, first="  ", indent="      ")
    return "\n".join(lines)


def _example(text: str, *, wide: bool) -> list[str]:
    """A finding's example: a trace's head, its first frame in application code and its
    exception line (frames.evidence_lines), each a paragraph to wrap."""
    lines = evidence_lines(safe(text), limit=_EXAMPLE_LINES)
    return [cut(line, _EXAMPLE_WIDTH) if wide else line for line in lines]


def _level(level: Level) -> str:
    return level.name.lower() if level else "-"


def _time(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"
