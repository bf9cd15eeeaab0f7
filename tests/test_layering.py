"""Only kubectl_triage/kube/ may import the kubernetes client; --help never loads it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "kubectl_triage"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_kube_package_imports_kubernetes_client():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "kubernetes" in _imports(path) and path.relative_to(PACKAGE).parts[0] != "kube"
    ]
    assert offenders == []


def test_rules_and_renderers_do_not_reach_the_cluster():
    pure = [*PACKAGE.glob("rules/*.py"), *PACKAGE.glob("render/*.py"), PACKAGE / "records.py",
            PACKAGE / "scan.py", PACKAGE / "redact.py"]
    for path in pure:
        source = path.read_text(encoding="utf-8")
        assert "kubectl_triage.kube" not in source, path
        assert "kubectl_triage.collect" not in source, path


def _modules_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_help_does_not_import_kubernetes_or_yaml():
    code = (
        "from kubectl_triage.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    loaded = _modules_after(code)
    assert "kubernetes" not in loaded
    assert "yaml" not in loaded


def test_analyze_and_rules_do_not_import_kubernetes():
    code = (
        "import io, sys\nfrom kubectl_triage.cli import main\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(b'ERROR x'))\n"
        "for args in (['rules', 'list'], ['analyze', '-']):\n"
        "    try:\n        main(args)\n    except SystemExit:\n        pass"
    )
    assert "kubernetes" not in _modules_after(code)
