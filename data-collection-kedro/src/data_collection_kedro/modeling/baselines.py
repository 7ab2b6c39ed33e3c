"""Reference forecasts every model is compared with, computed in the same run."""

from __future__ import annotations

import numpy as np
import pandas as pd

BASELINE_COLUMNS = {
    "baseline_persistence": "lag_1_mwh",
    "baseline_seasonal_naive_weekly": "lag_7_mwh",
    "baseline_seasonal_naive_yearly": "lag_364_mwh",
}


def fit_hdd_regression(train: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Per-region least squares ``target = a + b · heating_degree_days`` on ``train``."""
    coefficients: dict[str, tuple[float, float]] = {}
    for region_code, group in train.groupby("region_code"):
        data = group[["heating_degree_days", "target_mwh"]].dropna()
        if len(data) < 2:
            continue
        slope, intercept = np.polyfit(data["heating_degree_days"], data["target_mwh"], 1)
        coefficients[str(region_code)] = (float(intercept), float(slope))
    return coefficients


def predict_hdd_regression(
    frame: pd.DataFrame, coefficients: dict[str, tuple[float, float]]
) -> pd.Series:
    intercept = frame["region_code"].map(lambda c: coefficients.get(c, (np.nan, np.nan))[0])
    slope = frame["region_code"].map(lambda c: coefficients.get(c, (np.nan, np.nan))[1])
    return intercept.astype(float) + slope.astype(float) * frame["heating_degree_days"]


def baseline_predictions(frame: pd.DataFrame, history: pd.DataFrame) -> dict[str, pd.Series]:
    """Persistence, seasonal naive (weekly, yearly) and the HDD regression fitted on ``history``."""
    predictions = {name: frame[column] for name, column in BASELINE_COLUMNS.items()}
    predictions["baseline_hdd_linear"] = predict_hdd_regression(frame, fit_hdd_regression(history))
    return predictions
