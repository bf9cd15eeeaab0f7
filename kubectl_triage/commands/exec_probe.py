"""`exec-probe openapi|env|http APP`: what the service looks like from inside its pod."""

from __future__ import annotations

import re

from kubectl_triage.collect.apppod import (
    OPENAPI_PATHS,
    fetch_openapi,
    find_app,
    openapi_operations,
    target_port,
)
from kubectl_triage.commands.common import Run
from kubectl_triage.evidence import Gap, ProbeResult, Verdict
from kubectl_triage.redact import redact_text, redact_value
from kubectl_triage.report import Check, Report, Table

_BODY_SHOWN = 4000  # characters of a response body printed by `exec-probe http`


def _namespace(run: Run) -> str:
    return run.evidence.scope_namespace


def _unreachable(run: Run, command: str, result: ProbeResult, *, step: str, app: str) -> Report:
    detail = "; ".join(result.attempts) or "no way into the pod worked"
    return Report(
        context=run.source.context,
        namespace=_namespace(run),
        command=command,
        checks=(
            Check(
                step,
                Verdict.FAIL,
                f"could not reach {result.pod}:{result.port}: {detail}",
                next=(f"kubectl triage status {app}", f"kubectl describe pod {result.pod}"),
            ),
        ),
        gaps=(
            Gap(
                "probe",
                "Unreachable",
                detail,
                namespace=result.namespace,
                pod=result.pod,
                container=result.container,
            ),
        ),
        extra={"probe": _probe_dict(result)},
    )


def _probe_dict(result: ProbeResult) -> dict:
    return {
        "pod": result.pod,
        "container": result.container,
        "port": result.port,
        "path": result.path,
        "status": result.status,
        "via": result.via,
        "attempts": list(result.attempts),
    }


def openapi_report(
    run: Run, app: str, *, port: int | None, path: str | None, grep: str | None, container: str = ""
) -> Report:
    target = find_app(run.evidence, app, container=container)
    port = target_port(run.evidence, target, port=port)
    result, doc = fetch_openapi(
        run.evidence, target, port=port, paths=(path,) if path else OPENAPI_PATHS
    )
    if result.status is None:
        return _unreachable(run, "exec-probe", result, step="openapi", app=app)
    if doc is None:
        step = Check(
            "openapi",
            Verdict.FAIL,
            f"no OpenAPI document at {', '.join((path,) if path else OPENAPI_PATHS)} "
            f"on {target.pod.name}:{port} (last answer: HTTP {result.status})",
        )
        return Report(
            context=run.source.context,
            namespace=_namespace(run),
            command="exec-probe",
            checks=(step,),
            extra={"probe": _probe_dict(result)},
        )
    operations = openapi_operations(doc)
    if grep:
        pattern = re.compile(grep, re.IGNORECASE)
        operations = [op for op in operations if pattern.search(op[1])]
    info = doc.get("info") or {}
    return Report(
        context=run.source.context,
        namespace=_namespace(run),
        command="exec-probe",
        tables=(Table("paths", ("method", "path"), tuple(operations)),),
        notes=(
            f"{info.get('title', app)} {info.get('version', '')}: {len(operations)} "
            f"operation(s) from {target.pod.name}:{port}{result.path} via {result.via}.",
        ),
        extra={"probe": _probe_dict(result)},
    )


def env_report(
    run: Run, app: str, *, show_secrets: bool, container: str = "", live: bool = False
) -> Report:
    """The container's environment from the pod spec; valueFrom shown as a reference. With
    `live`, the running process's environment beside it."""
    target = find_app(run.evidence, app, container=container)
    rows = []
    for var in target.container.env:
        if var.value is None:
            rows.append((var.name, var.reference, "reference"))
        else:
            shown = var.value if show_secrets else redact_value(var.name, var.value)
            rows.append((var.name, shown, "spec"))
    notes = [
        f"Environment of {target.pod.name}/{target.container.name} from its pod spec"
        + ("" if show_secrets else "; secret values redacted (--show-secrets).")
    ]
    if live:
        rows, note = _with_process_env(run, target, rows, show_secrets=show_secrets)
        notes.append(note)
    return Report(
        context=run.source.context,
        namespace=_namespace(run),
        command="exec-probe",
        tables=(Table("env", ("name", "value", "from"), tuple(rows)),),
        notes=tuple(notes),
    )


def _with_process_env(run: Run, target, rows: list, *, show_secrets: bool) -> tuple[list, str]:
    """Spec rows, then what the running process has that the spec does not say: a value
    from a reference, envFrom, the image, or a spec changed since the process started."""
    pod = target.pod
    env = run.source.process_env(pod.namespace, pod.name, container=target.container.name)
    spec = {name: value for name, value, origin in rows if origin == "spec"}
    out = list(rows)
    differs = []
    for name, value in sorted(env.items()):
        shown = value if show_secrets else redact_value(name, value)
        if name not in spec:
            out.append((name, shown, "process"))
        elif spec[name] != shown:
            out.append((name, shown, "process (differs from spec)"))
            differs.append(name)
    note = f"{len(env)} variable(s) in the running process"
    if differs:
        note += f"; {', '.join(differs)} differ from the spec: restarted since the change?"
    return out, note + "."


def http_report(run: Run, app: str, path: str, *, port: int | None, container: str = "") -> Report:
    target = find_app(run.evidence, app, container=container)
    port = target_port(run.evidence, target, port=port)
    result = run.evidence.http_get(
        target.pod.namespace, target.pod.name, port=port, path=path, container=target.container.name
    )
    if result.status is None:
        return _unreachable(run, "exec-probe", result, step="http", app=app)
    body = redact_text(result.body.decode("utf-8", "replace"))
    shown = body if len(body) <= _BODY_SHOWN else body[:_BODY_SHOWN] + f"\n... ({len(body)} chars)"
    return Report(
        context=run.source.context,
        namespace=_namespace(run),
        command="exec-probe",
        notes=(
            f"GET http://localhost:{port}{result.path} in {target.pod.name} -> HTTP "
            f"{result.status} (via {result.via})",
            shown,
        ),
        extra={"probe": {**_probe_dict(result), "body": body}},
    )
