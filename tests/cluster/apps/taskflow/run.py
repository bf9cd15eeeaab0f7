#!/usr/bin/env python3
"""Launcher: `python3 tests/cluster/apps/taskflow/run.py api --port 8000 ...` from anywhere.

The same as `PYTHONPATH=tests/cluster/apps/taskflow python -m taskflow ...`.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from taskflow.__main__ import main  # noqa: E402

sys.exit(main())
