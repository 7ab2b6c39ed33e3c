"""The anomaly and clustering training nodes fingerprint only the index columns their features
read (handed over by the features nodes): a change in another column reuses the stored model,
a change in a column they read retrains it; the features are those of the whole indices."""

from __future__ import annotations

import pandas as pd
import pytest

from data_collection_kedro.modeling.anomaly import anomaly_features
from data_collection_kedro.pipelines.anomaly_detection import nodes as anomaly
from data_collection_kedro.pipelines.clustering import nodes as clustering
from tests.support.synthetic_indices import index_frames

ANOMALY = {
    "energies": ["gas", "electricity"],
    "features": ["temperature_residual_gas", "hourly_profile_distance_gas"],
    "contamination": 0.01,
    "window_days": 29,
    "registered_name": "",
    "isolation_forest": {"n_estimators": 10, "random_seed": 0},
}
CLUSTERING = {"target": "gas_consumption_mwh", "registered_name": "", "kmeans": {"n_init": 2}}
DAY = "2022-06-15"


def _changed(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    out = frame.copy()
    at = pd.to_datetime(out["day"]) == pd.Timestamp(DAY)
    out.loc[at, column] = out.loc[at, column] * 1.1 if out[column].dtype.kind == "f" else 99
    return out


def _anomaly_decision(meteo: pd.DataFrame, movements: pd.DataFrame, previous: object) -> str:
    features, rows = anomaly.build_anomaly_features(meteo, movements, ANOMALY)
    return anomaly.train_anomaly_model(features, ANOMALY, rows, previous, {}).decision  # type: ignore[arg-type]


def test_the_anomaly_model_retrains_only_for_a_column_its_features_read() -> None:
    meteo, movements, _ = index_frames()
    features, rows = anomaly.build_anomaly_features(meteo, movements, ANOMALY)
    pd.testing.assert_frame_equal(
        features, anomaly_features(meteo, movements, ["gas", "electricity"], 29)
    )
    first = anomaly.train_anomaly_model(features, ANOMALY, rows, None, {})
    assert first.decision.startswith("trained")
    assert _anomaly_decision(meteo, movements, first).startswith("reused")
    assert _anomaly_decision(_changed(meteo, "temp_max_c"), movements, first).startswith("reused")
    assert _anomaly_decision(meteo, _changed(movements, "strike_count"), first).startswith("reused")
    for changed in ("heating_degree_days", "gas_h07_share", "electricity_consumption_mwh"):
        decision = _anomaly_decision(_changed(meteo, changed), movements, first)
        assert decision.startswith("trained: training data up to"), changed
    holiday = movements.copy()
    holiday.loc[pd.to_datetime(holiday["day"]) == pd.Timestamp(DAY), "is_public_holiday"] = True
    assert _anomaly_decision(meteo, holiday, first).startswith("trained: training data up to")


@pytest.mark.parametrize(
    ("column", "reused"), [("temp_mean_c", True), ("gas_consumption_mwh", False)]
)
def test_the_clustering_model_retrains_only_for_its_target(column: str, reused: bool) -> None:
    meteo, _, _ = index_frames()
    profiles, rows = clustering.build_region_profiles(meteo, CLUSTERING)
    first = clustering.fit_kmeans(profiles, CLUSTERING, rows, None, {})
    changed_profiles, changed_rows = clustering.build_region_profiles(
        _changed(meteo, column), CLUSTERING
    )
    again = clustering.fit_kmeans(changed_profiles, CLUSTERING, changed_rows, first, {})
    assert again.decision.startswith("reused" if reused else "trained: training data up to")
