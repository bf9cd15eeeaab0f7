"""What the commands share: the run's inputs, its Evidence and the report context."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from kubectl_triage.collect.run import Evidence, collect
from kubectl_triage.evidence import Level, Pod, Record
from kubectl_triage.rules.engine import LEVEL_LITERALS, Match, RuleSet, Tally
from kubectl_triage.scan import Prefilter
from kubectl_triage.source import Source


@dataclass(frozen=True)
class Run:
    source: Source
    namespace: str | None  # None: all namespaces (-A)
    ruleset: RuleSet
    progress: Callable[[int, int], None] | None = None
    evidence: Evidence = field(default=None)  # type: ignore[assignment]  # set after init
    # record id -> (the record, its match): a record is judged once whatever number of views
    # count it; the record is kept so that its id is not reused for another
    _judged: dict[int, tuple[Record, Match | None]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.evidence is None:
            evidence = collect(self.source, self.namespace, prefilter=self._prefilter,
                               judge=self.classify)
            object.__setattr__(self, "evidence", evidence)

    def _prefilter(self, extra: tuple[str, ...]) -> Prefilter:
        """The rules' prefilter; with a view's extra words, one more (built only then: a
        prefilter costs ~0.1 s to compile)."""
        if not extra:
            return self.ruleset.prefilter
        words = [*self.ruleset.prefilter.literals_text(), *extra]
        return Prefilter(words, quiet_words=LEVEL_LITERALS)

    def afresh(self) -> Run:
        """The same run over new Evidence (a poll that must see the cluster change)."""
        return replace(self, evidence=None, _judged={})

    @property
    def namespace_label(self) -> str:
        return self.namespace or "(all)"

    def classify(self, record: Record) -> Match | None:
        known = self._judged.get(id(record))
        if known is None:
            known = self._judged[id(record)] = (record, self.ruleset.classify(record))
        return known[1]

    def note(self, verdicts: Iterable[tuple[Record, Match]]) -> None:
        """A detector's judgement of these records, over the table's, for the rest of the
        run (detectors.run_detectors)."""
        for record, match in verdicts:
            self._judged[id(record)] = (record, match)

    def tally(self, *, min_level: Level = Level.WARNING) -> Tally:
        """A Tally that judges through the run's memo."""
        return Tally(self.ruleset, min_level=min_level, classify=self.classify)

    @staticmethod
    def workload_of(pods: Iterable[Pod]) -> dict[str, str]:
        """Pod name -> the name of the workload that owns it (for next commands)."""
        return {p.name: p.workload.name for p in pods if p.workload}

    def context_values(self, workload: str = "") -> dict[str, str]:
        values = {"namespace": self.namespace} if self.namespace else {}
        if workload:
            values["workload"] = workload
        return values
