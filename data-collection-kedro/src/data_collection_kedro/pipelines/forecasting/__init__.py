"""Consumption forecasting: day-ahead and what-if models with baselines."""

from data_collection_kedro.pipelines.forecasting.pipeline import create_pipeline

__all__ = ["create_pipeline"]
