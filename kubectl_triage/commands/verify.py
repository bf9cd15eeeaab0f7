"""`verify DEPLOY`: is the new version really running — rollout finished, only the newest
ReplicaSet's pods, the expected image, no restarts, and no new errors since they started."""

from __future__ import annotations

import time
from collections.abc import Callable

from kubectl_triage.collect.gather import LogOptions, log_refs, resolve_target
from kubectl_triage.commands.common import Run
from kubectl_triage.commands.timefmt import age
from kubectl_triage.detectors import run_detectors
from kubectl_triage.detectors.rollout import verify_check
from kubectl_triage.errors import NotFound
from kubectl_triage.evidence import Deployment, Gap, Level, Pod, Verdict
from kubectl_triage.report import Check, Report
from kubectl_triage.rules.engine import Tally

# The detectors whose verdicts the error count takes (names of detectors.REGISTRY); the
# rollout's judgement (detectors/rollout.py) is called as a check of its own.
DETECTORS = ("timezone",)

POLL_SECONDS = 2.0


def verify_report(
    run: Run,
    deploy: str,
    *,
    image: str | None,
    wait: bool,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Report:
    deadline = clock() + timeout
    while True:
        report, done = _verify_once(run, deploy, image=image)
        if done or not wait or clock() >= deadline:
            return report
        sleep(POLL_SECONDS)
        run = run.afresh()  # each poll reads the cluster again


def _verify_once(run: Run, deploy: str, *, image: str | None) -> tuple[Report, bool]:
    name = deploy.rpartition("/")[2]
    ws = run.evidence.workloads()
    deployment = ws.deployment(name)
    if deployment is None:
        resolve_target(ws, f"deploy/{name}")  # raises NotFound with suggestions
        raise NotFound(f'deployments.apps "{name}" not found')
    current = resolve_target(ws, f"deploy/{name}")
    owned = [
        p
        for p in ws.pods
        if p.workload and p.workload.name == name and p.workload.kind == "Deployment"
    ]
    now = run.source.now()
    rollout = verify_check(deployment)
    checks = [
        rollout,
        _old_pods(owned, current),
        _image(deployment, current, image),
        _restarts(current, now),
    ]
    tally, gaps = _errors_since_start(run, current)
    # a rule's match at INFO/DEBUG is a hint, not an error (rules/engine.is_failing)
    errors = [g for g in tally.groups()
              if g.level >= Level.ERROR or g.rule and not Level.UNKNOWN < g.level < Level.WARNING]
    checks.append(
        Check(
            "errors since start",
            Verdict.FAIL if errors else Verdict.PASS,
            f"{sum(g.count for g in errors)} error record(s) since the new pods started"
            if errors
            else "no error records since the new pods started",
            next=(f"kubectl triage logs deploy/{name}",) if errors else (),
        )
    )
    done = rollout.verdict is Verdict.PASS
    report = Report(
        context=run.source.context,
        namespace=run.namespace_label,
        command="verify",
        checks=tuple(checks),
        findings=tally.findings(
            context=run.context_values(name), workload_of=run.workload_of(current)
        ),
        gaps=tuple(ws.gaps + gaps),
    )
    return report, done


def _old_pods(owned: list[Pod], current: list[Pod]) -> Check:
    old = sorted({p.name for p in owned} - {p.name for p in current})
    if old:
        return Check(
            "pods",
            Verdict.WARN,
            f"{len(current)} pod(s) of the newest ReplicaSet; "
            f"still running from older ones: {', '.join(old)}",
        )
    return Check("pods", Verdict.PASS, f"{len(current)} pod(s), all of the newest ReplicaSet")


def _image(deployment: Deployment, pods: list[Pod], expected: str | None) -> Check:
    template = list(deployment.images)
    running = sorted({c.image for p in pods for c in p.containers if not c.init})
    detail = f"template {', '.join(template)}; running {', '.join(running)}"
    if not expected:
        return Check("image", Verdict.PASS, detail)
    ok = any(_same_image(expected, i) for i in template) and any(
        _same_image(expected, i) for i in running
    )
    return Check(
        "image",
        Verdict.PASS if ok else Verdict.FAIL,
        f"expected {expected}; {detail}",
        next=() if ok else (f"kubectl rollout history deploy/{deployment.name}",),
    )


def _same_image(expected: str, actual: str) -> bool:
    """`api:1.8.0` matches `ghcr.io/acme/api:1.8.0`; a digest matches its @sha256 suffix."""
    return actual == expected or actual.endswith("/" + expected) or actual.endswith("@" + expected)


def _restarts(pods: list[Pod], now) -> Check:
    restarted = [
        f"{p.name} ({sum(c.restarts for c in p.containers)})"
        for p in pods
        if any(c.restarts for c in p.containers)
    ]
    ages = ", ".join(f"{p.name} {age(p.created, now)}" for p in pods)
    if restarted:
        return Check(
            "restarts",
            Verdict.FAIL,
            "restarted: " + ", ".join(restarted),
            next=tuple(f"kubectl triage logs pod/{r.split()[0]} --previous" for r in restarted[:2]),
        )
    return Check("restarts", Verdict.PASS, f"no restarts; ages: {ages}")


def _errors_since_start(run: Run, pods: list[Pod]) -> tuple[Tally, list[Gap]]:
    """Error records of the new pods (their logs begin when they started), and what could
    not be read of them: a log that is missing or cut short leaves "no errors" unproven."""
    options = LogOptions()
    logs = run.evidence.logs(log_refs(pods, options), options=options)
    detected = run_detectors(run, DETECTORS)  # first: its verdicts are counted as such
    tally = run.tally()
    tally.add_all(logs.records)
    return tally, [*logs.gaps, *detected.gaps]
