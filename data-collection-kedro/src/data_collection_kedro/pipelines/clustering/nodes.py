"""Region clustering nodes: profiles, KMeans (k by silhouette), DBSCAN (eps by k-distance)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN, KMeans
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from data_collection_kedro.modeling.artifacts import ModelArtifact, pinned_requirements
from data_collection_kedro.modeling.clustering import (
    PROFILE_COLUMNS,
    knee_of_k_distance,
    region_profiles,
    target_rows,
)
from data_collection_kedro.modeling.features import model_input
from data_collection_kedro.modeling.metrics import metrics_rows
from data_collection_kedro.modeling.retraining import TrainingData, config_digest, train_or_reuse

logger = logging.getLogger(__name__)

REQUIREMENTS = ("scikit-learn", "pandas", "numpy", "skops")
#: the code the retraining digest covers: what builds the profiles and fits the model
CODE = ("data_collection_kedro.modeling.clustering", __name__)


def build_region_profiles(
    meteo_consommation: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The profile of each region, and the index rows they are computed from (what the
    training node fingerprints)."""
    rows = target_rows(meteo_consommation, params["target"])
    profiles = region_profiles(rows, params["target"])
    if len(profiles) < 2:
        raise ValueError(
            f"clustering needs at least 2 regions with a full year of {params['target']}, "
            f"got {len(profiles)}"
        )
    return profiles, rows


def _silhouette(data: np.ndarray, labels: np.ndarray) -> float:
    n_clusters = len(set(labels))
    if n_clusters < 2 or n_clusters >= len(labels):
        return float("nan")
    return float(silhouette_score(data, labels))


def fit_kmeans(
    profiles: pd.DataFrame,
    params: dict[str, Any],
    input_rows: pd.DataFrame,
    previous: ModelArtifact | None = None,
    retraining: Mapping[str, Any] | None = None,
) -> ModelArtifact:
    """KMeans with the k of best silhouette in ``k_min..k_max`` (bounded by the region count);
    ``previous`` (the stored model) instead when the retraining policy allows it.

    A profile averages every day of its region, so the policy fingerprints the index rows of
    ``target`` the profiles are computed from (``input_rows``,
    :func:`~data_collection_kedro.modeling.clustering.target_rows`)."""
    data_end = pd.Timestamp(pd.to_datetime(input_rows["day"]).max())
    data = TrainingData(frames=[(input_rows, "day")], train_end=data_end, data_end=data_end)
    digest = config_digest(params, CODE, REQUIREMENTS)
    return train_or_reuse(previous, retraining, digest, data, lambda: _fit(profiles, params))


def _fit(profiles: pd.DataFrame, params: dict[str, Any]) -> ModelArtifact:
    data = model_input(profiles, PROFILE_COLUMNS)
    values = data.to_numpy()
    kmeans_params = params.get("kmeans", {})
    seed = int(kmeans_params.get("random_seed", 42))
    k_max = min(int(kmeans_params.get("k_max", 6)), len(profiles) - 1)
    k_min = min(int(kmeans_params.get("k_min", 2)), k_max)
    scores: dict[int, float] = {}
    models: dict[int, KMeans] = {}
    for k in range(max(k_min, 1), max(k_max, 1) + 1):
        model = KMeans(n_clusters=k, n_init=int(kmeans_params.get("n_init", 10)), random_state=seed)
        labels = model.fit_predict(data)
        scores[k], models[k] = _silhouette(values, labels), model
    finite = {k: s for k, s in scores.items() if np.isfinite(s)}
    best = max(finite, key=lambda k: finite[k]) if finite else min(models)
    logger.info("KMeans silhouette by k: %s -> k = %d", scores, best)
    return ModelArtifact(
        model_key="clustering_kmeans",
        registered_name=str(params.get("registered_name") or ""),
        model=models[best],
        input_columns=list(PROFILE_COLUMNS),
        input_example=data.head(5).reset_index(drop=True),
        params={
            "target": params["target"],
            "k": best,
            "k_min": k_min,
            "k_max": k_max,
            "random_seed": seed,
        },
        validation_metrics={
            "silhouette": scores[best],
            "k": float(best),
            **{f"silhouette_k{k}": s for k, s in scores.items()},
        },
        selection_metric="silhouette",
        higher_is_better=True,
        pip_requirements=pinned_requirements(*REQUIREMENTS),
    )


def cluster_regions(
    profiles: pd.DataFrame, kmeans: ModelArtifact, params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``region_clusters`` for KMeans and DBSCAN, and their metrics (silhouette, sizes, eps).

    A few dozen regions at most: scikit-learn's neighbour searches and distances run on one
    thread (OpenMP and BLAS), whose results do not depend on the thread count; starting and
    synchronising threads for a dozen rows cost ten times the work on a busy machine."""
    with threadpool_limits(limits=1):
        return _cluster_regions(profiles, kmeans, params)


def _cluster_regions(
    profiles: pd.DataFrame, kmeans: ModelArtifact, params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = model_input(profiles, PROFILE_COLUMNS)
    values = data.to_numpy()
    kmeans_labels = np.asarray(kmeans.model.predict(data))

    dbscan_params = params.get("dbscan", {})
    min_samples = min(int(dbscan_params.get("min_samples", 2)), len(profiles))
    neighbours = NearestNeighbors(n_neighbors=min_samples).fit(values)
    k_distance = neighbours.kneighbors(values)[0][:, -1]
    eps = knee_of_k_distance(k_distance) * float(dbscan_params.get("eps_scale", 1.0))
    eps = eps if eps > 0 else 1e-6
    dbscan_labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(values)

    clusters = []
    metrics = []
    for algorithm, labels in (("kmeans", kmeans_labels), ("dbscan", dbscan_labels)):
        clusters.append(
            pd.DataFrame(
                {
                    "region_code": profiles["region_code"].astype(str),
                    "algorithm": algorithm,
                    "region": profiles["region"].astype(str),
                    "cluster": labels.astype(int),
                }
            )
        )
        kept = labels >= 0  # DBSCAN noise (-1) has no cluster to be compact in
        values_for_score = values[kept] if algorithm == "dbscan" else values
        labels_for_score = labels[kept] if algorithm == "dbscan" else labels
        found = sorted(set(labels[kept].tolist()))
        result: dict[str, float] = {
            "silhouette": _silhouette(values_for_score, labels_for_score),
            "n_clusters": float(len(found)),
            "n_regions": float(len(labels)),
            **{f"size_cluster_{c}": float((labels == c).sum()) for c in found},
        }
        if algorithm == "dbscan":
            result.update(
                eps=eps, min_samples=float(min_samples), noise_regions=float((~kept).sum())
            )
        metrics.append(metrics_rows(f"clustering_{algorithm}", "all", result))
    return pd.concat(clusters, ignore_index=True), pd.concat(metrics, ignore_index=True)
