"""Evaluation of the operational forecasts as they are served, and the served table.

The test period is forecast day by day as a user gets it: issued on D-1 with the consumption
published then and the weather forecast of the issue (the forecast indices, or the simulated
error of ``modeling.forecast_weather`` where no archive exists). The same model with the
observed weather is reported beside it as an upper bound no user has, with the model without
weather and the honest baselines (``modeling.baselines``), all on the same days.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.domain.contracts import CONSUMPTION_FORECASTS
from data_collection_kedro.modeling.adaptive_bands import AdaptiveBands, adaptive_paths
from data_collection_kedro.modeling.artifacts import ModelArtifact
from data_collection_kedro.modeling.baselines import baseline_predictions
from data_collection_kedro.modeling.day_ahead import day_ahead_table, served_day_ahead, table_digest
from data_collection_kedro.modeling.metrics import metrics_rows, regression_metrics
from data_collection_kedro.modeling.operational import BASIS_FORECAST, OperationalSpec
from data_collection_kedro.modeling.splits import assign_split, time_split_bounds

BACKTEST_COLUMNS = [
    "energy",
    "scope",
    "region_code",
    "region",
    "day",
    "issue_day",
    "model",
    "actual_mwh",
    "predicted_mwh",
    "p10_mwh",
    "p90_mwh",
    "weather_basis",
    "is_complete",
]
ORACLE_SUFFIX = "_oracle_weather"
NO_WEATHER_SUFFIX = "_no_weather"


def backtest_keys(rows: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns of :data:`BACKTEST_COLUMNS` that come from ``rows`` (``region_code, region,
    day, target_mwh, is_complete``, optional ``issue_day``: the day before by default), computed
    once for the backtests of every model forecasting them."""
    day = pd.to_datetime(rows["day"])
    issue = rows["issue_day"] if "issue_day" in rows.columns else day - pd.Timedelta(days=1)
    return {
        "region_code": rows["region_code"].astype(str).to_numpy(),
        "region": rows["region"].astype(str).to_numpy(),
        "day": day.dt.date.to_numpy(),
        "issue_day": pd.to_datetime(issue).dt.date.to_numpy(),
        "actual_mwh": rows["target_mwh"].astype(float).to_numpy(),
        "is_complete": rows["is_complete"].astype(bool).to_numpy(),
    }


def backtest_rows(
    rows: pd.DataFrame,
    model_key: str,
    predicted: Any,
    *,
    energy: str,
    scope: str,
    p10: Any = np.nan,
    p90: Any = np.nan,
    basis: Any = None,
    keys: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """:data:`BACKTEST_COLUMNS` of ``rows`` and a model's forecasts (``keys``: the
    :func:`backtest_keys` of ``rows`` when computed already)."""
    keys = backtest_keys(rows) if keys is None else keys
    return pd.DataFrame(
        {
            "energy": energy,
            "scope": scope,
            **keys,
            "model": model_key,
            "predicted_mwh": np.asarray(predicted, dtype=float),
            "p10_mwh": np.broadcast_to(np.asarray(p10, dtype=float), (len(rows),)),
            "p90_mwh": np.broadcast_to(np.asarray(p90, dtype=float), (len(rows),)),
            "weather_basis": basis if basis is not None else None,
        }
    )[BACKTEST_COLUMNS]


def band_metrics(
    actual: pd.Series, p10: pd.Series, p90: pd.Series, p50: pd.Series, nominal_pct: float = 80.0
) -> dict[str, float]:
    """``coverage_pct`` (share of actuals within [P10, P90], counted on the data),
    ``below_p10_pct``, ``above_p90_pct``, ``band_width_pct`` (mean (P90 - P10) / P50) and
    ``interval_score_pct``: the mean interval score of the band, (P90 - P10) + 2 / alpha x
    the distance of an actual outside it (alpha = 1 - ``nominal_pct`` / 100), over the P50: a
    proper score of the band (lower is better) that rewards both a narrow band and its
    nominal coverage."""
    names = ("coverage_pct", "below_p10_pct", "above_p90_pct", "band_width_pct")
    frame = pd.DataFrame({"a": actual, "lo": p10, "hi": p90, "mid": p50}).astype(float).dropna()
    if frame.empty:
        return dict.fromkeys((*names, "interval_score_pct"), np.nan)
    below = frame["a"] < frame["lo"]
    above = frame["a"] > frame["hi"]
    penalty = 2 / (1 - nominal_pct / 100)
    score = (frame["hi"] - frame["lo"]) + penalty * (
        (frame["lo"] - frame["a"]).clip(lower=0) + (frame["a"] - frame["hi"]).clip(lower=0)
    )
    return {
        "coverage_pct": float((~below & ~above).mean() * 100),
        "below_p10_pct": float(below.mean() * 100),
        "above_p90_pct": float(above.mean() * 100),
        "band_width_pct": float(((frame["hi"] - frame["lo"]) / frame["mid"]).mean() * 100),
        "interval_score_pct": float((score / frame["mid"]).mean() * 100),
    }


def monthly_coverage_gap(served: pd.DataFrame, nominal_pct: float = 80.0) -> float:
    """Mean over series and calendar months of |coverage of the month - ``nominal_pct``|
    (``served``: ``region_code, day, actual_mwh, p10, p90``): how far the band is from its
    nominal coverage locally in time, where a yearly figure can hide a bad winter behind a
    good summer."""
    frame = served.dropna(subset=["actual_mwh", "p10", "p90"])
    if frame.empty:
        return float("nan")
    inside = (frame["actual_mwh"] >= frame["p10"]) & (frame["actual_mwh"] <= frame["p90"])
    month = pd.to_datetime(frame["day"]).dt.to_period("M")
    coverage = inside.groupby([frame["region_code"], month]).mean() * 100
    return float((coverage - nominal_pct).abs().mean())


def operational_evaluation(
    artifact: ModelArtifact,
    series: pd.DataFrame,
    forecasts: pd.DataFrame,
    spec: OperationalSpec,
    model: Mapping[str, Any],
    split_params: Mapping[str, Any],
    stored: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Test-period metrics and backtest of an operational model (module docstring), and its
    day-ahead table (``modeling.day_ahead.day_ahead_table`` of ``series`` and ``forecasts``:
    every day forecast as served, issued the day before), built from the rows of ``stored``
    (a stored table) that are still valid and computed for the others. The served forecasts'
    adaptive band reads the table (``modeling.adaptive_bands.own_forecasts``)."""
    forecaster = artifact.model
    key = artifact.model_key
    energy, scope = str(model["energy"]), str(model["scope"])
    bounds = time_split_bounds(series.loc[series["target_mwh"].notna(), "day"], dict(split_params))
    table = day_ahead_table(
        forecaster,
        series,
        forecasts,
        spec,
        model["weather_model"],
        model_key=key,
        digest=table_digest(artifact.training, spec, model),
        previous=stored,
    )
    split = assign_split(table["day"], bounds).to_numpy()
    # the test days a model can forecast (a positive actual and level), as served
    rows = table[(split == "test") & table["evaluable"].to_numpy(dtype=bool)]
    static = served_day_ahead(rows)
    served = adaptive_paths(forecaster, series, forecasts, spec, static, computed=table)

    history = table[(split != "test") & table["oracle_usable"].to_numpy(dtype=bool)]
    history = history[["region_code", "target_mwh", "oracle_heating_degree_days"]].rename(
        columns={"oracle_heating_degree_days": "heating_degree_days"}
    )

    predictions = {
        key: served["p50"],
        f"{key}{ORACLE_SUFFIX}": rows["oracle_p50"],
        f"{key}{NO_WEATHER_SUFFIX}": rows["no_weather_p50"],
        **{
            f"{name}_{energy}_{scope}": values
            for name, values in baseline_predictions(rows, history, spec.history.gap_days).items()
        },
    }
    nominal = AdaptiveBands.of(forecaster).nominal_pct
    keys = backtest_keys(rows)
    metric_frames, backtests = [], []
    for model_key, predicted in predictions.items():
        metrics = regression_metrics(rows["target_mwh"], predicted)
        if model_key == key:
            metrics.update(
                band_metrics(rows["target_mwh"], served["p10"], served["p90"], predicted, nominal)
            )
            metrics["coverage_month_gap_pct"] = monthly_coverage_gap(served, nominal)
            static_figures = band_metrics(
                rows["target_mwh"], static["p10"], static["p90"], static["p50"], nominal
            )
            static_figures["mape"] = regression_metrics(rows["target_mwh"], static["p50"])["mape"]
            static_figures["coverage_month_gap_pct"] = monthly_coverage_gap(static, nominal)
            metrics.update({f"{k}_static": v for k, v in static_figures.items()})
            metrics["forecast_basis_pct"] = float(
                (served["weather_basis"] == BASIS_FORECAST).mean() * 100
            )
            backtests.append(
                backtest_rows(
                    rows,
                    model_key,
                    predicted,
                    energy=energy,
                    scope=scope,
                    p10=served["p10"],
                    p90=served["p90"],
                    basis=served["weather_basis"].to_numpy(),
                    keys=keys,
                )
            )
        else:
            backtests.append(
                backtest_rows(rows, model_key, predicted, energy=energy, scope=scope, keys=keys)
            )
        metric_frames.append(metrics_rows(model_key, "test", metrics))
    return (
        pd.concat(metric_frames, ignore_index=True),
        pd.concat(backtests, ignore_index=True),
        table,
    )


def served_table(paths: pd.DataFrame, model_key: str, model: Mapping[str, Any]) -> pd.DataFrame:
    """``consumption_forecasts`` rows of the served paths of one operational model."""
    table = pd.DataFrame(
        {
            "region_code": paths["region_code"].astype(str),
            "region": paths["region"].astype(str),
            "day": pd.to_datetime(paths["day"]).dt.date,
            "model": model_key,
            "energy": str(model["energy"]),
            "scope": str(model["scope"]),
            "unit": str(model["unit"]),
            "issue_day": pd.to_datetime(paths["issue_day"]).dt.date,
            "lead_days": paths["lead_days"].astype(int),
            "consumption_mwh_p10": paths["p10"].astype(float),
            "consumption_mwh_predicted": paths["p50"].astype(float),
            "consumption_mwh_p90": paths["p90"].astype(float),
            "weather_basis": paths["weather_basis"].astype(str),
            "weather_issue_day": pd.to_datetime(paths["weather_issue_day"]).dt.date,
        }
    )
    return CONSUMPTION_FORECASTS.select(table)
