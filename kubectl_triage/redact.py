"""Secret values out of anything the plugin prints or saves.

What is redacted, and where (README "Security" says the same for users):
- a variable's value when its name says secret (password, token, secret, key, credential, …):
  `exec-probe env`, pod and workload specs written to a bundle;
- in any text (log lines in every report, probe bodies, bundle logs and specs, error
  messages): credentials inside URLs and DSNs (`postgres://u:p@h`, `redis://:p@h`), `name=value`
  / `name: value` / JSON `"name": "value"` pairs whose name says secret, HTTP `Authorization`
  and `Cookie` headers, JWTs, PEM private keys, and token shapes that announce themselves
  (`sk_live_…`, `ghp_…`, `xoxb-…`, `AKIA…`, Slack webhook URLs).

The secret is replaced by `<redacted>`; what surrounds it stays, so a line still reads.
Pure; imports `re` only.
"""

from __future__ import annotations

import re

MASK = "<redacted>"
_SECRET_NAME = re.compile(
    r"pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|private[_-]?key|(?:^|_)key(?:$|_)"
    r"|credential|auth|cookie|session|signature|salt|dsn|connection[_-]?string",
    re.IGNORECASE,
)
# scheme://user:password@host — the user may be empty (redis://:pw@host) and the password
# may hold '@' (the last '@' before the host ends it).
_URL_CREDENTIAL = re.compile(
    r"(?P<scheme>\b[a-z][a-z0-9+.-]{1,20}://)(?P<user>[^:/@\s]*):(?P<pw>[^/\s?#]+)@"
    r"(?=[^@/\s?#]+(?:[/\s?#]|$))",
    re.IGNORECASE,
)
# name=value, name: value, "name": "value" — the name ends in a secret word
# (io.jsonwebtoken.SignatureException: ... is a class name, not a token).
_KEY_VALUE = re.compile(
    r"(?P<key>\b[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key"
    r"|client[_-]?secret|private[_-]?key)\b)"
    r"(?P<sep>[\"']?\s*[=:]\s*)(?P<value>\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s,;&\"'}]+)",
    re.IGNORECASE,
)
# Values that a secret-named key may hold and that are not secrets.
_NOT_SECRET = re.compile(r"[\"']?(?:\d{1,6}|true|false|null|none|nil|<redacted>)[\"']?", re.I)
_HEADER = re.compile(
    r"(?P<name>\b(?:proxy-)?authorization|\bx-api-key|\b(?:set-)?cookie)"
    r"(?P<sep>[\"']?\s*[=:]\s*[\"']?)(?P<scheme>(?:bearer|basic|token|digest)\s+)?"
    r"(?P<value>[^\s\"',;]+(?:;\s*[^\s\"',;]+)*)",
    re.IGNORECASE,
)
_PEM = re.compile(
    r"-----BEGIN (?P<kind>[A-Z ]*PRIVATE KEY)-----.*?(?:-----END (?P=kind)-----|$)", re.DOTALL
)
_TOKEN_SHAPES = re.compile(
    r"\beyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]+"  # JWT
    r"|\b(?:sk|rk|pk)_(?:live|test)_[0-9a-zA-Z]{10,}"  # Stripe
    r"|\bgh[pousr]_[0-9A-Za-z]{20,}|\bgithub_pat_[0-9A-Za-z_]{20,}"  # GitHub
    r"|\bxox[abposr]-[0-9A-Za-z-]{10,}"  # Slack tokens
    r"|\bhooks\.slack\.com/services/[\w/]+"  # Slack webhooks
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"  # AWS access key ids
    r"|\bAIza[0-9A-Za-z_-]{35}"  # Google API keys
    r"|\bglpat-[0-9A-Za-z_-]{20,}"  # GitLab
)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def redact_value(name: str, value: str) -> str:
    """A variable's value as it may be shown: masked when its name says secret, else with
    any secret inside it masked."""
    if is_secret_name(name) and value:
        return MASK
    return redact_text(value)


def redact_text(text: str) -> str:
    """Free text with every secret shape listed in the module docstring masked."""
    if "-----BEGIN" in text:
        text = _PEM.sub(lambda m: f"-----BEGIN {m['kind']}-----{MASK}", text)
    text = _URL_CREDENTIAL.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    text = _HEADER.sub(_header, text)
    text = _TOKEN_SHAPES.sub(MASK, text)
    return _KEY_VALUE.sub(_pair, text)


def _header(m: re.Match[str]) -> str:
    return f"{m['name']}{m['sep']}{m['scheme'] or ''}{MASK}"


def _pair(m: re.Match[str]) -> str:
    value = m["value"]
    if _NOT_SECRET.fullmatch(value):
        return m[0]
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{m['key']}{m['sep']}{quote}{MASK}{quote}"
