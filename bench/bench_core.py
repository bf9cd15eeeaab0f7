#!/usr/bin/env python3
"""Benchmarks of the core, run on purpose (never in the test suite); prints figures.

- start-up: `kubectl-triage --help` beside `kubectl --help` (median of N runs each);
- analyze throughput on generated logs (mostly normal lines, a few failures per thousand;
  the `alarming` mix adds a fifth of lines with empty error fields: "error":null, errors=0)
  beside `grep -Eic "(error|exception|fail|warn)"` on the same file, in the same run;
- peak RSS of analyze on a 100 MB and a 1 GB input (os.wait4's rusage of that child).

    python bench/bench_core.py [--runs 5] [--sizes 100,1000] [--workdir /tmp/kt-bench]

Run interleaved (ours, theirs, ours, theirs, ...) so that noise on this shared machine hits
both alike; compare the ratio, quote the median. Measure a regular install (`pip install .`
into a venv): an editable install adds its import finder (~10 ms) to every start-up. The
kubectl compared is $KUBECTL, else the one tests/cluster/build.sh built.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MATCHER_ENV = "KUBECTL_TRIAGE_MATCHER"  # kubectl_triage.scan.MATCHER_ENV

NORMAL = [
    'INFO:     10.244.{a}.{b}:{port} - "GET /tasks/{n} HTTP/1.1" 200 OK',
    'INFO:     10.244.{a}.{b}:{port} - "POST /tasks HTTP/1.1" 201 Created',
    '{{"time":"2026-11-27T22:41:{s:02d}Z","level":"info","msg":"task updated","task_id":{n},'
    '"request_id":"6f1c2a0e-{n:04d}"}}',
    'time="2026-11-27T22:41:{s:02d}Z" level=info msg="HTTP API Called" method="POST '
    '/v1.0/publish/pubsub/task-events" app_id=taskflow-api scope=dapr.runtime.http-info',
    "2026-11-27 22:41:{s:02d},123 INFO [worker] processed batch {n}: 25 ok",
    "INFO health check ok ({n} ms)",
]
# Lines that merely contain an alarming word (2 in 100 lines).
BENIGN = [
    '{{"time":"2026-11-27T22:41:{s:02d}Z","level":"info","msg":"stats","error_count":0}}',
    "2026-11-27 22:41:{s:02d},123 INFO [worker] processed batch {n}: 25 ok, 0 failed",
    "INFO failover completed in {n} ms",
]
# Structured logs that carry an empty error field on every line (zap, pino, logrus, slog):
# the "alarming" mix has one of these in five lines.
ALARMING = [
    '{{"level":"info","ts":1764283263.{n},"caller":"server/handler.go:88","msg":"request '
    'served","status":200,"error":null,"latency":"{n}us"}}',
    '{{"level":30,"time":1764283263{n},"pid":7,"hostname":"web-{a}","msg":"request completed",'
    '"errors":0,"err":null,"responseTime":{n}}}',
    'time="2026-11-27T22:41:{s:02d}Z" level=info msg="job done" job={n} err="<nil>" retries=0',
    'time=2026-11-27T22:41:{s:02d}Z level=INFO msg="sync finished" errors=0 failed=0 '
    'error_rate=0.000',
    '{{"severity":"INFO","message":"batch {n} ok","error":"","exception":null,"failures":[]}}',
]
FAILURES = [
    "ERROR:    Exception in ASGI application\nTraceback (most recent call last):\n"
    '  File "/app/api/workers.py", line 42, in list_workers\n    return [w.skills for w in ws]\n'
    "AttributeError: 'Worker' object has no attribute 'skills'",
    'time="2026-11-27T22:41:{s:02d}Z" level=error msg="error invoking app: connection refused"'
    " app_id=taskflow-api scope=dapr.runtime.direct_messaging",
    "httpx.HTTPStatusError: Client error '404 Not Found' for url "
    "'http://localhost:3500/v1.0/invoke/notification-service/method/api/notify'",
    "sqlalchemy.exc.MissingGreenlet: greenlet_spawn has not been called; can't call "
    "await_only() here. Was IO attempted in an unexpected place?",
]


# `kubectl logs --prefix` of four containers (the prefixed mix)
PREFIXES = tuple(f"[pod/taskflow-api-7c9d8f6b5-{p}/{c}] " for p in ("q8z4m", "x2x7k")
                 for c in ("api", "daprd"))


def make_log(path: Path, megabytes: int, *, alarming: bool = False,
             prefixed: bool = False) -> Path:
    """Mostly normal traffic, 3 failures in 1,000 lines; `alarming`: one line in five also
    carries an empty error field, as structured loggers write on every line; `prefixed`:
    each entry (all its lines) behind a `kubectl logs --prefix` prefix of one of four
    containers, as `analyze` reads them apart."""
    if path.exists() and path.stat().st_size >= megabytes * 1_000_000:
        return path
    rng = random.Random(7)
    target = megabytes * 1_000_000
    with path.open("w") as out:
        written = 0
        while written < target:
            lines = []
            for _ in range(2000):
                fields = dict(
                    a=rng.randrange(9),
                    b=rng.randrange(250),
                    port=rng.randrange(30000, 60000),
                    n=rng.randrange(10000),
                    s=rng.randrange(60),
                )
                roll = rng.random()
                pool = FAILURES if roll < 0.003 else BENIGN if roll < 0.02 else NORMAL
                if alarming and 0.02 <= roll < 0.22:
                    pool = ALARMING
                entry = "2026-11-27T22:41:03.120458000Z " + rng.choice(pool).format(**fields)
                if prefixed:
                    prefix = rng.choice(PREFIXES)
                    entry = "\n".join(prefix + line for line in entry.split("\n"))
                lines.append(entry)
            block = "\n".join(lines) + "\n"
            out.write(block)
            written += len(block)
    return path


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run of cmd."""
    # Not DEVNULL: GNU grep stops at the first match when its output is /dev/null.
    with tempfile.TemporaryFile() as stdout:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1, 3):
        raise SystemExit(f"{cmd} failed: {status}")
    return elapsed, usage.ru_maxrss


def side_by_side(ours: list[str], theirs: list[str], runs: int) -> tuple[list, list]:
    a, b = [], []
    for _ in range(runs):
        a.append(timed(ours))
        b.append(timed(theirs))
    return a, b


def _pinned_kubectl() -> str | None:
    """The kubectl the test cluster's build made (a real one, of the pinned version)."""
    build = Path(__file__).resolve().parent.parent / "tests" / "cluster" / "build.sh"
    try:
        out = subprocess.run(["bash", str(build), "--print-bin-dir"], capture_output=True,
                             text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    candidate = Path(out) / "kubectl"
    return str(candidate) if candidate.is_file() else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="100,1000", help="log sizes in MB")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/kubectl-triage-bench"))
    parser.add_argument("--mixes", default="sparse,alarming",
                        help="sparse: 2%% alarming-looking lines; alarming: 22%%; "
                        "prefixed: sparse behind kubectl --prefix prefixes")
    parser.add_argument("--engines", default="re2,re",
                        help="scan engines to compare (KUBECTL_TRIAGE_MATCHER): re2 (the "
                        "`fast` extra's google-re2, when installed), re (the standard library)")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    triage = shutil.which("kubectl-triage") or sys.exit("kubectl-triage not on PATH")
    kubectl = os.environ.get("KUBECTL") or _pinned_kubectl() or shutil.which("kubectl")

    print("== start-up (median wall seconds)")
    if kubectl:
        ours, theirs = side_by_side([triage, "--help"], [kubectl, "--help"], args.runs * 2)
        a, b = statistics.median(t for t, _ in ours), statistics.median(t for t, _ in theirs)
        print(f"kubectl-triage --help {a:.3f}s   {kubectl} --help {b:.3f}s   ratio {a / b:.2f}x")
    else:
        print("kubectl not on PATH: start-up comparison skipped")

    engines = args.engines.split(",")
    for engine in engines:
        print(f"scan engine {engine}: {_engine_in_use(triage, engine)}")
    for size, mix in ((int(s), m) for s in args.sizes.split(",") for m in args.mixes.split(",")):
        log = make_log(args.workdir / f"app-{mix}-{size}MB.log", size,
                       alarming=mix == "alarming", prefixed=mix == "prefixed")
        mb = log.stat().st_size / 1e6
        runs = args.runs if size <= 200 else 1
        for engine in engines:
            os.environ[MATCHER_ENV] = engine  # the child inherits it
            ours, theirs = side_by_side(
                [triage, "analyze", str(log), "-o", "json"],
                ["grep", "-Eic", "(error|exception|fail|warn)", str(log)],
                runs,
            )
            a, b = statistics.median(t for t, _ in ours), statistics.median(t for t, _ in theirs)
            rss = max(r for _, r in ours) / 1024
            print(f"== analyze {mb:.0f} MB, {mix} mix, engine {engine} ({runs} run(s), median)")
            print(f"kubectl-triage analyze {a:.2f}s = {mb / a:.1f} MB/s, peak RSS {rss:.0f} MB")
            print(f"grep -Eic              {b:.2f}s = {mb / b:.1f} MB/s   (ratio {a / b:.1f}x)")
        os.environ.pop(MATCHER_ENV, None)


def _engine_in_use(triage: str, engine: str) -> str:
    """What the scan of that install really uses when asked for `engine` (RE2 falls back
    to `re` where google-re2 is not installed)."""
    python = Path(triage).parent / "python"
    code = "from kubectl_triage.scan import matcher_name; print(matcher_name())"
    try:
        return subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                              env={**os.environ, MATCHER_ENV: engine}, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no python beside kubectl-triage)"


if __name__ == "__main__":
    main()
