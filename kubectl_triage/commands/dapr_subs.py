"""`dapr subs APP`: an app's subscriptions three ways — what the app declares
(/dapr/subscribe), what its sidecar loaded, the Subscription resources — and each mismatch
as a finding; plus topics that sidecars publish to and nobody subscribes to. A view: the
judging is the `dapr-wiring` detector's."""

from __future__ import annotations

from kubectl_triage.commands.common import Run
from kubectl_triage.detectors.dapr_wiring import app_wiring, published_without_subscriber
from kubectl_triage.report import Report, Table


def subs_report(run: Run, app: str, *, port: int | None = None, publishers: bool = True) -> Report:
    """`publishers`: also the namespace-wide check of published topics nobody subscribes to."""
    wiring = app_wiring(run, app, port=port)
    found, findings, gaps = wiring.found, list(wiring.findings), list(wiring.gaps)
    if publishers:
        unheard, publish_gaps = published_without_subscriber(run, found)
        findings += unheard
        gaps += publish_gaps
    rows = tuple(
        (s.source, s.pubsub, s.topic, ", ".join(s.routes) or "-", s.dead_letter or "-")
        for s in wiring.subs
    )
    return Report(
        context=run.source.context,
        namespace=run.evidence.scope_namespace,
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


def _said(value: object) -> str:
    return "not read (see below)" if value is None else "read"
