"""Features and explanations for the detection of abnormal consumption days.

Per region, day and energy (``gas``, ``electricity``; detection is retrospective, so windows
are centred on the day):

- ``daily_total_ratio_<energy>``: the day's consumption over the median of the surrounding
  ``window_days`` days of the region (spikes > 1, drops < 1);
- ``temperature_residual_<energy>``: absolute robust z-score of the residual of a per-region model of log
  consumption on heating degree days (non-linear basis, with the day before's) and the weekend
  flag, minus its centred rolling median (demand the weather and the calendar do not explain);
- ``hourly_profile_distance_gas``: L1 distance between the day's normalized hourly gas profile
  (``gas_hXX_share``) and the median profile of the surrounding days, as an absolute robust
  z-score within the region (0 where no hourly data exists).

Missing values (an energy absent in a region) get the neutral value (ratio 1, z-score 0).
Absolute z-scores give the IsolationForest one tail to isolate instead of two.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from data_collection_kedro.domain.contracts import GAS_HOUR_SHARE_COLUMNS
from data_collection_kedro.domain.features import calendar_fields
from data_collection_kedro.modeling.features import KEY, require_columns

ENERGY_COLUMNS = {"gas": "gas_consumption_mwh", "electricity": "electricity_consumption_mwh"}
NEUTRAL = {"daily_total_ratio": 1.0, "temperature_residual": 0.0, "hourly_profile_distance": 0.0}


def available_features(energies: list[str]) -> list[str]:
    """Every feature name :func:`anomaly_features` computes for ``energies``."""
    names = [
        f"{base}_{energy}"
        for energy in energies
        for base in ("daily_total_ratio", "temperature_residual")
    ]
    if "gas" in energies:
        names.append("hourly_profile_distance_gas")
    return names


def _robust_z(values: pd.Series) -> pd.Series:
    median = values.median()
    spread = float((values - median).abs().median()) * 1.4826
    if not spread or not np.isfinite(spread):
        spread = float(values.std()) or 1.0
    return (values - median) / spread


def _temperature_residual(group: pd.DataFrame, column: str, window_days: int) -> pd.Series:
    """Robust z-score of log consumption minus a per-region weather and calendar model.

    The model is linear in a non-linear basis of heating degree days (the day's and the day
    before's: buildings react with inertia) plus the weekend flag; the centred rolling median of
    the residual is removed so that slow level changes (sobriety, new customers) are not flagged.
    """
    hdd = group["heating_degree_days"].astype(float)
    data = pd.DataFrame(
        {
            "y": np.log(group[column].where(group[column] > 0)),
            "hdd": hdd,
            "sqrt_hdd": np.sqrt(hdd.clip(lower=0)),
            "hdd_capped": hdd.clip(upper=3.0),
            "hdd_lag_1": hdd.shift(1),
            "weekend": group["is_weekend"].astype(float),
            "public_holiday": group["is_public_holiday"].astype(float),
        },
        index=group.index,
    ).dropna()
    residual = pd.Series(np.nan, index=group.index)
    if len(data) < 30:
        return residual
    design = np.column_stack([np.ones(len(data)), data.drop(columns="y").to_numpy(dtype=float)])
    coef, *_ = np.linalg.lstsq(design, data["y"].to_numpy(dtype=float), rcond=None)
    raw = pd.Series(data["y"].to_numpy() - design @ coef, index=data.index)
    drift = raw.rolling(f"{window_days}D", center=True, min_periods=7).median()
    residual.loc[data.index] = _robust_z(raw - drift).abs()
    return residual


def anomaly_features(
    meteo_consommation: pd.DataFrame,
    consommation_mouvements: pd.DataFrame,
    energies: list[str],
    window_days: int = 29,
) -> pd.DataFrame:
    """``region_code, region, day`` + :func:`available_features`, one row per region-day."""
    unknown = sorted(set(energies) - set(ENERGY_COLUMNS))
    if unknown:
        raise ValueError(f"unknown energies {unknown}; expected some of {list(ENERGY_COLUMNS)}")
    targets = [ENERGY_COLUMNS[e] for e in energies]
    require_columns(
        meteo_consommation, [*KEY, "region", "heating_degree_days", *targets], "meteo_consommation"
    )
    frame = meteo_consommation.copy()
    frame["day"] = pd.to_datetime(frame["day"])
    frame["region_code"] = frame["region_code"].astype(str)
    frame["is_weekend"] = calendar_fields(frame["day"])["is_weekend"]
    require_columns(consommation_mouvements, [*KEY, "is_public_holiday"], "consommation_mouvements")
    holidays = consommation_mouvements[[*KEY, "is_public_holiday"]].copy()
    holidays["day"] = pd.to_datetime(holidays["day"])
    holidays["region_code"] = holidays["region_code"].astype(str)
    frame = frame.merge(holidays.drop_duplicates(KEY), on=KEY, how="left")
    frame["is_public_holiday"] = (
        frame["is_public_holiday"].astype(object).fillna(False).astype(bool).astype(float)
    )
    shares = [c for c in GAS_HOUR_SHARE_COLUMNS if c in frame.columns]
    for column in [*targets, "heating_degree_days", *shares]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame = frame[frame[targets].notna().any(axis=1)]
    # one BLAS thread: the per-region least squares are small (a few thousand rows x 7), and
    # the threads of a multi-threaded BLAS cost more to start and synchronise than they save
    # (tens of milliseconds a fit on a busy machine, under one on a single thread)
    with threadpool_limits(limits=1, user_api="blas"):
        parts = [
            _region_features(group, energies, targets, shares, window_days)
            for _, group in frame.groupby("region_code", sort=True)
        ]
    out = pd.concat(parts, ignore_index=True)
    names = available_features(energies)
    for name in names:
        out[name] = (
            out[name].replace([np.inf, -np.inf], np.nan).fillna(NEUTRAL[name.rsplit("_", 1)[0]])
        )
    return out[["region_code", "region", "day", *names]].reset_index(drop=True)


def _region_features(
    group: pd.DataFrame,
    energies: list[str],
    targets: list[str],
    shares: list[str],
    window_days: int,
) -> pd.DataFrame:
    """The features of one region's days (:func:`anomaly_features`)."""
    group = group.sort_values("day").drop_duplicates("day").set_index("day", drop=False)
    for energy, column in zip(energies, targets, strict=True):
        median = group[column].rolling(f"{window_days}D", center=True, min_periods=7).median()
        group[f"daily_total_ratio_{energy}"] = group[column] / median
        group[f"temperature_residual_{energy}"] = _temperature_residual(group, column, window_days)
    if "gas" in energies:
        distance = pd.Series(np.nan, index=group.index)
        if shares:
            profile = group[shares]  # numeric already (anomaly_features)
            reference = profile.rolling(f"{window_days}D", center=True, min_periods=7).median()
            distance = (profile - reference).abs().sum(axis=1, min_count=len(shares))
            if distance.notna().any():
                distance = _robust_z(distance).abs()
        group["hourly_profile_distance_gas"] = distance
    return group.reset_index(drop=True)


def top_feature(features: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Per row, the feature farthest from its median in robust standard deviations."""
    z = features[columns].astype(float).apply(_robust_z).abs().fillna(0.0)
    return z.idxmax(axis=1).astype(str)
