"""The detector registry: every detector runs on the demo, the names commands use are
registered, and the rules they report exist; `service-no-endpoints` on bundles and live."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from kubectl_triage.bundle import BundleSource
from kubectl_triage.commands.common import Run
from kubectl_triage.detectors import REGISTRY, run_detectors
from kubectl_triage.detectors.model import Detected
from kubectl_triage.detectors.rollout import assess
from kubectl_triage.evidence import Deployment, Verdict
from kubectl_triage.rules.engine import RuleSet
from kubectl_triage.rules.load import load_rules
from tests.helpers import HANDWRITTEN, HANDWRITTEN_DEMO, run

# Every command module that names detectors, and so must agree with the registry.
VIEWS = ("summary", "checklist", "logs", "verify", "follow")
# The views that count log records: each runs every detector that judges records.
COUNTING = ("summary", "checklist", "logs", "verify", "follow")


def _demo_run(source: Any = None) -> Run:
    return Run(
        source=source or BundleSource(HANDWRITTEN_DEMO),
        namespace="taskflow",
        ruleset=RuleSet(load_rules(use_default=False)),
    )


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_detector_runs_on_the_demo(name):
    detector = REGISTRY[name]
    assert detector.name == name
    got = detector.detect(_demo_run())
    assert isinstance(got, Detected)
    assert {f.rule for f in got.findings} <= set(detector.rules)


def test_registry_and_the_commands_that_name_detectors_agree():
    named = set()
    for view in VIEWS:
        names = importlib.import_module(f"kubectl_triage.commands.{view}").DETECTORS
        assert set(names) <= set(REGISTRY), view
        named |= set(names)
    assert named == set(REGISTRY), "a registered detector that no command runs"
    judging = {name for name, d in REGISTRY.items() if d.judge is not None}
    assert judging, "timezone judges records"
    for view in COUNTING:
        names = importlib.import_module(f"kubectl_triage.commands.{view}").DETECTORS
        assert judging <= set(names), view


def test_the_prefilter_keeps_the_lines_record_judging_detectors_look_at():
    from kubectl_triage.detectors import LITERALS
    from kubectl_triage.scan import iter_records

    for name, detector in REGISTRY.items():
        assert bool(detector.literals) == (detector.judge is not None), name
        assert set(detector.literals) <= set(LITERALS), name
    line = b"2026-11-27T22:30:00Z INFO firing reminder due_at=2026-11-27T21:30:00Z\n"
    table_only = RuleSet(load_rules(use_default=False))
    with_detectors = RuleSet(load_rules(use_default=False), literals=LITERALS)
    assert not list(iter_records([line], prefilter=table_only.prefilter))
    assert len(list(iter_records([line], prefilter=with_detectors.prefilter))) == 1


def test_every_rule_a_detector_reports_is_in_the_table():
    ruleset = RuleSet(load_rules(use_default=False))
    for detector in REGISTRY.values():
        assert set(detector.rules) <= set(ruleset.by_id), detector.name


def test_service_without_endpoints_fires_on_the_demo_for_postgres():
    got = run_detectors(_demo_run(), ("service-no-endpoints",))
    assert [f.rule for f in got.findings] == ["service-no-endpoints"]
    finding = got.findings[0]
    assert finding.where[0].obj == "Service/postgres"
    assert "no pod has these labels" in finding.detail
    assert "kubectl describe service postgres -n taskflow" in finding.next
    assert got.checks[0].verdict is Verdict.FAIL


def test_summary_shows_the_service_the_crash_looping_worker_cannot_reach():
    report = run(*HANDWRITTEN, "summary", "-o", "json").json()
    rules = {f["rule"]: f for f in report["findings"]}
    assert {"service-no-endpoints", "db-connection", "crash-loop"} <= set(rules)
    assert rules["service-no-endpoints"]["where"][0]["object"] == "Service/postgres"


class _LiveLike:
    """The demo bundle, plus the EndpointSlices a live cluster would give."""

    def __init__(self, slices: list[dict]) -> None:
        self.inner = BundleSource(HANDWRITTEN_DEMO)
        self.context = self.inner.context
        self.slices = slices

    def list(self, kind, namespace, *, selector=""):
        if kind == "endpointslices":
            return self.slices
        return self.inner.list(kind, namespace, selector=selector)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _slice(service: str, *ready: bool) -> dict:
    return {
        "metadata": {"namespace": "taskflow", "labels": {"kubernetes.io/service-name": service}},
        "endpoints": [{"conditions": {"ready": r}} for r in ready],
    }


def test_live_endpoint_slices_decide_over_the_pods():
    services = ["notification-service", "notification-service-dapr", "taskflow-api",
                "taskflow-api-dapr", "web-dashboard"]
    slices = [_slice(s, True) for s in services] + [_slice("postgres", False)]
    got = run_detectors(_demo_run(_LiveLike(slices)), ("service-no-endpoints",))
    assert [f.where[0].obj for f in got.findings] == ["Service/postgres"]
    slices[-1] = _slice("postgres", True)
    assert not run_detectors(_demo_run(_LiveLike(slices)), ("service-no-endpoints",)).findings


def test_a_service_without_any_slice_is_judged_by_its_pods():
    """No endpointslice controller (kwok's test cluster): no slice says anything."""
    got = run_detectors(_demo_run(_LiveLike([])), ("service-no-endpoints",))
    assert [f.where[0].obj for f in got.findings] == ["Service/postgres"]


def _deployment(**status: Any) -> Deployment:
    values = dict(namespace="ns", name="api", uid="u", generation=2, observed_generation=2,
                  want=2, replicas=2, updated=2, ready=2, available=2, deadline_exceeded=False,
                  images=("api:1",))
    values.update(status)
    return Deployment(**values)


@pytest.mark.parametrize("status, problem", [
    ({}, ""),
    ({"observed_generation": 1}, "new spec not observed yet"),
    ({"updated": 1}, "1/2 updated"),
    ({"available": 0}, "0/2 available"),
    ({"replicas": 3}, "3 pods for 2 replicas: older ones still running"),
])
def test_one_rollout_judgement_for_checklist_and_verify(status, problem):
    state = assess(_deployment(**status))
    assert state.problem == problem and state.done == (not problem)


class _ExtraComponent(_LiveLike):
    """The demo with one more Component, scoped to taskflow-api, that no sidecar loaded."""

    def __init__(self) -> None:
        super().__init__([])

    def list(self, kind, namespace, *, selector=""):
        items = self.inner.list(kind, namespace, selector=selector)
        if kind == "components":
            items = [*items, {"metadata": {"name": "secretstore", "namespace": "taskflow"},
                              "spec": {"type": "secretstores.kubernetes", "version": "v1"},
                              "scopes": ["taskflow-api"]}]
        return items


def test_dapr_wiring_names_a_component_its_sidecar_did_not_load():
    got = run_detectors(_demo_run(_ExtraComponent()), ("dapr-wiring",))
    unloaded = [f for f in got.findings if f.rule == "dapr-component-init"]
    assert len(unloaded) == 1 and "secretstore is scoped to taskflow-api" in unloaded[0].detail
    assert got.checks[0].verdict is Verdict.FAIL
    assert "dapr-component-init" in got.checks[0].detail
