"""The README's text examples are the real output at 80 columns (scripts/readme-examples)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_examples_are_the_real_output_at_80_columns():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "readme-examples"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
