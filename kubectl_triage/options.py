"""Raw kubectl-style flags -> typed options, and the run's environment.

kubectl passes none of its global flags to a plugin and users type them before or after the
subcommand, so `hoist_global_flags` moves them in front before click parses. Imports nothing
heavy: `--help` must stay fast.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, NamedTuple, TextIO

if TYPE_CHECKING:  # both cost import time that --help must not pay
    from pathlib import Path

    from kubectl_triage.kube.config import ConnectOptions

# Global flags that take a value, and those that do not (long and short spellings).
VALUE_FLAGS = {
    "--kubeconfig",
    "--context",
    "--cluster",
    "--user",
    "--namespace",
    "-n",
    "--server",
    "-s",
    "--token",
    "--certificate-authority",
    "--tls-server-name",
    "--as",
    "--as-group",
    "--as-uid",
    "--request-timeout",
    "--output",
    "-o",
    "--bundle",
    "--rules",
    "--max-requests",
    "--fail-on",
}
BOOL_FLAGS = {
    "--all-namespaces",
    "-A",
    "--insecure-skip-tls-verify",
    "--no-color",
    "--demo",
    "--debug",
    "--no-headers",
}
_SHORT_VALUE = {f for f in VALUE_FLAGS if len(f) == 2}
DEFAULT_COLUMNS = 80


# Flags of a subcommand that share a global flag's spelling: after that subcommand's name they
# are its own. `bundle -o DIR` names its output, where everywhere else -o is the format.
_SUBCOMMAND_FLAGS = {"bundle": frozenset({"-o", "--output"})}


def hoist_global_flags(argv: list[str]) -> list[str]:
    """Move global flags (and their values) in front of the subcommand."""
    front: list[str] = []
    rest: list[str] = []
    own: frozenset[str] = frozenset()  # the subcommand's flags that look global
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            rest.extend(argv[i:])
            break
        name = token.split("=", 1)[0]
        short = "" if token.startswith("--") else token[:2]
        if name in own or short in own:
            width = 2 if token in own else 1  # "-o DIR", else "-oDIR" / "--output=DIR"
            rest.extend(argv[i : i + width])
            i += width
            continue
        if name in VALUE_FLAGS and name == token:
            front.extend(argv[i : i + 2])
            i += 2
            continue
        if (name in VALUE_FLAGS and name.startswith("--")) or name in BOOL_FLAGS:
            front.append(token)
        elif short in _SHORT_VALUE and len(token) > 2:
            front.append(token)  # -ntaskflow
        else:
            if not rest:  # the subcommand's name
                own = _SUBCOMMAND_FLAGS.get(token, frozenset())
            rest.append(token)
        i += 1
    return front + rest


class Environment:
    """Streams and settings of one run; tests pass their own. (A plain class: dataclasses
    costs --help ~5 ms of imports.)"""

    def __init__(self, *, stdout: TextIO | None = None, stderr: TextIO | None = None,
                 stdin: TextIO | None = None, env: dict[str, str] | None = None) -> None:
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.stdin = stdin or sys.stdin
        self.env = dict(os.environ) if env is None else env

    def stdout_is_tty(self) -> bool:
        return _isatty(self.stdout)

    def stderr_is_tty(self) -> bool:
        return _isatty(self.stderr)

    def columns(self) -> int:
        """How wide a table line may be: COLUMNS, else the terminal's width, else 80 (a
        pipe or a file, where a reader's screen is unknown)."""
        value = self.env.get("COLUMNS", "").strip()
        if value.isdigit() and int(value) > 0:
            return max(int(value), _NARROWEST)
        if self.stdout_is_tty():
            import shutil

            return max(shutil.get_terminal_size((80, 24)).columns, _NARROWEST)
        return 80

    def unicode_wanted(self, *, no_color: bool) -> bool:
        """Block characters and arrows, unless told plain (--no-color, NO_COLOR, a dumb
        terminal) or stdout cannot encode them."""
        if no_color or "NO_COLOR" in self.env or self.env.get("TERM") == "dumb":
            return False
        encoding = getattr(self.stdout, "encoding", None) or "utf-8"
        return encoding.lower().replace("_", "-") in ("utf-8", "utf8")

    def colour_wanted(self, *, no_color: bool) -> bool:
        # NO_COLOR counts when set at all, even empty (no-color.org).
        if no_color or "NO_COLOR" in self.env or self.env.get("TERM") == "dumb":
            return False
        return self.stdout_is_tty()


# Narrower than this, a table is all ellipses: lines may then run over.
_NARROWEST = 40


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class GlobalOptions(NamedTuple):
    namespace: str | None
    all_namespaces: bool
    output: str
    no_color: bool
    no_headers: bool
    bundle: Path | None
    demo: bool
    debug: bool
    rules: Path | None
    max_requests: int
    fail_on: str | None
    connect: ConnectOptions  # kube/config.py imports the client only when connecting
