"""Kubernetes object names, checked before they become a path on disk or in a URL.

A name from the command line (`-n`, a target) or from a bundle (a pod named `../../x` in a
crafted pods.json) is untrusted: only what Kubernetes itself accepts may name a folder,
a file or an API path; labels and annotations read from one are a map of strings
(`string_map`). Imports only the standard library and `errors`.
"""

from __future__ import annotations

import re
from typing import Any

from kubectl_triage.errors import BadRequest

_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")
_SUBDOMAIN = re.compile(r"[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?")

_RULES = {
    # what: (pattern, kubectl's wording of the rule)
    "namespace": (_LABEL, "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                  "characters or '-', and must start and end with an alphanumeric character"),
    "container": (_LABEL, "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                  "characters or '-', and must start and end with an alphanumeric character"),
    "name": (_SUBDOMAIN, "a lowercase RFC 1123 subdomain must consist of lower case "
             "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
             "character"),
}


def is_valid(what: str, value: str) -> bool:
    pattern, _ = _RULES[what]
    return bool(pattern.fullmatch(value)) and ".." not in value


def check(what: str, value: str) -> str:
    """`value` when it is a valid Kubernetes name of that sort, else BadRequest (exit 1)."""
    if not is_valid(what, value):
        _, rule = _RULES[what]
        raise BadRequest(f"invalid {what} {value!r}: {rule}")
    return value


def string_map(value: Any) -> dict[str, str]:
    """Labels, annotations, a selector: a map of strings, whatever a bundle or dump holds
    (a list, null values), so that nothing downstream meets a shape the API never sends."""
    if not isinstance(value, dict):
        return {}
    return {str(k): v if isinstance(v, str) else "" if v is None else str(v)
            for k, v in value.items()}
