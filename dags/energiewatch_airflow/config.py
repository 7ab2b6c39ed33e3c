"""Assets, schedules and task defaults shared by the EnergieWatch DAGs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from airflow.sdk import Asset

OWNER = "energiewatch"
START_DATE = datetime(2024, 1, 1, tzinfo=UTC)
ETL_PIPELINE = "etl_pipeline"
FUSION_PIPELINE = "data_fusion_pipeline"
TRAINING_PIPELINES = ("anomaly_detection", "clustering", "forecasting")
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
        return f"energiewatch_ingest_{self.name}"

    @property
    def asset(self) -> Asset:
        return raw_asset(self.name)


INGESTION_FAMILIES: tuple[IngestionFamily, ...] = (
    IngestionFamily(
        name="fuel",
        schedule="15 * * * *",  # hourly: the official flux is refreshed every few minutes
        nodes=("ingest_fuel_flux", "ingest_fuel_prices"),
        timeout=timedelta(minutes=40),
        description="Fuel stations, prices and shortages (prix-carburants flux).",
    ),
    IngestionFamily(
        name="consumption",
        schedule="0 6 * * *",  # daily: ODRÉ publishes the previous day in the morning
        nodes=("ingest_consumption_regional", "ingest_gas_load_curve"),
        timeout=timedelta(hours=1),
        description="Regional gas and electricity consumption and the GRD/ELD gas load curve.",
    ),
    IngestionFamily(
        name="weather",
        schedule="30 6 * * *",  # daily, after the consumption data
        nodes=("ingest_weather_regional", "ingest_weather_historique"),
        timeout=timedelta(minutes=30),
        description="Daily regional temperatures and historique-meteo observations.",
    ),
    IngestionFamily(
        name="strikes",
        schedule="0 7 * * 1",  # weekly (Monday): the SNCF dataset changes a few times a month
        nodes=("ingest_strikes",),
        timeout=timedelta(minutes=15),
        description="SNCF strike movements (mouvements sociaux depuis 2002).",
    ),
    IngestionFamily(
        name="holidays",
        schedule="@yearly",  # public and school holiday calendars change once a year
        nodes=("ingest_holidays",),
        timeout=timedelta(minutes=15),
        description="French public holidays and school holidays (zones A/B/C, Corse).",
    ),
)
# The fusion + training DAG runs when both daily families have new rows.
FUSION_TRIGGER_FAMILIES = ("consumption", "weather")
