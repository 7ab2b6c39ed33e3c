"""The carbon-aware start of the fusion + training DAG: the plan read from the raw store through
the project's catalog (a real KedroSession), with the project's parameters or the run's."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data_collection_kedro.datasets import DuckDBTableDataset

from .conftest import DAGS_FOLDER  # noqa: F401  (puts dags/ on sys.path)


def _store_profile(data_dir: Path, days: int = 7) -> None:
    """Paris days 2024-06-01.. at 50 g/kWh, except 13:00-15:00 at 20 and 08:00 at 30."""
    start = pd.Timestamp("2024-06-01").tz_localize("Europe/Paris")
    quarters = pd.date_range(start, start + pd.Timedelta(days=days), freq="15min")[:-1]
    shape = {13: 20.0, 14: 20.0, 8: 30.0}
    frame = pd.DataFrame(
        {
            "timestamp_utc": quarters.tz_convert("UTC"),
            "carbon_intensity_g_per_kwh": [shape.get(q.hour, 50.0) for q in quarters],
        }
    )
    DuckDBTableDataset(
        database=str(data_dir / "energiewatch.duckdb"),
        table="raw_grid_carbon_intensity",
        key=["timestamp_utc"],
    ).save(frame)


def test_the_plan_waits_for_the_lowest_predicted_window(data_dir: Path) -> None:
    from energiewatch_airflow.kedro_runner import plan_low_carbon_start

    _store_profile(data_dir)
    now = pd.Timestamp("2024-06-08T06:00:00+02:00")
    plan = plan_low_carbon_start(now=now)  # the project's parameters: 12 h ahead, 1 h window
    assert pd.Timestamp(plan["start_at"]) == pd.Timestamp("2024-06-08T13:00:00+02:00")
    assert plan["delay_minutes"] == 7 * 60
    assert (plan["predicted_g_per_kwh"], plan["now_g_per_kwh"]) == (20.0, 50.0)
    assert plan["basis"] == "profile of 2024-06-01..2024-06-07"
    # the run's params override the project's
    assert plan_low_carbon_start(now=now, max_delay_hours=3)["delay_minutes"] == 2 * 60
    off = plan_low_carbon_start(now=now, enabled=False)
    assert off["delay_minutes"] == 0 and off["enabled"] is False


def test_a_store_no_ingestion_refreshed_means_starting_at_once(data_dir: Path) -> None:
    from energiewatch_airflow.kedro_runner import plan_low_carbon_start

    _store_profile(data_dir)  # newest day 2024-06-07; the project's limit: 3 days
    now = pd.Timestamp("2024-06-11T06:00:00+02:00")
    plan = plan_low_carbon_start(now=now)
    assert pd.Timestamp(plan["start_at"]) == now and plan["delay_minutes"] == 0
    assert plan["basis"].startswith("newest stored intensity 2024-06-07, 4 days old")
    assert plan_low_carbon_start(now=now - pd.Timedelta(days=1))["delay_minutes"] == 7 * 60


def test_no_intensity_in_the_store_means_starting_at_once(data_dir: Path) -> None:
    from energiewatch_airflow.kedro_runner import plan_low_carbon_start

    now = pd.Timestamp("2024-06-08T06:00:00+02:00")
    plan = plan_low_carbon_start(now=now)
    assert pd.Timestamp(plan["start_at"]) == now and plan["delay_minutes"] == 0


@pytest.fixture(autouse=True)
def _project_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEDRO_ENV", raising=False)
