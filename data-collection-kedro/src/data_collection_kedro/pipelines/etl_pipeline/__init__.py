"""``etl_pipeline``: sources → validation → raw store (with quarantine)."""

from data_collection_kedro.pipelines.etl_pipeline.pipeline import create_pipeline

__all__ = ["create_pipeline"]
