"""End-to-end tests run against the project's real test cluster (tests/cluster)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cluster"))

from fixtures import *  # noqa: E402,F401,F403  (e2e_cluster, demo_scenario, …)
