"""Assets, schedules and task defaults shared by the EnergieWatch DAGs.

The ingestion DAGs (one per source family, with its schedule and nodes) come from the source
registry: ``data_collection_kedro/sources/declarations/``; which pipelines the fusion +
training DAG runs and what triggers it: ``data_collection_kedro.schedules`` (the carbon report
projects each DAG's yearly footprint from the same plans).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from airflow.sdk import Asset

from data_collection_kedro.schedules import (
    ETL_PIPELINE,
    FUSION_PIPELINE,
    FUSION_TRAINING_DAG,
    FUSION_TRIGGER_FAMILIES,
    TRAINING_PIPELINES,
    ingestion_dag_id,
)
from data_collection_kedro.sources import registry

__all__ = [
    "ETL_PIPELINE",
    "FUSION_PIPELINE",
    "FUSION_TRAINING_DAG",
    "FUSION_TRIGGER_FAMILIES",
    "TRAINING_PIPELINES",
]

OWNER = "energiewatch"
START_DATE = datetime(2024, 1, 1, tzinfo=UTC)
# Embedded DuckDB store = one writer at a time: point every Kedro task at a 1-slot pool.
KEDRO_POOL = os.environ.get("ENERGIEWATCH_AIRFLOW_POOL", "default_pool")


def default_args(retries: int = 3) -> dict[str, object]:
    """Retries with exponential backoff (2, 4, 8… min, capped at 30 min)."""
    return {
        "owner": OWNER,
        "retries": retries,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "execution_timeout": timedelta(hours=1),
        "pool": KEDRO_POOL,
    }


def raw_asset(family: str) -> Asset:
    """The raw-store tables of one source family, as an Airflow asset."""
    return Asset(
        name=f"energiewatch_raw_{family}", uri=f"energiewatch://raw/{family}", group="energiewatch"
    )


INDICES_ASSET = Asset(
    name="energiewatch_indices", uri="energiewatch://indices/all", group="energiewatch"
)


@dataclass(frozen=True)
class IngestionFamily:
    """One ingestion DAG: the ETL nodes of a source family and its schedule."""

    name: str
    schedule: str
    nodes: tuple[str, ...]  # node names of the ETL pipeline, run in this order
    timeout: timedelta
    description: str

    @property
    def dag_id(self) -> str:
        return ingestion_dag_id(self.name)

    @property
    def asset(self) -> Asset:
        return raw_asset(self.name)


def ingestion_families() -> tuple[IngestionFamily, ...]:
    """One DAG per source family of the source registry (its declarations set the schedule)."""
    declared = registry.load()
    return tuple(
        IngestionFamily(
            name=family.name,
            schedule=family.schedule,
            nodes=tuple(s.node_name for s in declared.family_sources(family.name)),
            timeout=family.timeout,
            description=family.description,
        )
        for family in declared.families()
    )


INGESTION_FAMILIES = ingestion_families()
