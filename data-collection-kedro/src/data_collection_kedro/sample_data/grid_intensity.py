"""Writer of RTE's eco2mix national real-time file (``eco2mix-national-tr.csv``).

The last :data:`GRID_DAYS` days of the sample, every quarter-hour (Paris time), in the ODRÉ
export's format: its 37 columns, ``;``-separated, UTF-8 without BOM, rows in the export's
unsorted order, the commercial exchanges published on the half-hours only. The carbon
intensity (``Taux de CO2 (g/kWh)``) follows the French grid's shape: low in summer and at
midday (solar), high on winter evenings (gas peakers), 10 to 120 g/kWh.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .csv_io import write_csv
from .timeline import EPOCH, STREAM_GRID, TIMEZONE, circular_gauss, rng_for
from .world import SampleWorld

GRID_DAYS = 35
ORDER_KEY = 10**6  # random-stream key of the row order (day keys are days since EPOCH)
GAS_G_PER_KWH = 400.0  # direct emissions of the gas fleet, g CO2 per kWh produced
ECO2MIX_COLUMNS = [
    "Périmètre", "Nature", "Date", "Heure", "Date - Heure", "Consommation (MW)",
    "Prévision J-1 (MW)", "Prévision J (MW)", "Fioul (MW)", "Charbon (MW)", "Gaz (MW)",
    "Nucléaire (MW)", "Eolien (MW)", "Solaire (MW)", "Hydraulique (MW)", "Pompage (MW)",
    "Bioénergies (MW)", "Ech. physiques (MW)", "Taux de CO2 (g/kWh)",
    "Ech. comm. Angleterre (MW)", "Ech. comm. Espagne (MW)", "Ech. comm. Italie (MW)",
    "Ech. comm. Suisse (MW)", "Ech. comm. Allemagne-Belgique (MW)", "Fioul - TAC (MW)",
    "Fioul - Cogénération (MW)", "Fioul - Autres (MW)", "Gaz - TAC (MW)",
    "Gaz - Cogénération (MW)", "Gaz - CCG (MW)", "Gaz - Autres (MW)",
    "Hydraulique - Fil de l'eau + éclusée (MW)", "Hydraulique - Lacs (MW)",
    "Hydraulique - STEP turbinage (MW)", "Bioénergies - Déchets (MW)",
    "Bioénergies - Biomasse (MW)", "Bioénergies - Biogaz (MW)",
]  # fmt: skip
EXCHANGES = ECO2MIX_COLUMNS[19:24]


def quarter_hours(first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    """Every Paris quarter-hour of the days ``first..last`` (92 or 100 on DST days)."""
    return pd.date_range(
        first.tz_localize(TIMEZONE),
        (last + pd.Timedelta(days=1)).tz_localize(TIMEZONE),
        freq="15min",
        inclusive="left",
    )


def _day_draws(seed: int, local: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """The random parts of every quarter-hour, drawn per day (a day's values depend only on
    the seed and the day, not on the range written)."""
    days = (local.tz_localize(None).normalize() - EPOCH).days.to_numpy()
    names = ("noise", "wind", "pumping", "forecast_d1", "forecast_d0", *EXCHANGES)
    draws = {name: np.empty(len(local)) for name in names}
    for day in np.unique(days):
        where = days == day
        n = int(where.sum())
        rng = rng_for(seed, STREAM_GRID, int(day))
        draws["noise"][where] = rng.normal(0.0, 6.0) + rng.normal(0.0, 2.0, n)  # windy day
        draws["wind"][where] = rng.uniform(2_000.0, 14_000.0, n)
        draws["pumping"][where] = -rng.uniform(0.0, 1_500.0, n)
        draws["forecast_d1"][where] = rng.normal(0.0, 0.012, n)
        draws["forecast_d0"][where] = rng.normal(0.0, 0.006, n)
        for name in EXCHANGES:
            draws[name][where] = rng.normal(0.0, 2_000.0, n)
    return draws


def intensity_model(
    local: pd.DatetimeIndex, noise: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(consumption MW, intensity g/kWh, winter weight) of each quarter-hour."""
    hour = (local.hour + local.minute / 60.0).to_numpy(dtype=float)
    day_of_year = local.day_of_year.to_numpy(dtype=float)
    winter = 0.5 * (1.0 + np.cos(2.0 * np.pi * (day_of_year - 15.0) / 365.25))
    consumption = (45_000.0 + 25_000.0 * winter) * (
        0.85
        + 0.12 * circular_gauss(hour, 9.5, 2.5)
        + 0.10 * circular_gauss(hour, 13.0, 3.0)
        + (0.10 + 0.08 * winter) * circular_gauss(hour, 19.5, 1.8)
    )
    intensity = (
        14.0
        + 48.0 * winter
        + (8.0 + 14.0 * winter) * circular_gauss(hour, 19.5, 2.0)
        + 6.0 * circular_gauss(hour, 8.5, 1.5)
        - 9.0 * (1.0 - winter) * circular_gauss(hour, 13.5, 2.5)
        + noise
    )
    return consumption, np.clip(np.round(intensity), 8.0, 150.0), winter


def write_eco2mix_national(out_dir: Path, world: SampleWorld, file: str) -> dict[str, int]:
    first = max(world.first, world.last - pd.Timedelta(days=GRID_DAYS - 1))
    local = quarter_hours(first, world.last)
    draws = _day_draws(world.seed, local)
    consumption, intensity, winter = intensity_model(local, draws["noise"])
    hour = (local.hour + local.minute / 60.0).to_numpy(dtype=float)
    n = len(local)
    gas = consumption * np.clip(intensity - 6.0, 0.0, None) / GAS_G_PER_KWH
    solar = (2_000.0 + 9_000.0 * (1.0 - winter)) * circular_gauss(hour, 13.5, 2.6)
    wind = draws["wind"]
    nuclear = 0.66 * consumption
    bio = np.full(n, 900.0)
    oil, coal = np.full(n, 180.0), np.full(n, 30.0)
    hydro = np.clip(consumption - nuclear - gas - solar - wind - bio - oil - coal, 1_500.0, None)
    production = oil + coal + gas + nuclear + wind + solar + hydro + bio
    columns: dict[str, object] = {
        "Périmètre": "France",
        "Nature": "Données temps réel",
        "Date": local.strftime("%Y-%m-%d"),
        "Heure": local.strftime("%H:%M"),
        "Date - Heure": [_iso(t) for t in local],
    }
    mw = {
        "Consommation (MW)": consumption,
        "Prévision J-1 (MW)": consumption * (1 + draws["forecast_d1"]),
        "Prévision J (MW)": consumption * (1 + draws["forecast_d0"]),
        "Fioul (MW)": oil,
        "Charbon (MW)": coal,
        "Gaz (MW)": gas,
        "Nucléaire (MW)": nuclear,
        "Eolien (MW)": wind,
        "Solaire (MW)": solar,
        "Hydraulique (MW)": hydro,
        "Pompage (MW)": draws["pumping"],
        "Bioénergies (MW)": bio,
        "Ech. physiques (MW)": consumption - production,
    }
    columns.update({name: _mw(values) for name, values in mw.items()})
    columns["Taux de CO2 (g/kWh)"] = _mw(intensity)
    on_half_hour = local.minute % 30 == 0
    for name in EXCHANGES:
        values = _mw(draws[name])
        columns[name] = np.where(on_half_hour, values, "")
    split = {
        "Fioul - TAC (MW)": oil * 0.01, "Fioul - Cogénération (MW)": oil * 0.2,
        "Fioul - Autres (MW)": oil * 0.79, "Gaz - TAC (MW)": gas * 0.02,
        "Gaz - Cogénération (MW)": gas * 0.35, "Gaz - CCG (MW)": gas * 0.62,
        "Gaz - Autres (MW)": gas * 0.01, "Hydraulique - Fil de l'eau + éclusée (MW)": hydro * 0.6,
        "Hydraulique - Lacs (MW)": hydro * 0.3, "Hydraulique - STEP turbinage (MW)": hydro * 0.1,
        "Bioénergies - Déchets (MW)": bio * 0.25, "Bioénergies - Biomasse (MW)": bio * 0.4,
        "Bioénergies - Biogaz (MW)": bio * 0.35,
    }  # fmt: skip
    columns.update({name: _mw(values) for name, values in split.items()})
    frame = pd.DataFrame(columns, columns=ECO2MIX_COLUMNS)
    order = rng_for(world.seed, STREAM_GRID, ORDER_KEY).permutation(n)
    frame = frame.iloc[order]  # the export's rows are not sorted
    return {file: write_csv(out_dir / file, frame)}


def _iso(stamp: pd.Timestamp) -> str:
    """``2021-12-11T10:00:00+01:00`` (ISO 8601 with the Paris offset, as ODRÉ exports it)."""
    return stamp.isoformat()


def _mw(values: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float)).astype(int).astype(str)
