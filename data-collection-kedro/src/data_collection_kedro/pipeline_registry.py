"""Project pipelines.

``__default__`` is the main job: ingestion, fusion, then the models.
"""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

DEFAULT_PIPELINES = (
    "etl_pipeline",
    "data_fusion_pipeline",
    "anomaly_detection",
    "clustering",
    "forecasting",
)


def register_pipelines() -> dict[str, Pipeline]:
    pipelines = find_pipelines(raise_errors=True)
    default = Pipeline([])
    for name in DEFAULT_PIPELINES:
        if name in pipelines:
            default += pipelines[name]
    pipelines["__default__"] = default
    return pipelines
