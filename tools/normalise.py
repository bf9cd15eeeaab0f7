"""Normalise a bundle recorded from the live taskflow incident into the shipped demo bundle.

`normalise(raw, out)` reads a bundle that `kubectl triage bundle` wrote (tools/record_demo.py
records one) and writes the same bundle with only what varies between recordings or machines
replaced, each by a stable value of the same shape:

- time: every timestamp of the recording (objects, events, log lines and the times inside
  them, the manifest) moves by one offset, so the bundle was written at CREATED; a log line that
  starts with a local time (taskflow-api runs under TZ=Europe/Berlin) gets that time in UTC, as
  the other containers print it. Times outside the recording (within a day of it) are the test
  data's own (the status the loader copied to the workloads) and stay as they are;
- machine paths: the venv's site-packages and the interpreter's stdlib become
  /usr/local/lib/pythonX.Y/..., the app's directory /app, a container's working directory
  /data, the test bed's name-resolution file /var/run/dapr/nameresolution.db;
- ids: UUIDs (object uids, request and CloudEvent ids), container ids, event names and
  resourceVersions, numbered in order of first appearance; pod IPs 198.18.0.N (N as allocated),
  Service ClusterIPs 10.96.x.y;
- test-bed-only fields: annotations under e2e.kubectl-triage.io/, managedFields;
- the product's own redaction (kubectl_triage.redact) runs over every log line again, and
  objects, events and files are written in a stable order.

A leftover machine path fails the run with the file and line that holds it. Standard library
and kubectl_triage only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

from kubectl_triage.collect.snapshot import redacted_object
from kubectl_triage.redact import redact_text

CREATED = dt.datetime(2026, 11, 27, 23, 10, tzinfo=dt.timezone.utc)
MANIFEST = "triage-bundle.json"
TEST_BED_ANNOTATIONS = "e2e.kubectl-triage.io/"
# what may not be left in the demo once normalised: this machine's places
MACHINE_PATH = re.compile(r"/(?:tmp|work|root|home)/|\.venv/|/\.pyenv/")

_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})(?P<sep>[T ])(?P<time>\d{2}:\d{2}:\d{2})"
    r"(?:(?P<dot>[.,])(?P<frac>\d+))?(?P<zone>Z|[+-]\d{2}:\d{2})?")
_REDIS = re.compile(r"^(?P<pid>\d+:[CMSX] )(?P<stamp>\d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2}\.\d{3})")
_UTC_CLOCK = re.compile(r"\(UTC (\d{2}:\d{2}:\d{2})\)")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_HEX64 = re.compile(r"\b[0-9a-f]{64}\b")
_POD_IP = re.compile(r"\b198\.18\.\d{1,3}\.(\d{1,3})\b")
_CLUSTER_IP = re.compile(r"\b10\.96\.\d{1,3}\.\d{1,3}\b")
_SEGMENTS = r"/(?:[\w.+-]+/)*?"  # an absolute path's leading folders, shortest first
_PATHS = [
    (re.compile(_SEGMENTS + r"lib/python(3\.\d+)/"), r"/usr/local/lib/python\1/"),
    (re.compile(_SEGMENTS + r"tests/cluster/apps/taskflow/"), "/app/"),
    (re.compile(_SEGMENTS + r"containers/[\w.-]+/[\w.-]+/[\w.-]+/"), "/data/"),
    (re.compile(_SEGMENTS + r"dapr-nameresolution\.db"), "/var/run/dapr/nameresolution.db"),
]
_EVENT_ORDER = ("Scheduled", "Pulled", "Created", "Started", "BackOff")


class NormaliseError(RuntimeError):
    pass


def parse_iso(m: re.Match[str]) -> dt.datetime:
    frac = (m["frac"] or "0")[:6].ljust(6, "0")
    t = dt.datetime.fromisoformat(f"{m['date']}T{m['time']}.{frac}")
    if m["zone"]:
        zone = "+00:00" if m["zone"] == "Z" else m["zone"]
        t = t.replace(tzinfo=dt.datetime.fromisoformat(f"2000-01-01T00:00:00{zone}").tzinfo)
    return t


def format_like(m: re.Match[str], t: dt.datetime) -> str:
    """`t` written as the matched stamp was: separator, fraction digits, zone."""
    out = t.strftime(f"%Y-%m-%d{m['sep']}%H:%M:%S")
    if m["frac"]:
        digits = f"{t.microsecond:06d}" + "0" * 3
        out += m["dot"] + digits[: len(m["frac"])].ljust(len(m["frac"]), "0")
    return out + (m["zone"] or "")


class Normaliser:
    def __init__(self, created: dt.datetime) -> None:
        self.delta = CREATED - created
        self.window = (created - dt.timedelta(days=1), created + dt.timedelta(days=1))
        self.ids: dict[str, dict[str, str]] = {}  # kind -> value -> its stand-in

    # -- time
    def in_window(self, t: dt.datetime) -> bool:
        aware = t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)
        return self.window[0] <= aware <= self.window[1]

    def shift(self, text: str) -> str:
        def one(m: re.Match[str]) -> str:
            t = parse_iso(m)
            return format_like(m, t + self.delta) if self.in_window(t) else m[0]

        text = _ISO.sub(one, text)
        return _UTC_CLOCK.sub(lambda m: f"(UTC {self._clock(m[1])})", text)

    def _clock(self, hms: str) -> str:
        t = dt.datetime.combine(dt.date(2000, 1, 1), dt.time.fromisoformat(hms))
        return (t + self.delta).strftime("%H:%M:%S")

    # -- ids
    def stable(self, kind: str, value: str, make) -> str:
        seen = self.ids.setdefault(kind, {})
        if value not in seen:
            seen[value] = make(len(seen))
        return seen[value]

    def ids_of(self, text: str) -> str:
        text = _UUID.sub(lambda m: self.stable("uuid", m[0], _uuid), text)
        text = _HEX64.sub(lambda m: self.stable("hex64", m[0], _hex64), text)
        text = _POD_IP.sub(lambda m: f"198.18.0.{m[1]}", text)
        return _CLUSTER_IP.sub(lambda m: self.stable("clusterip", m[0], _cluster_ip), text)

    def text(self, text: str) -> str:
        for pattern, sub in _PATHS:
            text = pattern.sub(sub, text)
        return self.shift(self.ids_of(text))


def _uuid(n: int) -> str:
    return str(uuid.UUID(hashlib.sha256(f"taskflow-demo/{n}".encode()).hexdigest()[:32],
                         version=4))


def _hex64(n: int) -> str:
    return hashlib.sha256(f"taskflow-demo/container/{n}".encode()).hexdigest()


def _cluster_ip(n: int) -> str:
    digest = hashlib.sha256(f"taskflow-demo/service/{n}".encode()).digest()
    return f"10.96.{digest[0]}.{digest[1] % 253 + 2}"


# ---------------------------------------------------------------------------- logs


def utc_line(line: str) -> str:
    """A `kubectl logs --timestamps` line whose text starts with a local time (Python's
    asctime), with that time in UTC: the offset is the one to the runtime's own
    timestamp, in whole quarter hours."""
    stamp, _, rest = line.partition(" ")
    cri = _ISO.fullmatch(stamp)
    if not cri:
        return line
    at = parse_iso(cri).replace(tzinfo=None)
    if (m := _ISO.match(rest)) and not m["zone"]:
        local = parse_iso(m)
        offset = _quarters(local - at)
        return f"{stamp} {format_like(m, local - offset)}{rest[m.end():]}" if offset else line
    return line


def _quarters(d: dt.timedelta) -> dt.timedelta:
    return dt.timedelta(minutes=15 * round(d.total_seconds() / 900))


def redis_shift(norm: Normaliser, line: str) -> str:
    stamp, _, rest = line.partition(" ")
    if m := _REDIS.match(rest):
        t = dt.datetime.strptime(m["stamp"], "%d %b %Y %H:%M:%S.%f") + norm.delta
        return f"{stamp} {m['pid']}{t.strftime('%d %b %Y %H:%M:%S.%f')[:-3]}{rest[m.end():]}"
    return line


def normalise_log(norm: Normaliser, text: str) -> str:
    lines = []
    for line in text.splitlines():
        line = redis_shift(norm, utc_line(line))
        lines.append(redact_text(norm.text(line)))
    return "".join(f"{line}\n" for line in lines)


# ---------------------------------------------------------------------------- objects


def clean_object(item: dict[str, Any]) -> dict[str, Any]:
    meta = item.get("metadata") or {}
    meta.pop("managedFields", None)
    annotations = meta.get("annotations") or {}
    for key in [k for k in annotations if k.startswith(TEST_BED_ANNOTATIONS)]:
        del annotations[key]
    if "annotations" in meta and not annotations:
        del meta["annotations"]
    return redacted_object(item)


def order_events(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By time, then object, then the order a kubelet posts them in; named
    <object>.<16 hex digits> as a client-go recorder names them, the digits from the rest."""
    def key(e: dict[str, Any]) -> tuple:
        reason = e.get("reason", "")
        rank = _EVENT_ORDER.index(reason) if reason in _EVENT_ORDER else len(_EVENT_ORDER)
        return (e.get("lastTimestamp") or e.get("eventTime") or "",
                e["involvedObject"].get("name", ""), rank,
                e["involvedObject"].get("fieldPath", ""))

    items = sorted(items, key=key)
    for e in items:
        digest = hashlib.sha256(json.dumps(key(e)).encode()).hexdigest()[:16]
        e["metadata"]["name"] = f"{e['involvedObject'].get('name', 'event')}.{digest}"
    return items


def resource_versions(files: dict[str, Any]) -> None:
    """Every resourceVersion renumbered from 1000 in its order on the server."""
    found: set[int] = set()

    def walk(node: Any, visit) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "resourceVersion" and isinstance(v, str) and v.isdigit():
                    visit(node, k, v)
                else:
                    walk(v, visit)
        elif isinstance(node, list):
            for v in node:
                walk(v, visit)

    walk(files, lambda _n, _k, v: found.add(int(v)))
    rank = {v: str(1000 + i) for i, v in enumerate(sorted(found))}
    walk(files, lambda n, k, v: n.__setitem__(k, rank[int(v)]))


# ---------------------------------------------------------------------------- the bundle


def normalise(raw: Path, out: Path) -> None:
    raw, out = Path(raw), Path(out)
    manifest = json.loads((raw / MANIFEST).read_text())
    created = dt.datetime.fromisoformat(manifest["createdAt"].replace("Z", "+00:00"))
    norm = Normaliser(created)
    files = sorted(p.relative_to(raw) for p in raw.rglob("*") if p.is_file())
    documents: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for rel in files:
        body = (raw / rel).read_text(encoding="utf-8", errors="replace")
        if rel.suffix == ".json":
            documents[str(rel)] = json.loads(body)
        else:
            texts[str(rel)] = body
    for doc in documents.values():
        if isinstance(doc, dict) and isinstance(doc.get("items"), list):
            doc["items"] = [clean_object(i) for i in doc["items"]]
    resource_versions(documents)
    written: dict[str, str] = {}
    # ids are numbered in the order of first appearance: objects first, then logs
    for name in sorted(documents, key=lambda n: (n != MANIFEST, n)):
        doc = json.loads(norm.text(json.dumps(documents[name], indent=1, sort_keys=True)))
        if name.endswith("events.json"):
            doc["items"] = order_events(doc["items"])
        if name == MANIFEST:
            doc["createdAt"] = _stamp(CREATED)
            if manifest.get("since"):  # `--since 1h` read a moment after createdAt
                since = dt.datetime.fromisoformat(manifest["since"].replace("Z", "+00:00"))
                doc["since"] = _stamp(CREATED - dt.timedelta(
                    seconds=round((created - since).total_seconds())))
            written[name] = json.dumps(doc, indent=2) + "\n"
        else:
            written[name] = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    for name, body in texts.items():
        written[name] = normalise_log(norm, body)
    check_clean(written)
    if out.exists():
        shutil.rmtree(out)
    for name, body in written.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")


def _stamp(t: dt.datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def check_clean(written: dict[str, str]) -> None:
    for name, body in written.items():
        for number, line in enumerate(body.splitlines(), 1):
            if m := MACHINE_PATH.search(line):
                raise NormaliseError(f"{name}:{number}: a machine path is left "
                                     f"({m[0]!r}): {line[:200]}")
