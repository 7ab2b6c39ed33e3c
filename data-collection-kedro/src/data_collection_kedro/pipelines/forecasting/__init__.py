"""Consumption forecasting: day-ahead and what-if models with baselines."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
