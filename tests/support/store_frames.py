"""Frames shared by the store dataset tests."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def make_prices(n: int = 10, start: int = 0) -> pd.DataFrame:
    """A ``raw_fuel_prices``-like frame: compound key, every dtype, nullable values."""
    i = np.arange(start, start + n)
    return pd.DataFrame(
        {
            "station_id": [f"{75000100 + k % 4}" for k in i],
            "fuel": ["Gazole" if k % 2 else "SP95" for k in i],
            "updated_at": pd.Timestamp("2024-03-31 01:00") + pd.to_timedelta(i, unit="h"),
            "day": [dt.date(2024, 3, 31) + dt.timedelta(days=int(k) // 24) for k in i],
            "price_eur_l": pd.Series(1.7 + i / 1000.0, dtype="float64"),
            "fuel_id": pd.array([int(k % 6) + 1 for k in i], dtype="Int64"),
            "is_open": pd.array([bool(k % 3) for k in i], dtype="boolean"),
            "ingested_utc": pd.Timestamp("2024-04-01T12:00:00Z") + pd.to_timedelta(i, unit="s"),
            "city": pd.Series([f"Paris {k}" for k in i], dtype="str"),
        }
    )
