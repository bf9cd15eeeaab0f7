#!/usr/bin/env python3
"""Run a program as a pod container's process: its stdout and stderr become that container's
CRI log file, as a container runtime writes it for the kubelet.

    python3 crilog.py --log <run>/pod-logs/NS/POD/CONTAINER.log [--hostname POD] -- PROGRAM ARGS...

Each line the program prints is appended as `<RFC 3339 time, ns> stdout|stderr F <text>`; a line
longer than 16 KiB is cut into `P` (partial) pieces and a final `F`, as containerd does. kwok's
Logs object already points at the file, so `kubectl logs POD -c CONTAINER` serves what the
program really printed. SIGTERM and SIGINT are passed on to the program; this process exits
with the program's code. Run by scenario.py inside the pod's network namespace. Standard
library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading

MAX_LINE = 16 * 1024  # containerd's default max_container_log_line_size


def stamp() -> str:
    now = dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond * 1000:09d}Z"


def pump(stream, name: str, out, lock: threading.Lock) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.rstrip(b"\n")
        pieces = [line[i : i + MAX_LINE] for i in range(0, len(line), MAX_LINE)] or [b""]
        with lock:
            for i, piece in enumerate(pieces):
                tag = b"F" if i == len(pieces) - 1 else b"P"
                out.write(f"{stamp()} {name} ".encode() + tag + b" " + piece + b"\n")
            out.flush()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--log", required=True, help="the container's CRI log file (appended to)")
    p.add_argument("--cwd", default=None)
    p.add_argument("--hostname", default=None,
                   help="set in a UTS namespace of its own (run under `unshare --uts`): a "
                   "container's hostname is its pod's name")
    p.add_argument("argv", nargs=argparse.REMAINDER)
    a = p.parse_args()
    argv = a.argv[1:] if a.argv[:1] == ["--"] else a.argv
    if not argv:
        p.error("no program given after --")
    if a.hostname:
        socket.sethostname(a.hostname)
    lock = threading.Lock()
    with open(a.log, "ab") as out:
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            cwd=a.cwd,
        )
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda s, _f: proc.send_signal(s))
        threads = [
            threading.Thread(target=pump, args=(proc.stdout, "stdout", out, lock), daemon=True),
            threading.Thread(target=pump, args=(proc.stderr, "stderr", out, lock), daemon=True),
        ]
        for t in threads:
            t.start()
        print(f"started pid {proc.pid}: {' '.join(argv)}", file=sys.stderr, flush=True)
        code = proc.wait()
        for t in threads:
            t.join(timeout=5)
    print(f"exited {code}", file=sys.stderr, flush=True)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
