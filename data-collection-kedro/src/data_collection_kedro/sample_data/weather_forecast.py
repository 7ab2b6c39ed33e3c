"""Writer of the regional temperature forecasts (``previsions-meteo-regionales.csv``).

Every day of the sample issues a forecast for itself and the next seven days (leads 0..7), per
region: the sample's observed temperatures (the daily model, also beyond the last day) plus an
error that grows with the lead time and is correlated across regions, the same shift on Tmin,
Tmax and Tmean:

    error = sd_k · (√ρ · z_national + √(1 − ρ) · z_region),  sd_k = SD_LEAD_1 · (1 + GROWTH · (k − 1))

with ``z`` standard normal draws per issue day and lead (seeded, drawn per calendar year like the
other streams, so a day's values do not depend on the sample's range). The format is the live
client's (``sources/parsers/weather_forecast.py``): one row per region, issue day and target day.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from data_collection_kedro.sources.declarations.weather_forecast import POINTS

from .csv_io import decimals, write_csv
from .model import temperature_timeline
from .timeline import STREAM_WEATHER_FORECAST, region_key, rng_for
from .world import SampleWorld

COLUMNS = [
    "code_insee_region",
    "date_emission",
    "date_cible",
    "temperature_2m_min",
    "temperature_2m_max",
    "temperature_2m_mean",
    "nombre_points",
    "fournisseur",
    "modele",
]
LEADS = np.arange(8)  # 0..7 days
SD_LEAD_1 = 0.8  # °C, error sd of the forecast for the next day
GROWTH = 0.25  # sd grows by 25 % of SD_LEAD_1 per day of lead
RHO = 0.6  # correlation of the errors across regions
PROVIDER = "EnergieWatch sample"
MODEL = "simulated_forecast_error"


def lead_sd(leads: np.ndarray) -> np.ndarray:
    """Error sd (°C) at each lead (0.6 °C on the issue day, 0.8 °C the next day, +0.2 °C/day)."""
    return SD_LEAD_1 * (1.0 + GROWTH * (np.asarray(leads, dtype=float) - 1.0))


def _draws(seed: int, key: int, issue_days: pd.DatetimeIndex) -> np.ndarray:
    """Standard normal draws (issue day × lead), drawn per calendar year of the issue day."""
    out = np.empty((len(issue_days), len(LEADS)))
    years = issue_days.year.to_numpy()
    for year in np.unique(years):
        first = pd.Timestamp(year=int(year), month=1, day=1)
        n_days = 366 if first.is_leap_year else 365
        draws = rng_for(seed, STREAM_WEATHER_FORECAST, key, int(year)).standard_normal(
            (n_days, len(LEADS))
        )
        in_year = years == year
        out[in_year] = draws[(issue_days[in_year] - first).days.to_numpy()]
    return out


def forecast_errors(
    seed: int, codes: list[str], issue_days: pd.DatetimeIndex
) -> dict[str, np.ndarray]:
    """Per region, the forecast error (°C) of each issue day (rows) and lead (columns)."""
    national = _draws(seed, 0, issue_days)
    sd = lead_sd(LEADS)[None, :]
    return {
        code: sd
        * (
            np.sqrt(RHO) * national
            + np.sqrt(1.0 - RHO) * _draws(seed, region_key(code), issue_days)
        )
        for code in codes
    }


def forecast_rows(
    seed: int, codes: list[str], first: pd.Timestamp, last: pd.Timestamp
) -> pd.DataFrame:
    """The forecasts issued every day of ``first..last`` for leads 0..7 (targets up to 7 days
    after ``last``)."""
    issue_days = pd.date_range(first, last, freq="D")
    errors = forecast_errors(seed, codes, issue_days)
    issue = np.repeat(issue_days.to_numpy(), len(LEADS))
    target = pd.DatetimeIndex(issue) + pd.to_timedelta(np.tile(LEADS, len(issue_days)), unit="D")
    frames = []
    for code in codes:
        observed = temperature_timeline(seed, code).loc[target]
        error = errors[code].ravel()
        frames.append(
            pd.DataFrame(
                {
                    "code_insee_region": code,
                    "date_emission": pd.DatetimeIndex(issue).strftime("%Y-%m-%d"),
                    "date_cible": target.strftime("%Y-%m-%d"),
                    "temperature_2m_min": decimals(observed["tmin_c"].to_numpy() + error, 1),
                    "temperature_2m_max": decimals(observed["tmax_c"].to_numpy() + error, 1),
                    "temperature_2m_mean": decimals(observed["tmean_c"].to_numpy() + error, 1),
                    "nombre_points": len(POINTS[code]),
                    "fournisseur": PROVIDER,
                    "modele": MODEL,
                }
            )
        )
    rows = pd.concat(frames, ignore_index=True)
    return rows.sort_values(["date_emission", "code_insee_region", "date_cible"], kind="stable")


def write_forecasts(out_dir: Path, world: SampleWorld, file: str) -> dict[str, int]:
    rows = forecast_rows(world.seed, world.codes, world.first, world.last)
    world.units[file] = "rows = regions × issue days × leads 0..7"
    return {file: write_csv(out_dir / file, rows[COLUMNS])}
