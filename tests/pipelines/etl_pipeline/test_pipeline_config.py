"""The pipeline's nodes, tags and catalog entries line up (names the schedulers rely on)."""

from __future__ import annotations

from pathlib import Path

import yaml

from data_collection_kedro.pipelines.etl_pipeline import create_pipeline
from tests.support.paths import KEDRO_PROJECT

CONF = KEDRO_PROJECT / "conf"
SOURCES = {
    "source_consumption_regional",
    "source_gas_load_curve",
    "source_weather_regional",
    "source_weather_historique",
    "source_fuel_prices_history",
    "source_fuel_flux",
    "source_strikes",
    "source_holidays",
}


def _catalog(path: Path) -> dict[str, dict]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: entry for name, entry in entries.items() if not name.startswith("_")}


def test_one_tagged_node_per_source_reading_a_stable_source_name() -> None:
    pipeline = create_pipeline()
    tags = {n.name: set(n.tags) for n in pipeline.nodes}
    assert tags == {
        "ingest_consumption_regional": {"consumption"},
        "ingest_gas_load_curve": {"consumption"},
        "ingest_weather_regional": {"weather"},
        "ingest_weather_historique": {"weather"},
        "ingest_fuel_prices": {"fuel"},
        "ingest_fuel_flux": {"fuel"},
        "ingest_strikes": {"strikes"},
        "ingest_holidays": {"holidays"},
    }
    assert {i for n in pipeline.nodes for i in n.inputs if i.startswith("source_")} == SOURCES


def test_every_dataset_is_declared_and_quarantines_share_one_table() -> None:
    base = _catalog(CONF / "base" / "catalog_etl_pipeline.yml")
    prod = _catalog(CONF / "prod" / "catalog_etl_store.yml")
    pipeline = create_pipeline()
    datasets = {d for d in pipeline.datasets() if not d.startswith("params:")}
    assert datasets <= set(base)
    outputs = set(pipeline.all_outputs())
    quarantines = {d for d in outputs if d.startswith("quarantine_")}
    assert len(quarantines) == 8
    assert {base[q]["table"] for q in quarantines} == {"raw_quarantine"}
    assert {prod[q]["collection"] for q in quarantines} == {"raw_quarantine"}
    # production stores every output in MongoDB under the same table name and natural key
    for name in outputs:
        assert prod[name]["type"].endswith("MongoCollectionDataset")
        assert (prod[name]["collection"], prod[name]["key"]) == (
            base[name]["table"],
            base[name]["key"],
        )
        assert base[name]["batch_size"] >= 5000
    assert SOURCES.isdisjoint(prod)  # live/prod sources are declared by their own catalogs
