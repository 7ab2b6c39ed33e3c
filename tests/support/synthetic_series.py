"""Daily consumption series in the shape of ``modeling.operational.SERIES_COLUMNS`` for focused
tests of the operational forecasts: two regions and the national series, 2021-2023.

Consumption follows the smoothed heating degree days, a weekly cycle and noise; temperatures a
seasonal cycle plus day-to-day noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from data_collection_kedro.domain.regions import NATIONAL_CODE, NATIONAL_NAME

SERIES = {
    "11": ("Île-de-France", 400.0),
    "84": ("Auvergne-Rhône-Alpes", 300.0),
    NATIONAL_CODE: (NATIONAL_NAME, 1500.0),
}


def synthetic_series(
    start: str = "2021-01-01", end: str = "2023-12-31", seed: int = 5
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end, freq="D")
    frames = []
    for code, (name, base) in SERIES.items():
        doy = days.day_of_year.to_numpy()
        temp = 12 - 8 * np.cos(2 * np.pi * (doy - 15) / 365.25) + rng.normal(0, 3, len(days))
        smoothed = pd.Series(temp).ewm(alpha=0.5, adjust=False).mean().to_numpy()
        hdd = np.clip(17 - smoothed, 0, None)
        weekly = np.where(days.day_of_week >= 5, 0.88, 1.0)
        consumption = base * weekly * (1 + 0.1 * hdd) * rng.normal(1, 0.015, len(days))
        frames.append(
            pd.DataFrame(
                {
                    "region_code": code,
                    "region": name,
                    "day": days,
                    "target_mwh": consumption,
                    "is_complete": True,
                    "temp_min_c": temp - 4,
                    "temp_max_c": temp + 4,
                    "temp_mean_c": temp,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def small_operational_params(
    model_key: str, horizon_days: int, iterations: int = 40
) -> tuple[dict, dict]:
    """The project's ``forecasting`` parameters and those of ``model_key``, with small CatBoost
    models and a short horizon."""
    from tests.support.paths import KEDRO_PROJECT

    params = yaml.safe_load((KEDRO_PROJECT / "conf/base/parameters_forecasting.yml").read_text())
    forecasting = params["forecasting"]
    model = forecasting["operational"][model_key]
    for part in ("weather_model", "no_weather_model"):
        model[part]["catboost"] = {**model[part]["catboost"], "iterations": iterations}
    forecasting["horizon_days"] = horizon_days
    return forecasting, model
