"""The ranked incidents and the history a report opens with, for people (text, Markdown).

One screen: each root cause with its one best evidence line, what it explains and the next
command; then what is over, with when it ended. Reads the report's `incidents` and
`history` (the JSON shape of DESIGN.md) and nothing else; pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

# More would not fit a screen; -o json has them all.
MAX_INCIDENTS = 8
MAX_HISTORY = 5
_WIDTH = 160


def _when(value: str | None) -> str:
    return value.replace("T", " ")[:19] if value else "an unknown time"


def _node(entry: Mapping[str, Any]) -> str:
    kind = entry.get("kind", "")
    return f"{kind.lower()}/{entry['workload']}" if kind == "Service" else entry["workload"]


def _explains(incident: Mapping[str, Any]) -> str:
    parts = [
        f"{_node(e)} {e['rule']}" + (f" (x{e['count']})" if e.get("count") else "")
        for e in incident["explains"]
    ]
    return ", ".join(parts)


def incidents_text(
    extra: Mapping[str, Any], *, safe: Callable[[str], str], paint: Callable[..., str]
) -> str:
    """The INCIDENTS and HISTORY blocks, or "" when the report has neither."""
    incidents: Sequence[Mapping[str, Any]] = extra.get("incidents") or ()
    history: Sequence[Mapping[str, Any]] = extra.get("history") or ()
    blocks = []
    if incidents:
        lines = [paint("INCIDENTS", bright=True) + "  (root causes first; details below)"]
        for i in incidents[:MAX_INCIDENTS]:
            head = f"{i['rank']:>2}  {paint(safe(i['summary']), bright=True)}"
            lines.append(f"{head}  [{', '.join(i['rules'])}]")
            lines.append(f"    evidence: {safe(i.get('evidence') or '')[:_WIDTH]}")
            if i.get("detail"):
                lines.append(f"    detail:   {safe(i['detail'])[:_WIDTH]}")
            if i["explains"]:
                lines.append(f"    explains: {safe(_explains(i))}")
            if i["next"]:
                lines.append(f"    next:     {paint(safe(i['next'][0]), 'CYAN')}")
        if len(incidents) > MAX_INCIDENTS:
            lines.append(f"    … and {len(incidents) - MAX_INCIDENTS} more (-o json)")
        blocks.append("\n".join(lines))
    if history:
        lines = [paint("HISTORY", bright=True) + "  (over: not judged as current)"]
        for h in history[:MAX_HISTORY]:
            lines.append(
                f"    {_when(h.get('ended'))}  {safe(h['object'])}  {safe(h['reason'])}"
                f" (x{h.get('count', 1)}): {safe(h['why'])}"
            )
        if len(history) > MAX_HISTORY:
            lines.append(f"    … and {len(history) - MAX_HISTORY} more (-o json)")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def incidents_markdown(extra: Mapping[str, Any], *, cell: Callable[[str], str]) -> str:
    """An "Incidents" section (and "History"), or "" when the report has neither."""
    out = []
    incidents = extra.get("incidents") or ()
    if incidents:
        rows = ["| # | Root cause | Evidence | Explains | Next |", "|---|---|---|---|---|"]
        rows += [
            f"| {i['rank']} | {cell(i['summary'])} | {cell(i.get('evidence') or '')} | "
            f"{cell(_explains(i))} | {cell('; '.join(f'`{c}`' for c in i['next'][:1]))} |"
            for i in incidents
        ]
        out.append("## Incidents\n\n" + "\n".join(rows))
    history = extra.get("history") or ()
    if history:
        rows = ["| Ended | Object | Reason | Why over |", "|---|---|---|---|"]
        rows += [
            f"| {_when(h.get('ended'))} | {cell(h['object'])} | {cell(h['reason'])} | "
            f"{cell(h['why'])} |"
            for h in history
        ]
        out.append("## History\n\n" + "\n".join(rows))
    return "\n\n".join(out)
