"""``etl_pipeline``: every source into the raw store, one node per source.

Each node is tagged with its source family (``consumption``, ``weather``, ``fuel``,
``strikes``, ``holidays``) so a scheduler can run ``kedro run --pipeline etl_pipeline
--tags fuel`` or a single node by name (``--nodes ingest_fuel_flux``).  Every node reads
``source_<source>`` and writes its raw table(s) plus ``quarantine_<source>`` (all quarantine
entries write the ``raw_quarantine`` table).
"""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from data_collection_kedro.pipelines.etl_pipeline import nodes

TOLERANCES = "params:etl.tolerances"

# node name -> (source dataset, raw table datasets, quarantine dataset, tag)
INGESTION: dict[str, tuple[str, list[str], str, str]] = {
    "ingest_consumption_regional": (
        "source_consumption_regional",
        ["raw_consumption_regional"],
        "quarantine_consumption_regional",
        "consumption",
    ),
    "ingest_gas_load_curve": (
        "source_gas_load_curve",
        ["raw_gas_load_curve"],
        "quarantine_gas_load_curve",
        "consumption",
    ),
    "ingest_weather_regional": (
        "source_weather_regional",
        ["raw_weather_regional"],
        "quarantine_weather_regional",
        "weather",
    ),
    "ingest_weather_historique": (
        "source_weather_historique",
        ["raw_weather_historique"],
        "quarantine_weather_historique",
        "weather",
    ),
    # the history writes raw_fuel_prices; the snapshot's prices go to the same table through
    # raw_fuel_prices_snapshot, so the fusion (reading raw_fuel_prices) runs after both
    "ingest_fuel_prices": (
        "source_fuel_prices_history",
        ["raw_fuel_prices"],
        "quarantine_fuel_prices_history",
        "fuel",
    ),
    "ingest_fuel_flux": (
        "source_fuel_flux",
        ["raw_fuel_stations", "raw_fuel_prices_snapshot", "raw_fuel_shortages"],
        "quarantine_fuel_flux",
        "fuel",
    ),
    "ingest_strikes": ("source_strikes", ["raw_strikes"], "quarantine_strikes", "strikes"),
    "ingest_holidays": (
        "source_holidays",
        ["raw_public_holidays", "raw_school_holidays"],
        "quarantine_holidays",
        "holidays",
    ),
}


def create_pipeline(**kwargs: object) -> Pipeline:
    return Pipeline(
        [
            node(
                getattr(nodes, name),
                [source, TOLERANCES],
                [*tables, quarantine],
                name=name,
                tags=[tag],
            )
            for name, (source, tables, quarantine, tag) in INGESTION.items()
        ]
    )
