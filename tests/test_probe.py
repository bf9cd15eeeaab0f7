"""exec-probe on bundles (probe results saved when the bundle was taken), and redaction."""

from __future__ import annotations

import pytest

from kubectl_triage.collect.apppod import openapi_operations
from kubectl_triage.redact import redact_text, redact_value
from tests.helpers import HANDWRITTEN, run


def test_openapi_lists_paths_and_methods_and_says_how_it_got_them():
    report = run(*HANDWRITTEN, "probe", "openapi", "notification-service", "-o", "json").json()
    assert {"method": "POST", "path": "/api/notifications/notify"} in report["paths"]
    assert report["probe"]["port"] == 8001 and report["probe"]["via"] == "bundle (proxy)"


def test_openapi_grep_filters_paths():
    report = run(
        *HANDWRITTEN, "exec-probe", "openapi", "taskflow-api", "--grep", "^/workers", "-o", "json"
    ).json()
    assert {r["path"] for r in report["paths"]} == {"/workers", "/workers/{worker_id}"}


def test_env_redacts_secrets_and_shows_references_unresolved():
    rows = {
        r["name"]: r
        for r in run(*HANDWRITTEN, "probe", "env", "taskflow-api", "-o", "json").json()["env"]
    }
    assert rows["API_TOKEN"]["value"] == "<redacted>"
    assert "S3cr3t" not in rows["DATABASE_URL"]["value"]
    assert rows["DATABASE_URL"]["value"].startswith("postgresql+asyncpg://taskflow:<redacted>@")
    assert rows["JWT_SECRET"] == {
        "name": "JWT_SECRET",
        "value": "<secret taskflow-secrets/jwt-secret>",
        "from": "reference",
    }
    assert rows["LOG_LEVEL"]["value"] == "info"
    shown = run(*HANDWRITTEN, "probe", "env", "taskflow-api", "--show-secrets", "-o", "json").json()
    assert any(r["value"] != "<redacted>" for r in shown["env"] if r["name"] == "API_TOKEN")


def test_http_prints_status_and_body():
    result = run(*HANDWRITTEN, "probe", "http", "notification-service", "/dapr/subscribe")
    assert result.code == 0
    assert "-> HTTP 200" in result.stdout and '"topic": "task-events"' in result.stdout


def test_a_probe_not_in_the_bundle_is_a_one_line_error():
    result = run(*HANDWRITTEN, "probe", "http", "web-dashboard", "/health")
    assert result.code == 1 and result.stderr.count("\n") == 1
    assert "no probe of web-dashboard" in result.stderr


def test_unknown_container_is_a_usage_error():
    result = run(*HANDWRITTEN, "probe", "env", "taskflow-api", "-c", "nope")
    assert result.code == 2 and "it has: api, daprd" in result.stderr


def test_swagger2_base_path_is_applied():
    doc = {
        "swagger": "2.0",
        "basePath": "/api/",
        "paths": {"/orders": {"get": {}, "post": {}}, "/x": {"parameters": []}},
    }
    assert openapi_operations(doc) == [
        ("GET", "/api/orders"),
        ("POST", "/api/orders"),
        ("ANY", "/api/x"),
    ]


@pytest.mark.parametrize(
    "name, value, shown",
    [
        ("DB_PASSWORD", "hunter2", "<redacted>"),
        ("GITHUB_TOKEN", "ghp_x", "<redacted>"),
        ("AWS_SECRET_ACCESS_KEY", "k", "<redacted>"),
        ("DATABASE_URL", "postgres://u:p4ss@db:5432/x", "postgres://u:<redacted>@db:5432/x"),
        ("LOG_LEVEL", "debug", "debug"),
        ("KEYCLOAK_HOST", "kc.example", "kc.example"),
    ],
)
def test_secret_values_are_redacted_by_name_and_in_urls(name, value, shown):
    assert redact_value(name, value) == shown


def test_free_text_credentials_are_redacted():
    assert redact_text("login password=hunter2 ok") == "login password=<redacted> ok"
    assert "s3cret" not in redact_text("amqp://guest:s3cret@rabbit:5672/")


def test_env_live_needs_a_cluster():
    result = run(*HANDWRITTEN, "probe", "env", "taskflow-api", "--live")
    assert result.code == 2 and "needs a cluster" in result.stderr


def test_container_env_is_typed_from_the_spec_in_its_order():
    from kubectl_triage.collect.objects import to_pod
    from kubectl_triage.evidence import EnvVar

    item = {
        "metadata": {"name": "web-1", "namespace": "shop"},
        "spec": {"containers": [{
            "name": "app",
            "env": [
                {"name": "MODE", "value": "prod"},
                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}},
                {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            ],
            "envFrom": [{"prefix": "APP_", "configMapRef": {"name": "settings"}},
                        {"secretRef": {"name": "tokens"}}],
        }]},
    }
    env = to_pod(item, {}).containers[0].env
    assert env == (
        EnvVar("MODE", "prod"),
        EnvVar("DB_PASSWORD", None, "<secret db/pw>"),
        EnvVar("NODE", None, "<field spec.nodeName>"),
        EnvVar("APP_*", None, "<all keys of configMap settings>"),
        EnvVar("*", None, "<all keys of secret tokens>"),
    )
