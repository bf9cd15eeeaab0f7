"""The krew release (scripts/dist) and the completion program, as users get them.

The archive is built once per session (about 10 s: pip installs the pinned dependencies from
PyPI). Its zipapp runs in a clean environment (`env -i`, `python3 -I -S`: no site-packages at
all, not the venv's, not the machine's), which proves everything it imports is inside it.
plugin.yaml is checked against krew's own rules (krew's internal/index/validation, and the
krew-index CI's); tests/e2e/test_krew.py runs the real krew and its validator on it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest
import yaml

from kubectl_triage import __version__
from kubectl_triage.completion import main as complete_main

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "scripts" / "dist"
VERSION = f"v{__version__}"
ARCHIVE = f"kubectl-triage-{VERSION}.tar.gz"
SEMVER = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$")
LICENSE_NAMES = {"license", "license.txt", "license.md", "licenses", "licenses.txt",
                 "licenses.md", "copying", "copying.txt"}  # krew's validate-krew-manifest
PYENV = Path.home() / ".pyenv" / "versions"

_BUILT: dict[str, Path] = {}


def build_dist(tmp_path_factory) -> Path:
    """scripts/dist into a temporary folder, once per session (shared with test_krew.py)."""
    if "out" not in _BUILT:
        out = tmp_path_factory.mktemp("dist")
        proc = subprocess.run([sys.executable, str(DIST), "--out-dir", str(out),
                               "--manifest", str(out / "plugin.yaml")],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        _BUILT["out"] = out
    return _BUILT["out"]


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Path:
    return build_dist(tmp_path_factory)


@pytest.fixture(scope="session")
def unpacked(dist, tmp_path_factory) -> Path:
    """The archive extracted as krew does: the three files side by side."""
    target = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(dist / ARCHIVE) as tar:
        tar.extractall(target, filter="data")
    return target


@pytest.fixture(scope="session")
def manifest(dist) -> dict:
    return yaml.safe_load((dist / "plugin.yaml").read_text())


def clean_run(*cmd: str, home: Path, extra: dict[str, str] | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess:
    """No variable of ours, no site-packages: what a user's shell gives a fresh program."""
    env = ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={home}",
           *(f"{k}={v}" for k, v in (extra or {}).items())]
    return subprocess.run([*env, *cmd], capture_output=True, text=True, timeout=timeout)


def isolated(app: Path, *args: str, home: Path, **kw) -> subprocess.CompletedProcess:
    return clean_run(sys.executable, "-I", "-S", str(app), *args, home=home, **kw)


# ---- the archive ----------------------------------------------------------------------------

@pytest.mark.slow
def test_archive_holds_three_regular_files_with_krew_safe_names_and_modes(dist):
    with tarfile.open(dist / ARCHIVE) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert set(members) == {"kubectl-triage", "kubectl_complete-triage", "LICENSE"}
    for name, member in members.items():
        assert member.isreg(), name  # no symlinks, no hard links, no folders
        assert not name.startswith("/") and ".." not in name.split("/")
        assert member.uid == 0 and member.gid == 0
    assert members["kubectl-triage"].mode == 0o755
    assert members["kubectl_complete-triage"].mode == 0o755
    assert members["LICENSE"].mode == 0o644


@pytest.mark.slow
def test_zipapp_is_pure_python_without_the_async_client_or_google_auth(unpacked):
    app = unpacked / "kubectl-triage"
    assert app.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    names = zipfile.ZipFile(app).namelist()
    compiled = [n for n in names if re.search(r"\.(so|pyd|dylib|dll)$|\.so\.", n)]
    assert compiled == []
    assert not [n for n in names if n.startswith(("kubernetes/aio/", "google/", "aiohttp/"))]
    for needed in ("__main__.py", "_kubectl_triage_boot.py", "kubectl_triage/cli/__init__.py",
                   "kubectl_triage/completion.py", "kubernetes/client/api_client.py",
                   "yaml/__init__.py", "kubectl_triage/demo/taskflow/triage-bundle.json"):
        assert needed in names


@pytest.mark.slow
def test_zipapp_runs_version_and_demo_in_a_clean_environment(unpacked, tmp_path):
    app = unpacked / "kubectl-triage"
    version = isolated(app, "--version", home=tmp_path)
    assert (version.returncode, version.stdout, version.stderr) == (
        0, f"kubectl-triage {__version__}\n", "")
    demo = isolated(app, "demo", "-o", "json", home=tmp_path)
    assert demo.returncode == 0, demo.stderr
    report = json.loads(demo.stdout)
    assert report["kind"] == "Report" and report["findings"]
    assert demo.stderr == ""


@pytest.mark.slow
def test_zipapp_runs_through_its_shebang_with_the_machines_python3(unpacked, tmp_path):
    if not Path("/usr/bin/python3").exists():
        pytest.skip("no /usr/bin/python3")
    proc = clean_run(str(unpacked / "kubectl-triage"), "version", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    # the archive is pure Python: its log scan is `re` unless that python3 has google-re2
    assert proc.stdout == f"kubectl-triage {__version__} (log scan: re)\n"


@pytest.mark.slow
def test_zipapp_scans_with_re2_when_its_python_has_google_re2(unpacked, tmp_path):
    """What the krew caveats tell users: `python3 -m pip install --user google-re2` makes
    the archive's scan use RE2 (site-packages stay on the zipapp's path, behind its own)."""
    proc = clean_run(sys.executable, str(unpacked / "kubectl-triage"), "version", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"kubectl-triage {__version__} (log scan: re2)\n"


SELF_CONTAINED = """
import json, sys
app = sys.argv[1]
sys.path.insert(0, app)
import _kubectl_triage_boot as boot
root = boot._unpacked(app)
sys.path[:0] = [root]
import click, colorama, tabulate, yaml, urllib3, requests, requests_oauthlib, websocket
import kubernetes.client, kubernetes.config, kubernetes.stream, kubernetes.watch
import kubectl_triage.cli, kubectl_triage.completion, kubectl_triage.kube.source
files = {name: getattr(m, "__file__", None) for name, m in list(sys.modules.items())}
print(json.dumps({"root": root, "libyaml": yaml.__with_libyaml__, "files": files}))
"""


@pytest.mark.slow
def test_every_module_the_client_needs_comes_from_the_archive(unpacked, tmp_path):
    app = unpacked / "kubectl-triage"
    proc = clean_run(sys.executable, "-I", "-S", "-c", SELF_CONTAINED, str(app), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["libyaml"] is False  # PyYAML's pure-Python loader: its .so was left out
    files = {name: path for name, path in data["files"].items() if path}
    installed = {n: p for n, p in files.items() if "site-packages" in p or "dist-packages" in p}
    assert installed == {}
    ours = ("click", "colorama", "tabulate", "yaml", "urllib3", "requests", "requests_oauthlib",
            "oauthlib", "websocket", "six", "certifi", "dateutil", "durationpy", "idna",
            "charset_normalizer", "kubernetes", "kubectl_triage", "_kubectl_triage_boot")
    for name in ours:
        assert files[name].startswith((data["root"], str(app))), (name, files[name])


@pytest.mark.slow
def test_zipapp_unpacks_once_into_the_users_cache(unpacked, tmp_path):
    app = unpacked / "kubectl-triage"
    assert isolated(app, "version", home=tmp_path).returncode == 0
    builds = list((tmp_path / ".cache" / "kubectl-triage").glob("zipapp-*"))
    assert len(builds) == 1 and (builds[0] / ".complete").is_file()
    # the build's bytecode went where the import system looks for it
    assert list((builds[0] / "kubectl_triage" / "cli" / "__pycache__").glob("__init__.*.pyc"))
    stamp = (builds[0] / ".complete").stat().st_mtime_ns
    assert isolated(app, "version", home=tmp_path).returncode == 0
    assert (builds[0] / ".complete").stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_zipapp_runs_from_the_archive_when_it_cannot_unpack(unpacked, tmp_path):
    app = unpacked / "kubectl-triage"
    blocked = tmp_path / "a-file"  # a folder cannot be made under it, even by root
    blocked.write_text("")
    for extra in ({"KUBECTL_TRIAGE_ZIPAPP_CACHE": "off"},
                  {"KUBECTL_TRIAGE_ZIPAPP_CACHE": str(blocked / "cache")}):
        proc = isolated(app, "rules", "list", "-o", "json", home=tmp_path, extra=extra)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)
    assert not (tmp_path / ".cache").exists()


@pytest.mark.slow
def test_zipapp_does_not_run_code_planted_in_a_shared_cache(unpacked, tmp_path):
    app = unpacked / "kubectl-triage"
    cache = tmp_path / "shared"
    assert isolated(app, "version", home=tmp_path,
                    extra={"KUBECTL_TRIAGE_ZIPAPP_CACHE": str(cache)}).returncode == 0
    build = next(cache.glob("zipapp-*"))
    planted = build / "kubectl_triage" / "cli" / "__init__.py"
    for stale in planted.parent.glob("__pycache__/__init__.*"):
        stale.unlink()
    planted.write_text("print('PLANTED')\ndef main():\n    pass\n")
    for loosen in (cache, build):  # another user could have written either
        loosen.chmod(0o777)
        proc = isolated(app, "version", home=tmp_path,
                        extra={"KUBECTL_TRIAGE_ZIPAPP_CACHE": str(cache)})
        assert proc.returncode == 0 and "PLANTED" not in proc.stdout, proc.stdout
        assert proc.stdout.startswith("kubectl-triage ")
        loosen.chmod(0o700)


def _other_pythons(older: bool) -> list[Path]:
    found = []
    for exe in sorted(PYENV.glob("3.*/bin/python3")):
        minor = tuple(int(p) for p in exe.parent.parent.name.split(".")[:2])
        if (minor < (3, 10)) == older and minor[:2] != sys.version_info[:2]:
            found.append(exe)
    return found


@pytest.mark.slow
def test_zipapp_runs_on_other_python_minor_versions(unpacked, tmp_path):
    pythons = _other_pythons(older=False)
    if not pythons:
        pytest.skip("no other Python >= 3.10 installed (pyenv)")
    for python in pythons:
        proc = clean_run(str(python), "-I", "-S", str(unpacked / "kubectl-triage"), "demo",
                         "-o", "json", home=tmp_path)
        assert proc.returncode == 0, (python, proc.stderr)
        assert json.loads(proc.stdout)["findings"]


OLD_PYTHON = """
import runpy, sys
sys.version_info = (3, 9, 18, "final", 0)
sys.argv = [sys.argv[1], "--version"]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.slow
def test_zipapp_refuses_an_old_python_in_one_line(unpacked, tmp_path):
    proc = clean_run(sys.executable, "-I", "-S", "-c", OLD_PYTHON,
                     str(unpacked / "kubectl-triage"), home=tmp_path)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith(
        "error: kubectl-triage needs Python >= 3.10; the python3 on PATH is 3.9.18 (")
    assert proc.stderr.count("\n") == 1
    assert not (tmp_path / ".cache").exists()  # nothing unpacked before the check


@pytest.mark.slow
def test_zipapp_refuses_a_real_old_python(unpacked, tmp_path):
    pythons = _other_pythons(older=True)
    if not pythons:
        pytest.skip("no Python < 3.10 installed (pyenv)")
    for python in pythons:
        for program in ("kubectl-triage", "kubectl_complete-triage"):
            proc = clean_run(str(python), str(unpacked / program), "--version", home=tmp_path)
            assert proc.returncode == 1, (python, proc.stderr)
            assert re.fullmatch(r"error: kubectl-triage needs Python >= 3\.10; the python3 on "
                                r"PATH is 3\.\d+\.\d+ \(.*\)\. Install a newer Python 3 and "
                                r"put it first on PATH\.\n", proc.stderr), proc.stderr


@pytest.mark.slow
def test_completion_program_in_the_archive_answers(unpacked, tmp_path):
    proc = isolated(unpacked / "kubectl_complete-triage", "-o", "j", home=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "json\njsonpath=\n:4\n", "")


# ---- plugin.yaml ----------------------------------------------------------------------------


@pytest.mark.slow
def test_manifest_follows_krews_rules(manifest, dist):
    assert manifest["apiVersion"] == "krew.googlecontainertools.github.com/v1alpha2"
    assert manifest["kind"] == "Plugin"
    assert re.fullmatch(r"[\w-]+", manifest["metadata"]["name"])
    assert manifest["metadata"]["name"] == "triage"
    spec = manifest["spec"]
    assert SEMVER.match(spec["version"]) and spec["version"] == VERSION
    short = spec["shortDescription"]
    assert short and "\n" not in short.strip() and len(short) <= 50
    assert all(len(line) <= 80 for line in spec["description"].splitlines())
    assert spec["homepage"].startswith("https://")
    assert "3.10" in spec["caveats"]
    assert "kubectl krew index add kubectl-triage " in spec["caveats"]
    assert "kubectl krew install kubectl-triage/triage" in spec["caveats"]
    [platform] = spec["platforms"]
    assert platform["uri"].endswith(f"/{VERSION}/{ARCHIVE}")
    assert re.fullmatch(r"[a-f0-9]{64}", platform["sha256"])
    assert platform["sha256"] == hashlib.sha256((dist / ARCHIVE).read_bytes()).hexdigest()


@pytest.mark.slow
def test_manifest_selects_linux_and_darwin_only_by_os_and_arch(manifest):
    [platform] = manifest["spec"]["platforms"]
    selector = platform["selector"]
    keys = set(selector.get("matchLabels", {}))
    keys |= {e["key"] for e in selector.get("matchExpressions", [])}
    assert keys and keys <= {"os", "arch"}
    [expression] = selector["matchExpressions"]
    assert expression["operator"] == "In"
    assert sorted(expression["values"]) == ["darwin", "linux"]  # no .exe: no windows


@pytest.mark.slow
def test_manifest_files_match_the_archive_and_install_the_bin_and_a_license(manifest, dist):
    [platform] = manifest["spec"]["platforms"]
    with tarfile.open(dist / ARCHIVE) as tar:
        entries = tar.getnames()
    installed = set()
    for move in platform["files"]:
        matched = fnmatch.filter(entries, move["from"])
        assert matched, move
        assert move["to"] == "."
        installed.update(Path(m).name for m in matched)
    assert platform["bin"] in installed
    assert {n.lower() for n in installed} & LICENSE_NAMES


def test_committed_plugin_yaml_is_the_template_rendered():
    """Only the sha256 may differ from a fresh rendering (it changes with every build of new
    code): everything else comes from packaging/plugin.yaml.tmpl, never from a hand edit."""
    committed = (ROOT / "plugin.yaml").read_text()
    sha = re.search(r"^    sha256: ([a-f0-9]{64})$", committed, re.MULTILINE)
    assert sha, "plugin.yaml has no lowercase sha256 line: run scripts/dist"
    template = (ROOT / "packaging" / "plugin.yaml.tmpl").read_text()
    uri = ("https://github.com/kubectl-triage/kubectl-triage/releases/download/"
           f"{VERSION}/{ARCHIVE}")
    from string import Template

    rendered = Template(template).substitute(version=VERSION, uri=uri, sha256=sha.group(1))
    assert committed == rendered


# ---- completion -----------------------------------------------------------------------------


def answer(*args: str, env: dict[str, str] | None = None,
           monkeypatch=None) -> tuple[list[str], str]:
    if monkeypatch is not None:
        for key in ("KUBECONFIG", "HOME"):
            monkeypatch.delenv(key, raising=False)
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
    out = io.StringIO()
    complete_main(list(args), stdout=out)
    lines = out.getvalue().splitlines()
    return [line.split("\t")[0] for line in lines[:-1]], lines[-1]


def test_completion_lists_subcommands_for_an_empty_word():
    values, directive = answer("")
    assert {"logs", "events", "status", "analyze", "rules", "demo", "version"} <= set(values)
    assert directive == ":4"
    assert answer("ev") == (["events"], ":4")


def test_completion_lists_global_and_subcommand_flags():
    values, directive = answer("-")
    assert {"-n", "--namespace", "-o", "--output", "--context", "--kubeconfig"} <= set(values)
    assert directive == ":4"
    logs, _ = answer("logs", "--t")
    assert {"--tail", "--timestamps", "--token", "--tls-server-name"} == set(logs)
    # a flag already given is not offered again, a repeatable one is
    again, _ = answer("-n", "x", "--as-group", "g", "--")
    assert "--namespace" not in again and "--as-group" in again


def test_completion_of_output_formats():
    assert answer("-o", "j") == (["json", "jsonpath="], ":4")  # as kubectl offers them
    assert answer("logs", "api", "--output", "") == (
        ["table", "wide", "json", "yaml", "markdown", "name", "jsonpath="], ":4")
    assert answer("summary", "-o", "h") == (["html"], ":4")  # -o html: summary, checklist, demo
    assert answer("-o", "h") == (["html"], ":4")
    assert answer("dapr", "-o", "h") == ([], ":4")
    assert answer("--output=y") == (["--output=yaml"], ":4")


def test_completion_of_contexts_from_the_kubeconfig(tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "prod",
        "clusters": [{"name": "c1", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u1", "user": {"token": "t"}}],
        "contexts": [{"name": n, "context": {"cluster": "c1", "user": "u1"}}
                     for n in ("prod", "staging", "dev")]}))
    assert answer("--kubeconfig", str(config), "--context", "") == (
        ["prod", "staging", "dev"], ":4")
    assert answer("--context", "st", env={"KUBECONFIG": str(config)},
                  monkeypatch=monkeypatch) == (["staging"], ":4")
    assert answer("--cluster", "", env={"KUBECONFIG": str(config)},
                  monkeypatch=monkeypatch) == (["c1"], ":4")
    assert answer("--kubeconfig", str(tmp_path / "missing"), "--context", "") == ([], ":4")


def test_completion_of_rule_ids_files_and_folders():
    assert answer("rules", "show", "crash") == (["crash-loop"], ":4")
    assert answer("analyze", "") == ([], ":0")  # the shell completes file names
    assert answer("--bundle", "") == ([], ":16")  # folders only
    assert answer("version", "") == ([], ":4")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kubeconfig(path: Path, server: str) -> Path:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "x",
        "clusters": [{"name": "x", "cluster": {"server": server,
                                               "insecure-skip-tls-verify": True}}],
        "users": [{"name": "x", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "x", "user": "x"}}]}))
    return path


COMPLETE = [sys.executable, "-c", "from kubectl_triage.completion import main; main()"]


@pytest.mark.parametrize("words", [["logs", ""], ["-n", ""], ["events", "pod/"]])
def test_completion_with_an_unreachable_cluster_is_empty_and_silent(tmp_path, words):
    config = _kubeconfig(tmp_path / "config", f"https://127.0.0.1:{_closed_port()}")
    proc = subprocess.run([*COMPLETE, "--kubeconfig", str(config), *words],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "HOME": str(tmp_path)})
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, ":4\n", "")


def test_completion_gives_up_on_a_server_that_never_answers(tmp_path):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)  # accepts connections (the kernel does) and never says a word
        config = _kubeconfig(tmp_path / "config",
                             f"https://127.0.0.1:{server.getsockname()[1]}")
        proc = subprocess.run([*COMPLETE, "--kubeconfig", str(config), "logs", ""],
                              capture_output=True, text=True, timeout=60,
                              env={**os.environ, "HOME": str(tmp_path)})
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, ":4\n", "")


def test_completion_lists_deployments_and_pods_from_the_cluster(tmp_path):
    """A stand-in API server (plain HTTP on loopback) answering the two list calls."""
    from http.server import BaseHTTPRequestHandler, HTTPServer

    seen = []
    lists = {
        "/apis/apps/v1/namespaces/shop/deployments": ["web", "api"],
        "/api/v1/namespaces/shop/pods": ["web-1", "api-2"],
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            path = self.path.split("?")[0]
            seen.append(path)
            names = lists.get(path)
            body = json.dumps({"items": [{"metadata": {"name": n}} for n in names or []]})
            self.send_response(200 if names else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = _kubeconfig(tmp_path / "config", f"http://127.0.0.1:{server.server_port}")
        values, directive = answer("--kubeconfig", str(config), "-n", "shop", "logs", "")
        assert directive == ":4"
        assert values == ["api", "web", "pod/api-2", "pod/web-1"]
        assert answer("--kubeconfig", str(config), "status", "-n", "shop", "pod/w") == (
            ["pod/web-1"], ":4")
    finally:
        server.shutdown()
    assert set(seen) == set(lists)


def test_completion_of_subcommands_does_not_import_the_client():
    code = ("import io, sys\nfrom kubectl_triage.completion import main\n"
            "main(['-o', ''], stdout=io.StringIO())\nmain([''], stdout=io.StringIO())\n"
            "print('kubernetes' in sys.modules, 'yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out == "False False\n"


# ---- pipx -----------------------------------------------------------------------------------


def _source_copy(target: Path) -> Path:
    """The project's files that a build reads, so that pip writes nothing into the work tree."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("setup.cfg", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "kubectl_triage", target / "kubectl_triage",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


@pytest.mark.slow
def test_pipx_install_gives_both_executables(tmp_path):
    """pipx from PyPI in a venv of its own; `pipx install DIR` and `pipx install WHEEL`."""
    tools = tmp_path / "tools"
    subprocess.run([sys.executable, "-m", "venv", str(tools)], check=True)
    pip = subprocess.run([str(tools / "bin" / "python"), "-m", "pip", "install", "-q",
                          "pipx==1.18.4"], capture_output=True, text=True, timeout=300)
    if pip.returncode != 0:
        pytest.skip(f"pipx not installable here: {pip.stderr.strip()[-200:]}")
    source = _source_copy(tmp_path / "src")
    wheels = tmp_path / "wheels"
    subprocess.run([str(tools / "bin" / "python"), "-m", "pip", "wheel", "-q", "--no-deps",
                    "-w", str(wheels), str(source)], check=True, timeout=300)
    [wheel] = wheels.glob("kubectl_triage-*.whl")
    for spec, name in ((str(source), "dir"), (str(wheel), "wheel")):
        home, bin_dir = tmp_path / name / "home", tmp_path / name / "bin"
        env = {**os.environ, "PIPX_HOME": str(home), "PIPX_BIN_DIR": str(bin_dir),
               "PIPX_MAN_DIR": str(tmp_path / name / "man"), "HOME": str(tmp_path / name)}
        proc = subprocess.run([str(tools / "bin" / "pipx"), "install", spec], env=env,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert sorted(p.name for p in bin_dir.iterdir()) == [
            "kubectl-triage", "kubectl_complete-triage"]
        version = subprocess.run([str(bin_dir / "kubectl-triage"), "version"],
                                 capture_output=True, text=True, env=env)
        # a plain install has no extra: the scan is the standard library's
        assert version.stdout == f"kubectl-triage {__version__} (log scan: re)\n"
        completion = subprocess.run([str(bin_dir / "kubectl_complete-triage"), "-o", "ya"],
                                    capture_output=True, text=True, env=env)
        assert completion.stdout == "yaml\n:4\n"
