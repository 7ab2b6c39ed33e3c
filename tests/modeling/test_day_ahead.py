"""The day-ahead table and its store (``modeling.day_ahead``): the rows a run takes from the
stored table are those a full computation gives, and a changed input, model or code makes the
rows that depend on it computed again.

Small real CatBoost models on the synthetic series of ``tests.support.synthetic_series``
(trained up to 2022, so 2023 is out of sample), the weather forecasts simulated.
"""

from __future__ import annotations

import pandas as pd
import pytest

from data_collection_kedro.modeling.adaptive_bands import AdaptiveBands, adaptive_paths
from data_collection_kedro.modeling.day_ahead import (
    day_ahead_table,
    served_day_ahead,
    table_digest,
)
from data_collection_kedro.modeling.forecast_weather import ForecastError, simulated_forecasts
from data_collection_kedro.modeling.operational import (
    OperationalSpec,
    day_ahead_rows,
    fit_forecaster,
    served_forecasts,
)
from tests.support.synthetic_series import small_operational_params, synthetic_series

MODEL_KEY = "day_ahead_electricity_regional"
END = pd.Timestamp("2023-10-31")
CHANGED = pd.Timestamp("2023-06-15")
MARK = -1.0  # a value no computation gives: where it comes back, the stored row was taken


@pytest.fixture(scope="module")
def setup():
    forecasting, model = small_operational_params(MODEL_KEY, horizon_days=2)
    spec = OperationalSpec.from_params(forecasting, model)
    series = synthetic_series(end="2023-11-30")
    forecasts = simulated_forecasts(series, ForecastError(max_lead_days=3), {"11": 1, "84": 1})
    rows = day_ahead_rows(series[series["day"] < "2023-01-01"], spec, None)
    forecaster = fit_forecaster(rows, model, adaptive=AdaptiveBands(step=0.01).as_params())
    digest = table_digest({"id": "training-1"}, spec, model)
    return spec, model, series, forecasts, forecaster, digest


def _table(setup, series, previous=None, digest="same", **kwargs) -> pd.DataFrame:
    spec, model, _, forecasts, forecaster, own_digest = setup
    return day_ahead_table(
        forecaster,
        series,
        forecasts[forecasts["issue_day"] <= series["day"].max()],
        spec,
        model["weather_model"],
        model_key=MODEL_KEY,
        digest=own_digest if digest == "same" else digest,
        previous=previous,
        **kwargs,
    )


def _marked(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(p50=MARK)


def _until(series: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    return series[series["day"] <= day].reset_index(drop=True)


def test_the_table_holds_each_day_as_served_and_evaluated(setup) -> None:
    spec, _, series, forecasts, forecaster, _ = setup
    known = _until(series, END)
    table = _table(setup, known)
    assert len(table) == len(known)
    pd.testing.assert_frame_equal(
        table[["region_code", "day"]], known[["region_code", "day"]], check_dtype=False
    )
    honest = day_ahead_rows(known, spec, forecasts[forecasts["issue_day"] <= END])
    served = served_forecasts(forecaster, honest)
    pd.testing.assert_frame_equal(served_day_ahead(table), served, check_exact=True)
    oracle = day_ahead_rows(known, spec, None).loc[served.index]
    pd.testing.assert_series_equal(
        table.loc[served.index, "oracle_p50"],
        pd.Series(forecaster.predict(oracle), index=served.index),
        check_names=False,
        check_exact=True,
    )


def test_a_new_day_reuses_every_earlier_row_and_matches_a_full_computation(setup) -> None:
    _, _, series, _, _, _ = setup
    stored = _table(setup, _until(series, END))
    longer = _until(series, END + pd.Timedelta(days=1))
    from_scratch = _table(setup, longer)
    with_store = _table(setup, longer, previous=stored)
    pd.testing.assert_frame_equal(with_store, from_scratch, check_exact=True)

    # the stored rows are taken up to the day before the new one (it sees the new day's
    # observed weather), the others computed
    reused = _table(setup, longer, previous=_marked(stored))
    taken = reused["p50"] == MARK
    assert reused.loc[taken, "day"].max() == END - pd.Timedelta(days=1)
    assert (reused.loc[~taken, "day"] >= END).all()
    assert taken.sum() > 0.9 * len(reused[reused["evaluable"]])


def test_unchanged_inputs_take_every_stored_row(setup) -> None:
    """The same series and forecasts again (the served forecasts after the evaluation of the
    same run): every row, up to the last day, is the stored one; none is computed."""
    _, _, series, _, _, _ = setup
    known = _until(series, END)
    reused = _table(setup, known, previous=_marked(_table(setup, known)))
    assert len(reused) == len(known)
    assert (reused["p50"] == MARK).all()


def test_a_corrected_past_day_recomputes_its_series_from_the_day_before(setup) -> None:
    _, _, series, _, _, _ = setup
    known = _until(series, END)
    stored = _marked(_table(setup, known))
    corrected = known.copy()
    where = (corrected["region_code"] == "84") & (corrected["day"] == CHANGED)
    corrected.loc[where, "target_mwh"] *= 1.3
    table = _table(setup, corrected, previous=stored)
    pd.testing.assert_frame_equal(
        table.assign(p50=0.0), _table(setup, corrected).assign(p50=0.0), check_exact=True
    )
    taken = table["p50"] == MARK
    region = table["region_code"] == "84"
    evaluable = table["evaluable"]
    assert (table.loc[taken & region, "day"] < CHANGED - pd.Timedelta(days=1)).all()
    assert not taken[region & evaluable & (table["day"] >= CHANGED - pd.Timedelta(days=1))].any()
    # the other series keep their rows
    assert taken[~region & evaluable].all()
    # the computed rows see the correction: the forecasts after it move
    after = table[region & (table["day"] == CHANGED + pd.Timedelta(days=2))]
    fresh = _table(setup, known)
    before = fresh[(fresh["region_code"] == "84") & (fresh["day"] == after["day"].iloc[0])]
    assert after["p50"].iloc[0] != before["p50"].iloc[0]


def test_a_changed_weather_forecast_recomputes_the_day_it_serves(setup) -> None:
    spec, model, series, forecasts, forecaster, digest = setup
    known = _until(series, END)
    stored = _marked(_table(setup, known))
    issue = CHANGED - pd.Timedelta(days=1)
    changed = forecasts.copy()
    changed.loc[changed["issue_day"] == issue, "temp_mean_c"] += 3.0
    table = day_ahead_table(
        forecaster,
        known,
        changed[changed["issue_day"] <= END],
        spec,
        model["weather_model"],
        model_key=MODEL_KEY,
        digest=digest,
        previous=stored,
    )
    served = table[table["day"] == CHANGED]
    assert (served["p50"] != MARK).all()
    assert (table.loc[table["day"] < issue - pd.Timedelta(days=1), "p50"].dropna() == MARK).all()


def test_another_model_version_or_no_training_record_reuses_nothing(setup) -> None:
    spec, model, series, _, _, _ = setup
    known = _until(series, END)
    stored = _marked(_table(setup, known))
    other = table_digest({"id": "training-2"}, spec, model)
    assert not (_table(setup, known, previous=stored, digest=other)["p50"] == MARK).any()
    assert table_digest({}, spec, model) is None
    assert not (_table(setup, known, previous=stored, digest=None)["p50"] == MARK).any()


def test_the_adaptive_band_from_the_table_is_the_band_built_from_scratch(setup) -> None:
    spec, _, series, forecasts, forecaster, _ = setup
    known = _until(series, END)
    weather = forecasts[forecasts["issue_day"] <= END]
    table = _table(setup, known, previous=_table(setup, _until(series, END - pd.Timedelta(3))))
    static = served_day_ahead(table[table["day"] >= "2023-07-01"])
    from_scratch = adaptive_paths(forecaster, known, weather, spec, static)
    from_table = adaptive_paths(forecaster, known, weather, spec, static, computed=table)
    pd.testing.assert_frame_equal(from_table, from_scratch, check_exact=True)
    # a table that lacks days: they are computed
    partial = table[table["day"] >= "2023-03-01"]
    from_partial = adaptive_paths(forecaster, known, weather, spec, static, computed=partial)
    pd.testing.assert_frame_equal(from_partial, from_scratch, check_exact=True)
