"""Every secret shape the README's Security section lists is masked, and what is not a
secret (counts, e-mail addresses, a user without a password) is left alone."""

from __future__ import annotations

import pytest

from kubectl_triage.redact import redact_text, redact_value

SECRETS = [
    ("redis://:hunter2@cache:6379/0", "redis://:<redacted>@cache:6379/0"),
    ("postgres://app:p@ss@db.prod.svc:5432/app", "postgres://app:<redacted>@db.prod.svc:5432/app"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlF",
     "jwt <redacted>"),
    ("key sk_live_4eC39HqLyjWDarjtT1zdp7dc", "key <redacted>"),
    ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "<redacted>"),
    ("xoxb-263594206564-FGqddMF8t08v8N7Oq4i57vs1", "<redacted>"),
    ("post https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXX", "post https://<redacted>"),
    ("Authorization: Bearer abc.def.ghi", "Authorization: Bearer <redacted>"),
    ('{"Authorization": "Basic dXNlcjpwYXNz"}', '{"Authorization": "Basic <redacted>"}'),
    ('{"password": "hunter2", "user": "bob"}', '{"password": "<redacted>", "user": "bob"}'),
    ('{"db_password":"a b c"}', '{"db_password":"<redacted>"}'),
    ("Cookie: session=abc123; theme=dark", "Cookie: <redacted>"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\nnext",
     "-----BEGIN RSA PRIVATE KEY-----<redacted>\nnext"),
    ("password=hunter2&next=1", "password=<redacted>&next=1"),
    ("aws AKIAIOSFODNN7EXAMPLE", "aws <redacted>"),
]

NOT_SECRETS = [
    "token_count=5 error_count: 0 retries=3",
    "password: null",
    "http://user@host/path",
    "mail bob@example.com at 12:30",
    '"GET /api/workers HTTP/1.1" 500',
]


@pytest.mark.parametrize("text, expected", SECRETS)
def test_secret_shapes_are_masked(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_what_is_not_a_secret_is_left_alone(text):
    assert redact_text(text) == text


def test_a_secret_named_variable_is_masked_whole():
    assert redact_value("DB_PASSWORD", "anything") == "<redacted>"
    assert redact_value("DATABASE_URL", "mysql://u:pw@db/x") == "mysql://u:<redacted>@db/x"
