"""Findings per node of the service graph, and which of them are a callee's failure.

`observe` turns judged records (a record and the rule that named it) into Observations:
one per node and rule, with the callees its records name through the graph. A finding
of an object detector about a Service (service-no-endpoints) becomes an observation of
that Service, whose callees are the workloads behind it.

Which rules report someone else's failure is decided here: an upstream 5xx, a timeout, a
refused connection, Dapr's invoke errors and an unhealthy app channel are symptoms when
their record names another node; a crash loop or a failing probe follows from whatever
else the same workload reports. Pure; imports `evidence`, `report`, `incidents` and the
rules' model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from kubectl_triage.evidence import Level, Pod, Record
from kubectl_triage.incidents.graph import Node, ServiceGraph, workload_node
from kubectl_triage.incidents.model import Observation
from kubectl_triage.records import cause_line
from kubectl_triage.report import Finding
from kubectl_triage.rules.model import Rule

# A record of these names a callee's failure (when it names a callee at all).
SYMPTOMS = frozenset(
    {
        "upstream-5xx",
        "timeout",
        "connection-refused",
        "dapr-invoke-target",
        "dapr-app-channel",
        "db-connection",
        "service-no-endpoints",
    }
)
# A call to a path the callee does not serve: the caller's bug; the callee's own 404
# answers to it (its access log) are evidence of the same bug, not another.
WRONG_ENDPOINT = "wrong-endpoint"
# These follow from something else the workload reports (why it crashes, why it is not
# ready); alone, they are the workload's own failure.
CONSEQUENCES = frozenset({"crash-loop", "probe-failure", "unhandled-exception"})
# Rules about a pod's life rather than one bug of its code: one incident together.
LIFECYCLE = frozenset(
    {
        "crash-loop",
        "oom-killed",
        "app-out-of-memory",
        "evicted",
        "init-container",
        "config-missing",
        "volume-mount",
        "image-pull",
        "probe-failure",
        "import-error",
        "port-in-use",
        "scheduling",
        "disk-full",
        "too-many-open-files",
    }
)
_NEVER = datetime.min


@dataclass
class _Acc:
    node: Node
    namespace: str
    rule: Rule
    count: int = 0
    best: Record | None = None
    first: datetime | None = None
    last: datetime | None = None
    callees: Counter[Node] = field(default_factory=Counter)
    detail: str = ""  # what the rules' detector measured on the best record
    failing: int = 0  # of `count`, the records that are failures by their own level

    def add(self, record: Record, callees: list[Node], *, detail: str = "") -> None:
        self.count += record.count
        # Counted as the findings are (rules/engine.is_failing): an INFO or DEBUG echo of a
        # failure is context, unless a detector judged the record itself.
        if detail or record.level is Level.UNKNOWN or record.level >= Level.WARNING:
            self.failing += record.count
        if self.best is None or _better(record, self.best):
            self.best, self.detail = record, detail
        if record.time is not None:
            self.first = record.time if self.first is None else min(self.first, record.time)
            self.last = record.time if self.last is None else max(self.last, record.time)
        self.callees.update(callees)

    def observation(self) -> Observation:
        best = self.best
        assert best is not None
        ref = best.ref
        pod = ref.pod if ref else (best.obj[4:] if best.obj.startswith("Pod/") else "")
        return Observation(
            node=self.node,
            namespace=self.namespace,
            rule=self.rule.id,
            severity=self.rule.severity,
            count=self.failing or self.count,
            example=best_line(best.text),
            first=self.first,
            last=self.last,
            callees=tuple(n for n, _ in self.callees.most_common()),
            pod=pod,
            container=ref.container if ref else "",
            detail=self.detail,
        )


def _better(a: Record, b: Record) -> bool:
    """The error over its warning echo, then the earliest (a report that does not depend
    on the order logs arrived in)."""
    if a.level != b.level:
        return a.level > b.level
    return (a.time is None, a.time or _NEVER, a.text) < (b.time is None, b.time or _NEVER, b.text)


def best_line(text: str) -> str:
    """One line that says it: a trace's exception line, else the first line."""
    line = cause_line(text).strip() if "\n" in text else text.strip()
    return line[:240]


def node_resolver(pods: Iterable[Pod], owners: Mapping[str, Node]) -> Callable[[Record], Node]:
    """Record -> the node it is about: a log's pod's workload, an event's or a status's
    object rolled up (a ReplicaSet to its Deployment through `owners`: rs name -> node)."""
    by_pod = {p.name: workload_node(p) for p in pods}

    def node_of(record: Record) -> Node:
        if record.ref is not None:
            return by_pod.get(record.ref.pod, ("Pod", record.ref.pod))
        kind, _, name = record.obj.partition("/")
        if kind == "Pod":
            return by_pod.get(name, ("Pod", name))
        if kind == "ReplicaSet" and name in owners:
            return owners[name]
        return (kind, name)

    return node_of


def observe(
    judged: Iterable[tuple[Record, Rule, str]],
    *,
    node_of: Callable[[Record], Node],
    graph: ServiceGraph,
) -> list[Observation]:
    """One observation per node and rule (each record with its rule and what the rule's
    detector measured); symptoms carry the callees their records name."""
    accs: dict[tuple[Node, str], _Acc] = {}
    for record, rule, detail in judged:
        node = node_of(record)
        namespace = record.ref.namespace if record.ref else record.namespace
        acc = accs.get((node, rule.id))
        if acc is None:
            acc = accs[(node, rule.id)] = _Acc(node, namespace, rule)
        callees = []
        if rule.id in SYMPTOMS or rule.id == WRONG_ENDPOINT:
            callees = graph.callees(record.text, namespace=namespace, caller=node)
            callees = callees or graph.callees_by_id(record.text, caller=node)
            if rule.id in SYMPTOMS and rule.id != "service-no-endpoints":
                callees = callees or graph.unserved_callees(node)
        acc.add(record, callees, detail=detail)
    return [acc.observation() for acc in accs.values()]


def service_observations(findings: Iterable[Finding], graph: ServiceGraph) -> list[Observation]:
    """service-no-endpoints findings as observations of their Service: explained by the
    workloads behind it when there are some, its own root cause when none is."""
    out = []
    for f in findings:
        where = f.where[0] if f.where else None
        if f.rule != "service-no-endpoints" or where is None:
            continue
        name = where.obj.partition("/")[2]
        node: Node = ("Service", name)
        behind = [n for n in graph.services.get((where.namespace, name), ()) if n != node]
        out.append(
            Observation(
                node=node,
                namespace=where.namespace,
                rule=f.rule,
                severity=f.severity,
                count=f.count,
                example=f.detail or f.example,
                first=f.first_seen,
                last=f.last_seen,
                callees=tuple(behind),
            )
        )
    return out


def is_symptom(obs: Observation) -> bool:
    return obs.rule in SYMPTOMS and bool(obs.callees)

