"""Parameters of the small sample the session generates once (``small_sample_dir``), and the
runtime parameters the model pipelines run with on it (``SMALL_MODELS``)."""

from __future__ import annotations

from typing import Any

# Small but complete sample: two regions with two gas operators (84, 75), two with one.
SMALL_SAMPLE = {
    "start": "2021-01-01",
    "end": "2023-12-31",
    "regions": ["11", "53", "75", "84"],
    "fuel_stations": 200,
    "fuel_price_rows": 20_000,
    "seed": 7,
}


OPERATIONAL_MODELS = (
    "day_ahead_gas_regional",
    "day_ahead_electricity_regional",
    "day_ahead_electricity_national",
)
# small models (the machine's two cores are shared) for the small sample
_SMALL_CATBOOST = {"catboost": {"iterations": 60}}
SMALL_MODELS: dict[str, Any] = {
    "forecasting": {
        "horizon_days": 7,
        "bands": {"origin_step_days": 3},
        "operational": {
            key: {"weather_model": _SMALL_CATBOOST, "no_weather_model": _SMALL_CATBOOST}
            for key in OPERATIONAL_MODELS
        },
        "models": {
            "whatif_weather_catboost": {"catboost": {"iterations": 60}},
            "whatif_movements_rf": {"random_forest": {"n_estimators": 20}},
        },
    },
    "anomaly_detection": {"isolation_forest": {"n_estimators": 100}},
    # the small sample holds 4 of the 13 regions (42 % of the national temperature's weights)
    "data_fusion": {"national_temperature": {"min_weight_share": 0.3}},
}
