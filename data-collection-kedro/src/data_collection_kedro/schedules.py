"""What the Airflow DAGs run and how often: one place for the DAG folder and the carbon report.

- one ingestion DAG per source family of the source registry (its cron ``schedule``), one task
  per ETL node of the family (``kedro run --pipeline etl_pipeline --nodes <node>``);
- the fusion + training DAG, triggered by new rows of :data:`FUSION_TRIGGER_FAMILIES`, running
  :data:`FUSION_PIPELINE` then :data:`TRAINING_PIPELINES` (one task each); it is *deferrable*:
  it may wait for the lowest-carbon window of the next hours (``carbon_aware_scheduling``).

``dags/energiewatch_airflow/config.py`` builds the DAGs from these plans; the carbon report
projects each DAG's yearly footprint from them (runs per year × measured energy per run).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from functools import cache

from data_collection_kedro.sources import registry

ETL_PIPELINE = "etl_pipeline"
FUSION_PIPELINE = "data_fusion_pipeline"
TRAINING_PIPELINES = ("anomaly_detection", "clustering", "forecasting")
# the fusion + training DAG runs when both daily families have new rows
FUSION_TRIGGER_FAMILIES = ("consumption", "weather")
FUSION_TRAINING_DAG = "energiewatch_fusion_training"
INGESTION_DAG_PREFIX = "energiewatch_ingest_"
#: the year runs per year are counted over (not a leap year)
REFERENCE_YEAR = 2025


@dataclasses.dataclass(frozen=True)
class Task:
    """One Airflow task: a Kedro pipeline, or some of its nodes (``None``: all of them)."""

    pipeline: str
    nodes: tuple[str, ...] | None = None


@dataclasses.dataclass(frozen=True)
class DagPlan:
    """A DAG: its tasks in order and what starts it (a cron ``schedule`` or other DAGs)."""

    dag_id: str
    tasks: tuple[Task, ...]
    schedule: str | None = None  # cron expression or preset (``@yearly``)
    triggered_by: tuple[str, ...] = ()  # dag ids whose new data (all of them) start it
    deferrable: bool = False  # may wait for a low-carbon window


def ingestion_dag_id(family: str) -> str:
    return f"{INGESTION_DAG_PREFIX}{family}"


@cache
def dag_plans() -> tuple[DagPlan, ...]:
    """Every DAG of the project, ingestion DAGs first (in the registry's family order)."""
    declared = registry.load()
    plans = [
        DagPlan(
            dag_id=ingestion_dag_id(family.name),
            schedule=family.schedule,
            tasks=tuple(
                Task(ETL_PIPELINE, (source.node_name,))
                for source in declared.family_sources(family.name)
            ),
        )
        for family in declared.families()
    ]
    plans.append(
        DagPlan(
            dag_id=FUSION_TRAINING_DAG,
            triggered_by=tuple(ingestion_dag_id(f) for f in FUSION_TRIGGER_FAMILIES),
            tasks=(Task(FUSION_PIPELINE), *(Task(p) for p in TRAINING_PIPELINES)),
            deferrable=True,
        )
    )
    return tuple(plans)


def cron_runs_per_year(schedule: str, year: int = REFERENCE_YEAR) -> int:
    """How many times a cron expression or preset fires in ``year``."""
    from croniter import croniter

    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    it = croniter(schedule, start - timedelta(seconds=1))  # a run at 00:00:00 counts
    count = 0
    while it.get_next(datetime) < end:
        count += 1
        if count > 600_000:  # every minute is 525,600: a bad expression, not a schedule
            raise ValueError(f"schedule {schedule!r} fires more than every minute")
    return count


def runs_per_year(plan: DagPlan, plans: tuple[DagPlan, ...] | None = None) -> int:
    """A scheduled DAG: its cron count. A DAG triggered when all its trigger DAGs brought new
    data runs at most as often as the least frequent of them (an upper bound: a run without
    new rows publishes nothing)."""
    if plan.schedule:
        return cron_runs_per_year(plan.schedule)
    by_id = {p.dag_id: p for p in plans or dag_plans()}
    return min(runs_per_year(by_id[d], plans) for d in plan.triggered_by)
