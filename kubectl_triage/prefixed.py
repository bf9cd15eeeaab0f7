"""Logs of several containers in one stream, each line prefixed with where it came from:
`kubectl logs --prefix` (`[pod/NAME/CONTAINER] line`) and stern (`POD CONTAINER line`, the
names coloured on a terminal, `NAMESPACE POD CONTAINER line` across namespaces).

With `-f` both interleave lines of different containers, even inside one stack trace, so
each prefix's lines are grouped into records apart (one RecordBuilder per prefix) and each
record names its pod and container. The format is decided from the first lines; input
without prefixes is left to the plain path. Imports the standard library, `evidence` and
`records`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator

from kubectl_triage.evidence import LogRef, Record
from kubectl_triage.records import RecordBuilder
from kubectl_triage.scan import Prefilter

_KUBECTL = re.compile(r"^\[pod/([a-z0-9][-a-z0-9.]*)/([a-z0-9][-a-z0-9]*)\] ?")
# stern colours each name (`\x1b[32mNAME\x1b[0m`); plain with --color never or a pipe.
_NAME = r"[a-z0-9][-a-z0-9.]*"
_COLOURED = rf"\x1b\[[\d;]*m({_NAME})\x1b\[0m"
_STERN_COLOUR = re.compile(rf"^(?:{_COLOURED} )?{_COLOURED} {_COLOURED}(?: |$)")
# Without colour a prefix is two words, so only a pod name as controllers make them
# (`web-7c9d8f6b5-q8z4m`, `db-0`, `agent-x2x7k`) is taken for one: a plain log line
# starting "starting server ..." is not stern output.
_POD = r"[a-z0-9][-a-z0-9.]*-(?:[a-z0-9]{5}|\d+)"
_STERN_PLAIN = re.compile(rf"^(?:({_NAME}) (?=\S+ \S+ ))?({_POD}) ([a-z0-9][-a-z0-9]*)(?: |$)")
_SAMPLE = 20  # first non-empty lines looked at to decide the format
_MIN_PLAIN = 4  # fewer uncoloured lines than this are not told from a plain log


class Format(enum.Enum):
    PLAIN = "plain"
    KUBECTL = "kubectl --prefix"
    STERN = "stern"


def detect(lines: Iterable[str]) -> Format:
    """The format of a stream from its first lines: prefixed only when every one of them
    carries the same kind of prefix."""
    sample = [ln for ln in lines if ln.strip()][:_SAMPLE]
    if not sample:
        return Format.PLAIN
    if all(_KUBECTL.match(ln) for ln in sample):
        return Format.KUBECTL
    if all(_STERN_COLOUR.match(ln) for ln in sample):
        return Format.STERN
    # Plain stern prefixes are two words: a sample of a few containers' lines, each
    # prefix repeated, not lines that merely start with a pod-like word.
    plain = [_STERN_PLAIN.match(ln) for ln in sample]
    if all(plain) and len(sample) >= _MIN_PLAIN:
        prefixes = {m.group(2, 3) for m in plain if m}
        if len(prefixes) * 2 <= len(sample):
            return Format.STERN
    return Format.PLAIN


def split_prefix(line: str, fmt: Format) -> tuple[tuple[str, str, str] | None, str]:
    """(namespace, pod, container) and the line without its prefix; None for a line
    without one (kubectl's own `error:` lines, a stray blank line)."""
    if fmt is Format.KUBECTL:
        m = _KUBECTL.match(line)
        return (("", m.group(1), m.group(2)), line[m.end() :]) if m else (None, line)
    m = _STERN_COLOUR.match(line)
    if m:
        return (m.group(1) or "", m.group(2), m.group(3)), line[m.end() :]
    m = _STERN_PLAIN.match(line)
    if m:
        return (m.group(1) or "", m.group(2), m.group(3)), line[m.end() :]
    return None, line


def prefixed_records(
    lines: Iterable[str],
    fmt: Format,
    *,
    prefilter: Prefilter | None = None,
    logs: set[LogRef] | None = None,
) -> Iterator[Record]:
    """Records of a prefixed stream, each prefix's lines grouped apart; a line without a
    prefix continues the record of the prefix before it. With a `prefilter`, only records
    holding one of its words are parsed and given back, as the plain fast path does (it
    builds records only around such words). `logs` collects every log seen."""
    wanted = None
    if prefilter is not None and not prefilter.keep_all:

        def wanted(text: str) -> bool:
            lowered = text.lower().encode()
            return prefilter.search_line(lowered, 0, len(lowered)) is not None

    builders: dict[tuple[str, str, str], RecordBuilder] = {}
    last: tuple[str, str, str] | None = None
    for number, raw in enumerate(lines, 1):
        key, text = split_prefix(raw.rstrip("\r\n"), fmt)
        key = key or last
        if key is None:  # before any prefix: nothing to tie it to
            continue
        builder = builders.get(key)
        if builder is None:
            ref = LogRef(key[0], key[1], key[2])
            builder = builders[key] = RecordBuilder(ref=ref, wanted=wanted)
            if logs is not None:
                logs.add(ref)
        last = key
        record = builder.feed(number, text)
        if record is not None:
            yield record
    for builder in builders.values():
        record = builder.flush()
        if record is not None:
            yield record


_SNIFF_BYTES = 64 * 1024


def sniff(chunks: Iterable[bytes]) -> tuple[Format, Iterator[bytes]]:
    """The format of a byte stream, and the stream again from its start."""
    stream = iter(chunks)
    head: list[bytes] = []
    size = 0
    for chunk in stream:
        head.append(chunk)
        size += len(chunk)
        if size >= _SNIFF_BYTES or chunk.count(b"\n") > _SAMPLE:
            break
    text = b"".join(head)[:_SNIFF_BYTES].decode("utf-8", "replace")
    lines = text.split("\n")
    if len(lines) > 1 and size >= _SNIFF_BYTES:
        lines.pop()  # cut mid-line
    return detect(lines), _chain(head, stream)


def _chain(head: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from head
    yield from rest
