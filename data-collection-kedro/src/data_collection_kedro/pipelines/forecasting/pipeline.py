"""Forecasting pipeline: the operational forecasts of each energy (series and weather forecasts
→ one model per energy and scope → served next days), the what-if models, and one evaluation of
them all against honest baselines."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from data_collection_kedro import phases

from .nodes import (
    build_features,
    build_series,
    build_weather_forecasts,
    evaluate_models,
    forecast_next_days,
    train_model,
    train_operational_model,
)

# one training node per model of ``forecasting.operational`` / ``forecasting.models``
# (parameters_forecasting.yml)
OPERATIONAL_KEYS = (
    "day_ahead_gas_regional",
    "day_ahead_electricity_regional",
    "day_ahead_electricity_national",
)
WHATIF_KEYS = ("whatif_weather_catboost", "whatif_movements_rf")


def create_pipeline(**kwargs: object) -> Pipeline:
    operational = [f"{key}_model" for key in OPERATIONAL_KEYS]
    whatif = [f"{key}_model" for key in WHATIF_KEYS]
    return Pipeline(
        [
            Node(
                build_series,
                inputs=["meteo_consommation", "consommation_nationale", "params:forecasting"],
                outputs="forecasting_series",
                name="build_forecasting_series",
                tags=[phases.tag(phases.PROCESSING)],
            ),
            Node(
                build_weather_forecasts,
                inputs=[
                    "previsions_meteo",
                    "previsions_meteo_nationales",
                    "forecasting_series",
                    "params:forecasting",
                    "params:forecast_evaluation",
                    "params:data_fusion.national_temperature",
                ],
                outputs=["forecasting_weather_served", "forecasting_weather_evaluation"],
                name="build_forecasting_weather",
                tags=[phases.tag(phases.PROCESSING)],
            ),
            *[
                Node(
                    train_operational_model,
                    inputs=[
                        "forecasting_series",
                        "forecasting_weather_evaluation",
                        "params:forecasting",
                        "params:forecast_evaluation",
                        f"params:forecasting.operational.{key}.model_key",
                        f"{key}_model_previous",
                        "params:model_retraining",
                        "params:data_fusion.national_temperature",
                    ],
                    outputs=f"{key}_model",
                    name=f"train_{key}",
                    tags=[phases.tag(phases.TRAINING)],
                )
                for key in OPERATIONAL_KEYS
            ],
            Node(
                build_features,
                inputs=["meteo_consommation", "consommation_mouvements", "params:forecasting"],
                outputs="forecasting_features",
                name="build_forecasting_features",
                tags=[phases.tag(phases.PROCESSING)],
            ),
            *[
                Node(
                    train_model,
                    inputs=[
                        "forecasting_features",
                        "params:forecasting",
                        f"params:forecasting.models.{key}.model_key",
                        f"{key}_model_previous",
                        "params:model_retraining",
                    ],
                    outputs=f"{key}_model",
                    name=f"train_{key}",
                    tags=[phases.tag(phases.TRAINING)],
                )
                for key in WHATIF_KEYS
            ],
            Node(
                evaluate_models,
                inputs=[
                    "forecasting_features",
                    "forecasting_series",
                    "forecasting_weather_evaluation",
                    "params:forecasting",
                    "params:forecast_evaluation",
                    "forecasting_day_ahead_previous",
                    *operational,
                    *whatif,
                ],
                outputs=["model_metrics_forecasting", "forecast_backtest", "forecasting_day_ahead"],
                name="evaluate_forecasting_models",
                tags=[phases.tag(phases.TRAINING)],
            ),
            Node(
                forecast_next_days,
                inputs=[
                    "forecasting_series",
                    "forecasting_weather_served",
                    "params:forecasting",
                    "forecasting_day_ahead",
                    *operational,
                ],
                outputs="consumption_forecasts",
                name="forecast_next_days",
                tags=[phases.tag(phases.INFERENCE)],
            ),
        ],
        tags=["forecasting", "models"],
    )
