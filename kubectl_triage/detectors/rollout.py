"""`rollout`: has every Deployment's newest spec rolled out? One judgement of a rollout,
which `checklist` applies to every Deployment and `verify` to the one it gates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kubectl_triage.detectors.model import Detected, Detector
from kubectl_triage.evidence import Deployment, Verdict
from kubectl_triage.report import Check

if TYPE_CHECKING:
    from kubectl_triage.commands.common import Run


@dataclass(frozen=True)
class Rollout:
    done: bool
    stuck: bool  # the controller gave up: progress deadline exceeded
    problem: str  # the first thing not done yet, "" when done
    counts: str  # generation and replica counts, for verify's detail


def assess(d: Deployment) -> Rollout:
    want = d.want
    counts = (
        f"generation {d.generation} observed {d.observed_generation}, "
        f"updated {d.updated}/{want}, ready {d.ready}/{want}, available {d.available}/{want}"
    )
    if d.observed_generation < d.generation:
        problem = "new spec not observed yet"
    elif d.updated < want:
        problem = f"{d.updated}/{want} updated"
    elif d.available < want:
        problem = f"{d.available}/{want} available"
    elif d.ready < want:
        problem = f"{d.ready}/{want} ready"
    elif d.replicas is not None and d.replicas != want:
        problem = f"{d.replicas} pods for {want} replicas: older ones still running"
    else:
        problem = ""
    return Rollout(done=not problem, stuck=d.deadline_exceeded, problem=problem, counts=counts)


def verify_check(d: Deployment) -> Check:
    """`verify`'s gate: pass when done; fail when the controller gave up; else in progress."""
    state = assess(d)
    if state.stuck:
        return Check(
            "rollout",
            Verdict.FAIL,
            f"{state.counts}: progress deadline exceeded",
            next=(f"kubectl rollout status deploy/{d.name}",),
        )
    if state.done:
        return Check("rollout", Verdict.PASS, state.counts)
    return Check(
        "rollout",
        Verdict.WARN,
        f"{state.counts}: in progress",
        next=(f"kubectl triage verify {d.name} --wait",),
    )


def rollout_check(deployments: list[Deployment], ns: str) -> Check:
    """`checklist`'s step: every Deployment whose rollout is not done fails it."""
    stuck = [(d.name, assess(d)) for d in deployments]
    stuck = [(name, s) for name, s in stuck if not s.done]
    if stuck:
        return Check(
            "rollout",
            Verdict.FAIL,
            "; ".join(f"{name}: {s.problem}" for name, s in stuck),
            next=tuple(f"kubectl triage verify {name} -n {ns}" for name, _ in stuck[:3]),
        )
    return Check("rollout", Verdict.PASS, f"{len(deployments)} deployment(s) rolled out")


def detect(run: Run) -> Detected:
    evidence = run.evidence
    return Detected(checks=(rollout_check(evidence.deployments, evidence.scope_namespace),))


DETECTOR = Detector("rollout", (), detect, "Deployments whose newest spec is not rolled out")
