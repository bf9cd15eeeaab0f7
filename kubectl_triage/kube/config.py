"""Kubeconfig resolution exactly as kubectl does it, then a client Configuration.

Differences from the client's own loader that matter to users: with several KUBECONFIG files
the FIRST file's current-context wins (the client takes the last); nothing is ever written
back to the kubeconfig; the in-cluster fallback prints nothing on stdout.
"""

from __future__ import annotations

import logging
import os
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
    headers: dict[str, str]


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

    merged: dict[str, Any] = {"clusters": [], "contexts": [], "users": [], "current-context": ""}
    for path in paths:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ConfigError(f"cannot read kubeconfig {path}: {exc.strerror}") from None
        except yaml.YAMLError:
            raise ConfigError(f"kubeconfig {path} is not valid YAML") from None
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
        try:
            from kubernetes.config.kube_config import KubeConfigLoader

            KubeConfigLoader(config_dict=merged, active_context=context).load_and_set(configuration)
        except ConfigException as exc:
            raise ConfigError(f"kubeconfig: {_one_line(exc)}") from None
        except OSError as exc:
            raise ConfigError(f"kubeconfig: {exc.strerror}: {exc.filename}") from None
        namespace = ctx.get("namespace") or "default"
    _apply_overrides(configuration, options)
    return Resolved(configuration, context, namespace, _impersonation(options))


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
    if options.server:
        configuration.host = options.server.rstrip("/")
    if options.token:
        configuration.api_key = {"authorization": "Bearer " + options.token}
    if options.certificate_authority:
        configuration.ssl_ca_cert = options.certificate_authority
    if options.insecure_skip_tls_verify:
        configuration.verify_ssl = False
    if options.tls_server_name:
        configuration.tls_server_name = options.tls_server_name
    # One try per request: urllib3's default 3 retries turn a 2 s timeout into 9 s.
    configuration.retries = 0


def _impersonation(options: ConnectOptions) -> dict[str, str]:
    headers = {}
    if options.as_user:
        headers["Impersonate-User"] = options.as_user
    if options.as_groups:
        headers["Impersonate-Group"] = ",".join(options.as_groups)
    if options.as_uid:
        headers["Impersonate-Uid"] = options.as_uid
    return headers


def _quiet_client_logging() -> None:
    # The client logs exec-plugin failures with logging.error, which would configure the root
    # logger and print urllib3 warnings on stderr; a handler on the root prevents that.
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
