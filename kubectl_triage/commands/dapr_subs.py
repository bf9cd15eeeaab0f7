"""`dapr subs APP`: an app's subscriptions three ways — what the app declares
(/dapr/subscribe), what its sidecar loaded, the Subscription resources — and each mismatch
as a finding; plus topics that sidecars publish to and nobody subscribes to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubectl_triage.collect.dapr import (
    SIDECAR,
    DaprApp,
    dapr_app,
    dapr_resources,
    read_app_subscribe,
    read_metadata,
    scoped_to,
)
from kubectl_triage.collect.gather import LogOptions, collect_logs, log_refs
from kubectl_triage.collect.probe import app_port, fetch_openapi, openapi_operations
from kubectl_triage.commands.common import Run
from kubectl_triage.commands.dapr import _finding, _ns
from kubectl_triage.errors import TriageError
from kubectl_triage.evidence import Gap, Record
from kubectl_triage.report import Finding, Report, Table
from kubectl_triage.rules.endpoints import compare


@dataclass(frozen=True)
class _Sub:
    source: str  # app | sidecar | resource NAME
    pubsub: str
    topic: str
    routes: tuple[str, ...]
    dead_letter: str = ""


def _from_app(entries: list) -> list[_Sub]:
    out = []
    for e in entries:
        routes = e.get("route") or ""
        rules = (
            ((e.get("routes") or {}).get("rules") or [])
            if isinstance(e.get("routes"), dict)
            else []
        )
        paths = tuple(r.get("path", "") for r in rules) + ((routes,) if routes else ())
        default = (
            (e.get("routes") or {}).get("default") if isinstance(e.get("routes"), dict) else None
        )
        out.append(
            _Sub(
                "app",
                e.get("pubsubname", ""),
                e.get("topic", ""),
                paths + ((default,) if default else ()),
                e.get("deadLetterTopic", ""),
            )
        )
    return out


def _from_sidecar(metadata: dict) -> list[_Sub]:
    out = []
    for e in metadata.get("subscriptions") or []:
        rules = e.get("rules") or []
        if isinstance(rules, dict):
            rules = rules.get("rules") or []
        out.append(
            _Sub(
                f"sidecar ({(e.get('type') or 'loaded').lower()})",
                e.get("pubsubname", ""),
                e.get("topic", ""),
                tuple(r.get("path", "") for r in rules),
                e.get("deadLetterTopic", ""),
            )
        )
    return out


def _from_resources(items: list, app_id: str) -> list[_Sub]:
    out = []
    for item in items:
        if not scoped_to(item, app_id):
            continue
        spec = item.get("spec") or {}
        routes = spec.get("routes") or {}
        paths = tuple(r.get("path", "") for r in routes.get("rules") or [])
        paths += (routes.get("default"),) if routes.get("default") else ()
        paths += (spec["route"],) if spec.get("route") else ()  # v1alpha1
        out.append(
            _Sub(
                f"resource {item['metadata']['name']}",
                spec.get("pubsubname", ""),
                spec.get("topic", ""),
                paths,
                spec.get("deadLetterTopic", ""),
            )
        )
    return out


def subs_report(run: Run, app: str, *, port: int | None = None, publishers: bool = True) -> Report:
    """`publishers`: also the namespace-wide check of published topics nobody subscribes to
    (it reads every daprd's logs and metadata: a caller checking many apps asks once)."""
    namespace = _ns(run)
    found = dapr_app(run.source, namespace, app)
    app_port_number = _app_port(found, port)
    read_metadata(run.source, found)
    read_app_subscribe(run.source, found, port=app_port_number)
    resources, gaps = dapr_resources(run.source, namespace, "subscriptions")
    subs = (
        _from_app(found.subscribe or [])
        + _from_sidecar(found.metadata or {})
        + _from_resources(resources, found.app_id)
    )
    served = _served_paths(run, found, app_port_number)
    findings = _sub_findings(run, found, subs, served)
    if publishers:
        unheard, publish_gaps = _published_without_subscriber(run, found, resources)
        findings += unheard
        gaps += publish_gaps
    rows = tuple(
        (s.source, s.pubsub, s.topic, ", ".join(s.routes) or "-", s.dead_letter or "-")
        for s in subs
    )
    return Report(
        context=run.source.context,
        namespace=namespace,
        command="dapr",
        findings=tuple(findings),
        tables=(
            Table("subscriptions", ("source", "pubsub", "topic", "routes", "dead letter"), rows),
        ),
        gaps=tuple(found.gaps + gaps),
        notes=(
            f"app-id {found.app_id}, pod {found.target.pod.name}; app /dapr/subscribe: "
            f"{_said(found.subscribe)}; sidecar metadata: {_said(found.metadata)}.",
        ),
    )


_PUBLISH = re.compile(r"/v1\.0/publish/(?P<pubsub>[\w.-]+)/(?P<topic>[\w.-]+)")


def published_topics(records: list[Record]) -> dict[tuple[str, str], set[str]]:
    """(pubsub, topic) -> the pods that published to it, from daprd's API log lines."""
    out: dict[tuple[str, str], set[str]] = {}
    for record in records:
        for m in _PUBLISH.finditer(record.text):
            out.setdefault((m["pubsub"], m["topic"]), set()).add(
                record.ref.pod if record.ref else "?"
            )
    return out


def _published_without_subscriber(
    run: Run, found: DaprApp, resources: list
) -> tuple[list[Finding], list[Gap]]:
    """Topics some sidecar of the namespace published to (daprd API logs) that no app
    subscribes to: neither a sidecar's loaded subscriptions nor a Subscription resource."""
    ws = found.target.ws
    dapr_pods = [p for p in ws.pods if any(c.name == SIDECAR for c in p.containers)]
    options = LogOptions(containers=(SIDECAR,), grep=_PUBLISH)
    logs = collect_logs(run.source, log_refs(dapr_pods, options), options=options, prefilter=None)
    published = published_topics(logs.records)
    if not published:
        return [], logs.gaps
    subscribed = {
        (r.get("spec", {}).get("pubsubname"), r.get("spec", {}).get("topic")) for r in resources
    }
    gaps = list(logs.gaps)
    for app_id in sorted({p.annotations.get("dapr.io/app-id", "") for p in dapr_pods} - {""}):
        other = (
            found
            if app_id == found.app_id
            else dapr_app(run.source, found.target.pod.namespace, app_id, ws=ws)
        )
        if other is not found:
            read_metadata(run.source, other)
            gaps += other.gaps
        if other.metadata is None:
            return [], gaps  # one sidecar unread: cannot say nobody subscribes
        subscribed |= {(s.pubsub, s.topic) for s in _from_sidecar(other.metadata)}
    findings = [
        _finding(
            run,
            "dapr-subscription",
            f"topic {topic} on {pubsub} is published by {', '.join(sorted(pods))} but no "
            "app subscribes to it: its messages are dropped",
            found,
            f"POST /v1.0/publish/{pubsub}/{topic}",
        )
        for (pubsub, topic), pods in sorted(published.items())
        if (pubsub, topic) not in subscribed
    ]
    return findings, gaps


def _said(value: object) -> str:
    return "not read (see below)" if value is None else "read"


def _app_port(found: DaprApp, port: int | None) -> int:
    annotated = found.target.pod.annotations.get("dapr.io/app-port", "")
    return port or (int(annotated) if annotated.isdigit() else app_port(found.target, port=None))


def _served_paths(run: Run, found: DaprApp, port: int) -> list[str] | None:
    try:
        _, doc = fetch_openapi(run.source, found.target, port=port)
    except TriageError as exc:
        found.gaps.append(
            Gap(
                "probe",
                type(exc).__name__,
                f"openapi: {exc.message}",
                namespace=found.target.pod.namespace,
                pod=found.target.pod.name,
            )
        )
        return None
    return [p for _, p in openapi_operations(doc)] if doc else None


def _sub_findings(
    run: Run, found: DaprApp, subs: list[_Sub], served: list[str] | None
) -> list[Finding]:
    out = []
    loaded = {(s.pubsub, s.topic) for s in subs if s.source.startswith("sidecar")}
    pubsubs = {
        c.get("name")
        for c in (found.metadata or {}).get("components") or []
        if str(c.get("type", "")).startswith("pubsub.")
    }
    for s in subs:
        example = f"{s.source}: pubsub={s.pubsub} topic={s.topic} routes={','.join(s.routes)}"
        if found.metadata is not None and s.pubsub not in pubsubs:
            out.append(
                _finding(
                    run,
                    "dapr-component-missing",
                    f'{s.source} subscribes {s.topic} on pubsub "{s.pubsub}", which '
                    f"the sidecar did not load (loaded: {', '.join(sorted(pubsubs)) or 'none'})",
                    found,
                    example,
                )
            )
        if (
            found.metadata is not None
            and not s.source.startswith("sidecar")
            and (s.pubsub, s.topic) not in loaded
        ):
            why = (
                "created after the sidecar started? restart the pod"
                if s.source.startswith("resource")
                else "the sidecar did not read the app's /dapr/subscribe"
            )
            out.append(
                _finding(
                    run,
                    "dapr-subscription",
                    f"{s.source}: topic {s.topic} is not loaded by the sidecar ({why})",
                    found,
                    example,
                )
            )
        for route in s.routes if served is not None else ():
            exists, nearest = compare(route, served)
            if not exists:
                out.append(
                    _finding(
                        run,
                        "dapr-subscription",
                        f'{s.source}: route "{route}" of topic {s.topic} is not served '
                        f'by {found.app_id} (nearest: "{nearest}")',
                        found,
                        example,
                    )
                )
    return _dedupe(out)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        if (f.rule, f.detail) not in seen:
            seen.add((f.rule, f.detail))
            out.append(f)
    return out
