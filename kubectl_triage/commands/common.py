"""What the commands share: the run's inputs and the report context."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kubectl_triage.evidence import Pod
from kubectl_triage.rules.engine import RuleSet
from kubectl_triage.source import Source


@dataclass(frozen=True)
class Run:
    source: Source
    namespace: str | None  # None: all namespaces (-A)
    ruleset: RuleSet
    progress: Callable[[int, int], None] | None = None

    @property
    def namespace_label(self) -> str:
        return self.namespace or "(all)"

    @staticmethod
    def workload_of(pods: Iterable[Pod]) -> dict[str, str]:
        """Pod name -> the name of the workload that owns it (for next commands)."""
        return {p.name: p.workload.name for p in pods if p.workload}

    def context_values(self, workload: str = "") -> dict[str, str]:
        values = {"namespace": self.namespace} if self.namespace else {}
        if workload:
            values["workload"] = workload
        return values
