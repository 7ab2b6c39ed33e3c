"""Data fusion pipeline: normalize the raw tables and merge them into the indices."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from .nodes import (
    build_consommation_mouvements,
    build_daily_consumption,
    build_daily_weather,
    build_meteo_consommation,
    build_prix_carburants_journalier,
    collect_data_quality,
)

PARAMS = "params:data_fusion"


def create_pipeline(**kwargs: object) -> Pipeline:
    return Pipeline(
        [
            Node(
                build_daily_consumption,
                inputs=["raw_gas_load_curve", "raw_consumption_regional", PARAMS],
                outputs=["fusion_daily_consumption", "fusion_quality_consumption"],
                name="build_daily_consumption",
            ),
            Node(
                build_daily_weather,
                inputs=["raw_weather_regional", "raw_weather_historique", PARAMS],
                outputs=["fusion_daily_weather", "fusion_quality_weather"],
                name="build_daily_weather",
            ),
            Node(
                build_meteo_consommation,
                inputs=["fusion_daily_consumption", "fusion_daily_weather", PARAMS],
                outputs=["meteo_consommation", "fusion_quality_meteo_consommation"],
                name="build_meteo_consommation",
            ),
            Node(
                build_consommation_mouvements,
                inputs=[
                    "fusion_daily_consumption",
                    "raw_strikes",
                    "raw_public_holidays",
                    "raw_school_holidays",
                    PARAMS,
                ],
                outputs=["consommation_mouvements", "fusion_quality_consommation_mouvements"],
                name="build_consommation_mouvements",
            ),
            Node(
                build_prix_carburants_journalier,
                inputs=["raw_fuel_stations", "raw_fuel_prices", "raw_fuel_shortages", PARAMS],
                outputs=["prix_carburants_journalier", "fusion_quality_prix_carburants"],
                name="build_prix_carburants_journalier",
            ),
            Node(
                collect_data_quality,
                inputs=[
                    "fusion_quality_consumption",
                    "fusion_quality_weather",
                    "fusion_quality_meteo_consommation",
                    "fusion_quality_consommation_mouvements",
                    "fusion_quality_prix_carburants",
                ],
                outputs="fusion_data_quality",
                name="collect_fusion_data_quality",
            ),
        ],
        tags=["data_fusion"],
    )
