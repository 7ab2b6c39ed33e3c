"""Freshness of every declared source: its newest day in the raw store, and whether it is late.

Everything comes from the source declarations (:mod:`data_collection_kedro.sources.registry`):
the raw table and its date column (the live watermark, else the first date column), the
publication lag (``publication_lag_days`` when the declaration states it, else
``dashboard.freshness.default_lag_days``) and the family's Airflow schedule.

- A **series** (consumption, weather, fuel prices) is late when its newest day is older than
  ``today − publication lag − grace``: the day the publisher should have released by now.
- An **event or calendar** source (``judged_on_ingestion``: strikes, holidays), whose newest
  record says nothing about freshness (a week without a strike is normal), is late when its
  last ingestion is older than one period of its schedule plus the grace.

The newest values are read from the raw store with the live clients' watermark reader
(DuckDB or MongoDB, whichever the catalog's ``raw_{table}`` entry uses).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboard_ui.formatting import FRENCH_TIME
from data_collection_kedro.sources.registry import Source

DATE_TYPES = ("date", "paris_day", "timestamp_utc", "timestamp_local")
INGESTED_AT = "_ingested_at"


@dataclass(frozen=True)
class Freshness:
    source: str
    label: str
    table: str
    column: str
    judged_on: str  # "data" (newest day) or "ingestion" (last pull)
    last_day: dt.date | None
    last_ingested: dt.datetime | None
    lag_days: int
    late_days: int | None  # None: nothing stored yet
    error: str | None = None

    @property
    def is_late(self) -> bool:
        return self.late_days is None or self.late_days > 0


def date_column(source: Source) -> tuple[str, str]:
    """``(raw table, column)`` that dates a source's records: the live watermark, else the first
    date-typed column of its first table that has one."""
    if source.live is not None and source.live.watermark:
        return source.tables[0].name, source.live.watermark
    for table in source.tables:
        for column in table.columns:
            if column.type in DATE_TYPES and column.stored:
                return table.name, column.name
    return source.tables[0].name, INGESTED_AT


def publication_lag_days(source: Source, default: int) -> int:
    """The declared publication lag of ``source`` (days after day D until D is complete;
    negative for a calendar published ahead), else ``default``."""
    declared = source.publication_lag_days
    return int(declared) if declared is not None else int(default)


def schedule_period(schedule: str, now: dt.datetime) -> dt.timedelta:
    """One period of a cron expression or preset (``@daily``, ``@yearly``...)."""
    from croniter import croniter

    runs = croniter(schedule, now)
    first = runs.get_next(dt.datetime)
    return runs.get_next(dt.datetime) - first


def _day(value: Any) -> dt.date | None:
    if value is None or value is pd.NaT:
        return None
    stamp = pd.Timestamp(value)
    return None if pd.isna(stamp) else stamp.date()


def _moment(value: Any) -> dt.datetime | None:
    """A stored time (UTC when time-zone aware) as a naive French time, like ``now``."""
    if value is None or value is pd.NaT:
        return None
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(FRENCH_TIME).tz_localize(None)
    return stamp.to_pydatetime()


def assess(
    sources: Iterable[Source],
    newest: Callable[[str, str], Any],
    now: dt.datetime,
    params: Mapping[str, Any],
) -> list[Freshness]:
    """The freshness of each source; ``newest(table, column)`` reads the newest stored value.

    ``params``: ``default_lag_days``, ``grace_days``, ``judged_on_ingestion`` (source names).
    """
    grace = int(params.get("grace_days", 1))
    on_ingestion = set(params.get("judged_on_ingestion") or ())
    today = now.date()
    rows = []
    for source in sources:
        table, column = date_column(source)
        lag = publication_lag_days(source, int(params.get("default_lag_days", 1)))
        error = None
        try:
            last_day = _day(newest(table, column))
            last_ingested = _moment(newest(table, INGESTED_AT))
        except Exception as exc:  # a store being written, a missing column: say so, go on
            last_day, last_ingested = None, None
            error = f"{type(exc).__name__}: {exc}"
        judged_on = "ingestion" if source.name in on_ingestion else "data"
        late_days: int | None
        if judged_on == "ingestion":
            if last_ingested is None:
                late_days = None
            else:
                allowed = schedule_period(source.family.schedule, now).days + grace
                late_days = max(0, (today - last_ingested.date()).days - allowed)
        elif last_day is None:
            late_days = None
        else:
            expected = today - dt.timedelta(days=lag + grace)
            late_days = max(0, (expected - last_day).days)
        rows.append(
            Freshness(
                source=source.name,
                label=source.display_name,
                table=table,
                column=column,
                judged_on=judged_on,
                last_day=last_day,
                last_ingested=last_ingested,
                lag_days=lag,
                late_days=late_days,
                error=error,
            )
        )
    return rows


def watermark_reader(raw_entry: Mapping[str, Any]) -> Callable[[str, str], Any]:
    """``newest(table, column)`` on the raw store the catalog's ``raw_{table}`` entry names."""
    from data_collection_kedro.datasets.live_sources import read_watermark

    store = str(raw_entry.get("store") or raw_entry.get("type") or "")
    if store.endswith("MongoCollectionDataset"):
        base = {
            "backend": "mongodb",
            "uri": raw_entry["uri"],
            "database": raw_entry["database"],
        }
        place = "collection"
    elif store.endswith("DuckDBTableDataset"):
        base = {"backend": "duckdb", "path": raw_entry["database"]}
        place = "table"
    else:
        raise ValueError(f"raw store {store!r}: expected a DuckDB or MongoDB dataset")

    def newest(table: str, column: str) -> Any:
        return read_watermark({**base, place: table, "column": column})

    return newest
