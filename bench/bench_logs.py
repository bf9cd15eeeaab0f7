#!/usr/bin/env python3
"""Benchmark of `kubectl triage logs` on the scale scenario, run on purpose; prints figures.

On the project's test cluster (tests/cluster: kube-apiserver + etcd + kwok), with the scale
bundle loaded (100 deployments x 2 pods x containers app + daprd = 400 logs of --log-lines lines,
every 50th an ERROR), it times, interleaved in the same run, N rounds (order rotated each round):

- ours:    kubectl-triage logs -l app -n scale -o json --tail=-1
- loop:    bash: kubectl get pods (once), then for each of the 400 containers, sequentially,
           kubectl logs POD -c C --tail=-1 | grep -Eic "(error|exception|fail|warn)"
- stern:   stern -l app -n scale --no-follow --since 87600h --max-log-requests 20 > file

and prints medians, ratios (target of issue 3, item 7: >= 5x faster than the loop and no slower
than stern), the peak RSS of ours (os.wait4's rusage) and what each one read: log requests and
distinct containers seen in the apiserver's audit log, error/matching lines, lines.

    python bench/bench_logs.py [--runs 5] [--log-lines 3000] [--run /tmp/kt-bench-logs]
    python bench/bench_logs.py --kubeconfig /tmp/other-run/kubeconfig   # reuse a running cluster

It builds stern with `tests/cluster/build.sh --with-stern` (cached beside the cluster's binaries),
starts a cluster in --run (stopped at the end unless --keep) unless --kubeconfig names one, and
writes the bundle and the outputs in --workdir.

Two things to know when reading the figures:
- kwok writes container statuses without a containerID; stern skips such containers, so the
  benchmark writes one into each status first (give_container_ids). kubectl and ours ignore it.
- stern v1.33.0 keeps client-go's default client-side rate limit (5 requests/s, burst 10) and
  has no flag for it: 400 log requests take at least (400 - 10) / 5 = 78 s, whatever the logs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
CLUSTER = ROOT / "tests" / "cluster"
PATTERN = "(error|exception|fail|warn)"
MATCH = re.compile(PATTERN.encode(), re.IGNORECASE)


def sh(cmd: list[str], env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, check=True, text=True, capture_output=True, **kw)


def read_env(run: Path, kubeconfig: Path, bin_dir: str) -> dict[str, str]:
    """The cluster's env.sh (KUBECONFIG, pinned kubectl first on PATH, KUBECACHEDIR)."""
    env = dict(os.environ)
    env.update(
        KUBECONFIG=str(kubeconfig),
        PATH=f"{bin_dir}:{os.environ.get('PATH', '')}",
        KUBECACHEDIR=str(run / "kubecache"),
    )
    env_sh = run / "env.sh"
    if env_sh.exists():
        for line in env_sh.read_text().splitlines():
            m = re.match(r'export (\w+)="(.*)"$', line)
            if m:
                env[m.group(1)] = m.group(2)
    env.pop("NO_COLOR", None)
    return env


def wait_running(env: dict[str, str], ns: str, want: int, timeout: float = 180) -> int:
    deadline = time.monotonic() + timeout
    running = 0
    while time.monotonic() < deadline:
        out = sh(["kubectl", "get", "pods", "-n", ns, "-o", "json"], env).stdout
        running = sum(1 for p in json.loads(out)["items"] if p["status"].get("phase") == "Running")
        if running >= want:
            return running
        time.sleep(1)
    raise SystemExit(f"only {running} of {want} pods Running in {ns} after {timeout:.0f} s")


def give_container_ids(kubeconfig: Path, ns: str) -> int:
    """Write a containerID into each container status that lacks one; returns how many pods.

    kwok's pod-ready stage (tests/cluster/kwok/stages/pod-ready.yaml, as in kwok v0.8.0) writes
    container statuses without containerID, which every real kubelet sets. stern skips such
    containers ("does not have a container to retrieve logs") and would read nothing. The pods
    are Running, so kwok's stages leave the patched status alone. As user e2e-setup (context
    setup), like the scenario loader, so the audit log tells it from the benchmarked requests.
    """
    sys.path.insert(0, str(CLUSTER))
    from cluster import Api  # noqa: PLC0415 - tests/cluster is not a package

    api = Api.from_kubeconfig(kubeconfig, "setup")
    patched = 0
    for pod in api.get(f"/api/v1/namespaces/{ns}/pods")["items"]:
        name = pod["metadata"]["name"]
        ops = [
            {
                "op": "add",
                "path": f"/status/containerStatuses/{i}/containerID",
                "value": f"kwok://{pod['metadata']['uid']}/{cs['name']}",
            }
            for i, cs in enumerate(pod["status"].get("containerStatuses") or [])
            if not cs.get("containerID")
        ]
        if ops:
            api.patch(f"/api/v1/namespaces/{ns}/pods/{name}/status", ops, kind="json")
            patched += 1
    return patched


class Audit:
    """Log requests (pods/log, by user agent) the apiserver recorded since the last mark."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def since_mark(self) -> dict[str, int]:
        requests, containers, failed = 0, set(), 0
        with self.path.open("rb") as f:
            f.seek(self.offset)
            data = f.read()
        for line in data.splitlines():
            if b'"log"' not in line:
                continue
            ev = json.loads(line)
            ref = ev.get("objectRef") or {}
            if ref.get("subresource") != "log" or ev.get("stage") != "ResponseComplete":
                continue
            if ev.get("user", {}).get("username") != "admin":
                continue
            requests += 1
            if (ev.get("responseStatus") or {}).get("code", 200) >= 400:
                failed += 1
            query = parse_qs(urlsplit(ev.get("requestURI", "")).query)
            containers.add((ref.get("name"), (query.get("container") or ["?"])[0]))
        return {"requests": requests, "containers": len(containers), "failed": failed}


def timed(cmd: list[str], env: dict[str, str], out: Path) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds (user + system of the process and its children: for the
    loop, every kubectl and grep), peak RSS (KiB) and exit code of one run of cmd."""
    with out.open("wb") as stdout, out.with_suffix(".err").open("wb") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=stderr, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


# -------------------------------------------------------------------- what each one read


def count_ours(out: Path) -> dict[str, int]:
    report = json.loads(out.read_bytes())
    where, records = set(), 0
    for g in report.get("groups", []):
        records += g.get("count", 0)
        where.update((w.get("pod"), w.get("container")) for w in g.get("where", []))
    return {
        "records": records,
        "containers": len(where),
        "gaps": len(report.get("gaps", [])),
        "findings": len(report.get("findings", [])),
    }


def count_loop(out: Path) -> dict[str, int]:
    containers, matches = 0, 0
    for line in out.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():
            containers += 1
            matches += int(parts[2])
    return {"containers": containers, "matches": matches}


def count_stern(out: Path) -> dict[str, int]:
    lines, matches, seen = 0, 0, set()
    with out.open("rb") as f:
        for line in f:
            lines += 1
            parts = line.split(b" ", 2)
            if len(parts) == 3:
                seen.add((parts[0], parts[1]))
                if MATCH.search(parts[2]):
                    matches += 1
    return {"lines": lines, "matches": matches, "containers": len(seen)}


def stderr_of(path: Path) -> tuple[int, list[str]]:
    """client-go's client-side throttling waits, and the other lines (stern's `+ pod › c` and
    `- pod › c` lines, one per container started and ended, are left out)."""
    throttled, other = 0, []
    for line in path.read_text(errors="replace").splitlines():
        if "client-side throttling" in line:
            throttled += 1
        elif line.strip() and not re.match(r"[+-] \S+ › \S+$", line):
            other.append(line)
    return throttled, other


LOOP_SCRIPT = r"""# generated by bench/bench_logs.py: a sequential kubectl loop over every container
ns={ns}
pods='{{range .items[*]}}{{.metadata.name}}'
containers='{{range .spec.containers[*]}} {{.name}}{{end}}{{"\n"}}{{end}}'
kubectl get pods -n "$ns" -l {selector} -o jsonpath="$pods$containers" |
while read -r pod containers; do
  for c in $containers; do
    printf '%s %s ' "$pod" "$c"
    kubectl logs -n "$ns" "$pod" -c "$c" --tail=-1 | grep -Eic '{pattern}'
    [ "${{PIPESTATUS[0]}}" = 0 ] || echo "kubectl logs $pod -c $c failed" >&2
  done
done
exit 0
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=5, help="rounds (default %(default)s)")
    p.add_argument("--run", type=Path, default=Path("/tmp/kt-bench-logs"), help="run directory")
    p.add_argument("--kubeconfig", type=Path, help="reuse the cluster of <run>/kubeconfig")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/kt-bench-logs-work"))
    p.add_argument("--namespace", default="scale")
    p.add_argument("--deployments", type=int, default=100)
    p.add_argument("--pods", type=int, default=2)
    p.add_argument("--log-lines", type=int, default=3000, help="lines per container log")
    p.add_argument("--skip-load", action="store_true", help="the bundle is loaded already")
    p.add_argument("--max-requests", type=int, help="ours: --max-requests (default: ours')")
    p.add_argument("--stern-max-requests", type=int, default=20, help="stern --max-log-requests")
    p.add_argument("--keep", action="store_true", help="leave the cluster running")
    a = p.parse_args()
    a.workdir.mkdir(parents=True, exist_ok=True)
    triage = shutil.which("kubectl-triage") or sys.exit("kubectl-triage not on PATH")

    t0 = time.monotonic()
    for _attempt in range(3):
        # build.sh may exit 141 after building everything: its `kubectl version --client | head
        # -1` and `etcd --version | head -1` die of SIGPIPE under pipefail now and then.
        built = subprocess.run(
            [str(CLUSTER / "build.sh"), "--with-stern"], capture_output=True, text=True
        )
        if built.returncode != 141:
            break
    if built.returncode != 0:
        sys.exit(f"build.sh --with-stern failed ({built.returncode}):\n{built.stderr[-3000:]}")
    bin_dir = built.stdout.strip().splitlines()[-1]
    stern = Path(bin_dir) / "stern"
    stern_version = sh([str(stern), "--version"]).stdout.splitlines()[0]
    print(f"== build.sh --with-stern: {time.monotonic() - t0:.1f} s ({stern}, {stern_version})")

    started = False
    if a.kubeconfig:
        run, kubeconfig = a.kubeconfig.resolve().parent, a.kubeconfig.resolve()
    else:
        run, kubeconfig = a.run.resolve(), a.run.resolve() / "kubeconfig"
        if str(run).startswith("/tmp/kubectl-triage-e2e"):
            sys.exit(f"{run}: use a run directory of your own, not the tests' or a developer's")
        t0 = time.monotonic()
        started = True
        sh([str(CLUSTER / "up"), "--run", str(run)])
        print(f"== cluster up in {time.monotonic() - t0:.1f} s (run {run})")
    try:
        bench(a, run, kubeconfig, bin_dir, triage, stern)
    finally:
        if started and not a.keep:
            subprocess.run([str(CLUSTER / "down"), "--run", str(run)], capture_output=True)
            print(f"== cluster stopped (tests/cluster/down --run {run})")


def bench(a, run: Path, kubeconfig: Path, bin_dir: str, triage: str, stern: Path) -> None:
    env = read_env(run, kubeconfig, bin_dir)
    ns, want = a.namespace, a.deployments * a.pods
    bundle = a.workdir / "bundle"
    if not a.skip_load:
        shutil.rmtree(bundle, ignore_errors=True)
        t0 = time.monotonic()
        sh(
            [
                sys.executable,
                str(CLUSTER / "scenario.py"),
                "scale",
                str(bundle),
                "--namespace",
                ns,
                "--deployments",
                str(a.deployments),
                "--pods",
                str(a.pods),
                "--log-lines",
                str(a.log_lines),
                "--load",
                "--run",
                str(run),
            ],
            env,
        )
        running = wait_running(env, ns, want)
        patched = give_container_ids(kubeconfig, ns)
        logs = sorted((bundle / ns).glob("*/*.log"))
        size = sum(f.stat().st_size for f in logs) / 1e6
        lines = sum(f.read_bytes().count(b"\n") for f in logs)
        errors = sum(len(MATCH.findall(f.read_bytes())) for f in logs)
        print(
            f"== scale bundle: {a.deployments} deployments x {a.pods} pods x 2 containers: "
            f"{len(logs)} logs, {lines} lines ({errors} matching {PATTERN}), {size:.1f} MB; "
            f"written and loaded in {time.monotonic() - t0:.1f} s, {running} pods Running "
            f"({patched} given containerIDs for stern)"
        )
    else:
        wait_running(env, ns, want)
        give_container_ids(kubeconfig, ns)

    selector = "app"  # every pod of the bundle has an app label (app=svc-NNN)
    loop_script = a.workdir / "kubectl-loop.sh"
    loop_script.write_text(LOOP_SCRIPT.format(ns=ns, selector=selector, pattern=PATTERN))
    ours = [triage, "logs", "-l", selector, "-n", ns, "-o", "json", "--tail=-1"]
    if a.max_requests:
        ours[1:1] = ["--max-requests", str(a.max_requests)]
    tools = {
        "ours": ours,
        "loop": ["bash", str(loop_script)],
        "stern": [
            str(stern),
            "-l",
            selector,
            "-n",
            ns,
            "--no-follow",
            "--since",
            "87600h",
            "--max-log-requests",
            str(a.stern_max_requests),
            "--color",
            "never",
        ],
    }
    labels = {
        "ours": "kubectl-triage logs",
        "loop": "kubectl logs loop",
        "stern": "stern --no-follow",
    }
    for name, cmd in tools.items():
        shown = " ".join(shlex.quote(c) for c in cmd)
        print(f"   {labels[name]:<20} {shown}")

    # Warm-up (not counted): imports, discovery cache, page cache of the log files.
    sh(ours, env)
    sh(["kubectl", "get", "pods", "-n", ns, "-l", selector], env)
    timed(tools["stern"], env, a.workdir / "warmup-stern.out")

    audit = Audit(run / "audit.log")
    order = list(tools)
    times: dict[str, list[float]] = {k: [] for k in tools}
    rss: dict[str, list[int]] = {k: [] for k in tools}
    cpu: dict[str, list[float]] = {k: [] for k in tools}
    read: dict[str, list[dict[str, int]]] = {k: [] for k in tools}
    counters = {"ours": count_ours, "loop": count_loop, "stern": count_stern}
    for i in range(a.runs):
        rotated = order[i % len(order) :] + order[: i % len(order)]
        for name in rotated:
            out = a.workdir / f"{name}.out"
            audit.mark()
            elapsed, seconds, maxrss, code = timed(tools[name], env, out)
            throttled, other = stderr_of(out.with_suffix(".err"))
            if code != 0 or other:
                print(f"   {labels[name]} exited {code}; stderr:", *other[-10:], sep="\n   ")
            if code != 0:
                sys.exit(1)
            times[name].append(elapsed)
            rss[name].append(maxrss)
            cpu[name].append(seconds)
            read[name].append({**counters[name](out), **audit.since_mark(), "waits": throttled})
        print(
            f"   round {i + 1}/{a.runs}: "
            + "  ".join(f"{labels[k]} {times[k][-1]:.2f}s" for k in order),
            flush=True,
        )

    print("== what each read (per run; every run read the same unless noted)")
    for name in order:
        runs = read[name]
        same = all(r == runs[0] for r in runs)
        r = runs[0]
        audit_part = f"{r['requests']} log requests for {r['containers']} containers (audit)" + (
            f", {r['failed']} failed" if r["failed"] else ""
        )
        if name == "ours":
            what = (
                f"{r['containers']} containers in groups, {r['records']} error/warning records, "
                f"{r['findings']} finding(s), {r['gaps']} gap(s)"
            )
        elif name == "loop":
            what = f"{r['containers']} containers, {r['matches']} matching lines (sum of grep -c)"
        else:
            what = (
                f"{r['containers']} containers, {r['lines']} lines, "
                f"{r['matches']} matching {PATTERN}"
            )
        if any(r["waits"] for r in runs):
            what += (
                f", client-side throttling waits logged {min(r['waits'] for r in runs)}-"
                f"{max(r['waits'] for r in runs)}"
            )
            for r in runs:
                r.pop("waits")
            same = all(r == runs[0] for r in runs)
        note = "" if same else f"  [differs between runs: {runs}]"
        print(f"{labels[name]:<20} {audit_part}; {what}{note}")

    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"== wall seconds, {a.runs} rounds interleaved (median, min-max), and the tool's own "
          "CPU seconds (median; kube-apiserver and kwok share the cores and are not counted)")
    for name in order:
        v = times[name]
        print(f"{labels[name]:<20} {med[name]:7.2f}s   ({min(v):.2f}-{max(v):.2f})   "
              f"cpu {statistics.median(cpu[name]):6.2f}s")
    paired_loop = statistics.median(
        lp / o for lp, o in zip(times["loop"], times["ours"], strict=True)
    )
    paired_stern = statistics.median(
        o / s for o, s in zip(times["ours"], times["stern"], strict=True)
    )
    speedup = med["loop"] / med["ours"]
    vs_stern = med["ours"] / med["stern"]
    print(
        f"loop / ours  = {speedup:.1f}x faster (paired median {paired_loop:.1f}x); "
        f"target >= 5x: {'met' if speedup >= 5 else 'NOT met'}"
    )
    print(
        f"ours / stern = {vs_stern:.2f} (paired median {paired_stern:.2f}; <1 = ours faster); "
        f"target <= 1: {'met' if vs_stern <= 1 else 'NOT met'}"
    )
    print(
        f"peak RSS: kubectl-triage logs {max(rss['ours']) / 1024:.0f} MB "
        f"(median {statistics.median(rss['ours']) / 1024:.0f} MB), "
        f"stern {max(rss['stern']) / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
