"""CodeCarbon's internals that the carbon hook relies on, checked on the installed version.

``data_collection_kedro.carbon.codecarbon_adapter`` is the only module touching CodeCarbon's
private attributes. These tests start a real offline tracker and check each attribute the
adapter uses exists and behaves as the adapter assumes. When a CodeCarbon upgrade breaks one,
the failing test names the attribute: fix the adapter (and bump ``PINNED_VERSION``) before
trusting the carbon files again.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import codecarbon
import numpy as np
import pytest
from codecarbon.core import hardware_cache
from codecarbon.core.resource_tracker import ResourceTracker
from codecarbon.output_methods.emissions_data import EmissionsData

from data_collection_kedro.carbon import files
from data_collection_kedro.carbon.codecarbon_adapter import (
    ENERGY_FIELDS,
    PINNED_VERSION,
    PRIVATE_ATTRIBUTES,
    TrackerAdapter,
)


def _work(seconds: float = 0.2) -> None:
    x = np.random.default_rng(0).random((150, 150))
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        x = x @ x
        x /= x.max()


def _settings(out: Path) -> dict[str, Any]:
    return {
        "project_name": "adapter-test",
        "experiment_name": "adapter-test",
        "country_iso_code": "FRA",
        "pue": 1.0,
        "measure_power_secs": 15,
        "output_dir": str(out),
        "output_file": "unused.csv",
        "log_level": "error",
        "tracking_mode": "machine",
        "force_cpu_power": None,
        "force_ram_power": None,
    }


def _start(out: Path) -> TrackerAdapter:
    return TrackerAdapter.start_offline(**_settings(out))


@pytest.fixture(scope="module")
def adapter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrackerAdapter]:
    started = _start(tmp_path_factory.mktemp("adapter"))
    yield started
    started.stop()


def test_installed_codecarbon_is_the_pinned_version() -> None:
    assert codecarbon.__version__ == PINNED_VERSION, (
        f"CodeCarbon {codecarbon.__version__} is installed; the carbon adapter was checked "
        f"against {PINNED_VERSION}. Run tests/carbon/test_codecarbon_adapter.py, review "
        "codecarbon_adapter.PRIVATE_ATTRIBUTES against the new version, then bump PINNED_VERSION."
    )


def test_every_private_attribute_exists(adapter: TrackerAdapter) -> None:
    tracker = adapter.tracker
    cpu = next(h for h in tracker._hardware if type(h).__name__ == "CPU")
    owners = {"BaseEmissionsTracker": tracker, "CPU": cpu, "hardware_cache": hardware_cache}
    missing = [
        f"{owner}.{name} ({why})"
        for owner, name, why in PRIVATE_ATTRIBUTES
        if not hasattr(owners[owner], name)
    ]
    assert not missing, f"CodeCarbon internals gone: {missing}"


def test_start_marks_the_tracker_started_and_takes_a_first_measurement(
    adapter: TrackerAdapter,
) -> None:
    tracker = adapter.tracker
    assert isinstance(tracker._start_time, float), "_start_time is set by start()"
    for name in ("_total_energy", "_total_cpu_energy", "_total_ram_energy", "_total_gpu_energy"):
        assert isinstance(getattr(tracker, name).kWh, float), f"{name}.kWh is a float"
    totals = adapter.totals()
    assert totals.energy_kwh >= 0.0
    assert totals.energy_kwh == pytest.approx(totals.cpu_kwh + totals.ram_kwh + totals.gpu_kwh)


def test_cpu_power_method_is_read_from_the_hardware(adapter: TrackerAdapter) -> None:
    cpu = next(h for h in adapter.tracker._hardware if type(h).__name__ == "CPU")
    assert cpu._mode in {"intel_rapl", "windows_emi", "intel_power_gadget", "cpu_load", "constant"}
    assert isinstance(cpu._is_generic_tdp, bool)
    assert adapter.measurement_method() in files.MEASURED


def test_measure_adds_the_window_to_the_running_totals(adapter: TrackerAdapter) -> None:
    before = adapter.totals()
    _work()
    added = adapter.measure()
    after = adapter.totals()
    assert added.energy_kwh > 0, "_measure_power_and_energy() adds the window's energy"
    assert after.energy_kwh == pytest.approx(before.energy_kwh + added.energy_kwh, rel=1e-12)


def test_schedulers_stay_as_pinned_across_tasks(adapter: TrackerAdapter) -> None:
    tracker = adapter.tracker
    assert tracker._scheduler._stopped, "the periodic measurement scheduler is stopped once"
    monitor = tracker._scheduler_monitor_power
    assert type(monitor).__name__ == "_PinnedScheduler"
    adapter.start_task("pinned")
    _work(0.05)
    adapter.stop_task("pinned")
    # stop_task must not restart the periodic scheduler (it was not running when the task
    # started) nor stop the pinned 1 s power monitor
    assert tracker._scheduler._stopped, "stop_task restarted the periodic scheduler"
    assert not monitor._inner._stopped, "stop_task stopped the 1 s power monitor"


def test_a_task_is_exactly_the_change_of_the_running_totals(adapter: TrackerAdapter) -> None:
    before = adapter.totals()
    adapter.start_task("partition")
    _work()
    task = adapter.stop_task("partition")
    after = adapter.totals()
    assert task.energy.energy_kwh > 0 and task.duration_s >= 0.2
    assert task.energy.energy_kwh == pytest.approx(after.energy_kwh - before.energy_kwh, rel=1e-9)
    assert task.energy.cpu_kwh == pytest.approx(after.cpu_kwh - before.cpu_kwh, rel=1e-9)
    assert task.energy.ram_kwh == pytest.approx(after.ram_kwh - before.ram_kwh, rel=1e-9)
    assert task.emissions_kg > 0


def test_stop_returns_the_total_and_rows_are_written_as_codecarbon_does(tmp_path: Path) -> None:
    adapter = _start(tmp_path)
    fields = {f.name for f in dataclasses.fields(EmissionsData)}
    expected = {*ENERGY_FIELDS, "emissions", "emissions_rate", "duration", "water_consumed"}
    assert expected <= fields, f"EmissionsData lost {sorted(expected - fields)}"

    _work(0.05)
    added, total = adapter.stop()
    assert total is not None, "final_emissions_data is set by stop()"
    assert adapter.tracker._start_time is None
    assert added.energy_kwh >= 0
    assert total["energy_consumed"] == pytest.approx(adapter.totals().energy_kwh, rel=1e-12)
    assert total["run_id"] == adapter.run_id

    TrackerAdapter.write_run_row(str(tmp_path), "emissions_x.csv", total)
    TrackerAdapter.write_run_row(str(tmp_path), "emissions_x.csv", {**total, "duration": 1.0})
    with open(tmp_path / "emissions_x.csv", newline="") as handle:
        rows: list[dict[str, Any]] = list(csv.DictReader(handle))
    assert len(rows) == 2 and set(rows[0]) == fields
    assert float(rows[0]["energy_consumed"]) == pytest.approx(total["energy_consumed"])
    assert float(rows[1]["duration"]) == 1.0


def test_hardware_detection_ahead_of_a_run_measures_and_writes_nothing(tmp_path: Path) -> None:
    """What the hook runs while Kedro builds the run: CodeCarbon's public hardware detection,
    for the settings of the run's tracker (its output folder need not exist yet)."""
    out = tmp_path / "not-yet"
    detected = TrackerAdapter.detect_hardware(**_settings(out))
    assert detected["cpu_count"] >= 1
    assert detected["ram_total_size"] > 0
    assert not out.exists()


def test_a_hardware_detection_kept_as_json_is_reused_by_a_tracker_of_another_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the hook keeps between processes (carbon/machine_cache.py): this process's
    detection as plain data, written as JSON, given back to CodeCarbon after its per-process
    cache is emptied (a new process): the tracker then starts without probing the hardware and
    measures the same way."""
    settings = _settings(tmp_path)
    TrackerAdapter.detect_hardware(**settings)
    plan = TrackerAdapter.hardware_plan(**settings)
    assert plan is not None, "hardware_cache._plans holds the detection under make_key()"
    before = _start(tmp_path)
    method = before.measurement_method()
    before.stop()

    hardware_cache.clear_cache()  # a new process: CodeCarbon detects nothing yet
    assert TrackerAdapter.hardware_plan(**settings) is None
    probes: list[Any] = []
    full_setup = ResourceTracker._run_full_hardware_setup

    def counted(self: Any) -> None:
        probes.append(self)
        full_setup(self)

    monkeypatch.setattr(ResourceTracker, "_run_full_hardware_setup", counted)
    kept = json.loads(json.dumps(plan))
    assert TrackerAdapter.adopt_hardware_plan(kept, **settings)
    assert not TrackerAdapter.adopt_hardware_plan(kept, **settings), "already there"
    after = _start(tmp_path)
    try:
        assert probes == [], "the adopted detection was not used: CodeCarbon probed again"
        assert after.measurement_method() == method
        assert TrackerAdapter.hardware_plan(**settings) == kept
    finally:
        after.stop()


def test_a_plan_codecarbon_cannot_apply_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    hardware_cache.clear_cache()
    assert not TrackerAdapter.adopt_hardware_plan({"cpu_tracker": "x"}, **settings)
    assert not TrackerAdapter.adopt_hardware_plan(
        {
            "ram_tracker": "r",
            "cpu_tracker": "c",
            "gpu_tracker": "g",
            "conf": {},
            "hardware_specs": [{"kind": "quantum"}],
        },
        **settings,
    )
    assert TrackerAdapter.hardware_plan(**settings) is None


def test_the_hardware_key_names_the_version_and_the_detection_settings(tmp_path: Path) -> None:
    key = TrackerAdapter.hardware_key(**_settings(tmp_path))
    assert key["codecarbon"] == codecarbon.__version__
    assert key["tracking_mode"] == "machine" and key["force_cpu_power"] is None
    forced = TrackerAdapter.hardware_key(**{**_settings(tmp_path), "force_cpu_power": 65})
    assert forced != key
