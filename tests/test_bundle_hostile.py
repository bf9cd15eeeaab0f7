"""A bundle is untrusted input: a crafted one cannot make the plugin read or write outside
it, fill the disk, or crash with a traceback."""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

import pytest

from kubectl_triage import bundle as bundle_module
from tests.helpers import HANDWRITTEN, run

DEMO = Path(__file__).parents[1] / "kubectl_triage" / "demo" / "taskflow"
NS = "taskflow"


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    target = tmp_path / "b"
    shutil.copytree(DEMO, target)
    return target


def _pods(root: Path) -> dict:
    return json.loads((root / NS / "pods.json").read_text())


def test_a_pod_named_like_a_path_is_refused(demo_copy):
    pods = _pods(demo_copy)
    pods["items"][0]["metadata"]["name"] = "../../outside"
    (demo_copy / NS / "pods.json").write_text(json.dumps(pods))
    result = run("--bundle", str(demo_copy), "-n", NS, "summary")
    assert result.code == 1 and result.stderr.count("\n") == 1
    assert "'../../outside' is not a valid Kubernetes name" in result.stderr


def test_a_log_that_is_a_link_is_not_followed(demo_copy, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("ERROR AKIA-outside-the-bundle ConnectionRefusedError: refused\n")
    log = demo_copy / NS / "taskflow-api-7c9d8f6b5-q8z4m" / "api.log"
    log.unlink()
    log.symlink_to(secret)
    result = run("--bundle", str(demo_copy), "-n", NS, "logs", "taskflow-api", "-o", "json")
    assert "outside-the-bundle" not in result.stdout
    assert "is a link; a bundle holds files" in result.stdout + result.stderr


def test_namespace_argument_is_a_kubernetes_name(demo_copy):
    result = run("--bundle", str(demo_copy), "-n", "../../etc", "status")
    assert result.code == 1
    assert result.stderr.startswith("error: invalid namespace '../../etc'")


@pytest.mark.parametrize("items, message", [
    (["a"], "item 0 is not a Kubernetes object"),
    ([{"metadata": {"name": "web-1"}, "status": "Running"}], "item 0: status is not a mapping"),
])
def test_wrong_types_in_a_bundle_are_one_line(demo_copy, items, message):
    (demo_copy / NS / "pods.json").write_text(json.dumps({"kind": "PodList", "items": items}))
    result = run("--bundle", str(demo_copy), "-n", NS, "status")
    assert result.code == 1 and result.stderr.count("\n") == 1
    assert message in result.stderr


def _archive(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_an_archive_that_unpacks_too_large_is_refused_before_writing(tmp_path, monkeypatch):
    monkeypatch.setattr(bundle_module, "MAX_EXTRACTED", 1 << 20)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    bomb = _archive(tmp_path / "bomb.tar.gz", {"b/taskflow/pods.json": b"\0" * (2 << 20)})
    result = run("--bundle", str(bomb), "status")
    assert result.code == 1
    assert "over the 1 MiB a bundle may hold" in result.stderr
    assert not list((tmp_path / "tmp").iterdir()), "something was extracted"


def test_a_truncated_archive_is_one_line(tmp_path):
    good = _archive(tmp_path / "g.tar.gz", {"b/taskflow/pods.json": os.urandom(200_000)})
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(good.read_bytes()[:50_000])
    result = run("--bundle", str(cut), "status")
    assert result.code == 1 and result.stderr.count("\n") == 1
    assert "cannot read" in result.stderr


def test_a_killed_runs_extraction_folder_is_removed_by_the_next_run(tmp_path, monkeypatch):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    orphan = tmp / "kubectl-triage-bundle-999999999-abc"  # no such process
    orphan.mkdir()
    alive = tmp / f"kubectl-triage-bundle-{os.getpid()}-def"
    alive.mkdir()
    archive = tmp_path / "demo.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(DEMO, arcname="taskflow")
    assert run("--bundle", str(archive), "status").code == 0
    assert not orphan.exists() and alive.exists()


# ---- what a bundle written by `bundle` holds -----------------------------------------------


def test_a_written_bundle_holds_no_secret_in_clear_and_is_private(tmp_path):
    out = tmp_path / "b"
    assert run(*HANDWRITTEN, "bundle", str(out)).code == 0
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        for secret in ("S3cr3tPass", "tfk_live", "last-applied-configuration\": \"{"):
            assert secret not in text, (path, secret)
        assert path.stat().st_mode & 0o777 == 0o600, path
    for folder in [out, *(p for p in out.rglob("*") if p.is_dir())]:
        assert folder.stat().st_mode & 0o777 == 0o700, folder


def test_workload_templates_args_and_components_are_redacted():
    from kubectl_triage.collect.snapshot import redacted_object

    deployment = {"kind": "Deployment", "metadata": {"annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": '{"env": "PASSWORD=x"}'}},
        "spec": {"template": {"spec": {"containers": [{
            "name": "app", "args": ["--db", "postgres://u:hunter2@db/x", "--token=abc123"],
            "env": [{"name": "API_KEY", "value": "k"}, {"name": "MODE", "value": "fast"}]}]}}}}
    component = {"apiVersion": "dapr.io/v1alpha1", "kind": "Component", "spec": {"metadata": [
        {"name": "redisPassword", "value": "hunter2"}, {"name": "redisHost", "value": "r:6379"},
        {"name": "connectionString", "value": "Server=db;Password=hunter2"}]}}
    text = json.dumps([redacted_object(deployment), redacted_object(component)])
    assert "hunter2" not in text and "abc123" not in text and '"k"' not in text
    assert "PASSWORD=x" not in text
    assert '"fast"' in text and "r:6379" in text


@pytest.mark.parametrize("where", ["a-file", "missing/parent/out.tar.gz"])
def test_bundle_into_a_file_or_under_a_missing_parent_is_one_line(tmp_path, where):
    (tmp_path / "a-file").write_text("x")
    result = run(*HANDWRITTEN, "bundle", str(tmp_path / where))
    assert result.code == 2 and result.stderr.startswith("error: ")
    assert result.stderr.count("\n") <= 2 and "Traceback" not in result.stderr


def test_since_on_a_stored_log_streams_instead_of_holding_the_log():
    """--since passes lines on as it reads them (the whole log was held 3.5-5.5x over)."""
    from datetime import datetime, timedelta, timezone

    from kubectl_triage.bundle import _windowed
    from kubectl_triage.source import LogWindow

    read = []

    def chunks():
        for i in range(200_000):
            read.append(i)
            yield f"2026-11-27T22:00:00.000000000Z INFO line {i}\n".encode()

    now = datetime(2026, 11, 27, 22, 30, tzinfo=timezone.utc)
    out = _windowed(chunks(), LogWindow(since=timedelta(hours=1)), now)
    first = next(out)
    assert first.startswith(b"2026-11-27T22:00:00") and len(read) < 200_000
    tail = b"".join(_windowed(chunks(), LogWindow(tail=3), now))
    assert tail.count(b"\n") == 3 and tail.endswith(b"line 199999\n")


def test_unbalanced_selector_on_a_bundle_is_one_line():
    result = run(*HANDWRITTEN, "status", "-l", "(((((")
    assert result.code == 1 and result.stderr.count("\n") == 1
    assert "unable to parse requirement" in result.stderr


@pytest.mark.parametrize("labels", [[None], "app=web", {"app": None, "tier": 3}])
def test_labels_of_any_shape_give_a_summary(demo_copy, labels):
    """The service graph matches Services to pods by labels: a list or null values there
    (hypothesis found `"labels": [null]`) must not end in an internal error."""
    pods = _pods(demo_copy)
    for item in pods["items"]:
        item["metadata"]["labels"] = labels
    (demo_copy / "taskflow" / "pods.json").write_text(json.dumps(pods))
    result = run("--bundle", str(demo_copy), "summary", "-o", "json")
    assert result.code in (0, 3) and "internal error" not in result.stderr, result.stderr
    assert result.json()["incidents"]


def test_labels_that_are_no_string_map_are_read_as_none(tmp_path):
    """Found by tests/test_fuzz.py: `labels: [null]` in a hand-edited bundle made summary's
    service graph fail with an internal error."""
    ns = tmp_path / "b" / "ns"
    ns.mkdir(parents=True)
    pod = {"metadata": {"name": "web-1", "labels": [None], "annotations": {"a": 1, "b": "x"}},
           "spec": {"containers": [{"name": "app"}]},
           "status": {"containerStatuses": [{"name": "app"}]}}
    (ns / "pods.json").write_text(json.dumps({"items": [pod]}))
    for command in ("summary", "checklist", "status"):
        result = run("--bundle", str(tmp_path / "b"), "-n", "ns", command)
        assert result.code == 0 and "internal error" not in result.stderr, result.stderr


def test_a_label_selector_on_labels_of_another_shape_is_no_internal_error(demo_copy):
    """`-l` matches a bundle's raw objects: labels that are a list matched nothing, they do
    not end in an internal error (they did, as the service graph's did)."""
    pods = _pods(demo_copy)
    for item in pods["items"]:
        item["metadata"]["labels"] = [None]
    (demo_copy / "taskflow" / "pods.json").write_text(json.dumps(pods))
    result = run("--bundle", str(demo_copy), "status", "-l", "app=taskflow-api")
    assert "internal error" not in result.stderr and result.code in (0, 1), result.stderr
