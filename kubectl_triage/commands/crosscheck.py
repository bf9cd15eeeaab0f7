"""Checks across evidence kinds that a command runs after the rules: for now, the paths that
got a 404 (`wrong-endpoint`) against the OpenAPI paths of the service they were sent to."""

from __future__ import annotations

from dataclasses import replace

from kubectl_triage.collect.gather import load_workloads
from kubectl_triage.collect.probe import (
    APP_KINDS,
    app_port,
    fetch_openapi,
    find_app,
    openapi_operations,
)
from kubectl_triage.commands.common import Run
from kubectl_triage.errors import TriageError
from kubectl_triage.evidence import Gap
from kubectl_triage.report import Finding, Group
from kubectl_triage.rules.endpoints import called_paths, compare


def check_endpoints(
    run: Run, findings: tuple[Finding, ...], groups: tuple[Group, ...]
) -> tuple[tuple[Finding, ...], list[Gap]]:
    wrong = next((f for f in findings if f.rule == "wrong-endpoint"), None)
    namespace = run.namespace or run.source.default_namespace()
    if wrong is None:
        return findings, []
    texts = [g.example for g in groups if g.rule == "wrong-endpoint"] + [wrong.example]
    details, commands, gaps = [], [], []
    ws = None  # the namespace's workloads, listed once for all callees
    for app, path in sorted(called_paths(texts)):
        try:
            ws = ws or load_workloads(run.source, namespace, kinds=APP_KINDS)
            target = find_app(run.source, namespace, app, ws=ws)
            result, doc = fetch_openapi(run.source, target, port=app_port(target, port=None))
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
    if not details:
        return findings, gaps
    kept = [c for c in wrong.next if "<callee>" not in c]
    checked = replace(
        wrong, detail="; ".join(details), next=tuple(dict.fromkeys([*commands, *kept]))
    )
    return tuple(checked if f is wrong else f for f in findings), gaps
