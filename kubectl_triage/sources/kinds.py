"""The resource kinds kubectl-triage reads: one row each, for every place that needs one.

The live source takes the API path, the bundle writer the list kind and which kinds a
bundle holds (in the order it writes them), the bundle reader which kinds exist, target
resolution (`logs deploy/x`) and completion the aliases. Standard library only: completion
imports it at every keystroke.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    resource: str  # the plural name, the key everywhere: "pods"
    kind: str  # "Pod"
    api: str  # the group version's path: "/api/v1", "/apis/apps/v1"
    aliases: tuple[str, ...] = ()  # TARGET prefixes (kubectl's short names and singular)
    namespaced: bool = True
    bundled: bool = True  # a bundle (and kubectl's dump) saves it

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"


_ROWS = (
    Kind("pods", "Pod", "/api/v1", ("po", "pod")),
    Kind("deployments", "Deployment", "/apis/apps/v1", ("deploy", "deployment")),
    Kind("replicasets", "ReplicaSet", "/apis/apps/v1", ("rs", "replicaset")),
    Kind("statefulsets", "StatefulSet", "/apis/apps/v1", ("sts", "statefulset")),
    Kind("daemonsets", "DaemonSet", "/apis/apps/v1", ("ds", "daemonset")),
    Kind("services", "Service", "/api/v1"),
    Kind("events", "Event", "/api/v1"),
    # Dapr's custom resources; a cluster without Dapr answers 404 (collect makes it a gap).
    Kind("components", "Component", "/apis/dapr.io/v1alpha1"),
    Kind("subscriptions", "Subscription", "/apis/dapr.io/v2alpha1"),
    # Live only: neither our bundles nor `kubectl cluster-info dump` save EndpointSlices;
    # there a Service's endpoints are its selector matched against the pods.
    Kind("endpointslices", "EndpointSlice", "/apis/discovery.k8s.io/v1", bundled=False),
    Kind("jobs", "Job", "/apis/batch/v1", ("job",), bundled=False),
    Kind("nodes", "Node", "/api/v1", namespaced=False),
    Kind("namespaces", "Namespace", "/api/v1", namespaced=False, bundled=False),
)

KINDS: dict[str, Kind] = {k.resource: k for k in _ROWS}

# What a bundle holds per namespace, in the order the writer saves it.
BUNDLED_NAMESPACED = tuple(k.resource for k in _ROWS if k.bundled and k.namespaced)


def target_kind(prefix: str) -> Kind | None:
    """The kind a TARGET's `PREFIX/` names (`deploy`, `sts`, `pods`, …), or None."""
    prefix = prefix.lower()
    return next((k for k in _ROWS if k.aliases and prefix in (*k.aliases, k.resource)), None)



def kubectl_name(kind: str, name: str) -> str:
    """An object as `kubectl get -o name` prints it: "pod/web-1", "deployment.apps/web",
    "component.dapr.io/pubsub"; a kind not in the table as its lower-case self."""
    row = next((k for k in _ROWS if k.kind.lower() == kind.lower()), None)
    if row is None:
        return f"{kind.lower()}/{name}"
    group = row.api.split("/")[2] if row.api.startswith("/apis/") else ""
    return f"{row.kind.lower()}{'.' + group if group else ''}/{name}"
