"""Writers of the weather files: Météo-France regional temperatures and historique-meteo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from data_collection_kedro.domain.regions import region_code_for

from .csv_io import write_csv
from .reference import HISTORIQUE_METEO_OLD_REGIONS
from .timeline import STREAM_WEATHER_EXTRA, rng_for
from .world import SampleWorld

TEMPERATURE_COLUMNS = [
    "ID",
    "Date",
    "Code INSEE région",
    "Région",
    "TMin (°C)",
    "TMax (°C)",
    "TMoy (°C)",
]
HISTORIQUE_COLUMNS = [
    "",
    "TempMax_Deg",
    "TempMin_Deg",
    "Wind_kmh",
    "Wet_percent",
    "Visibility_km",
    "CloudCoverage_percent",
    "Dayduration_hour",
    "region",
    "day",
]
VISIBILITY_KM = np.array([10.0, 9.875, 9.625, 9.5, 9.375, 8.75, 8.5, 7.625, 6.5, 5.0])
VISIBILITY_P = np.array([0.46, 0.08, 0.07, 0.07, 0.07, 0.06, 0.05, 0.05, 0.05, 0.04])


def _number(values: np.ndarray) -> list[str]:
    """Shortest decimal form, like the source (3.3, 8.76, -0.5, 12)."""
    return [f"{v:.2f}".rstrip("0").rstrip(".") if v != 0 else "0" for v in values]


def temperature_rows(dailies: dict[str, pd.DataFrame], names: dict[str, str]) -> pd.DataFrame:
    frames = []
    for code in sorted(dailies):
        daily = dailies[code]
        days = pd.DatetimeIndex(daily.index)
        iso = days.strftime("%Y-%m-%d")
        frames.append(
            pd.DataFrame(
                {
                    "ID": iso + f"T00:00:00-{code}",
                    "Date": days.strftime("%d/%m/%y"),
                    "Code INSEE région": code,
                    "Région": names[code],
                    "TMin (°C)": _number(daily["tmin_c"].to_numpy()),
                    "TMax (°C)": _number(daily["tmax_c"].to_numpy()),
                    "TMoy (°C)": _number(daily["tmean_c"].to_numpy()),
                    "_day": days,
                }
            )
        )
    rows = pd.concat(frames, ignore_index=True).sort_values(["_day", "Code INSEE région"])
    return rows.drop(columns="_day")


def day_length(latitude_deg: float, day_of_year: np.ndarray) -> np.ndarray:
    """Astronomical day length in hours (sunrise to sunset, with refraction)."""
    decl = np.radians(23.44) * np.sin(2 * np.pi * (day_of_year - 81) / 365.0)
    lat = np.radians(latitude_deg)
    cos_h = (np.sin(np.radians(-0.83)) - np.sin(lat) * np.sin(decl)) / (np.cos(lat) * np.cos(decl))
    return 2 * np.degrees(np.arccos(np.clip(cos_h, -1, 1))) / 15.0


def _hms(hours: np.ndarray) -> list[str]:
    minutes = np.rint(hours * 60).astype(int)
    return [f"{m // 60}:{m % 60}:0" for m in minutes]


def historique_rows(seed: int, dailies: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """historique-meteo rows (old regions of the requested new regions)."""
    frames = []
    for index, (slug, latitude) in enumerate(sorted(HISTORIQUE_METEO_OLD_REGIONS.items())):
        code = region_code_for(slug)
        if code not in dailies:
            continue
        daily = dailies[code]
        days = pd.DatetimeIndex(daily.index)
        offset = rng_for(seed, STREAM_WEATHER_EXTRA, index).normal(0.0, 1.0)
        first_year, last_year = days[0].year, days[-1].year
        noises, visibilities = [], []
        for year in range(first_year, last_year + 1):
            n_days = len(pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D"))
            rng = rng_for(seed, STREAM_WEATHER_EXTRA, index, year)
            noises.append(rng.standard_normal((n_days, 4)))
            visibilities.append(rng.choice(VISIBILITY_KM, size=n_days, p=VISIBILITY_P))
        pos = (days - pd.Timestamp(year=first_year, month=1, day=1)).days.to_numpy()
        noise = np.concatenate(noises)[pos]
        visibility = np.concatenate(visibilities)[pos]
        doy = days.day_of_year.to_numpy()
        winter = np.cos(2 * np.pi * (doy - 15) / 365.25)
        tmax = np.rint(daily["tmax_c"].to_numpy() + offset + 1.2 * noise[:, 0]).astype(int)
        tmin = np.rint(daily["tmin_c"].to_numpy() + offset + 1.2 * noise[:, 1]).astype(int)
        tmin = np.minimum(tmin, tmax)
        wind = np.clip(np.rint(12 + 3 * winter + 5 * noise[:, 2]), 2, 70).astype(int)
        wet = np.clip(np.rint(76 + 10 * winter + 9 * noise[:, 3]), 25, 100).astype(int)
        cloud = np.clip(np.rint(45 + 15 * winter + 25 * noise[:, 3] - 10 * noise[:, 0]), 0, 100)
        day_str = days.strftime("%Y/%m/%d")
        frames.append(
            pd.DataFrame(
                {
                    "": slug + "_" + day_str,
                    "TempMax_Deg": tmax,
                    "TempMin_Deg": tmin,
                    "Wind_kmh": wind,
                    "Wet_percent": wet,
                    "Visibility_km": [f"{v:g}" for v in visibility],
                    "CloudCoverage_percent": cloud.astype(int),
                    "Dayduration_hour": _hms(day_length(latitude, doy)),
                    "region": slug,
                    "day": day_str,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=HISTORIQUE_COLUMNS)
    return pd.concat(frames, ignore_index=True).sort_values(["day", "region"], kind="stable")


def write_temperatures(out_dir: Path, world: SampleWorld, file: str) -> dict[str, int]:
    temps = temperature_rows(world.dailies, world.names)
    return {file: write_csv(out_dir / file, temps, bom=True, crlf=True)}


def write_historique(out_dir: Path, world: SampleWorld, file: str) -> dict[str, int]:
    """One file per year, named by its first and last day (``file`` has ``{first}`` and
    ``{last}``) like the real downloads."""
    hist = historique_rows(world.seed, world.dailies)
    counts: dict[str, int] = {}
    year = hist["day"].str[:4]
    for y in sorted(year.unique()):
        part = hist[year == y]
        first = part["day"].min().replace("/", "-")
        last = part["day"].max().replace("/", "-")
        name = file.format(first=first, last=last)
        (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
        counts[name] = write_csv(out_dir / name, part, sep=",")
    return counts
