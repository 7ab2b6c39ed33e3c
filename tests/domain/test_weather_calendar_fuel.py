"""Weather aggregation, strikes/holidays/calendar features and daily fuel prices."""

import json

import numpy as np
import pandas as pd
import pytest

from data_collection_kedro.domain.calendar import consumption_movements_index
from data_collection_kedro.domain.fuel import daily_fuel_price_index
from data_collection_kedro.domain.normalization import collect_quality, quality_frame
from data_collection_kedro.domain.weather import (
    HISTORIQUE_MEASURES,
    daily_weather,
    weather_consumption_index,
)


def _with_report(result):
    """(frame, quality rows) of a domain rule -> (frame, fusion_data_quality frame)."""
    frame, quality = result
    return frame, quality_frame(quality)


def _historique(rows):
    return pd.DataFrame(rows, columns=["day", "region", *HISTORIQUE_MEASURES])


def _regional(rows):
    return pd.DataFrame(
        rows, columns=["date", "region_code", "region", "tmin_c", "tmax_c", "tmean_c"]
    )


def _row(frame, code, day):
    rows = frame[
        (frame["region_code"] == code) & (pd.to_datetime(frame["day"]) == pd.Timestamp(day))
    ]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_old_regions_are_averaged_into_the_new_region(fusion_params):
    historique = _historique(
        [
            ("2019/01/05", "alsace", 4.0, -2.0, 10.0, 80.0, 9.0, 50.0, 8.5),
            ("2019/01/05", "lorraine", 6.0, 0.0, 20.0, 90.0, 10.0, 70.0, 8.5),
            ("2019/01/05", "champagne-ardenne", 5.0, -1.0, 30.0, 70.0, 8.0, 60.0, 8.5),
            ("2019/01/05", "rh-ne-alpes", 8.0, 1.0, 12.0, 60.0, 10.0, 20.0, 9.0),
            ("2019/01/05", "Bretagne", 11.0, 6.0, 40.0, 85.0, 7.0, 90.0, 8.0),
        ]
    )
    regional = _regional([("2019-01-05", "53", "Bretagne", 5.0, 10.0, 7.2)])
    weather, report = _with_report(daily_weather(regional, historique, fusion_params))
    grand_est = _row(weather, "44", "2019-01-05")
    assert grand_est["wind_kmh"] == pytest.approx(20.0)
    assert grand_est["temp_min_c"] == pytest.approx(-1.0)
    assert grand_est["temp_mean_c"] == pytest.approx((-1.0 + 5.0) / 2)  # from historique
    bretagne = _row(weather, "53", "2019-01-05")
    assert (bretagne["temp_min_c"], bretagne["temp_mean_c"]) == (5.0, 7.2)  # regional file wins
    assert bretagne["cloud_cover_pct"] == 90.0
    assert _row(weather, "84", "2019-01-05")["temp_max_c"] == 8.0
    detail = json.loads(report.set_index("check").loc["temperature_from_historique", "detail"])
    assert detail["keys"] == ["44|2019-01-05", "84|2019-01-05"]


def test_new_region_name_rows_win_over_old_region_rows(fusion_params):
    historique = _historique(
        [
            ("2019/01/05", "alsace", 0.0, 0.0, 10.0, 0, 0, 0, 0),
            ("2019/01/05", "Grand Est", 0.0, 0.0, 50.0, 0, 0, 0, 0),
        ]
    )
    weather, _ = daily_weather(_regional([]), historique, fusion_params)
    assert _row(weather, "44", "2019-01-05")["wind_kmh"] == 50.0


def _daily_consumption(days, codes=("53", "94")):
    frame = pd.DataFrame(
        [(c, pd.Timestamp(d)) for c in codes for d in days], columns=["region_code", "day"]
    )
    return frame.assign(
        region=frame["region_code"].map({"53": "Bretagne", "94": "Corse", "11": "Île-de-France"}),
        gas_consumption_mwh=100.0,
        electricity_consumption_mwh=200.0,
        gas_operator_count=1,
        gas_status="Définitif",
        gas_imputed=False,
        is_complete=True,
        **{f"gas_h{h:02d}_share": 1 / 24 for h in range(24)},
    )


def test_meteo_consommation_heating_degree_days_and_unmatched_days(fusion_params):
    consumption = _daily_consumption(["2019-01-05", "2019-01-06"], codes=("53",))
    weather = pd.DataFrame(
        {
            "region_code": ["53", "53"],
            "day": pd.to_datetime(["2019-01-05", "2019-01-07"]),
            "temp_min_c": [1.0, 2.0],
            "temp_max_c": [9.0, 8.0],
            "temp_mean_c": [5.0, 20.0],
            **{
                c: [1.0, 1.0]
                for c in [
                    "wind_kmh",
                    "humidity_pct",
                    "visibility_km",
                    "cloud_cover_pct",
                    "day_duration_h",
                ]
            },
        }
    )
    index, report = _with_report(weather_consumption_index(consumption, weather, fusion_params))
    assert len(index) == 2
    assert _row(index, "53", "2019-01-05")["heating_degree_days"] == pytest.approx(12.0)
    assert np.isnan(_row(index, "53", "2019-01-06")["heating_degree_days"])
    checks = report.set_index("check")
    assert json.loads(checks.loc["consumption_without_weather", "detail"])["keys"] == [
        "53|2019-01-06"
    ]
    assert json.loads(checks.loc["weather_without_consumption", "detail"])["rows"] == 1


def test_strikes_holidays_and_calendar(fusion_params):
    consumption = _daily_consumption(pd.date_range("2023-02-03", "2023-02-06").strftime("%Y-%m-%d"))
    strikes = pd.DataFrame(
        {
            "strike_id": ["a", "b", "c"],
            "start_date": ["2023-02-04", "2023-02-05", "2023-02-06"],
            "end_date": ["2023-02-05", None, None],
            "reason": ["Retraites", "Salaires", "Retraites"],
            "strike_rate_pct": [30.0, 12.5, None],
        }
    )
    public = pd.DataFrame({"date": ["2023-02-06"], "name": ["Jour fictif"], "zone": ["Métropole"]})
    school = pd.DataFrame(
        {
            "zone": ["B", "Corse"],
            "description": ["Vacances d'Hiver", "Vacances d'Hiver"],
            "start_date": ["2023-02-05", "2023-02-04"],
            "end_date": ["2023-02-20", "2023-02-19"],
            "school_year": ["2022-2023", "2022-2023"],
        }
    )
    index, report = _with_report(
        consumption_movements_index(consumption, strikes, public, school, fusion_params)
    )
    bretagne = index[index["region_code"] == "53"].set_index(
        pd.to_datetime(index["day"]).dt.strftime("%d")[index["region_code"] == "53"]
    )
    assert bretagne["strike_count"].tolist() == [0, 1, 2, 1]
    assert bretagne["strike_active"].tolist() == [False, True, True, True]
    assert bretagne.loc["05", "strike_rate_pct"] == 30.0
    assert bretagne.loc["05", "strike_reason"] == "Retraites; Salaires"
    assert bretagne["is_school_holiday"].tolist() == [False, False, True, True]  # zone B
    corse = index[index["region_code"] == "94"]
    assert corse["is_school_holiday"].tolist() == [False, True, True, True]
    assert bretagne["is_public_holiday"].tolist() == [False, False, False, True]
    assert bretagne["weekday"].tolist() == [4, 5, 6, 0]
    assert bretagne["is_weekend"].tolist() == [False, True, True, False]
    assert set(index["year"]) == {2023} and set(index["month"]) == {2}


def _stations():
    return pd.DataFrame(
        {
            "station_id": ["s1", "s2", "s3", "s4"],
            "postcode": ["35000", "35400", "20200", "99999"],
            "latitude": [48.1, 48.6, 42.7, 0.0],
            "longitude": [-1.7, -2.0, 9.4, 0.0],
        }
    )


def test_daily_fuel_price_in_force_is_last_update_on_or_before_the_day(fusion_params):
    prices = pd.DataFrame(
        {
            "station_id": ["s1", "s1", "s1", "s2", "s3", "s4", "s2"],
            "fuel": ["Gazole", "Gazole", "Gazole", "GAZOLE", "Gazole", "Gazole", "SP98"],
            "updated_at": pd.to_datetime(
                [
                    "2023-11-01 08:00",
                    "2023-11-03 07:00",
                    "2023-11-03 18:00",  # last update of the day wins
                    "2023-11-02 09:00",
                    "2023-11-01 10:00",
                    "2023-11-01 10:00",
                    "2023-11-02 10:00",
                ]
            ),
            "price_eur_l": [1.80, 1.70, 1.75, 1.90, 2.00, 1.50, 12.0],
        }
    )
    shortages = pd.DataFrame(
        {
            "station_id": ["s2"],
            "fuel": ["Gazole"],
            "start_at": pd.to_datetime(["2023-11-03 12:00"]),
            "end_at": [pd.NaT],
        }
    )
    index, report = _with_report(
        daily_fuel_price_index(_stations(), prices, shortages, fusion_params)
    )
    ille = index[(index["department_code"] == "35") & (index["fuel"] == "Gazole")]
    assert pd.to_datetime(ille["day"]).dt.strftime("%d").tolist() == ["01", "02", "03"]
    assert ille["price_min_eur_l"].tolist() == [1.80, 1.80, 1.75]
    assert ille["price_max_eur_l"].tolist() == [1.80, 1.90, 1.90]
    assert ille["price_median_eur_l"].tolist() == pytest.approx([1.80, 1.85, 1.825])
    assert ille["station_count"].tolist() == [1, 2, 2]
    assert ille["shortage_count"].tolist() == [0, 0, 1]
    assert set(ille["region_code"]) == {"53"} and set(ille["region"]) == {"Bretagne"}
    assert ille["latitude"].tolist() == pytest.approx(
        [48.35] * 3
    )  # mean of the department's stations
    corse = index[index["department_code"] == "2B"]
    assert corse["region_code"].unique().tolist() == ["94"] and len(corse) == 3
    checks = report.set_index("check")
    assert json.loads(checks.loc["stations_without_department", "detail"])["keys"] == ["s4|99999"]
    assert checks.loc["prices_out_of_range", "unmatched_keys"] == 1
    assert not ((index["fuel"] == "SP98").any())


def test_price_stops_counting_after_max_age(fusion_params):
    prices = pd.DataFrame(
        {
            "station_id": ["s1", "s2"],
            "fuel": ["Gazole", "Gazole"],
            "updated_at": pd.to_datetime(["2023-11-01", "2023-11-10"]),
            "price_eur_l": [1.8, 1.9],
        }
    )
    params = {**fusion_params, "max_price_age_days": 3}
    index, _ = daily_fuel_price_index(_stations(), prices, pd.DataFrame(), params)
    assert pd.to_datetime(index["day"]).dt.strftime("%d").tolist() == ["01", "02", "03", "10"]


def test_data_quality_keys_are_unique():
    frame = pd.DataFrame(
        [
            {
                "index": "i",
                "check": "c",
                "rows_in": 1,
                "rows_out": 1,
                "unmatched_keys": 0,
                "detail": "{}",
            }
        ]
    )
    assert len(collect_quality(frame)) == 1
    with pytest.raises(ValueError, match="duplicated"):
        collect_quality(frame, frame)


def test_short_temperature_gaps_are_interpolated_and_long_ones_stay_nan(fusion_params):
    days = pd.date_range("2024-03-01", "2024-03-12")
    consumption = _daily_consumption(days.strftime("%Y-%m-%d"), codes=("53",))
    means = [0.0, np.nan, 4.0, 5.0, np.nan, np.nan, np.nan, np.nan, 9.0, 10.0, 11.0, np.nan]
    weather = pd.DataFrame(
        {
            "region_code": "53",
            "day": days,
            "temp_min_c": means,
            "temp_max_c": means,
            "temp_mean_c": means,
            **{c: 1.0 for c in ["wind_kmh", "humidity_pct", "visibility_km", "cloud_cover_pct"]},
            "day_duration_h": 11.0,
        }
    ).dropna(subset=["temp_mean_c"])  # the real file lacks the days entirely
    index, report = _with_report(
        weather_consumption_index(
            consumption, weather, {**fusion_params, "max_temperature_gap_days": 3}
        )
    )
    assert index["temp_mean_c"].tolist()[:4] == [0.0, 2.0, 4.0, 5.0]
    assert index["temp_mean_c"].iloc[4:8].isna().all()  # 4-day gap: longer than 3
    assert np.isnan(index["temp_mean_c"].iloc[11])  # after the last known day
    assert index["temp_interpolated"].tolist() == [False, True] + [False] * 10
    assert index.loc[1, "heating_degree_days"] == pytest.approx(15.0)
    detail = json.loads(report.set_index("check").loc["temperature_interpolated", "detail"])
    assert detail["keys"] == ["53|2024-03-02"]
