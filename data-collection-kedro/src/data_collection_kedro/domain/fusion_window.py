"""Which days a fusion run recomputes: the whole history, or the days changed raw rows touch.

The fusion records, per raw table and day, the number of rows and a digest of their values
(bookkeeping columns left out), with each table's newest ``_updated_at`` (its watermark), in
``fusion_state``. A run compares them with the raw store's digest (:func:`plan_window`): the
days whose rows or values differ are the changed days — new rows, corrected values, and not a
row merely re-ingested from another file with the same values (the daily fuel snapshot repeats
prices already stored from the history file: the store rewrites them, ``_updated_at`` moves, the
values do not). Per *family* of indices (the indices computed from the same raw tables,
:data:`FAMILIES`), a run is:

- ``full``: the whole history is recomputed and the stored index REPLACED (rows that disappear
  go) — on the first run, when ``data_fusion.incremental`` is false, when the fusion
  parameters or :data:`RULES_VERSION` changed, when a raw table of the family shrank, appeared
  or disappeared, changed on every day, changed where a row has no day, or is a table without
  days (``raw_fuel_stations``: a station's department and location count on every day of the
  fuel index), and when the window would reach back to the start of the family's history;
- ``window``: the days from ``since`` on are recomputed from the raw rows of the days from
  ``read_from`` on, and the stored rows of those days replaced (upserted on the index key; the
  rows of those days that disappear go); the earlier days stay as stored. ``since`` is the
  first changed day (or the day after the table's previous last day, when new days follow a
  gap), moved back by the days the rules look forward (:func:`family_reach`); ``read_from``
  is ``since`` moved back by the days the rules look back;
- ``unchanged``: nothing of the family changed: its indices stay as stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from data_collection_kedro.domain.contracts import (
    CONSOMMATION_MOUVEMENTS,
    CONSOMMATION_NATIONALE,
    METEO_CONSOMMATION,
    PREVISIONS_METEO,
    PREVISIONS_METEO_NATIONALES,
    PRIX_CARBURANTS_JOURNALIER,
)

# Bump when a fusion rule changes what it computes: the next run rebuilds every index.
RULES_VERSION = 1
UPDATED_AT = "_updated_at"
# the state row of the run itself (parameters digest and rules version) in fusion_state
RUN_STATE = "__data_fusion__"

OBSERVED, FUEL, FORECAST = "observed", "fuel", "forecast"
# family -> the indices it computes
FAMILIES: dict[str, tuple[str, ...]] = {
    OBSERVED: (
        METEO_CONSOMMATION.name,
        CONSOMMATION_MOUVEMENTS.name,
        CONSOMMATION_NATIONALE.name,
    ),
    FUEL: (PRIX_CARBURANTS_JOURNALIER.name,),
    FORECAST: (PREVISIONS_METEO.name, PREVISIONS_METEO_NATIONALES.name),
}


@dataclass(frozen=True)
class RawTable:
    """A raw table the fusion reads: its family and the column giving a row's day (``None``:
    a change counts on every day of the family)."""

    family: str
    day_column: str | None


RAW_TABLES: dict[str, RawTable] = {
    "raw_consumption_regional": RawTable(OBSERVED, "timestamp_utc"),
    "raw_gas_load_curve": RawTable(OBSERVED, "date"),
    "raw_weather_regional": RawTable(OBSERVED, "date"),
    "raw_weather_historique": RawTable(OBSERVED, "day"),
    "raw_consumption_national": RawTable(OBSERVED, "timestamp_utc"),
    "raw_strikes": RawTable(OBSERVED, "start_date"),
    "raw_public_holidays": RawTable(OBSERVED, "date"),
    "raw_school_holidays": RawTable(OBSERVED, "start_date"),
    "raw_fuel_prices": RawTable(FUEL, "updated_at"),
    "raw_fuel_shortages": RawTable(FUEL, "start_at"),
    "raw_fuel_stations": RawTable(FUEL, None),
    "raw_weather_forecast": RawTable(FORECAST, "target_day"),
}
# the catalog name a fusion node reads a raw table under (datasets.RawRowsDataset)
ROWS_SUFFIX = "_rows"


def rows_dataset(table: str) -> str:
    """The catalog name of raw table ``table`` as the fusion reads it (``raw_<table>_rows``:
    the rows of the days a node recomputes, read when the node asks)."""
    return f"{table}{ROWS_SUFFIX}"


def raw_tables_read(datasets: Iterable[str]) -> set[str]:
    """The raw tables (the ETL's catalog names, ``raw_<table>``) among ``datasets`` (a fusion
    pipeline's inputs)."""
    return {
        name.removesuffix(ROWS_SUFFIX)
        for name in datasets
        if name.endswith(ROWS_SUFFIX) and name.removesuffix(ROWS_SUFFIX) in RAW_TABLES
    }


# the columns of the raw store's digest (datasets.RawTablesDigestDataset): one row per table
# and day (day null for a table without days): rows, newest _updated_at, and a digest of the
# rows' values (bookkeeping columns left out: a row re-ingested from another file with the same
# values does not count as changed)
DIGEST_COLUMNS = ["table", "day", "rows", "updated_at", "content"]
STATE_COLUMNS = ["name", "day", "rows", "content", "watermark", "digest"]


def family_reach(family: str, params: Mapping[str, Any]) -> tuple[int, int]:
    """``(ahead, back)`` days of a family's rules: a raw change on day d can change the index
    rows of the days from ``d - ahead`` (rules that look forward), and recomputing a day needs
    the raw rows of the ``back`` days before it. One day more each for time zones (a UTC
    instant and its Europe/Paris day).

    - observed: temperature gaps of up to ``max_temperature_gap_days`` are interpolated from
      the days after them (ahead) and before them; a missing gas operator is imputed from its
      median share over the ``operator_share_window_days`` nearest complete days (back: twice
      the window, room for incomplete days among them);
    - fuel: a price stays in force ``max_price_age_days`` after its update (back);
    - forecast: a forecast row depends on its own target and issue day only.
    """
    if family == OBSERVED:
        gap = int(params.get("max_temperature_gap_days", 0))
        shares = int(params.get("operator_share_window_days", 28))
        return gap + 1, 2 * shares + gap + 1
    if family == FUEL:
        return 1, int(params.get("max_price_age_days", 31)) + 1
    return 1, 1


def params_digest(params: Mapping[str, Any]) -> str:
    """Digest of the fusion parameters and the rules version: a change rebuilds everything."""
    text = json.dumps(
        {k: v for k, v in params.items() if k != "incremental"}, sort_keys=True, default=str
    )
    return hashlib.sha1(f"{RULES_VERSION}|{text}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class FamilyWindow:
    """What a run does for one family (see the module docstring)."""

    mode: str  # full | window | unchanged
    reason: str
    since: date | None = None
    read_from: date | None = None

    def scope(self) -> str:
        """The days the family's indices and quality checks of this run cover."""
        if self.mode == "window":
            return f"days from {self.since} (incremental run; raw rows read from {self.read_from})"
        return "whole history" if self.mode == "full" else "unchanged"


@dataclass
class FusionWindow:
    """The plan of a run: a :class:`FamilyWindow` per family and the state to record once
    the indices are stored."""

    families: dict[str, FamilyWindow]
    state: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=STATE_COLUMNS))

    def of(self, family: str) -> FamilyWindow:
        return self.families[family]

    @property
    def is_full(self) -> bool:
        return all(w.mode == "full" for w in self.families.values())


FULL_RUN = FusionWindow({f: FamilyWindow("full", "no plan given") for f in FAMILIES})


def _day_key(value: Any) -> str:
    """A digest or state row's day as text ("" for the rows of a table without days)."""
    if type(value) is date:  # the digest's days (DuckDB DATE)
        return value.isoformat()
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return pd.Timestamp(value).date().isoformat() if not isinstance(value, str) else value


def _table_stats(digest: pd.DataFrame) -> dict[str, dict[str, Any]]:
    stats: dict[str, dict[str, Any]] = {}
    for table, rows in digest.groupby("table", sort=True):
        days = pd.to_datetime(rows["day"], errors="coerce").dropna()
        stamps = pd.to_datetime(rows["updated_at"], utc=True, errors="coerce")
        stats[str(table)] = {
            "rows": int(rows["rows"].sum()),
            "watermark": stamps.max() if stamps.notna().any() else None,
            "first_day": days.min().date() if len(days) else None,
            "last_day": days.max().date() if len(days) else None,
            "days": {
                _day_key(day): (int(n), str(content))
                for day, n, content in zip(
                    rows["day"].tolist(),
                    rows["rows"].tolist(),
                    rows["content"].tolist(),
                    strict=True,
                )
            },
        }
    return stats


def _new_state(stats: Mapping[str, Mapping[str, Any]], digest: str) -> pd.DataFrame:
    columns: dict[str, list[Any]] = {c: [] for c in STATE_COLUMNS}
    for table, s in stats.items():
        watermark = None if s["watermark"] is None else s["watermark"].isoformat()
        columns["name"] += [table] * len(s["days"])
        columns["day"] += list(s["days"])
        columns["rows"] += [n for n, _ in s["days"].values()]
        columns["content"] += [content for _, content in s["days"].values()]
        columns["watermark"] += [watermark] * len(s["days"])
        columns["digest"] += [None] * len(s["days"])
    run = {"name": RUN_STATE, "day": "", "rows": 0, "content": None, "watermark": None}
    for column, value in (run | {"digest": digest}).items():
        columns[column].append(value)
    return pd.DataFrame(columns, columns=STATE_COLUMNS).astype(
        dict.fromkeys(STATE_COLUMNS, "string") | {"rows": "int64"}
    )


def _previous_days(previous_state: pd.DataFrame | None) -> dict[str, dict[str, tuple[int, str]]]:
    """Per raw table, the ``(rows, content)`` of each day the previous run recorded."""
    days: dict[str, dict[str, tuple[int, str]]] = {}
    if previous_state is None or previous_state.empty:
        return days
    if not {"name", "day", "rows", "content"} <= set(previous_state.columns):
        return days  # a state of another layout: rebuild
    columns = (previous_state[c].tolist() for c in ("name", "day", "rows", "content"))
    for name, day, n, content in zip(*columns, strict=True):
        days.setdefault(str(name), {})[_day_key(day)] = (int(n), str(content))
    return days


def _family_window(
    family: str,
    stats: Mapping[str, Mapping[str, Any]],
    previous: Mapping[str, Mapping[str, tuple[int, str]]],
    params: Mapping[str, Any],
) -> FamilyWindow:
    if not any(RAW_TABLES[t].family == family for t in stats):
        return FamilyWindow("full", "the raw store's digest lists none of the family's tables")
    starts: list[date] = []
    first_days: list[date] = []
    for table, spec in RAW_TABLES.items():
        if spec.family != family:
            continue
        now, before = stats.get(table), previous.get(table)
        if now is None and before is None:
            continue
        if now is None or before is None:
            return FamilyWindow("full", f"{table} appeared or disappeared since the last fusion")
        if now["first_day"] is not None:
            first_days.append(now["first_day"])
        rows_before = sum(n for n, _ in before.values())
        if now["rows"] < rows_before:
            return FamilyWindow("full", f"{table} shrank ({rows_before} -> {now['rows']} rows)")
        changed = {d for d in {*now["days"], *before} if now["days"].get(d) != before.get(d)}
        if not changed:
            continue
        if spec.day_column is None:
            return FamilyWindow("full", f"{table} changed (it counts on every day)")
        if "" in changed:
            return FamilyWindow("full", f"rows of {table} without a day changed")
        if len(now["days"]) > 1 and changed >= set(now["days"]):
            return FamilyWindow("full", f"every day of {table} changed")
        first = date.fromisoformat(min(changed))
        last_before = max((d for d in before if d), default="")
        if last_before:
            first = min(first, date.fromisoformat(last_before) + timedelta(days=1))
        starts.append(first)
    if not starts:
        return FamilyWindow("unchanged", "no raw row of the family changed")
    ahead, back = family_reach(family, params)
    since = min(starts) - timedelta(days=ahead)
    read_from = since - timedelta(days=back)
    if first_days and read_from <= min(first_days):
        return FamilyWindow("full", "the window reaches the start of the history")
    return FamilyWindow(
        "window", "raw rows changed since the last fusion", since=since, read_from=read_from
    )


def _run_digest(previous_state: pd.DataFrame | None) -> str | None:
    if previous_state is None or "digest" not in previous_state.columns:
        return None
    run = previous_state.loc[previous_state["name"] == RUN_STATE, "digest"]
    return str(run.iloc[0]) if len(run) else None


def plan_window(
    digest: pd.DataFrame, previous_state: pd.DataFrame | None, params: Mapping[str, Any]
) -> FusionWindow:
    """The run's plan from the raw store's ``digest`` (``DIGEST_COLUMNS``: rows, newest
    ``_updated_at`` and values digest per table and day) and the ``fusion_state`` the previous
    run recorded (``STATE_COLUMNS``)."""
    run_digest = params_digest(params)
    digest = digest.reindex(columns=DIGEST_COLUMNS)
    digest = digest[digest["table"].isin(list(RAW_TABLES))]
    stats = _table_stats(digest)
    state = _new_state(stats, run_digest)
    previous = _previous_days(previous_state)
    reason = None
    if not params.get("incremental", True):
        reason = "data_fusion.incremental is false"
    elif RUN_STATE not in previous:
        reason = "no fusion recorded yet"
    elif _run_digest(previous_state) != run_digest:
        reason = "the fusion parameters or rules changed"
    families = {
        family: FamilyWindow("full", reason)
        if reason
        else _family_window(family, stats, previous, params)
        for family in FAMILIES
    }
    return FusionWindow(families, state)


def rows_from(frame: pd.DataFrame, column: str, first: date | None) -> pd.DataFrame:
    """The rows of ``frame`` whose ``column`` (dates or timestamps) is on or after ``first``
    (rows without a parsable value are kept: the rules report them)."""
    if first is None or frame.empty or column not in frame.columns:
        return frame
    values = frame[column]
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, errors="coerce")
    bound = pd.Timestamp(first)
    zone = getattr(values.dtype, "tz", None)
    if zone is not None:
        bound = bound.tz_localize(zone)
    keep = (values >= bound) | values.isna()
    return frame[keep.to_numpy()].reset_index(drop=True)


@runtime_checkable
class RawRows(Protocol):
    """A raw table as a fusion node reads it: only the rows it needs, when it needs them
    (``datasets.RawRowsDataset`` reads them from the store; :class:`FrameRows` from a frame)."""

    def since(self, first: date | None) -> pd.DataFrame:
        """The rows whose day (:data:`RAW_TABLES`) is on or after ``first`` (``None``: every
        row), as :func:`rows_from` keeps them."""
        ...

    def distinct(self, columns: Sequence[str]) -> pd.DataFrame:
        """The distinct values of ``columns`` (those the table has) over the whole table."""
        ...


@dataclass(frozen=True)
class FrameRows:
    """:class:`RawRows` of a frame in memory (its rows' day in ``column``)."""

    frame: pd.DataFrame
    column: str | None = None

    def since(self, first: date | None) -> pd.DataFrame:
        return self.frame if self.column is None else rows_from(self.frame, self.column, first)

    def distinct(self, columns: Sequence[str]) -> pd.DataFrame:
        return self.frame[[c for c in columns if c in self.frame.columns]].drop_duplicates()


def raw_rows(raw: RawRows | pd.DataFrame, table: str) -> RawRows:
    """``raw`` as :class:`RawRows` (a frame is the whole raw table ``table``)."""
    if isinstance(raw, pd.DataFrame):
        return FrameRows(raw, RAW_TABLES[table].day_column)
    return raw


@dataclass
class IndexRows:
    """Rows of an index for its store (``datasets._store_common.WindowedFrame``).

    ``since`` None and ``upsert_only`` false: the frame is the whole index (the stored one is
    replaced). ``since`` a day: the frame holds the index rows of the days from ``since`` on
    (``column``); they are upserted on the index key and the stored rows of those days the
    frame lacks are deleted. ``upsert_only``: the rows are upserted, nothing is deleted.
    """

    frame: pd.DataFrame
    since: date | None = None
    column: str = "day"
    upsert_only: bool = False


def index_rows(frame: pd.DataFrame, window: FamilyWindow, column: str = "day") -> IndexRows:
    """The rows of an index a family's window writes: all of them (full), the days from
    ``since`` (window), none (unchanged)."""
    if window.mode == "full":
        return IndexRows(frame)
    if window.mode == "unchanged":
        return IndexRows(frame.iloc[0:0], upsert_only=True)
    return IndexRows(rows_from(frame, column, window.since), since=window.since, column=column)
