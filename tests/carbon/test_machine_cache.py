"""The machine's measurements kept between processes: CodeCarbon's hardware detection and the
idle draw (carbon/machine_cache.py), through real KedroSession runs of the probe project and
focused unit tests of the files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from codecarbon.core import hardware_cache
from codecarbon.core.resource_tracker import ResourceTracker

from data_collection_kedro.carbon import files, machine_cache
from data_collection_kedro.carbon.codecarbon_adapter import TrackerAdapter
from tests.support.carbon_probe import ProbeRunner


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Counts CodeCarbon's hardware probes and the hook's idle-draw probes (both real)."""
    counted: dict[str, list[Any]] = {"hardware": [], "idle": []}
    full_setup = ResourceTracker._run_full_hardware_setup
    idle_probe = TrackerAdapter.probe_idle_power

    def hardware(self: Any) -> None:
        counted["hardware"].append(self)
        full_setup(self)

    def idle(self: TrackerAdapter, seconds: float) -> float | None:
        counted["idle"].append(seconds)
        return idle_probe(self, seconds)

    monkeypatch.setattr(ResourceTracker, "_run_full_hardware_setup", hardware)
    monkeypatch.setattr(TrackerAdapter, "probe_idle_power", idle)
    return counted


def _new_process() -> None:
    """What a new process starts with: no hardware detection in CodeCarbon's process cache."""
    hardware_cache.clear_cache()


def _runs(out: Path) -> list[pd.DataFrame]:
    nodes = pd.read_csv(out / files.NODES_FILE_NAME)
    return [frame for _, frame in nodes.groupby("run_id", sort=False)]


def test_the_next_process_reuses_the_hardware_detection_and_the_idle_draw(
    run_probe: ProbeRunner, carbon_out: Path, probes: dict[str, list[Any]]
) -> None:
    _new_process()
    run_probe("three_nodes")
    assert len(probes["hardware"]) == 1 and len(probes["idle"]) == 1
    kept = sorted(p.name.split("-")[0] for p in (carbon_out / "cache").glob("*.json"))
    assert kept == ["hardware", "idle"]

    _new_process()
    run_probe("three_nodes")
    assert len(probes["hardware"]) == 1, "the second process probed the hardware again"
    assert len(probes["idle"]) == 1, "the second run measured the idle draw again"
    first, second = _runs(carbon_out)
    assert second["measurement"].isin(files.MEASURED).all()
    assert second["energy_kwh"].notna().all()
    # every row says which idle draw it used and when it was measured: the first run's
    assert second["idle_power_w"].tolist() == [first["idle_power_w"].iloc[0]] * len(second)
    measured_at = first["idle_power_measured_at"].iloc[0]
    assert (first["idle_power_measured_at"] == measured_at).all()
    assert (second["idle_power_measured_at"] == measured_at).all()
    assert measured_at <= first["started_at"].min()  # measured at the first run's start


def test_max_ages_of_zero_measure_in_every_process(
    run_probe: ProbeRunner,
    carbon_out: Path,
    probes: dict[str, list[Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARBON_PROBE_HARDWARE_MAX_AGE_H", "0")
    monkeypatch.setenv("CARBON_PROBE_IDLE_MAX_AGE_MIN", "0")
    for _ in range(2):
        _new_process()
        run_probe("three_nodes")
    assert len(probes["hardware"]) == 2 and len(probes["idle"]) == 2
    assert not list((carbon_out / "cache").glob("*.json"))
    first, second = _runs(carbon_out)
    assert first["idle_power_measured_at"].iloc[0] < second["idle_power_measured_at"].iloc[0]


def test_an_expired_idle_draw_is_measured_again(
    run_probe: ProbeRunner, carbon_out: Path, probes: dict[str, list[Any]]
) -> None:
    run_probe("three_nodes")
    (kept,) = (carbon_out / "cache").glob("idle-power-*.json")
    document = json.loads(kept.read_text())
    old = datetime.now(UTC) - timedelta(minutes=16)  # the probe project keeps 15 min
    document["measured_at"] = old.isoformat(timespec="milliseconds")
    kept.write_text(json.dumps(document))
    run_probe("three_nodes")
    assert len(probes["idle"]) == 2
    first, second = _runs(carbon_out)
    assert second["idle_power_measured_at"].iloc[0] > first["idle_power_measured_at"].iloc[0]


def test_a_damaged_hardware_file_is_replaced_by_a_new_detection(
    run_probe: ProbeRunner, carbon_out: Path, probes: dict[str, list[Any]]
) -> None:
    _new_process()
    run_probe("three_nodes")
    (kept,) = (carbon_out / "cache").glob("hardware-*.json")
    document = json.loads(kept.read_text())
    document["value"]["hardware_specs"] = [{"kind": "quantum"}]
    kept.write_text(json.dumps(document))
    _new_process()
    run_probe("three_nodes")
    assert len(probes["hardware"]) == 2  # detected again, the run measured all the same
    assert _runs(carbon_out)[1]["measurement"].isin(files.MEASURED).all()
    assert json.loads(kept.read_text())["value"]["hardware_specs"][0]["kind"] != "quantum"


# -- the files -----------------------------------------------------------------------------
KEY = {"machine": {"hostname": "h", "cpu_count": 2}, "tracking_mode": "machine", "gpu_ids": None}


def test_a_value_is_read_back_for_its_key_only(tmp_path: Path) -> None:
    path = machine_cache.write(tmp_path, machine_cache.IDLE_POWER, KEY, 12.5)
    assert path is not None and path.parent == tmp_path
    kept = machine_cache.read(tmp_path, machine_cache.IDLE_POWER, KEY, 60)
    assert kept is not None and kept.value == 12.5
    other = {**KEY, "machine": {"hostname": "other", "cpu_count": 2}}
    assert machine_cache.read(tmp_path, machine_cache.IDLE_POWER, other, 60) is None
    assert machine_cache.read(tmp_path, machine_cache.HARDWARE, KEY, 60) is None
    assert machine_cache.read(tmp_path, machine_cache.IDLE_POWER, KEY, 0) is None


def test_old_future_and_foreign_files_are_ignored(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    machine_cache.write(tmp_path, "x", KEY, 1.0, (now - timedelta(seconds=120)).isoformat())
    assert machine_cache.read(tmp_path, "x", KEY, 60) is None  # too old
    assert machine_cache.read(tmp_path, "x", KEY, 600) is not None
    machine_cache.write(tmp_path, "x", KEY, 1.0, (now + timedelta(hours=1)).isoformat())
    assert machine_cache.read(tmp_path, "x", KEY, 600) is None  # dated in the future
    (path,) = tmp_path.glob("x-*.json")
    path.write_text("{not json")
    assert machine_cache.read(tmp_path, "x", KEY, 600) is None
    document = {"key": {**KEY, "tracking_mode": "process"}, "measured_at": now.isoformat()}
    path.write_text(json.dumps({**document, "value": 1.0}))
    assert machine_cache.read(tmp_path, "x", KEY, 600) is None  # a different key stored


def test_an_unwritable_folder_costs_nothing_but_the_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert machine_cache.write(blocker / "cache", "x", KEY, 1.0) is None
    assert machine_cache.read(blocker / "cache", "x", KEY, 600) is None


def test_the_machine_identity_names_the_host_cpu_and_memory() -> None:
    identity = machine_cache.machine_identity()
    assert set(identity) == {"hostname", "cpu_model", "cpu_count", "ram_total_bytes"}
    assert identity["cpu_count"] >= 1 and identity["ram_total_bytes"] > 0
    assert identity["hostname"] and identity["cpu_model"]
