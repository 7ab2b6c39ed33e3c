"""What the embedded raw store holds, per raw table and day (read-only dataset).

``load()`` returns one row per raw table the fusion reads and day (``domain.fusion_window``
:data:`~data_collection_kedro.domain.fusion_window.RAW_TABLES`): ``table``, ``day`` (null for a
table without days), ``rows``, ``updated_at`` (the newest ``_updated_at`` of those rows; null
when the table has no such column) and ``content`` (an order-free digest of the rows' values:
the XOR of each row's hash over every column but the bookkeeping ones, ``_ingested_at``,
``_updated_at``, ``_source_file``, ``_source_line``). One aggregate query per table: the fusion
compares it with the state it recorded to find the days whose rows changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from kedro.io import AbstractDataset, DatasetError

from data_collection_kedro.datasets._store_common import arrow_to_frame
from data_collection_kedro.datasets.duckdb_table import (
    INGESTED_AT,
    SOURCE_FILE_COLUMN,
    SOURCE_LINE_COLUMN,
    connect,
    quote,
)
from data_collection_kedro.domain.fusion_window import DIGEST_COLUMNS, RAW_TABLES, UPDATED_AT

BOOKKEEPING = {INGESTED_AT, UPDATED_AT, SOURCE_FILE_COLUMN, SOURCE_LINE_COLUMN}


def _columns(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, dict[str, str]]:
    """Per table (those stored), its columns and types in table order: one catalog query
    (``duckdb_table.table_columns`` for several tables)."""
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = current_schema() AND list_contains($1, table_name) "
        "ORDER BY table_name, column_index",
        [tables],
    ).fetchall()
    columns: dict[str, dict[str, str]] = {}
    for table, name, dtype in rows:
        columns.setdefault(table, {})[name] = dtype
    return columns


def _day_sql(column: str | None, dtype: str | None) -> str:
    """SQL of a row's day: the date, or a UTC instant's UTC day (from its epoch: the same day
    as ``CAST(… AS DATE)`` in the store's UTC sessions, without a time-zone conversion per
    row, several times faster on a half-hourly table)."""
    if column is None or dtype is None:
        return "CAST(NULL AS DATE)"
    if dtype == "TIMESTAMP WITH TIME ZONE":
        days = f"CAST(floor(epoch_us({quote(column)}) / 86400000000) AS INTEGER)"
        return f"CAST(DATE '1970-01-01' + {days} AS DATE)"
    return f"CAST({quote(column)} AS DATE)"


class RawTablesDigestDataset(AbstractDataset[None, pd.DataFrame]):
    """Rows, newest ``_updated_at`` and values digest per raw table and day of the DuckDB store.

    Example catalog entry::

        fusion_raw_digest:
          type: data_collection_kedro.datasets.RawTablesDigestDataset
          database: ${globals:duckdb_path}
    """

    def __init__(
        self,
        database: str,
        lock_timeout_s: float = 60.0,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._database = Path(database)
        self._lock_timeout_s = lock_timeout_s
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"database": str(self._database), "tables": sorted(RAW_TABLES)}

    def _exists(self) -> bool:
        return self._database.exists()

    def save(self, data: None) -> None:
        raise DatasetError(f"{type(self).__name__} is read-only")

    def load(self) -> pd.DataFrame:
        if not self._database.exists():
            return pd.DataFrame(columns=DIGEST_COLUMNS)
        con = connect(self._database, read_only=True, lock_timeout_s=self._lock_timeout_s)
        try:
            parts = []
            stored = _columns(con, sorted(RAW_TABLES))
            for table, spec in sorted(RAW_TABLES.items()):
                columns = stored.get(table, {})
                if not columns:
                    continue
                day = _day_sql(spec.day_column, columns.get(spec.day_column or ""))
                stamp = (
                    f"max({quote(UPDATED_AT)})"
                    if UPDATED_AT in columns
                    else "CAST(NULL AS TIMESTAMPTZ)"
                )
                values = ", ".join(quote(c) for c in columns if c not in BOOKKEEPING)
                parts.append(
                    f"SELECT '{table}' AS \"table\", {day} AS day, count(*) AS rows, "
                    f"CAST({stamp} AS TIMESTAMPTZ) AS updated_at, "
                    f"CAST(bit_xor(hash({values})) AS VARCHAR) AS content "
                    f"FROM {quote(table)} GROUP BY 2"
                )
            if not parts:
                return pd.DataFrame(columns=DIGEST_COLUMNS)
            sql = " UNION ALL ".join(parts) + ' ORDER BY "table", day'
            return arrow_to_frame(con.sql(sql).to_arrow_table())[DIGEST_COLUMNS]
        finally:
            con.close()
