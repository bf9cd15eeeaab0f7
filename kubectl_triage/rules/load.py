"""Builds the rule set of a run: the built-in table, then the user's rows on top.

Both are YAML read by the same code (`parse_rules`): the built-in table is the package's
`rules/builtin.yaml`, so a built-in row, or the output of `rules show ID -o yaml` (one row
under `rule:`), pastes into a user's file unchanged. A user row with a
built-in id replaces that row; a new id adds one. The user's file is `--rules FILE`, else
`$XDG_CONFIG_HOME/kubectl-triage/rules.yaml` when it exists.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from kubectl_triage.errors import RulesFileError
from kubectl_triage.rules import cache, literals
from kubectl_triage.rules.model import Rule, RuleError, make_rule

BUILTIN = "builtin.yaml"


def default_rules_path(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kubectl-triage" / "rules.yaml"


def builtin_rules() -> list[Rule]:
    return parse_rules(builtin_text(), source=BUILTIN, origin="built-in", cached=True)


def builtin_text() -> str:
    # importlib.resources, not a path next to __file__: the zipapp imports from a zip.
    return resources.files(__package__).joinpath(BUILTIN).read_text(encoding="utf-8")


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
    from kubectl_triage import safeyaml

    try:
        if path.stat().st_size > safeyaml.MAX_BYTES:
            raise RulesFileError(f"{path}: larger than {safeyaml.MAX_BYTES >> 20} MiB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesFileError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RulesFileError(f"{path}: not UTF-8 text") from None
    return parse_rules(text, source=str(path))


def parse_rules(
    text: str, *, source: str, origin: str | None = None, cached: bool = False
) -> list[Rule]:
    """The rules of one YAML document (`rules:` and a list of rows, or the bare list);
    `source` names it in errors, `origin` (default: `source`) is what each rule records.
    `cached`: rows and derived literals come from rules/cache.py when it holds this text
    (the built-in table: a user's few rows cost little to read); either way every row goes
    through `make_rule`."""
    entry = cache.load(source, text) if cached else None
    if entry is not None:
        rows, known = entry
        literals.remember(known)
        return _make_rules(rows, source, origin, linted=True)
    rows = _rows(text, source)
    rules = _make_rules(rows, source, origin)
    if cached:
        patterns = [p.pattern for rule in rules for p in rule.patterns]
        cache.store(source, text, rows=rows, literals=literals.known_of(patterns))
    return rules


def _make_rules(
    rows: list[Any], source: str, origin: str | None, *, linted: bool = False
) -> list[Rule]:
    rules = []
    for index, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise RulesFileError(f"{source}: rule #{index}: expected a mapping")
        try:
            rules.append(make_rule(row, origin=origin or source, linted=linted))
        except RuleError as exc:
            raise RulesFileError(f"{source}: {exc}") from None
    return rules


def _rows(text: str, source: str) -> list[Any]:
    import yaml  # not at import time: `--help` never pays for PyYAML

    from kubectl_triage import safeyaml

    # safeyaml uses libyaml's loader when PyYAML has it (~10x faster), and refuses alias
    # bombs: ~/.config/kubectl-triage/rules.yaml is loaded by every command.
    try:
        data: Any = safeyaml.load_text(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise RulesFileError(f"{source}: not valid YAML{where}") from None
    except safeyaml.YAMLRefused as exc:
        raise RulesFileError(f"{source}: refused: {exc}") from None
    rows = data.get("rules") if isinstance(data, dict) else data
    if isinstance(data, dict) and rows is None and isinstance(data.get("rule"), dict):
        rows = [data["rule"]]  # `rules show ID -o yaml` saved as it is: one row under `rule:`
    if not isinstance(rows, list):
        raise RulesFileError(f"{source}: expected a list of rules under `rules:`")
    return rows
