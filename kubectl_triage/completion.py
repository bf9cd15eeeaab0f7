"""`kubectl_complete-triage`: kubectl's plugin completion protocol for `kubectl triage`.

kubectl >= 1.26 runs `kubectl_complete-triage ARGS... WORD` when the user presses TAB after
`kubectl triage ARGS...` (WORD is the word being completed, maybe empty) and expects one
candidate per line, optionally a TAB and a description, then a last line `:N`, N a bit mask
(DIRECTIVES). Subcommands and flags come from the click command tree of `cli` (importing it
is cheap); `-o` and other choices from their click types; contexts, clusters and users from
the kubeconfig (plain YAML, no client); namespaces and TARGET words from the cluster, through
`kube` with a short timeout, only when such a word is being completed. Whatever goes wrong,
the answer is no candidates and `:4`: never a traceback, nothing on stderr.

May import: click, cli (the command tree), kube (lazily, for cluster look-ups), rules.load.
"""

from __future__ import annotations

import contextlib
import enum
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TextIO

import click

from kubectl_triage.sources.kinds import target_kind


class Directive(enum.IntFlag):
    DEFAULT = 0  # the shell completes file names
    ERROR = 1
    NO_SPACE = 2
    NO_FILE_COMP = 4
    FILTER_DIRS = 16


# A TAB should answer at once: a cluster that does not answer in this time gets no candidates.
LOOKUP_TIMEOUT = 2.0  # seconds, connect and read
FILE_FLAGS = {"--kubeconfig", "--certificate-authority"}
DIR_FLAGS = {"--bundle"}  # a bundle is a folder


@dataclass
class Answer:
    candidates: list[tuple[str, str]] = field(default_factory=list)  # (value, description)
    directive: Directive = Directive.NO_FILE_COMP

    def render(self) -> str:
        lines = [f"{value}\t{desc}" if desc else value for value, desc in self.candidates]
        return "".join(f"{line}\n" for line in lines) + f":{int(self.directive)}\n"


@dataclass
class Position:
    """Where the words typed so far leave us: the command, its flags, its positionals."""

    command: click.Command
    path: list[click.Command]  # root first
    values: dict[str, list[str]] = field(default_factory=dict)  # option name -> values typed
    positionals: list[str] = field(default_factory=list)
    pending: click.Option | None = None  # the option whose value is being typed
    after_dashdash: bool = False


def main(argv: list[str] | None = None, *, stdout: TextIO | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    out = stdout or sys.stdout
    try:
        with _silenced():
            answer = complete(args[:-1], args[-1] if args else "", env=dict(os.environ))
    except Exception:  # noqa: BLE001 - a completion never shows a traceback
        answer = Answer()
    out.write(answer.render())
    out.flush()


def complete(words: list[str], word: str, *, env: dict[str, str]) -> Answer:
    from kubectl_triage.cli import cli

    position = parse(cli, words)
    if position.pending is not None:
        return option_values(position.pending, word, position, env=env)
    if word.startswith("--") and "=" in word:
        name, _, value = word.partition("=")
        option = _find_option(position, name)
        if option is None or option.is_flag:
            return Answer()
        answer = option_values(option, value, position, env=env)
        answer.candidates = [(f"{name}={v}", d) for v, d in answer.candidates]
        return answer
    if word.startswith("-") and not position.after_dashdash:
        return flags(position, word)
    return positionals(position, word, env=env)


# ---- the words typed so far -------------------------------------------------------------


def parse(root: click.Group, words: list[str]) -> Position:
    position = Position(command=root, path=[root])
    index = 0
    while index < len(words):
        token = words[index]
        index += 1
        if position.after_dashdash or not token.startswith("-") or token == "-":
            _positional(position, token)
        elif token == "--":
            position.after_dashdash = True
        else:
            option, value = _option_token(position, token)
            if option is None:
                continue
            if option.is_flag:
                position.values.setdefault(option.name, []).append("true")
                continue
            if value is None:
                if index == len(words):
                    position.pending = option
                    break
                value = words[index]
                index += 1
            position.values.setdefault(option.name, []).append(value)
    return position


def _positional(position: Position, token: str) -> None:
    command = position.command
    if isinstance(command, click.Group) and not position.positionals:
        aliases = getattr(command, "aliases", {})
        sub = command.commands.get(aliases.get(token, token))
        if sub is not None:
            position.command = sub
            position.path.append(sub)
            return
    position.positionals.append(token)


def _option_token(position: Position, token: str) -> tuple[click.Option | None, str | None]:
    if token.startswith("--"):
        name, eq, value = token.partition("=")
        return _find_option(position, name), (value if eq else None)
    option = _find_option(position, token[:2])
    if option is not None and not option.is_flag and len(token) > 2:
        return option, token[2:].lstrip("=")  # -ntaskflow, -n=taskflow
    return option, None


def _find_option(position: Position, name: str) -> click.Option | None:
    for command in reversed(position.path):  # the subcommand's own flags win
        for param in command.params:
            if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
                return param
    return None


# ---- candidates ---------------------------------------------------------------------------


def flags(position: Position, word: str) -> Answer:
    answer = Answer()
    seen: set[str] = set()
    for command in reversed(position.path):
        for param in command.params:
            if not isinstance(param, click.Option) or param.hidden:
                continue
            if param.name in position.values and not param.multiple:
                continue
            for name in sorted(param.opts, key=lambda n: (not n.startswith("--"), n)):
                if name.startswith(word) and name not in seen:
                    seen.add(name)
                    answer.candidates.append((name, _first_line(param.help)))
    if "--help".startswith(word):
        answer.candidates.append(("--help", "Show the help and exit."))
    return answer


def positionals(position: Position, word: str, *, env: dict[str, str]) -> Answer:
    command = position.command
    if isinstance(command, click.Group) and not position.positionals:
        return subcommands(command, word)
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    index = len(position.positionals)
    if not arguments or (index >= len(arguments) and arguments[-1].nargs != -1):
        return Answer()
    argument = arguments[min(index, len(arguments) - 1)]
    if argument.name == "target":
        return cluster_answer(lambda: targets(position, word, env=env))
    if argument.name == "rule_id":
        return rule_ids(position, word)
    if isinstance(argument.type, click.Path):
        return Answer(directive=Directive.DEFAULT)
    return Answer()


def subcommands(group: click.Group, word: str) -> Answer:
    answer = Answer()
    for name in sorted(group.commands):
        sub = group.commands[name]
        if not sub.hidden and name.startswith(word):
            answer.candidates.append((name, sub.get_short_help_str(limit=80)))
    return answer


def option_values(option: click.Option, word: str, position: Position, *,
                  env: dict[str, str]) -> Answer:
    long_name = max(option.opts, key=len)
    if isinstance(option.type, click.Choice):
        choices = [c for c in option.type.choices if str(c).startswith(word)]
        if long_name == "--output" and not _draws_html(position):
            choices = [c for c in choices if c != "html"]
        return Answer([(c, "") for c in choices])
    if long_name == "--types":  # events --types, as kubectl events
        return Answer([(t, "") for t in ("Warning", "Normal") if t.startswith(word)])
    if long_name in ("--context", "--cluster", "--user"):
        return kubeconfig_names(long_name[2:], word, position, env=env)
    if long_name == "--namespace":
        return cluster_answer(lambda: namespaces(position, word, env=env))
    if long_name in DIR_FLAGS or (isinstance(option.type, click.Path)
                                  and option.type.dir_okay and not option.type.file_okay):
        return Answer(directive=Directive.FILTER_DIRS)
    if isinstance(option.type, click.Path) or long_name in FILE_FLAGS:
        return Answer(directive=Directive.DEFAULT)
    return Answer()


def _draws_html(position: Position) -> bool:
    """-o html is offered before the subcommand and after one that draws it."""
    from kubectl_triage.cli import HTML_COMMANDS, cli

    return position.command is cli or position.command.name in HTML_COMMANDS


def kubeconfig_names(section: str, word: str, position: Position, *,
                     env: dict[str, str]) -> Answer:
    from kubectl_triage.kube.config import kubeconfig_paths, merge_kubeconfigs

    merged = merge_kubeconfigs(kubeconfig_paths(_connect(position, env=env)))
    current = merged.get("current-context") if section == "context" else None
    names = [str(e.get("name")) for e in merged[section + "s"] if e.get("name")]
    return Answer([(n, "current" if n == current else "") for n in names if n.startswith(word)])


def rule_ids(position: Position, word: str) -> Answer:
    from pathlib import Path

    from kubectl_triage.rules.load import load_rules

    extra = (position.values.get("rules") or [None])[-1]
    rules = load_rules(Path(extra) if extra else None)
    return Answer([(r.id, r.title) for r in rules if r.id.startswith(word)])


# ---- look-ups in the cluster ------------------------------------------------------------


def cluster_answer(lookup) -> Answer:
    """Candidates from the cluster, or none when it cannot be asked (offline, no kubeconfig,
    forbidden, slow): completing must never fail loudly."""
    try:
        return Answer(lookup())
    except Exception:  # noqa: BLE001 - any failure of a look-up means no candidates
        return Answer()


def namespaces(position: Position, word: str, *, env: dict[str, str]) -> list[tuple[str, str]]:
    source = _live(position, env=env)
    return [(name, "") for name in source.namespaces() if name.startswith(word)]


def targets(position: Position, word: str, *, env: dict[str, str]) -> list[tuple[str, str]]:
    """Deployment names, and `pod/NAME`; `sts/`, `ds/`, `deploy/`, `pod/` prefixes list that
    kind, as the commands' TARGET accepts them."""
    source = _live(position, env=env)
    namespace = _namespace(position, source)
    prefix, slash, _ = word.partition("/")
    if slash:
        kind = target_kind(prefix)  # the TARGET prefixes the commands accept
        if kind is None:
            return []
        names = _names(source, kind.resource, namespace)
        desc = kind.kind.lower()
        return [(f"{prefix}/{n}", desc) for n in names if f"{prefix}/{n}".startswith(word)]
    found = [(n, "deployment") for n in _names(source, "deployments", namespace)]
    found += [(f"pod/{n}", "pod") for n in _names(source, "pods", namespace)]
    return [(value, desc) for value, desc in found if value.startswith(word)]


def _names(source, kind: str, namespace: str | None) -> list[str]:
    return sorted({item["metadata"]["name"] for item in source.list(kind, namespace)})


def _namespace(position: Position, source) -> str | None:
    if "all_namespaces" in position.values:
        return None
    typed = (position.values.get("namespace") or [None])[-1]
    return typed or source.default_namespace()


def _live(position: Position, *, env: dict[str, str]):
    from kubectl_triage.kube.source import LiveSource

    return LiveSource(_connect(position, env=env, timeout=LOOKUP_TIMEOUT), max_requests=1)


def _connect(position: Position, *, env: dict[str, str], timeout: float | None = None):
    from kubectl_triage.kube.config import ConnectOptions

    def last(name: str) -> str | None:
        return (position.values.get(name) or [None])[-1]

    return ConnectOptions(
        kubeconfig=last("kubeconfig"), context=last("context"), cluster=last("cluster"),
        user=last("user"), server=last("server"), token=last("token"),
        certificate_authority=last("certificate_authority"),
        insecure_skip_tls_verify="insecure_skip_tls_verify" in position.values,
        tls_server_name=last("tls_server_name"), as_user=last("as_user"),
        as_groups=tuple(position.values.get("as_group") or ()), as_uid=last("as_uid"),
        request_timeout=timeout, env=env,
    )


# ---- helpers ------------------------------------------------------------------------------


def _first_line(text: str | None) -> str:
    return (text or "").strip().split("\n")[0]


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """Nothing reaches the terminal's stderr while completing: not Python warnings (urllib3's
    InsecureRequestWarning), not an exec credential plugin's messages (a child process, hence
    the file descriptor)."""
    import warnings

    if os.environ.get("KUBECTL_TRIAGE_COMPLETION_DEBUG"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
