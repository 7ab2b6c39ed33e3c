"""The national consumption and weather-forecast indices, node by node on hand-built raw rows.

Expected values are computed here from the inputs (sums of MW × slot hours over Paris days,
weighted means with the parameters' weights), so a wrong day boundary, slot length, weight or
degree-day rule fails the test.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from data_collection_kedro.domain.contracts import (
    CONSOMMATION_NATIONALE,
    PREVISIONS_METEO,
    PREVISIONS_METEO_NATIONALES,
)
from data_collection_kedro.domain.features import heating_degree_days
from data_collection_kedro.domain.fusion_window import IndexRows
from data_collection_kedro.pipelines.data_fusion_pipeline import nodes


def _frames(outputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """A node's outputs with the index rows as frames (a run without a plan: the whole index)."""
    return tuple(o.frame if isinstance(o, IndexRows) else o for o in outputs)


def build_consommation_nationale(*args: Any) -> tuple[Any, ...]:
    return _frames(nodes.build_consommation_nationale(*args))


def build_meteo_consommation(*args: Any) -> tuple[Any, ...]:
    return _frames(nodes.build_meteo_consommation(*args))


def build_previsions_meteo(*args: Any) -> tuple[Any, ...]:
    return _frames(nodes.build_previsions_meteo(*args))


WEIGHTS = {"11": 3.0, "53": 1.0}


@pytest.fixture
def params(fusion_params: dict[str, Any]) -> dict[str, Any]:
    return {
        **fusion_params,
        "national_temperature": {"weights": WEIGHTS, "min_weight_share": 0.9},
    }


def _half_hours(first_local: str, last_local: str) -> pd.DatetimeIndex:
    """Every half-hour instant (UTC) of the Paris days ``first_local..last_local``."""
    start = pd.Timestamp(first_local, tz="Europe/Paris")
    end = pd.Timestamp(last_local, tz="Europe/Paris") + pd.Timedelta(days=1)
    return pd.date_range(start, end, freq="30min", inclusive="left").tz_convert("UTC")


def _national_raw(instants: pd.DatetimeIndex, electricity_mw: float = 50_000.0) -> pd.DataFrame:
    full_hour = instants.minute == 0
    gas = np.where(full_hour, 30_000.0, np.nan)
    return pd.DataFrame(
        {
            "timestamp_utc": instants,
            "electricity_rte_mw": electricity_mw,
            "electricity_rte_status": "Consolidé",
            "gas_grtgaz_mw": gas - 1_000.0,
            "gas_grtgaz_status": np.where(full_hour, "Définitif", None),
            "gas_terega_mw": np.where(full_hour, 1_000.0, np.nan),
            "gas_terega_status": np.where(full_hour, "Définitive", None),
            "gas_total_mw": gas,
            "flag_ignore": "non",
        }
    )


def _weather(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    columns = ["region_code", "day", "temp_min_c", "temp_max_c", "temp_mean_c"]
    return pd.DataFrame(
        [
            {
                "region_code": code,
                "day": pd.Timestamp(day),
                "temp_min_c": mean - 3.0,
                "temp_max_c": mean + 3.0,
                "temp_mean_c": mean,
            }
            for code, day, mean in rows
        ],
        columns=columns,
    )


def test_national_days_follow_paris_days_with_dst_slots(params: dict[str, Any]) -> None:
    raw = _national_raw(_half_hours("2022-03-26", "2022-03-28"))  # spring forward on the 27th
    index, quality = build_consommation_nationale(raw, _weather([]), params)
    assert list(index.columns) == CONSOMMATION_NATIONALE.column_names
    by_day = index.set_index(index["day"].astype(str))
    # 48 / 46 / 48 half-hours of 50,000 MW x 0.5 h; 24 / 23 / 24 hours of 30,000 MW x 1 h
    assert by_day["electricity_consumption_mwh"].tolist() == [1_200_000.0, 1_150_000.0, 1_200_000.0]
    assert by_day["gas_consumption_mwh"].tolist() == [720_000.0, 690_000.0, 720_000.0]
    assert by_day["electricity_is_complete"].all() and by_day["gas_is_complete"].all()
    assert set(by_day["electricity_status"]) == {"Consolidé"}
    assert set(by_day["gas_status"]) == {"Définitif"}  # "Définitive" is the same status
    assert index["temp_mean_c"].isna().all()  # no weather given
    report = quality.set_index("check")
    assert report.loc["national_days_without_temperature", "unmatched_keys"] == 3


def test_a_missing_half_hour_a_flagged_row_and_a_missing_day_are_reported(
    params: dict[str, Any],
) -> None:
    raw = _national_raw(_half_hours("2023-01-09", "2023-01-12"))  # 4 x 48 rows, labels 0..191
    days = pd.to_datetime(raw["timestamp_utc"]).dt.tz_convert("Europe/Paris").dt.date.astype(str)
    raw = raw[days != "2023-01-11"]  # a whole day missing
    raw = raw.drop(index=5)  # 02:30 on the 9th missing (a half-hour: electricity only)
    flagged = 48 + 20  # 10:00 on the 10th, a full hour (electricity and gas): flag_ignore set
    raw.loc[flagged, "flag_ignore"] = "oui"
    raw = pd.concat([raw, raw.loc[[150]].assign(electricity_rte_mw=1.0)])  # re-sent instant
    index, quality = build_consommation_nationale(raw, _weather([]), params)
    by_day = index.set_index(index["day"].astype(str))
    assert list(by_day.index) == ["2023-01-09", "2023-01-10", "2023-01-11", "2023-01-12"]
    assert by_day["electricity_is_complete"].tolist() == [False, False, False, True]
    assert by_day["gas_is_complete"].tolist() == [True, False, False, True]
    assert by_day["electricity_consumption_mwh"].isna().tolist() == [True, True, True, False]
    report = quality.set_index("check")
    assert json.loads(report.loc["national_rows_flagged_ignore", "detail"])["keys"] == [
        str(raw.loc[flagged, "timestamp_utc"])
    ]
    assert report.loc["national_duplicated_instants", "unmatched_keys"] == 1
    assert report.loc["national_electricity_incomplete_days", "unmatched_keys"] == 3


def test_the_national_temperature_is_the_weighted_mean_of_the_regions(
    params: dict[str, Any],
) -> None:
    raw = _national_raw(_half_hours("2022-12-01", "2022-12-04"))
    weather = _weather(
        [
            ("11", "2022-12-01", 4.0),
            ("11", "2022-12-02", 2.0),
            ("11", "2022-12-04", 6.0),  # the 3rd missing: interpolated (4.0)
            ("53", "2022-12-03", 10.0),  # Bretagne from the 3rd on
            ("53", "2022-12-04", 10.0),
        ]
    )
    index, _ = build_consommation_nationale(raw, weather, params)
    by_day = index.set_index(index["day"].astype(str))
    # 1st and 2nd: Île-de-France alone covers 3 / 4 of the weight, below 0.9
    assert by_day.loc["2022-12-01", "temp_weight_share"] == pytest.approx(0.75)
    assert by_day[["temp_min_c", "temp_max_c", "temp_mean_c"]].iloc[:2].isna().all(axis=None)
    assert by_day.loc["2022-12-03", "temp_mean_c"] == pytest.approx((3 * 4.0 + 1 * 10.0) / 4)
    assert by_day.loc["2022-12-04", "temp_mean_c"] == pytest.approx((3 * 6.0 + 1 * 10.0) / 4)
    assert by_day.loc["2022-12-04", "temp_min_c"] == pytest.approx(7.0 - 3.0)
    assert by_day.loc["2022-12-04", "heating_degree_days"] == pytest.approx(17.0 - 7.0)
    assert by_day.loc["2022-12-04", "temp_weight_share"] == pytest.approx(1.0)


def _forecast_raw(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "region_code": code,
                "issue_day": issue,
                "target_day": target,
                "lead_days": (pd.Timestamp(target) - pd.Timestamp(issue)).days,
                "tmin_c": mean - 4.0,
                "tmax_c": mean + 4.0,
                "tmean_c": mean,
                "point_count": 4,
                "provider": "Open-Meteo",
                "model": "meteofrance_seamless",
                "_ingested_at": pd.Timestamp("2024-01-10", tz="UTC"),
            }
            for code, issue, target, mean in rows
        ]
    )


def test_forecasts_per_region_and_nationally(params: dict[str, Any]) -> None:
    raw = _forecast_raw(
        [
            ("11", "2024-01-09", "2024-01-10", 1.5),
            ("53", "2024-01-09", "2024-01-10", 7.5),
            ("11", "2024-01-09", "2024-01-11", 0.0),
            ("53", "2024-01-09", "2024-01-11", 5.0),
            ("11", "2024-01-10", "2024-01-11", 20.0),  # the next issue: only Île-de-France
            ("Bretagne", "2024-01-10", "2024-01-12", 9.0),  # a region spelled by its name
        ]
    )
    regional, national, quality = build_previsions_meteo(raw, params)
    assert list(regional.columns) == PREVISIONS_METEO.column_names
    assert list(national.columns) == PREVISIONS_METEO_NATIONALES.column_names
    assert len(regional) == 6
    row = regional[
        (regional["region_code"] == "53") & (regional["day"].astype(str) == "2024-01-12")
    ]
    assert row["region"].item() == "Bretagne" and row["lead_days"].item() == 2
    assert row["heating_degree_days"].item() == pytest.approx(8.0)
    key = national["day"].astype(str) + "|" + national["issue_day"].astype(str)
    by_key = national.set_index(key)
    assert by_key.loc["2024-01-10|2024-01-09", "temp_mean_c"] == pytest.approx(3.0)
    assert by_key.loc["2024-01-10|2024-01-09", "temp_max_c"] == pytest.approx(7.0)
    assert by_key.loc["2024-01-11|2024-01-09", "heating_degree_days"] == pytest.approx(15.75)
    assert by_key.loc["2024-01-11|2024-01-09", "lead_days"] == 2
    assert by_key.loc["2024-01-11|2024-01-10", "region_count"] == 1
    assert np.isnan(by_key.loc["2024-01-11|2024-01-10", "temp_mean_c"])  # 3 / 4 < 0.9
    report = quality.set_index("check")
    assert report.loc["national_forecast_below_min_weight_share", "unmatched_keys"] == 2


def test_a_forecast_received_twice_keeps_the_last_ingested(params: dict[str, Any]) -> None:
    first = _forecast_raw([("11", "2024-01-09", "2024-01-10", 1.0)])
    again = first.assign(tmean_c=2.0, _ingested_at=pd.Timestamp("2024-01-11", tz="UTC"))
    regional, _, quality = build_previsions_meteo(pd.concat([again, first]), params)
    assert regional["temp_mean_c"].tolist() == [2.0]
    report = quality.set_index("check")
    assert report.loc["forecast_duplicated_keys", "unmatched_keys"] == 1


def test_every_index_uses_the_same_heating_degree_day_rule(params: dict[str, Any]) -> None:
    """meteo_consommation, previsions_meteo and consommation_nationale agree on a day at 12.5 °C
    and at 19 °C (no heating)."""
    for mean in (12.5, 19.0):
        expected = heating_degree_days(mean)
        regional, _, _ = build_previsions_meteo(
            _forecast_raw([("11", "2024-01-09", "2024-01-10", mean)]), params
        )
        weather = _weather([("11", "2024-01-10", mean), ("53", "2024-01-10", mean)])
        national, _ = build_consommation_nationale(
            _national_raw(_half_hours("2024-01-10", "2024-01-10")), weather, params
        )
        consumption = pd.DataFrame(
            {
                "region_code": ["11"],
                "region": ["Île-de-France"],
                "day": [pd.Timestamp("2024-01-10")],
                "gas_consumption_mwh": [1.0],
                "electricity_consumption_mwh": [1.0],
                "gas_operator_count": [1],
                "gas_status": ["Définitif"],
                "gas_imputed": [False],
                "is_complete": [True],
                **{f"gas_h{h:02d}_share": [1 / 24] for h in range(24)},
            }
        )
        measures = [
            "wind_kmh",
            "humidity_pct",
            "visibility_km",
            "cloud_cover_pct",
            "day_duration_h",
        ]
        weather = weather.assign(**dict.fromkeys(measures, np.nan))
        meteo, _ = build_meteo_consommation(consumption, weather, params)
        values = {
            "previsions_meteo": regional["heating_degree_days"].item(),
            "consommation_nationale": national["heating_degree_days"].item(),
            "meteo_consommation": meteo["heating_degree_days"].item(),
        }
        assert values == pytest.approx(dict.fromkeys(values, expected))
        assert expected == max(0.0, 17.0 - mean)
