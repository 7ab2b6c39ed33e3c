"""Days, calendars and seeded random streams shared by the sample-data models.

Every random stream is keyed by ``(seed, stream, region, …)`` and drawn over a fixed
timeline (:data:`EPOCH` → :data:`HORIZON`) or per calendar year, never over the requested
range, so the values of a given region and day do not depend on ``start``/``end``.
"""

from __future__ import annotations

from datetime import date

import holidays
import numpy as np
import pandas as pd

EPOCH = pd.Timestamp("2000-01-01")
HORIZON = pd.Timestamp("2040-12-31")
TIMELINE = pd.date_range(EPOCH, HORIZON, freq="D")
TIMEZONE = "Europe/Paris"

# Stream identifiers: one per independent random quantity.
STREAM_TEMP_NATIONAL = 1
STREAM_TEMP_REGIONAL = 2
STREAM_TEMP_RANGE = 3
STREAM_GAS_NOISE = 4
STREAM_ELEC_NOISE = 5
STREAM_ANOMALIES = 6
STREAM_HALF_HOUR_NOISE = 7
STREAM_STRIKES = 8
STREAM_WEATHER_EXTRA = 9
STREAM_FUEL = 10
STREAM_WEATHER_FORECAST = 11
STREAM_GRID = 12


def rng_for(seed: int, stream: int, *keys: int) -> np.random.Generator:
    """A generator that depends only on the seed, the stream and the keys."""
    return np.random.default_rng([int(seed), int(stream), *(int(k) for k in keys)])


def region_key(region_code: str) -> int:
    """Integer key of an INSEE region code for :func:`rng_for`."""
    return int(region_code)


def parse_day(text: str) -> pd.Timestamp:
    day = pd.Timestamp(text).normalize()
    if day < EPOCH or day > HORIZON:
        raise ValueError(
            f"date {text!r} outside the supported range {EPOCH.date()}..{HORIZON.date()}"
        )
    return day


def timeline_slice(start: pd.Timestamp, end: pd.Timestamp) -> slice:
    """Positions of ``start..end`` (inclusive) in :data:`TIMELINE`."""
    return slice((start - EPOCH).days, (end - EPOCH).days + 1)


def public_holidays(years: range) -> dict[date, str]:
    """French (metropolitan) public holidays, French names, from the ``holidays`` package."""
    fr = holidays.country_holidays("FR", years=list(years), language="fr")
    return dict(fr.items())


def circular_gauss(hour: np.ndarray, centre: float, width: float) -> np.ndarray:
    """Gaussian bump on the 24-hour circle."""
    dist = np.abs(hour - centre)
    dist = np.minimum(dist, 24.0 - dist)
    return np.exp(-0.5 * (dist / width) ** 2)
