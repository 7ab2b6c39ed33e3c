"""The adaptive P10/P90 (``modeling.adaptive_bands``): what the band of day D knows, how it
follows a level shift the static band misses, and that serving and evaluation give the same band.

The model tests use small real CatBoost models on the synthetic series of
``tests.support.synthetic_series`` (trained on 2021-2022, so 2023 is out of sample); the
level-shift tests use the band functions on a synthetic forecast history.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data_collection_kedro.modeling.adaptive_bands import (
    AdaptiveBands,
    adaptive_paths,
    edge_shifts,
    shifted_bands,
)
from data_collection_kedro.modeling.evaluation import band_metrics
from data_collection_kedro.modeling.forecast_weather import ForecastError, simulated_forecasts
from data_collection_kedro.modeling.inference import next_days
from data_collection_kedro.modeling.operational import (
    OperationalForecaster,
    OperationalSpec,
    calibrate_bands,
    day_ahead_rows,
    fit_forecaster,
    served_forecasts,
)
from tests.support.synthetic_series import small_operational_params, synthetic_series

MODEL_KEY = "day_ahead_electricity_regional"
DAY = pd.Timestamp("2023-05-20")
STEP = 0.01


@pytest.fixture(scope="module")
def setup():
    forecasting, model = small_operational_params(MODEL_KEY, horizon_days=3)
    spec = OperationalSpec.from_params(forecasting, model)
    series = synthetic_series()
    forecasts = simulated_forecasts(series, ForecastError(max_lead_days=5), {"11": 1, "84": 1})
    train = day_ahead_rows(series[series["day"] < "2022-07-01"], spec, None)
    forecaster = fit_forecaster(train, model, adaptive=AdaptiveBands(step=STEP).as_params())
    honest = day_ahead_rows(series[series["day"] < "2023-01-01"], spec, forecasts)
    validation = served_forecasts(forecaster, honest[honest["day"] >= "2022-07-01"])
    forecaster.bands = calibrate_bands(validation, (0.1, 0.9), min_rows=60)
    # the served model: refitted up to the end of 2022 with these bands
    final_rows = day_ahead_rows(series[series["day"] < "2023-01-01"], spec, None)
    final = fit_forecaster(final_rows, model, True, forecaster.bands, forecaster.adaptive)
    assert final.fitted_until == "2022-12-31"
    return spec, series, forecasts, final


def _served_day(setup, series: pd.DataFrame, day: pd.Timestamp = DAY) -> pd.DataFrame:
    """The day-ahead forecasts of ``day`` as evaluated: static band, then adapted."""
    spec, _, forecasts, forecaster = setup
    rows = day_ahead_rows(series, spec, forecasts)
    static = served_forecasts(forecaster, rows[rows["day"] == day])
    return adaptive_paths(forecaster, series, forecasts, spec, static).reset_index(drop=True)


# ------------------------------------------------------------------------------ leakage
def test_the_band_of_day_d_sees_no_actual_on_or_after_d_minus_1(setup) -> None:
    _, series, _, _ = setup
    before = _served_day(setup, series)
    assert len(before) == 3

    later = series.copy()
    unpublished = later["day"] >= DAY - pd.Timedelta(days=1)  # not published at the issue
    later.loc[unpublished, "target_mwh"] *= 0.5
    bands = ["region_code", "p10", "p50", "p90", "weather_basis"]
    pd.testing.assert_frame_equal(before[bands], _served_day(setup, later)[bands])

    # D-3 was published: its forecast's miss moves the band of D. A day far below its P10
    # widens the lower edge (as a ratio of the P50: the P50 of D sees D-3 too)
    published = series.copy()
    published.loc[published["day"] == DAY - pd.Timedelta(days=3), "target_mwh"] *= 0.5
    after = _served_day(setup, published)
    low_before = before["p10"] / before["p50"] - 1
    low_after = after["p10"] / after["p50"] - 1
    assert (low_after < low_before - STEP / 2).all()


def test_serving_gives_the_band_the_evaluation_measures(setup) -> None:
    """next_days (served) and the evaluation's day-ahead rows: one band for one issue."""
    spec, series, forecasts, forecaster = setup
    published = series[series["day"] <= DAY - pd.Timedelta(days=2)]  # issued on D-1
    served = next_days(forecaster, published, forecasts, spec)
    lead_one = served[served["day"] == DAY].reset_index(drop=True)
    evaluated = _served_day(setup, series)
    for column in ("p10", "p50", "p90"):
        np.testing.assert_allclose(lead_one[column], evaluated[column])
    static = served_forecasts(
        forecaster, day_ahead_rows(series, spec, forecasts).query("day == @DAY")
    )
    assert not np.allclose(lead_one["p90"], static["p90"].to_numpy())  # adapted


def test_without_a_step_or_a_training_end_the_band_is_the_static_one(setup) -> None:
    spec, series, forecasts, forecaster = setup
    rows = day_ahead_rows(series, spec, forecasts)
    static = served_forecasts(forecaster, rows[rows["day"] == DAY])
    for settings, fitted_until in ((None, forecaster.fitted_until), (forecaster.adaptive, None)):
        plain = OperationalForecaster(
            forecaster.weather_model,
            forecaster.weather_columns,
            forecaster.no_weather_model,
            forecaster.no_weather_columns,
            forecaster.bands,
            settings,
            fitted_until,
        )
        same = adaptive_paths(plain, series, forecasts, spec, static)
        pd.testing.assert_frame_equal(same, static)


# --------------------------------------------------------------------- level shift
def _history(days: int = 400, shift_day: int = 100, shift: float = -0.08, seed: int = 1):
    """Day-ahead forecasts of one series: P50 100, static band calibrated on N(0, 3 %) errors
    (P10/P90 = P50 x (1 -/+ 1.2816 x 3 %)); from ``shift_day`` on the actual level drops by
    ``shift`` (the model, dividing by a level it no longer matches, keeps forecasting 100)."""
    rng = np.random.default_rng(seed)
    day = pd.date_range("2024-01-01", periods=days, freq="D")
    level = np.where(np.arange(days) >= shift_day, 1 + shift, 1.0)
    actual = 100 * level * (1 + rng.normal(0, 0.03, days))
    z = 1.2816 * 0.03
    return pd.DataFrame(
        {
            "region_code": "32",
            "day": day,
            "issue_day": day - pd.Timedelta(days=1),
            "actual_mwh": actual,
            "p10": 100 * (1 - z),
            "p50": 100.0,
            "p90": 100 * (1 + z),
        }
    )


def _adapted(history: pd.DataFrame, step: float, gap: int = 2) -> pd.DataFrame:
    shifts = edge_shifts(history, gap, AdaptiveBands(step=step))
    return shifted_bands(history, shifts, gap)


def _coverage(frame: pd.DataFrame) -> float:
    return band_metrics(frame["actual_mwh"], frame["p10"], frame["p90"], frame["p50"])[
        "coverage_pct"
    ]


def test_after_a_level_shift_the_adaptive_band_recovers_its_coverage() -> None:
    history = _history()
    before_shift = history.iloc[:100]
    after_shift = history.iloc[160:]  # two months to adapt, then 240 days measured
    assert 70 < _coverage(before_shift) < 90  # the static band fits the unshifted errors

    static = _coverage(after_shift)
    adapted = _adapted(history, step=0.005)
    recovered = _coverage(adapted.iloc[160:])
    assert static < 40  # the shift is larger than the calibrated errors
    # each side's misses back near 10 %; the P90 does not go below the P50, so with a forecast
    # 8 % too high the upper side misses almost never and the coverage ends near 90 %
    below = band_metrics(*(adapted.iloc[160:][c] for c in ("actual_mwh", "p10", "p90", "p50")))
    assert 5 < below["below_p10_pct"] < 15, below
    assert 75 < recovered < 93, recovered
    # the side the level went to is the one widened
    assert (adapted["p10"].iloc[-1] < history["p10"].iloc[-1]) and (
        adapted["p90"].iloc[-1] <= history["p90"].iloc[-1] + 1
    )


def test_the_level_correction_follows_the_shift_and_the_band_follows_it() -> None:
    history = _history()
    shifts = edge_shifts(history, 2, AdaptiveBands(step=0.005, level_days=28))
    corrected = shifted_bands(history, shifts, 2).iloc[160:]
    actual = corrected["actual_mwh"]
    raw_error = (history["p50"].iloc[160:] / actual - 1).abs().mean()
    assert (corrected["p50"] / actual - 1).abs().mean() < raw_error / 2
    assert corrected["p50"].mean() == pytest.approx(92, abs=1)  # the new level
    figures = band_metrics(actual, corrected["p10"], corrected["p90"], corrected["p50"])
    assert 74 < figures["coverage_pct"] < 86, figures  # both sides back near 10 %
    assert 4 < figures["above_p90_pct"] < 16 and 4 < figures["below_p10_pct"] < 16, figures


def test_without_a_shift_the_adaptive_band_stays_near_nominal() -> None:
    history = _history(shift=0.0)
    assert 74 < _coverage(_adapted(history, step=0.005).iloc[60:]) < 86


def test_adapted_quantiles_stay_ordered_whatever_the_misses() -> None:
    history = _history(shift=-0.30)  # every day far below: the lower edge runs away
    adapted = _adapted(history, step=0.05)
    assert (adapted["p10"] <= adapted["p50"]).all() and (adapted["p50"] <= adapted["p90"]).all()
    history = _history(shift=0.30)
    adapted = _adapted(history, step=0.05)
    assert (adapted["p10"] <= adapted["p50"]).all() and (adapted["p50"] <= adapted["p90"]).all()


def test_each_days_miss_reaches_the_band_gap_days_later() -> None:
    history = _history(days=10)
    history["actual_mwh"] = [100.0] * 5 + [50.0] * 5  # inside the band, then far below
    adapted = _adapted(history, step=0.01, gap=2)
    low = (adapted["p10"] / adapted["p50"] - 1) - (history["p10"] / history["p50"] - 1)
    high = (adapted["p90"] / adapted["p50"] - 1) - (history["p90"] / history["p50"] - 1)
    # a day inside narrows each edge by 0.1 step, a miss widens its side by 0.9 step; the band
    # of day t knows the days up to t - 2 (issued on t - 1, the actual of t - 1 unpublished)
    np.testing.assert_allclose(
        low, [0, 0, 0.001, 0.002, 0.003, 0.004, 0.005, -0.004, -0.013, -0.022], atol=1e-12
    )
    np.testing.assert_allclose(high, -0.001 * np.r_[0, 0, 1:9], atol=1e-12)


def test_settings_are_checked() -> None:
    assert AdaptiveBands.from_params({"adaptive_step": 0.01}).nominal_pct == pytest.approx(80)
    with pytest.raises(ValueError, match="adaptive_step"):
        AdaptiveBands.from_params({"adaptive_step": -1})
    with pytest.raises(ValueError, match="level_correction_days"):
        AdaptiveBands.from_params({"level_correction_days": -3})
    with pytest.raises(ValueError, match="quantiles"):
        AdaptiveBands.from_params({"quantiles": [0.9, 0.1]})


def test_the_saved_model_serves_the_same_adaptive_band(setup, tmp_path) -> None:
    """The settings and the training end travel with the model file (no pickle)."""
    from data_collection_kedro.modeling.model_files import load_model, save_model

    spec, series, forecasts, forecaster = setup
    save_model(forecaster, tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert loaded.adaptive == forecaster.adaptive and loaded.fitted_until == "2022-12-31"
    published = series[series["day"] <= DAY - pd.Timedelta(days=2)]
    pd.testing.assert_frame_equal(
        next_days(loaded, published, forecasts, spec),
        next_days(forecaster, published, forecasts, spec),
    )
