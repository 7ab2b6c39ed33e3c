"""The feature rules of ``domain.features``: heating degree days, calendar, holidays, grid,
weather smoothing, consumption history and the trailing level."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from data_collection_kedro.domain.features import (
    HEATING_BASE_TEMPERATURE_C,
    WEATHER_EWM_ALPHA,
    add_consumption_history,
    add_weather_history,
    calendar_fields,
    daily_grid,
    heating_degree_days,
    library_holidays,
    mean_temperature,
    trailing_level,
)


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
    out = add_consumption_history(frame, "electricity_consumption_mwh", 10, 5)
    assert out["lag_1_mwh"].iloc[10] == 9.0 and out["lag_7_mwh"].iloc[10] == 3.0
    assert out["rolling_mean_7_mwh"].iloc[10] == pytest.approx(np.mean(np.arange(3, 10)))
    assert np.isnan(out["rolling_mean_7_mwh"].iloc[4])  # 4 past values < 5
    assert out["level_mwh"].iloc[20] == pytest.approx(np.mean(np.arange(10, 20)))
    assert out["lag_364_mwh"].isna().all()


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
