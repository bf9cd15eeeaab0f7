"""bundle: what it writes reads back to the same answers; secrets never reach the disk."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from kubectl_triage.options import hoist_global_flags
from tests.helpers import HANDWRITTEN, HANDWRITTEN_DEMO, run


def _findings(*args: str) -> list:
    report = run(*args, "-o", "json").json()
    return sorted((f["rule"], f["count"], f.get("detail", "")) for f in report["findings"])


@pytest.mark.parametrize("name", ["incident", "incident.tar.gz"])
def test_a_bundle_of_the_demo_gives_the_same_answers(tmp_path, name):
    out = tmp_path / name
    result = run(*HANDWRITTEN, "bundle", "-o", str(out))
    assert result.code == 0 and result.stdout == f"bundle of namespace taskflow written to {out}\n"
    for command in (["summary"], ["checklist"], ["dapr", "subs", "notification-service"],
                    ["trace", "6f1c2a0e-9b7d-4c1e-8f3a-2d5b7e9c1a04"]):
        assert _findings("--bundle", str(out), *command) == _findings(*HANDWRITTEN, *command)


def test_secrets_are_redacted_before_they_are_written(tmp_path):
    out = tmp_path / "b"
    run(*HANDWRITTEN, "bundle", str(out))
    pods = (out / "taskflow" / "pods.json").read_text()
    assert "S3cr3tPass" not in pods and '"API_TOKEN"' in pods
    env = {e["name"]: e for p in json.loads(pods)["items"]
           for c in p["spec"]["containers"] for e in c.get("env") or []}
    assert env["API_TOKEN"]["value"] == "<redacted>"
    assert "valueFrom" in env["JWT_SECRET"]  # references are kept as references
    manifest = json.loads((out / "triage-bundle.json").read_text())
    assert manifest["context"] == "prod-eu" and manifest["namespaces"] == ["taskflow"]


def test_an_existing_bundle_is_never_overwritten(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep").write_text("mine")
    result = run(*HANDWRITTEN, "bundle", str(tmp_path / "x"))
    assert result.code == 2 and "exists and is not empty" in result.stderr
    assert (tmp_path / "x" / "keep").read_text() == "mine"


def test_bundle_output_flag_is_its_path_not_the_format():
    assert hoist_global_flags(["bundle", "-o", "x.tar.gz", "-n", "t"]) == [
        "-n", "t", "bundle", "-o", "x.tar.gz"]
    assert hoist_global_flags(["-o", "json", "bundle", "dir"]) == ["-o", "json", "bundle", "dir"]


def test_an_archive_with_unsafe_paths_is_refused(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        data = b"x"
        info = tarfile.TarInfo("../escape.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    result = run("--bundle", str(archive), "status")
    assert result.code == 1 and "unsafe member" in result.stderr
    assert not (tmp_path.parent / "escape.txt").exists()


def test_a_log_read_in_part_is_kept_and_named_in_the_manifest(tmp_path):
    from kubectl_triage.bundle import BundleSource
    from kubectl_triage.collect.snapshot import write_bundle
    from kubectl_triage.evidence import Gap
    from kubectl_triage.source import LogWindow

    class CutSource(BundleSource):
        """A demo whose first api log is cut after 3 lines, as LiveSource records it."""

        cut: list[Gap] = []

        def log(self, ref, window):
            data = b"".join(super().log(ref, window))
            if ref.container != "api" or ref.previous or self.cut:
                return iter([data])
            self.cut.append(Gap("logs", "ClusterUnreachable", "partial log: cut after 3 line(s)",
                                namespace=ref.namespace, pod=ref.pod, container=ref.container))
            return iter([b"".join(data.splitlines(keepends=True)[:3])])

        def recorded_gaps(self):
            return super().recorded_gaps() + self.cut

    out = tmp_path / "b"
    write_bundle(CutSource(HANDWRITTEN_DEMO), "taskflow", out, window=LogWindow(), max_requests=1)
    manifest = json.loads((out / "triage-bundle.json").read_text())
    [gap] = [g for g in manifest["gaps"] if g.get("container") == "api"]
    assert gap["message"].startswith("partial log")
    assert len((out / "taskflow" / gap["pod"] / "api.log").read_text().splitlines()) == 3
