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
from kubectl_triage.errors import ExitCode, TriageError
from kubectl_triage.options import Environment, GlobalOptions, hoist_global_flags

if TYPE_CHECKING:  # re costs --help import time; it loads when a command needs it
    import re


class PathArg(click.Path):
    """click.Path giving a pathlib.Path, importing pathlib only when a value is converted."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        from pathlib import Path

        return Path(super().convert(value, param, ctx))


OUTPUTS = ("table", "wide", "json", "yaml", "markdown", "html")
# -o html is a page drawn around the incidents and the timeline: the reports with both.
HTML_COMMANDS = ("summary", "checklist", "demo")
# stern's default for non-following runs is 5; logs of a 100-pod namespace want more, and
# the client's connection pool is sized to match.
DEFAULT_MAX_REQUESTS = 20


class OutputFormat(click.Choice):
    """-o: one of OUTPUTS, `name`, or kubectl's `jsonpath=TEMPLATE` (checked here, before
    the cluster is asked anything: a bad template is a usage error)."""

    name = "format"

    def __init__(self) -> None:
        # "jsonpath=": what completion offers, the template typed after it
        super().__init__([*OUTPUTS, "name", "jsonpath="])

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str) and value.startswith("jsonpath"):
            kind, equals, template = value.partition("=")
            if kind == "jsonpath" and equals:
                from kubectl_triage.errors import UsageError
                from kubectl_triage.render.jsonpath import JsonPathError, parse

                if not template:
                    raise UsageError("template format specified but no template given")
                try:
                    parse(template)
                except JsonPathError as exc:
                    raise UsageError(str(exc)) from None
                return value
        return super().convert(value, param, ctx)


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
            type=OutputFormat(),
            default="table",
            show_default=True,
            help="Output format; jsonpath=TEMPLATE as kubectl's.",
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
    if flags["output"] == "html" and ctx.invoked_subcommand not in HTML_COMMANDS:
        raise click.UsageError(
            f"-o html is only for summary, checklist and demo (not {ctx.invoked_subcommand})"
        )
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
    from kubectl_triage.detectors import LITERALS
    from kubectl_triage.rules.engine import RuleSet
    from kubectl_triage.rules.load import load_rules

    return RuleSet(load_rules(_opts().rules), literals=LITERALS)


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
    if namespace:  # it becomes part of an API path or a bundle folder
        from kubectl_triage import names

        names.check("namespace", namespace)
    return Run(source=source, namespace=namespace, ruleset=_ruleset(), progress=_progress())


def _progress() -> Callable[[int, int], None] | None:
    env = _env()
    if not env.stderr_is_tty():
        return None

    def show(done: int, total: int) -> None:
        # On the terminal only, and gone when done: the report is what stays on screen.
        text = "" if done == total else f"reading logs {done}/{total}"
        env.stderr.write(f"\r\x1b[K{text}")
        env.stderr.flush()

    return show


def _encodable(text: str, stream: Any) -> str:
    """The text as the stream's encoding can write it (a latin-1 or ASCII terminal): an
    ellipsis becomes "...", any other character it lacks "?", rather than a crash."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return text.replace("\u2026", "...").encode(encoding, "replace").decode(encoding)
    except LookupError:  # an encoding Python does not know: write what we have
        pass
    return text


def _emit(report: Any, *, redact: bool = True, gate: bool = False) -> None:
    from dataclasses import replace

    """Render the report; exit 3 (FINDINGS) when --fail-on's threshold is reached by a
    finding or a failed check, and, for a `gate` command (verify), when any check failed."""
    from kubectl_triage.evidence import Severity
    from kubectl_triage.render import RenderOptions, render

    opts, env = _opts(), _env()
    # `command` names the subcommand that ran ("dapr subs", "rules show"), not its group.
    path = click.get_current_context().command_path.split()[2:]
    if path and path != ["demo"] and report.command != " ".join(path):  # demo: a summary
        report = replace(report, command=" ".join(path))
    if (opts.demo or opts.bundle) and report.context != "-":
        report = replace(report, bundle=_bundle_path(opts))
    options = RenderOptions(
        color=env.colour_wanted(no_color=opts.no_color), no_headers=opts.no_headers,
        redact=redact, width=env.columns(),
        ascii_only=not env.unicode_wanted(no_color=opts.no_color),
    )
    env.stdout.write(_encodable(render(report, opts.output, options), env.stdout))
    env.stdout.flush()
    from kubectl_triage.evidence import Verdict

    failed = any(c.verdict is Verdict.FAIL for c in report.checks)
    warned = any(c.verdict is Verdict.WARN for c in report.checks)
    if gate and failed:
        raise SystemExit(ExitCode.FINDINGS)
    if opts.fail_on:
        level = Severity.parse(opts.fail_on)
        # A failed check counts as an error, a warned one as a warning.
        checks = failed or (warned and level <= Severity.WARNING)
        if checks or any(f.severity >= level for f in report.findings):
            raise SystemExit(ExitCode.FINDINGS)


def _bundle_path(opts: GlobalOptions) -> str:
    """The bundle as the user would type it: relative to here when under it."""
    import os

    from kubectl_triage.bundle import demo_path

    path = str(demo_path() if opts.demo else opts.bundle)
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else path


def _regex(value: str | None, name: str) -> re.Pattern[str] | None:
    import re

    if value is None:
        return None
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise click.BadParameter(f"not a valid regex: {exc}", param_hint=name) from None


@cli.command(epilog=_example("kubectl triage version"))
def version() -> None:
    """Print the plugin's version and the engine of its log scan (re2 with the `fast`
    extra's google-re2, else re)."""
    from kubectl_triage.scan import matcher_name

    output = _opts().output
    engine = matcher_name()
    data = {"apiVersion": "triage/v1", "kind": "Version", "version": __version__,
            "logScan": engine}
    if output.startswith("jsonpath="):
        from kubectl_triage.render.jsonpath import execute, parse

        _env().stdout.write(execute(parse(output.partition("=")[2]), data))
        return
    if output in ("json", "yaml"):
        import json

        # JSON is YAML: one object either way
        _env().stdout.write(json.dumps(data, indent=4 if output == "json" else None) + "\n")
        return
    _env().stdout.write(f"kubectl-triage {__version__} (log scan: {engine})\n")


# ---- entry point ------------------------------------------------------------------------


def main(argv: list[str] | None = None, env: Environment | None = None) -> None:
    env = env or Environment()
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:  # as kubectl alone does: the help, and success
        args = ["--help"]
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="kubectl triage", standalone_mode=False, obj=env)
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except click.exceptions.Abort:
        env.stderr.write("Aborted.\n")
        raise SystemExit(ExitCode.FAILED) from None
    except click.ClickException as exc:
        env.stderr.write(f"error: {_printable(exc.format_message())}\n")
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            env.stderr.write(f"See '{exc.ctx.command_path} --help'.\n")
        raise SystemExit(ExitCode.USAGE) from None
    except TriageError as exc:
        if debug:
            raise
        env.stderr.write(f"error: {_printable(exc.message)}\n")
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except BrokenPipeError:
        sys.stderr = None  # type: ignore[assignment]  # the reader went away: say nothing
        raise SystemExit(ExitCode.OK) from None
    except Exception as exc:  # noqa: BLE001 - the one catch-all: a line, never a traceback
        if debug:
            raise
        what = _printable(" ".join(str(exc).split()))[:300]
        env.stderr.write(
            f"error: internal error ({type(exc).__name__}: {what}), run with --debug\n"
        )
        raise SystemExit(ExitCode.FAILED) from None


def _printable(message: str) -> str:
    """An error message on one terminal line: it may echo a name from the cluster or an
    argument, and neither may move the cursor or write the clipboard."""
    from kubectl_triage.records import strip_controls
    from kubectl_triage.redact import redact_text

    return redact_text(strip_controls(message))


# The commands register themselves on `cli` when their modules load (after `cli` exists).
from kubectl_triage.cli import evidence, inside, method  # noqa: E402,F401
