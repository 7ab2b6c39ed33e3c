"""Forecasts of the next days, issued the day after the last published consumption day.

:func:`forecast_paths` forecasts many (series, issue day) paths at once, one lead at a time:
the consumption history of every path is one column of a matrix (days relative to the issue x
paths) that ``domain.features.consumption_history`` reads, the rule of the training features;
each lead's P50 fills its day for the next leads' lags, rolling means and level (recursive).
The weather and calendar of every (path, lead) are computed once, vectorized
(``modeling.operational.feature_rows``). Serving (:func:`next_days`) issues one path per series;
the validation backtest that calibrates the bands issues one per series and validation day.

A day gets the weather forecast issued on its path's issue day (``forecasts``): where there is
none, the model without target-day weather forecasts it and the row says so (``weather_basis``).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from data_collection_kedro.domain.features import as_day, consumption_history
from data_collection_kedro.modeling.adaptive_bands import adaptive_paths
from data_collection_kedro.modeling.operational import (
    OperationalForecaster,
    OperationalSpec,
    feature_rows,
)

logger = logging.getLogger(__name__)

PATH_COLUMNS = [
    "region_code",
    "region",
    "day",
    "issue_day",
    "lead_days",
    "p10",
    "p50",
    "p90",
    "weather_basis",
]


def _history_days(spec: OperationalSpec) -> int:
    history = spec.history
    return max(history.level_window_days, *history.lags, *history.windows) + history.gap_days + 1


def forecast_paths(
    forecaster: OperationalForecaster,
    series: pd.DataFrame,
    issues: pd.DataFrame,
    spec: OperationalSpec,
    forecasts: pd.DataFrame | None,
    horizon_days: int,
    first_lead: int = 1,
) -> pd.DataFrame:
    """:data:`PATH_COLUMNS` of the leads ``first_lead..horizon_days`` of every path of
    ``issues`` (``region_code, issue_day``, optional ``stale_days``: how many days older than
    the issue its weather forecast is, for the bands).

    Each path knows the consumption of ``series`` up to its last published day (issue day + 1 -
    ``gap_days``); the days after it are forecast in order, from the issue day on.
    """
    if issues.empty:
        return pd.DataFrame(columns=PATH_COLUMNS)
    gap = spec.history.gap_days
    first_unknown = 2 - gap  # relative to the issue day
    before = _history_days(spec)
    offsets = np.arange(first_unknown - before, horizon_days + 1)
    paths = issues.reset_index(drop=True)
    codes = paths["region_code"].astype(str).to_numpy()
    issue_days = pd.DatetimeIndex(as_day(paths["issue_day"]))

    values = series.pivot(index="day", columns="region_code", values="target_mwh")
    values = values.reindex(
        pd.date_range(
            min(values.index.min(), issue_days.min() + pd.Timedelta(days=int(offsets[0]))),
            max(values.index.max(), issue_days.max() + pd.Timedelta(days=horizon_days)),
        )
    )
    day_positions = values.index.get_indexer(issue_days)[None, :] + offsets[:, None]
    columns = values.columns.get_indexer(pd.Index(codes))
    matrix = values.to_numpy(dtype=float)[day_positions, columns[None, :]]
    matrix[offsets >= first_unknown, :] = np.nan  # not published at the issue

    leads = np.arange(first_unknown, horizon_days + 1)
    rows = pd.DataFrame(
        {
            "region_code": np.tile(codes, len(leads)),
            "day": np.tile(issue_days, len(leads))
            + pd.to_timedelta(np.repeat(leads, len(paths)), unit="D"),
            "issue_day": np.tile(issue_days, len(leads)),
        }
    )
    empty_history = pd.DataFrame(
        {"region_code": rows["region_code"], "day": rows["day"]}
    ).drop_duplicates()
    for column in spec.history.columns:
        empty_history[column] = np.nan
    known = feature_rows(series, rows, spec, forecasts, consumption=empty_history)
    stale = (
        paths["stale_days"].to_numpy(dtype=int)
        if "stale_days" in paths.columns
        else np.zeros(len(paths), dtype=int)
    )
    out = []
    # a lead's history ends ``gap`` days before it: the ``gap`` leads from one on see none of
    # each other's forecasts and are forecast together (the same rows as one at a time)
    for first_step in range(0, len(leads), gap):
        batch = leads[first_step : first_step + gap]
        positions = np.searchsorted(offsets, batch)
        history = consumption_history(matrix, spec.history, rows=positions)
        rows_of = slice(first_step * len(paths), (first_step + len(batch)) * len(paths))
        frame = known.iloc[rows_of].reset_index(drop=True)
        for column, table in history.items():
            frame[column] = table.ravel()  # lead by lead, the paths in order (``known``'s)
        lead_days = np.repeat(batch, len(paths)) + np.tile(stale, len(batch))
        quantiles = forecaster.predict_quantiles(frame, lead_days=lead_days)
        matrix[positions] = quantiles["p50"].to_numpy().reshape(len(batch), len(paths))
        kept = np.repeat(batch >= first_lead, len(paths))
        if kept.any():
            keys = frame[["region_code", "region", "day", "issue_day", "lead_days"]]
            out.append(pd.concat([keys, quantiles], axis=1)[kept])
    if not out:
        return pd.DataFrame(columns=PATH_COLUMNS)
    result = pd.concat(out, ignore_index=True)
    return result.sort_values(["region_code", "issue_day", "day"], ignore_index=True)[PATH_COLUMNS]


def forecasts_known_at(forecasts: pd.DataFrame, issues: pd.DataFrame) -> pd.DataFrame:
    """For each path of ``issues`` (``region_code, issue_day``), the latest weather forecast
    issued on or before its issue day for each target day from the issue day on, relabelled
    as issued on the path's issue day; ``weather_issue_day`` keeps the real issue day."""
    columns = [*forecasts.columns, "weather_issue_day"]
    if forecasts.empty or issues.empty:
        return forecasts.iloc[0:0].assign(weather_issue_day=forecasts["issue_day"].iloc[0:0])
    # a forecast of a day before every path's issue serves none of them
    forecasts = forecasts[(forecasts["day"] >= issues["issue_day"].min()).to_numpy()]
    merged = forecasts.merge(
        issues[["region_code", "issue_day"]].rename(columns={"issue_day": "path_issue"}),
        on="region_code",
    )
    merged = merged[
        (merged["issue_day"] <= merged["path_issue"]) & (merged["day"] >= merged["path_issue"])
    ]
    latest = merged.sort_values("issue_day").drop_duplicates(
        ["region_code", "path_issue", "day"], keep="last"
    )
    latest = latest.assign(weather_issue_day=latest["issue_day"], issue_day=latest["path_issue"])
    return latest.drop(columns="path_issue")[columns].reset_index(drop=True)


def next_days(
    forecaster: OperationalForecaster,
    series: pd.DataFrame,
    forecasts: pd.DataFrame,
    spec: OperationalSpec,
    computed: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The served forecasts of every series: issued the day after its last published day
    (the last day with a value in ``series``), for the issue day itself (lead 0) and the
    ``spec.horizon_days`` days after it, with the weather forecast known then (:func:`forecasts_known_at`: the latest
    issued on or before the issue day) and ``weather_issue_day`` (NaT without one); the band
    adapted to the misses of the forecaster's own forecasts published by the issue
    (``modeling.adaptive_bands``; ``computed``: the forecaster's day-ahead table of ``series``
    and ``forecasts``, ``modeling.day_ahead.day_ahead_table``)."""
    observed = series[series["target_mwh"].notna()]
    last = observed.groupby("region_code")["day"].max()
    for code in sorted(set(series["region_code"].unique()) - set(last.index)):
        logger.warning("forecast: series %s has no published consumption", code)
    issue_offset = pd.Timedelta(days=spec.history.gap_days - 1)
    issues = pd.DataFrame({"region_code": last.index, "issue_day": last.to_numpy() + issue_offset})
    known = forecasts_known_at(forecasts, issues)
    stale = (
        (known["issue_day"] - known["weather_issue_day"])
        .dt.days.groupby(known["region_code"])
        .min()
    )
    issues["stale_days"] = issues["region_code"].map(stale).fillna(0).astype(int)
    paths = forecast_paths(
        forecaster,
        series,
        issues,
        spec,
        known.drop(columns="weather_issue_day"),
        spec.horizon_days,
        first_lead=0,
    )
    paths = adaptive_paths(forecaster, series, forecasts, spec, paths, computed=computed)
    weather_issue = known.set_index(["region_code", "day"])["weather_issue_day"]
    paths["weather_issue_day"] = weather_issue.reindex(
        pd.MultiIndex.from_frame(paths[["region_code", "day"]])
    ).to_numpy()
    paths.loc[paths["weather_basis"] != "forecast", "weather_issue_day"] = pd.NaT
    return paths
