"""Focused units of what the pages compute: French formats, freshness, forecasts, anomalies,
clusters, fuel prices and the list of runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard_ui import forecasts
from dashboard_ui import formatting as fr
from dashboard_ui.freshness import assess
from dashboard_ui.runs import latest_runs
from dashboard_ui.tables import (
    anomaly_details,
    cluster_summary,
    dbscan_noise,
    ranked_anomalies,
    regional_fuel_prices,
)
from data_collection_kedro.modeling.clustering import PROFILE_COLUMNS
from data_collection_kedro.modeling.metrics import versus_best_baseline
from data_collection_kedro.sources import registry


def test_french_formats() -> None:
    assert fr.number(1234567.891, 1) == "1\u202f234\u202f567,9"
    assert fr.number(-12.5, 1, signed=True) == "\u221212,5"
    assert fr.percent(4.239) == "4,2\u00a0%"
    assert fr.share(0.117) == "12\u00a0%"
    assert fr.quantity(None, "MWh/jour") == "—"
    assert fr.duration(216) == "3\u00a0min\u00a036\u00a0s"
    assert fr.long_day("2024-12-31") == "mardi 31 décembre 2024"
    assert fr.day(pd.Timestamp("2024-02-05 13:00")) == "05/02/2024"
    # stored times are UTC: shown in French time (winter +1 h, summer +2 h)
    assert fr.timestamp(pd.Timestamp("2024-02-05 08:36", tz="UTC")) == "05/02/2024 09:36"
    assert fr.timestamp(pd.Timestamp("2024-07-05 08:36", tz="UTC")) == "05/07/2024 10:36"
    with pytest.raises(KeyError, match="no French label for column"):
        fr.display_table(pd.DataFrame({"raw_column": [1]}))
    shown = fr.display_table(pd.DataFrame({"day": ["2024-01-02"]}), formats={"day": fr.day})
    assert list(shown.columns) == ["Jour"] and shown.iloc[0, 0] == "02/01/2024"


def test_anomaly_tables_name_the_unit_of_their_energy() -> None:
    rows = pd.DataFrame(
        {
            "region": ["Bretagne", "Bretagne"],
            "day": pd.to_datetime(["2024-01-02", "2024-01-03"]),
            "energy": ["gas", "gas"],
            "actual_mwh": [1234.0, 900.0],
            "expected_mwh": [1000.0, 950.0],
        }
    )
    columns = ["region", "actual_mwh", "expected_mwh"]
    gas = fr.anomaly_table(rows, columns)
    assert list(gas.columns) == [
        "Région",
        "Réel (MWh PCS 0°C/jour)",
        "Attendu (MWh PCS 0°C/jour)",
    ]
    assert gas.iloc[0, 1] == "1\u202f234"
    mixed = fr.anomaly_table(rows.assign(energy=["gas", "electricity"]), columns)
    assert list(mixed.columns) == ["Région", "Réel (MWh/jour)", "Attendu (MWh/jour)"]


def test_freshness_from_the_declarations() -> None:
    sources = {s.name: s for s in registry.sources()}
    now = dt.datetime(2025, 1, 20, 9, 0)
    newest = {
        # a daily series one day late: expected up to D-1 (lag 1) minus one day of grace
        ("raw_consumption_regional", "date"): dt.date(2025, 1, 17),
        ("raw_consumption_regional", "_ingested_at"): dt.datetime(2025, 1, 20, 6, 0),
        # strikes: judged on the last ingestion against its weekly schedule
        ("raw_strikes", "start_date"): dt.date(2024, 11, 2),
        ("raw_strikes", "_ingested_at"): dt.datetime(2025, 1, 13, 7, 0),
    }

    def read(table: str, column: str) -> object:
        if table == "raw_fuel_prices":
            raise OSError("database is locked")
        return newest.get((table, column))

    params = {"default_lag_days": 1, "grace_days": 1, "judged_on_ingestion": ["strikes"]}
    chosen = [sources[n] for n in ("consumption_regional", "strikes", "fuel_prices", "holidays")]
    rows = {r.source: r for r in assess(chosen, read, now, params)}
    consumption = rows["consumption_regional"]
    assert consumption.lag_days == sources["consumption_regional"].publication_lag_days == 1
    assert (consumption.late_days, consumption.is_late) == (1, True)
    assert rows["strikes"].judged_on == "ingestion" and rows["strikes"].late_days == 0
    assert rows["fuel_prices"].error is not None and rows["fuel_prices"].is_late
    assert rows["holidays"].late_days is None  # never ingested: late, and said so


def test_served_forecasts_leave_what_if_models_out_and_sum_france() -> None:
    table = pd.DataFrame(
        {
            "region_code": ["11", "53", "11", "53", "11"],
            "region": ["a", "b", "a", "b", "a"],
            "day": ["2025-01-01"] * 4 + ["2025-01-02"],
            "model": ["day_ahead", "day_ahead", "whatif_x", "whatif_x", "day_ahead"],
            "energy": "gas",
            "predicted_mwh": [100.0, 50.0, 1.0, 1.0, 110.0],
            "actual_mwh": [90.0, 55.0, 90.0, 55.0, 100.0],
            "weather_basis": "forecast",
        }
    )
    served = forecasts.normalise(table)  # a backtest without its band
    assert set(served["model"]) == {"day_ahead"} and set(served["energy"]) == {"gas"}
    assert served["actual"].tolist() == [90.0, 55.0, 100.0]
    france, note = forecasts.scope_forecast(served, "gas", None, ["11", "53"])
    # only the day every region is forecast is summed
    assert france["p50"].tolist() == [150.0] and "somme" in (note or "")
    assert not forecasts.has_band(served)
    with_band = forecasts.normalise(table.assign(p10_mwh=90.0, p90_mwh=120.0))
    assert forecasts.has_band(with_band)


def test_anomaly_details_expected_is_the_median_of_the_neighbours() -> None:
    days = pd.date_range("2024-01-01", periods=3)
    anomalies = pd.DataFrame(
        {
            "region_code": "11",
            "region": "Île-de-France",
            "day": days,
            "anomaly_score": [0.4, 0.9, 0.7],
            "is_anomaly": [False, True, True],
            "top_feature": ["x", "temperature_residual_gas", "temperature_residual_electricity"],
        }
    )
    meteo = pd.DataFrame(
        {
            "region_code": "11",
            "day": days.date,
            "gas_consumption_mwh": [100.0, 300.0, 100.0],
            "electricity_consumption_mwh": [50.0, 50.0, 80.0],
            "temp_mean_c": [5.0, 4.0, 6.0],
        }
    )
    features = pd.DataFrame(
        {
            "region_code": "11",
            "day": days,
            "daily_total_ratio_gas": [1.0, 3.0, 1.0],
            "daily_total_ratio_electricity": [1.0, 1.0, 1.6],
        }
    )
    details = anomaly_details(anomalies, features, meteo)
    assert details.loc[1, "expected_gas"] == pytest.approx(100.0)
    assert details.loc[1, "gap_pct_gas"] == pytest.approx(200.0)
    assert details["severity_rank"].tolist()[1:] == [1, 2]
    ranked = ranked_anomalies(details)
    assert ranked["energy"].tolist() == ["gas", "electricity"]  # the explaining energy
    assert ranked["expected_mwh"].tolist() == pytest.approx([100.0, 50.0])


def test_clusters_are_described_and_dbscan_noise_explained() -> None:
    rng = np.random.default_rng(0)
    base = np.ones(len(PROFILE_COLUMNS))
    profiles = pd.DataFrame(
        [base + rng.normal(0, 0.01, len(base)) for _ in range(3)] + [base * 1.5],
        columns=PROFILE_COLUMNS,
    ).assign(region_code=["11", "24", "27", "93"], region=["A", "B", "C", "D"])
    clusters = pd.DataFrame(
        {
            "region_code": ["11", "24", "27", "93"],
            "region": ["A", "B", "C", "D"],
            "cluster": [0, 0, 0, -1],
        }
    )
    noise = dbscan_noise(clusters, profiles, eps=0.1, min_samples=2)
    assert noise["region"].tolist() == ["D"]
    assert noise.loc[0, "nearest_distance"] > 0.1  # farther than eps from every profile
    meteo = pd.DataFrame(
        {
            "region_code": ["11", "93"],
            "gas_consumption_mwh": [10.0, 30.0],
            "temp_mean_c": [5.0, 9.0],
        }
    )
    summary = cluster_summary(clusters, profiles, meteo, "gas_consumption_mwh")
    assert summary["region_count"].tolist() == [1, 3]
    assert "aucun groupe" in summary.loc[0, "description"]


def test_regional_fuel_price_weights_departments_by_stations() -> None:
    prices = pd.DataFrame(
        {
            "day": ["2024-01-01", "2024-01-01"],
            "region_code": ["11", "11"],
            "region": ["Île-de-France"] * 2,
            "fuel": ["Gazole"] * 2,
            "price_min_eur_l": [1.6, 1.7],
            "price_median_eur_l": [1.7, 1.9],
            "price_max_eur_l": [1.8, 2.0],
            "station_count": [30, 10],
            "shortage_count": [1, 2],
        }
    )
    row = regional_fuel_prices(prices).iloc[0]
    assert row["price_median_eur_l"] == pytest.approx((1.7 * 30 + 1.9 * 10) / 40)
    assert (row["station_count"], row["shortage_count"]) == (40, 3)


def test_versus_best_baseline() -> None:
    metrics = pd.DataFrame(
        {
            "model": ["m", "baseline_a", "baseline_b"],
            "split": "test",
            "metric": "mape",
            "value": [5.0, 20.0, 10.0],
        }
    )
    row = versus_best_baseline(metrics).iloc[0]
    assert (row["best_baseline"], row["gain_pct"]) == ("baseline_b", pytest.approx(50.0))
    assert versus_best_baseline(metrics[metrics["model"] == "m"]).empty


def test_each_model_is_compared_with_the_baselines_of_its_series() -> None:
    values = {
        "day_ahead_gas_regional": 7.6,
        "day_ahead_gas_regional_no_weather": 19.5,
        "day_ahead_electricity_national": 1.2,
        "whatif_weather_catboost": 6.8,
        "baseline_persistence_gas_regional": 9.0,
        "baseline_seasonal_naive_weekly_gas_regional": 12.0,
        "baseline_seasonal_naive_yearly_electricity_national": 4.2,
    }
    metrics = pd.DataFrame(
        {"model": list(values), "split": "test", "metric": "mape", "value": list(values.values())}
    )
    compared = versus_best_baseline(metrics).set_index("model")
    assert compared.loc["day_ahead_gas_regional", "best_baseline"] == (
        "baseline_persistence_gas_regional"
    )
    assert compared.loc["day_ahead_gas_regional_no_weather", "baseline_value"] == 9.0
    assert compared.loc["day_ahead_electricity_national", "gain_pct"] == pytest.approx(
        100 * (4.2 - 1.2) / 4.2
    )
    # a what-if model forecasts no series of its own: no baseline to beat, said so
    assert pd.isna(compared.loc["whatif_weather_catboost", "best_baseline"])
    assert pd.isna(compared.loc["whatif_weather_catboost", "gain_pct"])


def test_a_run_is_listed_once(tmp_path: Path) -> None:
    summaries, carbon = tmp_path / "runs", tmp_path / "carbon"
    summaries.mkdir()
    carbon.mkdir()
    local = dt.datetime.now().astimezone().tzinfo
    start = dt.datetime(2025, 1, 1, 6, 0, tzinfo=local)
    (summaries / "r1.json").write_text(
        json.dumps(
            {
                "run_id": "r1",
                "pipeline": "etl_pipeline",
                "status": "ok",
                "started_at": start.isoformat(),
                "ended_at": (start + dt.timedelta(seconds=60)).isoformat(),
                "energy": {"duration_s": 60.0, "energy_kwh": 0.001, "emissions_kg": 0.0001},
            }
        ),
        encoding="utf-8",
    )
    # CodeCarbon's rows: the same run (local time, no zone) and an older run without summary
    pd.DataFrame(
        {
            "timestamp": [
                (start + dt.timedelta(seconds=59)).strftime("%Y-%m-%dT%H:%M:%S"),
                (start - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S"),
            ],
            "run_id": ["cc-1", "cc-0"],
            "duration": [58.0, 30.0],
            "emissions": [0.0001, 0.00005],
            "energy_consumed": [0.001, 0.0005],
        }
    ).to_csv(carbon / "emissions_etl_pipeline.csv", index=False)
    runs = latest_runs(summaries, carbon)
    assert runs["run_id"].tolist() == ["r1", "cc-0"]
    assert runs["status"].tolist() == ["ok", "ok"]


def test_each_scope_reads_its_own_model_of_the_forecasting_contract() -> None:
    """The operational forecasts: one model per energy and scope, national rows ``FR``,
    quantile columns and the weather basis (docs/data-contracts.md, consumption_forecasts)."""
    rows = []
    for model, energy, code in (
        ("day_ahead_electricity_national", "electricity", "FR"),
        ("day_ahead_electricity_regional", "electricity", "11"),
        ("day_ahead_gas_regional", "gas", "11"),
        ("day_ahead_gas_regional", "gas", "53"),
    ):
        rows.append(
            {
                "region_code": code,
                "region": code,
                "day": "2025-01-01",
                "model": model,
                "energy": energy,
                "consumption_mwh_p10": 90.0,
                "consumption_mwh_predicted": 100.0 if code != "FR" else 1000.0,
                "consumption_mwh_p90": 120.0,
                "weather_basis": "forecast" if energy == "gas" else "no_weather",
            }
        )
    served = forecasts.normalise(pd.DataFrame(rows))
    france, note = forecasts.scope_forecast(served, "electricity", None, ["11", "53"])
    assert france["p50"].tolist() == [1000.0] and note is None  # the national model
    region, _ = forecasts.scope_forecast(served, "electricity", "11", ["11", "53"])
    assert region["p50"].tolist() == [100.0]  # the regional model, not the national one
    gas, note = forecasts.scope_forecast(served, "gas", None, ["11", "53"])
    assert gas[["p10", "p50", "p90"]].iloc[0].tolist() == [180.0, 200.0, 240.0]
    assert "somme des bornes" in (note or "")
    assert forecasts.forecasts_nationally([served], "electricity")
    assert not forecasts.forecasts_nationally([served], "gas")
    assert forecasts.basis_note(region) == (
        "prévisions sans prévision météo pour ce jour (modèle sans la météo du jour)"
    )


def test_model_labels_name_the_kind_the_series_and_the_variant() -> None:
    from dashboard_ui.views.monitoring import model_label

    assert model_label("day_ahead_electricity_national_oracle_weather") == (
        "Prévision J-1 (électricité, France ; avec la météo observée, borne haute)"
    )
    assert model_label("baseline_hdd_linear_gas_regional", with_series=False) == (
        "Référence : régression sur les DJU"
    )
    assert model_label("whatif_movements_rf").startswith("Scénario mouvements sociaux")
    assert model_label(None) == "—"


@pytest.mark.parametrize("most", [0, 1, 3, 17])
def test_count_maps_label_their_legend_with_distinct_whole_numbers(most: int) -> None:
    from dashboard_ui.charts import count_map

    chart = count_map(pd.DataFrame({"region_code": ["84", "11"], "count": [0, most]}), "t", "n")
    legends = [
        layer["encoding"]["color"]["legend"]
        for layer in chart.to_dict()["layer"]
        if "legend" in layer.get("encoding", {}).get("color", {})
    ]
    assert len(legends) == 1
    ticks = legends[0]["values"]
    assert ticks == sorted(set(ticks)) and all(isinstance(t, int) for t in ticks)
    assert ticks[0] == 0 and ticks[-1] == max(1, most)


def test_fusion_checks_say_which_days_they_counted() -> None:
    from dashboard_ui.tables import fusion_checks

    quality = pd.DataFrame(
        {
            "index": ["meteo_consommation", "prix_carburants_journalier", "old"],
            "check": ["index_rows", "index_rows", "index_rows"],
            "rows_in": [10, 20, 30],
            "rows_out": [10, 20, 30],
            "unmatched_keys": [0, 0, 0],
            "detail": [
                '{"scope": "whole history", "since": null}',
                '{"scope": "days from 2024-12-29 (incremental run; raw rows read from '
                '2024-11-01)", "since": "2024-12-29"}',
                '{"rows": 3}',
            ],
        }
    )
    covered = fusion_checks(quality)["covered"].tolist()
    assert covered[:2] == ["tout l'historique", "depuis le 29/12/2024 (exécution incrémentale)"]
    assert pd.isna(covered[2])  # written before the fusion recorded its days
