"""Forecasting pipeline: features → three models → evaluation with baselines → inference."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from .nodes import build_features, evaluate_models, forecast_next_days, train_model

# one training node per model of ``forecasting.models`` (parameters_forecasting.yml)
MODEL_KEYS = ("day_ahead_catboost", "whatif_weather_catboost", "whatif_movements_rf")


def create_pipeline(**kwargs: object) -> Pipeline:
    models = [f"{key}_model" for key in MODEL_KEYS]
    return Pipeline(
        [
            Node(
                build_features,
                inputs=["meteo_consommation", "consommation_mouvements", "params:forecasting"],
                outputs="forecasting_features",
                name="build_forecasting_features",
            ),
            *[
                Node(
                    train_model,
                    inputs=[
                        "forecasting_features",
                        "params:forecasting",
                        f"params:forecasting.models.{key}.model_key",
                    ],
                    outputs=f"{key}_model",
                    name=f"train_{key}",
                )
                for key in MODEL_KEYS
            ],
            Node(
                evaluate_models,
                inputs=["forecasting_features", "params:forecasting", *models],
                outputs=["model_metrics_forecasting", "forecast_backtest"],
                name="evaluate_forecasting_models",
            ),
            Node(
                forecast_next_days,
                inputs=["forecasting_features", "params:forecasting", *models],
                outputs="consumption_forecasts",
                name="forecast_next_days",
            ),
        ],
        tags=["forecasting", "models"],
    )
