"""The whole method: trace, checklist, verify, bundle."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from kubectl_triage.cli import (
    PathArg,
    _emit,
    _env,
    _opts,
    _printable,
    _run,
    cli,
)
from kubectl_triage.cli.evidence import SINCE_HELP, since_window

if TYPE_CHECKING:
    from pathlib import Path


@cli.command(
    epilog="""\b
Examples:
  kubectl triage trace 6f1c2a0e-9b7d-4c1e-8f3a-2d5b7e9c1a04 -n taskflow
  kubectl triage trace --path /workers --since 1h"""
)
@click.argument("trace_id", required=False)
@click.option("--path", "request_path", help="Follow a request path instead of an id.")
@click.option("--since", help="Only lines newer than this: 30s, 5m, 1h.")
@click.option("--tail", type=int, help="Lines per log from the end (default 500; -1: all).")
def trace(
    trace_id: str | None, request_path: str | None, since: str | None, tail: int | None
) -> None:
    """One correlation id (request id, trace id, CloudEvent id) followed across every
    container of the namespace, app and sidecars, as one timeline with the first failing hop
    marked."""
    from kubectl_triage.commands.timefmt import parse_duration
    from kubectl_triage.commands.trace import trace_report
    from kubectl_triage.source import LogWindow

    needle = trace_id or request_path
    if not needle or (trace_id and request_path):
        raise click.UsageError("give an ID to trace, or --path PATH (one of them)")
    try:
        window = LogWindow(tail=tail, since=parse_duration(since) if since else None)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    _emit(
        trace_report(
            _run(),
            needle,
            window=window,
            max_requests=_opts().max_requests,
            by_path=bool(request_path),
        )
    )


@cli.command(
    epilog="""\b
Examples:
  kubectl triage checklist -n taskflow
  kubectl triage checklist --symptom "500 on /workers" -o markdown > incident.md
  kubectl triage checklist -o html > checklist.html  # incidents, timeline, verdicts, cards
  kubectl triage checklist --fail-on error      # exit 3 in CI when a step finds errors"""
)
@click.option("--symptom", default="", help="What users see; findings about it come first.")
@click.option("--since", help=SINCE_HELP)
def checklist(symptom: str, since: str | None) -> None:
    """The debugging checklist, run: pods, app logs, sidecar logs, events, request path,
    error patterns, Dapr wiring, rollout — a verdict per step and what to run next."""
    from kubectl_triage.commands.checklist import checklist_report

    _emit(
        checklist_report(
            _run(), symptom=symptom, max_requests=_opts().max_requests, since=since_window(since)
        )
    )


@cli.command(
    epilog="""\b
Examples:
  kubectl triage verify taskflow-api -n taskflow
  kubectl triage verify taskflow-api --image ghcr.io/acme/taskflow-api:1.8.1 --wait --timeout 5m"""
)
@click.argument("deploy")
@click.option("--image", help="The image (or tag, or digest) that should be running.")
@click.option("--wait", is_flag=True, help="Poll until the rollout is done or --timeout.")
@click.option("--timeout", default="5m", show_default=True, help="How long --wait waits.")
def verify(deploy: str, image: str | None, wait: bool, timeout: str) -> None:
    """Is the new version really running: rollout finished, only the newest ReplicaSet's pods,
    the expected image, no restarts, no new errors since the pods started."""
    from kubectl_triage.commands.timefmt import parse_duration
    from kubectl_triage.commands.verify import verify_report

    try:
        seconds = parse_duration(timeout).total_seconds()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--timeout") from None
    # A deploy gate: any failed check is exit 3, without --fail-on (DESIGN.md).
    _emit(verify_report(_run(), deploy, image=image, wait=wait, timeout=seconds), gate=True)


@cli.command(
    epilog="""\b
Examples:
  kubectl triage bundle -n taskflow -o incident-4711.tar.gz
  kubectl triage bundle -n taskflow ./incident --since 2h
  kubectl triage --bundle ./incident checklist          # the same answers, offline"""
)
@click.argument("out", required=False, type=PathArg())
@click.option(
    "-o",
    "--output",
    "output",
    type=PathArg(),
    help="Directory, or FILE.tar.gz, to write (same as OUT).",
)
@click.option("--since", help="Only log lines newer than this: 30s, 5m, 1h.")
@click.option("--tail", type=int, help="Lines per log from the end (default 500; -1: all).")
def bundle(out: Path | None, output: Path | None, since: str | None, tail: int | None) -> None:
    """Save the evidence of a namespace (resources, current and previous logs, events, probe
    and Dapr metadata answers, what could not be read) for offline analysis or a ticket.
    Secret values are redacted before they are written."""
    from kubectl_triage.collect.snapshot import write_bundle
    from kubectl_triage.commands.timefmt import parse_duration
    from kubectl_triage.source import LogWindow

    target = output or out
    if target is None or (output and out):
        raise click.UsageError("give the bundle's path once: OUT or -o OUT")
    try:
        window = LogWindow(tail=tail, since=parse_duration(since) if since else None)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    run = _run()
    namespace = run.namespace or run.source.default_namespace()
    gaps = write_bundle(
        run.source,
        namespace,
        target,
        window=window,
        max_requests=_opts().max_requests,
        progress=run.progress,
    )
    env = _env()
    env.stdout.write(f"bundle of namespace {namespace} written to {target}\n")
    for gap in gaps:
        where = "/".join(x for x in (gap.pod, gap.container) if x)
        warning = f"warning: not collected: {gap.kind} {where}: {gap.reason}"
        env.stderr.write(_printable(warning) + "\n")
