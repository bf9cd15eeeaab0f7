"""What reading a rules file costs, kept between runs: its rows as parsed from YAML and the
literals derived from its patterns, in the user's cache directory.

Reading the built-in table from YAML costs PyYAML's import and parse (~50 ms with libyaml,
several times that with the zipapp's pure-Python loader) and deriving its ~250 patterns'
literals ~250 ms; a run that finds its entry pays a marshal load (~2 ms). An entry is keyed
by a hash of the file's text and of everything that shapes the result (the deriving code,
the normal-traffic sample, the regex lint, the version, the Python): a changed input is a
miss, never a stale hit. An entry is written only after a load whose every regex passed
regexlint, so a hit skips the lint (~0.3 s for the built-in table). Any problem with the
cache (unwritable, corrupt, another Python's) is a miss and is never reported: the cache
only saves time. Imports the standard library only.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from kubectl_triage import __version__

_FORMAT = 1  # bump when the entry's shape changes


def cache_dir(env: Mapping[str, str] | None = None) -> Path | None:
    """The zipapp's cache folder (packaging/zipapp/_kubectl_triage_boot.py), its setting
    honoured: KUBECTL_TRIAGE_ZIPAPP_CACHE=off means no cache is written at all."""
    env = os.environ if env is None else env
    root = env.get("KUBECTL_TRIAGE_ZIPAPP_CACHE")
    if root:
        return None if root == "off" else Path(root)
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kubectl-triage"


def load(source: str, text: str) -> tuple[list[Any], dict[str, Any]] | None:
    """The rows and derived literals cached for this text, or None."""
    path = _path(source)
    if path is None:
        return None
    try:
        entry = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != _key(text):
        return None
    rows, literals = entry.get("rows"), entry.get("literals")
    if not isinstance(rows, list) or not isinstance(literals, dict):
        return None
    return rows, literals


def store(source: str, text: str, *, rows: list[Any], literals: dict[str, Any]) -> None:
    """One entry per source (the newest text replaces the last), written atomically."""
    import tempfile  # only on a miss: its import (random, shutil) costs a hit ~5 ms

    path = _path(source)
    if path is None:
        return
    try:
        data = marshal.dumps({"key": _key(text), "rows": rows, "literals": literals})
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".rules-", delete=False) as f:
            f.write(data)
        os.replace(f.name, path)
    except (OSError, ValueError):  # ValueError: a row holds what marshal cannot (a date)
        return


def _path(source: str) -> Path | None:
    folder = cache_dir()
    name = hashlib.sha256(source.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return None if folder is None else folder / f"rules-{name}.marshal"


def _key(text: str) -> str:
    digest = hashlib.sha256(_inputs())
    digest.update(text.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


@cache
def _inputs() -> bytes:
    files = resources.files(__package__)
    shaping = b"".join(files.joinpath(name).read_bytes()
                       for name in ("literals.py", "normal-traffic.txt", "regexlint.py"))
    tag = f"{_FORMAT} {__version__} {sys.implementation.cache_tag} {sys.version}".encode()
    return hashlib.sha256(tag + shaping).digest()
