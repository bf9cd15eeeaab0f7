"""One Evidence per run: a command lists each kind once and reads each log once, however
many of its steps and detectors look at them."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from kubectl_triage import cli
from kubectl_triage.bundle import BundleSource, demo_path
from kubectl_triage.collect.gather import LogOptions, log_refs
from kubectl_triage.collect.run import collect
from tests.helpers import run


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
    source = CountingSource(BundleSource(demo_path()))
    monkeypatch.setattr(cli, "_source", lambda: source)
    return source


@pytest.mark.parametrize("command", ["checklist", "summary"])
def test_command_lists_each_kind_once_and_reads_each_log_once(counting, command):
    result = run("--demo", command, "-o", "json")
    assert result.code == 0, result.stderr
    assert counting.lists["pods"] == 1
    assert max(counting.lists.values()) == 1, counting.lists
    assert counting.logs and max(counting.logs.values()) == 1, counting.logs
    assert not counting.probes or max(counting.probes.values()) == 1, counting.probes


def test_checklist_reads_every_container_log_of_the_demo(counting):
    run("--demo", "checklist", "-o", "json")
    daprd = [ref for ref in counting.logs if ref.container == "daprd"]
    assert len(daprd) == 3  # one per Dapr pod, read once though two steps judge it
    assert len(counting.logs) == 9


def test_evidence_reads_a_kind_only_when_asked_and_only_once():
    source = CountingSource(BundleSource(demo_path()))
    evidence = collect(source, "taskflow", prefilter=None)
    assert not source.lists
    first = evidence.pods
    assert evidence.pods is first and source.lists == {"pods": 1, "replicasets": 1}
    evidence.workloads()
    evidence.workloads(selector="app=taskflow-api")
    assert source.lists["pods"] == 1 and source.lists["deployments"] == 1


def test_evidence_reads_a_log_once_for_every_view_that_asks():
    source = CountingSource(BundleSource(demo_path()))
    evidence = collect(source, "taskflow", prefilter=None)
    options = LogOptions()
    refs = log_refs(evidence.pods, options)
    first = evidence.logs(refs, options=options)
    again = evidence.logs(refs[:2], options=options)
    seen: list = []
    evidence.logs(refs, options=options, sink=seen.extend)
    assert max(source.logs.values()) == 1
    assert first.read == len(source.logs) and again.read <= 2
    assert len(seen) == len(first.records)


def test_bad_selector_is_a_usage_error_not_a_traceback():
    result = run("--demo", "status", "-l", "app in (a")
    assert result.code == 2 and "bad selector" in result.stderr
