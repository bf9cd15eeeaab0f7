"""The wrong-endpoint cross-check: 404'd paths against the callee's OpenAPI paths."""

from __future__ import annotations

import pytest

from kubectl_triage.detectors.openapi import called_paths, compare
from tests.helpers import HANDWRITTEN, run


@pytest.mark.parametrize("text, expected", [
    ("httpx.HTTPStatusError: Client error '404 Not Found' for url "
     "'http://localhost:3500/v1.0/invoke/notification-service/method/api/notify'",
     {("notification-service", "/api/notify")}),
    ('{"errorCode":"ERR_DIRECT_INVOKE","message":"... /v1.0/invoke/orders.shop/method/v2/x"}',
     {("orders", "/v2/x")}),
    ("404 Client Error: Not Found for url: http://billing.shop.svc.cluster.local:8080/invoices/7",
     {("billing", "/invoices/7")}),
    ("GET http://10.0.0.7:8080/x 404", set()),
])
def test_called_paths_name_the_callee_and_the_path(text, expected):
    assert called_paths([text]) == expected


def test_compare_knows_path_templates_and_finds_the_nearest():
    served = ["/api/notifications/notify", "/api/notifications/{id}", "/health"]
    assert compare("/api/notify", served) == (False, "/api/notifications/notify")
    assert compare("/api/notifications/42", served) == (True, None)
    assert compare("/api/notifications/42/", served) == (True, None)
    assert compare("/api/notifications/42/x", served)[0] is False


def test_demo_wrong_endpoint_names_the_path_the_callee_serves():
    report = run(*HANDWRITTEN, "logs", "taskflow-api", "-o", "json").json()
    wrong = next(f for f in report["findings"] if f["rule"] == "wrong-endpoint")
    assert wrong["detail"] == ('"/api/notify" not found on notification-service; '
                               'it serves "/api/notifications/notify"')
    assert wrong["next"][0] == "kubectl triage exec-probe openapi notification-service -n taskflow"
    assert all("<callee>" not in cmd for cmd in wrong["next"])
