"""Regional consumption profiles and cluster selection helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd

WEEKLY_COLUMNS = [f"weekday_{d}_share" for d in range(7)]
YEARLY_COLUMNS = [f"month_{m:02d}_share" for m in range(1, 13)]
PROFILE_COLUMNS = [*WEEKLY_COLUMNS, *YEARLY_COLUMNS]


def target_rows(meteo_consommation: pd.DataFrame, target: str) -> pd.DataFrame:
    """The index rows the profiles are computed from: ``region_code, region, day`` and
    ``target``, where ``target`` has a value."""
    rows = meteo_consommation[["region_code", "region", "day", target]]
    return rows[rows[target].notna()]


def region_profiles(meteo_consommation: pd.DataFrame, target: str) -> pd.DataFrame:
    """One row per region: normalized weekly and yearly shape of ``target`` (from
    :func:`target_rows`, or any frame holding them).

    ``weekday_<d>_share``: mean consumption of weekday ``d`` (0 = Monday) over the mean of all
    weekdays; ``month_<mm>_share``: mean consumption of the month over the mean of all months.
    Both are scale-free, so regions of any size compare by shape only.
    """
    frame = meteo_consommation[["region_code", "region", "day", target]].copy()
    frame["day"] = pd.to_datetime(frame["day"])
    frame["value"] = pd.to_numeric(frame[target], errors="coerce").astype(float)
    frame = frame.dropna(subset=["value"])
    frame["region_code"] = frame["region_code"].astype(str)
    rows = []
    for region_code, group in frame.groupby("region_code", sort=True):
        weekly = group.groupby(group["day"].dt.day_of_week)["value"].mean().reindex(range(7))
        monthly = group.groupby(group["day"].dt.month)["value"].mean().reindex(range(1, 13))
        if weekly.isna().any() or monthly.isna().any():
            continue  # less than a full year: no yearly shape
        row = {"region_code": region_code, "region": str(group["region"].iloc[0])}
        row.update(zip(WEEKLY_COLUMNS, (weekly / weekly.mean()).to_numpy(), strict=True))
        row.update(zip(YEARLY_COLUMNS, (monthly / monthly.mean()).to_numpy(), strict=True))
        rows.append(row)
    return pd.DataFrame(rows, columns=["region_code", "region", *PROFILE_COLUMNS])


def knee_of_k_distance(distances: np.ndarray) -> float:
    """The knee of a k-distance curve: the sorted distance farthest from the chord joining the
    curve's first and last points (the DBSCAN ``eps`` heuristic)."""
    curve = np.sort(np.asarray(distances, dtype=float))
    if len(curve) < 3 or curve[-1] == curve[0]:
        return float(curve[-1]) if len(curve) else 0.0
    x = np.linspace(0.0, 1.0, len(curve))
    y = (curve - curve[0]) / (curve[-1] - curve[0])
    gap = np.abs(x - y)  # distance to the chord y = x, up to a constant factor
    return float(curve[int(np.argmax(gap))])
