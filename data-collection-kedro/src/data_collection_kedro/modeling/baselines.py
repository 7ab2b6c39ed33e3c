"""Reference forecasts every operational model is compared with, computed in the same run with
the information the model has at the issue (``domain.features.HistorySpec``):

- ``baseline_persistence``: the last published day (D-2 for a forecast issued on D-1);
- ``baseline_seasonal_naive_weekly`` / ``_yearly``: the same weekday a week / 52 weeks before;
- ``baseline_hdd_linear``: per series, ``a + b × heating_degree_days`` fitted on the history
  with the observed weather, applied to the forecast day's heating degree days as known at the
  issue (the weather forecast).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BASELINE_NAMES = (
    "baseline_persistence",
    "baseline_seasonal_naive_weekly",
    "baseline_seasonal_naive_yearly",
    "baseline_hdd_linear",
)


def fit_hdd_regression(train: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Per-series least squares ``target = a + b · heating_degree_days`` on ``train``."""
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


def baseline_predictions(
    frame: pd.DataFrame, history: pd.DataFrame, gap_days: int
) -> dict[str, pd.Series]:
    """The baselines of ``frame``'s rows (module docstring); ``history`` = the rows the models
    were fitted on (observed weather)."""
    return {
        "baseline_persistence": frame[f"lag_{gap_days}_mwh"],
        "baseline_seasonal_naive_weekly": frame["lag_7_mwh"],
        "baseline_seasonal_naive_yearly": frame["lag_364_mwh"],
        "baseline_hdd_linear": predict_hdd_regression(frame, fit_hdd_regression(history)),
    }
