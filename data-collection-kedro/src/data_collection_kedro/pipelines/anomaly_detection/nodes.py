"""IsolationForest anomaly detection: features, model, scored days, evaluation on labels."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from data_collection_kedro.domain.features import as_day
from data_collection_kedro.modeling.anomaly import (
    anomaly_input_rows,
    available_features,
    features_of_rows,
    forest_scores,
    top_feature,
)
from data_collection_kedro.modeling.artifacts import ModelArtifact, pinned_requirements
from data_collection_kedro.modeling.features import model_input, require_columns
from data_collection_kedro.modeling.metrics import classification_metrics, metrics_rows
from data_collection_kedro.modeling.retraining import TrainingData, config_digest, train_or_reuse

logger = logging.getLogger(__name__)

MODEL_KEY = "anomaly_isolationforest"
REQUIREMENTS = ("scikit-learn", "pandas", "numpy", "skops")
#: the code the retraining digest covers: what builds the features and fits the model
CODE = ("data_collection_kedro.modeling.anomaly", __name__)
GROUND_TRUTH_COLUMNS = ["region_code", "date", "energy", "kind"]


def _threads(compute: Mapping[str, Any] | None) -> int:
    threads = (compute or {}).get("threads", 1)
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"anomaly_compute.threads: expected a whole number >= 1, got {threads!r}")
    return threads


def build_anomaly_features(
    meteo_consommation: pd.DataFrame,
    consommation_mouvements: pd.DataFrame,
    params: dict[str, Any],
    compute: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The features of each region-day, and the index rows they are computed from (what the
    training node fingerprints); ``compute``: ``threads``, the regions computed at once."""
    energies = list(params.get("energies", ["gas", "electricity"]))
    rows = anomaly_input_rows(meteo_consommation, consommation_mouvements, energies)
    features = features_of_rows(
        rows, energies, int(params.get("window_days", 29)), threads=_threads(compute)
    )
    return features, rows


def _columns(params: dict[str, Any]) -> list[str]:
    available = available_features(list(params.get("energies", ["gas", "electricity"])))
    columns = list(params.get("features") or available)
    unknown = sorted(set(columns) - set(available))
    if unknown:
        raise ValueError(f"unknown anomaly features {unknown}; available: {available}")
    return columns


def train_anomaly_model(
    features: pd.DataFrame,
    params: dict[str, Any],
    input_rows: pd.DataFrame,
    previous: ModelArtifact | None = None,
    retraining: Mapping[str, Any] | None = None,
) -> ModelArtifact:
    """Fit the IsolationForest (after standardization) on every region-day; ``previous`` (the
    stored model) instead when the retraining policy allows it.

    The features of a day look at the days around it and at a per-region model of every day, so
    the policy fingerprints the index rows they are computed from (``input_rows``: the columns
    of ``meteo_consommation`` and ``consommation_mouvements`` the features read,
    :func:`~data_collection_kedro.modeling.anomaly.anomaly_input_rows`), not the features."""
    data_end = pd.Timestamp(pd.to_datetime(features["day"]).max())
    data = TrainingData(frames=[(input_rows, "day")], train_end=data_end, data_end=data_end)
    digest = config_digest(params, CODE, REQUIREMENTS)
    return train_or_reuse(previous, retraining, digest, data, lambda: _fit(features, params))


def _fit(features: pd.DataFrame, params: dict[str, Any]) -> ModelArtifact:
    columns = _columns(params)
    forest = params.get("isolation_forest", {})
    model = Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "forest",
                IsolationForest(
                    n_estimators=int(forest.get("n_estimators", 200)),
                    contamination=float(params.get("contamination", 0.01)),
                    max_samples=forest.get("max_samples", "auto"),
                    random_state=int(forest.get("random_seed", 42)),
                    n_jobs=int(forest.get("n_jobs", 1)),
                ),
            ),
        ]
    )
    data = model_input(features, columns)
    model.fit(data)
    return ModelArtifact(
        model_key=MODEL_KEY,
        registered_name=params["registered_name"],
        model=model,
        input_columns=columns,
        input_example=data.head(5).reset_index(drop=True),
        params={
            "energies": ",".join(params.get("energies", ["gas", "electricity"])),
            "features": ",".join(columns),
            "contamination": params.get("contamination", 0.01),
            "window_days": params.get("window_days", 29),
            "rows": len(data),
            **{f"isolation_forest.{k}": v for k, v in forest.items()},
        },
        selection_metric="f1",
        higher_is_better=True,
        pip_requirements=pinned_requirements(*REQUIREMENTS),
    )


def score_anomalies(
    features: pd.DataFrame, artifact: ModelArtifact, compute: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """``consumption_anomalies``: score (higher = more abnormal), flag and top feature per day
    (``compute``: ``threads``, the blocks of rows scored at once, see
    :func:`~data_collection_kedro.modeling.anomaly.forest_scores`)."""
    threads = _threads(compute)
    data = model_input(features, artifact.input_columns)
    model = artifact.model
    raw = forest_scores(model, data, threads=threads)
    scores = -raw
    # IsolationForest.predict: -1 where score_samples - offset_ < 0; from the scores computed
    # once instead of scoring every tree again
    forest = model[-1] if isinstance(model, Pipeline) else model
    flags = (raw - forest.offset_) < 0
    out = pd.DataFrame(
        {
            "region_code": features["region_code"].astype(str),
            "day": pd.to_datetime(features["day"]).dt.date,
            "region": features["region"].astype(str),
            "anomaly_score": scores.astype(float),
            "is_anomaly": flags.astype(bool),
            "top_feature": top_feature(features, artifact.input_columns),
        }
    )
    logger.info("%d anomalous region-days out of %d", int(flags.sum()), len(out))
    return out


def _day_keys(frame: pd.DataFrame) -> pd.MultiIndex:
    """``(region_code, day)`` of each row, days as ``datetime64`` (dates or timestamps alike)."""
    return pd.MultiIndex.from_arrays([frame["region_code"].astype(str), as_day(frame["day"])])


def evaluate_anomalies(
    anomalies: pd.DataFrame, ground_truth: pd.DataFrame, params: dict[str, Any]
) -> pd.DataFrame:
    """Precision, recall and F1 against the labelled anomalies of the detected energies.

    A region-day counts as labelled when any of its energies carries an injected anomaly. Only
    labelled days inside the scored period count; the split is ``validation`` (labels are used
    to compare model versions, never to fit them).
    """
    require_columns(ground_truth, GROUND_TRUTH_COLUMNS, "anomalies_ground_truth")
    energies = [str(e) for e in params.get("energies", ["gas", "electricity"])]
    labels = ground_truth[ground_truth["energy"].astype(str).isin(energies)].copy()
    labels["day"] = pd.to_datetime(labels["date"]).dt.date
    labels["region_code"] = labels["region_code"].astype(str)
    scored = anomalies[["region_code", "day", "is_anomaly"]].copy()
    scored["region_code"] = scored["region_code"].astype(str)
    scored_keys = _day_keys(scored)
    truth = pd.Series(scored_keys.isin(_day_keys(labels)), index=scored.index)
    metrics = classification_metrics(truth, scored["is_anomaly"])
    metrics["labelled"] = float(truth.sum())
    metrics["flagged"] = float(scored["is_anomaly"].sum())
    # an electricity "flat" label changes only the hourly electricity profile, which the indices
    # do not hold: no feature can see it, so recall is also reported without those labels
    detectable = labels[~((labels["energy"] == "electricity") & (labels["kind"] == "flat"))]
    seen = scored[scored_keys.isin(_day_keys(detectable))]
    metrics["labelled_detectable"] = float(len(seen))
    metrics["recall_detectable"] = float(seen["is_anomaly"].mean()) if len(seen) else float("nan")
    for kind, group in labels.groupby("kind"):
        hit = scored.loc[scored_keys.isin(_day_keys(group)), "is_anomaly"]
        if len(hit):
            metrics[f"recall_{kind}"] = float(hit.mean())
    logger.info("anomaly detection vs labels: %s", {k: round(v, 3) for k, v in metrics.items()})
    return metrics_rows(MODEL_KEY, "validation", metrics)
