"""YAML from files a user did not write themselves (a kubeconfig handed over by a cloud CLI,
a rules file from a colleague), read with bounds: size, aliases, depth.

A 1 KB "billion laughs" file is a few aliases expanding into an object whose every use
(an error message, a walk) is exponential: a document whose expanded size is past any real
kubeconfig or rules file is refused before it is built.
Imports PyYAML (a dependency of the kubernetes client).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MAX_BYTES = 16 << 20
MAX_NODES = 1_000_000  # values once aliases are expanded; a large kubeconfig has ~10,000
MAX_DEPTH = 64


class YAMLRefused(ValueError):
    """The document is over a bound; the message says which."""


def load_file(path: Path) -> Any:
    """One YAML document from `path`, bounded; OSError and yaml.YAMLError pass through."""
    with path.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise YAMLRefused(f"larger than {MAX_BYTES >> 20} MiB")
    return load_text(data)


def load_text(text: str | bytes) -> Any:
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check(root: Any) -> None:
    """The size the document would have with every alias expanded, and its depth, computed
    over the node graph (each node once) without expanding anything."""
    size: dict[int, int] = {}
    stack: list[tuple[Any, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, children_done = stack.pop()
        if depth > MAX_DEPTH:
            raise YAMLRefused(f"nested deeper than {MAX_DEPTH} levels")
        kids = _children(node)
        if children_done:
            size[id(node)] = 1 + sum(size[id(k)] for k in kids)
            if size[id(node)] > MAX_NODES:
                raise YAMLRefused(
                    f"its aliases expand to more than {MAX_NODES} values (an alias bomb)"
                )
            continue
        if id(node) in size:
            continue
        stack.append((node, depth, True))
        stack.extend((k, depth + 1, False) for k in kids if id(k) not in size)


def _children(node: Any) -> list[Any]:
    value = node.value
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        out.extend(item if isinstance(item, tuple) else (item,))
    return out
