"""EnergieWatch fusion + training DAG, triggered by new raw data (Airflow assets).

Runs when the consumption and the weather ingestion DAGs have both published new rows
(usually once a day). The work can wait: a first task picks the lowest-carbon start within the
next hours (the grid intensity predicted from the previous days' profile), a deferred sensor
waits for it, then ``data_fusion_pipeline`` builds the indices and the model pipelines train on
them in parallel.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.sdk import DAG, AssetAll, Param, get_current_context, task
from energiewatch_airflow.config import (
    FUSION_PIPELINE,
    FUSION_TRAINING_DAG,
    FUSION_TRIGGER_FAMILIES,
    INDICES_ASSET,
    START_DATE,
    TRAINING_PIPELINES,
    default_args,
    raw_asset,
)

DAG_ID = FUSION_TRAINING_DAG
TRIGGER = AssetAll(*(raw_asset(f) for f in FUSION_TRIGGER_FAMILIES))
PLAN_TASK = "plan_low_carbon_start"
MAX_DELAY_HOURS = 24  # the longest wait a run may ask for (its timeouts allow for it)
WORK_TIMEOUT = timedelta(hours=6)


@task(task_id=PLAN_TASK)
def plan_low_carbon_start() -> dict[str, Any]:
    """Choose the start: the lowest predicted grid intensity within the next hours."""
    from energiewatch_airflow.kedro_runner import plan_low_carbon_start as plan

    params = get_current_context()["params"]
    return plan(enabled=params.get("carbon_aware"), max_delay_hours=params.get("max_delay_hours"))


@task
def run_pipeline(pipeline_name: str) -> dict[str, Any]:
    """Run a whole registered Kedro pipeline through a KedroSession."""
    from energiewatch_airflow.kedro_runner import run_kedro

    return run_kedro(pipeline_name)


DOC = f"""
### Fusion and model training

Triggered by the assets {", ".join(f"`{raw_asset(f).name}`" for f in FUSION_TRIGGER_FAMILIES)}
(both updated since the last run, i.e. new consumption *and* weather rows). Fuel, strike and
holiday updates are picked up by the next run.

0. `{PLAN_TASK}` — carbon-aware start: predicts the grid's intensity (RTE eco2mix, profile of
   the previous days by time of day) for the next `max_delay_hours` and picks the start of the
   lowest-intensity window (parameters `carbon_aware_scheduling`; the run params
   `carbon_aware` and `max_delay_hours` override them); `wait_for_low_carbon_window` waits for
   it without holding a worker slot (deferred to the triggerer).
1. `{FUSION_PIPELINE}` — merges the raw tables into the indices (`meteo_consommation`,
   `consommation_mouvements`, `prix_carburants_journalier`, `fusion_data_quality`); updates the
   asset `{INDICES_ASSET.name}`.
2. {", ".join(f"`{p}`" for p in TRAINING_PIPELINES)} — train and score the models in parallel
   (MLflow-tracked, carbon-measured per node).
"""

with DAG(
    dag_id=DAG_ID,
    description="Merge the raw data into the indices and train the models.",
    schedule=TRIGGER,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=WORK_TIMEOUT + timedelta(hours=MAX_DELAY_HOURS),
    default_args={**default_args(retries=2), "execution_timeout": timedelta(hours=2)},
    tags=["energiewatch", "fusion", "training", "carbon-aware"],
    doc_md=DOC,
    params={
        "carbon_aware": Param(
            None,
            type=["null", "boolean"],
            description="wait for the lowest-carbon window (null: the project's parameter)",
        ),
        "max_delay_hours": Param(
            None,
            type=["null", "integer"],
            minimum=0,
            maximum=MAX_DELAY_HOURS,
            description="latest start, in hours after the trigger (null: the project's)",
        ),
    },
) as dag:
    plan = plan_low_carbon_start()
    wait = DateTimeSensorAsync(
        task_id="wait_for_low_carbon_window",
        target_time="{{ ti.xcom_pull(task_ids='" + PLAN_TASK + "')['start_at'] }}",
        execution_timeout=timedelta(hours=MAX_DELAY_HOURS + 1),
        retries=2,
    )
    fusion = run_pipeline.override(task_id=FUSION_PIPELINE, outlets=[INDICES_ASSET])(
        FUSION_PIPELINE
    )
    plan >> wait >> fusion
    for _pipeline in TRAINING_PIPELINES:
        fusion >> run_pipeline.override(task_id=_pipeline)(_pipeline)
