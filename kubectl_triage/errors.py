"""The few error types of the product and the exit-code enum.

Everything above `kube/` catches these, never a client exception. Imports nothing of ours.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1  # could not run: unreachable, not found, forbidden, bad config
    USAGE = 2
    FINDINGS = 3  # --fail-on threshold reached


class TriageError(Exception):
    """An error with a one-line message for the user and an exit code."""

    exit_code = ExitCode.FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(TriageError):
    exit_code = ExitCode.USAGE


class ConfigError(TriageError):
    """Kubeconfig missing, unreadable, or naming an unknown context."""


class ClusterUnreachable(TriageError):
    pass


class Unauthorized(TriageError):
    pass


class Forbidden(TriageError):
    pass


class NotFound(TriageError):
    def __init__(self, message: str, *, suggestions: Sequence[str] = ()) -> None:
        if suggestions:
            message += " (did you mean: " + ", ".join(suggestions) + "?)"
        super().__init__(message)
        self.suggestions = tuple(suggestions)


class BadRequest(TriageError):
    """The server refused the request as malformed (for example: no previous container)."""


class Timeout(TriageError):
    pass


class BundleError(TriageError):
    """A bundle directory that cannot be read."""


class RulesFileError(TriageError):
    """A user rules file that cannot be used; names the file, the rule and the problem."""

    exit_code = ExitCode.USAGE
