"""Anomaly detection on daily regional consumption (IsolationForest)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
