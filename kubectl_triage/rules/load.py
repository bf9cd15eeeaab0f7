"""Builds the rule set of a run: the built-in table, then the user's rows on top.

A user row with a built-in id replaces that row; a new id adds one. The user's file is
`--rules FILE`, else `$XDG_CONFIG_HOME/kubectl-triage/rules.yaml` when it exists.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kubectl_triage.errors import RulesFileError
from kubectl_triage.rules.model import Rule, RuleError, make_rule
from kubectl_triage.rules.table import ROWS


def default_rules_path(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kubectl-triage" / "rules.yaml"


def builtin_rules() -> list[Rule]:
    return [make_rule(row) for row in ROWS]


def load_rules(path: Path | None = None, *, use_default: bool = True) -> list[Rule]:
    rules = {r.id: r for r in builtin_rules()}
    if path is None and use_default:
        candidate = default_rules_path()
        path = candidate if candidate.is_file() else None
    if path is not None:
        for rule in read_rules_file(path):
            rules[rule.id] = rule
    return list(rules.values())


def read_rules_file(path: Path) -> list[Rule]:
    """The rules of a user's YAML file; any problem is one RulesFileError naming the file."""
    import yaml  # only when a user file is given: PyYAML's import is not free

    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesFileError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise RulesFileError(f"{path}: not valid YAML{where}") from None
    rows = data.get("rules") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise RulesFileError(f"{path}: expected a list of rules under `rules:`")
    rules = []
    for index, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise RulesFileError(f"{path}: rule #{index}: expected a mapping")
        try:
            rules.append(make_rule(row, origin=str(path)))
        except RuleError as exc:
            raise RulesFileError(f"{path}: {exc}") from None
    return rules
