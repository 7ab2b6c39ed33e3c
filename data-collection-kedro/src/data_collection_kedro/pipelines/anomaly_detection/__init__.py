"""Anomaly detection on daily regional consumption (IsolationForest)."""

from data_collection_kedro.pipelines.anomaly_detection.pipeline import create_pipeline

__all__ = ["create_pipeline"]
