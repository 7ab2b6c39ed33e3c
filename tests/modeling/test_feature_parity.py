"""Training and serving build identical features from the same inputs.

The same region-days go through three paths:

- training: raw holidays and strikes (ETL parser) -> fusion rules (``meteo_consommation``,
  ``consommation_mouvements``) -> ``modeling.features.forecasting_features``;
- operational forecasts: the calendar of ``domain.features.day_features`` (the holiday
  libraries) against the fusion's calendar; their consumption and weather features are
  compared between evaluation and serving in ``tests/modeling/test_operational.py``;
- dashboard: the pages' fields -> ``dashboard_ui.features`` (``weather_model_row``,
  ``movements_model_row``) with ``domain.features.trailing_level``.

Each model's input frame (``model_input`` of its configured features) must be identical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from dashboard_ui.features import movements_model_row, weather_model_row
from data_collection_kedro.datasets.source_files import build_holidays_frame
from data_collection_kedro.domain.calendar import consumption_movements_index
from data_collection_kedro.domain.contracts import GAS_HOUR_SHARE_COLUMNS
from data_collection_kedro.domain.features import day_features, trailing_level
from data_collection_kedro.domain.regions import REGION_BY_CODE
from data_collection_kedro.domain.weather import WEATHER_COLUMNS, weather_consumption_index
from data_collection_kedro.modeling.features import forecasting_features, model_input
from data_collection_kedro.validation import parse_source
from tests.support.paths import KEDRO_PROJECT

TARGET = "gas_consumption_mwh"
REGIONS = ("84", "11")  # school zones A and C
STEADY_TEMP_C = 6.5  # every day before the tested days: the dashboard's "previous days" input
# a public holiday in the Christmas holidays, zone A's (not C's) winter holidays, Ascension,
# an ordinary Tuesday
DAYS = ("2023-12-25", "2023-02-13", "2023-05-18", "2023-03-14")
FUSION_PARAMS = {"max_detail_keys": 50, "max_temperature_gap_days": 3}


def _model_features() -> dict[str, list[str]]:
    params = yaml.safe_load((KEDRO_PROJECT / "conf/base/parameters_forecasting.yml").read_text())
    return {key: list(m["features"]) for key, m in params["forecasting"]["models"].items()}


def _inputs(day: pd.Timestamp, region_code: str) -> dict[str, float]:
    """The weather of the tested day (what a user enters, what a weather forecast gives)."""
    offset = DAYS.index(day.strftime("%Y-%m-%d")) + REGIONS.index(region_code)
    return {
        "temp_max_c": 9.0 + offset,
        "temp_min_c": -1.5 - offset,
        "wind_kmh": 20.0,
        "humidity_pct": 80.0,
        "visibility_km": 10.0,
        "cloud_cover_pct": 40.0,
    }


@pytest.fixture(scope="module")
def indices() -> tuple[pd.DataFrame, pd.DataFrame]:
    """``meteo_consommation`` and ``consommation_mouvements`` built by the fusion rules."""
    rng = np.random.default_rng(11)
    days = pd.date_range("2021-06-01", "2023-12-31", freq="D")
    tested = pd.to_datetime(list(DAYS))
    consumption, weather = [], []
    for code in REGIONS:
        gas = (
            300 + 100 * np.cos(2 * np.pi * days.day_of_year / 365.25) + rng.normal(0, 9, len(days))
        )
        consumption.append(
            pd.DataFrame(
                {
                    "region_code": code,
                    "region": REGION_BY_CODE[code].name,
                    "day": days,
                    "gas_consumption_mwh": gas,
                    "electricity_consumption_mwh": gas * 1.4,
                    "gas_operator_count": 1,
                    "gas_status": "Définitif",
                    "gas_imputed": False,
                    "is_complete": True,
                    **dict.fromkeys(GAS_HOUR_SHARE_COLUMNS, 1 / 24),
                }
            )
        )
        frame = pd.DataFrame(
            {
                "region_code": code,
                "day": days,
                "temp_min_c": STEADY_TEMP_C - rng.uniform(2, 6, len(days)),
                "temp_max_c": STEADY_TEMP_C + rng.uniform(2, 6, len(days)),
                "temp_mean_c": STEADY_TEMP_C,
                "wind_kmh": 10.0,
                "humidity_pct": 70.0,
                "visibility_km": 12.0,
                "cloud_cover_pct": 50.0,
                "day_duration_h": 10.0,
            }
        )
        for day in tested:
            inputs = _inputs(day, code)
            row = frame["day"] == day
            frame.loc[row, ["temp_min_c", "temp_max_c"]] = [
                inputs["temp_min_c"],
                inputs["temp_max_c"],
            ]
            frame.loc[row, "temp_mean_c"] = (inputs["temp_min_c"] + inputs["temp_max_c"]) / 2
        weather.append(frame)
    daily = pd.concat(consumption, ignore_index=True)
    meteo, _ = weather_consumption_index(
        daily, pd.concat(weather, ignore_index=True)[WEATHER_COLUMNS], FUSION_PARAMS
    )
    public, school, quarantine = parse_source("holidays", build_holidays_frame(2021, 2023))
    assert quarantine.empty
    strikes = pd.DataFrame(
        {
            "strike_id": ["s1"],
            "start_date": ["2023-03-14"],
            "end_date": [None],
            "reason": ["Retraites"],
            "strike_rate_pct": [12.5],
        }
    )
    movements, _ = consumption_movements_index(daily, strikes, public, school, FUSION_PARAMS)
    return meteo, movements


@pytest.fixture(scope="module")
def training(indices) -> pd.DataFrame:
    meteo, movements = indices
    return forecasting_features(meteo, movements, TARGET)


def _training_row(training: pd.DataFrame, day: pd.Timestamp, region_code: str) -> pd.DataFrame:
    row = training[(training["day"] == day) & (training["region_code"] == region_code)]
    assert len(row) == 1
    return row


@pytest.mark.parametrize("region_code", REGIONS)
@pytest.mark.parametrize("day", DAYS)
def test_dashboard_builds_the_training_features(indices, training, day, region_code) -> None:
    day = pd.Timestamp(day)
    meteo, movements = indices
    features = _model_features()
    expected = _training_row(training, day, region_code)
    level = trailing_level(meteo, region_code, day.date(), TARGET)
    weather_row = weather_model_row(
        region_code, day.date(), _inputs(day, region_code), STEADY_TEMP_C, level
    )
    columns = features["whatif_weather_catboost"]
    pd.testing.assert_frame_equal(
        model_input(pd.DataFrame([weather_row]), columns),
        model_input(expected, columns).reset_index(drop=True),
    )
    strike = movements[
        (movements["region_code"] == region_code) & (pd.to_datetime(movements["day"]) == day)
    ]
    movements_row = movements_model_row(
        region_code,
        day.date(),
        float(expected["temp_mean_c"].iloc[0]),
        bool(strike["strike_active"].iloc[0]),
        int(strike["strike_count"].iloc[0]),
        float(strike["strike_rate_pct"].iloc[0]),
        level,
    )
    columns = features["whatif_movements_rf"]
    pd.testing.assert_frame_equal(
        model_input(pd.DataFrame([movements_row]), columns),
        model_input(expected, columns).reset_index(drop=True),
    )


def test_operational_calendar_is_the_index_calendar(indices) -> None:
    """The operational models take their calendar from ``domain.features.day_features`` (the
    holiday libraries, for past and future days alike): on the index days it is the calendar
    the fusion built from the holiday source."""
    _, movements = indices
    days = pd.to_datetime(movements["day"])
    keys = pd.DataFrame({"region_code": movements["region_code"].astype(str), "day": days})
    calendar = day_features(keys)
    for column in ("is_public_holiday", "is_school_holiday", "weekday", "month", "day_of_year"):
        expected = movements[column].astype(float).to_numpy()
        np.testing.assert_array_equal(calendar[column].to_numpy(), expected, err_msg=column)


def test_the_tested_days_cover_holidays_and_a_strike(training) -> None:
    def value(day: str, region_code: str, column: str) -> float:
        return float(_training_row(training, pd.Timestamp(day), region_code)[column].iloc[0])

    assert value("2023-12-25", "84", "is_public_holiday") == 1.0
    assert value("2023-12-25", "84", "is_school_holiday") == 1.0
    assert value("2023-02-13", "84", "is_school_holiday") == 1.0
    assert value("2023-02-13", "11", "is_school_holiday") == 0.0
    assert value("2023-03-14", "11", "strike_count") == 1.0
    assert value("2023-03-14", "11", "temp_ewm_c") != STEADY_TEMP_C


def test_school_holidays_are_those_of_the_package_loader() -> None:
    """``domain.features`` reads the ``vacances-scolaires-france`` table as one frame: the same
    days per zone as the package's own loader gives."""
    from vacances_scolaires_france import SchoolHolidayDates

    from data_collection_kedro.domain.features import _school_holidays_by_zone

    data = SchoolHolidayDates().data
    read = _school_holidays_by_zone()
    for zone in ("A", "B", "C"):
        flagged = [day for day, row in data.items() if row[f"vacances_zone_{zone.lower()}"]]
        expected = np.sort(np.array(flagged, dtype="datetime64[ns]"))
        assert len(expected) > 1000, zone
        np.testing.assert_array_equal(read[zone], expected)
