"""Catalog factories ``raw_{name}`` and ``quarantine_{name}``: a declared raw table in a store.

The store (DuckDB table, MongoDB collection) and its settings are the environment's; the table
name, natural key and indexes come from the source registry::

    "raw_{name}":
      type: data_collection_kedro.datasets.DeclaredTableDataset
      name: raw_{name}
      store: data_collection_kedro.datasets.DuckDBTableDataset
      database: ${globals:duckdb_path}
      batch_size: 50000

Every ``quarantine_<source>`` is the ``raw_quarantine`` table. Constructing it returns the store
dataset itself, so the catalog and hooks see a ``DuckDBTableDataset`` (its ``last_result``...).
"""

from __future__ import annotations

import inspect
from typing import Any

from kedro.io import AbstractDataset

from data_collection_kedro.domain.fusion_window import RAW_TABLES
from data_collection_kedro.sources import registry
from data_collection_kedro.sources.registry import INGESTED_FILES, INGESTION_STATUS, QUARANTINE


class DeclaredTableDataset(AbstractDataset[Any, Any]):
    """The store dataset of a declared raw table.

    Args:
        name: the catalog name (``raw_<table>``, an output alias, ``quarantine_<source>``).
        store: the store dataset class path; it takes the table as ``table`` (DuckDB) or
            ``collection`` (MongoDB), ``key`` and, if it has them, ``indexes`` and
            ``day_column`` (the column the fusion selects days on, ``RAW_TABLES``).
        **settings: the store's other arguments (``database``, ``uri``, ``batch_size``,
            ``credentials``...).
    """

    def __new__(  # type: ignore[misc]
        cls, name: str, store: str, **settings: Any
    ) -> AbstractDataset:
        table = registry.load().table(name)
        store_class = registry.resolve(store)
        accepted = inspect.signature(store_class).parameters
        args = dict(settings)
        args["collection" if "collection" in accepted else "table"] = table.name
        args["key"] = list(table.key)
        if table.indexes and "indexes" in accepted:
            args["indexes"] = [list(index) for index in table.indexes]
        fusion_read = RAW_TABLES.get(table.name)
        if fusion_read is not None and fusion_read.day_column and "day_column" in accepted:
            args["day_column"] = fusion_read.day_column  # indexed where the store needs it
        if table.first_seen and "insert_only_columns" in accepted:
            args["insert_only_columns"] = ["_ingested_at", *table.first_seen]
        bookkeeping = (QUARANTINE.name, INGESTION_STATUS.name, INGESTED_FILES.name)
        if "precedence" in accepted and table.name not in bookkeeping:
            args["precedence"] = list(table.precedence)
        dataset: AbstractDataset = store_class(**args)
        return dataset
