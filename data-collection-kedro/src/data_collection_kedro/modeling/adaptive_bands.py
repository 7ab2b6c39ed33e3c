"""Adaptive P10/P90: the band of a served forecast follows the misses of the forecaster's own
recent forecasts, known at the issue.

The static band (``modeling.operational.calibrate_bands``) is calibrated on the validation
year; when the level or the noise of the series drifts after it, its coverage drifts too. At an
issue on day I the forecaster knows the actuals of the days its history source has published,
up to ``I + 1 - gap`` (``domain.forecast_time``: D-2 for a day-ahead forecast of D), and so
whether each of its own day-ahead forecasts of those days fell below its P10 or above its P90.
Each such day moves the edges of its series (ratios to the P50, added to the static ones):

    shift_low  -= step x (below_p10 - q_low)         q_low  = 0.1
    shift_high += step x (above_p90 - (1 - q_high))  q_high = 0.9

A miss widens its side by 0.9 step, a day inside narrows it by 0.1 step: the miss rate of each
side is driven to its nominal 10 %, whatever the drift. This is the quantile-tracking update of
conformal PID control (Angelopoulos, Candès & Tibshirani 2023), the feedback of adaptive
conformal inference (Gibbs & Candès 2021) applied to the band edge instead of the quantile
level, so that a shift beyond every calibration error is still followed. The feedback comes
``gap`` days late (the actual of D is published after the issue for D+1), as served.

Optionally (``level_correction_days`` N > 0) the P50 is first corrected by the mean relative
error of the forecaster's last N published day-ahead forecasts (P50 x (1 + mean error), the
band moving with it), and the edges track the misses of the corrected forecasts.

The days tracked are those after the forecaster's training period (``fitted_until``): their
forecasts are out of sample, like the ones a user gets. The same functions serve
(``modeling.inference.next_days``, ``forecast.predict``) and are evaluated
(``modeling.evaluation.operational_evaluation``, the validation figures of training).
``step`` 0 keeps the static band.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.domain.features import as_day, day_positions, positions_in
from data_collection_kedro.modeling.day_ahead import served_day_ahead
from data_collection_kedro.modeling.operational import (
    OperationalForecaster,
    OperationalSpec,
    feature_rows,
    served_forecasts,
)

SHIFT_COLUMNS = ["region_code", "known_until", "level", "shift_low", "shift_high"]


@dataclass(frozen=True)
class AdaptiveBands:
    """Settings of the adaptive band (``forecasting.bands``: ``quantiles``, ``adaptive_step``)."""

    step: float = 0.0
    quantiles: tuple[float, float] = (0.1, 0.9)
    level_days: int = 0

    @classmethod
    def from_params(cls, band_params: Mapping[str, Any] | None) -> AdaptiveBands:
        params = dict(band_params or {})
        quantiles = tuple(float(q) for q in params.get("quantiles", (0.1, 0.9)))
        step = float(params.get("adaptive_step", 0.0))
        level_days = int(params.get("level_correction_days", 0))
        if step < 0 or level_days < 0 or not 0 < quantiles[0] < quantiles[1] < 1:
            raise ValueError(
                f"forecasting.bands: adaptive_step (got {step}) and level_correction_days (got "
                f"{level_days}) must be >= 0 and the quantiles two levels 0 < low < high < 1 "
                f"(got {list(quantiles)})"
            )
        return cls(step=step, quantiles=(quantiles[0], quantiles[1]), level_days=level_days)

    @property
    def nominal_pct(self) -> float:
        """The nominal P10-P90 coverage (80 %)."""
        return (self.quantiles[1] - self.quantiles[0]) * 100

    @classmethod
    def of(cls, forecaster: OperationalForecaster) -> AdaptiveBands:
        """The settings a forecaster was trained with (static for a model without any)."""
        return cls.from_params(getattr(forecaster, "adaptive", None))

    def as_params(self) -> dict[str, Any]:
        """The settings as plain values (stored with the model)."""
        return {
            "adaptive_step": self.step,
            "quantiles": list(self.quantiles),
            "level_correction_days": self.level_days,
        }

    @property
    def adapts(self) -> bool:
        return self.step > 0 or self.level_days > 0


def edge_shifts(history: pd.DataFrame, gap_days: int, adaptive: AdaptiveBands) -> pd.DataFrame:
    """:data:`SHIFT_COLUMNS`: for each series and day ``known_until``, the level correction of
    the P50 and the shifts of the band edges once the days up to ``known_until`` are known.

    ``history``: the forecaster's own day-ahead forecasts (``region_code, day, actual_mwh,
    p10, p50, p90``, static band), one per series and day. The band of day t is the static band
    shifted by the shifts known at its issue (``known_until = t - gap_days``), so each day's
    miss is counted against the band that was served for it.
    """
    if history.empty:
        return pd.DataFrame(columns=SHIFT_COLUMNS)
    frame = history.assign(day=as_day(history["day"]))
    days = pd.date_range(frame["day"].min(), frame["day"].max(), freq="D")
    codes = sorted(frame["region_code"].astype(str).unique())

    at = (
        day_positions(frame["day"], days),
        positions_in(frame["region_code"].astype(str), pd.Index(codes)),
    )

    def matrix(column: str) -> np.ndarray:
        """(day, series) values of ``column`` (one row per series and day; NaN: none)."""
        values = np.full((len(days), len(codes)), np.nan)
        values[at] = frame[column].to_numpy(dtype=float)
        return values

    actual, raw_p50 = matrix("actual_mwh"), matrix("p50")
    with np.errstate(divide="ignore", invalid="ignore"):
        low0 = np.where(raw_p50 > 0, matrix("p10") / raw_p50 - 1, np.nan)
        high0 = np.where(raw_p50 > 0, matrix("p90") / raw_p50 - 1, np.nan)
        errors = np.where(raw_p50 > 0, actual / raw_p50 - 1, np.nan)
    level = np.zeros_like(errors)
    if adaptive.level_days > 0:
        window = pd.DataFrame(errors).rolling(
            adaptive.level_days, min_periods=max(1, adaptive.level_days // 2)
        )
        level = np.nan_to_num(window.mean().to_numpy(), nan=0.0)
    below_rate, above_rate = adaptive.quantiles[0], 1 - adaptive.quantiles[1]
    shift_low = np.zeros((len(days), len(codes)))
    shift_high = np.zeros((len(days), len(codes)))
    current_low, current_high = np.zeros(len(codes)), np.zeros(len(codes))
    for t in range(len(days)):
        served = t - gap_days
        known_low = shift_low[served] if served >= 0 else np.zeros(len(codes))
        known_high = shift_high[served] if served >= 0 else np.zeros(len(codes))
        p50 = raw_p50[t] * (1 + (level[served] if served >= 0 else 0.0))
        lo = p50 * (1 + np.minimum(low0[t] + known_low, 0.0))
        hi = p50 * (1 + np.maximum(high0[t] + known_high, 0.0))
        valid = ~np.isnan(actual[t]) & ~np.isnan(lo) & ~np.isnan(hi)
        below = np.where(valid, (actual[t] < lo).astype(float), np.nan)
        above = np.where(valid, (actual[t] > hi).astype(float), np.nan)
        current_low = np.where(
            valid, current_low - adaptive.step * (below - below_rate), current_low
        )
        current_high = np.where(
            valid, current_high + adaptive.step * (above - above_rate), current_high
        )
        # an edge never crosses the P50: the shift stops where the day's edge reaches it
        current_low = np.where(valid, np.minimum(current_low, -low0[t]), current_low)
        current_high = np.where(valid, np.maximum(current_high, -high0[t]), current_high)
        shift_low[t], shift_high[t] = current_low, current_high
    return pd.DataFrame(
        {
            "region_code": np.tile(codes, len(days)),
            "known_until": np.repeat(days.to_numpy(), len(codes)),
            "level": level.ravel(),
            "shift_low": shift_low.ravel(),
            "shift_high": shift_high.ravel(),
        }
    )


def shifted_bands(paths: pd.DataFrame, shifts: pd.DataFrame, gap_days: int) -> pd.DataFrame:
    """``paths`` (``region_code, issue_day, p10, p50, p90``, static band) with the level
    correction and the edge shifts known at each path's issue (those of ``known_until =
    issue_day + 1 - gap_days``, the last one before it when that day has none; none before the
    first)."""
    out = paths.copy()
    if out.empty or shifts.empty:
        return out
    known = as_day(out["issue_day"]) + pd.Timedelta(days=1 - gap_days)
    keys = pd.DataFrame(
        {
            "position": np.arange(len(out)),
            "region_code": out["region_code"].astype(str).to_numpy(),
            "known_until": known.to_numpy(),
        }
    ).sort_values("known_until")
    table = shifts.assign(known_until=as_day(shifts["known_until"])).sort_values("known_until")
    merged = pd.merge_asof(keys, table, on="known_until", by="region_code", direction="backward")
    merged = merged.sort_values("position")
    level = merged["level"].fillna(0.0).to_numpy()
    shift_low = merged["shift_low"].fillna(0.0).to_numpy()
    shift_high = merged["shift_high"].fillna(0.0).to_numpy()
    raw_p50 = out["p50"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        low0 = np.where(raw_p50 > 0, out["p10"].to_numpy(dtype=float) / raw_p50 - 1, np.nan)
        high0 = np.where(raw_p50 > 0, out["p90"].to_numpy(dtype=float) / raw_p50 - 1, np.nan)
    p50 = raw_p50 * (1 + level)
    out["p50"] = p50
    out["p10"] = np.where(np.isnan(low0), out["p10"], p50 * (1 + np.minimum(low0 + shift_low, 0)))
    out["p90"] = np.where(
        np.isnan(high0), out["p90"], p50 * (1 + np.maximum(high0 + shift_high, 0))
    )
    return out


def own_forecasts(
    forecaster: OperationalForecaster,
    series: pd.DataFrame,
    forecasts: pd.DataFrame | None,
    spec: OperationalSpec,
    known_until: pd.Timestamp,
    computed: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The day-ahead forecasts ``forecaster`` serves for the days after its training period
    (``fitted_until``) up to ``known_until``, each issued the day before with what was known
    then (the consumption published, the weather forecasts of that issue), with its actual and
    static band; empty for a forecaster without a training end.

    ``computed``: the forecaster's day-ahead table of the same ``series`` and ``forecasts``
    (``modeling.day_ahead.day_ahead_table``; a row only sees the days up to its issue and the
    day after it, so the rows up to ``known_until`` are the same): its rows are taken instead
    of being computed again, only the days it lacks are."""
    fitted_until = getattr(forecaster, "fitted_until", None)
    if fitted_until is None:
        return pd.DataFrame()
    known = series[series["day"] <= known_until]
    days = known[(known["day"] > pd.Timestamp(fitted_until)) & known["target_mwh"].notna()]
    if days.empty:
        return pd.DataFrame()
    rows = days[["region_code", "day"]].assign(issue_day=days["day"] - pd.Timedelta(days=1))
    if computed is None or computed.empty:
        return served_forecasts(forecaster, feature_rows(known, rows, spec, forecasts))
    held = pd.MultiIndex.from_frame(computed[["region_code", "day"]])
    position = held.get_indexer(pd.MultiIndex.from_frame(rows[["region_code", "day"]]))
    parts = [served_day_ahead(computed.iloc[position[position >= 0]])]
    missing = rows[position < 0]
    if len(missing):
        parts.append(served_forecasts(forecaster, feature_rows(known, missing, spec, forecasts)))
    return pd.concat(parts, ignore_index=True)


def adaptive_paths(
    forecaster: OperationalForecaster,
    series: pd.DataFrame,
    forecasts: pd.DataFrame | None,
    spec: OperationalSpec,
    paths: pd.DataFrame,
    computed: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``paths`` (``region_code, issue_day, p10, p50, p90``: served forecasts, static band)
    with the adaptive band of ``forecaster`` (its ``adaptive`` settings; unchanged with step 0):
    the shifts learnt from its own day-ahead forecasts of the days published at each issue.

    ``series`` and ``forecasts`` are what the forecast was issued with (``spec``: the
    operational spec, whose ``history.gap_days`` says which days are published); ``computed``:
    the forecaster's day-ahead table of them (see :func:`own_forecasts`)."""
    adaptive = AdaptiveBands.of(forecaster)
    if not adaptive.adapts or paths.empty:
        return paths
    gap = spec.history.gap_days
    known_until = as_day(paths["issue_day"]).max() + pd.Timedelta(days=1 - gap)
    own = series[series["region_code"].isin(paths["region_code"].astype(str).unique())]
    history = own_forecasts(forecaster, own, forecasts, spec, known_until, computed)
    return shifted_bands(paths, edge_shifts(history, gap, adaptive), gap)
