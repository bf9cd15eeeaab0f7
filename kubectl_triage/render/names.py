"""`-o name`: the objects a list output shows, one `kind/name` a line, as kubectl prints
them (`pod/web-1`, `deployment.apps/web`), for `| xargs kubectl describe`.

A report's tables say which objects it lists (below); a report that lists none (a summary,
a checklist, logs) has no names to print and says so: -o json or -o jsonpath serve it.
"""

from __future__ import annotations

from kubectl_triage.errors import UsageError
from kubectl_triage.report import Report, Table
from kubectl_triage.sources.kinds import kubectl_name

# table name -> (the object kind, or "" when the cell is already "kind/name"; its column)
LISTS = {
    "pods": ("Pod", "pod"),  # status
    "events": ("", "object"),  # the objects the events are about
    "components": ("Component", "name"),  # dapr components
    "rules": ("rule", "id"),  # rules list: the rules table's own rows
}


def render_names(report: Report) -> str:
    tables = [t for t in report.tables if t.name in LISTS]
    if not tables:
        raise UsageError(
            f"-o name: `{report.command}` lists no objects (it works with status, events, "
            "rules list, dapr components); use -o json or -o jsonpath=…"
        )
    names: list[str] = []
    for table in tables:
        for name in _names(table):
            if name not in names:  # events name an object once per reason
                names.append(name)
    return "".join(f"{n}\n" for n in names)


def _names(table: Table) -> list[str]:
    kind, column = LISTS[table.name]
    index = table.columns.index(column)
    out = []
    for row in table.rows:
        cell = row[index]
        if not kind:
            kind_of, _, name = cell.partition("/")
            out.append(kubectl_name(kind_of, name))
        else:
            out.append(kubectl_name(kind, cell))
    return out
