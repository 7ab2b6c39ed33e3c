"""Writers of the two consumption files (ODRÉ formats) from the daily model."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .csv_io import append_rows, decimals, header_line, write_csv
from .reference import GAS_NETWORKS, GRTGAZ, TEREGA
from .timeline import STREAM_HALF_HOUR_NOISE, TIMEZONE, circular_gauss, region_key, rng_for
from .world import SampleWorld

GAS_MW_GRTGAZ = "Consommation brute gaz (MW PCS 0°C) - GRTgaz"
GAS_MW_TEREGA = "Consommation brute gaz (MW PCS 0°C) - Teréga"
CONSUMPTION_COLUMNS = [
    "Date - Heure",
    "Date",
    "Heure",
    "Code INSEE région",
    "Région",
    GAS_MW_GRTGAZ,
    "Statut - GRTgaz",
    GAS_MW_TEREGA,
    "Statut - Teréga",
    "Consommation brute gaz totale (MW PCS 0°C)",
    "Consommation brute électricité (MW) - RTE",
    "Statut - RTE",
    "Consommation brute totale (MW)",
]
HOUR_LABELS = [f"{h:02d}:00" for h in range(24)]
LOAD_CURVE_COLUMNS = [
    "Date",
    "Opérateur",
    "Secteur d'activité",
    "Région",
    *HOUR_LABELS,
    "Consommation journalière (MWh - PCS 0°C)",
    "Statut",
]
DISTRIBUTION_SECTOR = "GRD/ELD"
GAS_DAY_START_HOUR = 6  # the load curve's "00:00" column is the gas day's first hour (06:00)
GAS_PROVISIONAL_FROM = pd.Timestamp("2024-07-01")
RTE_CONSOLIDATED_FROM = pd.Timestamp("2023-01-01")
RTE_REAL_TIME_FROM = pd.Timestamp("2024-12-01")


def gas_profile(hour: np.ndarray, winter_weight: np.ndarray) -> np.ndarray:
    """Relative gas offtake by local hour: morning and evening heating peaks, night trough."""
    return (
        1.0
        + (0.15 + 0.35 * winter_weight) * circular_gauss(hour, 7.5, 1.8)
        + (0.10 + 0.30 * winter_weight) * circular_gauss(hour, 19.0, 2.2)
        - 0.12 * circular_gauss(hour, 3.5, 2.0)
    )


def electricity_profile(hour: np.ndarray, winter_weight: np.ndarray) -> np.ndarray:
    """Relative electricity load by local hour: morning ramp, midday plateau, evening peak."""
    return (
        0.78
        + 0.25 * circular_gauss(hour, 9.5, 2.5)
        + 0.20 * circular_gauss(hour, 13.0, 3.0)
        + (0.18 + 0.12 * winter_weight) * circular_gauss(hour, 19.5, 1.8)
        + 0.08 * circular_gauss(hour, 23.5, 1.2)
    )


@lru_cache(maxsize=16)
def _year_slots(year: int) -> pd.DataFrame:
    """Every local half-hour of a year (46 rows on the spring DST day, 50 in autumn)."""
    local = pd.date_range(
        pd.Timestamp(year=year, month=1, day=1, tz=TIMEZONE),
        pd.Timestamp(year=year + 1, month=1, day=1, tz=TIMEZONE),
        freq="30min",
        inclusive="left",
    )
    naive = local.tz_localize(None)
    offset_h = ((naive - local.tz_convert("UTC").tz_localize(None)) / pd.Timedelta(hours=1)).astype(
        int
    )
    offset = np.where(offset_h.to_numpy() == 2, "+02:00", "+01:00")
    stamp = naive.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "datetime": stamp + offset.astype(object),
            "date": naive.strftime("%d/%m/%Y"),
            "time": naive.strftime("%H:%M"),
            "day": naive.normalize(),
            "hour": (naive.hour + naive.minute / 60).to_numpy(dtype=float),
            "full_hour": (naive.minute == 0),
        }
    )


def _status(days: pd.Series, recent_from: pd.Timestamp, old: str, recent: str) -> np.ndarray:
    return np.where(days >= recent_from, recent, old)


def _shares(day_pos: np.ndarray, weights: np.ndarray, n_days: int) -> np.ndarray:
    totals = np.bincount(day_pos, weights=weights, minlength=n_days)
    return weights / totals[day_pos]


def consumption_rows(seed: int, region_code: str, region: str, daily: pd.DataFrame) -> pd.DataFrame:
    """Half-hourly rows of one region in the ``consommation-quotidienne-brute-regionale`` format."""
    start, end = daily.index[0], daily.index[-1]
    chunks = []
    for year in range(start.year, end.year + 1):
        slots = _year_slots(year)
        noise = rng_for(seed, STREAM_HALF_HOUR_NOISE, region_key(region_code), year)
        noise_all = noise.standard_normal(len(slots))
        keep = ((slots["day"] >= start) & (slots["day"] <= end)).to_numpy()
        chunks.append((slots[keep], noise_all[keep]))
    slots = pd.concat([c[0] for c in chunks], ignore_index=True)
    hh_noise = np.concatenate([c[1] for c in chunks])
    day_pos = ((slots["day"] - start).dt.days).to_numpy()
    n_days = len(daily)
    hour = slots["hour"].to_numpy()
    winter = daily["winter_weight"].to_numpy()[day_pos]
    full_hour = slots["full_hour"].to_numpy()

    elec_w = electricity_profile(hour, winter) * (1 + 0.01 * hh_noise)
    elec_w = np.where(daily["electricity_flat"].to_numpy()[day_pos], 1.0, elec_w)
    elec_mw = daily["electricity_mwh"].to_numpy()[day_pos] * _shares(day_pos, elec_w, n_days) / 0.5
    elec_mw = np.rint(elec_mw).astype(np.int64)

    out = pd.DataFrame(
        {
            "Date - Heure": slots["datetime"],
            "Date": slots["date"],
            "Heure": slots["time"],
            "Code INSEE région": region_code,
            "Région": region,
        }
    )
    networks = GAS_NETWORKS.get(region_code, {})
    gas_total = np.zeros(len(slots), dtype=np.int64)
    gas_w = gas_profile(hour, winter)
    gas_w = np.where(daily["gas_flat"].to_numpy()[day_pos], 1.0, gas_w)
    gas_w = np.where(full_hour, gas_w, 0.0)
    gas_shares = _shares(day_pos, gas_w, n_days)
    for operator, mw_col, status_col in (
        (GRTGAZ, GAS_MW_GRTGAZ, "Statut - GRTgaz"),
        (TEREGA, GAS_MW_TEREGA, "Statut - Teréga"),
    ):
        if operator in networks:
            mw = np.rint(daily[f"gas_gross_mwh|{operator}"].to_numpy()[day_pos] * gas_shares)
            mw = mw.astype(np.int64)
            gas_total += mw
            status = _status(slots["day"], GAS_PROVISIONAL_FROM, "Définitif", "Meilleur Statut")
            out[mw_col] = pd.array(np.where(full_hour, mw, 0), dtype="Int64")
            out.loc[~full_hour, mw_col] = pd.NA
            out[status_col] = np.where(full_hour, status, "")
        else:
            out[mw_col] = pd.array([pd.NA] * len(slots), dtype="Int64")
            out[status_col] = ""
    if networks:
        out["Consommation brute gaz totale (MW PCS 0°C)"] = pd.array(gas_total, dtype="Int64")
        out.loc[~full_hour, "Consommation brute gaz totale (MW PCS 0°C)"] = pd.NA
    else:
        out["Consommation brute gaz totale (MW PCS 0°C)"] = pd.array(
            [pd.NA] * len(slots), dtype="Int64"
        )
    out["Consommation brute électricité (MW) - RTE"] = elec_mw
    rte_status = np.where(
        slots["day"] >= RTE_REAL_TIME_FROM,
        "Temps réel",
        np.where(slots["day"] >= RTE_CONSOLIDATED_FROM, "Consolidé", "Définitif"),
    )
    out["Statut - RTE"] = rte_status
    out["Consommation brute totale (MW)"] = pd.array(gas_total + elec_mw, dtype="Int64")
    out.loc[~full_hour, "Consommation brute totale (MW)"] = pd.NA
    return out[CONSUMPTION_COLUMNS]


def load_curve_rows(region: str, region_code: str, daily: pd.DataFrame) -> pd.DataFrame:
    """Daily rows (one per operator) of the GRD/ELD gas load curve of one region."""
    networks = GAS_NETWORKS.get(region_code, {})
    if not networks:
        return pd.DataFrame(columns=LOAD_CURVE_COLUMNS)
    local_hour = (np.arange(24) + GAS_DAY_START_HOUR) % 24
    winter = daily["winter_weight"].to_numpy()[:, None]
    weights = gas_profile(local_hour[None, :].astype(float), winter)
    weights = np.where(daily["gas_flat"].to_numpy()[:, None], 1.0, weights)
    shares = weights / weights.sum(axis=1, keepdims=True)
    dates = pd.DatetimeIndex(daily.index).strftime("%Y-%m-%d")
    status = _status(daily.index.to_series(), GAS_PROVISIONAL_FROM, "Définitif", "Meilleur Statut")
    frames = []
    for operator in sorted(networks):
        hourly = np.round(daily[f"gas_distribution_mwh|{operator}"].to_numpy()[:, None] * shares, 3)
        frame = pd.DataFrame({h: decimals(hourly[:, i], 3) for i, h in enumerate(HOUR_LABELS)})
        frame.insert(0, "Date", dates)
        frame.insert(1, "Opérateur", operator)
        frame.insert(2, "Secteur d'activité", DISTRIBUTION_SECTOR)
        frame.insert(3, "Région", region.lower())
        frame["Consommation journalière (MWh - PCS 0°C)"] = decimals(hourly.sum(axis=1), 3)
        frame["Statut"] = status
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def write_consumption(out_dir: Path, world: SampleWorld, file: str) -> dict[str, int]:
    """The half-hourly regional consumption file, one region after the other."""
    rows_written = 0
    with (out_dir / file).open("wb") as fh:
        fh.write(header_line(CONSUMPTION_COLUMNS, bom=True))
        for code in world.codes:
            rows = consumption_rows(world.seed, code, world.names[code], world.dailies[code])
            append_rows(fh, rows)
            rows_written += len(rows)
    return {file: rows_written}


def write_load_curve(out_dir: Path, world: SampleWorld, file: str) -> dict[str, int]:
    """The daily gas load curve of the regions with a distribution network."""
    curves = [load_curve_rows(world.names[c], c, world.dailies[c]) for c in world.codes]
    non_empty = [c for c in curves if len(c)]
    curve = (
        pd.concat(non_empty, ignore_index=True)
        if non_empty
        else pd.DataFrame(columns=LOAD_CURVE_COLUMNS)
    )
    curve = curve.sort_values(["Date", "Région", "Opérateur"], kind="stable")
    return {file: write_csv(out_dir / file, curve, bom=True)}
