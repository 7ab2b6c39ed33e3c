"""Small index frames in the shape of docs/data-contracts.md §3, for focused unit tests.

Consumption follows heating degree days, a weekly cycle and a level drop in the last year;
a handful of days carry an injected spike or drop (returned as ground truth).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REGIONS = {
    "11": ("Île-de-France", 400.0),
    "53": ("Bretagne", 80.0),
    "84": ("Auvergne-Rhône-Alpes", 300.0),
}


def index_frames(
    start: str = "2021-01-01", end: str = "2023-12-31", seed: int = 3
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end, freq="D")
    meteo, movements, truth = [], [], []
    for code, (name, base) in REGIONS.items():
        doy = days.day_of_year.to_numpy()
        temp = 12 - 8 * np.cos(2 * np.pi * (doy - 15) / 365.25) + rng.normal(0, 2.5, len(days))
        hdd = np.clip(17 - temp, 0, None)
        level = np.where(days.year >= 2023, 0.85, 1.0)
        weekly = np.where(days.day_of_week >= 5, 0.9, 1.0)
        gas = level * weekly * (base + base * 0.12 * hdd) * rng.normal(1, 0.02, len(days))
        shares = rng.dirichlet(np.ones(24) * 50, len(days))
        anomaly_idx = rng.choice(np.arange(30, len(days)), size=6, replace=False)
        factors = rng.choice([0.4, 1.8], size=6)
        gas[anomaly_idx] *= factors
        truth.append(
            pd.DataFrame(
                {
                    "region_code": code,
                    "region": name,
                    "date": days[anomaly_idx].strftime("%Y-%m-%d"),
                    "energy": "gas",
                    "kind": np.where(factors > 1, "spike", "drop"),
                    "factor": factors,
                }
            )
        )
        frame = pd.DataFrame(
            {
                "region_code": code,
                "day": days.date,
                "region": name,
                "gas_consumption_mwh": gas,
                "electricity_consumption_mwh": gas * 1.5,
                "gas_operator_count": 1,
                "gas_status": "Définitif",
                "temp_min_c": temp - 4,
                "temp_max_c": temp + 4,
                "temp_mean_c": temp,
                "heating_degree_days": hdd,
                "is_complete": True,
            }
        )
        for hour in range(24):
            frame[f"gas_h{hour:02d}_share"] = shares[:, hour]
        meteo.append(frame)
        strike = rng.random(len(days)) < 0.05
        movements.append(
            pd.DataFrame(
                {
                    "region_code": code,
                    "day": days.date,
                    "region": name,
                    "gas_consumption_mwh": gas,
                    "electricity_consumption_mwh": gas * 1.5,
                    "strike_active": strike,
                    "strike_count": strike.astype(int),
                    "strike_rate_pct": np.where(strike, 12.0, 0.0),
                    "strike_reason": np.where(strike, "salaires", None),
                    "is_public_holiday": (days.month == 1) & (days.day == 1),
                    "public_holiday_name": None,
                    "is_school_holiday": days.month.isin([7, 8]),
                    "weekday": days.day_of_week,
                    "is_weekend": days.day_of_week >= 5,
                    "month": days.month,
                    "day_of_year": days.day_of_year,
                    "year": days.year,
                }
            )
        )
    return (
        pd.concat(meteo, ignore_index=True),
        pd.concat(movements, ignore_index=True),
        pd.concat(truth, ignore_index=True),
    )


def store_meteo_consommation(data_dir: Path) -> pd.DataFrame:
    """:func:`index_frames`' ``meteo_consommation`` written to the embedded store of
    ``data_dir`` (as the fusion writes it), for the pipelines that read it."""
    from data_collection_kedro.datasets import DuckDBTableDataset

    meteo, _, _ = index_frames()
    DuckDBTableDataset(
        database=str(data_dir / "energiewatch.duckdb"),
        table="meteo_consommation",
        key=["region_code", "day"],
        mode="replace",
    ).save(meteo)
    return meteo
