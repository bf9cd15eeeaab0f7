#!/usr/bin/env python3
"""Benchmark of `checklist` beside `summary` on a many-service namespace, run on purpose
(never in the test suite); prints figures.

The namespace is the test cluster's scale bundle (tests/cluster/scenario.py
write_scale_bundle: N deployments x 2 pods, each pod an app and a daprd sidecar, each with a
log), plus one Service per deployment and a manifest, read as a bundle: no cluster needed.
Issue 14's goal: `checklist` within 2x of `summary`. Before One Evidence per run, checklist
listed the pods, Services and Subscriptions once per Dapr app and read every daprd log twice,
so its cost grew with the square of the number of services.

    python bench/bench_checklist.py [--deployments 200] [--runs 3] [--workdir /tmp/kt-bench-cl]
    python bench/bench_checklist.py --pythonpath /work/main     # time another checkout
    python bench/bench_checklist.py --latency-ms 20             # as if each request took 20 ms

Each command runs as `python -m kubectl_triage --bundle DIR -n scale CMD -o json` in a child
process, interleaved (summary, checklist, summary, ...) so that noise on a shared machine hits
both alike; the figures are medians of wall time. Reading a bundle costs no round trip, so
repeated requests hardly show; --latency-ms puts the bundle behind a Source that waits
before each list, log and probe answer, as a live API server would (log reads still run
--max-requests at a time).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "cluster"))

from scenario import write_scale_bundle  # noqa: E402

NAMESPACE = "scale"


def build(out: Path, *, deployments: int, log_lines: int) -> Path:
    """The scale bundle, its Services and a manifest (so that `now` is the bundle's time)."""
    marker = out / f".built-{deployments}-{log_lines}"
    if marker.exists():
        return out
    write_scale_bundle(out, namespace=NAMESPACE, deployments=deployments, log_lines=log_lines)
    _own_uids(out / NAMESPACE)
    services = [
        {
            "metadata": {"name": f"svc-{i:03d}", "namespace": NAMESPACE},
            "spec": {
                "selector": {"app": f"svc-{i:03d}"},
                "ports": [{"port": 80, "targetPort": 8000}],
            },
        }
        for i in range(deployments)
    ]
    (out / NAMESPACE / "services.json").write_text(
        json.dumps({"kind": "ServiceList", "apiVersion": "v1", "items": services})
    )
    manifest = {
        "apiVersion": "triage/v1",
        "kind": "Bundle",
        "createdAt": "2026-11-28T11:00:00Z",
        "context": "bench",
        "namespaces": [NAMESPACE],
        "gaps": [],
    }
    (out / "triage-bundle.json").write_text(json.dumps(manifest))
    marker.touch()
    return out


def _own_uids(folder: Path) -> None:
    """The scale bundle gives every owner uid "0" (the loader lets the API server assign
    them); as a bundle read directly, each object gets its own, so pods roll up right."""
    for kind in ("deployments", "replicasets", "pods"):
        path = folder / f"{kind}.json"
        data = json.loads(path.read_text())
        for item in data["items"]:
            meta = item["metadata"]
            meta["uid"] = f"{kind}/{meta['name']}"
            for ref in meta.get("ownerReferences") or []:
                ref["uid"] = f"{ref['kind'].lower()}s/{ref['name']}"
        path.write_text(json.dumps(data))


# Run in the child when --latency-ms is given: the bundle behind a Source that waits as an
# API server would before each answer, so that the number of requests shows in the time.
_SLOW = """
import sys, time
from kubectl_triage import cli
from kubectl_triage.bundle import BundleSource

class Slow:
    def __init__(self, inner, delay):
        self.inner, self.delay, self.context = inner, delay, inner.context
    def _wait(self):
        time.sleep(self.delay)
    def list(self, *a, **k):
        self._wait(); return self.inner.list(*a, **k)
    def log(self, *a, **k):
        self._wait(); return self.inner.log(*a, **k)
    def http_get(self, *a, **k):
        self._wait(); return self.inner.http_get(*a, **k)
    def __getattr__(self, name):
        return getattr(self.inner, name)

source = Slow(BundleSource(__import__("pathlib").Path(sys.argv[1])), float(sys.argv[2]) / 1000)
cli._source = lambda: source
cli.main(sys.argv[3:])
"""


def timed(command: str, bundle: Path, pythonpath: str, *, latency_ms: float = 0) -> float:
    argv = [sys.executable, "-m", "kubectl_triage", "--bundle", str(bundle), "-n", NAMESPACE,
            command, "-o", "json"]
    if latency_ms:
        argv = [sys.executable, "-c", _SLOW, str(bundle), str(latency_ms), *argv[3:]]
    env = {**os.environ, "PYTHONPATH": pythonpath}
    start = time.perf_counter()
    # cwd: `python -m` and `-c` put the working directory first on sys.path, before
    # PYTHONPATH; run from the checkout timed, or another checkout's package would load
    done = subprocess.run(argv, env=env, cwd=pythonpath, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 3):
        raise SystemExit(f"{command} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deployments", type=int, default=200)
    parser.add_argument("--log-lines", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/kt-bench-checklist")
    parser.add_argument("--pythonpath", default=str(ROOT), help="the checkout to time")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0,
        help="wait this long before each list, log and probe answer, as an API server would",
    )
    args = parser.parse_args()
    bundle = build(
        Path(args.workdir) / f"scale-{args.deployments}",
        deployments=args.deployments,
        log_lines=args.log_lines,
    )
    times: dict[str, list[float]] = {"summary": [], "checklist": []}
    for _ in range(args.runs):
        for command in times:
            times[command].append(
                timed(command, bundle, args.pythonpath, latency_ms=args.latency_ms)
            )
    summary, checklist = (statistics.median(times[c]) for c in ("summary", "checklist"))
    pods = args.deployments * 2
    print(f"checkout {args.pythonpath}; {args.deployments} deployments, {pods} pods, "
          f"{pods * 2} logs of {args.log_lines} lines; {args.latency_ms:g} ms a request; "
          f"median of {args.runs} run(s)")
    print(f"summary    {summary:7.2f} s   {times['summary']}")
    print(f"checklist  {checklist:7.2f} s   {times['checklist']}")
    print(f"checklist / summary = {checklist / summary:.2f} (goal: <= 2)")


if __name__ == "__main__":
    main()
