"""Commands that collect and judge evidence: logs, events, status, analyze, rules, summary,
demo. Each is flags -> options -> one call into the core -> render."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import click

from kubectl_triage.cli import (
    PathArg,
    _emit,
    _env,
    _example,
    _opts,
    _printable,
    _regex,
    _ruleset,
    _run,
    cli,
)
from kubectl_triage.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from pathlib import Path

SINCE_HELP = (
    "What counts as current: 30m, 2h (default: the last hour of the evidence, which for a "
    "bundle ends when it was captured). Older events and restarts are shown as history."
)


def since_window(since: str | None) -> timedelta | None:
    from kubectl_triage.commands.timefmt import parse_duration

    if not since:
        return None
    try:
        return parse_duration(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None


# ---- commands ---------------------------------------------------------------------------


@cli.command(
    epilog="""\b
Examples:
  kubectl triage logs taskflow-api -n taskflow     # deployment: pods of its current ReplicaSet
  kubectl triage logs pod/web-1 -c app --previous  # the crashed instance of one container
  kubectl triage logs -l app=web --since 15m
  kubectl triage logs sts/db --grep 'deadlock|timeout'
  kubectl triage logs taskflow-api -f --tail 0     # follow: failing records as they come
  kubectl triage logs taskflow-api --all-lines --timestamps --since-time 2026-11-27T22:15:00Z
  kubectl triage --demo logs taskflow-api"""
)
@click.argument("target", required=False)
@click.option("-l", "--selector", default="", help="Label selector instead of a TARGET.")
@click.option("-c", "--container", multiple=True, help="Only this container (repeatable).")
@click.option("--tail", type=int, help="Lines per log from the end (default 500; -1: all).")
@click.option("--since", help="Only lines newer than this: 30s, 5m, 1h.")
@click.option(
    "--since-time",
    metavar="RFC3339",
    help="Only lines at or after this time: 2026-11-27T22:15:00Z.",
)
@click.option(
    "--timestamps",
    is_flag=True,
    help="Each listed record with its RFC 3339 time (--all-lines, --grep, -f).",
)
@click.option(
    "--all-containers",
    is_flag=True,
    help="Every container, init containers first (the default; not with -c).",
)
@click.option("--previous", is_flag=True, help="Only the previous (crashed) instances.")
@click.option("--all-lines", is_flag=True, help="Every record, not only the failing ones.")
@click.option("--grep", help="Only records matching this regex (case-insensitive).")
@click.option("-f", "--follow", is_flag=True, help="Follow: print records as they arrive.")
def logs(
    target: str | None,
    selector: str,
    container: tuple[str, ...],
    tail: int | None,
    since: str | None,
    since_time: str | None,
    timestamps: bool,
    all_containers: bool,
    previous: bool,
    all_lines: bool,
    grep: str | None,
    follow: bool,
) -> None:
    """Error and warning records of every pod and sidecar of a workload, grouped and counted.

    TARGET is a deployment name, deploy/NAME, sts/NAME, ds/NAME or pod/NAME."""
    from kubectl_triage.collect.gather import LogOptions
    from kubectl_triage.commands.logs import logs_report
    from kubectl_triage.commands.timefmt import parse_duration
    from kubectl_triage.source import LogWindow

    if not target and not selector:
        raise click.UsageError("give a TARGET (deployment, pod/NAME, sts/NAME) or -l SELECTOR")
    if all_containers and container:
        # kubectl's words for the same mistake
        raise click.UsageError(
            f"--all-containers=true should not be specified with container name {container[0]}"
        )
    if since and since_time:
        raise click.UsageError("at most one of --since or --since-time may be specified")
    try:
        window = LogWindow(
            tail=tail,
            since=parse_duration(since) if since else None,
            since_time=_rfc3339(since_time) if since_time else None,
            follow=follow,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    if follow and previous:
        raise click.UsageError("--follow and --previous do not go together")
    options = LogOptions(
        window=window,
        containers=container,
        previous=previous,
        all_lines=all_lines,
        grep=_regex(grep, "--grep"),
        max_requests=_opts().max_requests,
        timestamps=timestamps,
    )
    if follow:
        _follow(target=target, selector=selector, options=options)
        return
    _emit(logs_report(_run(), target=target, selector=selector, options=options))


def _rfc3339(text: str):
    """--since-time as kubectl takes it: RFC 3339 (a zone is required)."""
    import re

    from kubectl_triage.records import parse_time

    form = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)"
    value = parse_time(text) if re.fullmatch(form, text.strip()) else None
    if value is None:
        raise click.BadParameter(
            f'"{text}" is not an RFC 3339 time (2026-11-27T22:15:00Z)', param_hint="--since-time"
        )
    return value


def _follow(*, target: str | None, selector: str, options) -> None:
    from kubectl_triage.commands.follow import follow_logs

    env = _env()

    def write(line: str) -> None:
        # Followed records skip the report renderers: the same sanitiser, line by line.
        env.stdout.write(_printable(line))
        env.stdout.flush()

    follow_logs(
        _run(),
        target=target,
        selector=selector,
        options=options,
        write=write,
        warn=lambda line: env.stderr.write(_printable(line) + "\n"),
        as_json=_opts().output in ("json", "yaml"),
    )


@cli.command(
    epilog="""\b
Examples:
  kubectl triage events -n taskflow              # warnings first, oldest to newest
  kubectl triage events taskflow-api             # events of a deployment, its ReplicaSets and pods
  kubectl triage events -A -o json
  kubectl triage events --types Warning          # as kubectl events --types
  kubectl triage events --for pod/web-1          # that object's own events only"""
)
@click.argument("target", required=False)
@click.option("--since", help=SINCE_HELP)
@click.option("--types", help="Only events of these types: Normal, Warning (comma-separated).")
@click.option("--for", "for_object", metavar="KIND/NAME", help="Only events about this object.")
def events(
    target: str | None, since: str | None, types: str | None, for_object: str | None
) -> None:
    """Events in the order they happened, warnings first, grouped by object and reason and
    rolled up to their workload; each warning named by the rules."""
    from kubectl_triage.commands.events import EventFilter, events_report, parse_for, parse_types

    if target and for_object:
        raise click.UsageError("give a TARGET or --for KIND/NAME, not both")
    only = EventFilter(
        types=parse_types(types) if types is not None else (),
        obj=parse_for(for_object) if for_object else None,
    )
    _emit(events_report(_run(), target=target, since=since_window(since), only=only))


@cli.command(
    epilog="""\b
Examples:
  kubectl triage status -n taskflow
  kubectl triage status taskflow-api -o wide"""
)
@click.argument("target", required=False)
@click.option("-l", "--selector", default="", help="Label selector.")
def status(target: str | None, selector: str) -> None:
    """Pod and sidecar health per workload: ready, restarts, last termination, age, image."""
    from kubectl_triage.commands.status import status_report

    _emit(status_report(_run(), target=target, selector=selector))


@cli.command(
    epilog="""\b
Examples:
  kubectl logs deploy/api | kubectl triage analyze -
  kubectl triage analyze app.log
  kubectl get events -n shop | kubectl triage analyze -"""
)
@click.argument("file", type=PathArg(allow_dash=True))
@click.option("--all-lines", is_flag=True, help="Parse every line (slower; no prefilter).")
def analyze(file: Path, all_lines: bool) -> None:
    """Apply the rules to saved logs, pasted `kubectl describe`/`get events` output, or stdin."""
    from kubectl_triage.commands.logs import analyze_report

    if str(file) == "-":
        _emit(analyze_report(_ruleset(), _stdin_chunks(), name="stdin", all_lines=all_lines))
        return
    if not file.is_file():
        raise UsageError(f"{file}: no such file")
    _emit(analyze_report(_ruleset(), name=str(file), path=file, all_lines=all_lines))


def _stdin_chunks():
    stream = _env().stdin
    raw = getattr(stream, "buffer", None)
    while True:
        chunk = raw.read(1 << 20) if raw else stream.read(1 << 20).encode()
        if not chunk:
            return
        yield chunk


@cli.group(
    epilog="""\b
Examples:
  kubectl triage rules list
  kubectl triage rules show crash-loop
  kubectl triage rules test ~/.config/kubectl-triage/rules.yaml"""
)
def rules() -> None:
    """The rules table: list it, show one rule, or test a rules file of your own."""


@rules.command("list", epilog=_example("kubectl triage rules list -o wide"))
def rules_list() -> None:
    """Every rule: id, severity, where it looks, title."""
    from kubectl_triage.commands.rules import rules_list_report

    _emit(rules_list_report(_ruleset()), redact=False)  # the table's own samples, not cluster data


@rules.command("show", epilog=_example("kubectl triage rules show wrong-endpoint"))
@click.argument("rule_id")
def rules_show(rule_id: str) -> None:
    """One rule with its cause, fix, next commands, patterns and samples."""
    from kubectl_triage.commands.rules import rules_show_report

    _emit(rules_show_report(_ruleset(), rule_id), redact=False)


@rules.command(
    "test", epilog=_example("kubectl triage rules test ~/.config/kubectl-triage/rules.yaml")
)
@click.argument("file", type=PathArg())
def rules_test(file: Path) -> None:
    """Load a rules YAML file and run its rules' samples and counter-samples."""
    from kubectl_triage.commands.rules import rules_test_report

    report = rules_test_report(file)
    _emit(report)
    if any(c.verdict.value == "fail" for c in report.checks):
        raise SystemExit(ExitCode.FAILED)


@cli.command(epilog=_example("kubectl triage demo -o markdown"))
def demo() -> None:
    """Triage the shipped taskflow incident, recorded from the real app and daprd sidecars (no
    cluster needed): logs, events and status of every workload, judged by the rules. Same as
    `--demo summary`."""
    _opts_override_demo()
    summary.callback(since=None)  # type: ignore[misc]


def _opts_override_demo() -> None:
    root = click.get_current_context().find_root()
    root.obj = root.obj._replace(demo=True, bundle=None)


@cli.command(
    epilog="""\b
Examples:
  kubectl triage summary -n taskflow
  kubectl triage --demo summary -o markdown
  kubectl triage summary -n taskflow -o html > incident.html   # one page for a ticket"""
)
@click.option("--since", help=SINCE_HELP)
def summary(since: str | None = None) -> None:
    """Every finding of a namespace in one report: logs of all pods, events, pod status."""
    from kubectl_triage.commands.summary import summary_report

    _emit(summary_report(_run(), max_requests=_opts().max_requests, since=since_window(since)))

