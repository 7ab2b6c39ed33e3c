"""Anomaly detection pipeline: features → IsolationForest → scored days → evaluation."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from data_collection_kedro import phases

from .nodes import (
    build_anomaly_features,
    evaluate_anomalies,
    score_anomalies,
    train_anomaly_model,
)


def create_pipeline(**kwargs: object) -> Pipeline:
    return Pipeline(
        [
            Node(
                build_anomaly_features,
                inputs=[
                    "meteo_consommation",
                    "consommation_mouvements",
                    "params:anomaly_detection",
                    "params:anomaly_compute",
                ],
                outputs=["anomaly_features", "anomaly_input_rows"],
                name="build_anomaly_features",
                tags=[phases.tag(phases.PROCESSING)],
            ),
            Node(
                train_anomaly_model,
                inputs=[
                    "anomaly_features",
                    "params:anomaly_detection",
                    "anomaly_input_rows",
                    "anomaly_isolationforest_model_previous",
                    "params:model_retraining",
                ],
                outputs="anomaly_isolationforest_model",
                name="train_anomaly_isolationforest",
                tags=[phases.tag(phases.TRAINING)],
            ),
            Node(
                score_anomalies,
                inputs=[
                    "anomaly_features",
                    "anomaly_isolationforest_model",
                    "params:anomaly_compute",
                ],
                outputs="consumption_anomalies",
                name="score_anomalies",
                tags=[phases.tag(phases.INFERENCE)],
            ),
            Node(
                evaluate_anomalies,
                inputs=[
                    "consumption_anomalies",
                    "anomalies_ground_truth",
                    "params:anomaly_detection",
                ],
                outputs="model_metrics_anomaly_detection",
                name="evaluate_anomalies",
                tags=[phases.tag(phases.TRAINING)],
            ),
        ],
        tags=["anomaly_detection", "models"],
    )
