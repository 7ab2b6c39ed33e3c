"""Fixtures of the dashboard tests: a model registry with the three champions and index tables.

Limit (named on purpose): the champions here are small real models (CatBoost, scikit-learn
RandomForest and IsolationForest) trained in the session on synthetic rows and registered
under the project's names with the ``champion`` alias and the input columns the forecasting
configuration declares (``parameters_forecasting.yml``), in a temporary SQLite MLflow; the
``meteo_consommation`` rows are synthetic and written through the project's catalog. They stand
in for the real chain (``etl_pipeline`` → ``data_fusion_pipeline`` → ``forecasting`` /
``anomaly_detection`` on the sample data) so these tests stay fast; the pages only see the
registry and the store, as with real champions. ``test_real_chain.py`` (marked ``slow``) runs
the real chain and the pages on its outputs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.support.paths import REPO_ROOT

if str(REPO_ROOT) not in sys.path:  # dashboard_ui lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

APP_FILE = REPO_ROOT / "dashboard_ui" / "app.py"
TEST_REGIONS = ("11", "53", "75", "84")
HISTORY_START, HISTORY_END = "2022-01-01", "2023-12-31"


def synthetic_meteo_consommation(seed: int = 3) -> pd.DataFrame:
    """Daily rows of the ``meteo_consommation`` index (contract columns used by the pages)."""
    from data_collection_kedro.domain.regions import REGION_BY_CODE

    rng = np.random.default_rng(seed)
    days = pd.date_range(HISTORY_START, HISTORY_END, freq="D")
    frames = []
    for i, code in enumerate(TEST_REGIONS):
        season = np.cos(2 * np.pi * (days.day_of_year - 15) / 365.25)
        temp_mean = 12 - 8 * season + rng.normal(0, 2, len(days))
        hdd = np.clip(18 - temp_mean, 0, None)
        gas = (200 + 60 * i) * (1 + 0.06 * hdd) + rng.normal(0, 5, len(days))
        frames.append(
            pd.DataFrame(
                {
                    "region_code": code,
                    "day": days.date,
                    "region": REGION_BY_CODE[code].name,
                    "gas_consumption_mwh": gas,
                    "electricity_consumption_mwh": gas * 1.5,
                    "temp_min_c": temp_mean - 4,
                    "temp_max_c": temp_mean + 4,
                    "temp_mean_c": temp_mean,
                    "heating_degree_days": hdd,
                    "wind_kmh": 15.0,
                    "humidity_pct": 70.0,
                    "visibility_km": 10.0,
                    "cloud_cover_pct": 50.0,
                    "is_complete": True,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def training_frame(meteo: pd.DataFrame) -> pd.DataFrame:
    """Feature rows in the forecasting pipeline's conventions (region_code str, floats)."""
    day = pd.to_datetime(meteo["day"])
    frame = meteo.assign(
        weekday=day.dt.day_of_week.astype(float),
        is_weekend=(day.dt.day_of_week >= 5).astype(float),
        month=day.dt.month.astype(float),
        day_of_year=day.dt.day_of_year.astype(float),
        is_public_holiday=0.0,
        is_school_holiday=0.0,
        strike_active=(day.dt.day % 17 == 0).astype(float),
        strike_count=(day.dt.day % 17 == 0).astype(float),
        strike_rate_pct=np.where(day.dt.day % 17 == 0, 12.0, 0.0),
        level_mwh=meteo.groupby("region_code")["gas_consumption_mwh"].transform("mean"),
        temp_ewm_c=meteo.groupby("region_code")["temp_mean_c"].transform(
            lambda v: v.ewm(alpha=0.5, adjust=False).mean()
        ),
        hdd_ewm=meteo.groupby("region_code")["heating_degree_days"].transform(
            lambda v: v.ewm(alpha=0.5, adjust=False).mean()
        ),
    )
    frame["region_code"] = frame["region_code"].astype(str).astype(object)
    return frame


@dataclass(frozen=True)
class Registry:
    tracking_uri: str
    names: dict[str, str]  # dashboard model key -> registered name
    features: dict[str, list[str]]  # dashboard model key -> input columns


def _log_champion(
    uri: str, experiment_id: str, name: str, model: object, inputs: pd.DataFrame
) -> None:
    """Logged and registered as the MLflow hook does (no pickle), ``champion`` alias set."""
    from mlflow import MlflowClient

    from data_collection_kedro.modeling.artifacts import ModelArtifact, pinned_requirements
    from data_collection_kedro.tracking.models import log_model, register_model

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    run_id = client.create_run(experiment_id, run_name=name).info.run_id
    artifact = ModelArtifact(
        model_key=name,
        registered_name=name,
        model=model,
        input_columns=list(inputs.columns),
        input_example=inputs,
        pip_requirements=pinned_requirements("scikit-learn", "catboost"),
    )
    version = register_model(log_model(artifact, run_id, uri), name, uri)
    client.set_terminated(run_id, "FINISHED")
    client.set_registered_model_alias(name, "champion", version)


@pytest.fixture(scope="session")
def champion_registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """A SQLite MLflow registry holding the weather, movements and anomaly champions.

    See the module docstring for the limit of these stand-in champions.
    """
    from catboost import CatBoostRegressor
    from mlflow import MlflowClient
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import IsolationForest, RandomForestRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from dashboard_ui.settings import load_settings
    from data_collection_kedro.modeling.anomaly import anomaly_features

    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    settings = load_settings()
    models = settings.section("forecasting")["models"]
    anomaly_params = settings.section("anomaly_detection")
    names = {key: settings.model(key)["name"] for key in ("weather", "movements", "anomaly")}
    features = {
        "weather": list(models["whatif_weather_catboost"]["features"]),
        "movements": list(models["whatif_movements_rf"]["features"]),
        "anomaly": list(anomaly_params["features"]),
    }
    meteo = synthetic_meteo_consommation()
    train = training_frame(meteo)
    target = train["gas_consumption_mwh"]

    experiment_id = MlflowClient(tracking_uri=uri).create_experiment(
        "dashboard-tests", artifact_location=(folder / "artifacts").as_uri()
    )
    # the champions, logged as the pipelines log theirs (no pickle)
    x = train[features["weather"]]
    weather = CatBoostRegressor(
        iterations=60,
        depth=4,
        verbose=False,
        random_seed=1,
        cat_features=["region_code"],
        thread_count=1,
    )
    weather.fit(x, target)
    _log_champion(uri, experiment_id, names["weather"], weather, x.head(20))

    x = train[features["movements"]]
    encode = ColumnTransformer(
        [("region", OneHotEncoder(handle_unknown="ignore"), ["region_code"])],
        remainder="passthrough",
    )
    movements = make_pipeline(
        encode, RandomForestRegressor(n_estimators=20, max_depth=6, random_state=1)
    )
    movements.fit(x, target)
    _log_champion(uri, experiment_id, names["movements"], movements, x.head(20))

    # the anomaly pipeline's own features on the synthetic index, its model structure
    calendar = train[["region_code", "day"]].assign(is_public_holiday=False)
    x = anomaly_features(
        meteo,
        calendar,
        energies=list(anomaly_params["energies"]),
        window_days=int(anomaly_params["window_days"]),
    )[features["anomaly"]].astype(float)
    anomaly = make_pipeline(
        StandardScaler(), IsolationForest(n_estimators=50, contamination=0.01, random_state=1)
    ).fit(x)
    _log_champion(uri, experiment_id, names["anomaly"], anomaly, x.head(20))
    return Registry(uri, names, features)


@pytest.fixture
def dashboard_data(data_dir: Path) -> Path:
    """A fresh data dir (no registry, no tables) and cleared Streamlit caches."""
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()
    return data_dir


@pytest.fixture
def with_champions(
    dashboard_data: Path, champion_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> Registry:
    """``dashboard_data`` + the champion registry + the ``meteo_consommation`` index."""
    from kedro.io import DataCatalog

    from dashboard_ui.settings import load_settings

    monkeypatch.setenv("MLFLOW_TRACKING_URI", champion_registry.tracking_uri)
    catalog = DataCatalog.from_config(load_settings().catalog)
    catalog.save("meteo_consommation", synthetic_meteo_consommation())
    return champion_registry


@pytest.fixture
def app_test(dashboard_data: Path) -> Iterator[object]:
    """The dashboard as AppTest (entry point ``dashboard_ui/app.py``), not yet run."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP_FILE), default_timeout=180)
    yield at


def french_number(text: str) -> float:
    """The number of a French-formatted value (``1 234,5 MWh/jour`` -> 1234.5)."""
    number = text.split("\u00a0")[0] if "\u00a0" in text else text.split(" ")[0]
    return float(number.replace("\u202f", "").replace("\u2212", "-").replace(",", "."))
