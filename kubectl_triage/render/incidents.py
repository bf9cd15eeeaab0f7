"""The ranked incidents and the history a report opens with, for people (text, Markdown).

First an overview that fits one screen (each root cause on a line, its next command on a
second, how much history, what follows); then each root cause with its one best evidence
line, what it explains and the next command; then what is over, with when it ended. Reads
the report's `incidents` and `history` (the JSON shape of DESIGN.md) and nothing else; pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kubectl_triage.render.layout import cut, width_of, wrap, wrap_command

# More would not fit a screen; -o json has them all.
MAX_INCIDENTS = 8
MAX_HISTORY = 5
# The overview fits one 80x24 screen with the header line and a blank line above it.
OVERVIEW_LINES = 22
_EVIDENCE = 160  # columns of an incident's evidence line in -o wide (a cut log line)


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


def overview_text(
    extra: Mapping[str, Any],
    *,
    width: int | None,
    paint: Callable[..., str],
    follows: str,
    namespaced: bool = False,
    findings: Sequence[str] = (),
) -> str:
    """What a report opens with, on one screen: each ranked incident on a line (with what it
    explains when that fits) and its next command on a second (one line each when that
    would not fit), how much history there is and what follows. `findings`: one line per
    finding, shown when there is no incident."""
    incidents: Sequence[Mapping[str, Any]] = extra.get("incidents") or ()
    history: Sequence[Mapping[str, Any]] = extra.get("history") or ()
    tail = []
    if history:
        tail.append(f"HISTORY  {len(history)} item(s) over, not judged as current (listed below)")
    tail += wrap(follows, width)
    room = OVERVIEW_LINES - len(tail) - 2  # the title and the blank line before the tail
    if incidents:
        title = paint("INCIDENTS", bright=True) + "  root causes first"
        body = _ranked_lines(incidents, width=width, room=room, paint=paint, namespaced=namespaced)
    elif findings:
        title = paint("FINDINGS", bright=True)
        body = [cut(f, width) for f in findings[:room]]
        if len(findings) > room:
            body[-1] = f"    … and {len(findings) - room + 1} more below"
    else:
        title, body = "No incident: no failing workload found.", []
    return "\n".join([title, *body, "", *tail])


def _ranked_lines(incidents: Sequence[Mapping[str, Any]], *, width: int | None, room: int,
                  paint: Callable[..., str], namespaced: bool) -> list[str]:
    heads = []
    for i in incidents:
        where = f"({i.get('namespace')}) " if namespaced and i.get("namespace") else ""
        text = f"{i['rank']:>2}  {where}{i['summary']}"
        # other workloads only: its own symptoms (a 500 after its own exception) go unsaid
        explains = sorted({_node(e) for e in i["explains"]} - {_node(i)})
        with_explains = text + f"  (explains {', '.join(explains)})" if explains else text
        if width is None or width_of(with_explains) <= width:
            text = with_explains  # what it explains, when that fits beside it
        heads.append(paint(cut(text, width), bright=True))
    two = []
    for head, i in zip(heads, incidents, strict=True):
        two.append(head)
        for line in wrap_command(i["next"][0], width, first="    next: ", indent=" " * 12) \
                if i["next"] else ():
            two.append(paint(line, "CYAN"))
    if len(two) <= room:
        return two
    if len(heads) <= room:
        return heads
    return heads[: room - 1] + [f"    … and {len(heads) - room + 1} more below"]


def incidents_text(
    extra: Mapping[str, Any],
    *,
    safe: Callable[[str], str],
    paint: Callable[..., str],
    width: int | None = None,
) -> str:
    """The INCIDENTS (each with its evidence, what it explains and its next command) and
    HISTORY blocks, or "" when the report has neither."""
    incidents: Sequence[Mapping[str, Any]] = extra.get("incidents") or ()
    history: Sequence[Mapping[str, Any]] = extra.get("history") or ()
    blocks = []
    if incidents:
        lines = [paint("INCIDENTS", bright=True) + "  (root causes first; details below)"]
        for i in incidents[:MAX_INCIDENTS]:
            head = wrap(f"{safe(i['summary'])}  [{', '.join(i['rules'])}]", width,
                        first=f"{i['rank']:>2}  ", indent="    ")
            lines += [paint(line, bright=True) for line in head]
            evidence = safe(i.get("evidence") or "")
            lines += _field("evidence", evidence if width else evidence[:_EVIDENCE], width)
            if i.get("detail"):
                lines += _field("detail", safe(i["detail"]), width)
            if i["explains"]:
                lines += _field("explains", safe(_explains(i)), width)
            if i["next"]:
                lines += [paint(line, "CYAN") for line in wrap_command(
                    safe(i["next"][0]), width, first="    next:     ", indent=" " * 16)]
        if len(incidents) > MAX_INCIDENTS:
            lines.append(f"    … and {len(incidents) - MAX_INCIDENTS} more (-o json)")
        blocks.append("\n".join(lines))
    if history:
        lines = [paint("HISTORY", bright=True) + "  (over: not judged as current)"]
        for h in history[:MAX_HISTORY]:
            text = (f"{_when(h.get('ended'))}  {safe(h['object'])}  {safe(h['reason'])}"
                    f" (x{h.get('count', 1)}): {safe(h['why'])}")
            lines += wrap(text, width, first="    ", indent=" " * 8)
        if len(history) > MAX_HISTORY:
            lines.append(f"    … and {len(history) - MAX_HISTORY} more (-o json)")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _field(label: str, text: str, width: int | None) -> list[str]:
    return wrap(text, width, first=f"    {label + ':':<10}", indent=" " * 14)


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
