"""The Markdown renderer: a report to paste into an incident ticket."""

from __future__ import annotations

from kubectl_triage.frames import frame_text
from kubectl_triage.render import RenderOptions
from kubectl_triage.render.incidents import incidents_markdown
from kubectl_triage.render.text import safe
from kubectl_triage.report import Report, Table


def _cell(text: str) -> str:
    """Outside text as inert Markdown: a ticket must not render HTML (`<img onerror=…>`) or
    links that a log line wrote."""
    text = safe(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char in "|[]":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", " ")


def _table(columns: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def render_markdown(report: Report, options: RenderOptions) -> str:
    parts = [
        f"# kubectl triage {report.command}",
        f"Context `{report.context}`, namespace `{report.namespace}`.",
    ]
    if report.extra.get("symptom"):
        parts.append(f"**Symptom:** {_cell(str(report.extra['symptom']))}")
    parts.append(incidents_markdown(report.extra, cell=_cell))
    if report.checks:
        parts.append(
            "## Checklist\n\n"
            + _table(
                ["Verdict", "Step", "Detail", "Next"],
                [[c.verdict.value, c.step, c.detail, "; ".join(c.next)] for c in report.checks],
            )
        )
    if report.findings:
        parts.append("## Findings")
        for f in report.findings:
            where = ", ".join(sorted({w.label() for w in f.where}))
            block = [
                f"### {f.severity.label.upper()} `{_cell(f.rule)}`: {_cell(f.title)} (x{f.count})",
                "",
                f"- **Where:** {_cell(where)}",
                *([f"- **Detail:** {_cell(f.detail)}"] if f.detail else []),
                *_in_code(f.example),
                f"- **Cause:** {_cell(f.cause)}",
                f"- **Fix:** {_cell(f.fix)}",
            ]
            block += [f"- **Next:** `{_cell(cmd)}`" for cmd in f.next]
            block += ["", "```", safe(f.example)[:4000].replace("```", "'''"), "```"]
            parts.append("\n".join(block))
    for table in report.tables:
        parts.append(_section(table))
    if report.gaps:
        parts.append(
            "## Not collected\n\n"
            + "\n".join(
                f"- {g.kind} {g.pod}/{g.container}: {g.reason}: {_cell(g.message)}"
                for g in report.gaps
            )
        )
    return "\n\n".join(p for p in parts if p) + "\n"


def _in_code(example: str) -> list[str]:
    """The trace's frame in the application's own code, where the developer starts."""
    frame = frame_text(safe(example))
    return [f"- **In code:** {_cell(frame)}"] if frame else []


def _section(table: Table) -> str:
    return f"## {table.name.capitalize()}\n\n" + _table(
        list(table.columns), [list(r) for r in table.rows]
    )
