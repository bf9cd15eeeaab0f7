"""kubectl's way of writing ages and durations."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def age(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "<unknown>"
    seconds = int((now - then).total_seconds())
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h{minutes % 60}m" if hours < 8 and minutes % 60 else f"{hours}h"
    return f"{hours // 24}d"


def parse_duration(text: str) -> timedelta:
    """`--since 5m`, `1h30m`, `90s`, `2h`; a bare number means seconds."""
    text = text.strip()
    m = _DURATION.match(text)
    if not text or not (text.isdigit() or m):
        raise ValueError(f'invalid duration "{text}" (use e.g. 30s, 5m, 1h30m)')
    try:
        if text.isdigit():
            return timedelta(seconds=int(text))
        h, mi, s = (int(x) if x else 0 for x in m.groups())
        return timedelta(hours=h, minutes=mi, seconds=s)
    except OverflowError:
        raise ValueError(f'duration "{text}" is too large') from None


def clock(value: datetime | None, *, full: bool = False) -> str:
    """A record's time in a listing: HH:MM:SS, or with --timestamps the whole RFC 3339 UTC
    time to the microsecond (kubectl prints the server's nanoseconds; a record keeps
    microseconds)."""
    if value is None:
        return "-"
    if full:
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%H:%M:%S")
