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

import pandas as pd
from kedro.io import AbstractDataset, DatasetError

from data_collection_kedro.datasets._store_common import arrow_to_frame
from data_collection_kedro.datasets.duckdb_table import (
    INGESTED_AT,
    SOURCE_FILE_COLUMN,
    SOURCE_LINE_COLUMN,
    connect,
    quote,
    table_columns,
)
from data_collection_kedro.domain.fusion_window import DIGEST_COLUMNS, RAW_TABLES, UPDATED_AT

BOOKKEEPING = {INGESTED_AT, UPDATED_AT, SOURCE_FILE_COLUMN, SOURCE_LINE_COLUMN}


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
            for table, spec in sorted(RAW_TABLES.items()):
                columns = table_columns(con, table)
                if not columns:
                    continue
                day = (
                    f"CAST({quote(spec.day_column)} AS DATE)"
                    if spec.day_column in columns
                    else "CAST(NULL AS DATE)"
                )
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
