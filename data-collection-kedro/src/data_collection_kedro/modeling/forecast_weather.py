"""Weather forecasts as the operational models see them: one frame ``region_code, day,
issue_day, temp_min_c, temp_max_c, temp_mean_c`` (``day`` = the forecast's target day).

- From the indices (:func:`indexed_forecasts`): ``previsions_meteo`` (regional forecasts per
  issue day) and ``previsions_meteo_nationales`` (the national temperature forecast, series
  ``regions.NATIONAL_CODE``).
- Simulated (:func:`simulated_forecasts`), where no archive of forecasts exists (the real-data
  evaluation): the observed temperatures plus a seeded error, per region and day
  N(0, ``sd_c``) on the daily means, correlated across regions (``rho``), the same shift on
  Tmin and Tmax, the standard deviation multiplied by ``1 + growth_per_day * (k - 1)`` at lead k
  days (0.75 × on the issue day itself, 1 × the next day, 1.25 × two days ahead...). The
  national series gets the weighted mean of the regional errors (the national temperature is
  the weighted mean of the regional ones, ``data_fusion.national_temperature``).
- The noisy training copies of a weather model (:func:`training_forecasts`): the same error
  drawn with the seeds ``training_seed``, ``training_seed + 1``... (never the evaluation's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.domain.contracts import TEMPERATURE_COLUMNS
from data_collection_kedro.domain.features import as_day
from data_collection_kedro.domain.regions import NATIONAL_CODE, REGIONS

FORECAST_COLUMNS = ["region_code", "day", "issue_day", *TEMPERATURE_COLUMNS]
# the regions whose errors are drawn, in a fixed order: a region's error does not depend on
# which regions a run holds
ERROR_REGIONS = tuple(region.code for region in REGIONS)


def empty_forecasts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region_code": pd.Series(dtype=str),
            "day": pd.Series(dtype="datetime64[ns]"),
            "issue_day": pd.Series(dtype="datetime64[ns]"),
            **{c: pd.Series(dtype=float) for c in TEMPERATURE_COLUMNS},
        }
    )


def _normalized(frame: pd.DataFrame, region_code: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "region_code": region_code.astype(str).to_numpy(),
            "day": as_day(frame["day"]).to_numpy(),
            "issue_day": as_day(frame["issue_day"]).to_numpy(),
        }
    )
    for column in TEMPERATURE_COLUMNS:
        out[column] = pd.to_numeric(frame[column], errors="coerce").astype(float).to_numpy()
    return out


def indexed_forecasts(
    previsions_meteo: pd.DataFrame | None, previsions_meteo_nationales: pd.DataFrame | None
) -> pd.DataFrame:
    """The forecasts of the ``previsions_meteo`` / ``previsions_meteo_nationales`` indices."""
    frames = []
    if previsions_meteo is not None and not previsions_meteo.empty:
        frames.append(_normalized(previsions_meteo, previsions_meteo["region_code"]))
    if previsions_meteo_nationales is not None and not previsions_meteo_nationales.empty:
        national = pd.Series(NATIONAL_CODE, index=previsions_meteo_nationales.index)
        frames.append(_normalized(previsions_meteo_nationales, national))
    if not frames:
        return empty_forecasts()
    out = pd.concat(frames, ignore_index=True)
    return out[out["day"] >= out["issue_day"]].reset_index(drop=True)


@dataclass(frozen=True)
class ForecastError:
    """The simulated forecast error (module docstring)."""

    seed: int = 20240601
    sd_c: float = 1.0
    rho: float = 0.6
    growth_per_day: float = 0.25
    max_lead_days: int = 15
    training_seed: int = 20250107

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ForecastError:
        default = cls()
        return cls(
            seed=int(params.get("seed", default.seed)),
            sd_c=float(params.get("sd_c", default.sd_c)),
            rho=float(params.get("rho", default.rho)),
            growth_per_day=float(params.get("growth_per_day", default.growth_per_day)),
            max_lead_days=int(params.get("max_lead_days", default.max_lead_days)),
            training_seed=int(params.get("training_seed", default.training_seed)),
        )

    def lead_sd(self, leads: np.ndarray) -> np.ndarray:
        return self.sd_c * (1.0 + self.growth_per_day * (np.asarray(leads, dtype=float) - 1.0))

    def errors(self, issue_days: pd.DatetimeIndex) -> np.ndarray:
        """Errors (°C) of shape (issue day, lead 0..max_lead_days, region of
        :data:`ERROR_REGIONS`), seeded per issue day: the same day always gets the same
        errors."""
        leads = np.arange(self.max_lead_days + 1)
        sd = self.lead_sd(leads)[:, None]
        out = np.empty((len(issue_days), len(leads), len(ERROR_REGIONS)))
        for position, day in enumerate(issue_days):
            rng = np.random.default_rng([self.seed, day.toordinal()])
            common = rng.standard_normal((len(leads), 1))
            own = rng.standard_normal((len(leads), len(ERROR_REGIONS)))
            out[position] = sd * (np.sqrt(self.rho) * common + np.sqrt(1 - self.rho) * own)
        return out


def simulated_forecasts(
    observed: pd.DataFrame,
    error: ForecastError,
    national_weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Forecasts issued every day, leads 0..``max_lead_days``, for the days of ``observed``
    (``region_code, day`` + temperatures; the national series ``NATIONAL_CODE`` among them):
    the observed temperatures plus :meth:`ForecastError.errors`."""
    if observed.empty:
        return empty_forecasts()
    days = as_day(observed["day"])
    issue_days = pd.date_range(days.min() - pd.Timedelta(days=error.max_lead_days), days.max())
    draws = error.errors(issue_days)  # issue x lead x region
    weights = np.array([float((national_weights or {}).get(c, 0.0)) for c in ERROR_REGIONS])
    national = (
        (draws * weights).sum(axis=2) / weights.sum()
        if weights.sum() > 0
        else np.full(draws.shape[:2], np.nan)
    )
    codes = observed["region_code"].astype(str)
    frames = []
    leads = np.arange(error.max_lead_days + 1)
    for lead in leads:
        issue = days - pd.Timedelta(days=int(lead))
        position = issue_days.get_indexer(pd.DatetimeIndex(issue))
        region_position = pd.Index(ERROR_REGIONS).get_indexer(pd.Index(codes))
        shift = np.where(
            codes.to_numpy() == NATIONAL_CODE,
            national[position, lead],
            draws[position, lead, np.maximum(region_position, 0)],
        )
        shift = np.where((region_position < 0) & (codes.to_numpy() != NATIONAL_CODE), np.nan, shift)
        frame = pd.DataFrame(
            {"region_code": codes.to_numpy(), "day": days.to_numpy(), "issue_day": issue.to_numpy()}
        )
        for column in TEMPERATURE_COLUMNS:
            frame[column] = pd.to_numeric(observed[column], errors="coerce").to_numpy() + shift
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[FORECAST_COLUMNS]


def training_forecasts(
    observed: pd.DataFrame,
    error: ForecastError,
    copies: int,
    national_weights: Mapping[str, float] | None = None,
) -> list[pd.DataFrame]:
    """The weather of ``copies`` noisy training copies of ``observed`` (:func:`simulated_forecasts`
    with the seed ``error.training_seed + i`` for copy i): a weather model that also learns from
    them learns what a forecast temperature says about the day, as it will be served."""
    return [
        simulated_forecasts(
            observed, replace(error, seed=error.training_seed + i), national_weights
        )
        for i in range(int(copies))
    ]
