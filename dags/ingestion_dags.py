"""EnergieWatch ingestion DAGs: one per source family, each running its ETL nodes in Kedro.

``energiewatch_ingest_fuel`` (hourly), ``_consumption`` and ``_weather`` (daily),
``_strikes`` (weekly) and ``_holidays`` (yearly). Each ETL node of the family is one task
(``kedro run --pipeline etl_pipeline --nodes <node>``); a final ``publish_new_data`` task
updates the family's raw-store asset only when the run inserted rows, which is what
triggers the fusion + training DAG.
"""

from __future__ import annotations

from typing import Any, cast

from airflow.sdk import DAG, chain, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException
from energiewatch_airflow.config import (
    ETL_PIPELINE,
    INGESTION_FAMILIES,
    START_DATE,
    IngestionFamily,
    default_args,
)


@task
def run_etl_node(node_name: str) -> dict[str, Any]:
    """Run one node of the ETL pipeline through a KedroSession."""
    from energiewatch_airflow.kedro_runner import run_kedro

    return run_kedro(ETL_PIPELINE, node_names=[node_name])


@task
def publish_new_data(runs: list[dict[str, Any]], family: str) -> dict[str, Any]:
    """Emit the family's asset event when rows were inserted; skip (no event) otherwise."""
    from energiewatch_airflow.kedro_runner import summarise_runs

    summary = summarise_runs(runs)
    if summary["new_rows"] == 0:
        raise AirflowSkipException(f"{family}: no new rows in the raw store")
    summary["family"] = family
    context = get_current_context()
    for asset in context["outlets"]:
        context["outlet_events"][asset].extra = summary
    return summary


def build_ingestion_dag(family: IngestionFamily) -> DAG:
    nodes = ", ".join(f"`{n}`" for n in family.nodes)
    doc = f"""
### {family.description}

Runs the Kedro ETL nodes {nodes} of `{ETL_PIPELINE}` (one task each, in order) into the raw
store — DuckDB by default, MongoDB with the Kedro env `prod` (Airflow Variable
`energiewatch_kedro_env` or `KEDRO_ENV`). Ingestion is idempotent (upserts on natural keys).

`publish_new_data` updates the asset `{family.asset.name}` only when rows were inserted
(otherwise it is skipped), so the fusion + training DAG runs on new data only.
Schedule: `{family.schedule}`, no catch-up; retries with exponential backoff.
"""
    with DAG(
        dag_id=family.dag_id,
        description=family.description,
        schedule=family.schedule,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=family.timeout * (len(family.nodes) + 1),
        default_args={**default_args(), "execution_timeout": family.timeout},
        tags=["energiewatch", "ingestion", family.name],
        doc_md=doc,
    ) as dag:
        runs = [run_etl_node.override(task_id=node)(node) for node in family.nodes]
        publish = publish_new_data.override(
            task_id="publish_new_data", outlets=[family.asset], retries=0, pool="default_pool"
        )(cast(Any, runs), family.name)
        chain(*runs, publish)
    return dag


for _family in INGESTION_FAMILIES:
    globals()[_family.dag_id] = build_ingestion_dag(_family)
