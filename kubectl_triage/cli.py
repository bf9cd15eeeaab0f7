"""The command line: kubectl-style flags -> options -> one call into the core -> render -> exit.

Holds no logic a test would want to call directly. Imports neither the kubernetes client
nor the rules table at start-up: `--help` stays as fast as a bare click program.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from kubectl_triage import __version__
from kubectl_triage.errors import ExitCode, TriageError, UsageError
from kubectl_triage.options import Environment, GlobalOptions, hoist_global_flags

if TYPE_CHECKING:  # pathlib and re cost --help import time; they load when a command runs
    import re
    from pathlib import Path


class PathArg(click.Path):
    """click.Path giving a pathlib.Path, importing pathlib only when a value is converted."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from pathlib import Path

        return Path(super().convert(value, param, ctx))


OUTPUTS = ("table", "wide", "json", "yaml", "markdown")
# stern's default for non-following runs is 5; logs of a 100-pod namespace want more, and
# the client's connection pool is sized to match.
DEFAULT_MAX_REQUESTS = 20


class TriageGroup(click.Group):
    aliases = {"probe": "exec-probe"}

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, self.aliases.get(name, name))

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_flags(args))


def _global(f: Callable) -> Callable:
    options = [
        click.option("-n", "--namespace", help="Namespace (default: the context's, else default)."),
        click.option("-A", "--all-namespaces", is_flag=True, help="All namespaces."),
        click.option(
            "-o",
            "--output",
            type=click.Choice(OUTPUTS),
            default="table",
            show_default=True,
            help="Output format.",
        ),
        click.option("--kubeconfig", help="Path to the kubeconfig file."),
        click.option("--context", help="Kubeconfig context to use."),
        click.option("--cluster", help="Kubeconfig cluster to use."),
        click.option("--user", help="Kubeconfig user to use."),
        click.option("-s", "--server", help="The API server's address."),
        click.option("--token", help="Bearer token."),
        click.option("--certificate-authority", help="CA certificate file."),
        click.option("--insecure-skip-tls-verify", is_flag=True, help="Do not verify TLS."),
        click.option("--tls-server-name", help="Server name for TLS verification."),
        click.option("--as", "as_user", help="Impersonate this user."),
        click.option("--as-group", multiple=True, help="Impersonate this group (repeatable)."),
        click.option("--as-uid", help="Impersonate this UID."),
        click.option(
            "--request-timeout",
            default="0",
            show_default=True,
            help="Per-request timeout: 30s, 1m, or seconds; 0 = the defaults.",
        ),
        click.option(
            "--bundle",
            type=PathArg(),
            help="Read a bundle directory (or a `kubectl cluster-info dump`) instead of a cluster.",
        ),
        click.option("--demo", is_flag=True, help="Read the shipped taskflow demo incident."),
        click.option(
            "--rules",
            type=PathArg(),
            help="Extra rules YAML (default: ~/.config/kubectl-triage/rules.yaml).",
        ),
        click.option(
            "--max-requests",
            type=click.IntRange(1, 200),
            default=DEFAULT_MAX_REQUESTS,
            show_default=True,
            help="Concurrent log requests.",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(["warning", "error"]),
            help="Exit 3 when a finding is at or above this severity.",
        ),
        click.option("--no-color", is_flag=True, help="No colour (also NO_COLOR)."),
        click.option("--no-headers", is_flag=True, help="No table headers."),
        click.option("--debug", is_flag=True, help="Show tracebacks."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _example(*lines: str) -> str:
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


EPILOG = """\b
Examples:
  kubectl triage --demo logs taskflow-api      # the shipped incident, no cluster needed
  kubectl triage logs api -n taskflow          # errors of every pod and sidecar of deploy/api
  kubectl triage events -n taskflow            # events in the order they happened
  kubectl logs deploy/api | kubectl triage analyze -

Global flags (kubectl's, parsed by the plugin) work before or after the subcommand."""


@click.group(
    cls=TriageGroup,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@_global
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _, value: _print_version(ctx, value),
    help="Print the version and exit.",
)
@click.pass_context
def cli(ctx: click.Context, **flags: Any) -> None:
    """Find out why a microservice on Kubernetes fails: logs, events and pod status judged
    by a table of known failure patterns, each with its cause, fix and next command."""
    env = ctx.obj if isinstance(ctx.obj, Environment) else Environment()
    ctx.meta[_ENV_KEY] = env
    ctx.obj = _options(flags, env)


def _print_version(ctx: click.Context, value: bool) -> None:
    if value:
        env = ctx.obj if isinstance(ctx.obj, Environment) else Environment()
        env.stdout.write(f"kubectl-triage {__version__}\n")
        ctx.exit()


def _options(flags: dict[str, Any], env: Environment) -> GlobalOptions:
    from kubectl_triage.commands.timefmt import parse_duration
    from kubectl_triage.kube.config import ConnectOptions

    try:
        timeout = parse_duration(flags["request_timeout"]).total_seconds() or None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--request-timeout") from None
    connect = ConnectOptions(
        kubeconfig=flags["kubeconfig"],
        context=flags["context"],
        cluster=flags["cluster"],
        user=flags["user"],
        server=flags["server"],
        token=flags["token"],
        certificate_authority=flags["certificate_authority"],
        insecure_skip_tls_verify=flags["insecure_skip_tls_verify"],
        tls_server_name=flags["tls_server_name"],
        as_user=flags["as_user"],
        as_groups=tuple(flags["as_group"]),
        as_uid=flags["as_uid"],
        request_timeout=timeout,
        env=env.env,
    )
    return GlobalOptions(
        namespace=flags["namespace"],
        all_namespaces=flags["all_namespaces"],
        output=flags["output"],
        no_color=flags["no_color"],
        no_headers=flags["no_headers"],
        bundle=flags["bundle"],
        demo=flags["demo"],
        debug=flags["debug"],
        rules=flags["rules"],
        max_requests=flags["max_requests"],
        fail_on=flags["fail_on"],
        connect=connect,
    )


# ---- plumbing shared by the commands ---------------------------------------------------


_ENV_KEY = "kubectl_triage.environment"


def _env() -> Environment:
    return click.get_current_context().meta.get(_ENV_KEY) or Environment()


def _opts() -> GlobalOptions:
    return click.get_current_context().find_root().obj


def _ruleset():
    from kubectl_triage.rules.engine import RuleSet
    from kubectl_triage.rules.load import load_rules

    return RuleSet(load_rules(_opts().rules))


def _source():
    opts = _opts()
    if opts.demo or opts.bundle:
        from kubectl_triage.bundle import BundleSource, demo_path, open_bundle

        return BundleSource(demo_path()) if opts.demo else open_bundle(opts.bundle)
    from kubectl_triage.kube.source import LiveSource

    return LiveSource(opts.connect, max_requests=opts.max_requests)


def _run():
    from kubectl_triage.commands.common import Run

    opts = _opts()
    source = _source()
    namespace = None if opts.all_namespaces else opts.namespace or source.default_namespace()
    return Run(source=source, namespace=namespace, ruleset=_ruleset(), progress=_progress())


def _progress() -> Callable[[int, int], None] | None:
    env = _env()
    if not env.stderr_is_tty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        env.stderr.write(f"\rreading logs {done}/{total}{end}")
        env.stderr.flush()

    return show


def _emit(report: Any) -> None:
    from kubectl_triage.evidence import Severity
    from kubectl_triage.render import RENDERERS, RenderOptions

    opts, env = _opts(), _env()
    options = RenderOptions(
        color=env.colour_wanted(no_color=opts.no_color), no_headers=opts.no_headers
    )
    env.stdout.write(RENDERERS[opts.output](report, options))
    env.stdout.flush()
    if opts.fail_on and any(f.severity >= Severity.parse(opts.fail_on) for f in report.findings):
        raise SystemExit(ExitCode.FINDINGS)


def _regex(value: str | None, name: str) -> re.Pattern[str] | None:
    import re

    if value is None:
        return None
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise click.BadParameter(f"not a valid regex: {exc}", param_hint=name) from None


# ---- commands ---------------------------------------------------------------------------


@cli.command(
    epilog="""\b
Examples:
  kubectl triage logs taskflow-api -n taskflow     # deployment: pods of its current ReplicaSet
  kubectl triage logs pod/web-1 -c app --previous  # the crashed instance of one container
  kubectl triage logs -l app=web --since 15m
  kubectl triage logs sts/db --grep 'deadlock|timeout'
  kubectl triage --demo logs taskflow-api"""
)
@click.argument("target", required=False)
@click.option("-l", "--selector", default="", help="Label selector instead of a TARGET.")
@click.option("-c", "--container", multiple=True, help="Only this container (repeatable).")
@click.option("--tail", type=int, help="Lines per log from the end (default 500; -1: all).")
@click.option("--since", help="Only lines newer than this: 30s, 5m, 1h.")
@click.option("--previous", is_flag=True, help="Only the previous (crashed) instances.")
@click.option("--all-lines", is_flag=True, help="Every record, not only the failing ones.")
@click.option("--grep", help="Only records matching this regex (case-insensitive).")
def logs(
    target: str | None,
    selector: str,
    container: tuple[str, ...],
    tail: int | None,
    since: str | None,
    previous: bool,
    all_lines: bool,
    grep: str | None,
) -> None:
    """Error and warning records of every pod and sidecar of a workload, grouped and counted.

    TARGET is a deployment name, deploy/NAME, sts/NAME, ds/NAME or pod/NAME."""
    from kubectl_triage.collect.gather import LogOptions
    from kubectl_triage.commands.logs import logs_report
    from kubectl_triage.commands.timefmt import parse_duration
    from kubectl_triage.source import LogWindow

    if not target and not selector:
        raise click.UsageError("give a TARGET (deployment, pod/NAME, sts/NAME) or -l SELECTOR")
    try:
        window = LogWindow(tail=tail, since=parse_duration(since) if since else None)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    options = LogOptions(
        window=window,
        containers=container,
        previous=previous,
        all_lines=all_lines,
        grep=_regex(grep, "--grep"),
        max_requests=_opts().max_requests,
    )
    _emit(logs_report(_run(), target=target, selector=selector, options=options))


@cli.command(
    epilog="""\b
Examples:
  kubectl triage events -n taskflow              # warnings first, oldest to newest
  kubectl triage events taskflow-api             # events of a deployment, its ReplicaSets and pods
  kubectl triage events -A -o json"""
)
@click.argument("target", required=False)
def events(target: str | None) -> None:
    """Events in the order they happened, warnings first, grouped by object and reason and
    rolled up to their workload; each warning named by the rules."""
    from kubectl_triage.commands.events import events_report

    _emit(events_report(_run(), target=target))


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

    _emit(rules_list_report(_ruleset()))


@rules.command("show", epilog=_example("kubectl triage rules show wrong-endpoint"))
@click.argument("rule_id")
def rules_show(rule_id: str) -> None:
    """One rule with its cause, fix, next commands, patterns and samples."""
    from kubectl_triage.commands.rules import rules_show_report

    _emit(rules_show_report(_ruleset(), rule_id))


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
    """Triage the shipped taskflow incident (no cluster needed): logs, events and status of
    every workload, judged by the rules. Same as `--demo summary`."""
    _opts_override_demo()
    summary.callback()  # type: ignore[misc]


def _opts_override_demo() -> None:
    root = click.get_current_context().find_root()
    root.obj = root.obj._replace(demo=True, bundle=None)


@cli.command(
    epilog="""\b
Examples:
  kubectl triage summary -n taskflow
  kubectl triage --demo summary -o markdown"""
)
def summary() -> None:
    """Every finding of a namespace in one report: logs of all pods, events, pod status."""
    from kubectl_triage.commands.summary import summary_report

    _emit(summary_report(_run(), max_requests=_opts().max_requests))


@cli.group(
    "exec-probe",
    epilog="""\b
Examples:
  kubectl triage exec-probe openapi notification-service -n taskflow
  kubectl triage probe openapi taskflow-api --grep workers
  kubectl triage probe env taskflow-api
  kubectl triage probe http notification-service /dapr/subscribe""",
)
def exec_probe() -> None:
    """Inside-the-pod checks: the OpenAPI paths, the environment, any GET (alias: probe).

    A probe goes through the API server's pod proxy (no tool needed in the image), else
    exec with curl or python; the report says which way was used, or why none worked."""


_APP_HELP = "APP is a deployment name, KIND/NAME, or a Dapr app-id."


@exec_probe.command(
    "openapi",
    epilog=_example("kubectl triage probe openapi notification-service --grep notify -n taskflow"),
    help=f"The service's OpenAPI paths and methods. {_APP_HELP}",
)
@click.argument("app")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: the app's).")
@click.option("--path", help="Where the document is (default: /openapi.json, /swagger.json, …).")
@click.option("--grep", help="Only paths matching this regex.")
@click.option("-c", "--container", default="", help="Container (default: the app's).")
def probe_openapi(
    app: str, port: int | None, path: str | None, grep: str | None, container: str
) -> None:
    from kubectl_triage.commands.probe import openapi_report

    _regex(grep, "--grep")
    _emit(openapi_report(_run(), app, port=port, path=path, grep=grep, container=container))


@exec_probe.command(
    "env",
    epilog=_example("kubectl triage probe env taskflow-api --live -n taskflow"),
    help=f"The container's environment, secrets redacted. {_APP_HELP}",
)
@click.argument("app")
@click.option("--show-secrets", is_flag=True, help="Do not redact secret-looking values.")
@click.option("--live", is_flag=True, help="Also the running process's env (exec `env`).")
@click.option("-c", "--container", default="", help="Container (default: the app's).")
def probe_env(app: str, show_secrets: bool, live: bool, container: str) -> None:
    from kubectl_triage.commands.probe import env_report

    _emit(env_report(_run(), app, show_secrets=show_secrets, container=container, live=live))


@exec_probe.command(
    "http",
    epilog=_example("kubectl triage probe http notification-service /dapr/subscribe -n taskflow"),
    help=f"Any GET inside the pod: status and body. {_APP_HELP}",
)
@click.argument("app")
@click.argument("path")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: the app's).")
@click.option("-c", "--container", default="", help="Container (default: the app's).")
def probe_http(app: str, path: str, port: int | None, container: str) -> None:
    from kubectl_triage.commands.probe import http_report

    _emit(http_report(_run(), app, path, port=port, container=container))


@cli.group(
    epilog="""\b
Examples:
  kubectl triage dapr status taskflow-api -n taskflow
  kubectl triage dapr subs notification-service
  kubectl triage dapr logs taskflow-api
  kubectl triage dapr components"""
)
def dapr() -> None:
    """Dapr sidecar checks: injection and metadata, subscriptions compared three ways,
    daprd logs by topic, components and which sidecars loaded them."""


@dapr.command(
    "status",
    epilog=_example("kubectl triage dapr status taskflow-api -n taskflow"),
    help=f"Injection, sidecar state, loaded components. {_APP_HELP}",
)
@click.argument("app")
def dapr_status(app: str) -> None:
    from kubectl_triage.commands.dapr import status_report

    _emit(status_report(_run(), app))


@dapr.command(
    "subs",
    epilog=_example("kubectl triage dapr subs notification-service -n taskflow"),
    help="Subscriptions as the app declares them (/dapr/subscribe), as the "
    f"sidecar loaded them, and as Subscription resources, with mismatches. {_APP_HELP}",
)
@click.argument("app")
@click.option("--port", type=click.IntRange(1, 65535), help="App port (default: dapr.io/app-port).")
def dapr_subs(app: str, port: int | None) -> None:
    from kubectl_triage.commands.dapr import subs_report

    _emit(subs_report(_run(), app, port=port))


@dapr.command(
    "logs",
    epilog=_example("kubectl triage dapr logs notification-service -n taskflow"),
    help=f"daprd logs by topic, with the rules applied. {_APP_HELP}",
)
@click.argument("app")
def dapr_logs(app: str) -> None:
    from kubectl_triage.commands.dapr import logs_report

    _emit(logs_report(_run(), app))


@dapr.command(
    "publish",
    epilog="""\b
Examples:
  kubectl triage dapr publish taskflow-api pubsub task-events --data '{"type": "ping"}'
  kubectl triage dapr publish taskflow-api pubsub task-events --yes   # no prompt (scripts)""",
)
@click.argument("app")
@click.argument("pubsub")
@click.argument("topic")
@click.option(
    "--data", default='{"kubectl-triage": "test event"}', show_default=True, help="JSON payload."
)
@click.option("--yes", is_flag=True, help="Do not ask: publish (needed without a terminal).")
def dapr_publish(app: str, pubsub: str, topic: str, data: str, yes: bool) -> None:
    """Publish a test event through APP's sidecar. It changes state (subscribers receive it),
    so it asks first on a terminal and needs --yes otherwise."""
    import json

    from kubectl_triage.commands.dapr import publish_report, publish_target

    try:
        json.loads(data)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--data") from None
    run = _run()
    found = publish_target(run, app)
    if not yes:
        env = _env()
        if not (env.stdin.isatty() and env.stderr_is_tty()):
            raise UsageError("publishing changes state: confirm with --yes (no terminal to ask)")
        question = (
            f"Publish to {pubsub}/{topic} through the sidecar of {found.target.pod.name}"
            f" in {found.target.pod.namespace}?"
        )
        if not click.confirm(question, err=True):
            raise UsageError("not published")
    _emit(publish_report(run, found, pubsub=pubsub, topic=topic, data=data.encode()))


@dapr.command("components", epilog=_example("kubectl triage dapr components -n taskflow"))
def dapr_components() -> None:
    """Component resources: type, version, scopes, and which app's sidecar loaded each."""
    from kubectl_triage.commands.dapr import components_report

    _emit(components_report(_run()))


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
  kubectl triage checklist --fail-on error      # exit 3 in CI when a step finds errors"""
)
@click.option("--symptom", default="", help="What users see; findings about it come first.")
def checklist(symptom: str) -> None:
    """The debugging checklist, run: pods, app logs, sidecar logs, events, request path,
    error patterns, Dapr wiring, rollout — a verdict per step and what to run next."""
    from kubectl_triage.commands.checklist import checklist_report

    _emit(checklist_report(_run(), symptom=symptom, max_requests=_opts().max_requests))


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
    _emit(verify_report(_run(), deploy, image=image, wait=wait, timeout=seconds))


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
        env.stderr.write(f"warning: not collected: {gap.kind} {where}: {gap.reason}\n")


@cli.command(epilog=_example("kubectl triage version"))
def version() -> None:
    """Print the plugin's version."""
    _env().stdout.write(f"kubectl-triage {__version__}\n")


# ---- entry point ------------------------------------------------------------------------


def main(argv: list[str] | None = None, env: Environment | None = None) -> None:
    env = env or Environment()
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="kubectl triage", standalone_mode=False, obj=env)
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except click.exceptions.Abort:
        env.stderr.write("Aborted.\n")
        raise SystemExit(ExitCode.FAILED) from None
    except click.ClickException as exc:
        env.stderr.write(f"error: {exc.format_message()}\n")
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            env.stderr.write(f"See '{exc.ctx.command_path} --help'.\n")
        raise SystemExit(ExitCode.USAGE) from None
    except TriageError as exc:
        if debug:
            raise
        env.stderr.write(f"error: {exc.message}\n")
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except BrokenPipeError:
        sys.stderr = None  # type: ignore[assignment]  # the reader went away: say nothing
        raise SystemExit(ExitCode.OK) from None
