"""Fitting text to the terminal: tables shrunk with an ellipsis, prose wrapped at words.

The one place that knows how wide a line may be; the text renderers (findings, incidents,
tables) call it with the width `RenderOptions` carries (None: no limit, as `-o wide`).
Widths are display columns: an East Asian wide character takes two, a combining mark none.
Pure; imports the standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

ELLIPSIS = "…"
GAP = "  "  # between columns (kubectl pads with 3; at 80 columns every one counts)

# How readily a column gives way when a table is too wide: free text first (a message
# still reads when cut), then short fields, and names last (a cut name cannot be pasted
# into the next command).
# A time is never cut: "2026-11-27T22:1…" says nothing, and the others make room for it.
FREE, FIELD, NAME, TIME = 0, 1, 2, 3
# Column titles (lower case) of each kind; any other column is a FIELD.
FREE_COLUMNS = frozenset(
    {"message", "last message", "detail", "title", "value", "example", "image", "routes",
     "last termination", "sidecars", "scopes", "loaded by", "source", "from"}
)
NAME_COLUMNS = frozenset(
    {"namespace", "workload", "pod", "object", "name", "id", "rule", "service", "topic",
     "container", "path", "where", "step"}
)
TIME_COLUMNS = frozenset({"time", "last seen", "first seen", "last"})
# Below this no column goes, whatever the width: "ab…" still tells rows apart.
_LAST_RESORT = 3

_TOKENS = re.compile(r"\S+|\s+")


def width_of(text: str) -> int:
    """Display columns of one line."""
    if text.isascii():
        return len(text)
    return sum(_char_width(c) for c in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cut(text: str, width: int | None) -> str:
    """At most `width` columns (None: any); a cut text ends in an ellipsis, so it reads as
    cut."""
    if width is None or width_of(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        size = _char_width(char)
        if used + size > width - 1:
            break
        out.append(char)
        used += size
    return "".join(out) + ELLIPSIS


def cut_left(text: str, width: int) -> str:
    """At most `width` columns, keeping the end (a path's last folders say the most)."""
    if width_of(text) <= width:
        return text
    return ELLIPSIS + cut(text[::-1], width)[:-1][::-1] if width > 1 else ELLIPSIS


def wrap(text: str, width: int | None, *, first: str = "", indent: str = "") -> list[str]:
    """One line of text as lines of at most `width` columns, broken between words: the first
    starts with `first`, the others with `indent` (a hanging indent). A word longer than a
    whole line is cut with an ellipsis, never broken in two. No width: one line."""
    text = text.replace("\t", "    ").rstrip()
    if width is None:
        return [first + text]
    body = text.lstrip(" ")
    line = first + text[: len(text) - len(body)]  # a line's own indentation stays
    lines: list[str] = []
    started, pending = False, ""  # a word on `line` yet; the space before the next one
    for token in _TOKENS.findall(body):
        if token.isspace():
            pending = token
            continue
        piece = pending + token if started else token
        if started and width_of(line + piece) > width:
            lines.append(line)
            line, piece, started = indent, token, False
        room = width - width_of(line)
        if width_of(piece) > room:  # a word longer than a whole line
            piece = cut(piece, max(room, 1))
        line, started, pending = line + piece, True, ""
    lines.append(line.rstrip())
    return lines


def wrap_command(command: str, width: int | None, *, first: str, indent: str) -> list[str]:
    """A shell command over several lines, each but the last ending in " \\", so that it
    still pastes and runs; never broken inside an argument."""
    if width is None or width_of(first + command) <= width:
        return [first + command]
    lines, line = [], first
    for word in _arguments(command):
        candidate = word if line in (first, indent) else " " + word
        if width_of(line + candidate) + 2 > width and line not in (first, indent):
            lines.append(line + " \\")
            line, candidate = indent, word
        line += candidate
    lines.append(line)
    return lines


def _arguments(command: str) -> list[str]:
    """A command's words, a flag kept with its value ("-n taskflow") so none is left alone
    at the end of a line."""
    out: list[str] = []
    for word in command.split(" "):
        flag = out and out[-1].startswith("-") and " " not in out[-1] and "=" not in out[-1]
        if flag and not word.startswith("-"):
            out[-1] += " " + word
        else:
            out.append(word)
    return out


def column_kind(title: str) -> int:
    title = title.lower()
    if title in TIME_COLUMNS:
        return TIME
    return FREE if title in FREE_COLUMNS else NAME if title in NAME_COLUMNS else FIELD


def fit(natural: Sequence[int], *, kinds: Sequence[int], titles: Sequence[int],
        width: int | None) -> list[int]:
    """Column widths whose sum, with the gaps, is at most `width`. Columns give way in
    `_STAGES`' order, each stage taking from the widest column of its kind down to that
    stage's floor: free text first (the widest first), then fields, then free text again,
    and names last; times never. No width: natural."""
    widths = list(natural)
    if width is None or not widths:
        return widths
    budget = width - len(GAP) * (len(widths) - 1)
    for kind, floor in _STAGES:
        columns = [i for i, k in enumerate(kinds) if k == kind]
        floors = [min(n, max(t, floor)) for n, t in zip(natural, titles, strict=True)]
        _shrink(widths, columns, floors, budget)
    for kind in (FREE, FIELD, NAME):  # too many columns for the width: anything goes
        columns = [i for i, k in enumerate(kinds) if k == kind]
        _shrink(widths, columns, [min(n, _LAST_RESORT) for n in natural], budget)
    return widths


# (kind, floor): a free text of 24 columns still tells what happened, a field of 8 its
# value ("CrashLo…"), a name of 20 which object it is ("deployment/notificat…").
_STAGES = ((FREE, 24), (FIELD, 8), (FREE, 8), (NAME, 20), (NAME, 12))


def _shrink(widths: list[int], columns: list[int], floors: list[int], budget: int) -> None:
    """Take one column at a time off the widest of `columns` until the table fits."""
    while sum(widths) > budget:
        open_ = [i for i in columns if widths[i] > floors[i]]
        if not open_:
            return
        widest = max(open_, key=lambda i: widths[i])
        widths[widest] -= 1


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    width: int | None,
    kinds: Sequence[int] | None = None,
    wrapped: frozenset[int] = frozenset(),
    paint: Callable[[int, str], str] | None = None,
    below: int | None = None,
) -> str:
    """Rows as aligned columns (headers first unless empty), fitted to `width`: a cell too
    wide is cut with an ellipsis, or, in a `wrapped` column, broken over lines at words.
    `below`: a free-text column (a message) that, when the table would have to cut it or
    another column to fit, is printed under its row instead, indented and wrapped: at 80
    columns "Back-of…" says nothing, the whole message under the row does.
    `paint(column, text)` colours a cell after it was fitted (colour takes no room)."""
    kinds = _kinds(headers, rows, kinds)
    if below is None or not cuts(headers, rows, width=width, kinds=kinds):
        head, body = _render(headers, rows, width=width, kinds=kinds, wrapped=wrapped,
                             paint=paint)
        return "\n".join(head + [line for lines in body for line in lines])

    head, body = _render(
        _without(headers, below), [_without(r, below) for r in rows], width=width,
        kinds=_without(kinds, below),
        wrapped=frozenset(i - (i > below) for i in wrapped if i != below),
        paint=(lambda column, text: paint(column + (column >= below), text)) if paint else None,
    )
    out = list(head)
    for row, lines in zip(rows, body, strict=True):
        out.extend(lines)
        text = row[below].split("\n", 1)[0].strip()
        if text and text != "-":
            out.extend(wrap(text, width, first="    ", indent="      "))
    return "\n".join(out)


def cuts(headers: Sequence[str], rows: Sequence[Sequence[str]], *, width: int | None,
         kinds: Sequence[int] | None = None, below: int | None = None) -> bool:
    """Whether fitting the table to `width` cuts a name, a field or a time, or cuts a free
    text below what still reads (24 columns); with `below`, as table() lays it out (that
    column under its row when the table would cut)."""
    if width is None or not rows:
        return False
    if below is not None:
        kinds = _kinds(headers, rows, kinds)
        headers, rows, kinds = (
            _without(headers, below), [_without(r, below) for r in rows], _without(kinds, below))
    kinds = _kinds(headers, rows, kinds)
    titles, natural = _measure(headers, rows)
    widths = fit(natural, kinds=kinds, titles=titles, width=width)
    return any(
        w < (n if k != FREE else min(n, _READABLE))
        for w, n, k in zip(widths, natural, kinds, strict=True)
    )


_READABLE = 24  # a free text cut to this still tells what happened (_STAGES' first floor)


def _without(cells: Sequence, index: int) -> list:
    return [c for i, c in enumerate(cells) if i != index]


def _kinds(headers: Sequence[str], rows: Sequence[Sequence[str]],
           kinds: Sequence[int] | None) -> list[int]:
    if kinds is not None:
        return list(kinds)
    count = len(headers) or (len(rows[0]) if rows else 0)
    return [column_kind(h) for h in headers] or [FIELD] * count


def _measure(headers: Sequence[str],
             rows: Sequence[Sequence[str]]) -> tuple[list[int], list[int]]:
    """Title widths and natural widths of the columns."""
    count = len(headers) or (len(rows[0]) if rows else 0)
    titles = [width_of(h) for h in headers] or [0] * count
    natural = [
        max([titles[i], *(width_of(line) for r in rows for line in r[i].split("\n"))])
        for i in range(count)
    ]
    return titles, natural


def _render(headers: Sequence[str], rows: Sequence[Sequence[str]], *, width: int | None,
            kinds: Sequence[int], wrapped: frozenset[int],
            paint: Callable[[int, str], str] | None) -> tuple[list[str], list[list[str]]]:
    """The header line (if any) and each row's lines."""
    titles, natural = _measure(headers, rows)
    widths = fit(natural, kinds=kinds, titles=titles, width=width)
    head = []
    if headers:
        head.append(_line([cut(h, w) for h, w in zip(headers, widths, strict=True)], widths))
    body = []
    for row in rows:
        cells = [
            wrap(c, w, indent="  ") if i in wrapped and width is not None
            else [cut(line, w) for line in c.split("\n")[:1]]
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines = []
        for n in range(max((len(c) for c in cells), default=0)):
            texts = [c[n] if n < len(c) else "" for c in cells]
            lines.append(_line(texts, widths, paint=paint if n == 0 else None))
        body.append(lines)
    return head, body


def _line(cells: Sequence[str], widths: Sequence[int],
          paint: Callable[[int, str], str] | None = None) -> str:
    parts = []
    for i, (text, w) in enumerate(zip(cells, widths, strict=True)):
        shown = paint(i, text) if paint and text else text
        pad = "" if i == len(cells) - 1 else " " * (w - width_of(text))
        parts.append(shown + pad)
    return GAP.join(parts).rstrip()
