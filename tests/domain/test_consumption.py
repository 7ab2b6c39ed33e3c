"""Daily consumption: operators summed, DST, missing/duplicated/partial days, missing operator."""

import json

import numpy as np
import pandas as pd
import pytest

from data_collection_kedro.domain.consumption import (
    daily_regional_consumption,
    gas_operators_by_region,
)
from data_collection_kedro.domain.normalization import quality_frame
from tests.support.fusion_frames import load_curve_row


def build_daily_consumption(gas: pd.DataFrame, electricity: pd.DataFrame, params: dict):
    daily, quality = daily_regional_consumption(gas, electricity, params)
    return daily, quality_frame(quality)


def _quality(report: pd.DataFrame, check: str) -> dict:
    row = report.set_index("check").loc[check]
    return {"unmatched_keys": int(row["unmatched_keys"]), **json.loads(row["detail"])}


def _day(frame: pd.DataFrame, code: str, day: str) -> pd.Series:
    rows = frame[(frame["region_code"] == code) & (frame["day"] == pd.Timestamp(day))]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_two_operators_are_summed_with_hourly_profile(empty_consumption, fusion_params):
    profile = [100.0 + h for h in range(24)]
    raw = pd.DataFrame(
        [
            load_curve_row("2022-01-10", "auvergne-rhône-alpes", "GRTgaz", profile),
            load_curve_row("2022-01-10", "Auvergne-Rhone-Alpes", "Teréga", 10.0),
        ]
    )
    daily, _ = build_daily_consumption(raw, empty_consumption, fusion_params)
    row = _day(daily, "84", "2022-01-10")
    assert row["region"] == "Auvergne-Rhône-Alpes"
    assert row["gas_consumption_mwh"] == pytest.approx(sum(profile) + 240.0)
    assert row["gas_operator_count"] == 2
    assert bool(row["is_complete"]) and not bool(row["gas_imputed"])
    assert row["gas_h05_share"] == pytest.approx((105.0 + 10.0) / (sum(profile) + 240.0))
    shares = row[[f"gas_h{h:02d}_share" for h in range(24)]].astype(float)
    assert shares.sum() == pytest.approx(1.0)


def test_missing_operator_is_imputed_from_its_recent_share_and_flagged(
    empty_consumption, fusion_params
):
    rows = []
    for day in pd.date_range("2022-02-01", "2022-02-10"):
        d = day.strftime("%Y-%m-%d")
        rows.append(load_curve_row(d, "occitanie", "GRTgaz", 30.0))  # 720 MWh
        if d != "2022-02-08":
            rows.append(load_curve_row(d, "occitanie", "Teréga", 10.0))  # 240 MWh, share 0.25
    daily, report = build_daily_consumption(pd.DataFrame(rows), empty_consumption, fusion_params)
    gap = _day(daily, "76", "2022-02-08")
    assert gap["gas_consumption_mwh"] == pytest.approx(720.0 / (1 - 0.25))
    assert bool(gap["gas_imputed"]) and not bool(gap["is_complete"])
    assert gap["gas_operator_count"] == 1
    check = _quality(report, "gas_missing_operator")
    assert check["unmatched_keys"] == 1 and check["keys"] == ["76|2022-02-08|Teréga"]
    assert _day(daily, "76", "2022-02-07")["gas_consumption_mwh"] == pytest.approx(960.0)


def test_missing_operator_at_the_start_uses_following_days(empty_consumption, fusion_params):
    rows = [load_curve_row("2018-06-01", "nouvelle-aquitaine", "GRTgaz", 10.0)]
    for d in ("2018-06-02", "2018-06-03"):
        rows.append(load_curve_row(d, "nouvelle-aquitaine", "GRTgaz", 10.0))
        rows.append(load_curve_row(d, "nouvelle-aquitaine", "Teréga", 30.0))  # share 0.75
    daily, _ = build_daily_consumption(pd.DataFrame(rows), empty_consumption, fusion_params)
    first = _day(daily, "75", "2018-06-01")
    assert first["gas_consumption_mwh"] == pytest.approx(240.0 / 0.25)
    assert bool(first["gas_imputed"])


def test_without_imputation_a_missing_operator_gives_nan(empty_consumption, fusion_params):
    rows = [
        load_curve_row("2022-02-01", "occitanie", "GRTgaz", 30.0),
        load_curve_row("2022-02-01", "occitanie", "Teréga", 10.0),
        load_curve_row("2022-02-02", "occitanie", "GRTgaz", 30.0),
    ]
    params = {**fusion_params, "impute_missing_operator": False}
    daily, _ = build_daily_consumption(pd.DataFrame(rows), empty_consumption, params)
    gap = _day(daily, "76", "2022-02-02")
    assert np.isnan(gap["gas_consumption_mwh"]) and not bool(gap["gas_imputed"])


def test_partial_and_zero_days_are_nan_incomplete_and_reported(empty_consumption, fusion_params):
    partial = [50.0] * 6 + [None] * 18
    raw = pd.DataFrame(
        [
            load_curve_row("2024-08-08", "bretagne", "GRTgaz", 50.0),
            load_curve_row("2024-08-09", "bretagne", "GRTgaz", partial, status="Meilleur Statut"),
            load_curve_row("2023-06-05", "normandie", "GRTgaz", 0.0),
        ]
    )
    daily, report = build_daily_consumption(raw, empty_consumption, fusion_params)
    last = _day(daily, "53", "2024-08-09")
    assert np.isnan(last["gas_consumption_mwh"]) and not bool(last["is_complete"])
    assert last["gas_status"] == "Meilleur statut"
    assert np.isnan(last["gas_h00_share"])
    assert _day(daily, "53", "2024-08-08")["gas_consumption_mwh"] == pytest.approx(1200.0)
    assert np.isnan(_day(daily, "28", "2023-06-05")["gas_consumption_mwh"])
    check = _quality(report, "gas_partial_or_zero_rows")
    assert check["keys"] == ["28|2023-06-05|GRTgaz|24h", "53|2024-08-09|GRTgaz|6h"]

    summed, _ = build_daily_consumption(
        raw, empty_consumption, {**fusion_params, "partial_day_policy": "sum"}
    )
    assert _day(summed, "53", "2024-08-09")["gas_consumption_mwh"] == pytest.approx(300.0)
    assert not bool(_day(summed, "53", "2024-08-09")["is_complete"])


def test_spring_forward_gas_day_with_23_hours_is_complete(empty_consumption, fusion_params):
    hours = [10.0] * 24
    hours[2] = None  # 02:00 does not exist on 2024-03-31
    raw = pd.DataFrame([load_curve_row("2024-03-30", "bretagne", "GRTgaz", hours)])
    daily, _ = build_daily_consumption(raw, empty_consumption, fusion_params)
    row = _day(daily, "53", "2024-03-30")
    assert bool(row["is_complete"]) and row["gas_consumption_mwh"] == pytest.approx(230.0)
    hours_missing_other_day = pd.DataFrame(
        [load_curve_row("2024-03-20", "bretagne", "GRTgaz", hours)]
    )
    daily, _ = build_daily_consumption(hours_missing_other_day, empty_consumption, fusion_params)
    assert not bool(_day(daily, "53", "2024-03-20")["is_complete"])


def test_missing_days_are_rows_with_nan_and_duplicates_are_reported(
    empty_consumption, fusion_params
):
    raw = pd.DataFrame(
        [
            load_curve_row("2022-01-01", "bretagne", "GRTgaz", 10.0),
            load_curve_row("2022-01-01", "Bretagne", "GRTgaz", 11.0),  # same key, other spelling
            load_curve_row("2022-01-04", "bretagne", "GRTgaz", 10.0),
        ]
    ).assign(_ingested_at=pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01"]))
    daily, report = build_daily_consumption(raw, empty_consumption, fusion_params)
    assert daily["day"].dt.strftime("%d").tolist() == ["01", "02", "03", "04"]
    assert _day(daily, "53", "2022-01-01")["gas_consumption_mwh"] == pytest.approx(264.0)
    assert daily["gas_consumption_mwh"].isna().tolist() == [False, True, True, False]
    assert _quality(report, "missing_days")["keys"] == ["53|2022-01-02", "53|2022-01-03"]
    assert _quality(report, "gas_duplicated_rows")["keys"] == ["53|2022-01-01|GRTgaz|GRD/ELD"]


def test_unknown_region_is_reported_not_silently_dropped(empty_consumption, fusion_params):
    raw = pd.DataFrame(
        [
            load_curve_row("2022-01-01", "bretagne", "GRTgaz", 10.0),
            load_curve_row("2022-01-01", "Atlantide", "GRTgaz", 10.0),
        ]
    )
    daily, report = build_daily_consumption(raw, empty_consumption, fusion_params)
    assert daily["region_code"].tolist() == ["53"]
    check = _quality(report, "gas_unknown_region")
    assert check["keys"] == ["Atlantide"] and check["rows"] == 1


def _half_hours(day: str, code: str, mw: float) -> pd.DataFrame:
    local = pd.date_range(day, periods=50, freq="30min", tz="Europe/Paris")
    local = local[local.normalize() == pd.Timestamp(day, tz="Europe/Paris")]
    return pd.DataFrame(
        {
            "region_code": code,
            "region": "Île-de-France",
            "timestamp_utc": local.tz_convert("UTC"),
            "electricity_rte_mw": mw,
            "datetime_local": local.astype(str),
        }
    )


@pytest.mark.parametrize(
    ("day", "half_hours"), [("2023-03-26", 46), ("2023-06-01", 48), ("2023-10-29", 50)]
)
def test_electricity_is_half_hour_mw_times_half_an_hour_on_dst_days(day, half_hours, fusion_params):
    raw = _half_hours(day, "11", 1000.0)
    daily, _ = build_daily_consumption(pd.DataFrame(), raw, fusion_params)
    row = _day(daily, "11", day)
    assert row["electricity_consumption_mwh"] == pytest.approx(1000.0 * 0.5 * half_hours)
    assert bool(row["is_complete"])


def test_electricity_missing_half_hour_and_duplicates(fusion_params):
    raw = _half_hours("2023-06-01", "11", 1000.0)
    raw = pd.concat([raw.iloc[1:], raw.iloc[[5]]], ignore_index=True)  # one missing, one doubled
    daily, report = build_daily_consumption(pd.DataFrame(), raw, fusion_params)
    row = _day(daily, "11", "2023-06-01")
    assert np.isnan(row["electricity_consumption_mwh"]) and not bool(row["is_complete"])
    assert _quality(report, "electricity_partial_day")["keys"] == ["11|2023-06-01"]
    assert _quality(report, "electricity_duplicated_half_hours")["unmatched_keys"] == 1


def test_an_unknown_partial_day_policy_is_a_clear_error(empty_consumption, fusion_params):
    raw = pd.DataFrame([load_curve_row("2022-01-01", "bretagne", "GRTgaz", 10.0)])
    with pytest.raises(ValueError, match="partial_day_policy.*'drop'"):
        build_daily_consumption(
            raw, empty_consumption, {**fusion_params, "partial_day_policy": "drop"}
        )


def test_a_window_of_days_is_judged_against_the_operators_of_the_whole_history(
    empty_consumption, fusion_params
):
    """An incremental run reads a window of days: an operator seen only before it is still
    expected (as in a full run), from the whole table's operators."""
    history = pd.DataFrame(
        [
            load_curve_row("2022-02-01", "occitanie", "GRTgaz", 30.0),
            load_curve_row("2022-02-01", "Occitanie", "TIGF", 10.0),  # Teréga's former name
            load_curve_row("2022-02-02", "occitanie", "GRTgaz", 30.0),
        ]
    )
    operators = gas_operators_by_region(history, fusion_params)
    assert operators == {"76": {"GRTgaz", "Teréga"}}
    window = history.iloc[[2]]
    alone, _ = daily_regional_consumption(window, empty_consumption, fusion_params)
    assert bool(_day(alone, "76", "2022-02-02")["is_complete"])  # the window sees one operator
    judged, _ = daily_regional_consumption(window, empty_consumption, fusion_params, operators)
    full, _ = daily_regional_consumption(history, empty_consumption, fusion_params)
    for daily in (judged, full):
        assert not bool(_day(daily, "76", "2022-02-02")["is_complete"])
