"""Exposes the e2e cluster fixtures (tests/cluster/fixtures.py) to the tests in this directory."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures import *  # noqa: E402,F401,F403  (e2e_cluster, e2e_kubectl, tiny_scenario, pytest_configure)
