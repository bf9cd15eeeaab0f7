"""The shipped demo is the live taskflow incident, recorded and normalised (tools/record_demo.py,
docs/demo-incident.md). tests/data/taskflow-live is the raw recording it was made from, as
`kubectl triage bundle` wrote it (this machine's paths, times and ids in it); normalising it
again must give the shipped demo, and the normalised bundle must read as the same incident.
tests/e2e/test_taskflow_live.py records the live incident afresh and compares it the same way."""

from __future__ import annotations

import filecmp
import json
import shutil
import sys
from pathlib import Path

import pytest

from kubectl_triage.bundle import demo_path
from tests.helpers import incident_shape

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "tests" / "data" / "taskflow-live"
sys.path.insert(0, str(ROOT / "tools"))

import normalise  # noqa: E402


@pytest.fixture(scope="module")
def normalised(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "taskflow"
    normalise.normalise(RAW, out)
    return out


def _differences(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b)
    out = [f"{a.name}: {x}" for x in cmp.left_only + cmp.right_only + cmp.diff_files]
    for sub in cmp.common_dirs:
        out += _differences(a / sub, b / sub)
    return out


def test_normalising_the_raw_recording_again_gives_the_shipped_demo_byte_for_byte(normalised):
    # re-recording the demo keeps its raw beside it: --keep-raw tests/data/taskflow-live
    assert _differences(normalised, demo_path()) == []


def test_the_normalised_recording_is_the_same_incident_as_the_raw_one(normalised):
    shape = incident_shape(normalised)
    assert shape == incident_shape(RAW)
    assert [i[2] for i in shape["incidents"]][0] == ["service-no-endpoints"]
    assert shape["rules"]["deployment/taskflow-api"] == {
        "schema-mismatch", "wrong-endpoint", "async-sqlalchemy-greenlet", "timezone"}
    assert shape["rules"]["deployment/reminder-worker"] == {"crash-loop", "db-connection"}


def test_normalising_moves_every_time_and_leaves_no_machine_path(tmp_path):
    raw_created = json.loads((RAW / "triage-bundle.json").read_text())["createdAt"]
    assert not raw_created.startswith("2026-11-27")  # recorded on another day: it moves
    out = tmp_path / "again"
    normalise.normalise(RAW, out)
    texts = "\n".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert raw_created[:10] not in texts
    assert "site-packages" in texts and not normalise.MACHINE_PATH.search(texts)
    assert json.loads((out / "triage-bundle.json").read_text())["createdAt"] == (
        "2026-11-27T23:10:00Z")


def test_a_machine_path_left_over_fails_with_its_file_and_line(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    log = raw / "taskflow" / "redis-0" / "redis.log"
    log.write_text(log.read_text() + "2026-12-03T20:28:23.000000000Z loaded /home/me/x.rdb\n")
    with pytest.raises(normalise.NormaliseError, match=r"taskflow/redis-0/redis.log:9: .*/home/"):
        normalise.normalise(raw, tmp_path / "out")
