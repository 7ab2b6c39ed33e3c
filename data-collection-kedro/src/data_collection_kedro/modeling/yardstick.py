"""RTE's own day-ahead forecast ("Prévision J-1"), the yardstick of the national electricity
forecast. Evaluation only: never an input of a model.

The ENTSO-E "Total Load - Day Ahead / Actual" export for France is RTE's J-1 forecast (one
quarter-hour per hour until 2024, every quarter-hour from 2024-12-31) and its real-time
actual load (the level RTE forecasts). The consolidated consumption (``consommation_nationale``)
is 0.2-2.7 % above the real-time level in 2021-2025, so each forecast is scored against the
actuals it forecasts and both against the same consolidated actuals (:func:`rte_comparison`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_collection_kedro.domain.normalization import hours_in_local_day
from data_collection_kedro.modeling.metrics import regression_metrics

TIME_COLUMN = "Time (UTC)"
FORECAST_COLUMN = "Day-ahead Total Load Forecast [MW] - BZN|FR"
ACTUAL_COLUMN = "Actual Total Load [MW] - BZN|FR"
PARIS = "Europe/Paris"


def _daily(start: pd.Series, hours: pd.Series, mw: pd.Series) -> pd.Series:
    known = mw.notna()
    frame = pd.DataFrame(
        {
            "day": start.dt.tz_convert(PARIS).dt.tz_localize(None).dt.normalize(),
            "mwh": (mw * hours).where(known, 0.0),
            "hours": hours.where(known, 0.0),
        }
    )
    daily = frame.groupby("day").sum()
    expected = hours_in_local_day(pd.Series(daily.index, index=daily.index))
    complete = np.isclose(daily["hours"].to_numpy(), expected.to_numpy(dtype=float))
    return daily["mwh"].where(complete)


def entsoe_daily_energy(export: pd.DataFrame) -> pd.DataFrame:
    """``day`` (Europe/Paris), ``rte_day_ahead_mwh`` and ``realtime_actual_mwh``: Σ MW × the
    step's hours over the day's intervals; NaN unless every interval of the local day (23, 24
    or 25 h) has a value.

    ``export``: the ENTSO-E CSV columns :data:`TIME_COLUMN` (``"01.01.2024 00:00 - 01.01.2024
    01:00"``, UTC), :data:`FORECAST_COLUMN`, :data:`ACTUAL_COLUMN` (``N/A`` / ``-`` = missing).
    """
    missing = [c for c in (TIME_COLUMN, FORECAST_COLUMN, ACTUAL_COLUMN) if c not in export.columns]
    if missing:
        raise ValueError(
            f"ENTSO-E export: missing column(s) {missing}; expected {TIME_COLUMN!r}, "
            f"{FORECAST_COLUMN!r}, {ACTUAL_COLUMN!r}, got {list(export.columns)}"
        )
    bounds = export[TIME_COLUMN].astype(str).str.split(" - ", n=1, expand=True)
    start = pd.to_datetime(bounds[0], format="%d.%m.%Y %H:%M", utc=True)
    end = pd.to_datetime(bounds[1], format="%d.%m.%Y %H:%M", utc=True)
    hours = (end - start).dt.total_seconds() / 3600

    def numeric(column: str) -> pd.Series:
        return pd.to_numeric(export[column].replace({"N/A": None, "-": None}), errors="coerce")

    daily = pd.DataFrame(
        {
            "rte_day_ahead_mwh": _daily(start, hours, numeric(FORECAST_COLUMN)),
            "realtime_actual_mwh": _daily(start, hours, numeric(ACTUAL_COLUMN)),
        }
    )
    return daily.rename_axis("day").reset_index()


def rte_comparison(ours: pd.DataFrame, rte: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Our forecast and RTE's J-1 side by side on the days both exist (and the real-time and
    consolidated actuals too): rows ``forecast, actuals, mape, bias_pct, n`` and the number of
    common days.

    ``ours``: ``day``, ``predicted_mwh`` (our P50), ``actual_mwh`` (consolidated);
    ``rte``: :func:`entsoe_daily_energy`.
    """
    frame = ours[["day", "predicted_mwh", "actual_mwh"]].assign(day=pd.to_datetime(ours["day"]))
    frame = frame.merge(rte.assign(day=pd.to_datetime(rte["day"])), on="day").dropna()
    pairs = (
        ("EnergieWatch P50", "predicted_mwh", "consolidated", "actual_mwh"),
        ("RTE J-1", "rte_day_ahead_mwh", "real-time", "realtime_actual_mwh"),
        ("RTE J-1", "rte_day_ahead_mwh", "consolidated", "actual_mwh"),
        ("EnergieWatch P50", "predicted_mwh", "real-time", "realtime_actual_mwh"),
    )
    rows = []
    for name, forecast, actuals, actual in pairs:
        metrics = regression_metrics(frame[actual], frame[forecast])
        rows.append(
            {
                "forecast": name,
                "actuals": actuals,
                "mape": metrics["mape"],
                "bias_pct": metrics["bias_pct"],
                "n": metrics["n"],
            }
        )
    return pd.DataFrame(rows), len(frame)


def level_shift_pct(ours: pd.DataFrame, rte: pd.DataFrame) -> float:
    """Mean of consolidated / real-time - 1 (%) on the days both are complete."""
    frame = ours[["day", "actual_mwh"]].assign(day=pd.to_datetime(ours["day"]))
    frame = frame.merge(rte.assign(day=pd.to_datetime(rte["day"])), on="day").dropna()
    if frame.empty:
        return float("nan")
    return float((frame["actual_mwh"] / frame["realtime_actual_mwh"] - 1).mean() * 100)
