"""kube/clientimport.py: a live command's connection loads none of the client's API and model
classes, and the first use of one then gives the whole client, as a plain import would.

Each case runs in a fresh interpreter: `sys.modules` of the test process holds the client
already, and there `light()` rightly does nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest


def _run(code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, check=True, timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _resolve_kubeconfig(tmp_path) -> str:
    path = tmp_path / "config"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:6443'}}]\n"
        "users: [{name: u, user: {token: t0}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u, namespace: ns}}]\n"
    )
    return str(path)


def test_a_connection_loads_no_api_or_model_class(tmp_path):
    loaded = _run(f"""
        import json, sys
        from kubectl_triage.kube.client import Kube
        from kubectl_triage.kube.config import ConnectOptions, resolve
        resolved = resolve(ConnectOptions(kubeconfig={_resolve_kubeconfig(tmp_path)!r}))
        kube = Kube(resolved)
        print(json.dumps({{
            "host": kube.host, "namespace": resolved.namespace,
            "auth": resolved.configuration.auth_settings()["BearerToken"]["value"],
            "models": sorted(m for m in sys.modules if m.startswith("kubernetes.client.models.")),
            "apis": sorted(m for m in sys.modules if m.startswith("kubernetes.client.api.")),
        }}))
    """)
    assert loaded["host"] == "https://127.0.0.1:6443"
    assert loaded["namespace"] == "ns"
    assert loaded["auth"] == "Bearer t0"
    assert loaded["models"] == [] and loaded["apis"] == []


_NAMES = """
    import kubernetes, kubernetes.client, kubernetes.client.models
    from kubernetes.stream import stream, portforward
    names = {
        "version": kubernetes.__version__,
        "client": sorted(n for n in dir(kubernetes.client) if not n.startswith("_")),
        "models": sorted(n for n in dir(kubernetes.client.models) if not n.startswith("_")),
        "same": kubernetes.client.ApiClient is kubernetes.client.api_client.ApiClient
        and kubernetes.client.V1Pod is kubernetes.client.models.v1_pod.V1Pod,
    }
"""


def test_after_the_light_import_the_whole_client_is_there_as_after_a_plain_import():
    plain = _run(f"""
        import json
        {textwrap.indent(textwrap.dedent(_NAMES), "        ").strip()}
        print(json.dumps(names))
    """)
    light = _run(f"""
        import json
        from kubectl_triage.kube import clientimport
        clientimport.light()
        from kubernetes.config.kube_config import KubeConfigLoader
        from kubernetes.client import ApiClient
        {textwrap.indent(textwrap.dedent(_NAMES), "        ").strip()}
        print(json.dumps(names))
    """)
    assert light["same"] and plain["same"]
    assert len(plain["client"]) > 500  # the API and model classes
    assert light == plain


def test_threads_asking_for_a_class_at_once_all_get_it():
    got = _run("""
        import json
        from concurrent.futures import ThreadPoolExecutor
        from kubectl_triage.kube import clientimport
        clientimport.light()
        import kubernetes.client

        def ask(_):
            return kubernetes.client.CoreV1Api.__name__

        with ThreadPoolExecutor(8) as pool:
            print(json.dumps(list(pool.map(ask, range(8)))))
    """)
    assert got == ["CoreV1Api"] * 8


@pytest.mark.parametrize("name", ["NoSuchApi", "no_such_module"])
def test_a_name_the_client_lacks_is_an_attribute_error(name):
    got = _run(f"""
        import json
        from kubectl_triage.kube import clientimport
        clientimport.light()
        import kubernetes.client
        try:
            getattr(kubernetes.client, {name!r})
            print(json.dumps("found"))
        except AttributeError as exc:
            print(json.dumps(str(exc)))
    """)
    assert got == f"module 'kubernetes.client' has no attribute {name!r}"
