"""Placeholder until the MLflow hook lands."""

from __future__ import annotations


class MlflowTrackingHook:
    """MLflow parent/child runs per pipeline run (implementation in progress)."""
