"""``etl_pipeline``: every source into the raw store, one node per source.

Each node is tagged with its source family (``consumption``, ``weather``, ``fuel``,
``strikes``, ``holidays``) so a scheduler can run ``kedro run --pipeline etl_pipeline
--tags fuel`` or a single node by name.
"""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from data_collection_kedro.pipelines.etl_pipeline import nodes

TOLERANCES = "params:etl.tolerances"


def create_pipeline(**kwargs: object) -> Pipeline:
    return Pipeline(
        [
            node(
                nodes.ingest_consumption_regional,
                ["source_consumption_regional", TOLERANCES],
                ["raw_consumption_regional", "quarantine_consumption_regional"],
                name="ingest_consumption_regional",
                tags=["consumption"],
            ),
            node(
                nodes.ingest_gas_load_curve,
                ["source_gas_load_curve", TOLERANCES],
                ["raw_gas_load_curve", "quarantine_gas_load_curve"],
                name="ingest_gas_load_curve",
                tags=["consumption"],
            ),
            node(
                nodes.ingest_weather_regional,
                ["source_weather_regional", TOLERANCES],
                ["raw_weather_regional", "quarantine_weather_regional"],
                name="ingest_weather_regional",
                tags=["weather"],
            ),
            node(
                nodes.ingest_weather_historique,
                ["source_weather_historique", TOLERANCES],
                ["raw_weather_historique", "quarantine_weather_historique"],
                name="ingest_weather_historique",
                tags=["weather"],
            ),
            node(
                nodes.ingest_fuel_prices,
                ["source_fuel_prices_history", TOLERANCES],
                ["raw_fuel_prices", "quarantine_fuel_prices_history"],
                name="ingest_fuel_prices",
                tags=["fuel"],
            ),
            node(
                nodes.ingest_fuel_flux,
                ["source_fuel_flux", TOLERANCES],
                [
                    "raw_fuel_stations",
                    "raw_fuel_prices_snapshot",
                    "raw_fuel_shortages",
                    "quarantine_fuel_flux",
                ],
                name="ingest_fuel_flux",
                tags=["fuel"],
            ),
            node(
                nodes.ingest_strikes,
                ["source_strikes", TOLERANCES],
                ["raw_strikes", "quarantine_strikes"],
                name="ingest_strikes",
                tags=["strikes"],
            ),
            node(
                nodes.ingest_holidays,
                ["source_holidays", TOLERANCES],
                ["raw_public_holidays", "raw_school_holidays", "quarantine_holidays"],
                name="ingest_holidays",
                tags=["holidays"],
            ),
        ]
    )
