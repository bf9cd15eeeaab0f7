"""`dapr-wiring`: does each Dapr app's sidecar deliver what the app subscribes to? The
subscriptions three ways (the app's /dapr/subscribe, what its sidecar loaded, the
Subscription resources), each mismatch a finding; topics that some sidecar publishes to
and nobody subscribes to; Components scoped to an app whose sidecar did not load them.
`dapr subs APP` and `dapr components` show the same for one app and for the namespace."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kubectl_triage.collect.apppod import (
    OPENAPI_PATHS,
    app_port,
    fetch_openapi,
    openapi_operations,
)
from kubectl_triage.collect.dapr import (
    CALL_LITERALS,
    DAPR_HTTP_PORT,
    SIDECAR,
    DaprApp,
    dapr_app,
    read_app_subscribe,
    read_metadata,
)
from kubectl_triage.collect.gather import LogOptions, log_refs
from kubectl_triage.collect.run import probe_key
from kubectl_triage.detectors.model import Detected, Detector
from kubectl_triage.detectors.openapi import compare
from kubectl_triage.errors import TriageError, UsageError
from kubectl_triage.evidence import DaprResource, Gap, Record, Verdict
from kubectl_triage.report import Check, Finding, Where
from kubectl_triage.rules.engine import rule_finding
from kubectl_triage.scan import Prefilter

if TYPE_CHECKING:
    from kubectl_triage.commands.common import Run


def dapr_finding(run: Run, rule_id: str, detail: str, found: DaprApp, example: str) -> Finding:
    where = Where("status", found.target.pod.namespace, obj=f"Pod/{found.target.pod.name}")
    context = {"namespace": found.target.pod.namespace, "workload": found.app_id}
    return rule_finding(
        run.ruleset.by_id[rule_id], where=(where,), context=context, example=example, detail=detail
    )


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


def _from_resources(items: list[DaprResource], app_id: str) -> list[_Sub]:
    out = []
    for item in items:
        if not item.scoped_to(app_id):
            continue
        spec: dict = dict(item.spec)
        routes = spec.get("routes") or {}
        paths = tuple(r.get("path", "") for r in routes.get("rules") or [])
        paths += (routes.get("default"),) if routes.get("default") else ()
        paths += (spec["route"],) if spec.get("route") else ()  # v1alpha1
        out.append(
            _Sub(
                f"resource {item.name}",
                spec.get("pubsubname", ""),
                spec.get("topic", ""),
                paths,
                spec.get("deadLetterTopic", ""),
            )
        )
    return out


@dataclass
class AppWiring:
    """One app's subscriptions as its sidecar, the app and the resources see them."""

    found: DaprApp
    subs: list[_Sub]
    findings: list[Finding]
    gaps: list[Gap] = field(default_factory=list)


def app_wiring(run: Run, app: str, *, port: int | None = None) -> AppWiring:
    evidence = run.evidence
    found = dapr_app(evidence, app)
    target = found.target
    port_number = port or app_port(target.pod, target.container, services=evidence.services)
    if not port_number:
        raise UsageError(f"no port known for {found.target.pod.name}: give --port")
    read_metadata(evidence, found)
    read_app_subscribe(evidence, found, port=port_number)
    resources = evidence.dapr("subscriptions")
    subs = (
        _from_app(found.subscribe or [])
        + _from_sidecar(found.metadata or {})
        + _from_resources(resources, found.app_id)
    )
    served = _served_paths(run, found, port_number)
    findings = _sub_findings(run, found, subs, served)
    return AppWiring(found, subs, findings, evidence.gaps_of("subscriptions"))


_PUBLISH = re.compile(r"/v1\.0/publish/(?P<pubsub>[\w.-]+)/(?P<topic>[\w.-]+)")


def published_topics(records: list[Record]) -> dict[tuple[str, str], set[str]]:
    """(pubsub, topic) -> the pods that published to it, from daprd's API log lines. A call
    daprd answered with an error (`code=404` ERR_PUBSUB_NOT_FOUND: no such pubsub) published
    nothing and is not counted; a line without a code is."""
    out: dict[tuple[str, str], set[str]] = {}
    for record in records:
        if not record.fields.get("code", "2").startswith("2"):
            continue
        for m in _PUBLISH.finditer(record.text):
            out.setdefault((m["pubsub"], m["topic"]), set()).add(
                record.ref.pod if record.ref else "?"
            )
    return out


def published_without_subscriber(run: Run, found: DaprApp) -> tuple[list[Finding], list[Gap]]:
    """Topics some sidecar of the namespace published to (daprd API logs) that no app
    subscribes to: neither a sidecar's loaded subscriptions nor a Subscription resource."""
    evidence = run.evidence
    dapr_pods = [p for p in evidence.pods if any(c.name == SIDECAR for c in p.containers)]
    options = LogOptions(containers=(SIDECAR,))
    # read with the run's prefilter when it can still take the publish paths; if some view
    # read logs before, with a prefilter of its own
    own = None if evidence.look_for(CALL_LITERALS) else Prefilter(list(CALL_LITERALS))
    logs = evidence.logs(log_refs(dapr_pods, options), options=options, prefilter=own)
    published = published_topics([r for r in logs.records if _PUBLISH.search(r.text)])
    if not published:
        return [], logs.gaps
    subscribed = {
        (r.spec.get("pubsubname"), r.spec.get("topic")) for r in evidence.dapr("subscriptions")
    }
    gaps = list(logs.gaps)
    for app_id in sorted({p.annotations.get("dapr.io/app-id", "") for p in dapr_pods} - {""}):
        other = found if app_id == found.app_id else dapr_app(evidence, app_id)
        if other is not found:
            read_metadata(evidence, other)
            gaps += other.gaps
        if other.metadata is None:
            return [], gaps  # one sidecar unread: cannot say nobody subscribes
        subscribed |= {(s.pubsub, s.topic) for s in _from_sidecar(other.metadata)}
    findings = [
        dapr_finding(
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


def _served_paths(run: Run, found: DaprApp, port: int) -> list[str] | None:
    try:
        _, doc = fetch_openapi(run.evidence, found.target, port=port)
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
                dapr_finding(
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
                dapr_finding(
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
                    dapr_finding(
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


@dataclass(frozen=True)
class ComponentLoad:
    component: DaprResource
    loaded_by: tuple[str, ...]  # the app-ids in its scope whose sidecar loaded it


def component_loading(run: Run) -> tuple[list[ComponentLoad], list[Finding], list[Gap]]:
    """Which sidecar loaded which Component; one scoped to an app whose sidecar did not
    load it is a `dapr-component-init` finding (its init failed, or it came later)."""
    evidence = run.evidence
    components = evidence.dapr("components")
    gaps = evidence.gaps_of("components")
    apps = {a: dapr_app(evidence, a) for a in _app_ids(run)}
    loaded: dict[str, set[str]] = {}
    for app_id, found in apps.items():
        read_metadata(evidence, found)
        gaps += found.gaps
        if found.metadata is not None:
            loaded[app_id] = {c.get("name") for c in found.metadata.get("components") or []}
    loads, findings = [], []
    for item in components:
        scoped = [a for a in apps if item.scoped_to(a)]
        by = tuple(a for a in scoped if item.name in loaded.get(a, ()))
        loads.append(ComponentLoad(item, by))
        for a in scoped:
            if a in loaded and item.name not in loaded[a]:
                detail = (
                    f"component {item.name} is scoped to {a}, but {a}'s sidecar "
                    "did not load it: its init failed or it came later"
                )
                example = f"component {item.name} ({item.spec.get('type')})"
                findings.append(dapr_finding(run, "dapr-component-init", detail, apps[a], example))
    return loads, findings, gaps


def _app_ids(run: Run) -> list[str]:
    return sorted({a for p in run.evidence.pods if (a := p.annotations.get("dapr.io/app-id", ""))})


def detect(run: Run) -> Detected:
    """Every Dapr app's subscriptions; the namespace-wide published-topics check once."""
    app_ids = _app_ids(run)
    if not app_ids:
        return Detected(checks=(Check("dapr wiring", Verdict.SKIP, "no Dapr-enabled pods"),))
    _prefetch(run, app_ids)
    findings: list[Finding] = []
    gaps: list[Gap] = []
    problems = []
    for app_id in app_ids:
        try:
            wiring = app_wiring(run, app_id)
            if app_id == app_ids[0]:
                unheard, more = published_without_subscriber(run, wiring.found)
                wiring.findings += unheard
                wiring.gaps += more
        except TriageError as exc:
            problems.append(f"{app_id}: {exc.message}")
            continue
        findings += wiring.findings
        gaps += wiring.found.gaps + wiring.gaps
    _, unloaded, _ = component_loading(run)  # its gaps are the apps' already counted
    findings += unloaded
    return Detected(
        findings=tuple(findings),
        checks=(_check(app_ids, findings, problems, run.evidence.scope_namespace),),
        gaps=tuple(gaps),
    )


def _prefetch(run: Run, app_ids: list[str]) -> None:
    """Every app's probes asked together: what app_wiring asks of each app one by one."""
    evidence, keys = run.evidence, []
    for app_id in app_ids:
        try:
            target = dapr_app(evidence, app_id).target
        except TriageError:
            continue  # app_wiring says why, in its turn
        pod, app = target.pod, target.container.name
        port = app_port(pod, target.container, services=evidence.services)
        if any(c.name == SIDECAR for c in pod.containers):
            keys.append(probe_key(pod.namespace, pod.name, port=DAPR_HTTP_PORT,
                                  path="/v1.0/metadata", container=SIDECAR))
        if port:
            keys += [probe_key(pod.namespace, pod.name, port=port, path=path, container=app)
                     for path in ("/dapr/subscribe", OPENAPI_PATHS[0])]
    evidence.prefetch(keys)


def _check(app_ids: list[str], findings: list[Finding], problems: list[str], ns: str) -> Check:
    if findings or problems:
        detail = "; ".join([f"{f.rule}: {f.detail}" for f in findings] + problems)
        return Check(
            "dapr wiring",
            Verdict.FAIL,
            detail,
            next=tuple(f"kubectl triage dapr subs {a} -n {ns}" for a in app_ids[:3]),
        )
    return Check("dapr wiring", Verdict.PASS, f"subscriptions consistent for {', '.join(app_ids)}")


DETECTOR = Detector(
    "dapr-wiring",
    ("dapr-subscription", "dapr-component-missing", "dapr-component-init"),
    detect,
    "subscriptions the sidecar does not deliver; topics published with no subscriber",
)
