"""Root causes, and what each explains, ranked.

The observations of a node split into its own failures and symptoms of a callee. Its own
failures make its incidents: the pod-life rules (crash loop, OOM kill, probes, image,
config…) one incident together, every other rule one of its own, so two bugs of one
service stay two root causes. A symptom goes to the incident of the callee it names:
the callee's pod-life incident, else wherever the callee's own symptoms lead (the
callee of a callee: a crash-looping search explains catalog's 5xx and so storefront's
timeouts), else the callee's worst incident; a symptom whose callee has nothing wrong
stays with the caller as an incident of its own. A workload that reports only its
callees' failures (a worker that crash-loops because its database refuses it) has its
crash loop explained too. Incidents are ranked by how many observations they explain,
then severity, then recency. Pure; imports `evidence` and `incidents`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timezone

from kubectl_triage.incidents.attribute import (
    CONSEQUENCES,
    LIFECYCLE,
    WRONG_ENDPOINT,
    is_symptom,
)
from kubectl_triage.incidents.model import Incident, Node, Observation

LIFE = "lifecycle"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# How an incident's summary says a pod-life rule, after the workload's name.
PHRASES = {
    "crash-loop": "is crash-looping",
    "oom-killed": "is OOM-killed",
    "app-out-of-memory": "runs out of memory",
    "evicted": "was evicted",
    "image-pull": "cannot pull its image",
    "config-missing": "misses a ConfigMap, Secret or key",
    "volume-mount": "cannot mount a volume",
    "probe-failure": "fails its probes",
    "scheduling": "cannot be scheduled",
    "init-container": "has a failing init container",
    "service-no-endpoints": "has no ready endpoint",
}

GroupKey = tuple[Node, str]  # (node, LIFE or a rule id)


class _Attribution:
    """Which incident each observation belongs to; built once over all observations."""

    def __init__(self, observations: Iterable[Observation]) -> None:
        self.by_node: dict[Node, list[Observation]] = {}
        for obs in observations:
            self.by_node.setdefault(obs.node, []).append(obs)
        self.symptoms: dict[Node, list[Observation]] = {}
        self.groups: dict[GroupKey, list[Observation]] = {}
        self.explains: dict[GroupKey, list[Observation]] = {}
        self.stray: dict[GroupKey, list[Observation]] = {}
        for node, obs in self.by_node.items():
            self._split(node, obs)
        for node in list(self.symptoms):
            for obs in self.symptoms[node]:
                self._attribute(obs)
        for key, obs in self.stray.items():
            self.groups.setdefault(key, []).extend(obs)
        self._join_wrong_endpoints()

    def _join_wrong_endpoints(self) -> None:
        """A callee's 404 answers to a caller's wrong-endpoint calls belong to the caller's
        incident (the caller calls a path the callee never served)."""
        wrong = {k: v for k, v in self.groups.items() if k[1] == WRONG_ENDPOINT}
        for (node, rule), answered in wrong.items():
            callers = [
                k for k, calls in wrong.items()
                if k[0] != node and any(node in o.callees for o in calls)
            ]
            if callers and (node, rule) in self.groups:
                self.explains.setdefault(min(callers), []).extend(answered)
                del self.groups[(node, rule)]

    def _split(self, node: Node, observations: list[Observation]) -> None:
        own = [o for o in observations if not is_symptom(o)]
        symptoms = [o for o in observations if is_symptom(o)]
        if symptoms and all(o.rule in CONSEQUENCES for o in own):
            callees = tuple(dict.fromkeys(c for s in symptoms for c in s.callees))
            symptoms += [_with_callees(o, callees) for o in own]
            own = []
        self.symptoms[node] = symptoms
        bugs = [o for o in own if o.rule not in LIFECYCLE and o.rule not in CONSEQUENCES]
        for obs in own:
            if obs.rule == UNHANDLED and bugs:
                # Its 500s are what the workload's named bugs look like from outside: the
                # server's own 5xx lines and bare exceptions are explained by the first.
                handler = [b for b in bugs if b.rule not in _NOT_IN_A_HANDLER] or bugs
                self.explains.setdefault((node, min(handler, key=_key).rule), []).append(obs)
                continue
            name = LIFE if obs.rule in LIFECYCLE or obs.rule in CONSEQUENCES else obs.rule
            self.groups.setdefault((node, name), []).append(obs)

    def _attribute(self, obs: Observation) -> None:
        for callee in obs.callees:
            key = self.target(callee, seen=frozenset({obs.node}))
            if key is not None:
                self.explains.setdefault(key, []).append(obs)
                return
        # nothing wrong at the callee: the caller's own, but never a target for others
        # (so that the outcome does not depend on which symptom came first)
        self.stray.setdefault((obs.node, obs.rule), []).append(obs)

    def target(self, node: Node, *, seen: frozenset[Node]) -> GroupKey | None:
        """The incident a failure of `node` as a callee belongs to."""
        if node in seen:
            return None
        if (node, LIFE) in self.groups:
            return (node, LIFE)
        for obs in self.symptoms.get(node, ()):
            for callee in obs.callees:
                key = self.target(callee, seen=seen | {node})
                if key is not None:
                    return key
        own = [k for k in self.groups if k[0] == node]
        if own:
            return min(own, key=lambda k: _order(self.groups[k]))
        return None


UNHANDLED = "unhandled-exception"
# Bugs that fail a call the workload makes or a job it runs, not the request it answers:
# a server's own 500s go to a bug raised in its handlers first.
_NOT_IN_A_HANDLER = frozenset({WRONG_ENDPOINT, "timezone"})


def _key(obs: Observation) -> tuple:
    return (-obs.severity, -obs.count, obs.rule)


def _with_callees(obs: Observation, callees: tuple[Node, ...]) -> Observation:
    return replace(obs, callees=callees)


def _order(observations: list[Observation]) -> tuple:
    worst = max(o.severity for o in observations)
    return (-worst, -sum(o.count for o in observations))


def _cause_first(observations: list[Observation]) -> list[Observation]:
    """The observation that says why first: a crash loop's reason before the loop."""
    return sorted(
        observations, key=lambda o: (o.rule in CONSEQUENCES, -o.severity, -o.count, o.rule)
    )


def summary_of(node: Node, rules: list[str], *, titles: Callable[[str], str]) -> str:
    kind, name = node
    label = f"Service {name}" if kind == "Service" else name
    phrases = [PHRASES[r] for r in rules if r in PHRASES]
    if phrases and len(phrases) == len(rules):
        said = list(dict.fromkeys(phrases))
        # "is OOM-killed and crash-looping", not "… and is crash-looping"
        rest = [p[3:] if p.startswith("is ") and said[0].startswith("is ") else p for p in said[1:]]
        return f"{label} " + " and ".join([said[0], *rest])
    return f"{label}: {titles(rules[0])}"


def rank_incidents(
    observations: Iterable[Observation],
    *,
    titles: Callable[[str], str],
    next_for: Callable[[list[Observation]], tuple[str, ...]],
) -> list[Incident]:
    """The incidents of these observations, most important first."""
    attribution = _Attribution(observations)
    made = []
    for key, own in attribution.groups.items():
        node = key[0]
        ordered = _cause_first(own)
        explains = sorted(
            attribution.explains.get(key, []), key=lambda o: (o.node[1], o.rule, o.node[0])
        )
        rules = [o.rule for o in ordered]
        lasts = [o.last for o in [*own, *explains] if o.last]
        made.append(
            Incident(
                rank=0,
                node=node,
                namespace=ordered[0].namespace,
                rules=tuple(rules),
                summary=summary_of(node, rules, titles=titles),
                explains=tuple(explains),
                next=next_for(ordered),
                evidence=ordered[0].example,
                severity=max(o.severity for o in own),
                last=max(lasts) if lasts else None,
                count=sum(o.count for o in own),
                detail=ordered[0].detail,
            )
        )
    return ranked(made)


def ranked(incidents: Iterable[Incident]) -> list[Incident]:
    """Most important first, numbered: by what each explains, then severity, then recency."""
    made = sorted(
        incidents,
        key=lambda i: (
            -len(i.explains),
            -i.severity,
            -(i.last or _EPOCH).timestamp(),
            i.namespace,
            i.node,
        ),
    )
    return [replace(incident, rank=n) for n, incident in enumerate(made, 1)]
