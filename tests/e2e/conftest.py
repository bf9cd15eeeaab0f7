"""End-to-end tests run against the project's real test cluster (tests/cluster)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cluster"))

import pytest  # noqa: E402
from fixtures import *  # noqa: E402,F401,F403  (e2e_cluster, handwritten_scenario, …)


@pytest.fixture(scope="module")
def netns_tiny(e2e_cluster, tiny_scenario):
    """The tiny scenario with its stand-in servers in pod network namespaces."""
    if not e2e_cluster.has_pod_network:
        pytest.skip("pod network namespaces need root and iproute2")
    return e2e_cluster
