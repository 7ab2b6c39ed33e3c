"""Catalog factory ``raw_{table}_rows``: a raw table as the fusion reads it (read-only).

The ETL writes ``raw_<table>``; the fusion nodes read the same table as ``raw_<table>_rows``
(they follow ``plan_fusion_window``, which follows the ETL nodes). Loading reads nothing: it gives the node a :class:`RawTableRows`
(:class:`~data_collection_kedro.domain.fusion_window.RawRows`), and the node asks for the rows
of the days it recomputes (``since(read_from)``: on the DuckDB store a ``WHERE`` on the table's
day column, ``domain.fusion_window.RAW_TABLES``) or for distinct values over the whole table
(``distinct``). A family an incremental run leaves unchanged reads nothing::

    "raw_{table}_rows":
      type: data_collection_kedro.datasets.RawRowsDataset
      name: raw_{table}
      store: data_collection_kedro.datasets.DuckDBTableDataset
      database: ${globals:duckdb_path}

On the MongoDB store (``MongoCollectionDataset``), ``since`` is a filter on the day column
(``{day: {$gte: first}}`` or no day; BSON dates are UTC instants, dates stored as their UTC
midnight) and ``distinct`` one server-side ``$group``. Another store is loaded whole through its
dataset and the rows are kept in Python.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError

from data_collection_kedro.datasets._store_common import arrow_to_frame
from data_collection_kedro.datasets.declared_table import DeclaredTableDataset
from data_collection_kedro.datasets.duckdb_table import (
    DuckDBTableDataset,
    connect,
    quote,
    table_columns,
)
from data_collection_kedro.domain.fusion_window import RAW_TABLES, rows_from
from data_collection_kedro.sources import registry


class RawTableRows:
    """The rows of one raw table, read when asked (see the module docstring).

    Args:
        name: the raw table's catalog name (``raw_<table>``).
        store: the store dataset class path (as ``DeclaredTableDataset`` takes it).
        settings: the store's arguments (``database``, ``uri``...).
    """

    def __init__(self, name: str, store: str, settings: dict[str, Any]) -> None:
        self.table = registry.load().table(name)
        if self.table.name not in RAW_TABLES:
            raise DatasetError(
                f"{name}: the fusion reads no table {self.table.name} "
                f"(domain.fusion_window.RAW_TABLES: {', '.join(sorted(RAW_TABLES))})"
            )
        self.column = RAW_TABLES[self.table.name].day_column
        self._name, self.store, self._settings = name, store, settings
        store_class = registry.resolve(store)
        duckdb_store = issubclass(store_class, DuckDBTableDataset)
        self._database = Path(settings["database"]) if duckdb_store else None
        # a MongoDB store: its module is imported once the class is resolved (a run on the
        # embedded store does not import pymongo for this check)
        mongo = sys.modules.get("data_collection_kedro.datasets.mongo")
        self._mongo = mongo is not None and issubclass(store_class, mongo.MongoCollectionDataset)

    def __repr__(self) -> str:
        return f"RawTableRows({self.table.name}, day column {self.column})"

    def since(self, first: date | None) -> pd.DataFrame:
        """The rows whose day is on or after ``first`` (and those without a day), in key
        order; every row when ``first`` is None or the table has no day column."""
        if self.column is None:
            first = None
        if self._mongo:
            days: dict[str, Any] = {}
            if first is not None:
                bound = datetime(first.year, first.month, first.day)  # UTC midnight
                days = {"$or": [{self.column: {"$gte": bound}}, {self.column: None}]}
            return rows_from(self._loaded({"where": days}), str(self.column), first)
        if self._database is None:
            return rows_from(self._whole(), str(self.column), first)
        day = quote(str(self.column))
        where = "" if first is None else f" WHERE {day} >= CAST($1 AS DATE) OR {day} IS NULL"
        order = ", ".join(quote(c) for c in self.table.key)
        frame = self._query(
            f"SELECT * FROM {quote(self.table.name)}{where} ORDER BY {order}",
            [] if first is None else [first.isoformat()],
        )
        return rows_from(frame, str(self.column), first)

    def distinct(self, columns: Sequence[str]) -> pd.DataFrame:
        """The distinct values of ``columns`` (those the table has) over the whole table."""
        if self._mongo:
            store = self._store()
            try:
                frame: pd.DataFrame = store.distinct(list(columns))
                return frame
            finally:
                store.release()
        if self._database is None:
            frame = self._whole()
            return frame[[c for c in columns if c in frame.columns]].drop_duplicates()
        return self._query(None, [], columns)

    def _whole(self) -> pd.DataFrame:
        """The whole table, through the store's dataset (a store without SQL)."""
        return self._loaded(None)

    def _store(self, load_args: dict[str, Any] | None = None) -> Any:
        """The store's dataset of the table (``load_args``: a MongoDB filter...)."""
        settings = (
            self._settings if load_args is None else {**self._settings, "load_args": load_args}
        )
        return DeclaredTableDataset(self._name, self.store, **settings)  # type: ignore[abstract]

    def _loaded(self, load_args: dict[str, Any] | None) -> pd.DataFrame:
        store = self._store(load_args)
        try:
            frame: pd.DataFrame = store.load()
            return frame
        finally:
            store.release()

    def _query(
        self, sql: str | None, params: list[Any], columns: Sequence[str] = ()
    ) -> pd.DataFrame:
        """``sql`` on the store (None: the distinct ``columns`` the table has)."""
        assert self._database is not None
        if not self._database.exists():
            raise DatasetError(f"DuckDB file {self._database} does not exist")
        timeout = float(self._settings.get("lock_timeout_s", 60.0))
        con = connect(self._database, read_only=True, lock_timeout_s=timeout)
        try:
            stored = table_columns(con, self.table.name)
            if not stored:
                raise DatasetError(f"table {self.table.name} does not exist in {self._database}")
            if sql is None:
                present = ", ".join(quote(c) for c in columns if c in stored)
                if not present:
                    return pd.DataFrame()
                sql = f"SELECT DISTINCT {present} FROM {quote(self.table.name)} ORDER BY ALL"
            return arrow_to_frame(con.sql(sql, params=params or None).to_arrow_table())
        finally:
            con.close()


class RawRowsDataset(AbstractDataset[None, RawTableRows]):
    """A raw table the fusion reads in the days it needs (see the module docstring)."""

    def __init__(
        self, name: str, store: str, metadata: dict[str, Any] | None = None, **settings: Any
    ) -> None:
        self._rows = RawTableRows(name, store, settings)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {
            "table": self._rows.table.name,
            "day_column": self._rows.column,
            "store": self._rows.store,
        }

    def load(self) -> RawTableRows:
        return self._rows

    def save(self, data: None) -> None:
        raise DatasetError(f"{type(self).__name__} is read-only")
