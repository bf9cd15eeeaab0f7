"""Report -> text. Pure functions picked by name from `RENDERERS`.

Every string that came from a cluster is untrusted: `safe()` strips terminal control
sequences before anything reaches a terminal. JSON and YAML escape them by themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kubectl_triage.report import Report


@dataclass(frozen=True)
class RenderOptions:
    color: bool = False
    wide: bool = False
    no_headers: bool = False


def _table(report: Report, options: RenderOptions) -> str:
    from kubectl_triage.render.text import render_table

    return render_table(report, options)


def _wide(report: Report, options: RenderOptions) -> str:
    from dataclasses import replace

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


RENDERERS: dict[str, Callable[[Report, RenderOptions], str]] = {
    "table": _table,
    "wide": _wide,
    "json": _json,
    "yaml": _yaml,
    "markdown": _markdown,
}
