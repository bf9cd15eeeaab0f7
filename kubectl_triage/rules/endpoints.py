"""The `wrong-endpoint` cross-check: a path that got a 404, against the paths the callee
serves (its OpenAPI document). Pure: the caller fetches the documents.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_INVOKE = re.compile(r"/v1\.0/invoke/(?P<app>[\w.-]+)/method/(?P<path>[^\s'\"?]+)")
_URL = re.compile(r"https?://(?P<host>[\w.-]+)(?::\d+)?(?P<path>/[^\s'\"?]*)")
_PARAM = re.compile(r"\{[^}]+\}")


def called_paths(texts: Iterable[str]) -> set[tuple[str, str]]:
    """(callee app, path) pairs named in 404 records: Dapr invoke URLs first, else URLs whose
    host is a service name (`http://notification-service:8001/x`, `…svc.cluster.local`)."""
    found = set()
    for text in texts:
        invoke = _INVOKE.search(text)
        if invoke:
            found.add((invoke["app"].split(".")[0], "/" + invoke["path"].lstrip("/")))
            continue
        for m in _URL.finditer(text):
            host = m["host"]
            if host not in ("localhost", "127.0.0.1") and not host[0].isdigit():
                found.add((host.split(".")[0], m["path"]))
    return found


def _matches(template: str, path: str) -> bool:
    """/tasks/{task_id} matches /tasks/12."""
    regex = "[^/]+".join(re.escape(part) for part in _PARAM.split(template))
    return re.fullmatch(regex + "/?", path) is not None


def compare(path: str, served: Iterable[str]) -> tuple[bool, str | None]:
    """Does the callee serve `path` (templates like /tasks/{id} count)? If not, the nearest
    path it does serve."""
    served = sorted(set(served))
    if any(path == s or _matches(s, path) for s in served):
        return True, None
    near = difflib.get_close_matches(path, served, n=1, cutoff=0.0)
    return False, near[0] if near else None
