#!/usr/bin/env python3
"""Record the demo incident bundle that ships with kubectl-triage from the live taskflow incident.

    sudo .venv/bin/python tools/record_demo.py              # writes kubectl_triage/demo/taskflow/
    .venv/bin/python tools/record_demo.py --out DIR --keep-raw RAW
    .venv/bin/python tools/record_demo.py --normalise RAW --out DIR   # no cluster: RAW again

It starts the e2e test cluster in a run directory of its own (tests/cluster: kube-apiserver,
etcd, kwok; --run, default /tmp/kubectl-triage-record-<pid>), brings up the live incident as
tests/e2e/test_taskflow_live.py does (tests/cluster/taskflow_live.py: the real taskflow app,
real daprd 1.14.4 sidecars, redis-server, the crash-looping worker, one round of the load
script), runs the real CLI `python -m kubectl_triage --kubeconfig ... bundle -n taskflow`
against it, stops the cluster and normalises the bundle (normalise.py beside this file): times
shifted so the bundle was written at 2026-11-27T23:10:00Z, log times in UTC, machine paths,
hosts, pod IPs, uids and resourceVersions replaced by stable placeholders of the same shape,
test-bed annotations dropped, the product's redaction run again, files in a stable order.

Needs root and iproute2 (pod network namespaces), the binaries of tests/cluster/build.sh (daprd
among them), Debian's redis-server, and the venv with the `test` extra (the app's FastAPI,
SQLAlchemy, httpx). docs/demo-incident.md says what the recording holds and where it came from.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "cluster"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import normalise  # noqa: E402

DEFAULT_OUT = REPO / "kubectl_triage" / "demo" / "taskflow"
NAMESPACE = "taskflow"


def check_test_bed(bin_dir: Path) -> list[str]:
    import cluster

    missing = []
    if not cluster.netns_capable():
        missing.append("pod network namespaces need root and iproute2")
    if not (bin_dir / "daprd").exists():
        missing.append(f"no daprd in {bin_dir}: run tests/cluster/build.sh")
    if shutil.which("redis-server") is None:
        missing.append("redis-server is not installed (apt-get install redis-server)")
    return missing


def bundle(handle, out: Path) -> None:
    """`kubectl triage bundle` as a user runs it, through the cluster's kubeconfig."""
    env = {**handle.env, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "kubectl_triage", "--kubeconfig", str(handle.kubeconfig),
           "--context", "admin", "-n", NAMESPACE, "bundle", "--since", "1h", str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise SystemExit(f"bundle exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")


def record(run_dir: Path, raw: Path, *, keep: bool) -> None:
    """The live incident in a cluster of its own, bundled to `raw`."""
    import cluster
    from fixtures import ClusterHandle
    from taskflow_live import bring_up

    missing = check_test_bed(cluster.bin_dir())
    if missing:
        raise SystemExit("record_demo: " + "; ".join(missing))
    c = cluster.Cluster(run_dir)
    c.up(build=True)
    try:
        handle = ClusterHandle(run=c.run, kubeconfig=c.kubeconfig,
                               bin=Path(c.state()["bin"]), owned=True)
        bring_up(handle)
        bundle(handle, raw)
    finally:
        if keep:
            print(f"cluster kept running in {c.run}", file=sys.stderr)
        else:
            c.down(purge=True)


def replace_raw(raw: Path) -> None:
    """`bundle` writes into a new folder: an earlier raw recording there goes first, anything
    else is refused."""
    if raw.exists() and (raw / "triage-bundle.json").exists():
        shutil.rmtree(raw)
    elif raw.exists() and any(raw.iterdir()):
        raise SystemExit(f"record_demo: {raw} is not empty and holds no bundle: give a new path")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the normalised bundle")
    p.add_argument("--run", type=Path, default=Path(f"/tmp/kubectl-triage-record-{os.getpid()}"),
                   help="the test cluster's run directory (removed afterwards)")
    p.add_argument("--keep-raw", type=Path, help="also keep the bundle as recorded")
    p.add_argument("--keep-cluster", action="store_true", help="leave the cluster running")
    p.add_argument("--normalise", type=Path, metavar="RAW",
                   help="normalise this raw recording instead of recording one")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kubectl-triage-record-") as tmp:
        raw = a.normalise
        if raw is None:
            raw = a.keep_raw or Path(tmp) / "raw"
            replace_raw(raw)
            record(a.run, raw, keep=a.keep_cluster)
        normalise.normalise(raw, a.out)
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
