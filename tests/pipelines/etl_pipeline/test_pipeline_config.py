"""The pipeline's nodes, tags and catalog entries line up (names the schedulers rely on)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from data_collection_kedro.datasets import DuckDBTableDataset, MongoCollectionDataset
from data_collection_kedro.pipelines.etl_pipeline import create_pipeline
from tests.support.paths import KEDRO_PROJECT

SOURCES = {
    "source_consumption_regional",
    "source_gas_load_curve",
    "source_weather_regional",
    "source_weather_historique",
    "source_fuel_prices_history",
    "source_fuel_flux",
    "source_strikes",
    "source_holidays",
    "source_consumption_national",
    "source_weather_forecast",
    "source_grid_carbon_intensity",
}
# (table, natural key) of every output: the names and keys the raw store holds
RAW_TABLES = {
    "raw_consumption_regional": ("raw_consumption_regional", ["region_code", "timestamp_utc"]),
    "raw_gas_load_curve": ("raw_gas_load_curve", ["date", "operator", "sector", "region_code"]),
    "raw_weather_regional": ("raw_weather_regional", ["date", "region_code"]),
    "raw_weather_historique": ("raw_weather_historique", ["region", "day"]),
    "raw_fuel_stations": ("raw_fuel_stations", ["station_id"]),
    "raw_fuel_prices": ("raw_fuel_prices", ["station_id", "fuel", "updated_at"]),
    "raw_fuel_prices_snapshot": ("raw_fuel_prices", ["station_id", "fuel", "updated_at"]),
    "raw_fuel_shortages": ("raw_fuel_shortages", ["station_id", "fuel", "start_at"]),
    "raw_strikes": ("raw_strikes", ["strike_id"]),
    "raw_public_holidays": ("raw_public_holidays", ["date", "zone", "name"]),
    "raw_school_holidays": ("raw_school_holidays", ["zone", "description", "start_date"]),
    "raw_consumption_national": ("raw_consumption_national", ["timestamp_utc"]),
    "raw_weather_forecast": (
        "raw_weather_forecast",
        ["region_code", "target_day", "issue_day"],
    ),
    "raw_grid_carbon_intensity": ("raw_grid_carbon_intensity", ["timestamp_utc"]),
}
QUARANTINE = ("raw_quarantine", ["source", "source_file", "source_line", "reason"])
STATUS = ("ingestion_status", ["source"])
FILES = ("ingested_files", ["source", "file"])


def _catalog(env: str | None) -> Any:
    bootstrap_project(KEDRO_PROJECT)
    return KedroSession.create(project_path=KEDRO_PROJECT, env=env).load_context().catalog


def test_one_tagged_node_per_source_reading_a_stable_source_name() -> None:
    pipeline = create_pipeline()
    tags = {n.name: set(n.tags) - {"phase.collection"} for n in pipeline.nodes}
    assert tags == {
        "ingest_consumption_regional": {"consumption"},
        "ingest_gas_load_curve": {"consumption"},
        "ingest_weather_regional": {"weather"},
        "ingest_weather_historique": {"weather"},
        "ingest_fuel_prices": {"fuel"},
        "ingest_fuel_flux": {"fuel"},
        "ingest_strikes": {"strikes"},
        "ingest_holidays": {"holidays"},
        "ingest_consumption_national": {"consumption"},
        "ingest_weather_forecast": {"weather_forecast"},
        "ingest_grid_carbon_intensity": {"grid"},
    }
    assert all("phase.collection" in n.tags for n in pipeline.nodes)
    assert {i for n in pipeline.nodes for i in n.inputs if i.startswith("source_")} == SOURCES
    outputs = {o for n in pipeline.nodes for o in n.outputs}
    assert {o for o in outputs if o.startswith("raw_")} == set(RAW_TABLES)
    assert {o for o in outputs if o.startswith("quarantine_")} == {
        s.replace("source_", "quarantine_") for s in SOURCES
    }
    assert {o for o in outputs if o.startswith("ingestion_status_")} == {
        s.replace("source_", "ingestion_status_") for s in SOURCES
    }
    assert {o for o in outputs if o.startswith("ingested_files_")} == {
        s.replace("source_", "ingested_files_") for s in SOURCES
    }
    assert {n.name: n.inputs[1:] for n in pipeline.nodes} == dict.fromkeys(
        tags, ["params:etl", "ingested_files"]
    )


@pytest.mark.parametrize(
    ("env", "store", "place"),
    [(None, DuckDBTableDataset, "table"), ("prod", MongoCollectionDataset, "collection")],
)
def test_every_output_resolves_to_its_declared_table_and_key(
    env: str | None, store: type, place: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Production stores every output in MongoDB under the same table name and natural key."""
    monkeypatch.chdir(KEDRO_PROJECT)
    catalog = _catalog(env)
    pipeline = create_pipeline()
    for name in sorted({o for n in pipeline.nodes for o in n.outputs}):
        dataset = catalog.get(name)
        assert type(dataset) is store, name
        described = dataset._describe()
        expected = (
            QUARANTINE
            if name.startswith("quarantine_")
            else STATUS
            if name.startswith("ingestion_status_")
            else FILES
            if name.startswith("ingested_files_")
            else RAW_TABLES[name]
        )
        assert (described[place], described["key"]) == expected, name
        assert described["batch_size"] >= 5000
    if env is None:
        assert catalog.get("raw_consumption_regional")._indexes == [["date"]]


def test_an_undeclared_raw_name_fails_naming_the_declared_ones(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(KEDRO_PROJECT)
    with pytest.raises(Exception, match=r"raw_nowhere.*raw_consumption_regional"):
        _catalog(None).get("raw_nowhere")


def test_the_forecasting_evaluation_ingests_the_sources_its_fusion_nodes_read() -> None:
    import importlib.util

    from tests.support.paths import REPO_ROOT

    spec = importlib.util.spec_from_file_location(
        "evaluate_forecasting", REPO_ROOT / "scripts" / "evaluate_forecasting.py"
    )
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.etl_nodes_feeding(script.FUSION_NODES) == [
        "ingest_consumption_national",
        "ingest_consumption_regional",
        "ingest_gas_load_curve",
        "ingest_holidays",
        "ingest_strikes",
        "ingest_weather_historique",
        "ingest_weather_regional",
    ]  # no fuel, no weather forecasts: the forecasting fusion nodes do not read them


@pytest.mark.parametrize("env", [None, "real"])
def test_every_environment_gives_the_etl_nodes_source_readers(
    env: str | None, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An environment pointing a source at other files (conf/real) still hands the ETL node a
    reader of files (the node lists them before reading), not a loaded frame."""
    from data_collection_kedro.datasets.declared_source import LazySourceDataset
    from data_collection_kedro.datasets.source_files import CsvSourceDataset

    monkeypatch.chdir(KEDRO_PROJECT)
    catalog = _catalog(env)
    for name in sorted(SOURCES):
        dataset = catalog.get(name)
        assert isinstance(dataset, LazySourceDataset), (env, name, type(dataset))
    national = catalog.get("source_consumption_national")
    assert isinstance(national.dataset, CsvSourceDataset)
