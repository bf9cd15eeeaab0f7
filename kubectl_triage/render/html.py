"""The HTML renderer: one self-contained page to attach to a ticket.

The ranked incidents, the timeline as inline SVG, the checklist's verdicts and a card per
finding (cause, fix, evidence, next commands). Inline CSS, no script, no external asset,
and a Content-Security-Policy that forbids loading anything, so that a page opened from a
ticket makes no request. Every string from the report is HTML-escaped here (the cluster's
text is untrusted; render() has already stripped control sequences and redacted secrets).
Pure; reads the report and the `incidents`, `history` and `failureTimeline` of its extra.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from kubectl_triage.render import RenderOptions
from kubectl_triage.render.timeline import LEGEND, MARKS, Grid, grid_for, row_label
from kubectl_triage.report import TIMELINE_KEY, Check, Finding, Report

_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_EXAMPLE_CHARS = 4000
# The drawing: columns of at most this many, each at least _COL px wide.
_SVG_COLUMNS = 120
_COL, _ROW, _BAR, _LABEL, _AXIS = 10, 34, 24, 190, 30
_MARK_GLYPH = {"rollout": "▲", "stopped": "×", "restart": "↻", "first-failure": "!"}

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;
max-width:1100px;padding:0 1em;color:#1d1d1f;background:#fff}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.2em;border-bottom:1px solid #ddd;
padding-bottom:.2em;margin-top:2em}h3{font-size:1em;margin:0 0 .4em}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:.6em;overflow:auto;white-space:pre-wrap;
word-break:break-word;max-height:22em}
.meta{color:#555}.incident,.card{border:1px solid #ddd;border-left:5px solid #c62828;
border-radius:4px;padding:.7em 1em;margin:.8em 0}
.sev-warning{border-left-color:#ef6c00}.sev-info{border-left-color:#1565c0}
.rules,.badge{display:inline-block;font-size:.8em;padding:0 .5em;border-radius:3px;
background:#eee;margin-left:.4em}
dl{display:grid;grid-template-columns:7em 1fr;gap:.2em .8em;margin:.4em 0}dt{color:#555}
dd{margin:0}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;
padding:.3em .5em;text-align:left;vertical-align:top}
.v-pass{color:#2e7d32}.v-warn{color:#ef6c00}.v-fail{color:#c62828}.v-skip{color:#777}
.verdict{font-weight:600;text-transform:uppercase}
svg{display:block;max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif;fill:#333}
.bar{fill:#c62828}.mark line{stroke-width:2}.mark-rollout line{stroke:#1565c0}
.mark-restart line{stroke:#ef6c00;stroke-dasharray:3 2}.mark-first-failure line{stroke:#000}
.mark-stopped line{stroke:#6a1b9a}.mark-stopped text{fill:#6a1b9a}
.mark-rollout text{fill:#1565c0}.mark-restart text{fill:#ef6c00}.axis line{stroke:#999}
.row-bg{fill:#fafafa}.legend span{margin-right:1.5em}
"""


def render_html(report: Report, options: RenderOptions) -> str:
    title = f"kubectl triage {report.command}: {report.namespace} ({report.context})"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>kubectl triage {_e(report.command)}</h1>",
        f'<p class="meta">Context <code>{_e(report.context)}</code>, namespace '
        f"<code>{_e(report.namespace)}</code>.</p></header>",
        _symptom(report.extra),
        _incidents(report.extra.get("incidents") or ()),
        _timeline(report.extra.get(TIMELINE_KEY)),
        _history(report.extra.get("history") or ()),
        _checks(report.checks),
        _findings(report.findings),
        _gaps(report),
        "".join(f'<p class="meta">{_e(n)}</p>' for n in report.notes),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _symptom(extra: Mapping[str, Any]) -> str:
    symptom = extra.get("symptom")
    return f"<p><strong>Symptom:</strong> {_e(symptom)}</p>" if symptom else ""


def _commands(commands: Iterable[str]) -> str:
    return "<br>".join(f"<code>{_e(c)}</code>" for c in commands)


def _dl(items: Iterable[tuple[str, str]]) -> str:
    """A definition list of (term, already-escaped HTML) pairs, empty ones left out."""
    body = "".join(f"<dt>{term}</dt><dd>{html}</dd>" for term, html in items if html)
    return f"<dl>{body}</dl>" if body else ""


def _incidents(incidents: Sequence[Mapping[str, Any]]) -> str:
    if not incidents:
        return ""
    out = ['<section id="incidents"><h2>Incidents <span class="meta">(root causes first)'
           "</span></h2>"]
    for i in incidents:
        explains = ", ".join(
            f"{e['workload']} {e['rule']}" + (f" (x{e['count']})" if e.get("count") else "")
            for e in i.get("explains") or ()
        )
        out.append(
            f'<div class="incident"><h3 class="incident-title">{_e(i["rank"])}. '
            f'{_e(i["summary"])}<span class="rules">{_e(", ".join(i["rules"]))}</span></h3>'
            + _dl([
                ("evidence", f"<code>{_e(i['evidence'])}</code>" if i.get("evidence") else ""),
                ("detail", _e(i.get("detail") or "")),
                ("explains", _e(explains)),
                ("next", _commands(i.get("next") or ())),
            ])
            + "</div>"
        )
    return "\n".join(out) + "</section>"


def _history(history: Sequence[Mapping[str, Any]]) -> str:
    if not history:
        return ""
    rows = "".join(
        f"<tr><td class=\"mono\">{_e((h.get('ended') or '').replace('T', ' ')[:19])}</td>"
        f"<td>{_e(h['object'])}</td><td>{_e(h['reason'])} (x{_e(h.get('count', 1))})</td>"
        f"<td>{_e(h['why'])}</td></tr>"
        for h in history
    )
    return (
        '<section id="history"><h2>History <span class="meta">(over: not judged as current)'
        "</span></h2><table><tr><th>Ended (UTC)</th><th>Object</th><th>Reason</th>"
        f"<th>Why over</th></tr>{rows}</table></section>"
    )


def _timeline(timeline: Mapping[str, Any] | None) -> str:
    rows = [r for r in (timeline or {}).get("workloads", ()) if r["total"] or r["marks"]]
    if not timeline or not rows:
        return ""
    grid = grid_for(timeline, columns=_SVG_COLUMNS)
    unit = "minute" if grid.per == 1 else f"{grid.per} minutes"
    used = {m["kind"] for r in rows for m in r["marks"]}
    legend = "".join(
        f'<span class="mark-{k}">{_MARK_GLYPH[k]} {LEGEND[k]}</span>' for k in MARKS if k in used
    )
    return (
        '<section id="timeline"><h2>Timeline <span class="meta">(failing log records per '
        f"{unit}, UTC)</span></h2>"
        f"{_svg(rows, grid, end=timeline['end'], labels=[row_label(r, timeline) for r in rows])}"
        f'<p class="legend meta">{legend}</p></section>'
    )


def _svg(
    rows: Sequence[Mapping[str, Any]], grid: Grid, *, end: str, labels: Sequence[str]
) -> str:
    width = _LABEL + grid.columns * _COL + 40
    height = len(rows) * _ROW + _AXIS
    sums = [grid.sums(r["failing"]) for r in rows]
    top = max((max(s) for s in sums), default=0) or 1
    out = [
        f'<svg role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="failing records per workload over time">'
    ]
    for index, (row, counts, label) in enumerate(zip(rows, sums, labels, strict=True)):
        y = index * _ROW
        out.append(f'<g class="row" data-workload="{_e(row["workload"])}">')
        out.append(f'<rect class="row-bg" x="{_LABEL}" y="{y + 2}" '
                   f'width="{grid.columns * _COL}" height="{_ROW - 4}"/>')
        out.append(f'<text x="{_LABEL - 8}" y="{y + _ROW / 2 + 4}" text-anchor="end">'
                   f"{_e(label)}</text>")
        out += _marks(row["marks"], grid, y=y)  # under the bars: a mark never hides one
        out += _bars(counts, grid, y=y, top=top)
        out.append("</g>")
    out += _axis(grid, y=len(rows) * _ROW, end=end)
    out.append("</svg>")
    return "".join(out)


def _bars(counts: Sequence[int], grid: Grid, *, y: int, top: int) -> list[str]:
    out = []
    for col, n in enumerate(counts):
        if not n:
            continue
        h = max(2.0, _BAR * n / top)
        x = _LABEL + col * _COL + 1
        at = grid.at(col)
        out.append(
            f'<rect class="bar" x="{x}" y="{y + _ROW - 4 - h:.1f}" width="{_COL - 2}" '
            f'height="{h:.1f}"><title>{at:%H:%M}: {n} failing record(s)</title></rect>'
        )
    return out


def _marks(marks: Sequence[Mapping[str, Any]], grid: Grid, *, y: int) -> list[str]:
    out = []
    for mark in marks:
        kind = mark["kind"] if mark["kind"] in MARKS else "rollout"
        x = _LABEL + grid.column(int(mark["minute"])) * _COL + _COL / 2
        at = (mark.get("at") or "").replace("T", " ")[:19]
        out.append(
            f'<g class="mark mark-{kind}"><title>{_e(LEGEND[kind])} {_e(at)}: '
            f"{_e(mark.get('label') or '')}</title>"
            f'<line x1="{x}" x2="{x}" y1="{y + 2}" y2="{y + _ROW - 2}"/>'
            f'<text x="{x + 2}" y="{y + 11}">{_MARK_GLYPH[kind]}</text></g>'
        )
    return out


def _axis(grid: Grid, *, y: int, end: str) -> list[str]:
    right = _LABEL + grid.columns * _COL
    out = [f'<g class="axis"><line x1="{_LABEL}" x2="{right}" y1="{y + 2}" y2="{y + 2}"/>']
    every = next(
        (t for t in (5, 10, 15, 30, 60, 120, 360, 720, 1440)
         if t % grid.per == 0 and t // grid.per >= 6),
        grid.per * 8,
    )
    ticks = [(0, f"{grid.start:%H:%M}")]
    for col in range(1, grid.columns):
        at = grid.at(col)
        if (at.hour * 60 + at.minute) % every == 0 and col >= 4 and col <= grid.columns - 4:
            ticks.append((col, f"{at:%H:%M}"))
    ticks.append((grid.columns, end[11:16]))
    for col, label in ticks:
        x = _LABEL + col * _COL
        out.append(f'<line x1="{x}" x2="{x}" y1="{y + 2}" y2="{y + 7}"/>'
                   f'<text x="{x}" y="{y + 20}" text-anchor="middle">{_e(label)}</text>')
    out.append("</g>")
    return out


def _checks(checks: Sequence[Check]) -> str:
    if not checks:
        return ""
    rows = "".join(
        f'<tr><td class="verdict v-{c.verdict.value}">{_e(c.verdict.value)}</td>'
        f"<td>{_e(c.step)}</td><td>{_e(c.detail)}</td><td>{_commands(c.next)}</td></tr>"
        for c in checks
    )
    return (
        '<section id="checklist"><h2>Checklist</h2><table><tr><th>Verdict</th><th>Step</th>'
        f"<th>Detail</th><th>Next</th></tr>{rows}</table></section>"
    )


def _findings(findings: Sequence[Finding]) -> str:
    if not findings:
        return ""
    return '<section id="findings"><h2>Findings</h2>' + "\n".join(
        _card(f) for f in findings
    ) + "</section>"


def _card(f: Finding) -> str:
    where = ", ".join(sorted({w.label() for w in f.where}))
    seen = (
        f"{f.first_seen:%Y-%m-%d %H:%M:%S} .. {f.last_seen:%Y-%m-%d %H:%M:%S} UTC"
        if f.first_seen and f.last_seen else ""
    )
    example = f.example[:_EXAMPLE_CHARS] + ("\n…" if len(f.example) > _EXAMPLE_CHARS else "")
    return (
        f'<article class="card sev-{f.severity.label}"><h3>'
        f'<span class="badge">{_e(f.severity.label.upper())}</span> <code>{_e(f.rule)}</code> '
        f"{_e(f.title)} <span class=\"meta\">(x{f.count})</span></h3>"
        + _dl([
            ("where", _e(where)),
            ("seen", _e(seen)),
            ("detail", _e(f.detail)),
            ("cause", _e(f.cause)),
            ("fix", _e(f.fix)),
            ("next", _commands(f.next)),
        ])
        + f"<pre>{_e(example)}</pre></article>"
    )


def _gaps(report: Report) -> str:
    if not report.gaps:
        return ""
    items = "".join(
        f"<li>{_e(g.kind)} {_e('/'.join(x for x in (g.pod, g.container) if x))}: "
        f"{_e(g.reason)}: {_e(g.message)}</li>"
        for g in report.gaps
    )
    return f'<section id="gaps"><h2>Not collected</h2><ul>{items}</ul></section>'
