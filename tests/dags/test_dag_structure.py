"""The DAGs import cleanly and declare the expected schedules, retries, tags and dependencies."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from .conftest import DAGS_FOLDER, REPO_ROOT

INGESTION_SCHEDULES = {
    "energiewatch_ingest_fuel": "15 * * * *",
    "energiewatch_ingest_consumption": "0 6 * * *",
    "energiewatch_ingest_weather": "30 6 * * *",
    "energiewatch_ingest_weather_forecast": "30 4,10 * * *",
    "energiewatch_ingest_strikes": "0 7 * * 1",
    "energiewatch_ingest_holidays": "@yearly",
    "energiewatch_ingest_grid": "45 * * * *",
}
FUSION_DAG = "energiewatch_fusion_training"
PLAN_TASK, WAIT_TASK = "plan_low_carbon_start", "wait_for_low_carbon_window"
TRAINING = {"anomaly_detection", "clustering", "forecasting"}


def test_dagbag_has_no_import_errors_and_the_expected_dags(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == {*INGESTION_SCHEDULES, FUSION_DAG}


@pytest.mark.parametrize(("dag_id", "schedule"), sorted(INGESTION_SCHEDULES.items()))
def test_ingestion_dag_settings(dagbag, dag_id: str, schedule: str) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags[dag_id]
    family = dag_id.removeprefix("energiewatch_ingest_")
    assert dag.schedule == schedule
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert {"energiewatch", "ingestion", family} <= set(dag.tags)
    assert dag.owner == "energiewatch"
    assert dag.doc_md and "etl_pipeline" in dag.doc_md
    kedro_tasks = [t for t in dag.tasks if t.task_id != "publish_new_data"]
    assert kedro_tasks, "one task per ETL node"
    for task in kedro_tasks:
        assert task.retries == 3
        assert task.retry_exponential_backoff > 0
        assert task.max_retry_delay == timedelta(minutes=30)
        assert task.execution_timeout is not None
        assert task.execution_timeout <= dag.dagrun_timeout
    publish = dag.get_task("publish_new_data")
    assert set(publish.upstream_task_ids) == {t.task_id for t in kedro_tasks}
    assert [a.name for a in publish.outlets] == [f"energiewatch_raw_{family}"]


def test_ingestion_tasks_cover_every_etl_node_of_their_family(dagbag) -> None:  # type: ignore[no-untyped-def]
    from data_collection_kedro.pipelines.etl_pipeline.pipeline import create_pipeline

    etl = create_pipeline()
    scheduled: set[str] = set()
    for dag_id in INGESTION_SCHEDULES:
        family = dag_id.removeprefix("energiewatch_ingest_")
        tasks = {t.task_id for t in dagbag.dags[dag_id].tasks} - {"publish_new_data"}
        expected = {n.name for n in etl.nodes if family in n.tags}
        assert tasks == expected, dag_id
        scheduled |= tasks
    assert scheduled == {n.name for n in etl.nodes}, "every ETL node is scheduled once"


def test_ingestion_dags_are_the_declared_source_families(dagbag) -> None:  # type: ignore[no-untyped-def]
    """Schedules, timeouts and task order come from the source registry's declarations."""
    from data_collection_kedro.sources import registry

    declared = registry.load()
    for family in declared.families():
        dag = dagbag.dags[f"energiewatch_ingest_{family.name}"]
        assert dag.schedule == family.schedule
        assert dag.description == family.description
        nodes = [s.node_name for s in declared.family_sources(family.name)]
        assert [t.task_id for t in dag.topological_sort()] == [*nodes, "publish_new_data"]
        assert all(dag.get_task(n).execution_timeout == family.timeout for n in nodes)


def test_fusion_training_dag_is_triggered_by_the_ingestion_assets(dagbag) -> None:  # type: ignore[no-untyped-def]
    from airflow.sdk import AssetAll

    dag = dagbag.dags[FUSION_DAG]
    condition = dag.timetable.asset_condition
    assert isinstance(condition, AssetAll)
    trigger = {a.name for a in condition.objects}
    assert trigger == {"energiewatch_raw_consumption", "energiewatch_raw_weather"}
    produced = {
        a.name
        for dag_id in INGESTION_SCHEDULES
        for t in dagbag.dags[dag_id].tasks
        for a in t.outlets
    }
    assert trigger <= produced, "each trigger asset is updated by an ingestion DAG"
    assert dag.catchup is False and dag.owner == "energiewatch" and dag.doc_md
    assert {"energiewatch", "fusion", "training"} <= set(dag.tags)
    fusion = dag.get_task("data_fusion_pipeline")
    assert set(fusion.downstream_task_ids) == TRAINING
    # carbon-aware start: plan, then a deferred wait, before any Kedro work
    assert set(fusion.upstream_task_ids) == {WAIT_TASK}
    assert set(dag.get_task(WAIT_TASK).upstream_task_ids) == {PLAN_TASK}
    assert dag.get_task(WAIT_TASK).execution_timeout > timedelta(hours=24)
    assert dag.dagrun_timeout >= timedelta(hours=24 + 6)
    assert set(dag.params) == {"carbon_aware", "max_delay_hours"}
    for task in dag.tasks:
        assert task.retries == 2 and task.retry_exponential_backoff > 0
        if task.task_id != WAIT_TASK:
            assert task.execution_timeout == timedelta(hours=2)


def test_the_dags_run_the_plans_the_carbon_report_projects(dagbag) -> None:  # type: ignore[no-untyped-def]
    """``data_collection_kedro.schedules`` (read by the yearly projection) is what the DAGs run."""
    from data_collection_kedro.schedules import dag_plans

    plans = {p.dag_id: p for p in dag_plans()}
    assert set(plans) == set(dagbag.dag_ids)
    for dag_id, plan in plans.items():
        dag = dagbag.dags[dag_id]
        kedro_tasks = [
            t.task_id
            for t in dag.topological_sort()
            if t.task_id not in {"publish_new_data", PLAN_TASK, WAIT_TASK}
        ]
        if plan.schedule:
            assert dag.schedule == plan.schedule
            assert kedro_tasks == [n for task in plan.tasks for n in task.nodes or ()]
        else:
            assert kedro_tasks[0] == plan.tasks[0].pipeline
            assert set(kedro_tasks) == {task.pipeline for task in plan.tasks}
            assert plan.deferrable and PLAN_TASK in dag.task_ids


def test_dag_tasks_name_registered_kedro_pipelines(dagbag) -> None:  # type: ignore[no-untyped-def]
    from kedro.framework.project import find_pipelines
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(REPO_ROOT / "data-collection-kedro")
    registered = set(find_pipelines(raise_errors=True))
    wanted = {t.task_id for t in dagbag.dags[FUSION_DAG].tasks} - {PLAN_TASK, WAIT_TASK}
    wanted |= {"etl_pipeline"}
    missing = wanted - registered
    assert not missing, f"DAG tasks run Kedro pipelines that are not registered: {missing}"


def test_ruff_airflow_rules_are_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "AIR", str(DAGS_FOLDER)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_kedro_env_from_variable_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from energiewatch_airflow import kedro_runner

    monkeypatch.delenv("KEDRO_ENV", raising=False)
    monkeypatch.setattr(kedro_runner, "_airflow_variable", lambda name: None)
    assert kedro_runner.kedro_env() is None  # base
    monkeypatch.setenv("KEDRO_ENV", "prod")
    assert kedro_runner.kedro_env() == "prod"
    monkeypatch.setenv("KEDRO_ENV", "base")
    assert kedro_runner.kedro_env() is None
    # the Airflow Variable wins over the environment
    monkeypatch.setattr(kedro_runner, "_airflow_variable", lambda name: "live")
    assert kedro_runner.kedro_env() == "live"
    # outside a task the Variable lookup fails softly and the environment is used
    monkeypatch.undo()
    monkeypatch.setenv("KEDRO_ENV", "prod")
    assert kedro_runner.kedro_env() == "prod"


def test_new_rows_summary_of_ingestion_runs() -> None:
    from energiewatch_airflow.kedro_runner import summarise_runs

    runs = [
        {"new_rows": 3, "inserted": {"raw_fuel_stations": 1, "raw_fuel_prices": 2}},
        {"new_rows": 4, "inserted": {"raw_fuel_prices": 4}},
    ]
    assert summarise_runs(runs) == {
        "new_rows": 7,
        "inserted": {"raw_fuel_stations": 1, "raw_fuel_prices": 6},
    }
    assert summarise_runs([{"new_rows": 0, "inserted": {"raw_strikes": 0}}])["new_rows"] == 0
    # a run that could not count (or returned nothing) makes the total unknown -> publish
    assert summarise_runs([runs[0], {"new_rows": None, "inserted": {}}])["new_rows"] is None
    assert summarise_runs([None])["new_rows"] is None


def test_inserted_rows_come_from_the_run_summary() -> None:
    from energiewatch_airflow.kedro_runner import inserted_rows

    summary = {
        "datasets": {
            "raw_strikes": {"saves": 1, "rows": 5, "inserted": 2, "updated": 0, "unchanged": 3},
            "quarantine_strikes": {"saves": 1, "rows": 1, "inserted": 1},
            "source_strikes": {"saves": 1, "rows": 5, "inserted": None},  # not a raw store
        }
    }
    assert inserted_rows(summary) == ({"raw_strikes": 2}, True)
    # a raw dataset without counts, or no summary at all: unknown (the DAG publishes)
    summary["datasets"]["raw_fuel"] = {"saves": 1, "rows": 4, "inserted": None}
    assert inserted_rows(summary) == ({"raw_strikes": 2}, False)
    assert inserted_rows(None) == ({}, False)
