"""BundleSource: the Source protocol over a bundle directory (docs/bundle-format.md), which
is also what `kubectl cluster-info dump --output-directory` writes.

Pure file reading; a bundle's "now" is its manifest's createdAt, so ages and windows come
out the same as when it was taken.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kubectl_triage import names
from kubectl_triage.errors import BadRequest, BundleError, NotFound, UsageError
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


# A bundle of a busy namespace is a few MB; past this an archive is refused before a byte
# is written (a gzip bomb would otherwise fill $TMPDIR).
MAX_EXTRACTED = 512 << 20
MAX_MEMBERS = 100_000
_EXTRACT_PREFIX = "kubectl-triage-bundle-"


def _extract(archive: Path) -> Path:
    """Into a private temporary directory removed at exit (and, if this run is killed, by
    the next one); only plain files and folders, no absolute or `..` names, size capped."""
    import atexit
    import shutil
    import tarfile
    import tempfile

    _remove_orphans(Path(tempfile.gettempdir()))
    target = Path(tempfile.mkdtemp(prefix=f"{_EXTRACT_PREFIX}{os.getpid()}-"))
    atexit.register(shutil.rmtree, target, True)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            _check_members(archive, members)
            tar.extractall(target, members=members)  # noqa: S202 - members checked above
    except (OSError, EOFError, tarfile.TarError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        reason = "the archive is truncated" if isinstance(exc, EOFError) else str(exc)
        raise BundleError(f"bundle {archive}: cannot read: {reason}") from None
    except BundleError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    tops = [p for p in target.iterdir() if p.is_dir()]
    return tops[0] if len(tops) == 1 and not (target / MANIFEST).exists() else target


def _check_members(archive: Path, members: list[Any]) -> None:
    if len(members) > MAX_MEMBERS:
        raise BundleError(f"bundle {archive}: more than {MAX_MEMBERS} files")
    total = 0
    for m in members:
        if m.name.startswith("/") or ".." in Path(m.name).parts or not (m.isfile() or m.isdir()):
            raise BundleError(f"bundle {archive}: unsafe member {m.name!r}")
        total += m.size
    if total > MAX_EXTRACTED:
        raise BundleError(
            f"bundle {archive}: unpacks to {total >> 20} MiB, over the {MAX_EXTRACTED >> 20}"
            " MiB a bundle may hold"
        )


def _remove_orphans(tmp: Path) -> None:
    """Extraction folders of runs that were killed (their process is gone)."""
    import shutil

    for path in tmp.glob(f"{_EXTRACT_PREFIX}*-*"):
        pid = path.name[len(_EXTRACT_PREFIX):].split("-", 1)[0]
        try:
            if not pid.isdigit() or path.lstat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


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
        data = self._json(path)
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
            files = [self.root / names.check("namespace", namespace) / f"{kind}.json"]
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
        data = self._json(path)
        namespace = path.parent.name if path.parent != self.root else ""
        items = data.get("items") or [] if isinstance(data, dict) else []
        if not isinstance(items, list):
            items = []
        for index, item in enumerate(items):
            self._check_item(path, index, item, kind=kind)
            meta = item.setdefault("metadata", {})
            if namespace and KINDS[kind].namespaced:  # a kubectl dump leaves it out
                meta.setdefault("namespace", namespace)
        return items

    def _check_item(self, path: Path, index: int, item: Any, *, kind: str) -> None:
        """An object the rest of the code can read: a mapping whose metadata, spec and
        status are mappings; a pod's name (it names a folder) a Kubernetes name."""
        where = f"bundle {self.root}: {path.relative_to(self.root)}: item {index}"
        if not isinstance(item, dict):
            raise BundleError(f"{where} is not a Kubernetes object")
        for key in ("metadata", "spec", "status"):
            if key in item and not isinstance(item[key], dict):
                raise BundleError(f"{where}: {key} is not a mapping")
        name = (item.get("metadata") or {}).get("name")
        if kind == "pods" and not (isinstance(name, str) and names.is_valid("name", name)):
            raise BundleError(f"{where}: {name!r} is not a valid Kubernetes name")

    def _json(self, path: Path) -> Any:
        try:
            return json.loads(self._inside(path).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
            raise BundleError(f"bundle {self.root}: cannot read {path.name}: {reason}") from None

    def _inside(self, path: Path) -> Path:
        """`path`, if it is a regular file of this bundle: a link (to /proc/self/environ,
        to ~/.kube/config) would make a crafted bundle read, and copy on, any local file."""
        rel = path.relative_to(self.root)
        current = self.root
        for part in rel.parts:
            current = current / part
            if current.is_symlink():
                raise BundleError(f"bundle {self.root}: {rel} is a link; a bundle holds files")
        return path

    def log(self, ref: LogRef, window: LogWindow) -> Iterator[bytes]:
        folder = self.root / names.check("namespace", ref.namespace) / names.check(
            "name", ref.pod
        )
        container = names.check("container", ref.container)
        path = folder / (f"{container}.previous.log" if ref.previous else f"{container}.log")
        if path.is_file():
            return _windowed(_read_chunks(self._inside(path)), window, self.now())
        dump = folder / "logs.txt"
        if dump.is_file() and not ref.previous:
            return _windowed(iter([_dump_section(self._inside(dump), ref)]), window, self.now())
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
        path = self.root / names.check("namespace", namespace) / names.check("name", pod)
        path = path / "probes.json"
        if not path.is_file():
            return []
        data = self._json(path)
        probes = data.get("probes") if isinstance(data, dict) else None
        return [e for e in probes or [] if isinstance(e, dict)]

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
    if window.tail is None and window.since is None and window.since_time is None:
        yield from chunks
        return
    from collections import deque

    lines = _lines(chunks)
    cutoff = now - window.since if window.since is not None else window.since_time
    if cutoff is not None:
        lines = (ln for ln in lines if (_line_time(ln) or cutoff) >= cutoff)
    if window.tail is not None and window.tail >= 0:
        # Only the last `tail` lines are ever held (the whole log was, 3.5-5.5x its size).
        kept = deque(lines, maxlen=window.tail) if window.tail else deque()
        yield b"".join(kept)
        return
    batch: list[bytes] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= 4096:
            yield b"".join(batch)
            batch = []
    if batch:
        yield b"".join(batch)


def _lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    rest = b""
    for chunk in chunks:
        parts = (rest + chunk).split(b"\n")
        rest = parts.pop()
        for part in parts:
            yield part + b"\n"
    if rest:
        yield rest


def _line_time(line: bytes) -> datetime | None:
    head = line[:40].split(b" ", 1)[0].decode("ascii", "replace")
    return parse_time(head) if head[:4].isdigit() else None


_REQ = re.compile(
    r"^\s*(!?)([\w./-]+)\s*(?:(==|=|!=)\s*([\w.-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$"
)


def matches_selector(item: dict[str, Any], selector: str) -> bool:
    """Kubernetes label-selector semantics (=, ==, !=, in, notin, exists, !exists)."""
    labels = names.string_map((item.get("metadata") or {}).get("labels"))
    for requirement in _split_selector(selector):
        m = _REQ.match(requirement)
        if not m:
            raise BadRequest(f"unable to parse requirement: {requirement!r}")
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
