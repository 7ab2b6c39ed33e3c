"""Clustering pipeline: regional profiles → KMeans / DBSCAN → assignments and metrics."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from data_collection_kedro import phases

from .nodes import (
    build_region_profiles,
    cluster_regions,
    fit_kmeans,
)


def create_pipeline(**kwargs: object) -> Pipeline:
    return Pipeline(
        [
            Node(
                build_region_profiles,
                inputs=["meteo_consommation", "params:clustering"],
                outputs=["region_profiles", "clustering_input_rows"],
                name="build_region_profiles",
                tags=[phases.tag(phases.PROCESSING)],
            ),
            Node(
                fit_kmeans,
                inputs=[
                    "region_profiles",
                    "params:clustering",
                    "clustering_input_rows",
                    "clustering_kmeans_model_previous",
                    "params:model_retraining",
                ],
                outputs="clustering_kmeans_model",
                name="fit_clustering_kmeans",
                tags=[phases.tag(phases.TRAINING)],
            ),
            Node(
                cluster_regions,
                inputs=["region_profiles", "clustering_kmeans_model", "params:clustering"],
                outputs=["region_clusters", "model_metrics_clustering"],
                name="cluster_regions",
                tags=[phases.tag(phases.INFERENCE)],
            ),
        ],
        tags=["clustering", "models"],
    )
