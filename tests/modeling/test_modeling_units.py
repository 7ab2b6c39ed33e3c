"""Focused tests of the shared modelling helpers and of the MLflow hook's champion rule."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from data_collection_kedro.domain.features import HistorySpec
from data_collection_kedro.modeling.artifacts import ModelArtifact, pinned_requirements
from data_collection_kedro.modeling.clustering import knee_of_k_distance
from data_collection_kedro.modeling.features import forecasting_features
from data_collection_kedro.modeling.metrics import classification_metrics, regression_metrics
from data_collection_kedro.modeling.splits import assign_split, time_split_bounds
from data_collection_kedro.pipelines.forecasting import nodes as forecasting_nodes
from tests.hooks.test_hook_order import mlflow_uris_restored  # noqa: F401  (fixture)
from tests.support.paths import KEDRO_PROJECT
from tests.support.synthetic_indices import index_frames

PARAMS_FILE = KEDRO_PROJECT / "conf/base/parameters_forecasting.yml"


def small_forecasting_params() -> dict:
    params = yaml.safe_load(PARAMS_FILE.read_text())["forecasting"]
    for model in params["models"].values():
        if "catboost" in model:
            model["catboost"]["iterations"] = 40
        if "random_forest" in model:
            model["random_forest"]["n_estimators"] = 10
    return params


# ------------------------------------------------------------------------------ leakage
def test_history_features_only_see_the_past() -> None:
    meteo, movements, _ = index_frames()
    before = forecasting_features(meteo, movements, "gas_consumption_mwh", HistorySpec())
    cut = pd.Timestamp("2022-06-30")
    # rewrite every consumption after the cut: no feature of a day up to the cut may change
    altered = meteo.copy()
    after = pd.to_datetime(altered["day"]) > cut
    altered.loc[after, "gas_consumption_mwh"] = altered.loc[after, "gas_consumption_mwh"] * 3
    changed = forecasting_features(altered, movements, "gas_consumption_mwh", HistorySpec())
    history = list(HistorySpec().columns)
    upto = before["day"] <= cut
    pd.testing.assert_frame_equal(before.loc[upto, history], changed.loc[upto, history])
    # and the day after the cut already sees nothing of its own day
    first = before["day"] == cut + pd.Timedelta(days=1)
    pd.testing.assert_frame_equal(before.loc[first, history], changed.loc[first, history])


def test_lags_and_rolling_means_are_the_previous_days() -> None:
    meteo, movements, _ = index_frames()
    features = forecasting_features(meteo, movements, "gas_consumption_mwh", HistorySpec())
    region = features[features["region_code"] == "53"].set_index("day")
    day = pd.Timestamp("2022-03-15")
    window = region.loc[day - pd.Timedelta(days=7) : day - pd.Timedelta(days=1), "target_mwh"]
    assert region.loc[day, "lag_1_mwh"] == region.loc[day - pd.Timedelta(days=1), "target_mwh"]
    assert region.loc[day, "lag_7_mwh"] == region.loc[day - pd.Timedelta(days=7), "target_mwh"]
    assert region.loc[day, "rolling_mean_7_mwh"] == pytest.approx(window.mean())


def test_time_split_from_parameters() -> None:
    days = pd.Series(pd.date_range("2018-06-01", "2024-08-09", freq="D"))
    bounds = time_split_bounds(days, {"validation_months": 12, "test_months": 12})
    assert bounds == {
        "train_start": "2018-06-01",
        "train_end": "2022-08-09",
        "validation_end": "2023-08-09",
        "test_end": "2024-08-09",
    }
    split = assign_split(days, bounds)
    assert days[split == "train"].max() < days[split == "validation"].min()
    assert days[split == "validation"].max() < days[split == "test"].min()
    explicit = time_split_bounds(days, {"train_end": "2021-12-31", "validation_end": "2022-12-31"})
    assert explicit["train_end"] == "2021-12-31"
    with pytest.raises(ValueError, match="invalid time split"):
        time_split_bounds(days, {"train_end": "2023-12-31", "validation_end": "2022-12-31"})


def test_training_rows_precede_every_test_row() -> None:
    meteo, movements, _ = index_frames()
    params = small_forecasting_params()
    features = forecasting_nodes.build_features(meteo, movements, params)
    artifact = forecasting_nodes.train_model(features, params, "whatif_movements_rf")
    first_test = features.loc[features["split"] == "test", "day"].min()
    assert pd.Timestamp(artifact.params["train_last_day"]) < first_test


# ------------------------------------------------------------------------------ seeds
def test_fixed_seeds_give_identical_metrics_twice() -> None:
    meteo, movements, _ = index_frames()
    params = small_forecasting_params()
    runs = []
    for _ in range(2):
        features = forecasting_nodes.build_features(meteo, movements, params)
        artifacts = [
            forecasting_nodes.train_model(features, params, key) for key in params["models"]
        ]
        no_series = pd.DataFrame()
        metrics, _, _ = forecasting_nodes.evaluate_models(
            features, no_series, no_series, params, {}, None, *artifacts
        )
        runs.append(metrics.sort_values(["model", "split", "metric"], ignore_index=True))
    pd.testing.assert_frame_equal(runs[0], runs[1])
    weather = runs[0][
        (runs[0]["model"] == "whatif_weather_catboost") & (runs[0]["split"] == "test")
    ]
    assert weather.set_index("metric").loc["mape", "value"] > 0


# ------------------------------------------------------------------------------ metrics
def test_regression_metrics_by_hand() -> None:
    m = regression_metrics(pd.Series([100.0, 200.0, 0.0]), pd.Series([110.0, 180.0, 5.0]))
    assert m["mae"] == pytest.approx((10 + 20 + 5) / 3)
    assert m["rmse"] == pytest.approx(np.sqrt((100 + 400 + 25) / 3))
    assert m["mape"] == pytest.approx((10 + 10) / 2)  # the zero actual is left out
    assert m["bias"] == pytest.approx((10 - 20 + 5) / 3)
    c = classification_metrics(pd.Series([1, 1, 0, 0]), pd.Series([1, 0, 1, 0]))
    assert (c["precision"], c["recall"], c["f1"]) == (0.5, 0.5, 0.5)


def test_knee_of_k_distance() -> None:
    distances = np.array([0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 0.9, 1.0])
    assert knee_of_k_distance(distances) == pytest.approx(0.15)


# ------------------------------------------------------------------------------ champion
class _Constant:
    """A model predicting one value: enough for the registry logic."""

    def __init__(self, value: float) -> None:
        self.value = value

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return np.full(len(frame), self.value)


def _run_hook(
    tracking_uri: str, validation_mape: float, run_id: str, min_improvement: float = 0.0
) -> str:
    from sklearn.dummy import DummyRegressor

    from data_collection_kedro.tracking.mlflow_hook import MlflowTrackingHook

    example = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    model = DummyRegressor(strategy="constant", constant=validation_mape).fit(example, [0, 0, 0])
    artifact = ModelArtifact(
        model_key="toy",
        registered_name="energiewatch-test-toy",
        model=model,
        input_columns=["x"],
        input_example=example,
        params={"constant": validation_mape},
        validation_metrics={"mape": validation_mape},
        pip_requirements=pinned_requirements("scikit-learn"),
        description=f"A constant, MWh/day (validation MAPE {validation_mape})",
        tags={"unit": "MWh/day"},
    )
    config = {"tracking_uri": tracking_uri, "champion_min_improvement": {"mape": min_improvement}}
    hook = MlflowTrackingHook()
    hook.after_context_created(SimpleNamespace(project_path=Path.cwd(), params={"mlflow": config}))
    run_params = {"run_id": run_id, "pipeline_names": ["toy"], "env": "test"}
    hook.before_pipeline_run(run_params=run_params, pipeline=None, catalog=None)
    hook.after_node_run(node=SimpleNamespace(name="train_toy"), outputs={"toy_model": artifact})
    hook.after_pipeline_run(run_params=run_params)
    return hook.registered_versions["energiewatch-test-toy"]


@pytest.mark.usefixtures("mlflow_uris_restored")  # MLflow's process-wide URIs left unchanged
def test_champion_alias_moves_only_on_improvement(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = MlflowClient(uri, registry_uri=uri)

    def champion() -> str:
        return str(client.get_model_version_by_alias("energiewatch-test-toy", "champion").version)

    assert _run_hook(uri, 10.0, "r1") == "1"
    assert champion() == "1"
    assert _run_hook(uri, 12.0, "r2") == "2"  # worse: registered, not promoted
    assert champion() == "1"
    assert _run_hook(uri, 10.0, "r3") == "3"  # a tie is no improvement
    assert champion() == "1"
    assert _run_hook(uri, 8.0, "r4") == "4"
    assert champion() == "4"
    assert (
        client.get_model_version("energiewatch-test-toy", "2").tags["selection_metric_value"]
        == "12.0"
    )
    # floating-point noise or a change within the tolerance does not move the alias
    assert _run_hook(uri, 8.0 - 1e-14, "r5", min_improvement=0.05) == "5"
    assert _run_hook(uri, 7.96, "r6", min_improvement=0.05) == "6"
    assert champion() == "4"
    assert _run_hook(uri, 7.9, "r7", min_improvement=0.05) == "7"
    assert champion() == "7"
    # the registered model and its versions say what they are, without the code
    registered = client.get_registered_model("energiewatch-test-toy")
    assert registered.description == "A constant, MWh/day (validation MAPE 7.9)"
    assert registered.tags["unit"] == "MWh/day"
    version = client.get_model_version("energiewatch-test-toy", "7")
    assert version.description.startswith("A constant")
    # no artifact_location configured: the models go beside the SQLite database, not into
    # MLflow's default <working directory>/mlruns
    experiment = client.get_experiment_by_name("energiewatch")
    assert experiment.artifact_location == (tmp_path / "mlartifacts").resolve().as_uri()
    assert list((tmp_path / "mlartifacts").rglob("MLmodel"))
    assert version.tags["input_columns"] == "x"
    assert float(version.tags["validation_mape"]) == 7.9


def test_min_improvement_per_metric() -> None:
    from data_collection_kedro.tracking.mlflow_hook import is_better, min_improvement

    config = {"champion_min_improvement": {"mape": 0.05, "f1": 0.005}}
    assert min_improvement(config, "mape") == 0.05
    assert min_improvement(config, "silhouette") == 0.0
    assert min_improvement({"champion_min_improvement": 0.1}, "f1") == 0.1
    assert not is_better(43.19022213996624, 43.190222139966245, False, 0.05)
    assert is_better(0.71, 0.70, True, 0.005) and not is_better(0.704, 0.70, True, 0.005)
    assert is_better(5.0, None, False, 0.05)


def test_anomaly_flags_are_the_forest_prediction_from_one_scoring() -> None:
    """score_anomalies flags a region-day exactly where IsolationForest.predict says -1 (the
    flags come from the scores computed once)."""
    from data_collection_kedro.pipelines.anomaly_detection.nodes import _fit, score_anomalies

    rng = np.random.default_rng(3)
    n = 400
    features = pd.DataFrame(
        {
            "region_code": rng.choice(["11", "84"], n),
            "region": "r",
            "day": pd.date_range("2023-01-01", periods=n, freq="D"),
            "daily_total_ratio_gas": rng.normal(1, 0.05, n),
            "temperature_residual_gas": np.abs(rng.normal(0, 1, n)),
        }
    )
    features.loc[::50, "daily_total_ratio_gas"] = 2.0  # a few clear spikes
    params = {
        "energies": ["gas"],
        "features": ["daily_total_ratio_gas", "temperature_residual_gas"],
        "contamination": 0.02,
        "registered_name": "",
        "isolation_forest": {"n_estimators": 25, "random_seed": 0},
    }
    artifact = _fit(features, params)
    scored = score_anomalies(features, artifact)
    data = features[params["features"]]
    expected = artifact.model.predict(data) == -1
    np.testing.assert_array_equal(scored["is_anomaly"].to_numpy(), expected)
    np.testing.assert_array_equal(scored["anomaly_score"], -artifact.model.score_samples(data))
    assert 0 < expected.sum() < n


# --------------------------------------------------------------------------- estimators
def test_catboost_options_are_passed_on_and_unknown_ones_refused() -> None:
    from data_collection_kedro.modeling.estimators import catboost_regressor

    model = catboost_regressor({"iterations": "7", "l2_leaf_reg": 9.0}, ["region_code"])
    options = model.get_params()
    assert options["iterations"] == 7  # cast from a runtime-parameter string
    assert options["l2_leaf_reg"] == 9.0  # an option beyond the defaults reaches CatBoost
    assert options["loss_function"] == "RMSE"
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['l2_leaf_regg'\]"):
        catboost_regressor({"l2_leaf_regg": 9.0}, [])


def test_a_missing_level_day_is_forecast_from_its_fallback_level() -> None:
    """D-2 unpublished (a missing day in the source): the row is forecast as if D-2 had been
    the 7-day mean, not as a level below every level the model learnt from."""
    from data_collection_kedro.modeling.estimators import level_ratio_model

    rng = np.random.default_rng(3)
    n = 600
    level = rng.uniform(20_000.0, 200_000.0, n)  # regions two orders of magnitude apart
    temperature = rng.uniform(-5.0, 25.0, n)
    frame = pd.DataFrame(
        {
            "lag_2_mwh": level,
            "rolling_mean_7_mwh": level * rng.uniform(0.95, 1.05, n),
            "temp_mean_c": temperature,
        }
    )
    target = level * (1.6 - 0.03 * temperature)
    params = {
        "kind": "catboost",
        "catboost": {"iterations": 60, "depth": 4, "learning_rate": 0.2, "loss_function": "MAE"},
        "level_column": "lag_2_mwh",
        "fallback_level_columns": ["rolling_mean_7_mwh"],
        "scaled_columns": ["rolling_mean_7_mwh"],
    }
    model = level_ratio_model(params, list(frame.columns)).fit(frame, target)

    rows = pd.DataFrame(
        {"lag_2_mwh": [150_000.0], "rolling_mean_7_mwh": [150_000.0], "temp_mean_c": [5.0]}
    )
    unpublished = rows.assign(lag_2_mwh=[np.nan])
    assert model.predict(unpublished)[0] == pytest.approx(model.predict(rows)[0], rel=1e-9)
    # the fallback level is used, not a missing value: within 10 % of the true 1.45 x level
    assert model.predict(unpublished)[0] == pytest.approx(150_000.0 * 1.45, rel=0.1)
