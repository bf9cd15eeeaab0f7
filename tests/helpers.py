"""Running the CLI in-process the way the `kubectl-triage` script does, with our own streams."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

from kubectl_triage.cli import main
from kubectl_triage.options import Environment


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


class _Text(io.StringIO):
    def __init__(self, tty: bool = False) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


class _Stdin(io.TextIOWrapper):
    pass


def run(
    *args: str, stdin: bytes = b"", env: dict[str, str] | None = None, tty: bool = False
) -> Result:
    out, err = _Text(tty), _Text(tty)
    stdin_stream = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    environment = Environment(
        stdout=out,
        stderr=err,
        stdin=stdin_stream,
        env={"HOME": "/nonexistent", "TERM": "xterm", **(env or {})},
    )
    try:
        main(list(args), environment)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return Result(code, out.getvalue(), err.getvalue())


def alias_bomb(last_key: str) -> str:
    """A 'billion laughs' YAML document (9^9 values once expanded) whose `last_key` holds it."""
    return (
        "a: &a [x,x,x,x,x,x,x,x,x]\n"
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n"
                  for i in range(8))
        + f"{last_key}: *i\n"
    )


# The hand-written incident (tools/make_demo.py): what the live test bed cannot produce (an
# OOMKill, a probe failure of a deleted pod, rollout history, a node taint, ...), with its
# contents known exactly. The shipped demo (`--demo`) is recorded from the live incident
# (tools/record_demo.py); tests that assert the hand-written contents read this one.
HANDWRITTEN_DEMO = Path(__file__).resolve().parent / "data" / "handwritten-demo"
HANDWRITTEN = ("--bundle", str(HANDWRITTEN_DEMO))


def incident_shape(bundle: str | Path) -> dict:
    """What makes two recordings of the taskflow incident the same incident, whatever their
    times: the workloads, the rule ids found per workload, and the ranked incidents (workload,
    kind, rules, what each explains)."""
    flags = ("--bundle", str(bundle))
    status = run(*flags, "status", "-o", "json")
    summary = run(*flags, "summary", "-o", "json")
    assert status.code == 0 and summary.code == 0, status.stderr + summary.stderr
    workload_of = {r["pod"]: r["workload"] for r in status.json()["pods"]}
    rules: dict[str, set[str]] = {}
    for finding in summary.json()["findings"]:
        for where in finding["where"]:
            kind, _, name = where.get("object", "").partition("/")
            owner = workload_of.get(where.get("pod") or name) or f"{kind.lower()}/{name}"
            rules.setdefault(owner, set()).add(finding["rule"])
    incidents = [(i["workload"], i["kind"], i["rules"],
                  sorted((e["workload"], e["rule"]) for e in i["explains"]))
                 for i in summary.json()["incidents"]]
    return {"workloads": sorted(set(workload_of.values())), "rules": rules,
            "incidents": incidents}
