"""EnergieWatch fusion + training DAG, triggered by new raw data (Airflow assets).

Runs when the consumption and the weather ingestion DAGs have both published new rows
(usually once a day): ``data_fusion_pipeline`` builds the indices, then the model
pipelines train on them in parallel.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG, AssetAll, task
from energiewatch_airflow.config import (
    FUSION_PIPELINE,
    FUSION_TRIGGER_FAMILIES,
    INDICES_ASSET,
    START_DATE,
    TRAINING_PIPELINES,
    default_args,
    raw_asset,
)

DAG_ID = "energiewatch_fusion_training"
TRIGGER = AssetAll(*(raw_asset(f) for f in FUSION_TRIGGER_FAMILIES))


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
    dagrun_timeout=timedelta(hours=6),
    default_args={**default_args(retries=2), "execution_timeout": timedelta(hours=2)},
    tags=["energiewatch", "fusion", "training"],
    doc_md=DOC,
) as dag:
    fusion = run_pipeline.override(task_id=FUSION_PIPELINE, outlets=[INDICES_ASSET])(
        FUSION_PIPELINE
    )
    for _pipeline in TRAINING_PIPELINES:
        fusion >> run_pipeline.override(task_id=_pipeline)(_pipeline)
