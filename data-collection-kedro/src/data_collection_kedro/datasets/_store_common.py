"""Helpers shared by the store datasets (DuckDB, MongoDB, Elasticsearch).

One place for: key normalisation, in-save de-duplication, batching with progress, save counts,
frame <-> Arrow <-> record conversion and deterministic key hashing. The datasets themselves only
speak their backend's protocol.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np
import pandas as pd
import pyarrow as pa
from kedro.io import DatasetError

logger = logging.getLogger(__name__)

T = TypeVar("T")


# --------------------------------------------------------------------------------------- keys
def normalize_key(key: str | Sequence[str] | None) -> list[str]:
    """``"a"`` / ``["a", "b"]`` / ``None`` -> list of key column names."""
    if key is None:
        return []
    if isinstance(key, str):
        return [key]
    return [str(k) for k in key]


def check_key_columns(data: pd.DataFrame, key: Sequence[str], where: str) -> None:
    """Raise a ``ValueError`` naming the missing key columns."""
    missing = [k for k in key if k not in data.columns]
    if missing:
        raise ValueError(
            f"{where}: key column(s) {missing} missing from the frame; "
            f"expected the key {list(key)} among columns {list(data.columns)}"
        )


@dataclass
class DedupResult:
    """A frame made safe for an upsert plus what was dropped from it."""

    data: pd.DataFrame
    dropped_duplicates: int = 0
    dropped_null_keys: int = 0


def drop_invalid_keys(data: pd.DataFrame, key: Sequence[str], where: str) -> DedupResult:
    """Drop rows whose key has a null and keep the LAST occurrence of each duplicated key.

    This is the store's safety net: the ETL quarantines such rows before saving; a store must
    still never crash (or silently keep an arbitrary row) when one slips through.
    """
    if not key:
        return DedupResult(data)
    check_key_columns(data, key, where)
    null_mask = data[list(key)].isna().any(axis=1)
    n_null = int(null_mask.sum())
    if n_null:
        data = data.loc[~null_mask]
        logger.warning("%s: dropped %d row(s) with a null in the key %s", where, n_null, list(key))
    dup_mask = data.duplicated(subset=list(key), keep="last")
    n_dup = int(dup_mask.sum())
    if n_dup:
        data = data.loc[~dup_mask]
        logger.warning(
            "%s: dropped %d duplicate key row(s) inside one save (kept the last occurrence "
            "of each key %s)",
            where,
            n_dup,
            list(key),
        )
    return DedupResult(data, dropped_duplicates=n_dup, dropped_null_keys=n_null)


def key_hash(values: Sequence[Any]) -> str:
    """Deterministic id of a key: sha1 of the values' canonical text joined by ``|``.

    Dates and timestamps hash by their ISO form, so the same key hashes identically from a
    pandas ``Timestamp``, a ``datetime`` or its ISO string.
    """
    parts = []
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            parts.append("")
        elif isinstance(value, dt.datetime | dt.date):
            parts.append(value.isoformat())
        elif isinstance(value, np.generic):
            parts.append(str(value.item()))
        else:
            parts.append(str(value))
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()


def checked_load_args(load_args: dict[str, Any] | None, allowed: set[str]) -> dict[str, Any]:
    """A copy of ``load_args``; unknown options raise (a typo must not be ignored)."""
    args = dict(load_args or {})
    unknown = set(args) - allowed
    if unknown:
        raise DatasetError(f"unknown load_args {sorted(unknown)}; allowed: {sorted(allowed)}")
    return args


def insert_only_set(columns: Sequence[str] | None) -> set[str]:
    """Columns written when a key is first inserted only (default: ``_ingested_at``)."""
    return set(["_ingested_at"] if columns is None else columns)


# ------------------------------------------------------------------------- deferred data
@runtime_checkable
class DeferredFrame(Protocol):
    """Data whose frame is known only when it is saved (a status or manifest row that counts
    what the saves before it did): the stores call :meth:`resolve_frame` first."""

    def resolve_frame(self) -> pd.DataFrame: ...


def resolved(data: Any) -> Any:
    """``data``, or its frame when it is a :class:`DeferredFrame`."""
    return data.resolve_frame() if isinstance(data, DeferredFrame) else data


@runtime_checkable
class SqlBatch(Protocol):
    """A batch a SQL store validates and writes itself (``validation.sql.SqlIngest``).

    The store runs :meth:`stage_sql`, asks :meth:`refusal` whether the staged input may go the
    SQL way (else :meth:`python_batches` gives the same rows validated in Python); when
    :meth:`bad_count_sql` finds failing rows it runs :meth:`detail_sql`; it then writes
    :meth:`rows_sql` into its table and :meth:`quarantine_sql` into ``quarantine_table``, and
    reports the counts with :meth:`record`.
    """

    quarantine_table: str
    quarantine_key: tuple[str, ...]
    quarantine_first_seen: tuple[str, ...]

    def scan(self) -> Any: ...

    def stage_sql(self) -> str: ...

    def staged_lines_sql(self) -> str: ...

    def refusal(self, scan: Any, staged_lines: int | None, error: str | None) -> str | None: ...

    def bad_count_sql(self) -> str: ...

    def detail_sql(self) -> str: ...

    def duplicates_sql(self) -> str: ...

    def rows_sql(self, deduplicate: bool) -> str: ...

    def quarantine_sql(self, deduplicate: bool, failed: bool = True) -> str: ...

    def python_batches(self) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]: ...

    def record(self, rows_read: int, rows_stored: int, rows_quarantined: int, how: str) -> None: ...


@runtime_checkable
class WindowedFrame(Protocol):
    """Rows of an index that replace part of it (``domain.fusion_window.IndexRows``).

    ``since`` None and ``upsert_only`` false: ``frame`` is the whole index (the stored one is
    replaced). ``since`` a day: ``frame`` holds the rows whose ``column`` is on or after it;
    they are upserted on the key and the stored rows of those days the frame lacks are
    deleted. ``upsert_only``: the rows are upserted, nothing is deleted.
    """

    frame: pd.DataFrame
    since: dt.date | None
    column: str
    upsert_only: bool


def replaces_all(data: WindowedFrame) -> bool:
    """True when the rows are the whole index (the stored one is replaced)."""
    return data.since is None and not data.upsert_only


# ------------------------------------------------------------------------------------ results
@dataclass
class SaveResult:
    """What one save did. ``inserted + updated + unchanged == rows`` after de-duplication."""

    target: str
    mode: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    dropped_duplicates: int = 0
    dropped_null_keys: int = 0
    batches: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def log(self, log: logging.Logger | None = None) -> None:
        (log or logger).info(
            "%s (%s): %d row(s) -> %d inserted, %d updated, %d unchanged, %d failed; "
            "dropped %d duplicate key(s), %d null key(s); %d batch(es) in %.2fs%s",
            self.target,
            self.mode,
            self.rows,
            self.inserted,
            self.updated,
            self.unchanged,
            self.failed,
            self.dropped_duplicates,
            self.dropped_null_keys,
            self.batches,
            self.seconds,
            "".join(f"; {k}={v}" for k, v in self.extra.items()),
        )


def prepare_save(
    data: pd.DataFrame, key: Sequence[str], target: str, mode: str
) -> tuple[pa.Table, SaveResult]:
    """The common start of every save: drop null/duplicate keys, convert to Arrow, and the
    ``SaveResult`` that the backend fills in."""
    dedup = drop_invalid_keys(data, key, target)
    table = frame_to_arrow(dedup.data)
    result = SaveResult(
        target=target,
        mode=mode,
        rows=table.num_rows,
        dropped_duplicates=dedup.dropped_duplicates,
        dropped_null_keys=dedup.dropped_null_keys,
    )
    return table, result


# ------------------------------------------------------------------------------------ batches
def batch_bounds(n_rows: int, batch_size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of each batch of ``batch_size`` rows."""
    if batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
    for start in range(0, n_rows, batch_size):
        yield start, min(start + batch_size, n_rows)


class BatchProgress:
    """Progress per batch: a tqdm bar when stderr is a terminal, log lines otherwise."""

    def __init__(self, target: str, total_rows: int, log: logging.Logger | None = None) -> None:
        self._target = target
        self._total = total_rows
        self._done = 0
        self._batches = 0
        self._log = log or logger
        self._started = time.perf_counter()
        self._bar: Any = None
        if sys.stderr is not None and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total_rows, desc=target, unit="rows", leave=False)

    def update(self, rows: int) -> None:
        self._done += rows
        self._batches += 1
        if self._bar is not None:
            self._bar.update(rows)
        else:
            self._log.info(
                "%s: batch %d, %d/%d rows (%.0f%%) in %.1fs",
                self._target,
                self._batches,
                self._done,
                self._total,
                100.0 * self._done / self._total if self._total else 100.0,
                time.perf_counter() - self._started,
            )

    @property
    def batches(self) -> int:
        return self._batches

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> BatchProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------- retrying
def retry_call(
    func: Callable[[], T],
    is_retryable: Callable[[BaseException], bool],
    timeout_s: float,
    what: str,
    first_wait_s: float = 0.05,
    max_wait_s: float = 2.0,
) -> T:
    """Call ``func`` again with exponential backoff while it raises a retryable error."""
    deadline = time.monotonic() + timeout_s
    wait = first_wait_s
    attempt = 1
    while True:
        try:
            return func()
        except Exception as exc:
            if not is_retryable(exc) or time.monotonic() + wait > deadline:
                raise
            logger.info("%s: attempt %d failed (%s); retrying in %.2fs", what, attempt, exc, wait)
            time.sleep(wait)
            wait = min(wait * 2, max_wait_s)
            attempt += 1


# ------------------------------------------------------------------------ frame <-> Arrow
def frame_to_arrow(data: pd.DataFrame) -> pa.Table:
    """A pandas frame as an Arrow table, without the index; all-null columns become strings.

    Arrow's ``null`` type has no column type in the stores, so an all-null (object) column is
    stored as a nullable string; a later save with real values widens it where the store can.
    """
    with warnings.catch_warnings():
        # pyarrow reads zone-aware columns through ``Series.values`` (deprecated in pandas 3.1).
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        table = pa.Table.from_pandas(data, preserve_index=False)
    table = table.replace_schema_metadata(None)
    for i, fld in enumerate(table.schema):
        if pa.types.is_null(fld.type):
            table = table.set_column(
                i, pa.field(fld.name, pa.string()), table.column(i).cast(pa.string())
            )
    return table


def _types_mapper(arrow_type: pa.DataType) -> Any:
    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype(na_value=np.nan)
    return None


def arrow_to_frame(table: pa.Table) -> pd.DataFrame:
    """The store's frame convention, identical for every backend.

    integers -> ``Int64`` (nullable), booleans -> ``boolean`` (nullable), strings -> pandas'
    default ``str``, floats -> ``float64`` (null -> NaN), dates -> ``datetime.date`` objects,
    timestamps -> ``datetime64[us]`` (time-zone aware in UTC when stored with a zone).
    """
    return table.to_pandas(types_mapper=_types_mapper, date_as_object=True)


def schema_to_json(schema: pa.Schema) -> dict[str, str]:
    """Column -> Arrow type string, e.g. ``{"day": "date32[day]", "price": "double"}``."""
    return {fld.name: str(fld.type) for fld in schema}


_TYPE_NAMES: dict[str, pa.DataType] = {
    "bool": pa.bool_(),
    "int8": pa.int64(),
    "int16": pa.int64(),
    "int32": pa.int64(),
    "int64": pa.int64(),
    "uint8": pa.int64(),
    "uint16": pa.int64(),
    "uint32": pa.int64(),
    "uint64": pa.int64(),
    "float": pa.float64(),
    "halffloat": pa.float64(),
    "double": pa.float64(),
    "string": pa.string(),
    "large_string": pa.string(),
    "date32[day]": pa.date32(),
    "date64[ms]": pa.date32(),
}


def arrow_type_from_string(name: str) -> pa.DataType | None:
    """Inverse of ``schema_to_json`` for the types the stores use (None when unknown)."""
    if name in _TYPE_NAMES:
        return _TYPE_NAMES[name]
    if name.startswith("timestamp["):
        inner = name[len("timestamp[") : -1]
        unit, _, tz = inner.partition(",")
        tz = tz.strip()
        tz = tz[len("tz=") :] if tz.startswith("tz=") else tz
        return pa.timestamp("us", tz="UTC" if tz else None) if unit else None
    return None


# ------------------------------------------------------------------------- frame -> records
def arrow_to_records(table: pa.Table) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python scalars (nulls -> None; NaN became null in
    ``frame_to_arrow``): dates stay ``datetime.date``, timestamps ``datetime``."""
    return table.to_pylist()
