#!/usr/bin/env python3
"""Benchmark of `kubectl triage logs` on one very large container log, run on purpose; prints
figures.

On the project's test cluster (tests/cluster: kube-apiserver + etcd + kwok) it loads the tiny
bundle (namespace shop), replaces the log of one container with a generated one of --size MB
(bench_core's mixes: sparse or alarming, in the CRI format kwok serves), then times,
interleaved in the same run, N rounds of

- ours:  kubectl-triage logs POD -c app -n shop --tail=-1 -o json
- theirs: bash -c 'kubectl logs POD -c app -n shop | grep -Eic "(error|exception|fail|warn)"'

and prints for each: wall seconds, CPU seconds of the process and its children (what the
tool itself spent: kube-apiserver and kwok, which serve the log, run on the same cores and
are not counted), and peak RSS (os.wait4's rusage; for theirs, the largest of bash, kubectl
and grep).

    python bench/bench_biglog.py [--size 1000] [--mix alarming] [--runs 3]
    python bench/bench_biglog.py --kubeconfig /tmp/other-run/kubeconfig   # a running cluster
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLUSTER = ROOT / "tests" / "cluster"
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import bench_logs  # noqa: E402
from bench_core import make_log  # noqa: E402

PATTERN = "(error|exception|fail|warn)"
NAMESPACE = "shop"
POD = "web-7c9d8f6b5d-x2x7k"
CONTAINER = "app"


def sh(cmd: list[str], env: dict[str, str] | None = None) -> str:
    return subprocess.run(cmd, env=env, check=True, text=True, capture_output=True).stdout


def bin_dir() -> str:
    return sh(["bash", str(CLUSTER / "build.sh"), "--print-bin-dir"]).strip()


def to_cri(source: Path, target: Path) -> None:
    """Each line as kwok reads a CRI log file: `<RFC 3339> stdout F <line>`; streamed, so a
    1 GB file costs no memory here. bench_core's lines open with a timestamp: it is kept."""
    with source.open("rb") as src, target.open("wb") as out:
        for line in src:
            stamp, _, rest = line.partition(b" ")
            out.write(stamp + b" stdout F " + rest)


def timed(cmd: list[str], env: dict[str, str], out: Path) -> tuple[float, float, int]:
    """bench_logs.timed (stdout to `out`, stderr beside it), refusing a failed run."""
    elapsed, cpu, rss, code = bench_logs.timed(cmd, env, out)
    if code not in (0, 1, 3):
        err = out.with_suffix(".err").read_text(errors="replace")
        raise SystemExit(f"{cmd} exited {code}: {err[-2000:]}")
    return elapsed, cpu, rss


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size", type=int, default=1000, help="log size in MB (default 1000)")
    p.add_argument("--mix", choices=("sparse", "alarming"), default="alarming")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--run", type=Path, default=Path("/tmp/kt-bench-biglog"), help="run directory")
    p.add_argument("--kubeconfig", type=Path, help="reuse the cluster of <run>/kubeconfig")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/kt-bench"))
    a = p.parse_args()
    triage = shutil.which("kubectl-triage") or sys.exit("kubectl-triage not on PATH")
    a.workdir.mkdir(parents=True, exist_ok=True)
    kubectl = str(Path(bin_dir()) / "kubectl")

    started = a.kubeconfig is None
    if started:
        run = a.run.resolve()
        if str(run).startswith("/tmp/kubectl-triage-e2e"):
            sys.exit(f"{run}: use a run directory of your own, not the tests' or a developer's")
        sh([str(CLUSTER / "up"), "--run", str(run)])
        kubeconfig = run / "kubeconfig"
    else:
        kubeconfig = a.kubeconfig.resolve()
        run = kubeconfig.parent
    env = dict(os.environ, KUBECONFIG=str(kubeconfig), KUBECACHEDIR=str(run / "kubecache"))
    try:
        sh([sys.executable, str(CLUSTER / "scenario.py"), "load",
            str(CLUSTER / "testdata" / "tiny"), "--run", str(run)], env=env)
        plain = make_log(a.workdir / f"app-{a.mix}-{a.size}MB.log", a.size,
                         alarming=a.mix == "alarming")
        served = run / "pod-logs" / NAMESPACE / POD / f"{CONTAINER}.log"
        if not served.parent.is_dir():
            sys.exit(f"{served.parent}: the loader wrote no logs there")
        to_cri(plain, served)
        print(f"== {a.size} MB {a.mix} log served as {POD}/{CONTAINER} "
              f"({served.stat().st_size / 1e6:.0f} MB CRI)")
        ours = [triage, "logs", POD, "-c", CONTAINER, "-n", NAMESPACE, "--tail=-1", "-o", "json"]
        theirs = ["bash", "-c", f"{kubectl} logs {POD} -c {CONTAINER} -n {NAMESPACE} "
                  f"| grep -Eic '{PATTERN}'"]
        figures: dict[str, list[tuple[float, float, int]]] = {"ours": [], "theirs": []}
        outs = {"ours": a.workdir / "biglog-ours.json", "theirs": a.workdir / "biglog-grep.txt"}
        for _ in range(a.runs):
            figures["ours"].append(timed(ours, env, outs["ours"]))
            figures["theirs"].append(timed(theirs, env, outs["theirs"]))
        for name, label in (("ours", "kubectl-triage logs"), ("theirs", "kubectl logs | grep")):
            rows = figures[name]
            wall = statistics.median(r[0] for r in rows)
            cpu = statistics.median(r[1] for r in rows)
            rss = max(r[2] for r in rows) / 1024
            print(f"{label:<20} wall {wall:7.1f} s  cpu {cpu:7.1f} s  "
                  f"({a.size / wall:5.1f} MB/s wall)  peak RSS {rss:5.0f} MB")
        report = json.loads(outs["ours"].read_text())
        counted = sum(f.get("count", 0) for f in report.get("findings", []))
        print(f"ours: {len(report.get('findings', []))} findings over {counted} records; "
              f"grep: {outs['theirs'].read_text().strip()} matching lines")
        ratio = statistics.median(r[0] for r in figures["theirs"]) / statistics.median(
            r[0] for r in figures["ours"])
        print(f"wall ratio (theirs / ours): {ratio:.2f}x, {a.runs} rounds interleaved, medians")
    finally:
        if started:
            subprocess.run([str(CLUSTER / "down"), "--run", str(run)], capture_output=True)


if __name__ == "__main__":
    main()
