"""The release as krew users get it: the real krew v0.4.3 and its validate-krew-manifest (both
built from krew's Go module by `tests/cluster/build.sh --with-krew`, built here if missing),
the pinned kubectl's plugin discovery and completion, and the test cluster.

The archive and plugin.yaml come from scripts/dist (tests/test_dist.py builds them once per
session). krew downloads nothing here: `krew install --archive` takes the local file, and the
validator, which always downloads the manifest's uri, gets a copy of plugin.yaml whose uri
points at a server on 127.0.0.1 serving the archive.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kubectl_triage import __version__
from tests.test_dist import ARCHIVE, VERSION, build_dist

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BUILD_SH = ROOT / "tests" / "cluster" / "build.sh"
NS = "taskflow"


@dataclass(frozen=True)
class Tools:
    bin: Path  # the pinned kubectl, krew, validate-krew-manifest
    links: Path  # kubectl-krew -> krew, as krew's own installer links it

    @property
    def kubectl(self) -> str:
        return str(self.bin / "kubectl")


@dataclass(frozen=True)
class KrewInstall:
    root: Path
    env: dict[str, str]
    tools: Tools

    def kubectl(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([self.tools.kubectl, *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout)


@pytest.fixture(scope="module")
def tools(tmp_path_factory) -> Tools:
    bin_dir = Path(subprocess.run(["bash", str(BUILD_SH), "--print-bin-dir"], check=True,
                                  capture_output=True, text=True).stdout.strip())
    needed = ("kubectl", "krew", "validate-krew-manifest")
    if not all((bin_dir / name).is_file() for name in needed):
        if os.environ.get("KUBECTL_TRIAGE_E2E_BUILD", "1") == "0":
            pytest.skip("krew not built (tests/cluster/build.sh --with-krew) and "
                        "KUBECTL_TRIAGE_E2E_BUILD=0")
        subprocess.run(["bash", str(BUILD_SH), "--with-krew"], check=True, timeout=1800)
    links = tmp_path_factory.mktemp("krew-link")
    (links / "kubectl-krew").symlink_to(bin_dir / "krew")
    return Tools(bin=bin_dir, links=links)


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    return build_dist(tmp_path_factory)


def _krew_env(tools: Tools, root: Path, home: Path) -> dict[str, str]:
    # krew's own bin first, as its setup instructions say; /usr/bin gives python3 for the
    # plugin's `#!/usr/bin/env python3`; nothing else of this machine's environment.
    path = os.pathsep.join([str(root / "bin"), str(tools.links), str(tools.bin), "/usr/bin",
                            "/bin"])
    return {"PATH": path, "HOME": str(home), "KREW_ROOT": str(root),
            "KREW_NO_UPGRADE_CHECK": "1", "LANG": "C.UTF-8"}


@pytest.fixture(scope="module")
def installed(tools, dist, tmp_path_factory) -> KrewInstall:
    base = tmp_path_factory.mktemp("krew")
    (base / "home").mkdir()
    env = _krew_env(tools, base / "root", base / "home")
    proc = subprocess.run([tools.kubectl, "krew", "install", f"--manifest={dist / 'plugin.yaml'}",
                           f"--archive={dist / ARCHIVE}"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Installed plugin: triage" in proc.stderr + proc.stdout
    return KrewInstall(root=base / "root", env=env, tools=tools)


# ---- the real validator -----------------------------------------------------------------------


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture()
def archive_server(dist):
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=dist))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _served_manifest(dist: Path, folder: Path, base_url: str, *, sha256: str | None = None):
    """plugin.yaml with its uri on the local server; the validator wants it named triage.yaml."""
    text = (dist / "plugin.yaml").read_text()
    release = ("https://github.com/kubectl-triage/kubectl-triage/releases/download/"
               f"{VERSION}/{ARCHIVE}")
    assert f"uri: {release}\n" in text
    text = text.replace(release, f"{base_url}/{ARCHIVE}")
    if sha256:
        text = "\n".join(f"    sha256: {sha256}" if line.startswith("    sha256: ") else line
                         for line in text.splitlines()) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "triage.yaml").write_text(text)
    return folder / "triage.yaml"


def _validate(tools: Tools, manifest: Path, home: Path) -> subprocess.CompletedProcess:
    env = _krew_env(tools, home / "unused-krew-root", home)
    return subprocess.run([str(tools.bin / "validate-krew-manifest"), "-manifest", str(manifest)],
                          env=env, capture_output=True, text=True, timeout=300)


def test_krews_validator_accepts_the_manifest_and_installs_the_archive(
        tools, dist, archive_server, tmp_path):
    manifest = _served_manifest(dist, tmp_path / "index" / "plugins", archive_server)
    proc = _validate(tools, manifest, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "structural validation OK" in proc.stderr
    assert "all 1 spec.platforms installed fine" in proc.stderr


def test_krews_validator_rejects_a_sha256_that_does_not_match(
        tools, dist, archive_server, tmp_path):
    manifest = _served_manifest(dist, tmp_path / "plugins", archive_server, sha256="ab" * 32)
    proc = _validate(tools, manifest, tmp_path)
    assert proc.returncode != 0
    assert "checksum does not match" in proc.stderr


# ---- krew install --archive, kubectl's plugin discovery --------------------------------------


def test_krew_installs_the_archive_with_its_license(installed):
    store = installed.root / "store" / "triage" / VERSION
    assert sorted(p.name for p in store.iterdir()) == [
        "LICENSE", "kubectl-triage", "kubectl_complete-triage"]
    assert os.access(store / "kubectl-triage", os.X_OK)
    link = installed.root / "bin" / "kubectl-triage"
    assert link.resolve() == (store / "kubectl-triage").resolve()
    # krew's record of the install (`krew list` would need the central index: a git clone)
    receipt = (installed.root / "receipts" / "triage.yaml").read_text()
    assert f"version: {VERSION}" in receipt


def test_kubectl_plugin_list_shows_the_krew_installed_plugin(installed):
    proc = installed.kubectl("plugin", "list")
    assert proc.returncode == 0, proc.stderr
    assert str(installed.root / "bin" / "kubectl-triage") in proc.stdout
    assert "warning" not in proc.stderr.lower()


def test_demo_runs_from_the_krew_install(installed):
    version = installed.kubectl("triage", "version")
    # re2 when the machine's python3 has google-re2 (the krew caveats say how)
    assert version.stdout in (f"kubectl-triage {__version__} (log scan: {engine})\n"
                              for engine in ("re", "re2"))
    proc = installed.kubectl("triage", "demo", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["kind"] == "Report"
    assert {"crash-loop", "wrong-endpoint"} <= {f["rule"] for f in report["findings"]}


# ---- against the test cluster -------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(e2e_cluster, handwritten_scenario):
    return e2e_cluster


def test_logs_from_the_krew_install_against_the_cluster(installed, cluster):
    proc = installed.kubectl("triage", "logs", "taskflow-api", "-n", NS, "--context", "admin",
                             "--kubeconfig", str(cluster.kubeconfig), "-o", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["context"] == "admin" and report["namespace"] == NS
    assert {"schema-mismatch", "wrong-endpoint"} <= {f["rule"] for f in report["findings"]}


def _complete(installed: KrewInstall, cluster, *words: str) -> tuple[list[str], str]:
    env = {**installed.env, "KUBECONFIG": str(cluster.kubeconfig)}
    proc = subprocess.run([installed.tools.kubectl, "__complete", "triage", *words], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    return [line.split("\t")[0] for line in lines[:-1]], lines[-1]


def test_kubectl_completes_through_the_completion_program_as_the_caveats_say(installed,
                                                                             cluster):
    # the caveats' command: link kubectl_complete-triage from the store into krew's bin
    store = installed.root / "store" / "triage" / VERSION
    (installed.root / "bin" / "kubectl_complete-triage").symlink_to(
        store / "kubectl_complete-triage")
    assert _complete(installed, cluster, "lo") == (["logs"], ":4")
    assert _complete(installed, cluster, "-o", "j") == (["json", "jsonpath="], ":4")
    contexts, _ = _complete(installed, cluster, "--context", "")
    assert {"admin", "viewer", "setup"} <= set(contexts)
    targets, directive = _complete(installed, cluster, "logs", "-n", NS, "task")
    assert "taskflow-api" in targets and directive == ":4"
    pods, _ = _complete(installed, cluster, "logs", "-n", NS, "pod/rem")
    assert pods and all(p.startswith("pod/reminder-worker-") for p in pods)
    namespaces, _ = _complete(installed, cluster, "-n", "task")
    assert namespaces == [NS]
