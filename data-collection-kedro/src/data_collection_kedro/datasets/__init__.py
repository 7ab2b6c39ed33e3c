"""Kedro datasets of the project's stores: node code never knows the backend.

- ``DuckDBTableDataset`` / ``DuckDBQueryDataset``: the embedded store (one DuckDB file).
- ``MongoCollectionDataset``: the production raw store.
- ``ElasticsearchIndexDataset``: the production index store (versioned indices behind an alias).
- ``DeclaredSourceDataset`` / ``DeclaredTableDataset``: the catalog factories of the ETL's
  source, raw-table and quarantine entries, filled in from the source registry.
- ``ModelArtifactDataset``: a trained model as files that run no code when loaded (no pickle).
- ``StoredModelDataset``: the model a previous run stored (load only, None when absent): the
  input of the retraining policy.
"""

from data_collection_kedro.datasets._store_common import SaveResult
from data_collection_kedro.datasets.declared_source import DeclaredSourceDataset
from data_collection_kedro.datasets.declared_table import DeclaredTableDataset
from data_collection_kedro.datasets.duckdb_table import DuckDBQueryDataset, DuckDBTableDataset
from data_collection_kedro.datasets.elasticsearch import ElasticsearchIndexDataset
from data_collection_kedro.datasets.model_artifact import ModelArtifactDataset
from data_collection_kedro.datasets.mongo import MongoCollectionDataset
from data_collection_kedro.datasets.stored_model import StoredModelDataset

__all__ = [
    "DeclaredSourceDataset",
    "DeclaredTableDataset",
    "DuckDBQueryDataset",
    "DuckDBTableDataset",
    "ElasticsearchIndexDataset",
    "ModelArtifactDataset",
    "MongoCollectionDataset",
    "SaveResult",
    "StoredModelDataset",
]
