"""Secret values out of anything the plugin prints or saves.

A value is secret when its name says so (password, token, secret, key, credential, …), and a
credential inside a URL or DSN is secret wherever it appears. Pure; imports `re` only.
"""

from __future__ import annotations

import re

MASK = "<redacted>"
_SECRET_NAME = re.compile(
    r"pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|private[_-]?key|(?:^|_)key(?:$|_)"
    r"|credential|auth|cookie|session|signature|salt|dsn|connection[_-]?string",
    re.IGNORECASE,
)
_URL_CREDENTIAL = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]+):(?P<pw>[^@/\s]+)@", re.IGNORECASE
)
_KEY_VALUE = re.compile(
    r"(?P<key>\b[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key)[\w.-]*\b)"
    r"(?P<sep>\s*[=:]\s*)(?P<value>\"[^\"]*\"|'[^']*'|[^\s,;&]+)",
    re.IGNORECASE,
)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def redact_value(name: str, value: str) -> str:
    """A variable's value as it may be shown: masked when its name says secret, else with
    any URL credential masked."""
    if is_secret_name(name) and value:
        return MASK
    return redact_text(value)


def redact_text(text: str) -> str:
    """Free text with URL credentials and `password=…` style pairs masked."""
    text = _URL_CREDENTIAL.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    return _KEY_VALUE.sub(lambda m: f"{m['key']}{m['sep']}{MASK}", text)
