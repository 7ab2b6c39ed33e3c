"""RTE's J-1 forecast as the yardstick of the national forecast (``modeling.yardstick``): the
ENTSO-E export's daily energy in Paris days, and the side-by-side scores."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from data_collection_kedro.modeling.yardstick import (
    ACTUAL_COLUMN,
    FORECAST_COLUMN,
    TIME_COLUMN,
    entsoe_daily_energy,
    level_shift_pct,
    rte_comparison,
)
from tests.support.paths import requires_real_data


def _export(start: str, periods: int, step_minutes: int, forecast: float, actual: float) -> str:
    starts = pd.date_range(start, periods=periods, freq=f"{step_minutes}min", tz="UTC")
    ends = starts + pd.Timedelta(minutes=step_minutes)
    lines = [f'"{TIME_COLUMN}","{FORECAST_COLUMN}","{ACTUAL_COLUMN}"']
    for begin, end in zip(starts, ends, strict=True):
        label = f"{begin:%d.%m.%Y %H:%M} - {end:%d.%m.%Y %H:%M}"
        lines.append(f'"{label}","{forecast:.0f}","{actual:.0f}"')
    return "\n".join(lines) + "\n"


def _read(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def test_daily_energy_of_paris_days_hourly_and_quarter_hourly() -> None:
    # 2024-03-30 23:00 UTC .. : Paris days 2024-03-31 (23 h, spring forward) and 2024-04-01
    hourly = _read(_export("2024-03-30 23:00", 23 + 24, 60, 50_000, 48_000))
    daily = entsoe_daily_energy(hourly).set_index("day")
    assert daily.loc["2024-03-31", "rte_day_ahead_mwh"] == 23 * 50_000
    assert daily.loc["2024-04-01", "realtime_actual_mwh"] == 24 * 48_000
    quarter = _read(_export("2024-12-30 23:00", 96, 15, 60_000, 61_000))
    assert entsoe_daily_energy(quarter).set_index("day").loc["2024-12-31", "rte_day_ahead_mwh"] == (
        24 * 60_000
    )


def test_a_day_with_a_missing_interval_has_no_daily_energy() -> None:
    text = _export("2024-01-01 23:00", 48, 60, 50_000, 48_000)
    lines = text.splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ',"N/A"'  # one actual missing on 2024-01-02
    daily = entsoe_daily_energy(_read("\n".join(lines))).set_index("day")
    assert np.isnan(daily.loc["2024-01-02", "realtime_actual_mwh"])
    assert daily.loc["2024-01-02", "rte_day_ahead_mwh"] == 24 * 50_000
    with pytest.raises(ValueError, match="missing column"):
        entsoe_daily_energy(pd.DataFrame({"time": ["x"]}))


def test_each_forecast_against_its_actuals_and_both_against_consolidated() -> None:
    days = pd.date_range("2024-01-01", periods=4)
    rte = pd.DataFrame(
        {
            "day": days,
            "rte_day_ahead_mwh": [98.0, 102.0, 100.0, np.nan],
            "realtime_actual_mwh": [100.0, 100.0, 100.0, 100.0],
        }
    )
    ours = pd.DataFrame(
        {"day": days, "predicted_mwh": [101.0, 103.0, 102.0, 50.0], "actual_mwh": [102.0] * 4}
    )
    table, days_common = rte_comparison(ours, rte)
    assert days_common == 3  # the day without RTE's forecast is left out of every row
    scores = table.set_index(["forecast", "actuals"])["mape"]
    assert scores[("RTE J-1", "real-time")] == pytest.approx(4 / 3)
    assert scores[("RTE J-1", "consolidated")] == pytest.approx((4 + 0 + 2) / 102 / 3 * 100)
    assert scores[("EnergieWatch P50", "consolidated")] == pytest.approx(2 / 102 / 3 * 100)
    assert level_shift_pct(ours, rte) == pytest.approx(2.0)


def test_the_real_export_covers_the_test_year_of_the_national_series() -> None:
    folder = requires_real_data("F", "entsoe_total_load_FR_2021-2025")
    frames = [_read(path.read_text()) for path in sorted(folder.glob("*.csv"))]
    daily = entsoe_daily_energy(pd.concat(frames, ignore_index=True)).set_index("day")
    complete = daily.dropna()
    assert complete.index.min() <= pd.Timestamp("2021-01-05")
    assert complete.index.max() >= pd.Timestamp("2025-06-20")
    assert len(complete) > 1500
    # daily national load: 0.8 TWh (a summer Sunday) .. 1.9 TWh (a cold winter day)
    assert complete["rte_day_ahead_mwh"].between(0.7e6, 2.2e6).all()
