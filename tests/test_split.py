"""A big file scanned by several processes gives exactly the records of one process."""

from __future__ import annotations

import random

from kubectl_triage.scan import Prefilter
from kubectl_triage.split import plan, scan_file

TRACE = [
    "ERROR:    Exception in ASGI application",
    "Traceback (most recent call last):",
    '  File "/app/main.py", line 12, in handler',
    "    return worker.skills",
    "AttributeError: 'Worker' object has no attribute 'skills'",
]


def _log(path, lines: int) -> None:
    rng = random.Random(3)
    out = []
    for i in range(lines):
        if rng.random() < 0.02:
            out.extend(f"2026-11-27T22:00:{i % 60:02d}.000000000Z {t}" for t in TRACE)
        else:
            out.append(f'2026-11-27T22:00:{i % 60:02d}.000000000Z INFO "GET /x/{i}" 200 OK')
    path.write_text("\n".join(out) + "\n")


def test_segments_never_cut_a_stack_trace(tmp_path):
    log = tmp_path / "app.log"
    _log(log, 40_000)
    segments = plan(log, jobs=4, min_segment=1 << 16)
    assert len(segments) == 4
    data = log.read_bytes()
    for start, _, _ in segments[1:]:
        text = data[start:data.find(b"\n", start)].split(b"Z ", 1)[1]
        assert not text.startswith((b" ", b"Traceback", b"AttributeError")), text


def test_parallel_scan_equals_single_process_scan(tmp_path):
    log = tmp_path / "app.log"
    _log(log, 40_000)
    prefilter = Prefilter(["object has no attribute"], quiet_words=["err"])
    one = list(scan_file(log, prefilter=prefilter, jobs=1))
    four = list(scan_file(log, prefilter=prefilter, jobs=4, min_segment=1 << 16))
    assert len(one) > 100
    assert [(r.line, r.text) for r in four] == [(r.line, r.text) for r in one]
    assert all(r.text.endswith("'skills'") and r.text.count("\n") == 4 for r in one)


def test_segment_processes_send_back_only_what_the_tally_counts(tmp_path):
    """A fifth of the lines carry empty error fields at INFO: the report is the same as one
    process's, and no INFO record makes the trip back from a segment's process."""
    from kubectl_triage.rules.engine import RuleSet, Tally
    from kubectl_triage.rules.load import builtin_rules

    log = tmp_path / "app.log"
    _log(log, 20_000)
    with log.open("a") as f:
        for i in range(8_000):
            f.write(f'{{"level":30,"msg":"request completed","err":null,"errors":0,"n":{i}}}\n'
                    f'time="2026-11-27T22:41:00Z" level=info msg="job done" err="<nil>"\n')
    ruleset = RuleSet(builtin_rules())
    single = Tally(ruleset)
    single.add_all(scan_file(log, prefilter=ruleset.prefilter, jobs=1))
    parallel = Tally(ruleset)
    sent = list(scan_file(log, prefilter=ruleset.prefilter, jobs=4, min_segment=1 << 16,
                          keep=parallel.keeps))
    parallel.add_all(sent)
    assert [(f.rule, f.count) for f in parallel.findings()] == [
        (f.rule, f.count) for f in single.findings()]
    assert sent and all(parallel.keeps(r) for r in sent)
    assert not any('"level":30' in r.text for r in sent)
