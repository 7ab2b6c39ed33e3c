"""The model pipelines end to end on the small sample (4 regions × 2021–2023), through
KedroSession after the real ETL and fusion runs, and their MLflow tracking."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .conftest import OPERATIONAL_MODELS, ChainRun

pytestmark = pytest.mark.slow

REGIONS = {"11", "53", "75", "84"}
WHATIF_MODELS = ("whatif_weather_catboost", "whatif_movements_rf")
MODELS = (*OPERATIONAL_MODELS, *WHATIF_MODELS)
BASELINES = (
    "baseline_persistence",
    "baseline_seasonal_naive_weekly",
    "baseline_seasonal_naive_yearly",
    "baseline_hdd_linear",
)
SCOPES = {
    "day_ahead_gas_regional": "gas_regional",
    "day_ahead_electricity_regional": "electricity_regional",
    "day_ahead_electricity_national": "electricity_national",
}


def _metric(metrics: pd.DataFrame, model: str, split: str, metric: str) -> float:
    row = metrics[
        (metrics["model"] == model) & (metrics["split"] == split) & (metrics["metric"] == metric)
    ]
    assert len(row) == 1, f"no {model}/{split}/{metric} in model_metrics"
    return float(row["value"].iloc[0])


def test_anomaly_output_covers_every_region_day(model_chain: ChainRun) -> None:
    anomalies = model_chain.table("consumption_anomalies")
    index = model_chain.table("meteo_consommation")
    assert set(anomalies.columns) >= {
        "region_code",
        "day",
        "region",
        "anomaly_score",
        "is_anomaly",
        "top_feature",
    }
    assert len(anomalies) == len(index)  # every region-day with a value is scored
    assert not anomalies.duplicated(["region_code", "day"]).any()
    share = anomalies["is_anomaly"].astype(bool).mean()
    assert 0.002 < share < 0.03  # contamination 0.01
    assert anomalies["anomaly_score"].notna().all()


def test_anomaly_detection_finds_the_injected_anomalies(model_chain: ChainRun) -> None:
    """Recall on the labelled anomalies the indices can show.

    Injected spikes (×1.4–1.8) and drops (×0.3–0.6) move a day's consumption by 40 % or more
    where the weather-adjusted day-to-day noise is a few percent (tens of robust standard
    deviations), and a flat gas profile is far from every normal hourly profile: a working
    detector finds them all. Electricity "flat" labels change only the hourly electricity
    profile, which no index holds, so they are excluded (``recall_detectable``). The bound 0.75
    allows one miss out of the four detectable labels of this sample.
    """
    metrics = model_chain.table("model_metrics")
    assert _metric(metrics, "anomaly_isolationforest", "validation", "labelled_detectable") >= 3
    assert _metric(metrics, "anomaly_isolationforest", "validation", "recall_detectable") >= 0.75


def test_region_clusters(model_chain: ChainRun) -> None:
    clusters = model_chain.table("region_clusters")
    assert set(clusters["algorithm"]) == {"kmeans", "dbscan"}
    for algorithm, group in clusters.groupby("algorithm"):
        assert set(group["region_code"]) == REGIONS, algorithm
    kmeans = clusters[clusters["algorithm"] == "kmeans"]
    assert 2 <= kmeans["cluster"].nunique() <= 3
    metrics = model_chain.table("model_metrics")
    k = int(_metric(metrics, "clustering_kmeans", "all", "n_clusters"))
    sizes = [_metric(metrics, "clustering_kmeans", "all", f"size_cluster_{c}") for c in range(k)]
    assert sum(sizes) == 4
    assert -1 <= _metric(metrics, "clustering_kmeans", "all", "silhouette") <= 1
    assert _metric(metrics, "clustering_dbscan", "all", "eps") > 0


def test_forecasting_metrics_and_forecasts(model_chain: ChainRun) -> None:
    metrics = model_chain.table("model_metrics")
    for model, scope in SCOPES.items():
        names = [model, f"{model}_oracle_weather", f"{model}_no_weather"]
        names += [f"{baseline}_{scope}" for baseline in BASELINES]
        for name in names:
            for metric in ("mae", "rmse", "mape", "bias"):
                assert np.isfinite(_metric(metrics, name, "test", metric)), (name, metric)
        assert np.isfinite(_metric(metrics, model, "validation", "mape"))
        # the sample's weather forecasts cover every test day: the weather model serves them
        assert _metric(metrics, model, "test", "forecast_basis_pct") == 100.0
        # coverage counted on the data, somewhere around the calibrated 80 %
        assert 50 <= _metric(metrics, model, "test", "coverage_pct") <= 97
        # honest forecasts beat the last published day, and the observed weather helps
        served = _metric(metrics, model, "test", "mape")
        assert served < _metric(metrics, f"baseline_persistence_{scope}", "test", "mape")
        assert _metric(metrics, f"{model}_oracle_weather", "test", "mape") < served
    for model in WHATIF_MODELS:
        assert np.isfinite(_metric(metrics, model, "test", "mape"))

    forecasts = model_chain.table("consumption_forecasts")
    leads = 7 + 1  # the issue day (the day after the data) and the 7 days after it
    assert len(forecasts) == (2 * len(REGIONS) + 1) * leads
    assert set(forecasts["model"]) == set(OPERATIONAL_MODELS)
    assert set(forecasts.loc[forecasts["scope"] == "national", "region_code"]) == {"FR"}
    assert (forecasts["consumption_mwh_predicted"] > 0).all()
    assert (forecasts["consumption_mwh_p10"] <= forecasts["consumption_mwh_predicted"]).all()
    assert (forecasts["consumption_mwh_predicted"] <= forecasts["consumption_mwh_p90"]).all()
    assert pd.to_datetime(forecasts["day"]).min() == pd.Timestamp("2024-01-01")
    assert set(forecasts["weather_basis"]) == {"forecast", "no_weather"}
    with_weather = forecasts[forecasts["weather_basis"] == "forecast"]
    # the sample's last forecast was issued on its last day (2023-12-31), for 7 days
    assert pd.to_datetime(with_weather["weather_issue_day"]).max() == pd.Timestamp("2023-12-31")
    assert set(forecasts["unit"]) == {"MWh PCS 0°C/jour", "MWh/jour"}


def test_no_training_day_after_a_test_day(model_chain: ChainRun) -> None:
    from mlflow.tracking import MlflowClient

    backtest = pd.read_parquet(
        model_chain.data_dir / "07_model_output" / "forecast_backtest.parquet"
    )
    first_test_day = pd.to_datetime(backtest["day"]).min()
    client = MlflowClient(model_chain.tracking_uri)
    experiment = client.get_experiment_by_name("energiewatch")
    for model in MODELS:
        runs = client.search_runs([experiment.experiment_id], f"tags.model_key = '{model}'")
        assert runs, model
        last_training_day = pd.Timestamp(runs[0].data.params["train_last_day"])
        assert last_training_day < first_test_day, model


def test_mlflow_runs_params_metrics_and_registered_models(model_chain: ChainRun) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(model_chain.tracking_uri, registry_uri=model_chain.tracking_uri)
    experiment = client.get_experiment_by_name("energiewatch")
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert {r.data.tags["kedro.pipeline"] for r in parents} == {
        "anomaly_detection",
        "clustering",
        "forecasting",
    }  # ETL and fusion create no empty runs
    forecasting_parent = next(r for r in parents if r.data.tags["kedro.pipeline"] == "forecasting")
    assert forecasting_parent.info.status == "FINISHED"
    assert forecasting_parent.data.tags["kedro.run_id"]
    assert "baseline_persistence_gas_regional.test_mape" in forecasting_parent.data.metrics
    children = [
        r for r in runs if r.data.tags.get("mlflow.parentRunId") == forecasting_parent.info.run_id
    ]
    assert {r.data.tags["model_key"] for r in children} == set(MODELS)
    for child in children:
        assert child.data.params["features"]
        assert {"validation_mape", "test_mape", "test_bias"} <= set(child.data.metrics)
    day_ahead = next(r for r in children if r.data.tags["model_key"] == "day_ahead_gas_regional")
    assert day_ahead.data.params["catboost.iterations"] == "60"
    assert day_ahead.data.params["noisy_weather_copies"] == "2"  # parameters_forecasting.yml
    assert "test_coverage_pct" in day_ahead.data.metrics
    assert "day_ahead_gas_regional_oracle_weather.test_mape" in forecasting_parent.data.metrics
    if "training_energy_kwh" in day_ahead.data.metrics:  # the carbon hook measured the node
        assert day_ahead.data.metrics["training_energy_kwh"] >= 0
    for name in (
        "energiewatch-day-ahead-gas-regional",
        "energiewatch-day-ahead-electricity-regional",
        "energiewatch-day-ahead-electricity-national",
        "energiewatch-whatif-weather-catboost",
        "energiewatch-whatif-movements-rf",
        "energiewatch-anomaly-isolationforest",
        "energiewatch-clustering-kmeans",
    ):
        champion = client.get_model_version_by_alias(name, "champion")
        assert str(champion.version) == "1"
        assert champion.tags["selection_metric"] in {"mape", "f1", "silhouette"}
    # the forecasts say what they are without the code
    gas = client.get_registered_model("energiewatch-day-ahead-gas-regional")
    assert "MWh PCS 0°C" in gas.description and "D-1" in gas.description
    assert gas.tags["unit"] == "MWh PCS 0°C/jour" and gas.tags["energy"] == "gas"
    version = client.get_model_version("energiewatch-day-ahead-gas-regional", "1")
    assert version.tags["train_last_day"] < "2023-01-01"
    assert float(version.tags["test_mape"]) > 0


def test_champion_model_reloaded_from_mlflow_predicts_what_the_pipeline_predicted(
    model_chain: ChainRun,
) -> None:
    from data_collection_kedro.modeling.features import model_input
    from data_collection_kedro.modeling.operational import OperationalSpec, day_ahead_rows
    from data_collection_kedro.tracking.models import load_registered_model

    backtest = pd.read_parquet(
        model_chain.data_dir / "07_model_output" / "forecast_backtest.parquet"
    )
    features = pd.read_parquet(
        model_chain.data_dir / "05_model_input" / "forecasting_features.parquet"
    )
    _, model = load_registered_model(
        "energiewatch-whatif-weather-catboost", model_chain.tracking_uri, alias="champion"
    )
    columns = model.metadata.get_input_schema().input_names()
    expected = backtest[backtest["model"] == "whatif_weather_catboost"]
    rows = features.assign(day=pd.to_datetime(features["day"]).dt.date).merge(
        expected[["region_code", "day", "predicted_mwh"]], on=["region_code", "day"]
    )
    assert len(rows) == len(expected) > 300
    np.testing.assert_array_equal(
        np.asarray(model.predict(model_input(rows, columns)), dtype=float),
        rows["predicted_mwh"].to_numpy(),
    )

    # the served gas forecast: the registered model on the day-ahead rows of the test period
    forecasting = _forecasting_params(model_chain)
    key = "day_ahead_gas_regional"
    spec = OperationalSpec.from_params(forecasting, forecasting["operational"][key])
    series = pd.read_parquet(model_chain.data_dir / "05_model_input" / "forecasting_series.parquet")
    series = series[series["model_key"] == key].drop(columns="model_key")
    weather = pd.read_parquet(
        model_chain.data_dir / "05_model_input" / "forecasting_weather_evaluation.parquet"
    )
    expected = backtest[backtest["model"] == key]
    rows = day_ahead_rows(series, spec, weather)
    rows = rows.assign(day=rows["day"].dt.date).merge(
        expected[["region_code", "day", "predicted_mwh"]], on=["region_code", "day"]
    )
    assert len(rows) == len(expected) > 300
    _, model = load_registered_model(
        "energiewatch-day-ahead-gas-regional", model_chain.tracking_uri, alias="champion"
    )
    columns = model.metadata.get_input_schema().input_names()
    np.testing.assert_allclose(
        np.asarray(model.predict(model_input(rows, columns)), dtype=float),
        rows["predicted_mwh"].to_numpy(),
    )


def _forecasting_params(model_chain: ChainRun) -> dict:
    import yaml

    from tests.support.paths import KEDRO_PROJECT

    params = yaml.safe_load((KEDRO_PROJECT / "conf/base/parameters_forecasting.yml").read_text())
    return params["forecasting"]


def test_forecast_next_days_skips_a_series_without_consumption(model_chain: ChainRun) -> None:
    """Corse has no gas network: its target is empty and it gets no forecast (no crash)."""
    from data_collection_kedro.modeling.artifacts import load_artifact
    from data_collection_kedro.pipelines.forecasting.nodes import forecast_next_days

    series = pd.read_parquet(model_chain.data_dir / "05_model_input" / "forecasting_series.parquet")
    weather = pd.read_parquet(
        model_chain.data_dir / "05_model_input" / "forecasting_weather_served.parquet"
    )
    gas = series[series["model_key"] == "day_ahead_gas_regional"]
    corse = gas[gas["region_code"] == "11"].assign(
        region_code="94", region="Corse", target_mwh=float("nan")
    )
    artifact = load_artifact(model_chain.data_dir / "06_models" / "day_ahead_gas_regional")
    params = {**_forecasting_params(model_chain), "horizon_days": 3}
    forecasts = forecast_next_days(pd.concat([gas, corse]), weather, params, None, artifact)
    assert "94" not in set(forecasts["region_code"])
    assert set(forecasts["region_code"]) == REGIONS
    assert len(forecasts) == 4 * len(REGIONS)
    assert forecasts["consumption_mwh_predicted"].notna().all()


def test_the_stored_day_ahead_tables_give_what_a_full_computation_gives(
    model_chain: ChainRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The evaluation writes each operational model's day-ahead table; the next evaluation and
    the served forecasts (the adaptive band's own forecasts) take its rows still valid. The
    metrics, backtest and served forecasts are the same with the stored tables as without, and
    as the run stored; tables built with other weather forecasts (``simulated``) are not taken
    for the served ones."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    from data_collection_kedro.pipelines.forecasting.nodes import (
        evaluate_models,
        forecast_next_days,
    )
    from data_collection_kedro.pipelines.forecasting.pipeline import (
        OPERATIONAL_KEYS,
        WHATIF_KEYS,
    )
    from tests.support.paths import KEDRO_PROJECT

    monkeypatch.setenv("ENERGIEWATCH_DATA_DIR", str(model_chain.data_dir))
    bootstrap_project(KEDRO_PROJECT)
    with KedroSession.create(project_path=KEDRO_PROJECT, runtime_params=model_chain.params) as s:
        context = s.load_context()
        catalog, params = context.catalog, context.params
        load = catalog.load
        operational = [load(f"{key}_model") for key in OPERATIONAL_KEYS]
        whatif = [load(f"{key}_model") for key in WHATIF_KEYS]
        inputs = [load(name) for name in ("forecasting_features", "forecasting_series")]
        evaluation_weather = load("forecasting_weather_evaluation")
        served_weather = load("forecasting_weather_served")
        stored = load("forecasting_day_ahead_previous")
    forecasting, evaluation = params["forecasting"], params["forecast_evaluation"]
    assert evaluation["weather"] == "forecast_index"
    assert list(stored) == ["tables"]
    common = (evaluation_weather, forecasting, evaluation)
    metrics, backtest, tables = evaluate_models(*inputs, *common, None, *operational, *whatif)
    assert set(tables["model_key"]) == set(OPERATIONAL_KEYS)
    with_store = evaluate_models(*inputs, *common, stored, *operational, *whatif)
    pd.testing.assert_frame_equal(with_store[2], tables, check_exact=True)
    for computed, taken in zip((metrics, backtest), with_store[:2], strict=True):
        # to the bit, but the random forest's predictions (its trees are summed by two threads
        # in either order: the last bits differ from one call to the next, store or not)
        forest = computed["model"] == "whatif_movements_rf"
        pd.testing.assert_frame_equal(taken[~forest], computed[~forest], check_exact=True)
        pd.testing.assert_frame_equal(taken, computed, rtol=1e-9)

    series = inputs[1]
    shared = forecast_next_days(series, served_weather, forecasting, tables, *operational)
    alone = forecast_next_days(series, served_weather, forecasting, None, *operational)
    pd.testing.assert_frame_equal(shared, alone, check_exact=True)
    run = model_chain.table("consumption_forecasts")
    key = ["model", "region_code", "day"]
    merged = run.merge(shared.astype({"day": run["day"].dtype}), on=key, suffixes=("", "_"))
    assert len(merged) == len(run) == len(shared)
    for column in ("consumption_mwh_p10", "consumption_mwh_predicted", "consumption_mwh_p90"):
        np.testing.assert_array_equal(merged[column], merged[f"{column}_"])

    simulated = {**evaluation, "weather": "simulated"}
    simulated_weather = evaluation_weather.assign(temp_mean_c=evaluation_weather["temp_mean_c"] + 2)
    *_, other = evaluate_models(
        *inputs, simulated_weather, forecasting, simulated, None, *operational, *whatif
    )
    served = forecast_next_days(series, served_weather, forecasting, other, *operational)
    pd.testing.assert_frame_equal(served, alone, check_exact=True)


def test_predict_one_region_and_day_from_the_stores(model_chain: ChainRun) -> None:
    """``forecast.predict``: one call, the registered champion, features from the stores; the
    served table and the backtest give the same numbers for the same issue."""
    from data_collection_kedro.forecast import predict

    served = model_chain.table("consumption_forecasts")
    served = served[
        (served["model"] == "day_ahead_gas_regional")
        & (served["region_code"] == "84")
        & (pd.to_datetime(served["day"]) == pd.Timestamp("2024-01-02"))
    ].iloc[0]
    out = predict(region="84", day="2024-01-02", energy="gas")
    assert (out["issue_day"], out["lead_days"], out["weather_basis"]) == (
        "2024-01-01",
        1,
        "forecast",
    )
    assert out["weather_issue_day"] == "2023-12-31"  # the latest forecast known on the issue day
    assert out["unit"] == "MWh PCS 0°C/jour" and out["model_version"] == "1"
    assert out["p50"] == pytest.approx(served["consumption_mwh_predicted"])
    assert out["p10"] == pytest.approx(served["consumption_mwh_p10"])
    assert out["p90"] == pytest.approx(served["consumption_mwh_p90"])
    assert out["actual_mwh"] is None

    # a past day: issued the day before, as the test backtest forecast it
    backtest = pd.read_parquet(
        model_chain.data_dir / "07_model_output" / "forecast_backtest.parquet"
    )
    row = backtest[
        (backtest["model"] == "day_ahead_gas_regional")
        & (backtest["region_code"] == "84")
        & (pd.to_datetime(backtest["day"]) == pd.Timestamp("2023-11-15"))
    ].iloc[0]
    past = predict(region="84", day="2023-11-15", energy="gas")
    assert past["issue_day"] == "2023-11-14"
    assert past["p50"] == pytest.approx(row["predicted_mwh"])
    assert past["actual_mwh"] == pytest.approx(row["actual_mwh"])

    # France, beyond the last weather forecast: the no-weather model, said so
    far = predict(region="FR", day="2024-01-08", energy="electricity")
    assert (far["weather_basis"], far["lead_days"], far["region"]) == (
        "no_weather",
        7,
        "France métropolitaine",
    )
    assert far["p10"] <= far["p50"] <= far["p90"]
    with pytest.raises(ValueError, match="national gas"):
        predict(region="FR", day="2024-01-02", energy="gas")
    with pytest.raises(ValueError, match="INSEE region code"):
        predict(region="99", day="2024-01-02", energy="gas")


def test_models_are_stored_without_pickle_under_the_data_folder(model_chain: ChainRun) -> None:
    """The Kedro model datasets and MLflow's artifacts: code-free formats, in the data folder."""
    from mlflow import MlflowClient

    models = model_chain.data_dir / "06_models"
    files = [p for p in models.rglob("*") if p.is_file()]
    assert files and {p.suffix for p in files} <= {".json", ".parquet", ".cbm", ".bin"}
    client = MlflowClient(tracking_uri=model_chain.tracking_uri)
    artifacts = (model_chain.data_dir / "mlartifacts").resolve().as_uri()
    experiment = client.get_experiment_by_name("energiewatch")
    assert experiment.artifact_location.startswith(artifacts), experiment.artifact_location
    for run in client.search_runs([e.experiment_id for e in client.search_experiments()]):
        assert run.info.artifact_uri.startswith(artifacts), run.info.artifact_uri
    logged = [p for p in (model_chain.data_dir / "mlartifacts").rglob("*") if p.is_file()]
    assert any(p.suffix == ".cbm" for p in logged)
    assert any(p.name == "arrays.bin" for p in logged)  # the forests' and KMeans' arrays
    assert not [p for p in logged if p.suffix in {".pkl", ".pickle"}]


def test_dashboard_loads_champions_after_the_hook_ran_in_this_process(
    model_chain: ChainRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The MLflow hook ran the pipelines in this process (model_chain); the dashboard's service
    code then loads every champion it serves through its explicit MLflow client."""
    import streamlit as st

    from dashboard_ui import services

    before, after = model_chain.mlflow_state
    assert after == before  # the hook set no process-wide MLflow URI
    monkeypatch.setenv("ENERGIEWATCH_DATA_DIR", str(model_chain.data_dir))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", model_chain.tracking_uri)
    monkeypatch.delenv("KEDRO_ENV", raising=False)
    st.cache_resource.clear()
    inputs = model_chain.data_dir / "05_model_input"
    for key, file in (
        ("weather", "forecasting_features"),
        ("movements", "forecasting_features"),
        ("anomaly", "anomaly_features"),
    ):
        champion = services.champion(key)
        assert champion.version == "1"
        columns = [c.name for c in champion.input_columns]
        rows = pd.read_parquet(inputs / f"{file}.parquet").dropna(subset=columns).head(20)
        rows["region_code"] = rows["region_code"].astype(str).astype(object)
        predicted = np.asarray(champion.model.predict(champion.frame(rows)), dtype=float)
        assert len(predicted) == len(rows) == 20 and np.isfinite(predicted).all()


def test_usage_footprint_uses_the_measured_inference_node(
    model_chain: ChainRun,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The usage CLI reads the carbon hook's measurement of the chain's inference node by
    default (not the configured fallback) and says which run it used."""
    from data_collection_kedro.carbon.files import MEASURED
    from data_collection_kedro.usage.__main__ import main
    from data_collection_kedro.usage.config import MeasuredProfile, load_usage_config

    config = load_usage_config()
    profile = config.profiles["forecast_day_ahead"]
    assert isinstance(profile, MeasuredProfile)
    spec = config.measured_models[profile.model]
    nodes = pd.read_csv(model_chain.data_dir / "09_carbon" / "emissions_nodes.csv")
    measured = nodes[
        (nodes["node"] == spec.inference_node)
        & nodes["measurement"].isin(sorted(MEASURED))
        & (nodes["status"] == "ok")
    ]
    assert not measured.empty, "the carbon hook measured no run of the inference node"
    latest = measured.iloc[-1]
    monkeypatch.setenv("ENERGIEWATCH_DATA_DIR", str(model_chain.data_dir))
    monkeypatch.delenv("ENERGIEWATCH_CARBON_DIR", raising=False)
    analytics = tmp_path / "analytics.csv"
    analytics.write_text("day,profile,requests\n2024-05-01,forecast_day_ahead,1000\n")
    assert main(["usage-footprint", str(analytics), "--json"]) == 0
    profile = json.loads(capsys.readouterr().out)["profiles"][0]
    assert profile["basis"].startswith(
        f"measured: node {spec.inference_node} run {latest['run_id']}"
    )
    assert profile["assumptions"]["it_energy_per_prediction_kwh"] == pytest.approx(
        float(latest["energy_kwh"]) / spec.predictions_per_run
    )
