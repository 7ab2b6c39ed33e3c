"""The retraining policy end to end: the model pipelines run again through KedroSession on the
small sample, and each model is retrained only when the policy says so (docs/tracking.md).

One module fixture runs the stages in order on one data folder and records what each left:

1. ``first``: ETL, fusion, anomaly detection, clustering, forecasting (every model trained);
2. ``rerun``: the three model pipelines again, nothing changed;
3. ``changed``: forecasting after a past national consumption row was changed in the store and
   with another ``whatif_movements_rf`` parameter;
4. ``appended``: the sample two days longer through ETL and fusion (the changed row put back
   first), then anomaly detection with ``retrain_after_days`` 1, clustering and forecasting
   with the default (7);
5. ``forced``: clustering with ``model_retraining.force=true``;
6. ``corrected``: forecasting after a past gas row of the test period was corrected in the
   store (the stored day-ahead tables of the previous runs serve the rows still valid);
7. ``recomputed``: forecasting again without the stored day-ahead tables (a full computation).
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.support.sample import SMALL_SAMPLE

from .conftest import OPERATIONAL_MODELS, SMALL_MODELS, ChainRun, run_session

pytestmark = pytest.mark.slow

MODEL_PIPELINES = ("anomaly_detection", "clustering", "forecasting")
REGISTERED = {
    "anomaly_isolationforest": "energiewatch-anomaly-isolationforest",
    "clustering_kmeans": "energiewatch-clustering-kmeans",
    "day_ahead_gas_regional": "energiewatch-day-ahead-gas-regional",
    "day_ahead_electricity_regional": "energiewatch-day-ahead-electricity-regional",
    "day_ahead_electricity_national": "energiewatch-day-ahead-electricity-national",
    "whatif_weather_catboost": "energiewatch-whatif-weather-catboost",
    "whatif_movements_rf": "energiewatch-whatif-movements-rf",
}
FORECASTING_MODELS = (*OPERATIONAL_MODELS, "whatif_weather_catboost", "whatif_movements_rf")
CHANGED_DAY = "2021-03-10"
APPENDED_END = "2024-01-02"  # the small sample ends on 2023-12-31
# a gas day of the test period (after every training period: no model retrains for it)
CORRECTED_DAY, CORRECTED_REGION = "2023-09-12", "84"
DAY_AHEAD_STORE = Path("07_model_output") / "forecasting_day_ahead"


@dataclass
class Stage:
    """What a stage left: each model's training record and artifact time, MLflow's registered
    versions (count, champion, training of the newest), this stage's child runs (tags, models
    logged, metrics), and the outputs."""

    training: dict[str, dict[str, Any]]
    written: dict[str, int]
    versions: dict[str, int]
    champions: dict[str, str]
    latest_version_training: dict[str, str]
    latest_version_run: dict[str, str] = field(default_factory=dict)
    children: dict[str, dict[str, str]] = field(default_factory=dict)
    child_models: dict[str, int] = field(default_factory=dict)
    child_metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def _with(params: dict[str, Any], *path_and_value: Any) -> dict[str, Any]:
    out = copy.deepcopy(params)
    *path, key, value = path_and_value
    node = out
    for part in path:
        node = node.setdefault(part, {})
    node[key] = value
    return out


class Recorder:
    def __init__(self, chain: ChainRun) -> None:
        from mlflow.tracking import MlflowClient

        self.chain = chain
        self.client = MlflowClient(chain.tracking_uri, registry_uri=chain.tracking_uri)
        self.seen: set[str] = set()

    def _runs(self) -> tuple[list[Any], dict[str, int]]:
        """Every run, and the number of models logged by each run."""
        experiment = self.client.get_experiment_by_name("energiewatch")
        assert experiment is not None
        runs = list(self.client.search_runs([experiment.experiment_id], max_results=5000))
        logged: dict[str, int] = {}
        for model in self.client.search_logged_models([experiment.experiment_id]):
            run_id = str(model.source_run_id)
            logged[run_id] = logged.get(run_id, 0) + 1
        return runs, logged

    def stage(self) -> Stage:
        models = self.chain.data_dir / "06_models"
        training, written = {}, {}
        for key in REGISTERED:
            file = models / key / "artifact.json"
            training[key] = json.loads(file.read_text(encoding="utf-8"))["training"]
            written[key] = file.stat().st_mtime_ns
        versions, champions, latest, latest_run = {}, {}, {}, {}
        for key, name in REGISTERED.items():
            found = self.client.search_model_versions(f"name = '{name}'")
            versions[name] = len(found)
            newest = max(found, key=lambda v: int(v.version))
            latest[key] = newest.tags.get("training_id", "")
            latest_run[key] = str(newest.run_id)
            champions[name] = str(self.client.get_model_version_by_alias(name, "champion").version)
        stage = Stage(training, written, versions, champions, latest, latest_run)
        runs, logged = self._runs()
        for run in runs:
            if run.info.run_id in self.seen:
                continue
            self.seen.add(run.info.run_id)
            key = run.data.tags.get("model_key")
            if key:
                stage.children[key] = dict(run.data.tags)
                stage.child_models[key] = logged.get(run.info.run_id, 0)
                stage.child_metrics[key] = dict(run.data.metrics)
        for table in (
            "consumption_forecasts",
            "consumption_anomalies",
            "region_clusters",
            "model_metrics",
        ):
            stage.tables[table] = self.chain.table(table)
        backtest = self.chain.data_dir / "07_model_output" / "forecast_backtest.parquet"
        stage.tables["forecast_backtest"] = pd.read_parquet(backtest)
        return stage


def _scale_national_row(factor: float) -> str:
    return (
        "UPDATE consommation_nationale SET electricity_consumption_mwh = "
        f"electricity_consumption_mwh * {factor!r} WHERE day = DATE '{CHANGED_DAY}'"
    )


def _scale_gas_row(factor: float) -> str:
    return (
        f"UPDATE meteo_consommation SET gas_consumption_mwh = gas_consumption_mwh * {factor!r} "
        f"WHERE day = DATE '{CORRECTED_DAY}' AND region_code = '{CORRECTED_REGION}'"
    )


def _duckdb_update(chain: ChainRun, sql: str) -> None:
    import duckdb

    with duckdb.connect(str(chain.data_dir / "energiewatch.duckdb")) as connection:
        connection.execute(sql)


@pytest.fixture(scope="module")
def stages(
    small_sample_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Stage]]:
    from data_collection_kedro.sample_data import generate
    from tests.support.paths import KEDRO_PROJECT

    data_dir = tmp_path_factory.mktemp("reuse") / "data"
    sample = data_dir / "01_raw" / "sample"
    shutil.copytree(small_sample_dir, sample)
    longer = tmp_path_factory.mktemp("longer_sample") / "sample"
    longer_sample: dict[str, Any] = {**SMALL_SAMPLE, "end": APPENDED_END}
    generate(longer, **longer_sample)
    chain = ChainRun(
        data_dir=data_dir, tracking_uri=f"sqlite:///{data_dir}/mlflow.db", params=SMALL_MODELS
    )
    stages: dict[str, Stage] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENERGIEWATCH_DATA_DIR", str(data_dir))
        for var in ("ENERGIEWATCH_DUCKDB", "ENERGIEWATCH_CARBON_DIR", "MLFLOW_TRACKING_URI"):
            mp.delenv(var, raising=False)
        mp.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "false")
        mp.chdir(KEDRO_PROJECT)
        for pipeline in ("etl_pipeline", "data_fusion_pipeline", *MODEL_PIPELINES):
            run_session(pipeline, SMALL_MODELS)
        recorder = Recorder(chain)
        stages["first"] = recorder.stage()

        for pipeline in MODEL_PIPELINES:
            run_session(pipeline, SMALL_MODELS)
        stages["rerun"] = recorder.stage()

        _duckdb_update(chain, _scale_national_row(1.05))
        rf_params = _with(
            SMALL_MODELS,
            "forecasting",
            "models",
            "whatif_movements_rf",
            "random_forest",
            "n_estimators",
            21,
        )
        run_session("forecasting", rf_params)
        stages["changed"] = recorder.stage()

        _duckdb_update(chain, _scale_national_row(1 / 1.05))
        shutil.rmtree(sample)
        shutil.copytree(longer, sample)
        run_session("etl_pipeline", rf_params)
        run_session("data_fusion_pipeline", rf_params)
        run_session(
            "anomaly_detection", _with(rf_params, "model_retraining", "retrain_after_days", 1)
        )
        run_session("clustering", rf_params)
        run_session("forecasting", rf_params)
        stages["appended"] = recorder.stage()

        run_session("clustering", _with(rf_params, "model_retraining", "force", True))
        stages["forced"] = recorder.stage()

        _duckdb_update(chain, _scale_gas_row(1.2))
        run_session("forecasting", rf_params)
        stages["corrected"] = recorder.stage()
        shutil.rmtree(data_dir / DAY_AHEAD_STORE)
        run_session("forecasting", rf_params)
        stages["recomputed"] = recorder.stage()
        yield stages


def _reused(stage: Stage, key: str) -> bool:
    return stage.children[key]["reused"] == "true"


def test_a_rerun_on_unchanged_data_reuses_every_model(stages: dict[str, Stage]) -> None:
    first, rerun = stages["first"], stages["rerun"]
    assert set(rerun.children) == set(REGISTERED)  # every model is still logged to MLflow
    for key in REGISTERED:
        assert first.children[key]["reused"] == "false", key
        assert first.training[key]["reason"] == "no stored model"
        # no fit: the stored training is the one of the first run, its folder not rewritten
        assert rerun.training[key] == first.training[key], key
        assert rerun.written[key] == first.written[key], key
        assert _reused(rerun, key), key
        assert rerun.children[key]["training_id"] == first.training[key]["id"]
        assert rerun.children[key]["retraining_decision"].startswith("reused:")
        assert rerun.child_models[key] == 0, key  # the model is not logged again
        assert first.child_models[key] == 1, key
        # the run names the registered version it serves with, and the run that logged it
        assert rerun.children[key]["reused_model_version"] == "1", key
        assert rerun.children[key]["reused_run_id"] == first.latest_version_run[key], key
        assert "reused_model_version" not in first.children[key], key
    # no new registered version, no alias moved
    assert rerun.versions == first.versions == dict.fromkeys(REGISTERED.values(), 1)
    assert first.latest_version_training == {k: t["id"] for k, t in first.training.items()}
    assert rerun.champions == first.champions
    # the run still evaluates, serves, scores and assigns, with the same results (to the last
    # bits: the evaluation's sums may run in another order)
    for table in rerun.tables:
        pd.testing.assert_frame_equal(
            rerun.tables[table], first.tables[table], obj=table, rtol=1e-9
        )
    for key in FORECASTING_MODELS:
        assert rerun.child_metrics[key]["test_mape"] == pytest.approx(
            first.child_metrics[key]["test_mape"], rel=1e-9
        )
    assert "training_energy_kwh" not in rerun.child_metrics["day_ahead_gas_regional"]


def test_a_changed_parameter_or_past_row_retrains_that_model_only(
    stages: dict[str, Stage],
) -> None:
    rerun, changed = stages["rerun"], stages["changed"]
    national_end = changed.training["day_ahead_electricity_national"]["train_end"]
    retrained = {
        "whatif_movements_rf": "parameters or code changed",
        "day_ahead_electricity_national": f"training data up to {national_end} changed",
    }
    assert set(changed.children) == set(FORECASTING_MODELS)
    for key in FORECASTING_MODELS:
        if key in retrained:
            assert not _reused(changed, key), key
            assert changed.training[key]["id"] != rerun.training[key]["id"]
            assert changed.training[key]["reason"] == retrained[key]
            assert changed.children[key]["training_id"] == changed.training[key]["id"]
            assert changed.versions[REGISTERED[key]] == 2
            assert "reused_model_version" not in changed.children[key], key
        else:
            assert _reused(changed, key), key
            assert changed.training[key] == rerun.training[key]
            assert changed.versions[REGISTERED[key]] == 1
            assert changed.children[key]["reused_model_version"] == "1", key
    assert pd.Timestamp(CHANGED_DAY) <= pd.Timestamp(
        changed.training["day_ahead_electricity_national"]["train_end"]
    )


def test_appended_days_beyond_retrain_after_days_retrain(stages: dict[str, Stage]) -> None:
    changed, appended = stages["changed"], stages["appended"]
    anomaly = appended.training["anomaly_isolationforest"]
    assert not _reused(appended, "anomaly_isolationforest")
    assert anomaly["reason"] == "2 days of new data (> retrain_after_days 1)"
    assert anomaly["data_end"] == APPENDED_END
    # within the default 7 days: the past rows are unchanged, the stored models serve
    for key in ("clustering_kmeans", *OPERATIONAL_MODELS[:2], "whatif_weather_catboost"):
        assert _reused(appended, key), key
        assert appended.training[key] == changed.training[key], key
    # the national row changed before was put back: its model learned from other data
    national = appended.training["day_ahead_electricity_national"]
    assert national["reason"].startswith("training data up to")
    # the reused models serve the days after the new data
    forecasts = appended.tables["consumption_forecasts"]
    assert pd.to_datetime(forecasts["day"]).min() == pd.Timestamp(APPENDED_END) + pd.Timedelta(
        days=1
    )
    assert set(forecasts["model"]) == set(OPERATIONAL_MODELS)
    scored = pd.to_datetime(appended.tables["consumption_anomalies"]["day"])
    assert scored.max() == pd.Timestamp(APPENDED_END)


def test_force_retrains(stages: dict[str, Stage]) -> None:
    appended, forced = stages["appended"], stages["forced"]
    key = "clustering_kmeans"
    assert not _reused(forced, key)
    assert forced.training[key]["reason"] == "forced (model_retraining.force)"
    assert forced.training[key]["id"] != appended.training[key]["id"]
    assert forced.versions[REGISTERED[key]] == appended.versions[REGISTERED[key]] + 1
    assert forced.latest_version_training[key] == forced.training[key]["id"]
    # a model reused after a retraining names the newest version, the one of its training
    assert appended.children["whatif_movements_rf"]["reused_model_version"] == "2"
    # same data, same silhouette: the new version does not take the alias
    assert forced.champions[REGISTERED[key]] == appended.champions[REGISTERED[key]]


def test_stored_day_ahead_rows_give_what_a_full_computation_gives(
    stages: dict[str, Stage],
) -> None:
    """The run after a corrected past day takes the stored day-ahead rows still valid (the
    other series, the days before the correction) and computes the others: its served
    forecasts, metrics and backtest are those of a run without any stored row."""
    forced, corrected, recomputed = stages["forced"], stages["corrected"], stages["recomputed"]
    for key in FORECASTING_MODELS:
        assert _reused(corrected, key) and _reused(recomputed, key), key
    for table in ("consumption_forecasts", "model_metrics", "forecast_backtest"):
        taken, computed = corrected.tables[table], recomputed.tables[table]
        # to the bit, but the random forest's predictions: its trees are summed by two threads
        # in either order (the last bits differ from one run to the next, store or not)
        forest = taken["model"] == "whatif_movements_rf"
        assert forest.equals(computed["model"] == "whatif_movements_rf")
        pd.testing.assert_frame_equal(
            taken[~forest], computed[~forest], obj=table, check_exact=True
        )
        pd.testing.assert_frame_equal(taken, computed, obj=table, rtol=1e-9)
    # the correction reached the forecasts that depend on it (and only the gas ones)
    backtest = corrected.tables["forecast_backtest"]
    before = forced.tables["forecast_backtest"]
    served = (backtest["model"] == "day_ahead_gas_regional") & (
        backtest["region_code"] == CORRECTED_REGION
    )
    after_day = pd.to_datetime(backtest["day"]) > pd.Timestamp(CORRECTED_DAY)
    moved = backtest[served & after_day]["predicted_mwh"].to_numpy()
    assert (moved != before[served & after_day]["predicted_mwh"].to_numpy()).any()
    electricity = backtest["model"].str.startswith("day_ahead_electricity")
    pd.testing.assert_frame_equal(
        backtest[electricity].reset_index(drop=True),
        before[electricity].reset_index(drop=True),
        check_exact=True,
    )
