"""Running the CLI in-process the way the `kubectl-triage` script does, with our own streams."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

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
