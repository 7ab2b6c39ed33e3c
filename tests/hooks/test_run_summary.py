"""The run summary: a real KedroSession of the probe project writing to a DuckDB store."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_collection_kedro import settings
from data_collection_kedro.run_context import RunEnergy, RunRegistry
from data_collection_kedro.run_summary import RunSummaryHook, build_run_summary, read_run_summary
from tests.support.carbon_probe import ProbeRunner


def test_each_run_writes_what_it_saved_inserted_and_quarantined(
    run_probe: ProbeRunner, carbon_out: Path
) -> None:
    run_probe("store")
    run_probe("store")  # the same rows again: the store inserts none
    folder = carbon_out / "runs"
    first, second = (read_run_summary(folder, run_id) for run_id in run_probe.session_ids)
    assert first is not None and second is not None

    assert first["pipeline"] == "store" and first["status"] == "ok" and first["error"] is None
    assert first["datasets"]["raw_records"] == {
        "saves": 1,
        "rows": 3,
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
    }
    assert first["quarantined_rows"] == 1
    assert second["datasets"]["raw_records"]["inserted"] == 0
    assert second["datasets"]["raw_records"]["unchanged"] == 3
    # the run's energy, from the carbon hook through the shared run state
    assert first["energy"]["energy_kwh"] > 0
    assert (
        first["energy"]["measurement"]
        == run_probe.runs.get(run_probe.session_ids[0]).energy.measurement
    )
    assert first["started_at"] < first["ended_at"]


def test_a_failed_run_is_summarised_with_its_error(
    run_probe: ProbeRunner, carbon_out: Path
) -> None:
    with pytest.raises(RuntimeError, match="node failure on purpose"):
        run_probe("failing")
    summary = read_run_summary(carbon_out / "runs", run_probe.session_ids[-1])
    assert summary is not None
    assert summary["status"] == "failed"
    assert "node failure on purpose" in summary["error"]
    assert summary["energy"]["energy_kwh"] > 0


def test_quarantined_rows_are_unknown_when_a_save_has_no_row_count() -> None:
    runs = RunRegistry()
    record = runs.run("r")
    record.record_save("quarantine_a", 2, None)
    record.record_save("quarantine_b", None, None)
    summary = build_run_summary(record, status="ok", error=None, started_at="", ended_at="")
    assert summary["quarantined_rows"] is None
    assert summary["energy"] == {
        "measurement": "not-measured",
        "energy_kwh": None,
        "emissions_kg": None,
        "duration_s": None,
    }
    assert RunEnergy("x").measured is False


def test_the_project_registers_the_hooks_around_one_registry() -> None:
    hooks = settings.HOOKS
    assert any(isinstance(h, RunSummaryHook) for h in hooks)
    assert all(h.runs is settings.RUNS for h in hooks if hasattr(h, "runs"))
