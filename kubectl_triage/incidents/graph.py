"""The service graph: who calls whom, drawn from the evidence itself.

Nodes are workloads (a Deployment, a StatefulSet, a bare pod) and Services that no pod
stands behind (a database scaled to zero). Edges come from what the logs name: Dapr
invoke URLs and `ERR_DIRECT_INVOKE` app-ids, Service DNS names and URLs
(`http://billing.prod.svc:8080/x`, `billing.prod.svc.cluster.local`, `billing:8080`,
`server at "postgres"`), resolved through the namespace's Services and their selectors
to the workloads behind them; pub/sub topics from publisher to subscriber; and
correlation ids seen in two workloads (the first to log one is the caller).

Pure: built from typed evidence (pods, Services, Dapr Subscriptions, records); imports
`evidence` and the standard library only.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kubectl_triage.evidence import DaprResource, Level, Pod, Record, Service

APP_ID = "dapr.io/app-id"

# (kind, name): ("Deployment", "billing") or ("Service", "postgres")
Node = tuple[str, str]

_INVOKE = re.compile(r"/v1\.0/invoke/(?P<name>[A-Za-z0-9][\w.-]*)/method/")
_DIRECT_INVOKE = re.compile(
    r"ERR_DIRECT_INVOKE.{0,200}?\b(?:app[ _-]?id|id)[\s:=]+['\"]?(?P<name>[A-Za-z0-9][\w.-]*)",
    re.S,
)
_APP_UNHEALTHY = re.compile(
    r"\bapp (?:id )?['\"]?(?P<name>[a-z0-9][\w.-]*)['\"]? (?:is not healthy|is unhealthy"
    r"|channel is (?:down|not initialized))"
)
_PUBLISH = re.compile(r"/v1\.0/publish/(?P<pubsub>[\w.-]+)/(?P<topic>[\w.-]+)")
_URL = re.compile(
    r"\b(?:https?|grpcs?|wss?|postgres(?:ql)?|mysql|redis|amqps?|mongodb|nats)(?:\+\w+)?://"
    r"(?:[^@/\s'\"]+@)?(?P<host>[A-Za-z0-9][A-Za-z0-9.-]*)"
)
_DNS = re.compile(
    r"\b(?P<name>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.(?P<ns>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)"
    r"\.svc(?:\.cluster\.local)?\b"
)
_HOST_PORT = re.compile(r"(?<![\w./@:-])(?P<name>[a-z][a-z0-9-]*):(?P<port>\d{2,5})\b")
# a lookahead, so that "connection to server at postgres" tries "server at" too
_NAMED_HOST = re.compile(
    r"(?=(?:server at|host(?:name)?\s*[=:]?|connect(?:ing|ion)? to|dial(?:ing)?)\s*"
    r"['\"]?(?P<name>[a-z][a-z0-9-]*)\b(?![.-]))"
)
# Dapr's words for the app a call was meant for
_DAPR_APP = re.compile(
    r"\bappid:\s*(?P<name>[a-z0-9][\w.-]*?)[,\s]|couldn't find service:?\s*(?P<svc>[a-z0-9][\w-]*)"
)
# every pattern above needs one of these
_CUES = re.compile(
    r"/v1\.0/|ERR_DIRECT_INVOKE|://|\.svc\b|[a-z]:\d{2,5}\b|server at|host|connect|dial"
    r"|\bapp\b|appid|find service"
)
_FAILED_STATUS = re.compile(r"\b(?:404|5\d\d)\b")
_URL_PATH = re.compile(r"(?:/v1\.0/invoke/[\w.-]+/method|://[^/\s'\"]+)(?P<path>/[\w./{}-]*)")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


@dataclass
class ServiceGraph:
    """Who stands behind each name a log may use, and the calls seen between them."""

    namespace_of: dict[Node, str] = field(default_factory=dict)
    app_ids: dict[tuple[str, str], Node] = field(default_factory=dict)  # (ns, app-id)
    services: dict[tuple[str, str], tuple[Node, ...]] = field(default_factory=dict)
    edges: Counter[tuple[Node, Node, str]] = field(default_factory=Counter)
    failing: Counter[tuple[Node, Node]] = field(default_factory=Counter)
    paths: dict[tuple[Node, Node], str] = field(default_factory=dict)  # a path it called
    correlated: dict[str, tuple[Node, ...]] = field(default_factory=dict)  # id -> in order

    def callees_by_id(self, text: str, *, caller: Node) -> list[Node]:
        """The nodes that logged a correlation id of this line after the caller did: the
        callee of a line that names none ("request_id=… failed: ReadTimeout")."""
        out: list[Node] = []
        for cid in _UUID.findall(text):
            order = self.correlated.get(cid, ())
            if caller in order:
                out += [n for n in order[order.index(caller) + 1 :] if n not in out]
        return out

    def unserved_callees(self, caller: Node) -> list[Node]:
        """The Services no pod stands behind that the caller's other records name
        ("Connecting to postgres:5432"): the callee of a failed connection whose line gives
        only an address (psycopg 3 resolves the name itself: `server at "10.96.12.4"`)."""
        return list(dict.fromkeys(callee for (src, callee, kind) in self.edges
                                  if src == caller and kind == "call" and callee[0] == "Service"))

    def callees(self, text: str, *, namespace: str, caller: Node | None = None) -> list[Node]:
        """The nodes a line names as the other end of a call, most explicit first."""
        if not _CUES.search(text):  # one pass instead of seven on most lines
            return []
        names: list[tuple[str, str]] = []  # (how, name)
        for pattern in (_INVOKE, _DIRECT_INVOKE, _APP_UNHEALTHY):
            names += [("app", m["name"]) for m in pattern.finditer(text)]
        names += [("app", m["name"] or m["svc"]) for m in _DAPR_APP.finditer(text)]
        for m in _DNS.finditer(text):
            if m["ns"] == namespace:
                names.append(("svc", m["name"]))
        for m in _URL.finditer(text):
            labels = m["host"].lower().split(".")
            # a bare name is in the caller's namespace; name.ns.svc… is handled by _DNS
            if len(labels) == 1 or (len(labels) == 2 and labels[1] == namespace):
                names.append(("svc", labels[0]))
        names += [("svc", m["name"]) for m in _HOST_PORT.finditer(text)]
        names += [("svc", m["name"]) for m in _NAMED_HOST.finditer(text)]
        out: list[Node] = []
        for how, name in names:
            for node in self._resolve(how, name, namespace=namespace):
                if node != caller and node not in out:
                    out.append(node)
        return out

    def _resolve(self, how: str, name: str, *, namespace: str) -> tuple[Node, ...]:
        if how == "app" and (namespace, name) in self.app_ids:
            return (self.app_ids[(namespace, name)],)
        if (namespace, name) in self.services:
            return self.services[(namespace, name)]
        if how == "app":  # an app-id no pod carries: the app is down or was never deployed
            return (("App", name),)
        return ()

    def add_calls(self, caller: Node, record: Record) -> None:
        """The calls a record shows: to the nodes it names, and to the topics it publishes
        to; failing when the record is an error or carries a 404 or 5xx."""
        namespace = record.ref.namespace if record.ref else record.namespace
        targets = self.callees(record.text, namespace=namespace, caller=caller)
        targets += [("Topic", m["topic"]) for m in _PUBLISH.finditer(record.text)]
        failing = record.level >= Level.ERROR or bool(_FAILED_STATUS.search(record.text))
        path = call_path(record.text)
        for callee in targets:
            edge = (caller, callee)
            self.edges[(caller, callee, "call")] += 1
            if failing:
                self.failing[edge] += 1
            if path and (edge not in self.paths or (failing and self.failing[edge] == 1)):
                self.paths[edge] = path

    def merge(self, other: ServiceGraph) -> None:
        """Another namespace's graph into this one (-A: names never cross namespaces)."""
        self.namespace_of.update(other.namespace_of)
        self.app_ids.update(other.app_ids)
        self.services.update(other.services)
        self.edges.update(other.edges)
        self.failing.update(other.failing)
        self.paths.update(other.paths)
        self.correlated.update(other.correlated)


def call_path(text: str) -> str:
    """The path a call asked for (a Dapr invoke's method path, a URL's path): the words
    that find both the caller's and the callee's records of it (trace --path)."""
    m = _URL_PATH.search(text)
    return m["path"].rstrip(".") if m and len(m["path"]) > 1 else ""


def workload_node(pod: Pod) -> Node:
    if pod.workload:
        return (pod.workload.kind, pod.workload.name)
    return ("Pod", pod.name)


def build_graph(
    pods: Iterable[Pod],
    services: Iterable[Service],
    *,
    records: Iterable[tuple[Node, Record]] = (),
    subscriptions: Iterable[DaprResource] = (),
) -> ServiceGraph:
    """The graph of a run: names resolved from the objects, calls from the records
    (each a record with the node that logged it)."""
    pods = list(pods)
    graph = ServiceGraph()
    for pod in pods:
        node = workload_node(pod)
        graph.namespace_of[node] = pod.namespace
        app_id = pod.annotations.get(APP_ID)
        if app_id:
            graph.app_ids[(pod.namespace, app_id)] = node
    by_label: dict[tuple[str, str], list[Pod]] = {}  # 500 Services x 1000 pods stay cheap
    for pod in pods:
        for label in pod.labels.items():
            by_label.setdefault(label, []).append(pod)
    for service in services:
        rarest = min((by_label.get(lb, []) for lb in service.selector.items()), key=len, default=[])
        behind = tuple(dict.fromkeys(workload_node(p) for p in rarest if service.selects(p)))
        if not behind:
            behind = (("Service", service.name),)
            graph.namespace_of[behind[0]] = service.namespace
        graph.services[(service.namespace, service.name)] = behind
    records = list(records)
    for node, record in records:
        graph.add_calls(node, record)
    _add_pubsub(graph, records, subscriptions=list(subscriptions))
    _add_correlations(graph, records)
    return graph


def _add_pubsub(
    graph: ServiceGraph, records: list[tuple[Node, Record]], *, subscriptions: list[DaprResource]
) -> None:
    """Publisher -> subscriber, for each topic a workload published to and a Subscription
    scoped to named apps subscribes to."""
    readers: dict[str, list[str]] = {}
    for sub in subscriptions:
        topic = str(sub.spec.get("topic") or "")
        if topic:
            readers.setdefault(topic, []).extend(sub.scopes)
    for node, record in records:
        for m in _PUBLISH.finditer(record.text):
            namespace = graph.namespace_of.get(node, "")
            for app in readers.get(m["topic"], ()):
                subscriber = graph.app_ids.get((namespace, app))
                if subscriber and subscriber != node:
                    graph.edges[(node, subscriber, "pubsub")] += 1


def _add_correlations(graph: ServiceGraph, records: list[tuple[Node, Record]]) -> None:
    """An id logged by two workloads: the first to log it called the other."""
    seen: dict[str, list[tuple[object, Node]]] = {}
    for node, record in records:
        for cid in set(_UUID.findall(record.text)):
            seen.setdefault(cid, []).append((record.time, node))
    for cid, sightings in seen.items():
        nodes = [n for _, n in sorted(sightings, key=lambda s: (s[0] is None, s[0] or 0))]
        ordered = list(dict.fromkeys(nodes))
        if len(ordered) > 1:
            graph.correlated[cid] = tuple(ordered)
        for a, b in zip(ordered, ordered[1:], strict=False):
            graph.edges[(a, b, "correlation")] += 1


def describe(node: Node) -> str:
    kind, name = node
    if kind == "Topic":
        return f"topic {name}"
    return name if kind not in ("Service", "App", "Pod") else f"{kind.lower()}/{name}"


def node_map(pods: Iterable[Pod]) -> Mapping[str, Node]:
    """Pod name -> its workload node."""
    return {p.name: workload_node(p) for p in pods}
