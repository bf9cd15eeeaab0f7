"""`dapr status|logs|components|publish`: an app's Dapr sidecar — injection, metadata,
daprd logs by topic, which sidecar loaded which component, a test publish. A problem found
becomes a finding of a Dapr rule with the measured detail. (`dapr subs`: dapr_subs.py.)"""

from __future__ import annotations

from collections import Counter

from kubectl_triage.collect.dapr import DAPR_HTTP_PORT, SIDECAR, DaprApp, dapr_app, read_metadata
from kubectl_triage.collect.gather import LogOptions, log_refs
from kubectl_triage.collect.run import collect
from kubectl_triage.commands.common import Run
from kubectl_triage.detectors.dapr_wiring import component_loading
from kubectl_triage.errors import TriageError
from kubectl_triage.evidence import Record, Verdict
from kubectl_triage.records import group_lines
from kubectl_triage.report import Check, Report, Table
from kubectl_triage.rules.engine import Tally

CONTROL_PLANE = (
    "dapr-operator",
    "dapr-sentry",
    "dapr-placement",
    "dapr-sidecar-injector",
    "dapr-scheduler",
)


def _ns(run: Run) -> str:
    return run.evidence.scope_namespace


# ---- status ------------------------------------------------------------------------------


def status_report(run: Run, app: str) -> Report:
    namespace = _ns(run)
    found = dapr_app(run.evidence, app)
    read_metadata(run.evidence, found)
    pod = found.target.pod
    sidecar = next((c for c in pod.containers if c.name == SIDECAR), None)
    rows = [(k, v) for k, v in sorted(pod.annotations.items()) if k.startswith("dapr.io/")]
    checks = [_check_injection(pod.annotations, sidecar), _check_app_port(found)]
    if sidecar:
        rows.append(
            (
                "sidecar",
                f"{sidecar.state}{' ready' if sidecar.ready else ''}, "
                f"restarts {sidecar.restarts}, image {sidecar.image}",
            )
        )
    meta = found.metadata
    if meta:
        rows += metadata_rows(meta)
    checks.append(
        Check(
            "sidecar metadata",
            Verdict.PASS if meta else Verdict.SKIP,
            "read /v1.0/metadata" if meta else "could not read /v1.0/metadata (see Not collected)",
        )
    )
    checks.append(_control_plane(run))
    return Report(
        context=run.source.context,
        namespace=namespace,
        command="dapr",
        checks=tuple(checks),
        tables=(Table("dapr", ("field", "value"), tuple(rows)),),
        gaps=tuple(found.gaps),
    )


def metadata_rows(meta: dict) -> list[tuple[str, str]]:
    """The sidecar's /v1.0/metadata as (field, value) rows. daprd 1.14 omits what is unset:
    `actorRuntime.placement` when actors are disabled (no placement address), `subscriptions`
    when there are none, `appConnectionProperties.port` without an app port."""
    rows = [("runtime version", str(meta.get("runtimeVersion", "?")))]
    for c in meta.get("components") or []:
        rows.append(("component", f"{c.get('name')} ({c.get('type')}/{c.get('version')})"))
    conn = meta.get("appConnectionProperties") or {}
    rows.append(
        ("app connection", f"port {conn.get('port', 'none')} {conn.get('protocol', '')}".strip())
    )
    actors = meta.get("actorRuntime") or {}
    if actors:
        placement = actors.get("placement")
        rows.append(
            ("actors", f"{actors.get('runtimeStatus', '?')}"
             + (f", placement {placement}" if placement else ""))
        )
    rows.append(("subscriptions", str(len(meta.get("subscriptions") or []))))
    return rows


def _check_injection(annotations, sidecar) -> Check:
    enabled = annotations.get("dapr.io/enabled") == "true"
    if enabled and sidecar is None:
        return Check(
            "injection",
            Verdict.FAIL,
            "dapr.io/enabled is true but the pod has no "
            "daprd container: is the sidecar injector running?",
            next=("kubectl get pods -n dapr-system",),
        )
    if not enabled:
        return Check("injection", Verdict.SKIP, "dapr.io/enabled is not true for this pod")
    if not sidecar.ready:
        return Check(
            "injection",
            Verdict.FAIL,
            f"daprd is {sidecar.reason or sidecar.state}, restarts {sidecar.restarts}",
        )
    return Check("injection", Verdict.PASS, "daprd injected and ready")


def _check_app_port(found: DaprApp) -> Check:
    annotated = found.target.pod.annotations.get("dapr.io/app-port", "")
    ports = found.target.container.ports
    if not annotated:
        return Check(
            "app-port",
            Verdict.WARN,
            "no dapr.io/app-port: the sidecar will not call "
            "the app (no subscriptions, no invocation)",
        )
    if ports and int(annotated) not in ports:
        return Check(
            "app-port",
            Verdict.FAIL,
            f"dapr.io/app-port {annotated} is not a port of "
            f"container {found.target.container.name} ({', '.join(map(str, ports))})",
        )
    return Check("app-port", Verdict.PASS, f"dapr.io/app-port {annotated}")


def _control_plane(run: Run) -> Check:
    try:  # another namespace: its own evidence, read here only
        pods = collect(run.source, "dapr-system").pods
    except TriageError as exc:
        return Check("control plane", Verdict.SKIP, f"dapr-system not visible: {exc.message}")
    names = [p.name for p in pods]
    missing = [c for c in CONTROL_PLANE if not any(n.startswith(c) for n in names)]
    if not pods:
        return Check("control plane", Verdict.SKIP, "no pods in dapr-system (not visible here)")
    verdict = Verdict.WARN if missing else Verdict.PASS
    return Check(
        "control plane",
        verdict,
        "missing: " + ", ".join(missing)
        if missing
        else "operator, sentry, placement, injector, scheduler present",
    )


# ---- logs --------------------------------------------------------------------------------

# First match wins: "components" before "pubsub", since real daprd names the component in
# its load and init lines ("Component loaded: pubsub (pubsub.redis/v1)", "Failed to init
# component pubsub ...") and those are about loading components, not about messages.
_TOPICS = (
    ("scheduler", ("scheduler",)),
    ("placement", ("placement", "actor")),
    ("components", ("component",)),
    ("pubsub", ("pubsub", "publish", "subscri", "topic")),
    ("api-calls", ("http api called", "grpc api called")),
    (
        "app-channel",
        (
            "app channel",
            "application discovered",
            "waiting for app",
            "app is subscribed",
            "app_channel",
            "appchannel",
        ),
    ),
)


def topic_of(record: Record) -> str:
    scope = record.fields.get("scope", "").lower()
    text = (record.message + " " + scope).lower()
    for topic, words in _TOPICS:
        if any(w in text for w in words):
            return topic
    return "other"


def logs_report(run: Run, app: str) -> Report:
    namespace = _ns(run)
    found = dapr_app(run.evidence, app)
    pods = [
        p for p in found.target.ws.pods if p.annotations.get("dapr.io/app-id") == found.app_id
    ] or [found.target.pod]
    options = LogOptions(containers=(SIDECAR,), all_lines=True)
    result = run.evidence.logs(log_refs(pods, options), options=options)  # all lines
    tally = Tally(run.ruleset, classify=run.classify)
    counts: Counter[str] = Counter()
    loud: Counter[str] = Counter()
    last: dict[str, Record] = {}
    for record in result.records:
        topic = topic_of(record)
        counts[topic] += 1
        loud[topic] += record.level >= 30
        last[topic] = record
        tally.add(record)
    rows = tuple(
        (
            t,
            str(counts[t]),
            str(loud[t]),
            last[t].time.strftime("%H:%M:%S") if last[t].time else "-",
            last[t].message[:120],
        )
        for t in sorted(counts, key=lambda t: -counts[t])
    )
    return Report(
        context=run.source.context,
        namespace=namespace,
        command="dapr",
        findings=tally.findings(context={"namespace": namespace, "workload": found.app_id}),
        groups=tally.groups(),
        tables=(Table("topics", ("topic", "records", "warn+", "last", "last message"), rows,
                         below="last message"),),
        gaps=tuple(result.gaps),
        notes=(
            f"daprd of {len(pods)} pod(s) of app-id {found.app_id}: "
            f"{len(result.records)} record(s).",
        ),
    )


# ---- components --------------------------------------------------------------------------


def components_report(run: Run) -> Report:
    loads, findings, gaps = component_loading(run)
    rows = tuple(
        (
            c.component.name,
            str(c.component.spec.get("type", "")),
            str(c.component.spec.get("version", "")),
            ", ".join(c.component.scopes) or "(all)",
            ", ".join(c.loaded_by) or "-",
        )
        for c in loads
    )
    return Report(
        context=run.source.context,
        namespace=_ns(run),
        command="dapr",
        findings=tuple(findings),
        tables=(Table("components", ("name", "type", "version", "scopes", "loaded by"), rows),),
        gaps=tuple(gaps),
    )


# ---- publish -----------------------------------------------------------------------------


def publish_target(run: Run, app: str) -> DaprApp:
    found = dapr_app(run.evidence, app)
    if not any(c.name == SIDECAR for c in found.target.pod.containers):
        raise TriageError(f"pod {found.target.pod.name} has no daprd sidecar to publish through")
    return found


def publish_report(run: Run, found: DaprApp, *, pubsub: str, topic: str, data: bytes) -> Report:
    """POST /v1.0/publish/PUBSUB/TOPIC through the app's sidecar; the answer goes through the
    rules (a 404 ERR_PUBSUB_NOT_FOUND names dapr-component-missing)."""
    pod = found.target.pod
    result = run.source.http_post(
        pod.namespace,
        pod.name,
        port=DAPR_HTTP_PORT,
        path=f"/v1.0/publish/{pubsub}/{topic}",
        data=data,
        container=SIDECAR,
    )
    body = result.body.decode("utf-8", "replace")
    if result.status is None:
        verdict, detail = Verdict.FAIL, "; ".join(result.attempts) or "no way into the pod"
    else:
        verdict = Verdict.PASS if result.ok else Verdict.FAIL
        detail = f"HTTP {result.status} via {result.via}" + (f": {body[:300]}" if body else "")
    tally = Tally(run.ruleset)
    if body and not result.ok:
        tally.add_all(group_lines(body.splitlines()))
    return Report(
        context=run.source.context,
        namespace=pod.namespace,
        command="dapr",
        findings=tally.findings(context={"namespace": pod.namespace, "workload": found.app_id}),
        checks=(Check(f"publish {pubsub}/{topic} via {found.app_id}", verdict, detail),),
        extra={
            "publish": {
                "pod": pod.name,
                "pubsub": pubsub,
                "topic": topic,
                "status": result.status,
                "via": result.via,
                "body": body,
            }
        },
    )
