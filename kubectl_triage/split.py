"""Reading one big log file with several processes.

The prefilter's regex pass is CPU-bound and `re` holds the GIL, so a large file is cut into
segments at record boundaries (never inside a stack trace) and each segment is scanned by
its own process; only the records around hits come back. Small files and stdin stay in one
process. Imports the standard library, `evidence`, `records` and `scan`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from kubectl_triage.evidence import LogRef, Record
from kubectl_triage.records import _maybe_continuation, clean_line, split_server_stamp
from kubectl_triage.scan import Prefilter, iter_records

# Below this a second process costs more (fork, a regex compile) than it saves.
MIN_SEGMENT = 16 * 1024 * 1024
MAX_JOBS = 8
_CHUNK = 1 << 20
_PROBE = 1 << 16  # bytes read to find a record boundary after a nominal split point


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def plan(path: Path, *, jobs: int, min_segment: int = MIN_SEGMENT) -> list[tuple[int, int, int]]:
    """Segments (start, end, first line number) cut at record boundaries."""
    size = path.stat().st_size
    jobs = max(1, min(jobs, MAX_JOBS, size // min_segment))
    cuts = [0]
    with path.open("rb") as handle:
        for i in range(1, jobs):
            cut = _boundary(handle, size * i // jobs)
            if cut > cuts[-1]:
                cuts.append(cut)
        cuts.append(size)
        segments, line = [], 1
        for start, end in zip(cuts, cuts[1:], strict=False):
            segments.append((start, end, line))
            line += _count_newlines(handle, start, end)
    return segments


def _boundary(handle, position: int) -> int:
    """The first line start at or after `position` that does not continue a record."""
    handle.seek(position)
    window = handle.read(_PROBE)
    offset = window.find(b"\n") + 1
    while 0 < offset < len(window):
        end = window.find(b"\n", offset)
        if end < 0:
            break
        text = clean_line(split_server_stamp(window[offset:end].decode("utf-8", "replace"))[1])
        if text and not _maybe_continuation(text):
            return position + offset
        offset = end + 1
    return position + max(offset, 0)  # no boundary found nearby: cut at a line start


def _count_newlines(handle, start: int, end: int) -> int:
    handle.seek(start)
    count, left = 0, end - start
    while left > 0:
        chunk = handle.read(min(_CHUNK, left))
        if not chunk:
            break
        count += chunk.count(b"\n")
        left -= len(chunk)
    return count


def read_chunks(path: Path) -> Iterator[bytes]:
    return _read(path, 0, path.stat().st_size)


def _read(path: Path, start: int, end: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(start)
        left = end - start
        while left > 0:
            chunk = handle.read(min(_CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


# Which records a segment's process sends back (set before the fork, inherited): every
# record it sends is pickled and held until the parent reads it, so an INFO record that
# merely says "error": null must not make the trip. None: all of them (spawn platforms).
_KEEP: Callable[[Record], bool] | None = None


def _scan_segment(path: Path, start: int, end: int, first_line: int, ref: LogRef | None,
                  prefilter: Prefilter) -> list[Record]:
    records = iter_records(_read(path, start, end), ref=ref, prefilter=prefilter,
                           first_line=first_line)
    return [r for r in records if _KEEP is None or _KEEP(r)]


def scan_file(path: Path, *, prefilter: Prefilter, ref: LogRef | None = None,
              jobs: int | None = None, min_segment: int = MIN_SEGMENT,
              keep: Callable[[Record], bool] | None = None) -> Iterator[Record]:
    """The records of a file around prefilter hits, in file order; with several processes,
    only those `keep` accepts (the caller's tally would drop the others)."""
    global _KEEP
    segments = plan(path, jobs=jobs or usable_cpus(), min_segment=min_segment)
    if len(segments) == 1:
        yield from iter_records(_read(path, 0, segments[0][1]), ref=ref, prefilter=prefilter)
        return
    import multiprocessing  # here: every command imports this module, few use processes
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    _KEEP = keep
    try:
        with ProcessPoolExecutor(max_workers=len(segments), mp_context=context) as pool:
            futures = [pool.submit(_scan_segment, path, start, end, line, ref, prefilter)
                       for start, end, line in segments]
            for future in futures:
                yield from future.result()
    finally:
        _KEEP = None
