"""Operational day-ahead forecasts: what a user gets on D-1 for D, measured as it is served.

A row is a series (a region, or the national series ``regions.NATIONAL_CODE``), a forecast day D
and the day I the forecast is issued (D-1 for the day-ahead). It sees only what is known at
the issue (``domain.forecast_time``):

- consumption up to the last published day (``domain.features.HistorySpec``, gap 2: D-2);
- the weather observed up to I - 1 and the weather forecast issued on I for I..D+1
  (``domain.features.issue_weather``); training rows use the observed weather instead
  (perfect forecasts), evaluation and inference forecast-grade weather;
- the calendar of D and of the days whose consumption it sees (``domain.features.day_features``).

:class:`OperationalForecaster` holds two models: one with the weather forecast, one without
any target-day weather (used for the rows whose forecast is missing: never a climatology), and
the P10/P90 bands calibrated on honest validation forecasts (:func:`calibrate_bands`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from data_collection_kedro.domain.features import (
    ISSUE_WEATHER_COLUMNS,
    HistorySpec,
    as_day,
    consumption_history_at,
    day_features,
    issue_weather,
    values_at,
)
from data_collection_kedro.domain.forecast_time import history_gap_days
from data_collection_kedro.domain.regions import NATIONAL_CODE, NATIONAL_NAME
from data_collection_kedro.modeling.estimators import fit_level_ratio
from data_collection_kedro.modeling.features import model_input
from data_collection_kedro.sources import registry

logger = logging.getLogger(__name__)

BASIS_FORECAST = "forecast"
BASIS_NO_WEATHER = "no_weather"
SERIES_COLUMNS = [
    "region_code",
    "region",
    "day",
    "target_mwh",
    "is_complete",
    "temp_min_c",
    "temp_max_c",
    "temp_mean_c",
]
ROW_KEY = ["region_code", "day", "issue_day"]
QUANTILE_COLUMNS = ("p10", "p50", "p90")


# --------------------------------------------------------------------------------- spec
@dataclass(frozen=True)
class OperationalSpec:
    """Issue time, consumption history and horizon of an operational model."""

    history: HistorySpec
    issue_hour: float
    horizon_days: int

    @classmethod
    def from_params(
        cls, params: Mapping[str, Any], model_params: Mapping[str, Any]
    ) -> OperationalSpec:
        """``params`` = ``forecasting``; ``model_params`` = one entry of its ``operational``
        (``history_source``: the source whose publication lag sets the known days)."""
        source = str(model_params["history_source"])
        gap = history_gap_days(registry.source(source).publication_lag_days, source)
        return cls(
            history=HistorySpec.from_params(params.get("history", {}), gap_days=gap),
            issue_hour=float(params.get("issue", {}).get("hour", 9)),
            horizon_days=int(params.get("horizon_days", 14)),
        )


# ------------------------------------------------------------------------------- series
def _series(
    frame: pd.DataFrame, region_code: pd.Series, region: pd.Series, target: str, complete: str
) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "region_code": region_code.astype(str).to_numpy(),
            "region": region.astype(str).to_numpy(),
            "day": as_day(frame["day"]).to_numpy(),
            "target_mwh": pd.to_numeric(frame[target], errors="coerce").astype(float).to_numpy(),
        }
    )
    flags = frame[complete] if complete in frame.columns else frame[target].notna()
    out["is_complete"] = flags.astype("boolean").fillna(False).astype(bool).to_numpy()
    for column in ("temp_min_c", "temp_max_c", "temp_mean_c"):
        values = frame[column] if column in frame.columns else pd.Series(np.nan, frame.index)
        out[column] = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    out = out.drop_duplicates(["region_code", "day"], keep="last")
    return out.sort_values(["region_code", "day"], ignore_index=True)[SERIES_COLUMNS]


def regional_series(meteo_consommation: pd.DataFrame, target: str) -> pd.DataFrame:
    """:data:`SERIES_COLUMNS` of every region with a ``target`` value in ``meteo_consommation``
    (observed temperatures, ``is_complete``), from its first to its last day with a value."""
    series = _series(
        meteo_consommation,
        meteo_consommation["region_code"],
        meteo_consommation["region"],
        target,
        "is_complete",
    )
    return _trimmed(series)


def national_series(consommation_nationale: pd.DataFrame, energy: str) -> pd.DataFrame:
    """:data:`SERIES_COLUMNS` of the national series (``consommation_nationale``: daily
    national consumption of ``energy`` and the national temperature)."""
    codes = pd.Series(NATIONAL_CODE, index=consommation_nationale.index)
    names = pd.Series(NATIONAL_NAME, index=consommation_nationale.index)
    series = _series(
        consommation_nationale,
        codes,
        names,
        f"{energy}_consumption_mwh",
        f"{energy}_is_complete",
    )
    return _trimmed(series)


def _trimmed(series: pd.DataFrame) -> pd.DataFrame:
    known = series[series["target_mwh"].notna()].groupby("region_code")["day"].agg(["min", "max"])
    bounds = series["region_code"].map(known["min"]), series["region_code"].map(known["max"])
    kept = (series["day"] >= bounds[0]) & (series["day"] <= bounds[1])
    return series[kept.fillna(False).to_numpy(dtype=bool)].reset_index(drop=True)


# --------------------------------------------------------------------------------- rows
def feature_rows(
    series: pd.DataFrame,
    rows: pd.DataFrame,
    spec: OperationalSpec,
    forecasts: pd.DataFrame | None,
    consumption: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The features of ``rows`` (``region_code, day, issue_day``) known at their issue.

    ``consumption`` (``region_code, day`` + :attr:`HistorySpec.columns`) is the consumption
    history of the rows' days when it is already computed (the recursive forecasts); by
    default it comes from ``series`` with ``spec.history`` (rows issued on D-1).
    ``forecasts``: see ``domain.features.issue_weather`` (None = the observed weather).
    """
    rows = rows[ROW_KEY].reset_index(drop=True)
    if consumption is None:
        history = consumption_history_at(series, rows, "target_mwh", spec.history)
        out = pd.concat([rows, history], axis=1)
    else:
        out = rows.merge(consumption, on=["region_code", "day"], how="left")
    out = pd.concat([out, values_at(series, rows, ["target_mwh", "is_complete"])], axis=1)
    names = series.drop_duplicates("region_code").set_index("region_code")["region"]
    out.insert(1, "region", out["region_code"].map(names).astype(str))
    weather = issue_weather(series, out, forecasts)
    calendar = day_features(out)
    out = pd.concat([out, weather, calendar], axis=1)
    out["lead_days"] = (out["day"] - out["issue_day"]).dt.days
    out["is_complete"] = out["is_complete"].astype("boolean").fillna(False).astype(bool)
    return out


def day_ahead_rows(
    series: pd.DataFrame, spec: OperationalSpec, forecasts: pd.DataFrame | None
) -> pd.DataFrame:
    """:func:`feature_rows` of every day of ``series`` issued the day before."""
    rows = series[["region_code", "day"]].assign(issue_day=series["day"] - pd.Timedelta(days=1))
    return feature_rows(series, rows, spec, forecasts)


# ---------------------------------------------------------------------------- the model
class OperationalForecaster(RegressorMixin, BaseEstimator):
    """The served model of one energy and scope: a weather-forecast model, a model without
    target-day weather, and calibrated P10/P90 bands.

    ``predict`` returns the P50; :meth:`predict_quantiles` the P10/P50/P90 (static band) and
    the basis of each row (:data:`BASIS_FORECAST` when every weather input of the weather model
    is known, :data:`BASIS_NO_WEATHER` otherwise). ``adaptive`` (the settings of
    ``modeling.adaptive_bands.AdaptiveBands``) and ``fitted_until`` (last training day, ISO)
    let the served forecasts shift the band by the misses of the forecaster's own forecasts
    after its training period (``modeling.adaptive_bands.adaptive_paths``).
    """

    def __init__(
        self,
        weather_model: Any,
        weather_columns: Sequence[str],
        no_weather_model: Any,
        no_weather_columns: Sequence[str],
        bands: pd.DataFrame | None = None,
        adaptive: Mapping[str, Any] | None = None,
        fitted_until: str | None = None,
    ) -> None:
        self.weather_model = weather_model
        self.weather_columns = weather_columns
        self.no_weather_model = no_weather_model
        self.no_weather_columns = no_weather_columns
        self.bands = bands
        self.adaptive = adaptive
        self.fitted_until = fitted_until

    @property
    def input_columns(self) -> list[str]:
        columns = list(self.weather_columns)
        return columns + [c for c in self.no_weather_columns if c not in columns]

    @property
    def weather_inputs(self) -> list[str]:
        """The weather model's inputs that come from the weather (forecast) of the day."""
        return [c for c in self.weather_columns if c in ISSUE_WEATHER_COLUMNS]

    def fit(self, X: pd.DataFrame, y: Any = None) -> OperationalForecaster:
        raise NotImplementedError("fitted by modeling.operational.fit_forecaster")

    def weather_basis(self, X: pd.DataFrame) -> np.ndarray:
        known = X[self.weather_inputs].notna().all(axis=1).to_numpy()
        return np.where(known, BASIS_FORECAST, BASIS_NO_WEATHER)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self._predict(X, self.weather_basis(X))

    def _predict(self, X: pd.DataFrame, basis: np.ndarray) -> np.ndarray:
        out = np.full(len(X), np.nan)
        with_weather = basis == BASIS_FORECAST
        for chosen, model, columns in (
            (with_weather, self.weather_model, self.weather_columns),
            (~with_weather, self.no_weather_model, self.no_weather_columns),
        ):
            if chosen.any():  # the model's columns first, then its rows (a row is forecast alone)
                inputs = model_input(X, list(columns))
                out[chosen] = model.predict(inputs if chosen.all() else inputs[chosen])
        return out

    def predict_quantiles(self, X: pd.DataFrame, lead_days: Any = 1) -> pd.DataFrame:
        """``p10, p50, p90, weather_basis`` of each row of ``X``, the bands of ``lead_days``
        (one lead or one per row) and of the row's series (``region_code``)."""
        basis = self.weather_basis(X)
        p50 = self._predict(X, basis)
        leads = np.broadcast_to(np.asarray(lead_days, dtype=int), (len(X),))
        low, high = band_ratios(self.bands, X["region_code"].astype(str), basis, leads)
        return pd.DataFrame(
            {"p10": p50 * (1 + low), "p50": p50, "p90": p50 * (1 + high), "weather_basis": basis},
            index=X.index,
        )


# ---------------------------------------------------------------------------- the bands
BAND_COLUMNS = ["weather_basis", "lead_days", "region_code", "low", "high", "n"]
POOLED = "*"


def calibrate_bands(
    frame: pd.DataFrame, quantiles: tuple[float, float] = (0.1, 0.9), min_rows: int = 60
) -> pd.DataFrame:
    """Empirical quantiles of the relative error ``actual / p50 - 1`` of honest forecasts
    (``region_code, weather_basis, lead_days, actual_mwh, p50``) per basis, lead and series
    (series with fewer than ``min_rows`` errors use the pooled row, ``region_code`` ``*``).

    P10 = P50 × (1 + low), P90 = P50 × (1 + high): a split-conformal band, calibrated on
    forecasts the model did not train on; ``low <= 0 <= high`` keeps P10 <= P50 <= P90.
    """
    data = frame[(frame["actual_mwh"] > 0) & (frame["p50"] > 0)].copy()
    data["error"] = data["actual_mwh"] / data["p50"] - 1
    pooled = data.assign(region_code=POOLED)
    rows = []
    for source in (pooled, data):
        grouped = source.groupby(["weather_basis", "lead_days", "region_code"])["error"]
        table = grouped.quantile(quantiles[0]).clip(upper=0.0).rename("low").to_frame()
        table["high"] = grouped.quantile(quantiles[1]).clip(lower=0.0)
        table["n"] = grouped.size()
        rows.append(table.reset_index())
    bands = pd.concat(rows, ignore_index=True)
    bands = bands[(bands["region_code"] == POOLED) | (bands["n"] >= min_rows)]
    return bands[BAND_COLUMNS].reset_index(drop=True)


def band_ratios(
    bands: pd.DataFrame | None, region_code: pd.Series, basis: np.ndarray, leads: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of each row: its series' band, else the pooled one, for its basis and lead
    (the largest calibrated lead beyond it); NaN without bands."""
    n = len(region_code)
    if bands is None or bands.empty:
        return np.full(n, np.nan), np.full(n, np.nan)
    # plain lookups: the table holds a few hundred rows and a call asks for a few (the
    # recursive forecasts call once a lead); pandas' multi-index reindex costs milliseconds
    bases = bands["weather_basis"].astype(str).tolist()
    lead_days = bands["lead_days"].to_numpy(dtype=int)
    max_lead: dict[str, int] = {}
    for name, days in zip(bases, lead_days.tolist(), strict=True):
        max_lead[name] = max(days, max_lead.get(name, days))
    lead = np.minimum(leads, np.array([max_lead.get(b, 1) for b in basis], dtype=int))
    lead = np.maximum(lead, lead_days.min())
    position = {
        key: i
        for i, key in enumerate(
            zip(bases, lead_days.tolist(), bands["region_code"].astype(str).tolist(), strict=True)
        )
    }
    keys = list(zip(np.asarray(basis).tolist(), lead.tolist(), strict=True))
    codes = region_code.astype(str).tolist()
    own = np.array([position.get((b, d, c), -1) for (b, d), c in zip(keys, codes, strict=True)])
    pooled = np.array([position.get((b, d, POOLED), -1) for b, d in keys])
    out = []
    for column in ("low", "high"):
        values = np.append(bands[column].to_numpy(dtype=float), np.nan)  # -1: not calibrated
        mine, shared = values[own.astype(int)], values[pooled.astype(int)]
        out.append(np.where(np.isnan(mine), shared, mine))
    return out[0], out[1]


# ----------------------------------------------------------------------------- training
def usable_rows(
    rows: pd.DataFrame, model_params: Mapping[str, Any], complete_only: bool
) -> pd.DataFrame:
    """Training rows of a model: a positive target (of a complete day when ``complete_only``),
    a positive level (``level_column``) and every input known."""
    columns = [c for c in model_params["features"] if c != "region_code"]
    keep = (rows["target_mwh"] > 0) & rows[columns].notna().all(axis=1)
    keep &= rows[str(model_params["level_column"])] > 0
    if complete_only:
        keep &= rows["is_complete"].astype(bool)
    return rows[keep.to_numpy(dtype=bool)]


def fit_forecaster(
    rows: pd.DataFrame,
    model_params: Mapping[str, Any],
    complete_only: bool = True,
    bands: pd.DataFrame | None = None,
    adaptive: Mapping[str, Any] | None = None,
    noisy_rows: pd.DataFrame | None = None,
) -> OperationalForecaster:
    """The weather and no-weather models of ``model_params`` fitted on ``rows`` (day-ahead
    rows with the observed weather), the weather model on ``noisy_rows`` as well (the same
    days with forecast-grade weather: the noisy training copies); ``fitted_until`` is their
    last day."""
    fitted = {}
    for part in ("weather_model", "no_weather_model"):
        part_params = model_params[part]
        train = usable_rows(rows, part_params, complete_only)
        if part == "weather_model" and noisy_rows is not None and not train.empty:
            noisy = usable_rows(noisy_rows, part_params, complete_only)
            train = pd.concat([train, noisy], ignore_index=True)
        if train.empty:
            raise ValueError(
                f"{model_params.get('model_key')}: no usable training rows for the {part} "
                f"({len(rows)} rows; check the split and that the series has enough days)"
            )
        fitted[part] = fit_level_ratio(part_params, train, list(part_params["features"]))
    return OperationalForecaster(
        fitted["weather_model"],
        list(model_params["weather_model"]["features"]),
        fitted["no_weather_model"],
        list(model_params["no_weather_model"]["features"]),
        bands,
        adaptive,
        fitted_until=as_day(rows["day"]).max().date().isoformat(),
    )


def evaluable(rows: pd.DataFrame, forecaster: OperationalForecaster) -> pd.DataFrame:
    """Rows with a positive target that the forecaster can forecast (a positive level)."""
    level = forecaster.no_weather_model.level(rows)
    return rows[(rows["target_mwh"] > 0).to_numpy() & (level > 0)]


def served_forecasts(forecaster: OperationalForecaster, rows: pd.DataFrame) -> pd.DataFrame:
    """``region_code, region, day, issue_day, lead_days, actual_mwh, p10, p50, p90,
    weather_basis, is_complete`` of the rows the forecaster can forecast."""
    rows = evaluable(rows, forecaster)
    quantiles = forecaster.predict_quantiles(rows, rows["lead_days"].to_numpy())
    keys = rows[["region_code", "region", "day", "issue_day", "lead_days", "is_complete"]]
    return pd.concat([keys, quantiles], axis=1).assign(actual_mwh=rows["target_mwh"])
