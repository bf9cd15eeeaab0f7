"""Incidents: findings joined through the service graph into ranked root causes, and the
present kept apart from history — on the demo and on tests/data/cascade (bundles)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kubectl_triage.evidence import Owner, Pod, Service, Severity
from kubectl_triage.incidents.graph import build_graph
from kubectl_triage.incidents.history import capture_time
from kubectl_triage.incidents.model import Observation
from kubectl_triage.incidents.rank import rank_incidents
from tests.helpers import HANDWRITTEN, run

CASCADE = str(Path(__file__).parent / "data" / "cascade")
SEEDS = ("schema-mismatch", "wrong-endpoint", "async-sqlalchemy-greenlet", "cloudevent-unwrap",
         "timezone")


@pytest.fixture(scope="module")
def demo() -> dict:
    result = run(*HANDWRITTEN, "summary", "-o", "json")
    assert result.code == 0, result.stderr
    return result.json()


@pytest.fixture(scope="module")
def cascade() -> dict:
    result = run("--bundle", CASCADE, "summary", "-o", "json")
    assert result.code == 0, result.stderr
    return result.json()


def _explained(incident: dict) -> set[tuple[str, str]]:
    return {(e["workload"], e["rule"]) for e in incident["explains"]}


# ---- the demo ------------------------------------------------------------------------------

def test_demo_makes_each_seed_bug_a_root_cause_of_its_own(demo):
    for seed in SEEDS:
        owners = [i for i in demo["incidents"] if seed in i["rules"]]
        assert len(owners) == 1, (seed, owners)
        assert not set(owners[0]["rules"]) & (set(SEEDS) - {seed}), owners[0]
    ranks = [i["rank"] for i in demo["incidents"]]
    assert ranks == list(range(1, len(ranks) + 1))


def test_demo_ties_the_reminder_worker_crash_loop_to_the_postgres_service(demo):
    first = demo["incidents"][0]
    assert (first["workload"], first["kind"], first["rules"]) == (
        "postgres", "Service", ["service-no-endpoints"])
    assert {("reminder-worker", "crash-loop"), ("reminder-worker", "db-connection")} <= (
        _explained(first))
    # explained everywhere it shows: no incident of its own
    assert all(i["workload"] != "reminder-worker" for i in demo["incidents"])
    assert first["next"] and first["evidence"]


def test_demo_incidents_carry_what_the_detectors_measured(demo):
    by_rule = {i["rules"][0]: i for i in demo["incidents"]}
    assert by_rule["wrong-endpoint"]["detail"].startswith('"/api/notify" not found on '
                                                         "notification-service")
    assert by_rule["wrong-endpoint"]["next"][0] == (
        "kubectl triage exec-probe openapi notification-service -n taskflow")
    assert "after its due time" in by_rule["timezone"]["detail"]
    # when the database went: its pod stopped half a minute before the worker's back-off
    assert by_rule["service-no-endpoints"]["detail"].endswith(
        "last event 2026-11-27 22:49:02: Pod postgres-0 Killing: Stopping container postgres")


def test_demo_incidents_have_the_design_fields(demo):
    for incident in demo["incidents"]:
        assert {"rank", "workload", "rules", "summary", "explains", "next"} <= set(incident)
        assert incident["evidence"] and incident["summary"]
        for explained in incident["explains"]:
            assert {"workload", "rule"} <= set(explained)


def test_demo_resolved_scheduling_and_a_gone_pods_probe_are_history(demo):
    rules = {f["rule"] for f in demo["findings"]}
    assert "scheduling" not in rules and "probe-failure" not in rules
    history = {(h["object"], h["reason"]): h for h in demo["history"]}
    scheduled = history[("Pod/taskflow-api-7c9d8f6b5-q8z4m", "FailedScheduling")]
    assert scheduled["ended"] == "2026-11-27T22:14:42.314401Z"
    assert scheduled["why"].startswith("scheduled at")
    gone = history[("Pod/taskflow-api-5d8c7b9f4-hn6wd", "Unhealthy")]
    assert gone["why"] == "pod no longer exists"
    assert not any(r in i["rules"] for i in demo["incidents"] for r in ("scheduling",))


# ---- the cascade: a crash-looping callee under callers that see 5xx and timeouts --------

def test_cascade_ranks_the_crash_looping_callee_first_and_explains_its_callers(cascade):
    first = cascade["incidents"][0]
    assert first["workload"] == "search" and first["kind"] == "Deployment"
    assert set(first["rules"]) == {"oom-killed", "crash-loop"}
    assert first["rules"][0] == "oom-killed"  # the reason before the loop
    assert {
        ("catalog", "upstream-5xx"),  # http://search:8080
        ("checkout", "connection-refused"),  # search.market.svc.cluster.local
        ("storefront", "timeout"),  # catalog.market.svc -> catalog, whose 5xx come from search
        ("search", "service-no-endpoints"),  # its Service, whose pods are search's
    } <= _explained(first)
    assert "OOMKilled" in first["evidence"]
    assert first["next"][0] == "kubectl triage logs search --previous -n market"
    assert len(first["next"]) <= 3


def test_cascade_callers_and_the_healthy_service_get_no_incident(cascade):
    assert [i["workload"] for i in cascade["incidents"]] == ["search"]


def test_cascade_healthy_service_has_no_finding_at_any_severity(cascade):
    # ledger logs a refused connect to its database at DEBUG, then carries on: a retry it
    # handles, not a failure, so not even an info hint (issue 9, item 4).
    ledger = [f["rule"] for f in cascade["findings"]
              if any("ledger" in (w.get("pod") or w.get("object") or "") for w in f["where"])]
    assert ledger == []


def test_cascade_resolved_scheduling_is_history_not_a_finding(cascade):
    assert "scheduling" not in {f["rule"] for f in cascade["findings"]}
    (item,) = [h for h in cascade["history"] if h["reason"] == "FailedScheduling"]
    assert item["object"] == "Pod/ledger-8a9b0c1d2-v7w8x"
    assert item["ended"] == "2026-11-30T09:10:00Z"
    gone = [h for h in cascade["history"] if h["object"] == "Pod/ledger-5f6e7d8c9-old12"]
    assert gone and gone[0]["why"] == "pod no longer exists"


# ---- the pieces ----------------------------------------------------------------------------

def _pod(name: str, workload: str, *, app_id: str = "") -> Pod:
    return Pod(
        namespace="prod", name=name, uid=name, phase="Running", node="n", created=None,
        labels={"app": workload}, annotations={"dapr.io/app-id": app_id} if app_id else {},
        owner=None, workload=Owner("Deployment", workload), containers=(),
    )


@pytest.mark.parametrize("line, callee", [
    ("POST http://localhost:3500/v1.0/invoke/billing-app/method/charge 500", "billing"),
    ('{"errorCode":"ERR_DIRECT_INVOKE","message":"failed to invoke, id: billing-app, err: x"}',
     "billing"),
    ("GET http://billing.prod.svc:8080/charge failed", "billing"),
    ("lookup billing.prod.svc.cluster.local failed", "billing"),
    ("dial billing:8080: connection refused", "billing"),
    ('connection to server at "db" (10.0.0.1), port 5432 failed', "Service/db"),
    ('could not connect to server: Connection refused Is the server running on host "db" '
     "(10.0.0.7)", "Service/db"),
    ("redis.exceptions.ConnectionError: Error 111 connecting to db:6379.", "Service/db"),
    ('msg="inventory call failed" status=503 url=http://billing/api/items', "billing"),
    ("grpc call failed, ns: prod, addr: x, appid: billing-app, err: app channel is not "
     "initialized", "billing"),
    ('{"errorCode":"ERR_DIRECT_INVOKE","message":"couldn\'t find service: billing-app"}',
     "billing"),
])
def test_graph_resolves_every_call_format_to_the_workload_behind_it(line, callee):
    pods = [_pod("billing-1", "billing", app_id="billing-app"), _pod("web-1", "web")]
    services = [Service("prod", "billing", {"app": "billing"}, (8080,)),
                Service("prod", "db", {"app": "db"}, (5432,))]
    graph = build_graph(pods, services)
    (got,) = graph.callees(line, namespace="prod", caller=("Deployment", "web"))
    assert got == (("Service", "db") if callee == "Service/db" else ("Deployment", callee))


def test_graph_ignores_names_that_are_not_services_here():
    graph = build_graph([_pod("db-1", "db")], [Service("prod", "db", {"app": "db"}, (5432,))])
    line = "ReadTimeout: HTTPSConnectionPool(host='db.example.com', port=443): Read timed out"
    assert graph.callees(line, namespace="prod") == []
    assert graph.callees("server at host and accepting connections", namespace="prod") == []


def test_graph_ignores_other_namespaces_and_the_caller_itself():
    pods = [_pod("billing-1", "billing")]
    graph = build_graph(pods, [Service("prod", "billing", {"app": "billing"}, (8080,))])
    assert graph.callees("http://billing.staging.svc:8080/x", namespace="prod") == []
    assert graph.callees("http://billing:8080/x", namespace="prod",
                         caller=("Deployment", "billing")) == []


def _obs(node: str, rule: str, *, callees: tuple[str, ...] = (), count: int = 1,
         severity: Severity = Severity.ERROR, minute: int = 0) -> Observation:
    at = datetime(2026, 1, 1, 10, minute, tzinfo=timezone.utc)
    return Observation(("Deployment", node), "prod", rule, severity, count, f"{rule} line",
                       at, at, tuple(("Deployment", c) for c in callees))


def _rank(observations: list[Observation]) -> list:
    return rank_incidents(observations, titles=lambda r: r, next_for=lambda group: ())


def test_a_crash_looping_callee_explains_its_callers_and_their_callers():
    got = _rank([
        _obs("storefront", "timeout", callees=("catalog",), count=50),
        _obs("catalog", "upstream-5xx", callees=("search",), count=30),
        _obs("search", "crash-loop"),
        _obs("search", "oom-killed"),
    ])
    assert [(i.node[1], i.rules) for i in got] == [("search", ("oom-killed", "crash-loop"))]
    assert {(o.node[1], o.rule) for o in got[0].explains} == {
        ("storefront", "timeout"), ("catalog", "upstream-5xx")}


def test_a_timeout_to_a_healthy_callee_stays_with_the_caller():
    got = _rank([_obs("web", "timeout", callees=("api",)), _obs("web", "schema-mismatch")])
    assert sorted(i.rules for i in got) == [("schema-mismatch",), ("timeout",)]


def test_ranking_is_by_what_is_explained_then_severity_then_recency():
    got = _rank([
        _obs("a", "schema-mismatch", minute=1),
        _obs("b", "timezone", minute=5),
        _obs("c", "validation-error", severity=Severity.WARNING, minute=9),
        _obs("d", "crash-loop"),
        _obs("e", "upstream-5xx", callees=("d",)),
    ])
    assert [i.node[1] for i in got] == ["d", "b", "a", "c"]


def test_a_cycle_of_callers_does_not_loop():
    got = _rank([_obs("a", "timeout", callees=("b",)), _obs("b", "timeout", callees=("a",))])
    assert {i.node[1] for i in got} == {"a", "b"}


def test_capture_time_is_the_sources_else_the_newest_timestamp():
    t1 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    t2 = t1 + timedelta(hours=3)
    assert capture_time(t1, [t2]) == t1
    assert capture_time(None, [t1, None, t2]) == t2


# ---- the views -----------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["summary", "checklist"])
def test_table_output_opens_with_the_ranked_incidents_then_the_details(command):
    out = run("--bundle", CASCADE, command, env={"COLUMNS": "100"}).stdout
    header, overview, rest = out.split("\n\n", 2)
    assert header.startswith("Bundle: ") and header.endswith("cascade  Namespace: market")
    assert overview.startswith("INCIDENTS")
    assert " 1  search is OOM-killed and crash-looping  (explains catalog, checkout," in overview
    assert "next: kubectl triage logs search --previous -n market" in overview
    # then the details: each incident's evidence and what it explains, with counts
    details = rest[rest.index("INCIDENTS"):]
    assert " 1  search is OOM-killed and crash-looping  [oom-killed, crash-loop]" in details
    assert "explains: catalog upstream-5xx" in details and "storefront timeout" in details
    assert out.index("HISTORY") < out.index("ERROR  ")


def test_checklist_json_carries_the_same_incidents_as_summary(cascade):
    report = run("--bundle", CASCADE, "checklist", "-o", "json").json()
    assert report["incidents"] == cascade["incidents"]
    assert report["history"] == cascade["history"]


def test_markdown_report_has_an_incidents_table():
    out = run(*HANDWRITTEN, "summary", "-o", "markdown").stdout
    assert "## Incidents" in out and "| 1 | Service postgres has no ready endpoint |" in out
    assert out.index("## Incidents") < out.index("## Findings")


# ---- is it still happening? --since, and "now" of a bundle ---------------------------------

def test_since_answers_whether_it_is_still_happening():
    report = run("--bundle", CASCADE, "summary", "--since", "5m", "-o", "json").json()
    first = report["incidents"][0]
    assert first["workload"] == "search"  # still crash-looping at capture time
    # catalog's 503s stopped at 09:48, twelve minutes before the capture: not current
    assert "catalog" not in {e["workload"] for e in first["explains"]}


def test_events_since_puts_older_warnings_in_history():
    report = run(*HANDWRITTEN, "events", "--since", "10m", "-o", "json").json()
    assert {f["rule"] for f in report["findings"]} == {"crash-loop"}
    whys = {h["why"] for h in report["history"]}
    assert "before the window (--since 10m)" in whys
    assert report["events"]  # the table still lists every event


def test_a_bundle_without_a_capture_time_is_judged_at_its_newest_timestamp(tmp_path, cascade):
    import shutil

    copy = tmp_path / "dump"
    shutil.copytree(CASCADE, copy)
    (copy / "triage-bundle.json").unlink()
    report = run("--bundle", str(copy), "-n", "market", "summary", "-o", "json").json()
    assert report["incidents"] == cascade["incidents"]
    assert report["history"] == cascade["history"]


def test_since_is_checked_like_the_other_durations():
    result = run(*HANDWRITTEN, "summary", "--since", "soon")
    assert result.code == 2 and "--since" in result.stderr


def test_checklist_request_path_draws_any_call_format_from_the_graph():
    report = run("--bundle", CASCADE, "checklist", "-o", "json").json()
    (step,) = [c for c in report["checks"] if c["step"] == "request path"]
    assert step["verdict"] == "fail"
    for edge in ("catalog -> search (12 call records, 12 failing)",  # http://search:8080
                 "checkout -> search",  # search.market.svc.cluster.local
                 "storefront -> catalog"):  # catalog.market.svc
        assert edge in step["detail"]
    assert step["detail"].startswith("errors start at ") and "-> search;" in step["detail"]
    assert step["next"][0] in ("kubectl triage trace --path /query",
                               "kubectl triage trace --path /prices")


def test_checklist_request_path_on_the_demo_suggests_the_called_path():
    report = run(*HANDWRITTEN, "checklist", "-o", "json").json()
    (step,) = [c for c in report["checks"] if c["step"] == "request path"]
    assert "reminder-worker -> service/postgres" in step["detail"]
    assert step["next"] == ["kubectl triage trace --path /api/notify"]


def test_a_restart_long_before_the_window_is_history_not_a_finding():
    from kubectl_triage.evidence import ContainerState
    from kubectl_triage.incidents.history import old_restarts, without_old_restarts
    from kubectl_triage.rules.facts import status_records

    now = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    state = ContainerState(
        name="app", image="i", ready=True, restarts=1, state="running",
        last_state="terminated", last_reason="OOMKilled", last_exit_code=137,
        last_finished=now - timedelta(hours=5))
    pod = Pod(namespace="prod", name="web-1", uid="u", phase="Running", node="n", created=None,
              labels={}, annotations={}, owner=None, workload=None, containers=(state,))
    (item,) = old_restarts([pod], now=now)
    assert item.obj == "Pod/web-1" and item.ended == now - timedelta(hours=5)
    assert item.why == "before the window (--since 1h)"
    assert list(status_records([pod]))  # judged as current before the split
    assert not list(status_records(without_old_restarts([pod], now=now)))
    assert old_restarts([pod], now=now, since=timedelta(hours=6)) == ()


def test_a_symptom_naming_no_callee_is_tied_by_its_correlation_id():
    from kubectl_triage.evidence import Level, LogRef, Record
    from kubectl_triage.incidents.attribute import observe
    from kubectl_triage.rules.load import builtin_rules

    rules = {r.id: r for r in builtin_rules()}
    cid = "3f2a1c9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
    t0 = datetime(2026, 1, 1, 10, tzinfo=timezone.utc)

    def rec(pod: str, text: str, second: int) -> Record:
        return Record(text=text, level=Level.ERROR, message=text,
                      time=t0 + timedelta(seconds=second), ref=LogRef("prod", pod, "app"))

    caller = rec("web-1", f"ERROR request_id={cid} checkout failed: httpx.ReadTimeout", 5)
    callee = rec("api-1", f"ERROR request_id={cid} crashed handling /checkout", 1)
    first = rec("web-1", f"INFO request_id={cid} POST /checkout", 0)
    pods = [_pod("web-1", "web"), _pod("api-1", "api")]
    nodes = {"web-1": ("Deployment", "web"), "api-1": ("Deployment", "api")}
    graph = build_graph(pods, [], records=[(nodes[r.ref.pod], r) for r in (first, callee, caller)])
    (obs,) = observe([(caller, rules["timeout"], "")], node_of=lambda r: nodes[r.ref.pod],
                     graph=graph)
    assert obs.callees == (("Deployment", "api"),)


def test_trace_names_the_calls_between_the_services_it_found():
    out = run("--bundle", CASCADE, "trace", "3f2a1c9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b").stdout
    assert "calls: catalog -> search, storefront -> catalog;" in out
    out = run(*HANDWRITTEN, "trace", "--path", "/api/notify").stdout
    assert "calls: taskflow-api -> notification-service;" in out


def test_all_namespaces_keep_each_namespaces_story_apart(tmp_path):
    import shutil

    root = tmp_path / "two"
    shutil.copytree(CASCADE, root)
    twin = root / "market2"
    shutil.copytree(root / "market", twin)
    for path in twin.rglob("*"):
        if path.is_file():
            path.write_text(path.read_text().replace("market", "market2"))
    report = run("--bundle", str(root), "-A", "summary", "-o", "json").json()
    firsts = [i for i in report["incidents"] if i["workload"] == "search"]
    assert sorted(i["namespace"] for i in firsts) == ["market", "market2"]
    for incident in firsts:  # each explains its own callers once, not the twin's
        assert len(incident["explains"]) == 4, incident
    assert [i["rank"] for i in report["incidents"]] == [1, 2]


def test_graph_joins_a_publisher_to_the_subscribers_of_its_topic():
    from kubectl_triage.evidence import DaprResource, Level, LogRef, Record

    pods = [_pod("api-1", "api", app_id="api"), _pod("notify-1", "notify", app_id="notify")]
    sub = DaprResource("subscriptions", "prod", "s", ("notify",), {"topic": "task-events"})
    text = 'msg="HTTP API Called" method="POST /v1.0/publish/pubsub/task-events" code=204'
    record = Record(text=text, level=Level.INFO, message=text, ref=LogRef("prod", "api-1", "d"))
    graph = build_graph(pods, [], records=[(("Deployment", "api"), record)],
                        subscriptions=[sub])
    assert graph.edges[(("Deployment", "api"), ("Deployment", "notify"), "pubsub")] == 1
    assert graph.edges[(("Deployment", "api"), ("Topic", "task-events"), "call")] == 1


def test_demo_callee_404_answers_and_server_500s_join_their_bugs(demo):
    by_rule = {i["rules"][0]: i for i in demo["incidents"]}
    # notification-service's access log answering 404 to /api/notify is the caller's bug
    assert ("notification-service", "wrong-endpoint") in _explained(by_rule["wrong-endpoint"])
    assert by_rule["wrong-endpoint"]["workload"] == "taskflow-api"
    # taskflow-api's own "GET /workers 500" lines are what its handler bug looks like outside
    assert ("taskflow-api", "unhandled-exception") in _explained(by_rule["schema-mismatch"])
    assert "unhandled-exception" not in by_rule
    # counted as the findings are: failing records, not their INFO echoes
    assert (by_rule["wrong-endpoint"]["count"], by_rule["cloudevent-unwrap"]["count"]) == (11, 27)


def test_a_refused_connection_by_address_is_tied_to_the_unserved_service_the_worker_named():
    # reminder-worker's real output in the live incident (tests/e2e/test_taskflow_live.py):
    # psycopg 3 resolves `postgres` itself, so its error names only the address; the worker's
    # own start-up line names the Service, which no pod stands behind
    from kubectl_triage.evidence import Level, LogRef, Record
    from kubectl_triage.incidents.attribute import observe
    from kubectl_triage.rules.load import builtin_rules

    rules = {r.id: r for r in builtin_rules()}
    t0 = datetime(2026, 12, 3, 18, 40, 58, tzinfo=timezone.utc)

    def rec(pod: str, text: str, level: Level) -> Record:
        return Record(text=text, level=level, message=text, time=t0, ref=LogRef("prod", pod, "w"))

    start = rec("worker-1", "2026-12-03 18:40:58,097 INFO [reminder_worker.db] Connecting to "
                "postgres:5432/taskflow as taskflow", Level.INFO)
    refused = rec("worker-1", "sqlalchemy.exc.OperationalError: (psycopg.OperationalError) "
                  'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
                  "Connection refused", Level.ERROR)
    pods = [_pod("worker-1", "worker"), _pod("api-1", "api")]
    nodes = {"worker-1": ("Deployment", "worker"), "api-1": ("Deployment", "api")}
    services = [Service("prod", "postgres", {"app": "postgres"}, (5432,)),
                Service("prod", "api", {"app": "api"}, (8000,))]
    graph = build_graph(pods, services, records=[(nodes["worker-1"], start)])
    (obs,) = observe([(refused, rules["db-connection"], "")],
                     node_of=lambda r: nodes[r.ref.pod], graph=graph)
    assert obs.callees == (("Service", "postgres"),)

    # a Service with pods behind it is not guessed at: the failure stays the worker's own
    start_api = rec("worker-1", "INFO Connecting to api:8000", Level.INFO)
    graph = build_graph(pods, services, records=[(nodes["worker-1"], start_api)])
    (obs,) = observe([(refused, rules["db-connection"], "")],
                     node_of=lambda r: nodes[r.ref.pod], graph=graph)
    assert obs.callees == ()
