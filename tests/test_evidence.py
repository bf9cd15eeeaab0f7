"""One Evidence per run: a command lists each kind once and reads each log once, however
many of its steps and detectors look at them."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from kubectl_triage import cli
from kubectl_triage.bundle import BundleSource
from kubectl_triage.collect.gather import LogOptions, log_refs
from kubectl_triage.collect.run import collect
from kubectl_triage.scan import Prefilter
from tests.helpers import HANDWRITTEN, HANDWRITTEN_DEMO, run


class CountingSource:
    """A Source that counts what it is asked, by kind, log and probe."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.context = inner.context
        self.lists: Counter[str] = Counter()
        self.logs: Counter[tuple] = Counter()
        self.probes: Counter[tuple] = Counter()

    def list(self, kind, namespace, *, selector=""):
        self.lists[kind] += 1
        return self.inner.list(kind, namespace, selector=selector)

    def log(self, ref, window):
        self.logs[ref] += 1
        return self.inner.log(ref, window)

    def http_get(self, namespace, pod, *, port, path, container=""):
        self.probes[(pod, port, path)] += 1
        return self.inner.http_get(namespace, pod, port=port, path=path, container=container)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def counting(monkeypatch) -> CountingSource:
    source = CountingSource(BundleSource(HANDWRITTEN_DEMO))
    monkeypatch.setattr(cli, "_source", lambda: source)
    return source


@pytest.mark.parametrize("command", ["checklist", "summary"])
def test_command_lists_each_kind_once_and_reads_each_log_once(counting, command):
    result = run(*HANDWRITTEN, command, "-o", "json")
    assert result.code == 0, result.stderr
    assert counting.lists["pods"] == 1
    assert max(counting.lists.values()) == 1, counting.lists
    assert counting.logs and max(counting.logs.values()) == 1, counting.logs
    assert not counting.probes or max(counting.probes.values()) == 1, counting.probes


def test_checklist_reads_every_container_log_of_the_demo(counting):
    run(*HANDWRITTEN, "checklist", "-o", "json")
    daprd = [ref for ref in counting.logs if ref.container == "daprd"]
    assert len(daprd) == 3  # one per Dapr pod, read once though two steps judge it
    assert len(counting.logs) == 9


def test_evidence_reads_a_kind_only_when_asked_and_only_once():
    source = CountingSource(BundleSource(HANDWRITTEN_DEMO))
    evidence = collect(source, "taskflow")
    assert not source.lists
    first = evidence.pods
    assert evidence.pods is first and source.lists == {"pods": 1, "replicasets": 1}
    evidence.workloads()
    evidence.workloads(selector="app=taskflow-api")
    assert source.lists["pods"] == 1 and source.lists["deployments"] == 1


def test_evidence_reads_a_log_once_for_every_view_that_asks():
    source = CountingSource(BundleSource(HANDWRITTEN_DEMO))
    evidence = collect(source, "taskflow")
    options = LogOptions()
    refs = log_refs(evidence.pods, options)
    first = evidence.logs(refs, options=options)
    again = evidence.logs(refs[:2], options=options)
    seen: list = []
    evidence.logs(refs, options=options, sink=seen.extend)
    assert max(source.logs.values()) == 1
    assert first.read == len(source.logs) and again.read <= 2
    assert len(seen) == len(first.records)


def test_bad_selector_is_kubectls_one_line_not_a_traceback():
    # kubectl get pods -l 'app in (a' says this and exits 1; a live API server answers 400.
    result = run(*HANDWRITTEN, "status", "-l", "app in (a")
    assert result.code == 1
    assert result.stderr == "error: unable to parse requirement: 'app in (a'\n"


def test_a_view_widens_the_prefilter_only_before_the_first_log_is_read():
    source = CountingSource(BundleSource(HANDWRITTEN_DEMO))
    narrow = Prefilter(["traceback"])
    evidence = collect(source, "taskflow", prefilter=lambda extra: Prefilter(["traceback", *extra]))
    assert evidence.look_for(["/v1.0/publish/"])
    assert "/v1.0/publish/" in evidence.prefilter.literals_text()
    options = LogOptions(containers=("daprd",))
    evidence.logs(log_refs(evidence.pods, options), options=options)
    assert evidence.look_for(["/v1.0/publish/"])  # nothing new: still fine
    assert not evidence.look_for(["/v1.0/invoke/"])  # too late: the caller reads its own way
    assert narrow.literals_text() == ["traceback"]


def test_published_topics_are_found_even_after_other_views_read_the_logs(monkeypatch):
    from kubectl_triage.commands.common import Run
    from kubectl_triage.detectors import dapr_wiring
    from kubectl_triage.rules.engine import RuleSet
    from kubectl_triage.rules.load import load_rules

    ruleset = RuleSet(load_rules(use_default=False))
    seen: list[dict] = []
    real = dapr_wiring.published_topics
    monkeypatch.setattr(dapr_wiring, "published_topics", lambda rs: seen.append(real(rs)) or {})

    def published(*, read_first: bool) -> dict:
        run_ = Run(BundleSource(HANDWRITTEN_DEMO), "taskflow", ruleset)
        if read_first:  # another view read every log with the rules' words only
            options = LogOptions()
            run_.evidence.logs(log_refs(run_.evidence.pods, options), options=options)
        found = dapr_wiring.app_wiring(run_, "notification-service").found
        dapr_wiring.published_without_subscriber(run_, found)
        return seen.pop()

    fresh = published(read_first=False)
    assert ("pubsub", "task-events") in fresh
    assert published(read_first=True) == fresh


def test_each_log_is_judged_as_it_is_read_and_the_judgement_is_the_tables():
    """The run's memo holds every record's match once the logs are read (judged while the
    other logs were still being read, not after the last came), and it is the table's."""
    from kubectl_triage.commands.common import Run
    from kubectl_triage.rules.engine import RuleSet
    from kubectl_triage.rules.load import load_rules

    ruleset = RuleSet(load_rules(use_default=True))
    run_ = Run(BundleSource(HANDWRITTEN_DEMO), "taskflow", ruleset)
    options = LogOptions()
    result = run_.evidence.logs(log_refs(run_.evidence.pods, options), options=options)
    assert result.records
    unjudged = {id(r) for r in result.records} - set(run_._judged)
    assert unjudged == set()  # nothing left for the views to judge
    for record in result.records:
        assert run_.classify(record) == ruleset.classify(record)
    assert any(run_.classify(r) is not None for r in result.records)
