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

A window is ``window_days`` calendar days (odd: centred on the day), so a missing day narrows
it; the medians are computed with numpy on the region's consecutive days
(:func:`centred_rolling_median`), the same numbers as pandas' time-based rolling median.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

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


def centred_rolling_median(values: np.ndarray, window_days: int, min_periods: int) -> np.ndarray:
    """The median of each day's centred ``window_days``-day window, per column of ``values``.

    ``values`` (days x columns, or days) holds consecutive days (a missing day is a NaN row).
    NaN values are ignored; a window with fewer than ``min_periods`` values gives NaN. The same
    numbers as pandas' time-based ``rolling(f"{window_days}D", center=True,
    min_periods=min_periods).median()`` over the days that have a value (the even-count median
    is the mean of the two middle values in both), without its per-column sorted list: one sort
    of every window at once, each column's windows contiguous. ``window_days`` must be odd (a
    centred window of whole days).
    """
    if window_days % 2 != 1:
        raise ValueError(f"window_days must be odd for a centred window, got {window_days}")
    half = window_days // 2
    columns = values.astype(float, copy=False).reshape(len(values), -1).T  # columns x days
    padding = np.full((columns.shape[0], half), np.nan)
    padded = np.ascontiguousarray(np.concatenate([padding, columns, padding], axis=1))
    # the values of each window: a running count of the missing ones
    missed = np.zeros((padded.shape[0], padded.shape[1] + 1), dtype=np.int64)
    np.cumsum(np.isnan(padded), axis=1, out=missed[:, 1:])
    count = window_days - (missed[:, window_days:] - missed[:, :-window_days])
    windows = np.lib.stride_tricks.sliding_window_view(padded, window_days, axis=1)
    ordered = np.sort(windows, axis=-1)  # NaN last
    median = ordered[..., half].copy()  # a full window: its middle value
    partial = count < window_days
    if partial.any():
        rows, kept = ordered[partial], count[partial]
        low = np.take_along_axis(rows, (np.maximum(kept - 1, 0) // 2)[:, None], axis=-1)[:, 0]
        high = np.take_along_axis(rows, np.minimum(kept // 2, 2 * half)[:, None], axis=-1)[:, 0]
        median[partial] = np.where(kept % 2 == 1, low, (low + high) / 2)
    median[count < max(min_periods, 1)] = np.nan
    return median.T.reshape(values.shape)


def _on_days(values: np.ndarray, offsets: np.ndarray, span: int) -> np.ndarray:
    """``values`` of the days at ``offsets`` (days since the first) on consecutive days."""
    grid = np.full((span, *values.shape[1:]), np.nan)
    grid[offsets] = values
    return grid


def _abs_robust_z(values: np.ndarray) -> np.ndarray:
    """``abs(_robust_z(values))`` with numpy (NaN ignored, as pandas' median skips them)."""
    known = values[~np.isnan(values)]
    if len(known):
        median = np.median(known)
        spread = float(np.median(np.abs(known - median))) * 1.4826
        if spread and np.isfinite(spread):
            return np.abs((values - median) / spread)
    return _robust_z(pd.Series(values)).abs().to_numpy()  # no spread: pandas' fallback


def _temperature_residual(
    region: dict[str, np.ndarray], y: np.ndarray, offsets: np.ndarray, window_days: int
) -> np.ndarray:
    """Absolute robust z-score of log consumption ``y`` minus a per-region weather and
    calendar model (NaN where it has no value).

    The model is linear in a non-linear basis of heating degree days (the day's and the
    previous row's: buildings react with inertia) plus the weekend and public holiday flags;
    the centred rolling median of the residual is removed so that slow level changes
    (sobriety, new customers) are not flagged.
    """
    hdd = region["heating_degree_days"]
    columns = [
        y,
        hdd,
        np.sqrt(np.clip(hdd, 0, None)),
        np.minimum(hdd, 3.0),
        np.concatenate([[np.nan], hdd[:-1]]),
        region["is_weekend"],
        region["is_public_holiday"],
    ]
    kept = ~np.isnan(np.column_stack(columns)).any(axis=1)
    residual = np.full(len(y), np.nan)
    if kept.sum() < 30:
        return residual
    # column by column (Fortran order), the layout the least squares were first computed on:
    # the BLAS product below sums in an order that depends on it (the same bits either way)
    design = np.ones((int(kept.sum()), len(columns)), order="F")
    for position, column in enumerate(columns[1:], start=1):
        design[:, position] = column[kept]
    target = y[kept]
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    raw = target - design @ coef
    span = int(offsets[-1]) + 1
    drift = centred_rolling_median(_on_days(raw, offsets[kept], span), window_days, 7)
    residual[kept] = _abs_robust_z(raw - drift[offsets[kept]])
    return residual


def anomaly_input_rows(
    meteo_consommation: pd.DataFrame,
    consommation_mouvements: pd.DataFrame,
    energies: list[str],
) -> pd.DataFrame:
    """The index rows the features of ``energies`` are computed from, and only what they read:
    ``region_code, day, region, heating_degree_days``, the energies' consumption, the hourly
    gas shares (when the index has them) and ``is_public_holiday`` (1.0 or 0.0; a region-day
    the movements index lacks: 0.0). One row per region-day with a consumption of one of the
    energies, in region then day order. A change in any other column of the indices changes no
    feature."""
    unknown = sorted(set(energies) - set(ENERGY_COLUMNS))
    if unknown:
        raise ValueError(f"unknown energies {unknown}; expected some of {list(ENERGY_COLUMNS)}")
    targets = [ENERGY_COLUMNS[e] for e in energies]
    require_columns(
        meteo_consommation, [*KEY, "region", "heating_degree_days", *targets], "meteo_consommation"
    )
    shares = [c for c in GAS_HOUR_SHARE_COLUMNS if c in meteo_consommation.columns]
    frame = meteo_consommation[[*KEY, "region", "heating_degree_days", *targets, *shares]].copy()
    frame["day"] = pd.to_datetime(frame["day"])
    frame["region_code"] = frame["region_code"].astype(str)
    require_columns(consommation_mouvements, [*KEY, "is_public_holiday"], "consommation_mouvements")
    holidays = consommation_mouvements[[*KEY, "is_public_holiday"]].copy()
    holidays["day"] = pd.to_datetime(holidays["day"])
    holidays["region_code"] = holidays["region_code"].astype(str)
    frame = frame.merge(holidays.drop_duplicates(KEY), on=KEY, how="left")
    frame["is_public_holiday"] = (
        frame["is_public_holiday"].astype(object).fillna(False).astype(bool).astype(float)
    )
    for column in [*targets, "heating_degree_days", *shares]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame = frame[frame[targets].notna().any(axis=1)]
    frame = frame.sort_values(["region_code", "day"], kind="stable")
    return frame.drop_duplicates(KEY).reset_index(drop=True)


def anomaly_features(
    meteo_consommation: pd.DataFrame,
    consommation_mouvements: pd.DataFrame,
    energies: list[str],
    window_days: int = 29,
) -> pd.DataFrame:
    """``region_code, region, day`` + :func:`available_features`, one row per region-day
    (``window_days``: odd)."""
    rows = anomaly_input_rows(meteo_consommation, consommation_mouvements, energies)
    return features_of_rows(rows, energies, window_days)


def features_of_rows(
    input_rows: pd.DataFrame, energies: list[str], window_days: int = 29, threads: int = 1
) -> pd.DataFrame:
    """:func:`anomaly_features` of the rows :func:`anomaly_input_rows` selected.

    The regions are independent (every window and model is a region's own): ``threads``
    regions are computed at once (numpy's sorts, most of the work, release the GIL), each
    writing its own rows, so the features are the same floats whatever the count."""
    if window_days < 1 or window_days % 2 != 1:
        raise ValueError(
            f"anomaly_detection.window_days: expected an odd number of days (a window centred "
            f"on the day), got {window_days}"
        )
    targets = [ENERGY_COLUMNS[e] for e in energies]
    shares = [c for c in GAS_HOUR_SHARE_COLUMNS if c in input_rows.columns]
    frame = input_rows
    days = frame["day"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    codes = frame["region_code"].to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    regions = [
        (int(start), int(stop))
        for start, stop in zip(starts, [*starts[1:], len(frame)], strict=True)
    ]
    numeric = {
        column: frame[column].to_numpy(dtype=float)
        for column in [*targets, "heating_degree_days", "is_public_holiday"]
    }
    numeric["is_weekend"] = calendar_fields(frame["day"])["is_weekend"].to_numpy(dtype=float)
    profile = frame[shares].to_numpy(dtype=float) if shares else None
    names = available_features(energies)
    features = {name: np.full(len(frame), np.nan) for name in names}

    def region_features(bound: tuple[int, int]) -> None:
        start, stop = bound
        rows = slice(start, stop)
        offsets = days[rows] - days[start]
        span = int(offsets[-1]) + 1
        region = {column: values[rows] for column, values in numeric.items()}
        for energy, column in zip(energies, targets, strict=True):
            consumption = region[column]
            median = centred_rolling_median(_on_days(consumption, offsets, span), window_days, 7)
            features[f"daily_total_ratio_{energy}"][rows] = consumption / median[offsets]
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.log(np.where(consumption > 0, consumption, np.nan))
            features[f"temperature_residual_{energy}"][rows] = _temperature_residual(
                region, y, offsets, window_days
            )
        if "gas" in energies and profile is not None:
            features["hourly_profile_distance_gas"][rows] = _profile_distance(
                profile[rows], offsets, span, window_days
            )

    # one BLAS thread: the per-region least squares are small (a few thousand rows x 7), and
    # the threads of a multi-threaded BLAS cost more to start and synchronise than they save
    # (tens of milliseconds a fit on a busy machine, under one on a single thread)
    with threadpool_limits(limits=1, user_api="blas"):
        if threads > 1 and len(regions) > 1:
            with ThreadPoolExecutor(max_workers=min(threads, len(regions))) as pool:
                list(pool.map(region_features, regions))
        else:
            for bound in regions:
                region_features(bound)
    out = frame[["region_code", "region", "day"]].copy()
    for name in names:
        values = features[name]
        values[~np.isfinite(values)] = NEUTRAL[name.rsplit("_", 1)[0]]
        out[name] = values
    return out


def _profile_distance(
    profile: np.ndarray, offsets: np.ndarray, span: int, window_days: int
) -> np.ndarray:
    """Absolute robust z-score (within the region) of the L1 distance of each day's hourly
    shares to the median profile of the surrounding days (NaN where a share is missing)."""
    reference = centred_rolling_median(_on_days(profile, offsets, span), window_days, 7)
    gaps = np.abs(profile - reference[offsets])
    distance = gaps[:, 0].copy()
    for hour in range(1, gaps.shape[1]):  # hour by hour, in order: a NaN share gives NaN
        distance += gaps[:, hour]
    if np.isnan(distance).all():
        return distance
    return _abs_robust_z(distance)


#: rows below which the scoring runs in one call (a thread costs more than it saves)
MIN_ROWS_PER_THREAD = 2_000
#: bits of each column's rank in the key that orders the rows before scoring
ORDER_BITS = 10


def locality_order(values: np.ndarray, bits: int = ORDER_BITS) -> np.ndarray:
    """An order of the rows of ``values`` (rows x columns) along a Z-order curve of their ranks
    in each column: rows next to each other in it are close in every column.

    The ranks (``bits`` bits of each) are interleaved bit by bit, most significant first, into
    one key per row; NaN ranks last in its column. Only the order of each column matters, so
    any increasing transform of a column (a standardization) gives the same order."""
    values = np.asarray(values, dtype=float).reshape(len(values), -1)
    count, columns = values.shape
    if count < 2 or columns == 0:
        return np.arange(count)
    ranks = np.empty(values.shape, dtype=np.uint64)
    for column in range(columns):
        ranks[np.argsort(values[:, column], kind="stable"), column] = np.arange(count)
    levels = (ranks * np.uint64(1 << bits)) // np.uint64(count)  # 0 .. 2**bits - 1
    key = np.zeros(count, dtype=np.uint64)
    for bit in range(bits - 1, -1, -1):
        for column in range(columns):
            key = (key << np.uint64(1)) | ((levels[:, column] >> np.uint64(bit)) & np.uint64(1))
    return np.argsort(key, kind="stable")


def forest_scores(model: Any, data: pd.DataFrame, threads: int = 1) -> np.ndarray:
    """``model.score_samples(data)`` (an IsolationForest or a pipeline ending in one): the same
    floats, in less time.

    A row's score depends on that row only (the depth of its leaf in each tree, summed tree
    by tree in the forest's order), so the rows can be scored in any order and in blocks.
    They are scored along :func:`locality_order` (consecutive rows take mostly the same
    branches of a tree: the processor predicts them, about a third less time on the sample's
    33,000 region-days) in ``threads`` blocks at once (scikit-learn's tree traversal releases
    the GIL), each block one ``score_samples`` call; the scores are put back in the rows'
    order."""
    threads = max(1, min(int(threads), len(data) // MIN_ROWS_PER_THREAD))
    if len(data) < MIN_ROWS_PER_THREAD:
        return np.asarray(model.score_samples(data))
    order = locality_order(data.to_numpy(dtype=float))
    blocks = np.array_split(order, threads)

    def score(rows: np.ndarray) -> np.ndarray:
        return np.asarray(model.score_samples(data.iloc[rows]))

    scores = np.empty(len(data))
    if threads == 1:
        scores[order] = score(order)
        return scores
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for rows, part in zip(blocks, pool.map(score, blocks), strict=True):
            scores[rows] = part
    return scores


def top_feature(features: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Per row, the feature farthest from its median in robust standard deviations."""
    z = features[columns].astype(float).apply(_robust_z).abs().fillna(0.0)
    return z.idxmax(axis=1).astype(str)
