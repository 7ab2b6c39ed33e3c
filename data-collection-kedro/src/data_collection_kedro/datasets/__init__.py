"""Kedro datasets of the project's stores: node code never knows the backend.

- ``DuckDBTableDataset`` / ``DuckDBQueryDataset``: the embedded store (one DuckDB file).
- ``MongoCollectionDataset``: the production raw store.
- ``ElasticsearchIndexDataset``: the production index store (versioned indices behind an alias).
- ``DeclaredSourceDataset`` / ``DeclaredTableDataset``: the catalog factories of the ETL's
  source, raw-table and quarantine entries, filled in from the source registry.
- ``RawRowsDataset``: a raw table as the fusion reads it (``raw_{table}_rows``): the rows of
  the days a node recomputes, read when the node asks.
- ``RawTablesDigestDataset``: rows, newest ``_updated_at`` and a digest of the values per raw
  table and day (what the incremental fusion compares with its state);
  ``MongoRawTablesDigestDataset``: the same of the MongoDB raw store.
- ``ModelArtifactDataset``: a trained model as files that run no code when loaded (no pickle).
- ``StoredModelDataset``: the model a previous run stored (load only, None when absent): the
  input of the retraining policy.

Each class is imported when first named (``data_collection_kedro.datasets.X``, as the catalog
does): a run on the embedded store does not import the Elasticsearch and MongoDB clients.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from data_collection_kedro.datasets._store_common import SaveResult
    from data_collection_kedro.datasets.declared_source import DeclaredSourceDataset
    from data_collection_kedro.datasets.declared_table import DeclaredTableDataset
    from data_collection_kedro.datasets.duckdb_table import (
        DuckDBQueryDataset,
        DuckDBTableDataset,
    )
    from data_collection_kedro.datasets.elasticsearch import ElasticsearchIndexDataset
    from data_collection_kedro.datasets.model_artifact import ModelArtifactDataset
    from data_collection_kedro.datasets.mongo import MongoCollectionDataset
    from data_collection_kedro.datasets.mongo_raw_digest import MongoRawTablesDigestDataset
    from data_collection_kedro.datasets.raw_digest import RawTablesDigestDataset
    from data_collection_kedro.datasets.raw_rows import RawRowsDataset
    from data_collection_kedro.datasets.stored_model import StoredModelDataset

_MODULE_OF = {
    "SaveResult": "_store_common",
    "DeclaredSourceDataset": "declared_source",
    "DeclaredTableDataset": "declared_table",
    "DuckDBQueryDataset": "duckdb_table",
    "DuckDBTableDataset": "duckdb_table",
    "ElasticsearchIndexDataset": "elasticsearch",
    "ModelArtifactDataset": "model_artifact",
    "MongoCollectionDataset": "mongo",
    "MongoRawTablesDigestDataset": "mongo_raw_digest",
    "RawRowsDataset": "raw_rows",
    "RawTablesDigestDataset": "raw_digest",
    "StoredModelDataset": "stored_model",
}

__all__ = [
    "DeclaredSourceDataset",
    "DeclaredTableDataset",
    "DuckDBQueryDataset",
    "DuckDBTableDataset",
    "ElasticsearchIndexDataset",
    "ModelArtifactDataset",
    "MongoCollectionDataset",
    "MongoRawTablesDigestDataset",
    "RawRowsDataset",
    "RawTablesDigestDataset",
    "SaveResult",
    "StoredModelDataset",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
