"""`openapi`: the paths that got a 404 (`wrong-endpoint`) against the OpenAPI paths of the
service they were sent to: the path the callee does serve, or that it does serve this one
(then the method or the app-id is wrong). The matching helpers are pure."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from kubectl_triage.collect.apppod import fetch_openapi, find_app, openapi_operations, target_port
from kubectl_triage.detectors.model import Amendment, Detected, Detector
from kubectl_triage.errors import TriageError
from kubectl_triage.evidence import Gap, Record
from kubectl_triage.rules.engine import fingerprint

if TYPE_CHECKING:
    from kubectl_triage.commands.common import Run

RULE = "wrong-endpoint"
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


def detect(run: Run) -> Detected:
    """Over the 404 records of the logs this run read: one probe per callee."""
    evidence = run.evidence
    namespace = evidence.scope_namespace
    texts = _examples(run, evidence.records())
    details, commands, gaps = [], [], []
    for app, path in sorted(called_paths(texts)):
        try:
            target = find_app(evidence, app)
            port = target_port(evidence, target, port=None)
            result, doc = fetch_openapi(evidence, target, port=port)
        except TriageError as exc:
            gaps.append(
                Gap("probe", type(exc).__name__, f"{app}: {exc.message}", namespace=namespace)
            )
            continue
        if doc is None:
            why = "; ".join(result.attempts) or f"no OpenAPI document (HTTP {result.status})"
            gaps.append(
                Gap("probe", "Unavailable", f"{app}: {why}", namespace=namespace, pod=result.pod)
            )
            continue
        exists, nearest = compare(path, [p for _, p in openapi_operations(doc)])
        if exists:
            details.append(f'{app} does serve "{path}": check the method and the app-id')
        else:
            details.append(f'"{path}" not found on {app}; it serves "{nearest}"')
        commands.append(f"kubectl triage exec-probe openapi {app} -n {namespace}")
    amend = {RULE: Amendment("; ".join(details), tuple(commands))} if details else {}
    return Detected(gaps=tuple(gaps), amend=amend)


def _examples(run: Run, records: list[Record]) -> list[str]:
    """The earliest 404 record of each kind (as a report groups them): /tasks/12 and
    /tasks/13 are one call to one route, probed once."""
    first: dict[str, str] = {}
    for record in records:  # in time order
        match = run.classify(record)
        if match is not None and match.rule.id == RULE:
            first.setdefault(fingerprint(record), record.text)
    return list(first.values())


DETECTOR = Detector(
    "openapi", (RULE,), detect, "404'd paths against the callee's OpenAPI document"
)
