"""Daily model behind the sample data: regional weather, gas and electricity, anomalies.

Temperature = seasonal cycle + AR(1) anomaly (a national component shared by every region
plus a regional one). Gas per operator = distribution base + slope × heating degree days
(base 17 °C) + industrial offtake, with weekday, public-holiday, strike and post-2022
sobriety effects. Electricity = heating/cooling-sensitive level with the same calendar
effects. A few labelled anomalies (spike, drop, flat profile) are injected per region.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from data_collection_kedro.domain.regions import REGION_BY_CODE

from .reference import (
    CLIMATE,
    COOLING_BASE_C,
    ELECTRICITY_MEAN_MWH,
    GAS_NETWORKS,
    HEATING_BASE_C,
)
from .timeline import (
    STREAM_ANOMALIES,
    STREAM_ELEC_NOISE,
    STREAM_GAS_NOISE,
    STREAM_TEMP_NATIONAL,
    STREAM_TEMP_RANGE,
    STREAM_TEMP_REGIONAL,
    TIMELINE,
    region_key,
    rng_for,
    timeline_slice,
)

AR_PHI = 0.77
SOBRIETY_START = pd.Timestamp("2022-08-01")
SOBRIETY_RAMP_DAYS = 150
ANOMALIES_PER_7_YEARS = (3, 6)  # per region, in any 7 consecutive years
ANOMALY_KINDS = ("spike", "spike", "drop", "drop", "flat")


def _ar1(noise: np.ndarray) -> np.ndarray:
    """Unit-variance AR(1) series driven by standard normal noise."""
    return lfilter([np.sqrt(1.0 - AR_PHI**2)], [1.0, -AR_PHI], noise)


@lru_cache(maxsize=4)
def _national_anomaly(seed: int) -> np.ndarray:
    return _ar1(rng_for(seed, STREAM_TEMP_NATIONAL).standard_normal(len(TIMELINE)))


@lru_cache(maxsize=32)
def temperature_timeline(seed: int, region_code: str) -> pd.DataFrame:
    """Daily TMin/TMax/TMoy (°C, 2 decimals) of a region over the whole timeline."""
    climate = CLIMATE[region_code]
    n = len(TIMELINE)
    doy = TIMELINE.day_of_year.to_numpy()
    season = np.cos(2 * np.pi * (doy - 205) / 365.25)
    regional = _ar1(rng_for(seed, STREAM_TEMP_REGIONAL, region_key(region_code)).standard_normal(n))
    anomaly = climate.anomaly_sd_c * (0.85 * _national_anomaly(seed) + 0.527 * regional)
    years = TIMELINE.year.to_numpy() - 2018
    tmean = climate.mean_c + climate.amplitude_c * season + anomaly + 0.03 * years
    range_noise = rng_for(seed, STREAM_TEMP_RANGE, region_key(region_code)).standard_normal(n)
    diurnal = climate.diurnal_range_c * (1 + 0.25 * season) * (1 + 0.18 * range_noise)
    diurnal = np.clip(diurnal, 1.5, None)
    tmin = np.round(tmean - diurnal / 2, 2)
    tmax = np.round(tmean + diurnal / 2, 2)
    return pd.DataFrame(
        {"tmin_c": tmin, "tmax_c": tmax, "tmean_c": np.round((tmin + tmax) / 2, 2)},
        index=TIMELINE,
    )


@dataclass(frozen=True)
class Anomaly:
    region_code: str
    day: pd.Timestamp
    energy: str  # "gas" or "electricity"
    kind: str  # "spike", "drop" or "flat"
    factor: float


def anomaly_years(seed: int, region_code: str) -> frozenset[int]:
    """Residues ``year % 7`` of the years with an anomaly: 3 to 6 in any 7 consecutive years."""
    rng = rng_for(seed, STREAM_ANOMALIES, region_key(region_code))
    count = int(rng.integers(ANOMALIES_PER_7_YEARS[0], ANOMALIES_PER_7_YEARS[1] + 1))
    return frozenset(int(r) for r in rng.permutation(7)[:count])


def anomalies_for(seed: int, region_code: str, years: range) -> list[Anomaly]:
    """Injected anomalies of a region (one in each selected year), drawn per calendar year."""
    has_gas = region_code in GAS_NETWORKS
    selected = anomaly_years(seed, region_code)
    out: list[Anomaly] = []
    for year in years:
        if year % 7 not in selected:
            continue
        rng = rng_for(seed, STREAM_ANOMALIES, region_key(region_code), year)
        n_days = 366 if pd.Timestamp(year=year, month=12, day=31).day_of_year == 366 else 365
        offset = int(rng.integers(7, n_days - 7))  # away from the year boundaries
        energy = "gas" if has_gas and rng.random() < 0.7 else "electricity"
        kind = str(rng.choice(ANOMALY_KINDS))
        if kind == "spike":
            factor = round(float(rng.uniform(1.4, 1.8)), 2)
        elif kind == "drop":
            factor = round(float(rng.uniform(0.3, 0.6)), 2)
        else:
            factor = 1.0
        day = pd.Timestamp(year=year, month=1, day=1) + pd.Timedelta(days=offset)
        out.append(Anomaly(region_code, day, energy, kind, factor))
    return out


def _sobriety(days: pd.DatetimeIndex, depth: float) -> np.ndarray:
    progress = (days - SOBRIETY_START).days.to_numpy() / SOBRIETY_RAMP_DAYS
    return 1.0 - depth * np.clip(progress, 0.0, 1.0)


def _calendar_factors(
    days: pd.DatetimeIndex, holidays: set[pd.Timestamp], weekday: tuple[float, ...], holiday: float
) -> np.ndarray:
    factors = np.asarray(weekday)[days.day_of_week.to_numpy()]
    is_holiday = np.fromiter((d in holidays for d in days), dtype=bool, count=len(days))
    return np.where(is_holiday, factors * holiday, factors)


def daily_model(
    seed: int,
    region_code: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    holidays: set[pd.Timestamp],
    strike_intensity: pd.Series,
    anomalies: list[Anomaly],
) -> pd.DataFrame:
    """Daily weather and consumption of one region for ``start..end``.

    Columns: ``tmin_c, tmax_c, tmean_c, heating_degree_days, winter_weight,
    electricity_mwh, electricity_flat`` and, per gas operator ``op``,
    ``gas_distribution_mwh|op`` and ``gas_gross_mwh|op`` (distribution + industry),
    plus ``gas_flat``. Values of a day depend only on the seed, the region and the day.
    """
    temps = temperature_timeline(seed, region_code)
    # buildings react to the last two days: smoothed temperature over the whole timeline
    smoothed = temps["tmean_c"].ewm(alpha=0.7, adjust=False).mean().to_numpy()
    window = timeline_slice(start, end)
    days = TIMELINE[window]
    frame = temps.iloc[window].copy()
    t_eff = smoothed[window]
    hdd = np.clip(HEATING_BASE_C - t_eff, 0.0, None)
    cdd = np.clip(t_eff - COOLING_BASE_C, 0.0, None)
    frame["heating_degree_days"] = np.round(np.clip(HEATING_BASE_C - frame["tmean_c"], 0, None), 2)
    frame["winter_weight"] = np.clip(hdd / 12.0, 0.0, 1.0)
    strikes = strike_intensity.reindex(days, fill_value=0.0).to_numpy()
    august = np.where(days.month == 8, 1.0, 0.0)
    key = region_key(region_code)

    gas_factor = np.ones(len(days))
    elec_factor = np.ones(len(days))
    gas_flat = np.zeros(len(days), dtype=bool)
    elec_flat = np.zeros(len(days), dtype=bool)
    for anomaly in anomalies:
        if not start <= anomaly.day <= end:
            continue
        pos = (anomaly.day - start).days
        if anomaly.energy == "gas":
            gas_factor[pos] = anomaly.factor
            gas_flat[pos] = anomaly.kind == "flat"
        else:
            elec_factor[pos] = anomaly.factor
            elec_flat[pos] = anomaly.kind == "flat"
    frame["gas_flat"] = gas_flat
    frame["electricity_flat"] = elec_flat

    # electricity: calibrated so that 2019 averages the regional mean
    elec_shape = _electricity_shape(seed, region_code)
    level = ELECTRICITY_MEAN_MWH[region_code] / elec_shape
    elec_cal = _calendar_factors(days, holidays, (1, 1, 1, 1, 0.99, 0.92, 0.86), 0.87)
    elec_noise = rng_for(seed, STREAM_ELEC_NOISE, key).standard_normal(len(TIMELINE))[window]
    frame["electricity_mwh"] = (
        level
        * (0.80 + 0.024 * hdd + 0.012 * cdd)
        * elec_cal
        * (1 - 0.07 * august)
        * (1 - 0.04 * strikes)
        * _sobriety(days, 0.05)
        * np.exp(0.02 * elec_noise)
        * elec_factor
    )

    grd_cal = _calendar_factors(days, holidays, (1, 1, 1, 1, 1, 0.98, 0.96), 0.96)
    ind_cal = _calendar_factors(days, holidays, (1, 1, 1, 1, 0.98, 0.85, 0.78), 0.8)
    for i, (operator, network) in enumerate(sorted(GAS_NETWORKS.get(region_code, {}).items())):
        noise = rng_for(seed, STREAM_GAS_NOISE, key, i).standard_normal((2, len(TIMELINE)))
        grd = (
            (network.distribution_base_mwh + network.distribution_slope_mwh * hdd)
            * grd_cal
            * _sobriety(days, 0.12)
            * np.exp(0.035 * noise[0, window])
            * gas_factor
        )
        industry = (
            network.industry_mwh
            * ind_cal
            * (1 - 0.1 * august)
            * (1 - 0.03 * strikes)
            * _sobriety(days, 0.15)
            * np.exp(0.04 * noise[1, window])
            * gas_factor
        )
        frame[f"gas_distribution_mwh|{operator}"] = grd
        frame[f"gas_gross_mwh|{operator}"] = grd + industry
    return frame


@lru_cache(maxsize=32)
def _electricity_shape(seed: int, region_code: str) -> float:
    """Mean of the unscaled electricity factor over 2019 (weekday/holiday effects ignored)."""
    temps = temperature_timeline(seed, region_code)
    smoothed = temps["tmean_c"].ewm(alpha=0.7, adjust=False).mean()
    year = smoothed.loc["2019-01-01":"2019-12-31"].to_numpy()
    hdd = np.clip(HEATING_BASE_C - year, 0.0, None)
    cdd = np.clip(year - COOLING_BASE_C, 0.0, None)
    return float(np.mean(0.80 + 0.024 * hdd + 0.012 * cdd) * 0.955)


def region_name(region_code: str) -> str:
    return REGION_BY_CODE[region_code].name
