"""Data fusion pipeline: normalize the raw tables and merge them into the indices."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from data_collection_kedro import phases
from data_collection_kedro.domain.fusion_window import RAW_TABLES, rows_dataset
from data_collection_kedro.sources import registry

from .nodes import (
    build_consommation_mouvements,
    build_consommation_nationale,
    build_daily_consumption,
    build_daily_weather,
    build_meteo_consommation,
    build_previsions_meteo,
    build_prix_carburants_journalier,
    collect_data_quality,
    plan_fusion_window,
)

PARAMS = "params:data_fusion"
WINDOW = "fusion_window"  # the days this run recomputes, per family (plan_fusion_window)


def ingested() -> list[str]:
    """The ingestion status of every source writing a raw table the fusion reads: inputs of
    ``plan_fusion_window``, so that the fusion follows those ETL nodes in a run of both
    pipelines (the raw tables themselves are read under ``raw_<table>_rows``)."""
    return sorted(
        source.status_dataset
        for source in registry.sources()
        if any(table.name in RAW_TABLES for table in source.tables)
    )


def create_pipeline(**kwargs: object) -> Pipeline:
    return Pipeline(
        [
            Node(
                plan_fusion_window,
                inputs=["fusion_raw_digest", "fusion_state_previous", PARAMS, *ingested()],
                outputs=WINDOW,
                name="plan_fusion_window",
            ),
            Node(
                build_daily_consumption,
                inputs=[
                    rows_dataset("raw_gas_load_curve"),
                    rows_dataset("raw_consumption_regional"),
                    PARAMS,
                    WINDOW,
                ],
                outputs=["fusion_daily_consumption", "fusion_quality_consumption"],
                name="build_daily_consumption",
            ),
            Node(
                build_daily_weather,
                inputs=[
                    rows_dataset("raw_weather_regional"),
                    rows_dataset("raw_weather_historique"),
                    PARAMS,
                    WINDOW,
                ],
                outputs=["fusion_daily_weather", "fusion_quality_weather"],
                name="build_daily_weather",
            ),
            Node(
                build_meteo_consommation,
                inputs=["fusion_daily_consumption", "fusion_daily_weather", PARAMS, WINDOW],
                outputs=["meteo_consommation", "fusion_quality_meteo_consommation"],
                name="build_meteo_consommation",
            ),
            Node(
                build_consommation_mouvements,
                inputs=[
                    "fusion_daily_consumption",
                    rows_dataset("raw_strikes"),
                    rows_dataset("raw_public_holidays"),
                    rows_dataset("raw_school_holidays"),
                    PARAMS,
                    WINDOW,
                ],
                outputs=["consommation_mouvements", "fusion_quality_consommation_mouvements"],
                name="build_consommation_mouvements",
            ),
            Node(
                build_prix_carburants_journalier,
                inputs=[
                    rows_dataset("raw_fuel_stations"),
                    rows_dataset("raw_fuel_prices"),
                    rows_dataset("raw_fuel_shortages"),
                    PARAMS,
                    WINDOW,
                ],
                outputs=["prix_carburants_journalier", "fusion_quality_prix_carburants"],
                name="build_prix_carburants_journalier",
            ),
            Node(
                build_previsions_meteo,
                inputs=[rows_dataset("raw_weather_forecast"), PARAMS, WINDOW],
                outputs=[
                    "previsions_meteo",
                    "previsions_meteo_nationales",
                    "fusion_quality_previsions_meteo",
                ],
                name="build_previsions_meteo",
            ),
            Node(
                build_consommation_nationale,
                inputs=[
                    rows_dataset("raw_consumption_national"),
                    "fusion_daily_weather",
                    PARAMS,
                    WINDOW,
                ],
                outputs=["consommation_nationale", "fusion_quality_consommation_nationale"],
                name="build_consommation_nationale",
            ),
            Node(
                collect_data_quality,
                inputs=[
                    WINDOW,
                    "fusion_quality_consumption",
                    "fusion_quality_weather",
                    "fusion_quality_meteo_consommation",
                    "fusion_quality_consommation_mouvements",
                    "fusion_quality_prix_carburants",
                    "fusion_quality_previsions_meteo",
                    "fusion_quality_consommation_nationale",
                ],
                # fusion_state last: the run is recorded once every index is stored
                outputs=["fusion_data_quality", "fusion_state"],
                name="collect_fusion_data_quality",
            ),
        ],
        tags=["data_fusion", phases.tag(phases.PROCESSING)],
    )
