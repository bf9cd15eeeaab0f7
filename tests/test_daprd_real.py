"""The Dapr parsers on what real daprd 1.14.4 printed and answered (tests/data/daprd-1.14/,
captured from the sidecars of tests/cluster/testdata/dapr-real: see its README), not on
answers we wrote ourselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubectl_triage.commands.dapr import metadata_rows, topic_of
from kubectl_triage.detectors.dapr_wiring import _from_sidecar, published_topics
from kubectl_triage.evidence import Level
from kubectl_triage.kube.inpod import _read_response
from kubectl_triage.records import group_lines
from kubectl_triage.rules.engine import RuleSet
from kubectl_triage.rules.load import load_rules

DATA = Path(__file__).parent / "data" / "daprd-1.14"


def _json(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def _records(name: str) -> list:
    return list(group_lines((DATA / name).read_text().splitlines()))


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet(load_rules())


def test_metadata_subscriptions_of_both_kinds_are_read_with_their_routes():
    subs = _from_sidecar(_json("metadata-notify.json"))
    assert {(s.source, s.topic, s.routes, s.dead_letter) for s in subs} == {
        ("sidecar (declarative)", "shipments", ("/shipments",), "shipments-dlq"),
        ("sidecar (programmatic)", "orders", ("/orders",), ""),
    }


def test_metadata_rows_of_a_sidecar_without_actors_or_subscriptions():
    # real daprd omits `placement` (actors disabled) and `subscriptions` (none)
    rows = metadata_rows(_json("metadata-checkout.json"))
    assert rows == [
        ("runtime version", "1.14.4"),
        ("component", "pubsub (pubsub.redis/v1)"),
        ("component", "statestore (state.redis/v1)"),
        ("app connection", "port 8000 http"),
        ("actors", "DISABLED"),
        ("subscriptions", "0"),
    ]


@pytest.mark.parametrize("name", ["daprd-checkout-text.log", "daprd-notify-json.log"])
def test_every_daprd_line_is_one_record_with_its_level_scope_and_time(name):
    lines = (DATA / name).read_text().splitlines()
    records = _records(name)
    assert len(records) == len(lines)
    assert all(r.time is not None and r.fields.get("scope", "").startswith("dapr.")
               for r in records)
    assert records[0].message.startswith("Starting Dapr Runtime -- version 1.14.4 -- commit 5839")
    levels = {r.fields["level"]: r.level for r in records}
    assert levels["info"] == Level.INFO and levels["warning"] == Level.WARNING


def test_component_init_failures_are_errors_of_the_component_init_rule(rules):
    failing = [r for r in _records("daprd-notify-json.log") if r.level >= Level.ERROR]
    assert [r.message.split(":")[0] for r in failing] == [
        "Failed to init component audit-store (state.redis/v1)",
        "Ignoring error processing component"]
    assert {rules.classify(r).rule.id for r in failing} == {"dapr-component-init"}


def test_a_fatal_component_init_is_critical_and_matched(rules):
    records = _records("daprd-fatal-component-init.log")
    fatal = [r for r in records if r.level == Level.CRITICAL]
    assert len(fatal) == 1 and fatal[0].fields["level"] == "fatal"
    assert fatal[0].message.startswith("Fatal error from runtime: process component pubsub")
    assert rules.classify(fatal[0]).rule.id == "dapr-component-init"


def test_daprd_topics_from_real_scopes_and_messages():
    topics = {}
    for r in _records("daprd-checkout-text.log"):
        topics.setdefault(topic_of(r), []).append(r.message)
    assert "Component loaded: pubsub (pubsub.redis/v1)" in topics["components"]
    assert "application discovered on port 8000" in topics["app-channel"]
    assert set(topics["api-calls"]) == {"HTTP API Called"}
    assert "Found Subscription: shipments" in topics["pubsub"]


def test_published_topics_count_only_publishes_daprd_accepted():
    # the log holds a 204 publish to pubsub/orders and a 404 (ERR_PUBSUB_NOT_FOUND) to nosuch
    records = _records("daprd-checkout-text.log")
    codes = {(r.fields.get("method"), r.fields.get("code")) for r in records
             if "/v1.0/publish/" in r.text}
    assert codes == {("POST /v1.0/publish/pubsub/orders", "204"),
                     ("POST /v1.0/publish/nosuch/orders", "404")}
    assert published_topics(records) == {("pubsub", "orders"): {"?"}}


@pytest.mark.parametrize(("name", "rule"), [
    ("publish-pubsub-not-found.json", "dapr-component-missing"),
    ("invoke-no-host.json", "dapr-invoke-target"),
])
def test_real_error_answers_of_the_dapr_api_match_their_rule(rules, name, rule):
    (record,) = _records(name)
    assert rules.classify(record).rule.id == rule


def test_the_delivered_cloudevent_has_no_event_type_field():
    # what a subscriber's handler receives from the real sidecar (seed bug: reading event_type)
    event = _json("cloudevent-delivered.json")
    assert event["type"] == "com.dapr.event.sent" and event["data"] == {"id": 44}
    assert "event_type" not in event and event["topic"] == "orders"


class _Stream:
    """A port-forward socket that never closes after daprd's answer."""

    def __init__(self, answer: bytes) -> None:
        self.chunks = [answer]

    def recv(self, _size: int) -> bytes:
        if not self.chunks:
            raise TimeoutError("read past the answer: the stream stays open")
        return self.chunks.pop(0)


def test_a_204_without_content_length_ends_with_its_head():
    # daprd's answer to a publish, as read through a port-forward stream
    head = b"HTTP/1.1 204 No Content\r\nTraceparent: 00-0-0-00\r\nDate: x\r\n\r\n"
    assert _read_response(_Stream(head)) == head


def test_a_200_is_read_to_its_content_length():
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    assert _read_response(_Stream(answer)) == answer
