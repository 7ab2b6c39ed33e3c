"""Model inputs built from the pages' fields: calendar, weather, trailing level, signature."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard_ui.features import (
    InputColumn,
    MissingFeatureError,
    calendar_features,
    frame_for_signature,
    weather_features,
)


def test_calendar_of_a_public_holiday_in_school_holidays() -> None:
    features = calendar_features(dt.date(2024, 7, 14), "84")  # Sunday, Fête nationale, summer
    assert features["weekday"] == 6 and features["is_weekend"]
    assert features["is_public_holiday"]
    assert "14" in str(features["public_holiday_name"]) or "Fête" in str(
        features["public_holiday_name"]
    )
    assert features["is_school_holiday"]
    assert features["region"] == "Auvergne-Rhône-Alpes"
    working_day = calendar_features(dt.date(2024, 3, 12), "11")
    assert not working_day["is_public_holiday"] and not working_day["is_school_holiday"]


def test_school_holidays_follow_the_region_zone() -> None:
    # 2024-02-26: winter holidays in zone A (Auvergne-Rhône-Alpes) but not zone C (Île-de-France)
    assert calendar_features(dt.date(2024, 2, 26), "84")["is_school_holiday"]
    assert not calendar_features(dt.date(2024, 2, 26), "11")["is_school_holiday"]


def test_weather_features_and_smoothing() -> None:
    common = dict(
        wind_kmh=10.0,
        humidity_pct=80.0,
        visibility_km=10.0,
        cloud_cover_pct=50.0,
        day=dt.date(2024, 1, 10),
    )
    steady = weather_features(temp_max_c=6.0, temp_min_c=0.0, **common)
    assert steady["temp_mean_c"] == 3.0
    assert steady["heating_degree_days"] == 14.0
    assert (steady["temp_ewm_c"], steady["hdd_ewm"]) == (3.0, 14.0)
    after_mild_days = weather_features(
        temp_max_c=6.0, temp_min_c=0.0, previous_temp_mean_c=13.0, **common
    )
    assert after_mild_days["temp_ewm_c"] == 8.0
    assert after_mild_days["hdd_ewm"] == 9.0
    assert 8.0 < steady["day_duration_h"] < 9.5  # a January day in France
    with pytest.raises(ValueError, match="TMin"):
        weather_features(temp_max_c=0.0, temp_min_c=5.0, **common)


def test_frame_follows_the_signature() -> None:
    columns = [
        InputColumn("region_code", "string"),
        InputColumn("is_weekend", "double"),
        InputColumn("month", "long"),
    ]
    frame = frame_for_signature(
        {"month": 3, "is_weekend": True, "region_code": "84", "x": 1}, columns
    )
    assert list(frame.columns) == ["region_code", "is_weekend", "month"]
    assert frame.dtypes.astype(str).tolist() == ["object", "float64", "int64"]
    assert frame.loc[0, "is_weekend"] == 1.0
    with pytest.raises(MissingFeatureError, match="level_mwh"):
        frame_for_signature({"region_code": "84"}, [InputColumn("level_mwh", "double")])
