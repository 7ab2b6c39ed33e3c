"""The model pipelines end to end on the small sample (4 regions × 2021–2023), through
KedroSession after the real ETL and fusion runs, and their MLflow tracking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from .conftest import ChainRun

pytestmark = pytest.mark.slow

REGIONS = {"11", "53", "75", "84"}
MODELS = ("day_ahead_catboost", "whatif_weather_catboost", "whatif_movements_rf")
BASELINES = (
    "baseline_persistence",
    "baseline_seasonal_naive_weekly",
    "baseline_seasonal_naive_yearly",
    "baseline_hdd_linear",
)


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
    for model in (*MODELS, *BASELINES):
        for metric in ("mae", "rmse", "mape", "bias"):
            assert np.isfinite(_metric(metrics, model, "test", metric)), (model, metric)
    for model in MODELS:
        assert np.isfinite(_metric(metrics, model, "validation", "mape"))
    # the day-ahead model must beat yesterday's value on the sample (weather moves demand)
    assert _metric(metrics, "day_ahead_catboost", "test", "mape") < _metric(
        metrics, "baseline_persistence", "test", "mape"
    )
    forecasts = model_chain.table("consumption_forecasts")
    assert len(forecasts) == len(REGIONS) * 7 * len(MODELS)
    assert set(forecasts["model"]) == set(MODELS)
    assert (forecasts["consumption_mwh_predicted"] > 0).all()
    assert pd.to_datetime(forecasts["day"]).min() == pd.Timestamp("2024-01-01")


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
    assert "baseline_persistence.test_mape" in forecasting_parent.data.metrics
    children = [
        r for r in runs if r.data.tags.get("mlflow.parentRunId") == forecasting_parent.info.run_id
    ]
    assert {r.data.tags["model_key"] for r in children} == set(MODELS)
    for child in children:
        assert child.data.params["features"]
        assert {"validation_mape", "test_mape", "test_bias"} <= set(child.data.metrics)
    day_ahead = next(r for r in children if r.data.tags["model_key"] == "day_ahead_catboost")
    assert day_ahead.data.params["catboost.iterations"] == "60"
    if "training_energy_kwh" in day_ahead.data.metrics:  # the carbon hook measured the node
        assert day_ahead.data.metrics["training_energy_kwh"] >= 0
    for name in (
        "energiewatch-day-ahead-catboost",
        "energiewatch-whatif-weather-catboost",
        "energiewatch-whatif-movements-rf",
        "energiewatch-anomaly-isolationforest",
        "energiewatch-clustering-kmeans",
    ):
        champion = client.get_model_version_by_alias(name, "champion")
        assert str(champion.version) == "1"
        assert champion.tags["selection_metric"] in {"mape", "f1", "silhouette"}


def test_champion_model_reloaded_from_mlflow_predicts_what_the_pipeline_predicted(
    model_chain: ChainRun,
) -> None:
    import mlflow

    mlflow.set_tracking_uri(model_chain.tracking_uri)
    features = pd.read_parquet(
        model_chain.data_dir / "05_model_input" / "forecasting_features.parquet"
    )
    backtest = pd.read_parquet(
        model_chain.data_dir / "07_model_output" / "forecast_backtest.parquet"
    )
    for model_key, name in (
        ("day_ahead_catboost", "energiewatch-day-ahead-catboost"),
        ("whatif_weather_catboost", "energiewatch-whatif-weather-catboost"),
    ):
        model = mlflow.pyfunc.load_model(f"models:/{name}@champion")
        columns = model.metadata.get_input_schema().input_names()
        expected = backtest[backtest["model"] == model_key]
        rows = features.assign(day=pd.to_datetime(features["day"]).dt.date).merge(
            expected[["region_code", "day", "predicted_mwh"]], on=["region_code", "day"]
        )
        assert len(rows) == len(expected) > 300
        inputs = rows[columns].copy()
        inputs["region_code"] = inputs["region_code"].astype(str).astype(object)
        for column in columns[1:]:
            inputs[column] = inputs[column].astype(float)
        predicted = np.asarray(model.predict(inputs), dtype=float)
        np.testing.assert_array_equal(predicted, rows["predicted_mwh"].to_numpy())


def test_forecast_next_days_skips_a_region_without_consumption(model_chain: ChainRun) -> None:
    """Corse has no gas network: its target is empty and it gets no forecast (no crash)."""
    from sklearn.dummy import DummyRegressor

    from data_collection_kedro.modeling.artifacts import ModelArtifact
    from data_collection_kedro.pipelines.forecasting.nodes import forecast_next_days

    features = pd.read_parquet(
        model_chain.data_dir / "05_model_input" / "forecasting_features.parquet"
    )
    features["day"] = pd.to_datetime(features["day"])
    corse = features[features["region_code"] == features["region_code"].iloc[0]].copy()
    corse["region_code"], corse["region"], corse["target_mwh"] = "94", "Corse", float("nan")
    columns = ["lag_1_mwh", "temp_mean_c"]
    train = features.dropna(subset=[*columns, "target_mwh"])
    model = DummyRegressor(strategy="mean").fit(train[columns], train["target_mwh"])
    artifact = ModelArtifact(
        model_key="mean_model",
        registered_name="",
        model=model,
        input_columns=columns,
        input_example=train[columns].head(2),
    )
    forecasts = forecast_next_days(
        pd.concat([features, corse], ignore_index=True), {"horizon_days": 3}, artifact
    )
    assert "94" not in set(forecasts["region_code"])
    assert set(forecasts["region_code"]) == set(features["region_code"])
    assert len(forecasts) == 3 * features["region_code"].nunique()
    assert forecasts["consumption_mwh_predicted"].notna().all()
