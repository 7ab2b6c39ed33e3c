"""The fusion's raw inputs: every raw table a fusion node reads is ``raw_<table>_rows`` (a
``RawRowsDataset`` in conf/base, on the MongoDB store in conf/prod), never the ETL's
``raw_<table>`` (which would load the whole table), and in the default pipeline the fusion runs
after every ETL node writing one of those tables."""

from __future__ import annotations

from typing import Any

import pytest

from data_collection_kedro.domain.fusion_window import RAW_TABLES, rows_dataset
from tests.support.paths import KEDRO_PROJECT


@pytest.fixture(scope="module")
def pipelines() -> dict[str, Any]:
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(KEDRO_PROJECT)
    from data_collection_kedro.pipeline_registry import register_pipelines

    return register_pipelines()


def _catalog(env: str | None) -> Any:
    from kedro.framework.session import KedroSession

    with KedroSession.create(project_path=KEDRO_PROJECT, env=env) as session:
        return session.load_context().catalog


def test_fusion_nodes_read_the_rows_datasets(pipelines: dict[str, Any]) -> None:
    inputs = pipelines["data_fusion_pipeline"].inputs()
    assert not inputs & set(RAW_TABLES), inputs & set(RAW_TABLES)
    assert {rows_dataset(table) for table in RAW_TABLES} <= inputs


@pytest.mark.parametrize(
    ("env", "store"), [(None, "DuckDBTableDataset"), ("prod", "MongoCollectionDataset")]
)
def test_the_rows_datasets_read_the_raw_store(env: str | None, store: str) -> None:
    from data_collection_kedro.datasets import RawRowsDataset

    catalog = _catalog(env)
    for table in RAW_TABLES:
        dataset = catalog.get(rows_dataset(table))
        assert isinstance(dataset, RawRowsDataset), table
        assert dataset.load().table.name == table
        assert dataset._describe()["store"] == f"data_collection_kedro.datasets.{store}", table


def test_the_fusion_follows_the_etl_nodes_of_its_raw_tables(pipelines: dict[str, Any]) -> None:
    from data_collection_kedro.sources import registry

    default = pipelines["__default__"]
    order = [node.name for node in default.nodes]
    writers = {
        source.node_name
        for source in registry.sources()
        if any(table.name in RAW_TABLES for table in source.tables)
    }
    assert writers, "no ETL node writes a raw table of the fusion"
    (plan,) = [node for node in default.nodes if node.name == "plan_fusion_window"]
    assert writers <= {node.name for node in default.node_dependencies[plan]}
    for name in writers:
        assert order.index(name) < order.index("plan_fusion_window"), name
