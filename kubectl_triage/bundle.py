"""BundleSource: the Source protocol over a bundle directory (docs/bundle-format.md), which
is also what `kubectl cluster-info dump --output-directory` writes.

Pure file reading; a bundle's "now" is its manifest's createdAt, so ages and windows come
out the same as when it was taken.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kubectl_triage.errors import BundleError, NotFound, UsageError
from kubectl_triage.evidence import Gap, LogRef, ProbeResult
from kubectl_triage.records import parse_time
from kubectl_triage.source import LogWindow
from kubectl_triage.sources.kinds import KINDS

MANIFEST = "triage-bundle.json"
_CHUNK = 1 << 20
_DUMP_MARK = re.compile(r"^==== (START|END) logs for container (\S+) of pod (\S+)/(\S+) ====$")


def open_bundle(path: Path) -> BundleSource:
    """A bundle directory, or a .tar.gz of one (as `bundle -o FILE.tar.gz` writes)."""
    if path.is_file() and path.name.endswith((".tar.gz", ".tgz")):
        return BundleSource(_extract(path))
    return BundleSource(path)


def _extract(archive: Path) -> Path:
    """Into a temporary directory removed at exit; no absolute, `..` or link members."""
    import atexit
    import shutil
    import tarfile
    import tempfile

    target = Path(tempfile.mkdtemp(prefix="kubectl-triage-bundle-"))
    atexit.register(shutil.rmtree, target, True)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            for m in members:
                if (
                    m.name.startswith("/")
                    or ".." in Path(m.name).parts
                    or not (m.isfile() or m.isdir())
                ):
                    raise BundleError(f"bundle {archive}: unsafe member {m.name!r}")
            tar.extractall(target, members=members)  # noqa: S202 - members checked above
    except (OSError, tarfile.TarError) as exc:
        raise BundleError(f"bundle {archive}: cannot read: {exc}") from None
    tops = [p for p in target.iterdir() if p.is_dir()]
    return tops[0] if len(tops) == 1 and not (target / MANIFEST).exists() else target


def demo_path() -> Path:
    return Path(__file__).parent / "demo" / "taskflow"


class BundleSource:
    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise BundleError(f"bundle {root}: not a directory")
        self.root = root
        self.manifest = self._manifest()
        if not self.manifest and not any(root.glob("*/pods.json")):
            raise BundleError(
                f"bundle {root}: no {MANIFEST} and no NAMESPACE/pods.json: "
                "not a kubectl-triage bundle or a kubectl cluster-info dump"
            )
        self.context = str(self.manifest.get("context") or f"bundle:{root.name}")

    def _manifest(self) -> dict[str, Any]:
        path = self.root / MANIFEST
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BundleError(f"bundle {self.root}: cannot read {MANIFEST}: {exc}") from None
        return data if isinstance(data, dict) else {}

    def default_namespace(self) -> str:
        names = self.manifest.get("namespaces") or self.namespaces()
        return names[0] if len(names) == 1 else "default"

    def now(self) -> datetime:
        created = parse_time(str(self.manifest.get("createdAt") or ""))
        return created or datetime.now(timezone.utc)

    def namespaces(self) -> list[str]:
        return sorted(p.parent.name for p in self.root.glob("*/pods.json"))

    def list(self, kind: str, namespace: str | None, *, selector: str = "") -> list[dict[str, Any]]:
        if kind not in KINDS:
            raise ValueError(kind)
        if not KINDS[kind].namespaced:
            files = [self.root / f"{kind}.json"]
        elif namespace:
            files = [self.root / namespace / f"{kind}.json"]
        else:
            files = sorted(self.root.glob(f"*/{kind}.json"))
        items: list[dict[str, Any]] = []
        for path in files:
            items.extend(self._items(path, kind))
        return [i for i in items if matches_selector(i, selector)] if selector else items

    def _items(self, path: Path, kind: str) -> list[dict[str, Any]]:
        if not path.is_file():
            if not KINDS[kind].bundled:  # neither our bundles nor kubectl's dump save them
                raise NotFound(f"no {kind} in bundle {self.root}")
            if kind == "pods" and not path.parent.is_dir():
                raise NotFound(f'namespace "{path.parent.name}" is not in bundle {self.root}')
            return []
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BundleError(f"bundle {self.root}: cannot read {path.name}: {exc}") from None
        namespace = path.parent.name if path.parent != self.root else ""
        items = data.get("items") or [] if isinstance(data, dict) else []
        for item in items:  # a kubectl dump leaves namespace in metadata; be sure
            meta = item.setdefault("metadata", {})
            if namespace and KINDS[kind].namespaced:
                meta.setdefault("namespace", namespace)
        return items

    def log(self, ref: LogRef, window: LogWindow) -> Iterator[bytes]:
        folder = self.root / ref.namespace / ref.pod
        path = folder / (
            f"{ref.container}.previous.log" if ref.previous else f"{ref.container}.log"
        )
        if path.is_file():
            return _windowed(_read_chunks(path), window, self.now())
        dump = folder / "logs.txt"
        if dump.is_file() and not ref.previous:
            return _windowed(iter([_dump_section(dump, ref)]), window, self.now())
        what = "previous log" if ref.previous else "log"
        raise NotFound(f"no {what} of container {ref.container} of pod {ref.pod} in the bundle")

    def http_get(
        self, namespace: str, pod: str, *, port: int, path: str, container: str = ""
    ) -> ProbeResult:
        """A probe result saved in NAMESPACE/POD/probes.json when the bundle was taken."""
        path_key = "/" + path.lstrip("/")
        for entry in self._probes(namespace, pod):
            if int(entry.get("port", 0)) == port and entry.get("path") == path_key:
                status = entry.get("status")
                return ProbeResult(
                    namespace,
                    pod,
                    port,
                    path_key,
                    int(status) if status is not None else None,
                    body=str(entry.get("body", "")).encode(),
                    via=f"bundle ({entry.get('via', '?')})",
                    container=str(entry.get("container", "")),
                    attempts=tuple(entry.get("attempts") or ()),
                )
        raise NotFound(f"no probe of {pod}:{port}{path_key} in the bundle")

    def http_post(
        self, namespace: str, pod: str, *, port: int, path: str, data: bytes, container: str = ""
    ) -> ProbeResult:
        raise UsageError("this command changes a live cluster; it cannot run on a bundle")

    def process_env(self, namespace: str, pod: str, *, container: str) -> dict[str, str]:
        raise UsageError("--live reads a running process: it needs a cluster, not a bundle")

    def _probes(self, namespace: str, pod: str) -> list[dict[str, Any]]:
        path = self.root / namespace / pod / "probes.json"
        if not path.is_file():
            return []
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BundleError(f"bundle {self.root}: cannot read {path}: {exc}") from None
        return [e for e in data.get("probes") or [] if isinstance(e, dict)]

    def recorded_gaps(self) -> list[Gap]:
        gaps = []
        for g in self.manifest.get("gaps") or []:
            if isinstance(g, dict):
                gaps.append(
                    Gap(
                        kind=str(g.get("kind", "")),
                        reason=str(g.get("reason", "Error")),
                        message=str(g.get("message", "")),
                        namespace=str(g.get("namespace", "")),
                        pod=str(g.get("pod", "")),
                        container=str(g.get("container", "")),
                    )
                )
        return gaps


def _read_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


def _dump_section(path: Path, ref: LogRef) -> bytes:
    """One container's log out of kubectl's logs.txt (all containers between markers)."""
    out: list[str] = []
    inside = False
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            m = _DUMP_MARK.match(line.rstrip("\n"))
            if m:
                inside = m.group(1) == "START" and m.group(2) == ref.container
                continue
            if inside:
                out.append(line)
    if out and len(out) == 1 and out[0].startswith("Request log error:"):
        raise NotFound(f"log of {ref.pod}/{ref.container} was not readable: {out[0].strip()}")
    return "".join(out).encode()


def _windowed(chunks: Iterator[bytes], window: LogWindow, now: datetime) -> Iterator[bytes]:
    """Apply --tail/--since to a stored log, as the API server would."""
    if window.tail is None and window.since is None:
        yield from chunks
        return
    lines = b"".join(chunks).splitlines(keepends=True)
    if window.since is not None:
        cutoff = now - window.since
        lines = [ln for ln in lines if (_line_time(ln) or cutoff) >= cutoff]
    if window.tail is not None and window.tail >= 0:
        lines = lines[-window.tail :] if window.tail else []
    yield b"".join(lines)


def _line_time(line: bytes) -> datetime | None:
    head = line[:40].split(b" ", 1)[0].decode("ascii", "replace")
    return parse_time(head) if head[:4].isdigit() else None


_REQ = re.compile(
    r"^\s*(!?)([\w./-]+)\s*(?:(==|=|!=)\s*([\w.-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$"
)


def matches_selector(item: dict[str, Any], selector: str) -> bool:
    """Kubernetes label-selector semantics (=, ==, !=, in, notin, exists, !exists)."""
    labels = (item.get("metadata") or {}).get("labels") or {}
    for requirement in _split_selector(selector):
        m = _REQ.match(requirement)
        if not m:
            raise ValueError(f"unable to parse requirement: {requirement!r}")
        negate, key, op, value, set_op, values = m.groups()
        if op:
            ok = labels.get(key) == value
            if (op == "!=") == ok:
                return False
        elif set_op:
            choices = {v.strip() for v in values.split(",")}
            inside = labels.get(key) in choices
            if (set_op == "in") != inside:
                return False
        elif bool(negate) == (key in labels):
            return False
    return True


def _split_selector(selector: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in selector:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return parts
