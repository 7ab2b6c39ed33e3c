"""Training of an operational model: fit on the train period with the observed weather, forecast
the validation period as served (the weather forecasts known at each issue) for the validation
metrics and the P10/P90 bands, refit on train + validation; the registered model's description.

Apart from :mod:`modeling.operational` (the model and its rows) because the calibration forecasts
whole paths with :func:`modeling.inference.forecast_paths`, which serves the same model.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.domain.features import as_day
from data_collection_kedro.modeling.adaptive_bands import AdaptiveBands, adaptive_paths
from data_collection_kedro.modeling.evaluation import band_metrics, monthly_coverage_gap
from data_collection_kedro.modeling.features import model_input
from data_collection_kedro.modeling.forecast_weather import ForecastError, training_forecasts
from data_collection_kedro.modeling.inference import forecast_paths
from data_collection_kedro.modeling.metrics import regression_metrics
from data_collection_kedro.modeling.operational import (
    OperationalForecaster,
    OperationalSpec,
    calibrate_bands,
    day_ahead_rows,
    fit_forecaster,
    served_forecasts,
    usable_rows,
)
from data_collection_kedro.modeling.splits import assign_split, time_split_bounds

logger = logging.getLogger(__name__)


@dataclass
class OperationalTraining:
    """A trained operational model and what tracking records about it."""

    forecaster: OperationalForecaster
    validation_metrics: dict[str, float]
    train_rows: int
    first_day: pd.Timestamp
    last_day: pd.Timestamp
    input_example: pd.DataFrame


def calibration_paths(
    forecaster: OperationalForecaster,
    series: pd.DataFrame,
    forecasts: pd.DataFrame,
    spec: OperationalSpec,
    days: pd.Series,
    origin_step_days: int = 1,
) -> pd.DataFrame:
    """Honest forecasts of the leads 0..horizon issued on ``days`` (every ``origin_step_days``
    day), with and without the weather forecast, and the actual consumption: the errors the
    bands are calibrated on."""
    issue_days = pd.Series(sorted(set(as_day(days))))[::origin_step_days]
    codes = series["region_code"].drop_duplicates()
    issues = pd.DataFrame(
        {
            "region_code": np.repeat(codes.to_numpy(), len(issue_days)),
            "issue_day": np.tile(issue_days.to_numpy(), len(codes)),
        }
    )
    frames = [
        forecast_paths(forecaster, series, issues, spec, weather, spec.horizon_days, first_lead=0)
        for weather in (forecasts, forecasts.iloc[0:0])
    ]
    paths = pd.concat(frames, ignore_index=True)
    actual = series.set_index(["region_code", "day"])["target_mwh"]
    paths["actual_mwh"] = actual.reindex(
        pd.MultiIndex.from_frame(paths[["region_code", "day"]])
    ).to_numpy()
    return paths


def validation_metrics(
    forecaster: OperationalForecaster,
    series: pd.DataFrame,
    forecasts: pd.DataFrame,
    spec: OperationalSpec,
    rows: pd.DataFrame,
) -> dict[str, float]:
    """Metrics of the day-ahead validation forecasts (``rows``) as served: the P50 (with its
    level correction when set), the band as served (adaptive) and static (``*_static``):
    coverage, width and the mean gap between each month's coverage and the nominal one. The
    static band is calibrated on these errors (its yearly coverage there is nominal by
    construction): the monthly gap and the width are what tell the two apart."""
    static = served_forecasts(forecaster, rows)
    served = adaptive_paths(forecaster, series, forecasts, spec, static)
    nominal = AdaptiveBands.of(forecaster).nominal_pct
    out = regression_metrics(served["actual_mwh"], served["p50"])
    out["mape_static"] = regression_metrics(static["actual_mwh"], static["p50"])["mape"]
    for suffix, frame in (("", served), ("_static", static)):
        figures = band_metrics(
            frame["actual_mwh"], frame["p10"], frame["p90"], frame["p50"], nominal
        )
        figures["coverage_month_gap_pct"] = monthly_coverage_gap(frame, nominal)
        out.update({f"{name}{suffix}": value for name, value in figures.items()})
    return out


def noisy_training_rows(
    series: pd.DataFrame,
    spec: OperationalSpec,
    model_params: Mapping[str, Any],
    error: ForecastError,
    national_weights: Mapping[str, float] | None = None,
    bounds: Mapping[str, Any] | None = None,
) -> pd.DataFrame | None:
    """The day-ahead rows of the weather model's ``noisy_weather_copies`` (none: ``None``):
    every day of ``series`` again, its weather the forecast of a simulated issue on the day
    before; ``split`` from ``bounds`` (:func:`time_split_bounds`)."""
    copies = int(model_params["weather_model"].get("noisy_weather_copies", 0))
    observed = series.drop_duplicates(["region_code", "day"])
    frames = [
        day_ahead_rows(series, spec, forecasts)
        for forecasts in training_forecasts(observed, error, copies, national_weights)
    ]
    if not frames:
        return None
    rows = pd.concat(frames, ignore_index=True)
    if bounds is not None:
        rows["split"] = assign_split(rows["day"], dict(bounds)).to_numpy()
    return rows


def _in_split(rows: pd.DataFrame | None, splits: Sequence[str]) -> pd.DataFrame | None:
    return None if rows is None else rows[rows["split"].isin(list(splits))]


def train_operational(
    series: pd.DataFrame,
    forecasts: pd.DataFrame,
    spec: OperationalSpec,
    model_params: Mapping[str, Any],
    split_params: Mapping[str, Any],
    band_params: Mapping[str, Any],
    complete_only: bool = True,
    training_error: ForecastError | None = None,
    national_weights: Mapping[str, float] | None = None,
) -> OperationalTraining:
    """Fit on the train period with the observed weather (the weather model also on its
    ``noisy_weather_copies``: the same days with a forecast simulated by ``training_error``,
    :func:`~data_collection_kedro.modeling.forecast_weather.training_forecasts`); forecast the
    validation period honestly (the weather forecasts known at each issue) for the validation
    metrics and the bands (every lead, with and without weather); refit on train +
    validation."""
    oracle = day_ahead_rows(series, spec, None)
    bounds = time_split_bounds(series.loc[series["target_mwh"].notna(), "day"], dict(split_params))
    oracle["split"] = assign_split(oracle["day"], bounds).to_numpy()
    noisy = noisy_training_rows(
        series, spec, model_params, training_error or ForecastError(), national_weights, bounds
    )
    first = fit_forecaster(
        oracle[oracle["split"] == "train"],
        model_params,
        complete_only,
        noisy_rows=_in_split(noisy, ["train"]),
    )

    validation_days = oracle.loc[oracle["split"] == "validation", "day"]
    honest = day_ahead_rows(series[series["day"] <= validation_days.max()], spec, forecasts)
    honest = honest[honest["day"].isin(validation_days)]
    paths = calibration_paths(
        first,
        series[series["day"] <= validation_days.max()],
        forecasts,
        spec,
        validation_days,
        int(band_params.get("origin_step_days", 1)),
    )
    quantiles = tuple(float(q) for q in band_params.get("quantiles", (0.1, 0.9)))
    bands = calibrate_bands(
        paths.dropna(subset=["actual_mwh"]),
        (quantiles[0], quantiles[1]),
        int(band_params.get("min_rows", 60)),
    )
    adaptive = AdaptiveBands.from_params(band_params).as_params()
    first.bands, first.adaptive = bands, adaptive
    metrics = validation_metrics(
        first, series[series["day"] <= validation_days.max()], forecasts, spec, honest
    )
    final_rows = oracle[oracle["split"].isin(["train", "validation"])]
    final_noisy = _in_split(noisy, ["train", "validation"])
    final = fit_forecaster(
        final_rows, model_params, complete_only, bands, adaptive, noisy_rows=final_noisy
    )
    used = usable_rows(final_rows, model_params["weather_model"], complete_only)
    copies = (
        0
        if final_noisy is None
        else len(usable_rows(final_noisy, model_params["weather_model"], complete_only))
    )
    logger.info(
        "%s: %d training rows (+ %d rows of noisy-weather copies), validation MAPE %.2f%% "
        "(honest weather), bias %.2f%%",
        model_params.get("model_key"),
        len(used),
        copies,
        metrics["mape"],
        metrics["bias_pct"],
    )
    example = model_input(used.tail(5), final.input_columns).reset_index(drop=True)
    return OperationalTraining(
        forecaster=final,
        validation_metrics=metrics,
        train_rows=len(used),
        first_day=used["day"].min(),
        last_day=used["day"].max(),
        input_example=example,
    )


def describe_operational(
    model: Mapping[str, Any], spec: OperationalSpec, trained: OperationalTraining
) -> str:
    """The registered model's description: what it predicts, its unit, inputs, training period
    and validation metrics, and how to get the bands."""
    metrics = trained.validation_metrics
    scope = "metropolitan France" if model["scope"] == "national" else "one region"
    copies = int(model["weather_model"].get("noisy_weather_copies", 0))
    weather = "observed weather" + (
        f", and {copies} cop{'y' if copies == 1 else 'ies'} of those days with a simulated "
        "forecast error for the weather model"
        if copies
        else ""
    )
    return (
        f"Day-ahead forecast of the daily {model['energy']} consumption of {scope} "
        f"({model['unit']}), issued on D-1 at {spec.issue_hour:g}:00 (Europe/Paris) with the "
        f"consumption published up to D-{spec.history.gap_days} and the weather forecast of "
        f"the issue. predict(X) returns the P50 (MWh); predict_quantiles(X, lead_days) returns "
        f"P10/P50/P90 and the weather basis of each row: rows without a weather forecast use the "
        f"model without target-day weather. Weather-model inputs: "
        f"{', '.join(model['weather_model']['features'])}. No-weather inputs: "
        f"{', '.join(model['no_weather_model']['features'])}. Trained on "
        f"{trained.first_day:%Y-%m-%d}..{trained.last_day:%Y-%m-%d} ({trained.train_rows} rows, "
        f"{weather}). Validation (honest weather forecasts, issued D-1): MAPE "
        f"{metrics['mape']:.2f} %, bias {metrics['bias_pct']:+.2f} %. Features for a region and "
        f"day from the stores: data_collection_kedro.forecast.predict(region, day, energy)."
    )
