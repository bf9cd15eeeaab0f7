"""The fast path through a log: a literal prefilter over lower-cased bytes finds the few
places worth a look, and only the records around them are grouped and parsed (records.py
does the grouping and parsing). A 100 MB log of normal traffic costs one regex pass.

Imports the standard library, `evidence` and `records`.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from itertools import accumulate

from kubectl_triage.evidence import Level, LogRef, Record
from kubectl_triage.records import (
    _LEVELS,
    _LINE_TAIL,
    _MAX_LINE,
    _Grouper,
    _Line,
    _make_record,
    _maybe_continuation,
    _to_line,
    clean_line,
    group_lines,
    parse_header,
    split_server_stamp,
)

_MAX_BACKTRACK = 400  # lines walked back from a hit to find its record's start


_ESCAPED = [re.escape(bytes([b])) for b in range(256)]


def trie_pattern(words: Iterable[bytes]) -> bytes:
    """One regex for many literals, as a trie: much faster in `re` than a flat alternation."""
    trie: dict = {}
    for word in words:
        node = trie
        for byte in word:
            node = node.setdefault(byte, {})
        node[None] = {}

    def build(node: dict) -> bytes:
        if None in node and len(node) == 1:
            return b""
        keys = sorted(k for k in node if k is not None)
        alts = [_ESCAPED[b] + build(node[b]) for b in keys]
        body = alts[0] if len(alts) == 1 else b"(?:" + b"|".join(alts) + b")"
        return b"(?:" + body + b")?" if None in node else body

    return build(trie)


class Prefilter:
    """Finds the places in lower-cased bytes where a record may matter.

    Literals that contain another literal are dropped: the shorter one already finds them.
    `quiet_words` (level words such as "err", "fail") also hit benign lines like
    `"error_count": 0` or `0 failed`; a line hit only by them, whose own level is below
    WARNING and that continues no trace, is skipped without being grouped or parsed.
    `keep_all`: some rule has no literal to look for, so no line may be skipped.
    """

    def __init__(self, literals: Iterable[str], *, quiet_words: Iterable[str] = (),
                 keep_all: bool = False, common: bytes = b"") -> None:
        self.keep_all = keep_all
        self.quiet_words = frozenset(w.lower().encode() for w in quiet_words)
        self._words = {w.lower().encode() for w in literals if w} | self.quiet_words
        loud = _minimal({w.lower().encode() for w in literals if w} - self.quiet_words)
        # The scan looks for each loud literal's tail from its rarest byte on: `re` tries a
        # full match only where the first byte fits, so rare first bytes make the pass
        # ~1.7x faster (measured on access logs), and a tail still finds every line.
        # `common`: normal traffic, lower-case; a tail found in it would hit ordinary lines
        # (`quests` of `too many requests`), so such a word is cut elsewhere or kept whole.
        self.literals = _minimal({_rare_tail(w, common) for w in loud} | self.quiet_words)
        self._regex = re.compile(trie_pattern(self.literals)) if self.literals else None
        # The same pattern for the long pass over a whole block (see block_regex); `_regex`
        # serves the short searches inside one line, where `re` costs less per call.
        self._block = block_regex(self._regex.pattern) if self._regex is not None else None
        self._loud = re.compile(trie_pattern(loud)) if loud else None
        # With RE2, one pass over a block finds every loud word in it, and a line is loud
        # when one starts inside it: cheaper than walking the line's hits with `re`.
        loud_block = block_regex(self._loud.pattern) if self._loud is not None else None
        self._loud_block = loud_block if isinstance(loud_block, _Re2Search) else None
        # Loud words that no other literal of the scan finds: each holds a level word (the
        # scan dropped its tail for that), so each is looked for where that word is hit.
        others = [w for w in self.literals if w not in self.quiet_words]
        found = re.compile(trie_pattern(others)) if others else None
        self._around = _around_words(
            [w for w in loud if found is None or not found.search(w)], self.quiet_words)

    def literals_pattern(self) -> bytes:
        """The scan's regex: a trie of its literals."""
        return trie_pattern(self.literals)

    def literals_text(self) -> list[str]:
        """The words it looks for (as given, before the scan's own rewriting)."""
        return sorted(w.decode("utf-8", "replace") for w in self._words)

    def find(self, lowered: bytes, start: int, end: int) -> tuple[int, int]:
        """Start and end of the first hit in lowered[start:end], (-1, -1) for none (a whole
        block: the fast engine; spans, not match objects, since a log whose every fifth
        line says "error":null has hundreds of thousands of hits)."""
        if isinstance(self._block, _Re2Search):
            return self._block.span(lowered, start, end)
        match = self._block.search(lowered, start, end) if self._block is not None else None
        return (-1, -1) if match is None else match.span()

    def search_line(self, lowered: bytes, start: int, end: int) -> re.Match[bytes] | None:
        """The first hit in lowered[start:end] (a line or less: `re`)."""
        return self._regex.search(lowered, start, end) if self._regex is not None else None

    def loud_starts(self, lowered: bytes, start: int, end: int) -> list[int] | None:
        """Where loud words start in lowered[start:end], in order; None without RE2 (then
        is_quiet walks each line's hits instead)."""
        if self._loud_block is None:
            return None
        starts = []
        hit = self._loud_block.first(lowered, start, end)
        while hit >= 0:
            starts.append(hit)
            hit = self._loud_block.first(lowered, hit + 1, end)
        return starts

    def is_quiet(self, hit_at: int, hit_end: int, line: bytes, lowered: bytes, start: int,
                 end: int, loud: list[int] | None = None) -> bool:
        """True when the line of the hit lowered[hit_at:hit_end] (`line` is
        lowered[start:end] before lower-casing) can be
        skipped: a low-level line whose hits are all level words, with no loud word around
        them. `loud`: where the block's loud words start (loud_starts). Without it the other
        hits of the line come from the scan's own regex: searching the whole line for loud
        words cost ~24 us a line, most of the time of a log whose every fifth line says
        "error":null."""
        if not self._quiet_word(lowered[hit_at:hit_end]) or not _low_level(line):
            return False
        if loud is not None:
            at = bisect_left(loud, start)
            return at == len(loud) or loud[at] >= end
        hit = self.search_line(lowered, hit_at, end)  # the same hit, as a match
        while hit is not None:
            if not self._quiet_word(hit.group()):
                # A loud word's tail: only the whole word makes the line loud.
                return self._loud is None or not self._loud.search(lowered, start, end)
            around = self._around.get(hit.group())
            if around is not None and around.match(lowered, hit.start(), end):
                return False
            hit = self.search_line(lowered, hit.start() + 1, end)
        return True

    def _quiet_word(self, word: bytes) -> bool:
        return word in self.quiet_words or any(word.startswith(w) for w in self.quiet_words)


MATCHER_ENV = "KUBECTL_TRIAGE_MATCHER"


def block_regex(pattern: bytes) -> re.Pattern[bytes] | _Re2Search:
    """`pattern` for one pass over a whole block: by RE2 (google-re2, the `fast` extra) when
    it is installed, ~10x faster than `re` on the scan's trie of literals (a DFA, not one
    try per candidate byte), else by `re`. KUBECTL_TRIAGE_MATCHER=re forces `re`."""
    if os.environ.get(MATCHER_ENV, "") != "re":
        try:
            return _Re2Search(pattern)
        except (ImportError, ValueError):
            pass  # not installed, or a pattern RE2 does not take: `re` takes every one here
    return re.compile(pattern)


class _Re2Search:
    """A block regex run by RE2, answering spans: google-re2's own match object costs ~10 us
    a hit in its Python layer, and a log whose every fifth line says "error":null has
    hundreds of thousands of hits. RE2 and `re` take the same syntax here (literals,
    non-capturing groups, `?`) and pick the same alternative at a position (leftmost-first),
    so they find the same hits (tests/test_records.py compares them)."""

    def __init__(self, pattern: bytes) -> None:
        import re2  # type: ignore[import-not-found]

        self.pattern = pattern
        try:
            compiled = re2.compile(pattern)
        except re2.error as e:
            raise ValueError(str(e)) from None
        # The layer under google-re2's Python API (one call, a tuple of spans back); the
        # public search() when a release no longer has it.
        raw = getattr(compiled, "_regexp", None)
        self._anchor = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
        self._raw = raw if self._anchor is not None and hasattr(raw, "Match") else None
        self._compiled = compiled

    def span(self, text: bytes, pos: int, end: int) -> tuple[int, int]:
        """Start and end of the first hit in text[pos:end]; (-1, -1) for none."""
        if self._raw is not None:
            return self._raw.Match(self._anchor, text, pos, end)[0]
        m = self._compiled.search(text, pos, end)
        return (-1, -1) if m is None else m.span()

    def first(self, text: bytes, pos: int, end: int) -> int:
        """Where the first hit in text[pos:end] starts; -1 for none."""
        return self.span(text, pos, end)[0]

    def __reduce__(self):  # sent to the processes of split.py
        return (_Re2Search, (self.pattern,))


def matcher_name() -> str:
    """Which engine block_regex uses: "re2" or "re"."""
    return "re2" if isinstance(block_regex(b"x"), _Re2Search) else "re"


def _around_words(words: Iterable[bytes], quiet: Iterable[bytes]) -> dict[bytes, re.Pattern]:
    """For each quiet word, one pattern that matches at its hit when one of `words` holds
    it there: `sslerror` is `(?<=ssl)error` at a hit of "error" (a look-behind of fixed
    width per word, so one anchored match replaces a search of the line)."""
    forms: dict[bytes, set[bytes]] = {}
    for word in words:
        for q in quiet:
            at = word.find(q)
            while at >= 0:
                behind = b"(?<=" + re.escape(word[:at]) + b")" if at else b""
                forms.setdefault(q, set()).add(behind + re.escape(word[at:]))
                at = word.find(q, at + 1)
    return {q: re.compile(b"|".join(sorted(f))) for q, f in forms.items()}


def _low_level(line: bytes) -> bool:
    """The line is below WARNING and continues no trace."""
    # the common case, decided on bytes; a line without one of its words (an ERROR line)
    # cannot match, and the lazy try at each of 80 places cost ~4 us
    low = _LOW_LEVEL.match(line) if _may_be_low(line) else None
    if low and not (_LOUD_HINT.search(line, 0, low.end())
                    and _LOUD_LEVEL.search(line, 0, low.end())):
        return True
    text = clean_line(split_server_stamp(line.decode("utf-8", "replace"))[1])
    if _maybe_continuation(text) or text.startswith(("Traceback", "panic:")):
        return False
    return Level.UNKNOWN < quick_level(text) < Level.WARNING


# Bytes by how common they are in lower-cased logs, most common first (measured on access,
# JSON and logrus lines); bytes not listed count as rare.
_COMMON = b' 0e12t:ao"3i4s5n6r789-.l/dcpu=_hmgf,kyw'
_TAIL_MIN = 5  # `fused` of `refused`: five bytes from a rare one still hit few lines
_HOT = 20  # rarity of the 20 most common bytes and up: space, 0, e, 1, 2, t, … s, n, r


def _rare_tail(word: bytes, common: bytes = b"") -> bytes:
    """The word from its rarest byte on, skipping tails that normal traffic holds, but
    never from one of the most common bytes (a space): `re` would try the trie at each."""
    if len(word) <= _TAIL_MIN:
        return word
    starts = sorted(range(len(word) - _TAIL_MIN + 1), key=lambda i: _rarity(word[i]))
    usable = [i for i in starts if _rarity(word[i]) < _HOT] or starts
    return next((word[i:] for i in usable if word[i:] not in common), word[usable[0]:])


def _rarity(byte: int) -> int:
    """Lower is rarer."""
    index = _COMMON.find(bytes([byte]))
    return -1 if index < 0 else len(_COMMON) - index


# A line that opens (after an optional server timestamp) with an INFO/DEBUG level marker;
# pino and bunyan write numeric levels (10 trace, 20 debug, 30 info).
_LOW_LEVEL = re.compile(
    rb"(?:\d{4}-\d\d-\d\dT[\d:.]+Z )?[^ \t\n][^\n]{0,80}?(?:\b(?:INFO|DEBUG)\b"
    rb'|"(?:level|severity)": ?"(?:info|debug)"|\blevel=(?:info|debug)\b'
    rb'|"level": ?[123]0\b)'
)


def _may_be_low(line: bytes) -> bool:
    """Holds whenever _LOW_LEVEL matches: the line has one of its level words."""
    return b"INFO" in line or b"DEBUG" in line or b"level" in line or b"severity" in line


# A louder level word before the INFO/DEBUG one: "ERROR worker INFO queue stalled" is an
# ERROR line that mentions INFO, not an INFO line.
_LOUD_LEVEL = re.compile(
    rb"\b(?:ERROR|ERRO|ERR|WARN|WARNING|FATAL|CRIT|CRITICAL|SEVERE|PANIC|EMERG|ALERT)\b"
    rb'|"(?:level|severity)": ?"(?:error|warn|warning|fatal|critical)"|\blevel=(?:error|warn)'
)


# Holds whenever _LOUD_LEVEL matches (its words without the \b around them): a literal
# alternation `re` skips through ~3x faster than _LOUD_LEVEL, so most lines pay only this.
_LOUD_HINT = re.compile(
    rb'ERR|WARN|FATAL|CRIT|SEVERE|PANIC|EMERG|ALERT|": ?"(?:error|warn|fatal|crit)'
    rb"|level=(?:error|warn)"
)


def _minimal(words: set[bytes]) -> tuple[bytes, ...]:
    """The words that hold no other word, shortest first. One `find` pass of each word over
    all of them joined: comparing every pair cost ~0.4 s for the ~800 derived literals."""
    ordered = sorted((w for w in words if w), key=len)
    joined = b"\0".join(ordered)
    starts = list(accumulate((len(w) + 1 for w in ordered), initial=0))
    held: set[int] = set()
    for index, word in enumerate(ordered):
        pos = joined.find(word)
        while pos >= 0:
            owner = bisect_right(starts, pos) - 1
            if owner != index and pos + len(word) < starts[owner + 1]:
                held.add(owner)
            pos = joined.find(word, pos + 1)
    return tuple(w for i, w in enumerate(ordered) if i not in held)


_JSON_LEVEL = re.compile(r'"(?:level|severity|lvl|levelname|log\.level)"\s*:\s*"(\w+)"')


def quick_level(line: str) -> Level:
    """A line's level without parsing JSON: for deciding whether to look closer."""
    if line.lstrip().startswith("{"):
        m = _JSON_LEVEL.search(line)
        return _LEVELS.get(m.group(1).lower(), Level.UNKNOWN) if m else Level.UNKNOWN
    return parse_header(line).level


BLOCK = 1 << 20  # bytes read at a time: large enough for one regex pass to dominate
_TAIL = 1 << 16  # bytes kept from one block to the next, for walking back into a trace
_MAX_BLOCK_LINE = 1 << 23  # a "line" longer than this is cut into pieces of this size
_LONG_LINE = 1 << 16
# What records.cut_line keeps of a long line, in characters; as bytes of UTF-8 that is at
# most four times as many (plus a server timestamp), so that much is scanned.
_HEAD_BYTES = 4 * (_MAX_LINE - _LINE_TAIL) + 64
_TAIL_BYTES = 4 * _LINE_TAIL


def iter_records(chunks: Iterable[bytes], *, ref: LogRef | None = None,
                 prefilter: Prefilter | None = None, first_line: int = 1) -> Iterator[Record]:
    """Records of a byte stream; with a prefilter, only those around its hits."""
    if prefilter is None or prefilter.keep_all:
        yield from group_lines(decoded_lines(chunks), ref=ref, first_number=first_line)
        return
    scanner = _Scanner(prefilter, ref)
    scanner.base_line = first_line
    buf = b""
    pending: list[bytes] = []
    size = 0
    for chunk in chunks:
        pending.append(chunk)
        size += len(chunk)
        # Scan once a block of new bytes has come: a line with no end yet is carried,
        # and joining on every small chunk would copy a long line quadratically often.
        if size < BLOCK:
            continue
        buf = b"".join([buf, *pending])
        pending, size = [], 0
        buf = yield from scanner.scan(buf, final=False)
    yield from scanner.scan(b"".join([buf, *pending]), final=True)


def decoded_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    rest = b""
    for chunk in chunks:
        rest += chunk
        *lines, rest = rest.split(b"\n")
        for line in lines:
            yield line.decode("utf-8", "replace")
    if rest:
        yield rest.decode("utf-8", "replace")


class _Scanner:
    def __init__(self, prefilter: Prefilter, ref: LogRef | None) -> None:
        self.prefilter = prefilter
        self.ref = ref
        self.base_line = 1  # line number of buf[0]
        self.scan_from = 0  # hits before this offset of buf were handled
        self.floor = 0  # the next hit is searched from here (past what was decided)

    def scan(self, buf: bytes, *, final: bool):  # generator returning the carried bytes
        end = len(buf) if final else buf.rfind(b"\n") + 1
        if end == 0:
            if len(buf) < _MAX_BLOCK_LINE:
                return buf
            end = len(buf)
        lowered = buf[:end].lower()
        done = self.scan_from  # records end here or later
        counter = _LineCounter(buf, self.base_line)
        carry_from = None
        quiet_until = 0  # the rest of a quiet line: its other level words are quiet too
        # from the start of the line the first hit may be in: a quiet line's loud word may
        # stand before that hit
        loud = self.prefilter.loud_starts(lowered, lowered.rfind(b"\n", 0, self.scan_from) + 1,
                                          end)
        self.floor = done
        for pos, hit_end in self._hits(buf, lowered, end):
            if pos < done or pos < quiet_until:
                continue
            line_start = buf.rfind(b"\n", 0, pos) + 1
            line_end = buf.find(b"\n", pos, end)
            line_end = end if line_end < 0 else line_end
            # A very long line is grouped at once (the record then covers its other
            # hits): asking of each hit whether it is quiet would read the line each time.
            if line_end - line_start <= _LONG_LINE and self.prefilter.is_quiet(
                    pos, hit_end, buf[line_start:line_end], lowered, line_start, line_end,
                    loud):
                # Not `done`: the lines below may continue this line's record, and a loud
                # hit there must walk back over it to group the record as the full path does.
                quiet_until = self.floor = line_end
                continue
            start = self._walk_back(buf, line_start, floor=done)
            closed = yield from self._forward(buf, start, pos, end=end, final=final,
                                              counter=counter)
            if closed is None:
                carry_from = start
                break
            done = self.floor = closed
        keep = carry_from if carry_from is not None else max(done, end - _TAIL, 0)
        if carry_from is None:
            keep = buf.find(b"\n", keep - 1) + 1 if keep > 0 else 0
        self.base_line = counter.number_at(keep)
        self.scan_from = (end - keep) if carry_from is None else 0
        return buf[keep:]

    def _hits(self, buf: bytes, lowered: bytes, end: int) -> Iterator[tuple[int, int]]:
        """Prefilter hits from scan_from to end, leaving out the middle of very long lines:
        records.py keeps only a long line's head and tail, so nothing in between can name a
        failure, and a 50 MB base64 payload would cost the literal scan seconds."""
        # A search per hit from `self.floor` on, not one finditer: when a line turns out
        # quiet or a record is grouped, the scan jumps past them instead of walking every
        # other hit inside ("error":null, "errors":0 and "failed":0 on one line are three).
        for seg_start, seg_end in _without_long_middles(buf, self.scan_from, end):
            pos = seg_start
            find = self.prefilter.find
            while True:
                hit = find(lowered, max(pos, self.floor), seg_end)
                if hit[0] < 0:
                    break
                yield hit
                pos = hit[1]

    def _walk_back(self, buf: bytes, start: int, *, floor: int) -> int:
        for _ in range(_MAX_BACKTRACK):
            if start <= floor or start == 0:
                return max(start, floor)
            line = _to_line(0, _line_at(buf, start)).text
            if not _maybe_continuation(line):
                return start
            start = buf.rfind(b"\n", 0, start - 1) + 1
        return start

    def _forward(self, buf: bytes, start: int, pos: int, *, end: int, final: bool,
                 counter: _LineCounter):
        """Group records from `start`; emit the one that holds `pos`. Returns where it ends,
        or None when the block ends inside it (the caller carries it to the next block)."""
        grouper = _Grouper()
        current: list[_Line] = []
        offset = start
        while offset < end:
            nl = buf.find(b"\n", offset, end)
            stop = end if nl < 0 else nl + 1
            raw = buf[offset:stop].decode("utf-8", "replace").rstrip("\r\n")
            line = _to_line(counter.number_at(offset), raw)
            if current and grouper.continues(line.text, size=len(current)):
                current.append(line)
            elif offset > pos and current:
                yield _make_record(current, self.ref)
                return offset
            else:
                current = [line] if line.text else []
                grouper.starts(line.text)
            offset = stop
        if not final:
            return None
        if current:
            yield _make_record(current, self.ref)
        return end


def _without_long_middles(buf: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) as spans that skip each long line's middle. Cheap when there is none:
    one find() per half window shows every window holds a newline."""
    spans = []
    pos = start
    probe = start
    half = _LONG_LINE // 2
    while probe < end:
        if buf.find(b"\n", probe, min(probe + _LONG_LINE, end)) >= 0 or end - probe < _LONG_LINE:
            probe += half
            continue
        line_start = buf.rfind(b"\n", 0, probe) + 1
        line_end = buf.find(b"\n", probe, end)
        line_end = end if line_end < 0 else line_end
        head_end = line_start + _HEAD_BYTES
        tail_start = line_end - _TAIL_BYTES
        if head_end < tail_start:
            spans.append((pos, max(pos, head_end)))
            pos = max(pos, tail_start)
        probe = line_end + 1
    spans.append((pos, end))
    return [(a, b) for a, b in spans if a < b]


def _line_at(buf: bytes, start: int) -> str:
    nl = buf.find(b"\n", start)
    return buf[start:nl if nl >= 0 else len(buf)].decode("utf-8", "replace").rstrip("\r")


class _LineCounter:
    """Line numbers of offsets, counted incrementally (offsets mostly grow)."""

    def __init__(self, buf: bytes, base: int) -> None:
        self.buf, self.offset, self.number = buf, 0, base

    def number_at(self, offset: int) -> int:
        if offset >= self.offset:
            self.number += self.buf.count(b"\n", self.offset, offset)
        else:
            self.number -= self.buf.count(b"\n", offset, self.offset)
        self.offset = offset
        return self.number
