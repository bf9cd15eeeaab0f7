"""`-o jsonpath=TEMPLATE`: kubectl's JSONPath templates over a report's JSON.

The subset kubectl users type (client-go's util/jsonpath): text with `{…}` actions; paths
`.a.b`, `$`, `@`, `..name`, `*`, `[n]`, `[-1]`, `[a:b]`, `[*]`, `['a','b']`, filters
`[?(@.x == "y")]` (==, !=, <, <=, >, >=, or existence); `{range PATH}`…`{end}`; quoted
literals `{"\n"}`. Printed as kubectl prints: several results of one action joined by a
space, strings raw, objects and lists as compact JSON, null as `null`, a missing key as
nothing, no newline added. A template that does not parse raises `JsonPathError` with
kubectl's wording. Pure; standard library only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_MISSING = object()


class JsonPathError(ValueError):
    pass


@dataclass(frozen=True)
class _Field:
    names: tuple[str, ...]  # "*" for every value


@dataclass(frozen=True)
class _Recursive:
    name: str  # "*" for every value below


@dataclass(frozen=True)
class _Index:
    indexes: tuple[int, ...] = ()
    whole: bool = False  # [*]
    span: tuple[int | None, int | None, int | None] | None = None  # [a:b:c]


@dataclass(frozen=True)
class _Filter:
    left: tuple[Any, ...]  # a path from @ (or $)
    op: str  # "" for existence
    right: Any  # a literal, or a path (a tuple of steps) from @ or $
    right_is_path: bool = False
    left_root: bool = False
    right_root: bool = False


@dataclass(frozen=True)
class _Path:
    steps: tuple[Any, ...]
    root: bool  # starts at $ rather than the current item


@dataclass(frozen=True)
class _Range:
    path: _Path
    body: tuple[Any, ...]


_Node = str | _Path | _Range
_OPS = ("==", "!=", "<=", ">=", "<", ">")
_NUMBER = re.compile(r"-?\d+(\.\d+)?$")


def parse(template: str) -> tuple[_Node, ...]:
    """The template as nodes: text, paths, ranges."""
    stack: list[list[Any]] = [[]]
    ranges: list[_Path] = []
    for action, text in _actions(template):
        if text is not None:
            stack[-1].append(text)
            continue
        inner = action.strip()
        if inner == "end":
            if not ranges:
                raise JsonPathError(f"error parsing jsonpath {template}, not in range, "
                                    "nothing to end")
            body = stack.pop()
            stack[-1].append(_Range(ranges.pop(), tuple(body)))
        elif inner.startswith("range ") or inner == "range":
            ranges.append(_path(inner[5:].strip(), template))
            stack.append([])
        elif inner[:1] in ("'", '"'):
            stack[-1].append(_literal(inner, template))
        else:
            stack[-1].append(_path(inner, template))
    if ranges:
        raise JsonPathError(f"error parsing jsonpath {template}, range without end")
    return tuple(stack[0])


def _actions(template: str) -> Iterator[tuple[str, str | None]]:
    """(action, None) for each `{…}`, ("", text) for the text between them."""
    i, text = 0, []
    while i < len(template):
        char = template[i]
        if char != "{":
            text.append(char)
            i += 1
            continue
        if text:
            yield "", "".join(text)
            text = []
        end = _closing(template, i)
        yield template[i + 1 : end], None
        i = end + 1
    if text:
        yield "", "".join(text)


def _closing(template: str, start: int) -> int:
    quote = ""
    for j in range(start + 1, len(template)):
        char = template[j]
        if quote:
            if char == "\\":
                continue
            if char == quote and template[j - 1] != "\\":
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "}":
            return j
    raise JsonPathError(f"error parsing jsonpath {template}, unclosed action")


def _literal(text: str, template: str) -> str:
    if len(text) < 2 or text[-1] != text[0]:
        raise JsonPathError(f"error parsing jsonpath {template}, unterminated quoted string")
    body = text[1:-1]
    escapes = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), body)


def _path(text: str, template: str) -> _Path:
    root = text.startswith("$")
    text = text[1:] if text[:1] in ("$", "@") else text
    if text and text[0] not in ".[":
        text = "." + text  # {kind} as {.kind}
    steps: list[Any] = []
    i = 0
    while i < len(text):
        if text.startswith("..", i):
            name, i = _name(text, i + 2)
            steps.append(_Recursive(name or "*"))
        elif text[i] == ".":
            name, i = _name(text, i + 1)
            if name:
                steps.append(_Field((name,)))
        elif text[i] == "[":
            end = _bracket_end(text, i, template)
            steps.append(_bracket(text[i + 1 : end].strip(), template))
            i = end + 1
        else:
            raise JsonPathError(f"error parsing jsonpath {template}, unexpected {text[i]!r}")
    return _Path(tuple(steps), root)


def _name(text: str, i: int) -> tuple[str, int]:
    m = re.compile(r"[^.\[\]\s()=!<>]*").match(text, i)
    assert m is not None  # the pattern matches the empty string
    return m.group(0), m.end()


def _bracket_end(text: str, start: int, template: str) -> int:
    depth, quote = 0, ""
    for j in range(start, len(text)):
        char = text[j]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return j
    raise JsonPathError(f"error parsing jsonpath {template}, unterminated array")


def _bracket(inner: str, template: str) -> Any:
    if inner.startswith("?(") and inner.endswith(")"):
        return _filter(inner[2:-1].strip(), template)
    if inner == "*":
        return _Index(whole=True)
    if inner[:1] in ("'", '"'):
        names = [p.strip() for p in inner.split(",")]
        return _Field(tuple(_literal(n, template) for n in names))
    try:
        if ":" in inner:
            parts = [int(p) if p.strip() else None for p in inner.split(":")]
            if len(parts) > 3:
                raise ValueError(inner)
            return _Index(span=(parts + [None, None])[:3])  # type: ignore[arg-type]
        return _Index(indexes=tuple(int(p) for p in inner.split(",")))
    except ValueError:
        raise JsonPathError(
            f"error parsing jsonpath {template}, invalid array index {inner}"
        ) from None


def _filter(expression: str, template: str) -> _Filter:
    for op in _OPS:
        left, found, right = expression.partition(op)
        if found:
            break
    else:
        left, op, right = expression, "", ""
    left, right = left.strip(), right.strip()
    if not left.startswith(("@", "$")):
        raise JsonPathError(f"error parsing jsonpath {template}, unrecognized filter {expression}")
    lpath = _path(left, template)
    if right.startswith(("@", "$")):
        rpath = _path(right, template)
        return _Filter(lpath.steps, op, rpath.steps, True, lpath.root, rpath.root)
    if right[:1] in ("'", '"'):
        value: Any = _literal(right, template)
    elif _NUMBER.match(right):
        value = float(right) if "." in right else int(right)
    elif right in ("true", "false"):
        value = right == "true"
    elif op:
        raise JsonPathError(f"error parsing jsonpath {template}, unrecognized filter {expression}")
    else:
        value = None
    return _Filter(lpath.steps, op, value, left_root=lpath.root)


# ---- evaluation ---------------------------------------------------------------------------


def execute(nodes: tuple[_Node, ...], data: Any) -> str:
    """The template's text for `data` (a report's JSON object)."""
    out: list[str] = []
    _run(nodes, data, data, out)
    return "".join(out)


def _run(nodes: tuple[_Node, ...], current: Any, root: Any, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _Range):
            for item in _select(node.path, current, root):
                _run(node.body, item, root, out)
        else:
            out.append(" ".join(_text(v) for v in _select(node, current, root)))


def _select(path: _Path, current: Any, root: Any) -> list[Any]:
    return _walk(path.steps, root if path.root else current, root)


def _walk(steps: tuple[Any, ...], start: Any, root: Any) -> list[Any]:
    values = [start]
    for step in steps:
        values = [x for v in values for x in _step(step, v, root)]
    return values


def _step(step: Any, value: Any, root: Any) -> list[Any]:
    if isinstance(step, _Field):
        if step.names == ("*",):
            return list(value.values()) if isinstance(value, dict) else (
                list(value) if isinstance(value, list) else [])
        if not isinstance(value, dict):
            return []
        return [value[n] for n in step.names if n in value]
    if isinstance(step, _Recursive):
        return list(_descend(value, step.name))
    if isinstance(step, _Index):
        items = list(value.values()) if isinstance(value, dict) and step.whole else value
        if not isinstance(items, list):
            return []
        if step.whole:
            return items
        if step.span is not None:
            return items[slice(*step.span)]
        return [items[i] for i in step.indexes if -len(items) <= i < len(items)]
    if isinstance(step, _Filter):
        items = value if isinstance(value, list) else [value]
        return [item for item in items if _keeps(step, item, root)]
    raise AssertionError(step)


def _descend(value: Any, name: str) -> Iterator[Any]:
    if isinstance(value, dict):
        if name == "*":
            yield from value.values()
        elif name in value:
            yield value[name]
        for child in value.values():
            yield from _descend(child, name)
    elif isinstance(value, list):
        for child in value:
            if name == "*":
                yield child
            yield from _descend(child, name)


def _keeps(f: _Filter, item: Any, root: Any) -> bool:
    left = _walk(f.left, root if f.left_root else item, root)
    if not f.op:
        return bool(left) and left[0] is not None
    if f.right_is_path:
        right = _walk(f.right, root if f.right_root else item, root)
        if not right:
            return False
        other = right[0]
    else:
        other = f.right
    return any(_compare(value, f.op, other) for value in left)


def _compare(value: Any, op: str, other: Any) -> bool:
    if op == "==":
        return value == other
    if op == "!=":
        return value != other
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (value, other))
    if not numbers and not (isinstance(value, str) and isinstance(other, str)):
        return False
    return {"<": value < other, "<=": value <= other, ">": value > other,
            ">=": value >= other}[op]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
