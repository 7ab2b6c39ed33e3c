"""The feature rules of ``domain.features``: heating degree days, calendar, holidays, grid,
weather smoothing, consumption history and the trailing level."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from data_collection_kedro.domain.features import (
    DAY_FEATURE_COLUMNS,
    HEATING_BASE_TEMPERATURE_C,
    ISSUE_WEATHER_COLUMNS,
    WEATHER_EWM_ALPHA,
    HistorySpec,
    add_consumption_history,
    add_weather_history,
    calendar_fields,
    consumption_history,
    consumption_history_at,
    daily_grid,
    day_features,
    day_positions,
    heating_degree_days,
    issue_weather,
    library_holidays,
    mean_temperature,
    positions_in,
    trailing_level,
    values_at,
)
from data_collection_kedro.domain.forecast_time import history_gap_days


def test_heating_degree_days_on_numbers_and_series() -> None:
    assert HEATING_BASE_TEMPERATURE_C == 17.0
    assert heating_degree_days(3.0) == 14.0
    assert heating_degree_days(20.0) == 0.0
    series = heating_degree_days(pd.Series([-2.0, 17.0, 18.5, np.nan]))
    assert series.iloc[:3].tolist() == [19.0, 0.0, 0.0]
    assert np.isnan(series.iloc[3])  # a missing mean stays missing
    assert heating_degree_days(10.0, base_c=18.0) == 8.0
    assert mean_temperature(pd.Series([1.0]), pd.Series([8.0])).tolist() == [4.5]


def test_calendar_fields_of_days() -> None:
    days = pd.Series(pd.to_datetime(["2024-02-29", "2024-03-02", "2023-12-31"]))
    fields = calendar_fields(days)
    assert fields["weekday"].tolist() == [3, 5, 6]
    assert fields["is_weekend"].tolist() == [False, True, True]
    assert fields["month"].tolist() == [2, 3, 12]
    assert fields["day_of_year"].tolist() == [60, 62, 365]
    assert fields["year"].tolist() == [2024, 2024, 2023]
    assert str(fields["weekday"].dtype) == "int64"


def test_library_holidays_follow_the_region_zone() -> None:
    keys = pd.DataFrame(
        {
            # 2023-02-13: winter holidays of zones A and B, not C; Corse is not in the package
            "region_code": ["84", "53", "11", "94", "11", "11"],
            "day": pd.to_datetime(
                ["2023-02-13", "2023-02-13", "2023-02-13", "2023-02-13", "2023-07-14", "1990-05-02"]
            ),
        }
    )
    holidays = library_holidays(keys)
    assert holidays["is_school_holiday"].tolist() == [True, True, False, False, True, False]
    assert holidays["is_public_holiday"].tolist() == [False] * 4 + [True, False]
    assert "14 juillet" in str(holidays.loc[4, "public_holiday_name"]).lower() or "nationale" in (
        str(holidays.loc[4, "public_holiday_name"]).lower()
    )
    assert holidays["public_holiday_name"].isna().tolist() == [True] * 4 + [False, True]


def test_daily_grid_adds_missing_days_and_keeps_the_first_duplicate() -> None:
    frame = pd.DataFrame(
        {
            "region_code": ["53", "53", "53", "11"],
            "day": pd.to_datetime(["2024-01-01", "2024-01-04", "2024-01-01", "2024-01-02"]),
            "value": [1.0, 4.0, 9.0, 2.0],
        }
    )
    grid = daily_grid(frame)
    assert grid["region_code"].tolist() == ["11", "53", "53", "53", "53"]
    assert grid["day"].dt.day.tolist() == [2, 1, 2, 3, 4]
    assert grid["value"].tolist()[:2] == [2.0, 1.0]
    assert grid["value"].iloc[2:4].isna().all()


def test_weather_history_smooths_up_to_the_day_and_lags_within_the_region() -> None:
    frame = pd.DataFrame(
        {
            "region_code": ["53"] * 3 + ["11"] * 2,
            "day": pd.to_datetime(
                ["2024-01-01", "2024-01-02", "2024-01-03"] * 1 + ["2024-01-01", "2024-01-02"]
            ),
            "temp_mean_c": [10.0, 2.0, 6.0, 0.0, 4.0],
        }
    )
    frame["heating_degree_days"] = heating_degree_days(frame["temp_mean_c"])
    out = add_weather_history(frame)
    assert WEATHER_EWM_ALPHA == 0.5
    assert out["temp_ewm_c"].tolist() == [10.0, 6.0, 6.0, 0.0, 2.0]
    assert out["hdd_ewm"].tolist()[:3] == [7.0, 11.0, 11.0]
    assert np.isnan(out["temp_mean_c_lag_1"].iloc[3])  # a region's first day has no day before
    assert out["temp_mean_change_c"].tolist()[1:3] == [-8.0, 4.0]
    assert "temp_ewm_c" not in frame.columns  # the input frame is not modified


def test_consumption_history_of_any_target_column() -> None:
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    frame = pd.DataFrame(
        {"region_code": "53", "day": days, "electricity_consumption_mwh": np.arange(40.0)}
    )
    spec = HistorySpec(level_window_days=10, level_min_periods=5)
    out = add_consumption_history(frame, "electricity_consumption_mwh", spec)
    assert out["lag_1_mwh"].iloc[10] == 9.0 and out["lag_7_mwh"].iloc[10] == 3.0
    assert out["rolling_mean_7_mwh"].iloc[10] == pytest.approx(np.mean(np.arange(3, 10)))
    assert np.isnan(out["rolling_mean_7_mwh"].iloc[4])  # 4 past values < 5
    assert out["level_mwh"].iloc[20] == pytest.approx(np.mean(np.arange(10, 20)))
    assert out["lag_364_mwh"].isna().all()


def test_consumption_history_stops_at_the_last_known_day() -> None:
    """An operational forecast issued on D-1 knows the days up to D-2 (gap 2): its lags start
    at 2 and its rolling means and level end at D-2; a missing day stays a gap."""
    days = pd.date_range("2024-01-01", periods=30, freq="D")
    values = np.arange(30.0)
    values[12] = np.nan
    frame = pd.DataFrame({"region_code": "11", "day": days, "target_mwh": values})
    spec = HistorySpec(
        gap_days=2, lags=(2, 7), windows=(7,), level_window_days=10, level_min_periods=5
    )
    out = add_consumption_history(frame, "target_mwh", spec).set_index("day")
    day = pd.Timestamp("2024-01-20")  # position 19: sees positions <= 17
    assert list(spec.columns) == ["lag_2_mwh", "lag_7_mwh", "rolling_mean_7_mwh", "level_mwh"]
    assert out.loc[day, "lag_2_mwh"] == 17.0
    assert np.isnan(out.loc[day, "lag_7_mwh"])  # position 12 is missing
    assert out.loc[pd.Timestamp("2024-01-21"), "lag_7_mwh"] == 13.0
    assert out.loc[day, "rolling_mean_7_mwh"] == pytest.approx(np.mean([11, 13, 14, 15, 16, 17]))
    assert out.loc[day, "level_mwh"] == pytest.approx(np.mean([8, 9, 10, 11, 13, 14, 15, 16, 17]))
    assert np.isnan(out.loc[pd.Timestamp("2024-01-15"), "lag_2_mwh"])  # 2024-01-13 is missing
    with pytest.raises(ValueError, match=r"lag\(s\) \[1\].*known up to D-2"):
        HistorySpec(gap_days=2, lags=(1, 7))


def test_consumption_history_of_a_matrix_is_the_frame_rule() -> None:
    """The matrix form (recursive forecasts) and the frame form (training) agree, also when
    only some rows are asked for."""
    rng = np.random.default_rng(1)
    values = rng.normal(100, 10, (60, 3))
    values[[5, 40], [0, 2]] = np.nan
    spec = HistorySpec(
        gap_days=2, lags=(2, 7, 14), windows=(7, 28), level_window_days=30, level_min_periods=10
    )
    full = consumption_history(values, spec)
    some = consumption_history(values, spec, rows=np.array([0, 1, 33, 59]))
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    frame = pd.DataFrame(
        {
            "region_code": np.repeat(["a", "b", "c"], 60),
            "day": np.tile(days, 3),
            "target_mwh": values.T.ravel(),
        }
    )
    long = add_consumption_history(frame, "target_mwh", spec)
    for column in spec.columns:
        np.testing.assert_allclose(full[column][[0, 1, 33, 59]], some[column], equal_nan=True)
        np.testing.assert_allclose(full[column].T.ravel(), long[column], equal_nan=True)


def _uneven_series() -> pd.DataFrame:
    """Three series over different days (one ends early, one has a hole), Arrow text codes."""
    rng = np.random.default_rng(3)
    parts = []
    for code, start, periods in (
        ("84", "2023-01-01", 400),
        ("11", "2023-03-01", 300),
        ("93", "2023-01-10", 380),
    ):
        days = pd.date_range(start, periods=periods, freq="D")
        parts.append(
            pd.DataFrame(
                {"region_code": code, "day": days, "target_mwh": rng.normal(500, 50, periods)}
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.drop(
        index=frame.index[(frame["region_code"] == "93") & (frame["day"] == "2023-06-01")]
    )
    frame["region_code"] = frame["region_code"].astype("str")
    frame["is_complete"] = frame.index % 5 != 0
    return frame.reset_index(drop=True)


def test_positions_are_those_of_an_index_lookup() -> None:
    index = pd.Index(["11", "84", "93"], dtype=object)
    codes = pd.Series(["93", "24", "11", None, "93", "84"], dtype="str")
    assert positions_in(codes, index).tolist() == index.get_indexer(codes).tolist()
    assert positions_in(codes, index).tolist() == [2, -1, 0, -1, 2, 1]
    grid = pd.date_range("2024-02-27", "2024-03-02", freq="D")
    days = pd.Series(pd.to_datetime(["2024-03-01", "2024-02-26", None, "2024-03-03", "2024-02-27"]))
    assert (
        day_positions(days, grid).tolist() == grid.get_indexer(days).tolist() == [3, -1, -1, -1, 0]
    )
    noon = pd.Series(pd.to_datetime(["2024-02-28 12:00"]))
    assert day_positions(noon, grid).tolist() == [-1]  # not a day of the grid


def test_history_and_values_of_some_keys_are_those_of_the_whole_frame() -> None:
    """The history of a few rows, computed for their days only, is the one the whole frame
    gets, to the bit; a key the frame lacks (a day after a series' end, its hole, another
    series) gets nothing, as a left merge gives it."""
    frame = _uneven_series()
    spec = HistorySpec(gap_days=2, lags=(2, 7, 364), windows=(7, 28), level_window_days=365)
    whole = add_consumption_history(frame, "target_mwh", spec)
    keys = pd.DataFrame(
        {
            "region_code": ["84", "11", "93", "11", "93", "75"],
            "day": pd.to_datetime(
                ["2024-02-04", "2023-12-20", "2023-06-01", "2024-01-20", "2024-01-22", "2024-01-01"]
            ),
        },
        index=[10, 11, 12, 13, 14, 15],
    ).astype({"region_code": "str"})
    merged = keys.merge(whole, on=["region_code", "day"], how="left").set_axis(keys.index)
    history = consumption_history_at(frame, keys, "target_mwh", spec)
    assert history.index.equals(keys.index)
    pd.testing.assert_frame_equal(history, merged[list(spec.columns)], check_exact=True)
    assert history.loc[[10, 11, 14], "level_mwh"].notna().all()
    assert history.loc[[12, 13, 15]].isna().all().all()  # hole, after the end, unknown series
    values = values_at(frame, keys, ["target_mwh", "is_complete"])
    pd.testing.assert_series_equal(values["target_mwh"], merged["target_mwh"], check_exact=True)
    found = [10, 11, 14]
    assert values.loc[found, "is_complete"].tolist() == merged.loc[found, "is_complete"].tolist()
    assert values.loc[[12, 13, 15], "is_complete"].isna().all()


def test_trailing_level_is_the_mean_before_the_day() -> None:
    days = pd.date_range("2023-01-01", periods=100, freq="D")
    history = pd.DataFrame({"region_code": "11", "day": days.date, "gas": range(100)})
    # 30-day window before 2023-03-02 (index 60): values 30..59
    assert trailing_level(history, "11", dt.date(2023, 3, 2), "gas", 30, 20) == pytest.approx(44.5)
    # after the last observed day, the window ends there: values 70..99
    assert trailing_level(history, "11", dt.date(2026, 1, 1), "gas", 30, 20) == pytest.approx(84.5)
    with pytest.raises(ValueError, match="historique insuffisant.*9 jour"):
        trailing_level(history, "11", dt.date(2023, 1, 10), "gas", 30, 20)
    with pytest.raises(ValueError, match="aucune consommation"):
        trailing_level(history, "53", dt.date(2023, 3, 2), "gas", 30, 20)


# --------------------------------------------------------------------- forecast time
def _observed(days: int = 20) -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    temp = np.arange(float(days))
    return pd.DataFrame(
        {
            "region_code": "11",
            "day": dates,
            "temp_min_c": temp - 3,
            "temp_max_c": temp + 3,
            "temp_mean_c": temp,
        }
    )


def test_issue_weather_sees_observed_days_before_the_issue_and_forecasts_after() -> None:
    observed = _observed()
    issue = pd.Timestamp("2024-01-10")
    forecasts = pd.DataFrame(
        {
            "region_code": "11",
            "day": pd.date_range(issue, periods=4, freq="D"),
            "issue_day": issue,
            "temp_min_c": [97.0, 98.0, 99.0, 100.0],
            "temp_max_c": [103.0, 104.0, 105.0, 106.0],
            "temp_mean_c": [100.0, 101.0, 102.0, 103.0],
        }
    )
    rows = pd.DataFrame(
        {"region_code": ["11"], "day": [issue + pd.Timedelta(days=1)], "issue_day": [issue]}
    )
    out = issue_weather(observed, rows, forecasts).iloc[0]
    assert (out["temp_min_c"], out["temp_mean_c"], out["temp_max_c"]) == (98.0, 101.0, 104.0)
    assert out["temp_mean_c_next"] == 102.0 and out["temp_min_c_next"] == 99.0
    assert out["temp_mean_c_lag_1"] == 100.0  # the issue day itself: its forecast
    assert out["temp_mean_c_lag_2"] == 8.0  # 2024-01-09: observed
    assert out["temp_mean_c_lag_7"] == 3.0
    assert out["heating_degree_days"] == 0.0 and out["heating_degree_days_lag_2"] == 9.0
    smoothed = observed["temp_mean_c"].ewm(alpha=WEATHER_EWM_ALPHA, adjust=False).mean()
    ewm_lag_2 = smoothed.iloc[8]
    expected = 0.5 * 101.0 + 0.5 * (0.5 * 100.0 + 0.5 * ewm_lag_2)
    assert out["temp_ewm_c"] == pytest.approx(expected)
    assert out["temp_ewm_c_lag_2"] == pytest.approx(ewm_lag_2)
    assert out["temp_ewm_change_c"] == pytest.approx(expected - ewm_lag_2)
    assert list(out.index) == list(ISSUE_WEATHER_COLUMNS)


def test_issue_weather_without_forecasts_is_the_observed_weather() -> None:
    """Perfect forecasts (training, oracle bound): the observed values and their smoothing."""
    observed = _observed()
    rows = (
        observed[["region_code", "day"]]
        .iloc[8:18]
        .assign(issue_day=lambda f: f["day"] - pd.Timedelta(days=1))
    )
    out = issue_weather(observed, rows)
    smoothed = observed["temp_mean_c"].ewm(alpha=WEATHER_EWM_ALPHA, adjust=False).mean()
    np.testing.assert_allclose(out["temp_ewm_c"], smoothed.iloc[8:18])
    np.testing.assert_allclose(out["temp_mean_c"], observed["temp_mean_c"].iloc[8:18])
    np.testing.assert_allclose(out["temp_mean_c_next"], np.arange(9.0, 19.0))


def test_issue_weather_without_a_forecast_for_the_day_is_unknown() -> None:
    rows = pd.DataFrame(
        {
            "region_code": ["11"],
            "day": [pd.Timestamp("2024-01-12")],
            "issue_day": [pd.Timestamp("2024-01-10")],
        }
    )
    empty = _observed().iloc[0:0].assign(issue_day=pd.Series(dtype="datetime64[ns]"))
    out = issue_weather(_observed(), rows, empty).iloc[0]
    assert np.isnan(out["temp_mean_c"]) and np.isnan(out["temp_mean_c_lag_1"])
    assert np.isnan(out["temp_mean_c_lag_2"])  # 2024-01-10 is the issue day: not observed yet
    assert out["temp_mean_c_lag_7"] == 4.0  # 2024-01-05: observed
    with pytest.raises(ValueError, match="issue day is after"):
        issue_weather(_observed(), rows.assign(issue_day=pd.Timestamp("2024-01-13")))


def test_day_features_bridges_holidays_and_the_national_school_share() -> None:
    keys = pd.DataFrame(
        {
            "region_code": ["84", "84", "84", "84", "FR", "11"],
            # Ascension 2023 is Thursday 18 May: Friday 19 is a bridge day; Sunday 21 sees it
            # as its D-2; 13 Feb 2023: zones A and B on holiday, not C
            "day": pd.to_datetime(
                ["2023-05-17", "2023-05-18", "2023-05-19", "2023-05-21", "2023-02-13", "2023-02-13"]
            ),
        }
    )
    out = day_features(keys)
    assert list(out.columns) == list(DAY_FEATURE_COLUMNS)
    assert out["is_day_before_holiday"].tolist()[:3] == [1.0, 0.0, 0.0]
    assert out["is_public_holiday"].tolist()[:3] == [0.0, 1.0, 0.0]
    assert out["is_bridge_day"].tolist()[:3] == [0.0, 0.0, 1.0]
    assert out["is_day_after_holiday"].iloc[2] == 1.0
    assert out["is_bridge_day_lag_2"].iloc[3] == 1.0
    assert out["is_school_holiday"].iloc[4] == pytest.approx(2 / 3)
    assert out["is_school_holiday"].iloc[5] == 0.0  # Île-de-France: zone C


def test_history_gap_of_a_publication_lag() -> None:
    assert history_gap_days(1, "consumption_regional") == 2
    assert history_gap_days(0, "a forecast") == 2  # D-1 is still running on D-1
    assert history_gap_days(45, "gas_load_curve") == 46
    with pytest.raises(ValueError, match="strikes: its publication lag is unknown"):
        history_gap_days(None, "strikes")
