"""Commands that look inside pods and sidecars: exec-probe (alias probe) and dapr."""

from __future__ import annotations

import click

from kubectl_triage.cli import (
    _emit,
    _env,
    _example,
    _opts,
    _regex,
    _run,
    cli,
)
from kubectl_triage.errors import UsageError


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
    from kubectl_triage.commands.exec_probe import openapi_report

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
    from kubectl_triage.commands.exec_probe import env_report

    report = env_report(_run(), app, show_secrets=show_secrets, container=container, live=live)
    _emit(report, redact=not show_secrets)


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
    from kubectl_triage.commands.exec_probe import http_report

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
    from kubectl_triage.commands.dapr_subs import subs_report

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
    if _opts().bundle or _opts().demo:  # refuse before asking, not after
        raise UsageError("this command changes a live cluster; it cannot run on a bundle")
    env = _env()
    if not yes and not (env.stdin.isatty() and env.stderr_is_tty()):
        raise UsageError("publishing changes state: confirm with --yes (no terminal to ask)")
    run = _run()
    found = publish_target(run, app)
    if not yes:
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
