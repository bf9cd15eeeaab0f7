"""`analyze` on `kubectl logs --prefix` and stern output: each prefix's records apart.

The samples in tests/data/prefixed/ are real output of the real tools against the test
cluster with the demo incident loaded (see the README there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubectl_triage.prefixed import Format, detect, prefixed_records, split_prefix
from kubectl_triage.records import group_lines
from tests.helpers import HANDWRITTEN_DEMO, run

DATA = Path(__file__).parent / "data" / "prefixed"
KUBECTL = DATA / "kubectl-prefix-follow.txt"


def _per_container(path: Path, fmt: Format) -> dict[tuple[str, str], list[str]]:
    """Each container's own lines, prefixes removed: its log as it would read alone."""
    logs: dict[tuple[str, str], list[str]] = {}
    for line in path.read_text().split("\n"):
        key, text = split_prefix(line, fmt)
        if key:
            logs.setdefault(key[1:], []).append(text)
    return logs


@pytest.mark.parametrize(
    ("sample", "fmt"),
    [
        ("kubectl-prefix-follow.txt", Format.KUBECTL),
        ("stern.txt", Format.STERN),
        ("stern-color.txt", Format.STERN),
        ("stern-all-namespaces.txt", Format.STERN),
    ],
)
def test_format_is_detected_from_the_first_lines(sample, fmt):
    lines = (DATA / sample).read_text().split("\n")[:30]
    assert detect(lines) is fmt


def test_plain_logs_stay_plain():
    demo = HANDWRITTEN_DEMO / "taskflow"
    for log in demo.glob("*/*.log"):
        assert detect(log.read_text().split("\n")[:30]) is Format.PLAIN, log
    assert detect(["starting server on port 8080", "listening ok"]) is Format.PLAIN
    assert detect(["web-0 is up", "db-1 is up", "web-1 is up", "db-0 is up"]) is Format.PLAIN


@pytest.mark.parametrize(
    ("sample", "fmt"),
    [
        ("kubectl-prefix-follow.txt", Format.KUBECTL),
        ("stern.txt", Format.STERN),
        ("stern-color.txt", Format.STERN),
        ("stern-all-namespaces.txt", Format.STERN),
    ],
)
def test_interleaved_containers_group_as_each_log_alone(sample, fmt):
    """-f interleaves containers, even inside a traceback; each container's records are
    those of its own lines read alone: no trace split apart, none merged with another's."""
    path = DATA / sample
    lines = path.read_text().split("\n")
    records = list(prefixed_records(lines, fmt))
    per_container = _per_container(path, fmt)
    assert len(per_container) >= 2
    for (pod, container), own in per_container.items():
        mixed = [r.text for r in records if (r.ref.pod, r.ref.container) == (pod, container)]
        assert mixed == [r.text for r in group_lines(own)], (pod, container)


def test_kubectl_prefix_findings_name_pod_and_container_on_the_cli():
    result = run("analyze", str(KUBECTL), "-o", "json")
    assert result.code == 0, result.stderr
    report = result.json()
    schema = [f for f in report["findings"] if f["rule"] == "schema-mismatch"]
    assert schema and schema[0]["where"] == [
        {"kind": "log", "pod": "taskflow-api-7c9d8f6b5-q8z4m", "container": "api"}
    ]
    # the traceback is one record: not fifty lines counted as unhandled exceptions
    unhandled = [f for f in report["findings"] if f["rule"] == "unhandled-exception"]
    assert sum(f["count"] for f in unhandled) <= 5
    table = run("analyze", str(KUBECTL)).stdout
    assert "(kubectl --prefix output of 4 container log(s))" in " ".join(table.split())


def test_stdin_with_stern_colour_prefixes_is_grouped_per_container():
    text = (DATA / "stern-color.txt").read_bytes()
    result = run("analyze", "-", "-o", "json", stdin=text)
    assert result.code == 0, result.stderr
    wheres = {(w["pod"], w["container"]) for f in result.json()["findings"] for w in f["where"]}
    assert wheres and all("\x1b" not in pod + container for pod, container in wheres)
    assert all(container in ("api", "daprd") for _, container in wheres)


def test_stern_across_namespaces_names_the_namespace_too():
    result = run("analyze", str(DATA / "stern-all-namespaces.txt"), "-o", "json")
    wheres = [w for f in result.json()["findings"] for w in f["where"]]
    assert wheres and all(w["namespace"] == "taskflow" for w in wheres)
    assert {w["container"] for w in wheres} <= {"api", "daprd"}


@pytest.mark.parametrize("sample", ["kubectl-prefix-follow.txt", "stern-color.txt"])
def test_prefilter_on_prefixed_input_finds_what_every_line_finds(sample):
    """Only records holding a prefilter word are parsed (3x faster, bench_core.py's
    prefixed mix); the findings are those of parsing every line."""
    fast = run("analyze", str(DATA / sample), "-o", "json").json()
    every = run("analyze", str(DATA / sample), "--all-lines", "-o", "json").json()
    assert fast["findings"] and fast["findings"] == every["findings"]
