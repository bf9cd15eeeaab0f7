"""Report -> text. Pure functions picked by name from `RENDERERS`.

Every string that came from outside (a cluster, a bundle, a log, a user's rules file) is
untrusted: `render()` passes every string of a report through one sanitiser before any
renderer sees it: control sequences and bidi overrides removed, secrets redacted (see
redact.py), unless a command was told to show secrets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

from kubectl_triage.report import Report


@dataclass(frozen=True)
class RenderOptions:
    color: bool = False
    wide: bool = False
    no_headers: bool = False
    redact: bool = True  # off only for `exec-probe env --show-secrets`
    # Columns a table line may take (the terminal's; 80 for a pipe); None: no limit.
    width: int | None = 80
    template: str = ""  # of -o jsonpath=TEMPLATE
    ascii_only: bool = False  # --no-color, NO_COLOR or a stdout that cannot encode UTF-8


def output_kind(output: str) -> tuple[str, str]:
    """"jsonpath={.x}" -> ("jsonpath", "{.x}"); "json" -> ("json", "")."""
    kind, _, argument = output.partition("=")
    return kind, argument


def render(report: Report, output: str, options: RenderOptions) -> str:
    """The report in format `output` ("json", "jsonpath=TEMPLATE", …), every outside string
    sanitised first."""
    kind, argument = output_kind(output)
    if argument:
        options = replace(options, template=argument)
    return RENDERERS[kind](sanitised(report, redact=options.redact), options)


def sanitised(value: Any, *, redact: bool = True) -> Any:
    """A copy of a report (or any part of one) whose strings are safe to show."""
    from kubectl_triage.records import strip_controls
    from kubectl_triage.redact import redact_text

    def clean(item: Any) -> Any:
        if isinstance(item, str):
            text = strip_controls(item)
            return redact_text(text) if redact else text
        if isinstance(item, (list, tuple)):
            return type(item)(clean(x) for x in item)
        if isinstance(item, dict):
            return {clean(k): clean(v) for k, v in item.items()}
        if is_dataclass(item) and not isinstance(item, type):
            changes = {f.name: clean(getattr(item, f.name)) for f in fields(item) if f.init}
            return replace(item, **changes)
        return item

    return clean(value)


def _table(report: Report, options: RenderOptions) -> str:
    from kubectl_triage.render.text import render_table

    return render_table(report, options)


def _wide(report: Report, options: RenderOptions) -> str:
    return _table(report, replace(options, wide=True))


def _json(report: Report, options: RenderOptions) -> str:
    import json

    return json.dumps(report.to_dict(), indent=4, ensure_ascii=False) + "\n"


def _yaml(report: Report, options: RenderOptions) -> str:
    import yaml

    return yaml.safe_dump(report.to_dict(), sort_keys=False, allow_unicode=True, width=100)


def _markdown(report: Report, options: RenderOptions) -> str:
    from kubectl_triage.render.markdown import render_markdown

    return render_markdown(report, options)


def _name(report: Report, options: RenderOptions) -> str:
    from kubectl_triage.render.names import render_names

    return render_names(report)


def _jsonpath(report: Report, options: RenderOptions) -> str:
    from kubectl_triage.render.jsonpath import execute, parse

    # as kubectl: no newline added (a template ends in {"\n"} when it wants one)
    return execute(parse(options.template), report.to_dict())


def _html(report: Report, options: RenderOptions) -> str:
    from kubectl_triage.render.html import render_html

    return render_html(report, options)


RENDERERS: dict[str, Callable[[Report, RenderOptions], str]] = {
    "table": _table,
    "wide": _wide,
    "json": _json,
    "yaml": _yaml,
    "markdown": _markdown,
    "name": _name,
    "jsonpath": _jsonpath,
    "html": _html,
}
