"""Normalization rules shared by the fusion nodes: one place for each rule.

- regions: :func:`normalize_regions` (every spelling -> canonical INSEE code + official name);
- days: :func:`to_local_day` (Europe/Paris calendar day, DST-safe) and
  :func:`expected_slots_per_day` (46/48/50 half-hours, 23/24/25 hours);
- status values: :func:`map_status`;
- operator and fuel spellings: :func:`map_operator`, :func:`map_fuel`;
- data-quality records: :func:`quality_row` (one row of ``fusion_data_quality``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.domain.contracts import FUSION_DATA_QUALITY
from data_collection_kedro.domain.regions import REGION_BY_CODE, region_codes_for, slugify

PARIS_TZ = "Europe/Paris"

# Status spellings (accents/case-insensitive slugs) -> canonical French value.
_STATUS_BY_SLUG = {
    "definitif": "Définitif",
    "definitive": "Définitif",
    "consolide": "Consolidé",
    "consolidee": "Consolidé",
    "donnees-consolidees": "Consolidé",
    "provisoire": "Provisoire",
    "intermediaire": "Provisoire",
    "meilleur-statut": "Meilleur statut",
    "temps-reel": "Temps réel",
    "donnees-temps-reel": "Temps réel",
}
# From the most final to the least final: a day's status is its least final operator status.
STATUS_ORDER = ("Définitif", "Consolidé", "Provisoire", "Meilleur statut", "Temps réel")

_OPERATOR_BY_SLUG = {
    "grtgaz": "GRTgaz",
    "natran": "GRTgaz",  # GRTgaz was renamed NaTran in 2025
    "terega": "Teréga",
    "tigf": "Teréga",  # Teréga's name until 2018
}

# Spellings -> canonical value, by slug (the raw store's natural keys are built from these)
STATUS_SPELLINGS: dict[str, str] = dict(_STATUS_BY_SLUG)
OPERATOR_SPELLINGS: dict[str, str] = dict(_OPERATOR_BY_SLUG)
SECTOR_SPELLINGS: dict[str, str] = {
    "grd-eld": "GRD/ELD",  # distribution networks (GRD) and local distribution companies (ELD)
    "eld-grd": "GRD/ELD",
}

_FUEL_BY_SLUG = {
    "gazole": "Gazole",
    "diesel": "Gazole",
    "sp95": "SP95",
    "sp98": "SP98",
    "e10": "E10",
    "sp95-e10": "E10",
    "e85": "E85",
    "gplc": "GPLc",
    "gpl": "GPLc",
}


def normalize_regions(
    frame: pd.DataFrame, name_column: str = "region", code_column: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add canonical ``region_code`` and ``region`` (official name) to ``frame``.

    The source's region spelling is kept in ``region_source``. A valid INSEE code in
    ``code_column`` wins over the name; otherwise the name is resolved (accents, case,
    hyphens, historique-meteo slugs, pre-2016 regions). Returns ``(known_rows, unknown_rows)``:
    rows whose region cannot be resolved are returned separately so the caller reports them.
    """
    out = frame.copy()
    names = out[name_column].astype("string")
    codes = names.map(region_codes_for(names.unique()))
    if code_column is not None and code_column in out.columns:
        source_codes = out[code_column].astype("string").str.strip().str.zfill(2)
        valid = source_codes.isin(list(REGION_BY_CODE))
        codes = codes.where(~valid.fillna(False), source_codes)
    out["region_source"] = names
    out["region_code"] = codes.astype("string")
    known = out["region_code"].notna()
    out.loc[known, "region"] = out.loc[known, "region_code"].map(
        {code: r.name for code, r in REGION_BY_CODE.items()}
    )
    return out[known].reset_index(drop=True), out[~known].reset_index(drop=True)


def to_local_day(values: pd.Series) -> pd.Series:
    """Europe/Paris calendar day (naive midnight ``datetime64``) of timestamps or dates.

    Timezone-aware timestamps are converted to Paris time first (naive timestamps are taken as
    UTC); plain dates/strings without a time are taken as calendar days already.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert(PARIS_TZ).dt.tz_localize(None).dt.normalize()
    parsed = pd.to_datetime(values, errors="coerce", format="mixed", dayfirst=False)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return parsed.dt.tz_convert(PARIS_TZ).dt.tz_localize(None).dt.normalize()
    return parsed.dt.normalize().astype("datetime64[ns]")


def utc_to_local_day(values: pd.Series) -> pd.Series:
    """Europe/Paris calendar day of UTC instants (naive values are UTC)."""
    parsed = pd.to_datetime(values, errors="coerce", utc=True)
    return (
        parsed.dt.tz_convert(PARIS_TZ).dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
    )


def calendar_day(values: pd.Series) -> pd.Series:
    """A source calendar day (date, ISO string, ``dd/mm/yyyy``) as naive midnight ``datetime64``."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = values
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_localize(None)
        return parsed.dt.normalize().astype("datetime64[ns]")
    text = values.astype("string").str.strip().str.slice(0, 10)
    iso = pd.to_datetime(text, errors="coerce", format="%Y-%m-%d")
    slashed = pd.to_datetime(text, errors="coerce", format="%Y/%m/%d")
    french = pd.to_datetime(text, errors="coerce", format="%d/%m/%Y")
    short = pd.to_datetime(text.str.slice(0, 8), errors="coerce", format="%d/%m/%y")
    return iso.fillna(slashed).fillna(french).fillna(short).astype("datetime64[ns]")


def hours_in_local_day(days: pd.Series) -> pd.Series:
    """Length in hours (23, 24 or 25) of each Europe/Paris calendar day."""
    unique = pd.DatetimeIndex(days.dropna().unique())
    start = unique.tz_localize(PARIS_TZ)
    end = (unique + pd.Timedelta(days=1)).tz_localize(PARIS_TZ)
    lengths = pd.Series((end - start) / pd.Timedelta(hours=1), index=unique)
    return days.map(lengths)


def expected_slots_per_day(days: pd.Series, slot_minutes: int) -> pd.Series:
    """Expected number of ``slot_minutes`` slots in each local day (48 half-hours, 46/50 on DST)."""
    return (hours_in_local_day(days) * 60 / slot_minutes).round().astype("Int64")


def is_spring_forward_day(days: pd.Series) -> pd.Series:
    """True for the 23-hour Europe/Paris day (last Sunday of March)."""
    return hours_in_local_day(days) == 23


def _map_by_slug(values: pd.Series, table: dict[str, str]) -> pd.Series:
    text = values.astype("string")
    uniques = text.dropna().unique()
    mapping = {value: table.get(slugify(str(value)), str(value).strip()) for value in uniques}
    return text.map(mapping).astype("string")


def map_status(values: pd.Series) -> pd.Series:
    """Canonical status value (``Définitif``, ``Consolidé``, ``Provisoire``, ...); unknown kept."""
    return _map_by_slug(values, _STATUS_BY_SLUG)


def map_operator(values: pd.Series) -> pd.Series:
    """Canonical gas operator (``GRTgaz``, ``Teréga``); unknown spellings kept as written."""
    return _map_by_slug(values, _OPERATOR_BY_SLUG)


def map_fuel(values: pd.Series) -> pd.Series:
    """Canonical fuel (``Gazole``, ``SP95``, ``SP98``, ``E10``, ``E85``, ``GPLc``)."""
    return _map_by_slug(values, _FUEL_BY_SLUG)


def status_ranks(values: pd.Series) -> np.ndarray:
    """Rank of each status (0 = ``Définitif``, the most final, ...; unknown or missing values
    rank after every known one)."""
    order = {status: rank for rank, status in enumerate(STATUS_ORDER)}
    canonical = map_status(values)
    ranks = canonical.map(order).astype("float64").fillna(len(STATUS_ORDER))
    return ranks.to_numpy(dtype=np.int64)


def least_final_status_by(frame: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
    """The least final status of each ``keys`` group (unknown values rank last, NA if none).

    Vectorized: statuses become ranks (``STATUS_ORDER``, then unknown values), the group
    maximum is taken and mapped back to its value. Returns ``keys`` + ``column``.
    """
    values = frame[column].astype("string")
    order = {status: rank for rank, status in enumerate(STATUS_ORDER)}
    unknown = sorted(str(v) for v in values.dropna().unique() if v not in order)
    order.update({status: len(STATUS_ORDER) + i for i, status in enumerate(unknown)})
    ranks = frame[keys].assign(_rank=values.map(order).astype("float64"))
    worst = ranks.groupby(keys, observed=True)["_rank"].max().reset_index()
    by_rank = {float(rank): status for status, rank in order.items()}
    worst[column] = worst["_rank"].map(by_rank).astype("string")
    return worst.drop(columns="_rank")


def range_offsets(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row position, offset 0..length-1) for every element of ranges of ``lengths``."""
    lengths = np.clip(np.asarray(lengths, dtype=np.int64), 0, None)
    positions = np.repeat(np.arange(len(lengths)), lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return positions, offsets


def as_date(values: pd.Series) -> pd.Series:
    """Calendar days as ``datetime.date`` objects: stored as DATE (DuckDB) / ``date`` (ES)."""
    return pd.to_datetime(values).dt.date.astype("object")


def key_strings(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """Readable ``a|b`` keys of ``frame`` rows (days as ``YYYY-MM-DD``), for quality details."""
    if frame.empty:
        return []
    parts = []
    for column in columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            parts.append(values.dt.strftime("%Y-%m-%d").astype("string"))
        else:
            parts.append(values.astype("string"))
    joined = parts[0].fillna("<NA>")
    for part in parts[1:]:
        joined = joined + "|" + part.fillna("<NA>")
    return sorted(joined.tolist())


def quality_row(
    index: str,
    check: str,
    rows_in: int,
    rows_out: int,
    keys: Sequence[str] = (),
    max_keys: int = 200,
    **detail: Any,
) -> dict[str, Any]:
    """One ``fusion_data_quality`` row; ``detail`` is JSON with the first ``max_keys`` keys."""
    payload: dict[str, Any] = dict(detail)
    if keys:
        payload["keys"] = list(keys[:max_keys])
        payload["keys_truncated"] = len(keys) > max_keys
    return {
        "index": index,
        "check": check,
        "rows_in": int(rows_in),
        "rows_out": int(rows_out),
        "unmatched_keys": len(keys),
        "detail": json.dumps(payload, ensure_ascii=False, default=str, sort_keys=True),
    }


def flagged_rows_row(
    index: str,
    check: str,
    frame: pd.DataFrame,
    flagged: pd.Series,
    key_columns: Sequence[str],
    max_keys: int,
    **detail: Any,
) -> dict[str, Any]:
    """Quality row of the ``flagged`` rows of ``frame``: rows_out counts the others and the
    flagged rows' keys are listed."""
    return quality_row(
        index,
        check,
        len(frame),
        int((~flagged).sum()),
        key_strings(frame[flagged], key_columns),
        max_keys,
        **detail,
    )


def unknown_region_row(
    index: str, check: str, rows_in: int, unknown: pd.DataFrame, max_keys: int
) -> dict[str, Any]:
    """Quality row of the rows :func:`normalize_regions` could not resolve (spellings listed)."""
    spellings = sorted(unknown["region_source"].astype("string").fillna("<NA>").unique())
    return quality_row(
        index, check, rows_in, rows_in - len(unknown), spellings, max_keys, rows=len(unknown)
    )


def quality_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """``fusion_data_quality`` rows as a DataFrame with the contract's columns and dtypes."""
    frame = pd.DataFrame(list(rows), columns=FUSION_DATA_QUALITY.column_names)
    return frame.astype(
        {
            "index": "string",
            "check": "string",
            "rows_in": "int64",
            "rows_out": "int64",
            "unmatched_keys": "int64",
            "detail": "string",
        }
    )


def collect_quality(*reports: pd.DataFrame) -> pd.DataFrame:
    """``fusion_data_quality``: every check of every index, one row per (index, check)."""
    frame = pd.concat([r for r in reports if len(r)], ignore_index=True)
    duplicated = frame.duplicated(["index", "check"])
    if duplicated.any():
        raise ValueError(
            "fusion_data_quality: duplicated (index, check) keys "
            f"{frame.loc[duplicated, ['index', 'check']].values.tolist()}"
        )
    records = [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
    return quality_frame(records).sort_values(["index", "check"]).reset_index(drop=True)
