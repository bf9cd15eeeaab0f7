"""The report's timeline for a terminal: one row of bars per workload, marks under it.

Reads the report's `failureTimeline` (the JSON shape of incidents/timeline.py) and nothing else;
pure. Minutes are bucketed so that the bars fit `width` columns; Unicode block characters,
or an ASCII ramp when the terminal cannot show them (`--no-color`, a non-UTF-8 stdout).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kubectl_triage.records import parse_time

UNICODE_RAMP = "▁▂▃▄▅▆▇█"
ASCII_RAMP = ".:-=+*#%@"
# Marks in the order they win a shared column: the change before its effect.
MARKS = ("rollout", "stopped", "restart", "first-failure")
UNICODE_MARKS = {"rollout": "R", "stopped": "×", "restart": "↻", "first-failure": "!"}
ASCII_MARKS = {"rollout": "R", "stopped": "x", "restart": "r", "first-failure": "!"}
LEGEND = {
    "rollout": "rollout",
    "stopped": "stopped",
    "restart": "restart",
    "first-failure": "first failure",
}
# Bucket sizes, in minutes, whose edges fall on times a reader can place.
NICE_BUCKETS = (1, 2, 3, 5, 10, 15, 20, 30, 60, 120, 180, 360, 720, 1440)
TICK_MINUTES = (5, 10, 15, 20, 30, 60, 120, 180, 360, 720, 1440)
MAX_ROWS = 12  # one screen; -o json and -o html have them all
LABEL_MAX = 24
LABEL_MIN = 12  # names are not cut shorter than this for finer buckets
_GAP = 2  # between the workload column and the bars


@dataclass(frozen=True)
class Grid:
    """The window cut into columns of `per` minutes each."""

    start: datetime
    minutes: int
    per: int

    @property
    def columns(self) -> int:
        return math.ceil(self.minutes / self.per)

    def column(self, minute: int) -> int:
        return min(minute // self.per, self.columns - 1)

    def at(self, column: int) -> datetime:
        return self.start + timedelta(minutes=column * self.per)

    def sums(self, failing: Sequence[int]) -> list[int]:
        out = [0] * self.columns
        for minute, n in enumerate(failing[: self.minutes]):
            out[self.column(minute)] += n
        return out


def grid_for(timeline: Mapping[str, Any], *, columns: int) -> Grid:
    """The smallest nice bucket whose columns fit in `columns`."""
    minutes = int(timeline["minutes"])
    per = next((b for b in NICE_BUCKETS if math.ceil(minutes / b) <= max(columns, 1)), None)
    per = per or math.ceil(minutes / max(columns, 1))
    return Grid(_time(timeline["start"]), minutes, per)


def timeline_text(
    timeline: Mapping[str, Any] | None,
    *,
    width: int,
    ascii_only: bool,
    paint: Callable[..., str],
) -> str:
    """The TIMELINE block, every line at most `width` columns; "" without a timeline or
    without a failing record or mark to show."""
    rows = [r for r in (timeline or {}).get("workloads", ()) if r["total"] or r["marks"]]
    if not timeline or not rows:
        return ""
    names = [row_label(r, timeline) for r in rows]
    label_w = min(max(len(n) for n in names), LABEL_MAX, max(width // 4, 8))
    # a column per minute is worth a few letters of the names (an hour at 80 columns)
    label_w = max(min(label_w, width - _GAP - int(timeline["minutes"])), min(label_w, LABEL_MIN))
    grid = grid_for(timeline, columns=width - label_w - _GAP)
    ramp, glyphs = (ASCII_RAMP, ASCII_MARKS) if ascii_only else (UNICODE_RAMP, UNICODE_MARKS)
    sums = [grid.sums(r["failing"]) for r in rows]
    top = max(max(s) for s in sums)
    unit = "minute" if grid.per == 1 else f"{grid.per} min"
    what = f"  failing log records per {unit}, {grid.start:%Y-%m-%d} UTC" + (
        f" ({ramp[-1]} = {top})" if top else ""
    )
    lines = [paint("TIMELINE", bright=True) + _cut(what, width - len("TIMELINE"), ascii_only)]
    pad = " " * (label_w + _GAP)
    for row, name, counts in list(zip(rows, names, sums, strict=True))[:MAX_ROWS]:
        marks = _marks(row["marks"], grid, glyphs)
        # a row with no failing record carries its marks on its own line
        bars = "".join(_bar(n, top, ramp) for n in counts) if row["total"] else marks
        lines.append((_cut(name, label_w, ascii_only).ljust(label_w) + " " * _GAP + bars).rstrip())
        if row["marks"] and row["total"]:
            lines.append((pad + marks).rstrip())
    if len(rows) > MAX_ROWS:
        more = f"... and {len(rows) - MAX_ROWS} more workloads (-o json, -o html)"
        lines.append(_cut(pad + more, width, ascii_only))
    return "\n".join(lines + _footer(grid, rows, end=timeline["end"], pad=pad, width=width,
                                      ascii_only=ascii_only))


def _footer(grid: Grid, rows: Sequence[Mapping[str, Any]], *, end: str, pad: str, width: int,
            ascii_only: bool) -> list[str]:
    """The time axis, its labels and the legend of the marks shown."""
    axis, labels = _axis(grid, end=_time(end), ascii_only=ascii_only)
    glyphs = ASCII_MARKS if ascii_only else UNICODE_MARKS
    used = {m["kind"] for r in rows[:MAX_ROWS] for m in r["marks"]}
    legend = "   ".join(f"{glyphs[k]} {LEGEND[k]}" for k in MARKS if k in used)
    return [pad + axis, (pad + labels).rstrip()] + (
        [_cut(pad + legend, width, ascii_only)] if legend else []
    )


def row_label(row: Mapping[str, Any], timeline: Mapping[str, Any]) -> str:
    """The workload's name; with several namespaces, namespace/name."""
    spaces = {r["namespace"] for r in timeline["workloads"]}
    return f"{row['namespace']}/{row['workload']}" if len(spaces) > 1 else row["workload"]


def _bar(count: int, top: int, ramp: str) -> str:
    if not count or not top:
        return " "
    return ramp[max(1, math.ceil(count / top * len(ramp))) - 1]


def _marks(marks: Sequence[Mapping[str, Any]], grid: Grid, glyphs: Mapping[str, str]) -> str:
    cells = [" "] * grid.columns
    rank = [len(MARKS)] * grid.columns
    for mark in marks:
        col = grid.column(int(mark["minute"]))
        order = MARKS.index(mark["kind"]) if mark["kind"] in MARKS else len(MARKS)
        if order < rank[col]:
            cells[col], rank[col] = glyphs.get(mark["kind"], "?"), order
    return "".join(cells)


def _axis(grid: Grid, *, end: datetime, ascii_only: bool) -> tuple[str, str]:
    """The axis line (a tick at each labelled column) and the HH:MM labels under it: the
    start, the end, and round times between where they fit."""
    line, tick = ("-", "+") if ascii_only else ("─", "┬")
    cols = grid.columns
    labels = [" "] * (cols + 5)
    ticks = {0}
    _put(labels, 0, f"{grid.start:%H:%M}")
    end_at = max(cols - 5, 0)
    # round times at least 8 columns apart: a label and room to breathe
    every = next((t for t in TICK_MINUTES if t % grid.per == 0 and t // grid.per >= 8), None)
    for col in range(7, end_at - 6) if every else ():
        at = grid.at(col)
        if (at.hour * 60 + at.minute) % every == 0:
            _put(labels, col, f"{at:%H:%M}")
            ticks.add(col)
    if end_at >= 7:
        _put(labels, end_at, f"{end:%H:%M}")
        ticks.add(cols - 1)
    axis = "".join(tick if c in ticks else line for c in range(cols))
    return axis, "".join(labels)


def _put(cells: list[str], at: int, text: str) -> None:
    cells[at : at + len(text)] = list(text)


def _cut(text: str, width: int, ascii_only: bool) -> str:
    if len(text) <= width:
        return text
    return text[: width - 1] + ("~" if ascii_only else "…")


def _time(value: str) -> datetime:
    parsed = parse_time(value)
    if parsed is None:
        raise ValueError(f"not a time: {value!r}")
    return parsed
