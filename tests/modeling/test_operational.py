"""The operational forecasts: what a forecast for day D sees, which model serves a row, the
bands, the simulated forecast error (``modeling.operational``, ``modeling.inference``,
``modeling.forecast_weather``, ``modeling.evaluation``).

The models are small real CatBoost models trained on synthetic series (two regions and the
national series); the configuration is the project's (``parameters_forecasting.yml``) with
fewer iterations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data_collection_kedro.domain.features import ISSUE_WEATHER_COLUMNS
from data_collection_kedro.domain.regions import NATIONAL_CODE
from data_collection_kedro.modeling.evaluation import band_metrics
from data_collection_kedro.modeling.features import model_input
from data_collection_kedro.modeling.forecast_weather import (
    ERROR_REGIONS,
    ForecastError,
    simulated_forecasts,
)
from data_collection_kedro.modeling.inference import forecast_paths, next_days
from data_collection_kedro.modeling.operational import (
    BASIS_FORECAST,
    BASIS_NO_WEATHER,
    OperationalSpec,
    day_ahead_rows,
    feature_rows,
    fit_forecaster,
    served_forecasts,
)
from data_collection_kedro.modeling.operational_training import noisy_training_rows
from tests.support.synthetic_series import small_operational_params, synthetic_series

MODEL_KEY = "day_ahead_electricity_regional"
DAY = pd.Timestamp("2023-03-15")
ISSUE = DAY - pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def setup():
    forecasting, model = small_operational_params(MODEL_KEY, horizon_days=6)
    spec = OperationalSpec.from_params(forecasting, model)
    series = synthetic_series()
    forecasts = simulated_forecasts(series, ForecastError(max_lead_days=8), {"11": 1, "84": 1})
    train = day_ahead_rows(series[series["day"] < "2023-01-01"], spec, None)
    forecaster = fit_forecaster(train, model)
    return spec, series, forecasts, forecaster


def _features(series, forecasts, spec) -> pd.DataFrame:
    rows = pd.DataFrame(
        {"region_code": ["11", "84", NATIONAL_CODE], "day": DAY, "issue_day": ISSUE}
    )
    out = feature_rows(series, rows, spec, forecasts)
    return out.drop(columns=["target_mwh", "is_complete"])


# ------------------------------------------------------------------------------ leakage
def test_features_of_day_d_see_nothing_observed_on_or_after_the_issue(setup) -> None:
    spec, series, forecasts, _ = setup
    assert spec.history.gap_days == 2  # consumption_regional publishes a day one day later
    before = _features(series, forecasts, spec)

    # every consumption and observed temperature from the issue day (D-1) on, and every
    # forecast issued after the issue: rewritten
    later = series.copy()
    after_issue = later["day"] >= ISSUE
    later.loc[after_issue, "target_mwh"] *= 3
    later.loc[after_issue, ["temp_min_c", "temp_max_c", "temp_mean_c"]] += 10
    later_forecasts = forecasts.copy()
    later_forecasts.loc[later_forecasts["issue_day"] > ISSUE, "temp_mean_c"] += 10
    pd.testing.assert_frame_equal(before, _features(later, later_forecasts, spec))

    # the last published day (D-2) and the forecast issued on D-1 do enter them
    known = series.copy()
    on_d2 = known["day"] == DAY - pd.Timedelta(days=2)
    known.loc[on_d2, "target_mwh"] *= 3
    known.loc[on_d2, "temp_mean_c"] += 10
    changed = _features(known, forecasts, spec)
    assert (changed["lag_2_mwh"] == 3 * before["lag_2_mwh"]).all()
    assert (changed["temp_mean_c_lag_2"] == before["temp_mean_c_lag_2"] + 10).all()
    issued = forecasts.copy()
    issued.loc[(issued["issue_day"] == ISSUE) & (issued["day"] == DAY), "temp_mean_c"] += 10
    assert (_features(series, issued, spec)["temp_mean_c"] == before["temp_mean_c"] + 10).all()


def test_served_forecasts_see_nothing_after_the_last_published_day(setup) -> None:
    spec, series, forecasts, forecaster = setup
    issues = pd.DataFrame({"region_code": ["11", NATIONAL_CODE], "issue_day": ISSUE})
    known = forecasts[forecasts["issue_day"] == ISSUE]

    def paths(values: pd.DataFrame, weather: pd.DataFrame) -> pd.DataFrame:
        return forecast_paths(forecaster, values, issues, spec, weather, horizon_days=5)

    before = paths(series, known)
    later = series.copy()
    unpublished = later["day"] >= ISSUE  # on the issue day, D-1 is still running
    later.loc[unpublished, "target_mwh"] *= 3
    later.loc[unpublished, ["temp_min_c", "temp_max_c", "temp_mean_c"]] -= 10
    pd.testing.assert_frame_equal(before, paths(later, known))

    published = series.copy()
    published.loc[published["day"] == ISSUE - pd.Timedelta(days=1), "target_mwh"] *= 3
    after = paths(published, known)
    first = before["lead_days"] == 1
    assert (after.loc[first, "p50"] > 1.5 * before.loc[first, "p50"]).all()


def test_lead_one_of_the_recursive_forecasts_is_the_day_ahead_forecast(setup) -> None:
    """Serving builds its features with the rules of the evaluation (one definition)."""
    spec, series, forecasts, forecaster = setup
    issues = pd.DataFrame({"region_code": ["11", "84", NATIONAL_CODE], "issue_day": ISSUE})
    paths = forecast_paths(
        forecaster, series, issues, spec, forecasts[forecasts["issue_day"] == ISSUE], 3
    )
    rows = day_ahead_rows(series, spec, forecasts)
    day_ahead = served_forecasts(forecaster, rows[rows["day"] == DAY])
    first = paths[paths["lead_days"] == 1].reset_index(drop=True)
    np.testing.assert_allclose(first["p50"], day_ahead["p50"].to_numpy())
    assert (first["day"] == DAY).all()


def test_each_lead_is_forecast_from_the_p50_of_the_days_before_it(setup) -> None:
    """The recursion, checked one lead at a time: lead L is the forecast of its feature rows
    (``feature_rows``, the rule of training) from a series whose unpublished days (from the
    issue day on) hold the P50 of the leads before L; the leads forecast together (the gap's
    worth) see none of each other's forecasts."""
    spec, series, forecasts, forecaster = setup
    horizon = 6
    issues = pd.DataFrame({"region_code": ["11", "84", NATIONAL_CODE], "issue_day": ISSUE})
    weather = forecasts[forecasts["issue_day"] == ISSUE]
    paths = forecast_paths(forecaster, series, issues, spec, weather, horizon, first_lead=0)
    assert sorted(paths["lead_days"].unique()) == list(range(horizon + 1))
    published = series[series["day"] < ISSUE]
    for lead in range(1, horizon + 1):
        earlier = paths[paths["lead_days"] < lead]
        filled = earlier[["region_code", "region", "day"]].assign(
            target_mwh=earlier["p50"], is_complete=True
        )
        rows = issues.assign(day=ISSUE + pd.Timedelta(days=lead))
        names = published.drop_duplicates("region_code").set_index("region_code")["region"]
        target_day = rows[["region_code", "day"]].assign(region=rows["region_code"].map(names))
        before = pd.concat([published, filled, target_day], ignore_index=True)
        expected = forecaster.predict_quantiles(feature_rows(before, rows, spec, weather), lead)
        got = paths[paths["lead_days"] == lead].reset_index(drop=True)
        assert got["p50"].notna().all()
        np.testing.assert_allclose(got["p50"], expected["p50"], rtol=1e-9)
        np.testing.assert_allclose(got["p90"], expected["p90"], rtol=1e-9)


# ---------------------------------------------------------------------------- the basis
def test_without_any_weather_forecast_the_no_weather_model_serves_and_says_so(setup) -> None:
    spec, series, forecasts, forecaster = setup
    history = series[series["day"] <= "2023-06-30"]
    none = next_days(forecaster, history, forecasts.iloc[0:0], spec)
    assert len(none) == 3 * (spec.horizon_days + 1)
    assert set(none["weather_basis"]) == {BASIS_NO_WEATHER}
    assert none["weather_issue_day"].isna().all()
    assert none["day"].min() == pd.Timestamp("2023-07-01")  # the day after the data

    # day-ahead rows without a forecast: the no-weather model's own predictions
    _served_by(setup, forecasts.iloc[0:0], BASIS_NO_WEATHER)


def test_with_a_weather_forecast_the_weather_model_serves(setup) -> None:
    spec, series, forecasts, forecaster = setup
    history = series[series["day"] <= "2023-06-30"]
    issued = forecasts[forecasts["issue_day"] == pd.Timestamp("2023-07-01")]
    issued = issued[issued["day"] <= "2023-07-04"]  # a short forecast: 4 days
    served = next_days(forecaster, history, issued, spec).set_index("day")
    # a row needs the forecast of its day and of the day after (the gas day ends on D+1)
    with_forecast = served.index <= pd.Timestamp("2023-07-03")
    assert (served.loc[with_forecast, "weather_basis"] == BASIS_FORECAST).all()
    assert (served.loc[~with_forecast, "weather_basis"] == BASIS_NO_WEATHER).all()
    assert (served.loc[with_forecast, "weather_issue_day"] == pd.Timestamp("2023-07-01")).all()

    _served_by(setup, forecasts, BASIS_FORECAST)
    assert set(forecaster.weather_inputs) <= set(ISSUE_WEATHER_COLUMNS)


def _served_by(setup, forecasts: pd.DataFrame, basis: str) -> None:
    """The day-ahead rows of March 2023 are served by the model of ``basis``, unchanged."""
    spec, series, _, forecaster = setup
    rows = day_ahead_rows(series, spec, forecasts)
    rows = rows[rows["day"].between("2023-03-01", "2023-03-31")]
    served = served_forecasts(forecaster, rows)
    model, columns = (
        (forecaster.weather_model, forecaster.weather_columns)
        if basis == BASIS_FORECAST
        else (forecaster.no_weather_model, forecaster.no_weather_columns)
    )
    expected = model.predict(model_input(rows.loc[served.index], columns))
    assert (served["weather_basis"] == basis).all()
    np.testing.assert_allclose(served["p50"], expected)


# ---------------------------------------------------------------------------- the bands
def test_quantiles_are_ordered_and_coverage_is_counted_on_the_data(setup) -> None:
    spec, series, forecasts, forecaster = setup
    from data_collection_kedro.modeling.operational import calibrate_bands

    rows = day_ahead_rows(series, spec, forecasts)
    no_weather = day_ahead_rows(series, spec, forecasts.iloc[0:0])
    validation = pd.concat(
        served_forecasts(forecaster, frame[frame["day"].between("2023-01-01", "2023-06-30")])
        for frame in (rows, no_weather)
    )
    forecaster.bands = calibrate_bands(validation, (0.1, 0.9), min_rows=60)
    test = served_forecasts(forecaster, rows[rows["day"] >= "2023-07-01"])
    assert len(test) > 500
    assert (test["p10"] <= test["p50"]).all() and (test["p50"] <= test["p90"]).all()
    assert (test["p10"] < test["p90"]).mean() > 0.99
    inside = (test["actual_mwh"] >= test["p10"]) & (test["actual_mwh"] <= test["p90"])
    metrics = band_metrics(test["actual_mwh"], test["p10"], test["p90"], test["p50"])
    assert metrics["coverage_pct"] == pytest.approx(inside.mean() * 100)
    assert 50 < metrics["coverage_pct"] < 98  # calibrated on held-out errors

    by_hand = band_metrics(
        pd.Series([1.0, 2.0, 3.0, 4.0, 5.0]),
        pd.Series([2.0] * 5),
        pd.Series([4.0] * 5),
        pd.Series([3.0] * 5),
    )
    assert by_hand == {
        "coverage_pct": 60.0,
        "below_p10_pct": 20.0,
        "above_p90_pct": 20.0,
        "band_width_pct": pytest.approx(200 / 3),
        # width 2 everywhere, plus 2 / 0.2 x 1 for the two actuals 1 below / 1 above the band
        "interval_score_pct": pytest.approx((5 * 2 + 2 * 10) / 5 / 3 * 100),
    }


def test_a_biased_model_keeps_p50_inside_its_band() -> None:
    from data_collection_kedro.modeling.operational import band_ratios, calibrate_bands

    errors = pd.DataFrame(
        {
            "region_code": "11",
            "weather_basis": BASIS_FORECAST,
            "lead_days": 1,
            "actual_mwh": np.linspace(110, 130, 100),  # always above the forecast
            "p50": 100.0,
        }
    )
    bands = calibrate_bands(errors)
    low, high = band_ratios(
        bands, pd.Series(["11", "53"]), np.array([BASIS_FORECAST] * 2), np.array([1, 9])
    )
    assert (low == 0.0).all() and (high > 0.25).all()  # 53: pooled band; lead 9: lead 1's


def test_band_ratios_take_the_series_band_else_the_pooled_one_at_the_nearest_calibrated_lead() -> (
    None
):
    from data_collection_kedro.modeling.operational import POOLED, band_ratios

    bands = pd.DataFrame(
        {
            "weather_basis": [BASIS_FORECAST] * 4 + [BASIS_NO_WEATHER],
            "lead_days": [1, 2, 1, 2, 1],
            "region_code": [POOLED, POOLED, "11", "11", POOLED],
            "low": [-0.1, -0.2, -0.01, np.nan, -0.5],
            "high": [0.1, 0.2, 0.01, 0.02, 0.5],
            "n": 100,
        }
    )
    codes = pd.Series(["11", "53", "11", "11", "11", "11", "53"])
    basis = np.array([BASIS_FORECAST] * 5 + [BASIS_NO_WEATHER, "unknown"])
    low, high = band_ratios(bands, codes, basis, np.array([1, 1, 7, 0, 2, 9, 1]))
    # series 11 at lead 1; 53: pooled; lead 7 -> the largest calibrated lead (2), lead 0 ->
    # the smallest (1); a missing value of the series' row -> the pooled one; no_weather has
    # lead 1 only; an unknown basis has no band
    np.testing.assert_array_equal(low, [-0.01, -0.1, -0.2, -0.01, -0.2, -0.5, np.nan])
    np.testing.assert_array_equal(high, [0.01, 0.1, 0.02, 0.01, 0.02, 0.5, np.nan])
    empty = band_ratios(bands, pd.Series([], dtype=str), np.array([], dtype=str), np.array([]))
    assert empty[0].shape == (0,) and empty[1].shape == (0,)
    none = band_ratios(None, codes, basis, np.ones(len(codes), dtype=int))
    assert np.isnan(none[0]).all() and np.isnan(none[1]).all()


# ------------------------------------------------------------------ simulated forecasts
def test_simulated_forecast_error_follows_its_specification() -> None:
    error = ForecastError(seed=3, max_lead_days=3)
    draws = error.errors(pd.date_range("2000-01-01", periods=4000, freq="D"))
    assert draws.shape == (4000, 4, len(ERROR_REGIONS))
    sd = draws.std(axis=(0, 2))
    np.testing.assert_allclose(sd, [0.75, 1.0, 1.25, 1.5], rtol=0.03)
    correlation = np.corrcoef(draws[:, 1, 0], draws[:, 1, 1])[0, 1]
    assert correlation == pytest.approx(0.6, abs=0.05)
    np.testing.assert_array_equal(draws[:10], error.errors(pd.date_range("2000-01-01", periods=10)))

    series = synthetic_series("2023-01-01", "2023-01-31")
    forecasts = simulated_forecasts(series, error, {"11": 3.0, "84": 1.0})
    lead_1 = forecasts[(forecasts["day"] - forecasts["issue_day"]).dt.days == 1]
    merged = lead_1.merge(series, on=["region_code", "day"], suffixes=("", "_observed"))
    shift = merged["temp_mean_c"] - merged["temp_mean_c_observed"]
    # the same shift on Tmin, Tmax and Tmean
    np.testing.assert_allclose(merged["temp_min_c"] - merged["temp_min_c_observed"], shift)
    by_region = shift.groupby([merged["region_code"], merged["day"]]).first().unstack(0)
    np.testing.assert_allclose(
        by_region[NATIONAL_CODE], 0.75 * by_region["11"] + 0.25 * by_region["84"]
    )


# ------------------------------------------------------------------ noisy training copies
def test_noisy_weather_copies_are_the_same_days_with_forecast_grade_weather(setup) -> None:
    spec, series, _, _ = setup
    _, model = small_operational_params(MODEL_KEY, horizon_days=6)
    past = series[series["day"] < "2023-01-01"]
    weights = {"11": 1.0, "84": 1.0}
    error = ForecastError(max_lead_days=2)
    observed = day_ahead_rows(past, spec, None)
    two = {**model, "weather_model": {**model["weather_model"], "noisy_weather_copies": 2}}
    noisy = noisy_training_rows(past, spec, two, error, weights)
    assert noisy is not None and len(noisy) == 2 * len(observed)
    none = {**model, "weather_model": {**model["weather_model"], "noisy_weather_copies": 0}}
    assert noisy_training_rows(past, spec, none, error, weights) is None

    first = noisy.iloc[: len(observed)].reset_index(drop=True)
    second = noisy.iloc[len(observed) :].reset_index(drop=True)
    # the consumption, the calendar and the observed past weather are the observed rows'
    for column in (
        "day",
        "target_mwh",
        "lag_2_mwh",
        "rolling_mean_7_mwh",
        "weekday",
        "temp_mean_c_lag_2",
    ):
        pd.testing.assert_series_equal(first[column], observed[column], check_names=False)
    # the weather of D is a forecast issued on D-1: the error model's lead-1 spread (1 °C),
    # each copy its own draws, and not the evaluation's draws (its own seed)
    shift = (first["temp_mean_c"] - observed["temp_mean_c"]).dropna()
    assert len(shift) > 300 and 0.85 < shift.std() < 1.15 and abs(shift.mean()) < 0.15
    assert not np.allclose(first["temp_mean_c"], second["temp_mean_c"], equal_nan=True)
    evaluation = day_ahead_rows(past, spec, simulated_forecasts(past, error, weights))
    assert not np.allclose(first["temp_mean_c"], evaluation["temp_mean_c"], equal_nan=True)


def test_the_noisy_copies_train_the_weather_model_only(setup) -> None:
    spec, series, _, _ = setup
    _, model = small_operational_params(MODEL_KEY, horizon_days=6)
    one = {**model, "weather_model": {**model["weather_model"], "noisy_weather_copies": 1}}
    past = series[series["day"] < "2023-01-01"]
    observed = day_ahead_rows(past, spec, None)
    noisy = noisy_training_rows(past, spec, one, ForecastError(max_lead_days=2), {})
    plain = fit_forecaster(observed, one)
    augmented = fit_forecaster(observed, one, noisy_rows=noisy)
    rows = observed.dropna(subset=["lag_2_mwh"]).tail(60)

    def predict(forecaster, part):
        return getattr(forecaster, part).predict(model_input(rows, list(one[part]["features"])))

    assert not np.allclose(predict(plain, "weather_model"), predict(augmented, "weather_model"))
    np.testing.assert_allclose(
        predict(plain, "no_weather_model"), predict(augmented, "no_weather_model")
    )
