"""Kubeconfig resolution exactly as kubectl does it, then a client Configuration.

Differences from the client's own loader that matter to users: with several KUBECONFIG files
the FIRST file's current-context wins (the client takes the last); nothing is ever written
back to the kubeconfig; the in-cluster fallback prints nothing on stdout.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubectl_triage.errors import ConfigError

# Fields holding file paths, resolved against the kubeconfig file that declares them.
_PATH_FIELDS = {
    "clusters": ("certificate-authority",),
    "users": ("client-certificate", "client-key", "tokenFile"),
}


@dataclass(frozen=True)
class ConnectOptions:
    """kubectl's global connection flags, as the user typed them."""

    kubeconfig: str | None = None
    context: str | None = None
    cluster: str | None = None
    user: str | None = None
    server: str | None = None
    token: str | None = None
    certificate_authority: str | None = None
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    as_user: str | None = None
    as_groups: tuple[str, ...] = ()
    as_uid: str | None = None
    request_timeout: float | None = None  # seconds; None = no limit given
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))


@dataclass(frozen=True)
class Resolved:
    configuration: Any  # kubernetes.client.Configuration
    context: str
    namespace: str  # the context's namespace, else "default"
    headers: list[tuple[str, str]]  # impersonation; a name may repeat


def kubeconfig_paths(options: ConnectOptions) -> list[Path]:
    if options.kubeconfig:
        path = Path(options.kubeconfig).expanduser()
        if not path.is_file():
            raise ConfigError(f"stat {options.kubeconfig}: no such file or directory")
        return [path]
    env = options.env.get("KUBECONFIG")
    if env:
        return [
            Path(p).expanduser()
            for p in env.split(os.pathsep)
            if p and Path(p).expanduser().is_file()
        ]
    default = Path(options.env.get("HOME", str(Path.home()))) / ".kube" / "config"
    return [default] if default.is_file() else []


def merge_kubeconfigs(paths: list[Path]) -> dict[str, Any]:
    """kubectl's merge: first file wins for every named entry and for current-context."""
    import yaml

    from kubectl_triage import safeyaml

    merged: dict[str, Any] = {"clusters": [], "contexts": [], "users": [], "current-context": ""}
    for path in paths:
        try:
            data = safeyaml.load_file(path) or {}
        except OSError as exc:
            raise ConfigError(f"cannot read kubeconfig {path}: {exc.strerror}") from None
        except (yaml.YAMLError, UnicodeDecodeError):
            raise ConfigError(f"kubeconfig {path} is not valid YAML") from None
        except safeyaml.YAMLRefused as exc:
            raise ConfigError(f"kubeconfig {path} refused: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"kubeconfig {path} is not a kubeconfig (expected a mapping)")
        for section in ("clusters", "contexts", "users"):
            names = {e.get("name") for e in merged[section]}
            for entry in data.get(section) or []:
                if isinstance(entry, dict) and entry.get("name") not in names:
                    merged[section].append(_absolute(section, entry, path.parent))
        if not merged["current-context"] and data.get("current-context"):
            merged["current-context"] = data["current-context"]
    return merged


def _absolute(section: str, entry: dict[str, Any], base: Path) -> dict[str, Any]:
    key = section[:-1]  # clusters -> cluster
    body = dict(entry.get(key) or {})
    for name in _PATH_FIELDS.get(section, ()):
        if body.get(name) and not os.path.isabs(os.path.expanduser(body[name])):
            body[name] = str(base / body[name])
    return {**entry, key: body}


def resolve(options: ConnectOptions) -> Resolved:
    from kubectl_triage.kube import clientimport

    clientimport.light()  # before the first import of the client
    from kubernetes import client
    from kubernetes.config.config_exception import ConfigException

    _quiet_client_logging()
    configuration = client.Configuration()
    paths = kubeconfig_paths(options)
    if not paths:
        context, namespace = _in_cluster(configuration, options)
    else:
        merged = merge_kubeconfigs(paths)
        context = options.context or merged["current-context"]
        if not context:
            raise ConfigError("no context: the kubeconfig has no current-context; use --context")
        entry = next((c for c in merged["contexts"] if c.get("name") == context), None)
        if entry is None:
            raise ConfigError(f'context "{context}" does not exist in the kubeconfig')
        ctx = dict(entry.get("context") or {})
        ctx.update({k: v for k, v in (("cluster", options.cluster), ("user", options.user)) if v})
        merged["contexts"] = [{"name": context, "context": ctx}]
        if options.token:
            merged["users"] = _without_credentials(merged["users"], ctx.get("user"))
        try:
            from kubernetes.config.kube_config import KubeConfigLoader

            loader = KubeConfigLoader(config_dict=merged, active_context=context)
            with _logged_errors() as errors:
                loader.load_and_set(configuration)
        except ConfigException as exc:
            raise ConfigError(f"kubeconfig: {_one_line(exc)}") from None
        except OSError as exc:
            raise ConfigError(f"kubeconfig: {exc.strerror}: {exc.filename}") from None
        _check_exec_plugin(loader, errors, token_given=bool(options.token))
        namespace = ctx.get("namespace") or "default"
    _apply_overrides(configuration, options)
    _guard_refresh(configuration, options)
    return Resolved(configuration, context, namespace, _impersonation(options))


# What --token replaces in the user entry; a client certificate stays, as with kubectl.
_CREDENTIALS = ("token", "tokenFile", "exec", "auth-provider", "username", "password")


def _without_credentials(users: list[dict[str, Any]], name: str | None) -> list[dict[str, Any]]:
    """--token is the credential: the kubeconfig user's own token or exec plugin is not run."""
    out = []
    for entry in users:
        if entry.get("name") == name:
            body = {k: v for k, v in (entry.get("user") or {}).items() if k not in _CREDENTIALS}
            entry = {**entry, "user": body}
        out.append(entry)
    return out


def _in_cluster(configuration: Any, options: ConnectOptions) -> tuple[str, str]:
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.incluster_config import InClusterConfigLoader

    if not options.env.get("KUBERNETES_SERVICE_HOST"):
        raise ConfigError(
            "no kubeconfig found (set KUBECONFIG or --kubeconfig, or run inside a cluster)"
        )
    try:
        InClusterConfigLoader(
            token_filename="/var/run/secrets/kubernetes.io/serviceaccount/token",
            cert_filename="/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
        ).load_and_set(configuration)
    except ConfigException as exc:
        raise ConfigError(f"in-cluster config: {_one_line(exc)}") from None
    ns_file = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
    namespace = ns_file.read_text().strip() if ns_file.is_file() else "default"
    return "in-cluster", namespace


def _apply_overrides(configuration: Any, options: ConnectOptions) -> None:
    """kubectl's flag overrides (client-go clientcmd's merge), on top of the kubeconfig."""
    if options.certificate_authority and options.insecure_skip_tls_verify:
        raise ConfigError(
            "specifying a root certificates file with the insecure flag is not allowed"
        )
    if options.server:
        configuration.host = options.server.rstrip("/")
    if options.token:
        _set_bearer(configuration, "Bearer " + options.token)
    # Either TLS flag replaces the kubeconfig's pair: --insecure-skip-tls-verify drops its CA,
    # --certificate-authority turns its insecure-skip-tls-verify off (as clientcmd does).
    if options.certificate_authority or options.insecure_skip_tls_verify:
        configuration.ssl_ca_cert = options.certificate_authority or None
        configuration.verify_ssl = not options.insecure_skip_tls_verify
    if options.tls_server_name:
        configuration.tls_server_name = options.tls_server_name
    # One try per request: urllib3's default 3 retries turn a 2 s timeout into 9 s.
    configuration.retries = 0


def _set_bearer(configuration: Any, value: str) -> None:
    # Client 35 reads api_key["authorization"], 36 "BearerToken" first: set both.
    configuration.api_key["BearerToken"] = value
    configuration.api_key["authorization"] = value


def _guard_refresh(configuration: Any, options: ConnectOptions) -> None:
    """Keep the client's credential refresh from undoing the flags.

    The loader's refresh hook runs before every request and copies the kubeconfig's host,
    CA, TLS settings and token back onto the Configuration: `-s B` would read cluster A and
    `--token T` would act as the kubeconfig's user (and, with concurrent requests, a request
    could go to either). The hook now refreshes into a scratch Configuration, and only a
    refreshed token (an expiring exec or OIDC credential) is copied over; with --token
    nothing is refreshed, as kubectl then ignores the kubeconfig's credentials.
    """
    import threading

    from kubernetes import client

    hook = configuration.refresh_api_key_hook
    configuration.refresh_api_key_hook = None
    if hook is None or options.token:
        return
    scratch = client.Configuration()
    lock = threading.Lock()

    def refresh(target: Any) -> None:
        with lock:
            hook(scratch)
            token = scratch.api_key.get("BearerToken") or scratch.api_key.get("authorization")
            if token:
                _set_bearer(target, token)

    configuration.refresh_api_key_hook = refresh


def _check_exec_plugin(loader: Any, errors: list[str], *, token_given: bool) -> None:
    """An exec credential plugin that fails is only logged by the client, and every request
    then goes out as system:anonymous: say so instead, as kubectl does."""
    user = getattr(loader, "_user", None)
    if token_given or not user or "exec" not in user:
        return
    if "token" in loader.__dict__ or "cert_file" in loader.__dict__:
        return
    command = user["exec"].safe_get("command")
    reason = _one_line(errors[-1]) if errors else "it gave no token"
    raise ConfigError(f"getting credentials: exec plugin {command or '?'!s}: {reason[:300]}")


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _logged_errors() -> Iterator[list[str]]:
    """What the client logs at ERROR while loading (its exec-plugin failures)."""
    collector = _ErrorCollector()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        yield collector.messages
    finally:
        root.removeHandler(collector)


def _impersonation(options: ConnectOptions) -> list[tuple[str, str]]:
    """Impersonation headers; a repeated --as-group is a repeated header, as kubectl sends
    it (one comma-joined value would name a single group "a,b")."""
    headers = []
    if options.as_user:
        headers.append(("Impersonate-User", options.as_user))
    headers.extend(("Impersonate-Group", group) for group in options.as_groups)
    if options.as_uid:
        headers.append(("Impersonate-Uid", options.as_uid))
    return headers


def _quiet_client_logging() -> None:
    # The client logs exec-plugin failures with logging.error, which would configure the root
    # logger and print urllib3 warnings on stderr; a handler on the root prevents that.
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc)[:2000].split())[:300]
