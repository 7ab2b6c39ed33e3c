"""The ``model_monitoring`` and ``user_feedback`` tables, behind the project's store datasets.

The store is whatever the configuration declares: by default the embedded DuckDB store
(``DuckDBTableDataset`` on ``${globals:duckdb_path}``), in production an Elasticsearch index
(monitoring, for Kibana dashboards) and a MongoDB collection (feedback). See
``conf/base/parameters_dashboard.yml`` (``dashboard.store``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset

from data_collection_kedro.domain.contracts import MODEL_MONITORING, USER_FEEDBACK
from data_collection_kedro.redaction import redact

MONITORING_TABLE = MODEL_MONITORING.name
FEEDBACK_TABLE = USER_FEEDBACK.name
MONITORING_COLUMNS = tuple(MODEL_MONITORING.columns)
FEEDBACK_COLUMNS = tuple(USER_FEEDBACK.columns)


class StoreUnavailableError(RuntimeError):
    """The monitoring store cannot be read or written (message names the table and the cause)."""


class MonitoringStore:
    """Append and read ``model_monitoring`` / ``user_feedback`` rows."""

    def __init__(self, monitoring: AbstractDataset, feedback: AbstractDataset) -> None:
        self._datasets = {MONITORING_TABLE: monitoring, FEEDBACK_TABLE: feedback}

    @classmethod
    def from_config(cls, config: Mapping[str, Mapping[str, Any]]) -> MonitoringStore:
        """Build from Kedro dataset definitions keyed by table name (catalog syntax)."""
        datasets = {}
        for table in (MONITORING_TABLE, FEEDBACK_TABLE):
            if table not in config:
                raise StoreUnavailableError(f"no dataset configured for table {table!r}")
            datasets[table] = AbstractDataset.from_config(table, dict(config[table]))
        return cls(datasets[MONITORING_TABLE], datasets[FEEDBACK_TABLE])

    def log_prediction(self, row: Mapping[str, Any]) -> None:
        self._append(MONITORING_TABLE, [row], MONITORING_COLUMNS)

    def submit_feedback(self, row: Mapping[str, Any]) -> None:
        self._append(FEEDBACK_TABLE, [row], FEEDBACK_COLUMNS)

    def predictions(self) -> pd.DataFrame:
        return self._load(MONITORING_TABLE, MONITORING_COLUMNS)

    def feedback(self) -> pd.DataFrame:
        return self._load(FEEDBACK_TABLE, FEEDBACK_COLUMNS)

    def _append(self, table: str, rows: list[Mapping[str, Any]], columns: tuple[str, ...]) -> None:
        frame = pd.DataFrame([{column: row.get(column) for column in columns} for row in rows])
        frame = frame.astype({c: "object" for c in columns if frame[c].isna().all()})
        try:
            self._datasets[table].save(frame)
        except Exception as exc:
            raise StoreUnavailableError(f"cannot write to {table}: {redact(exc)}") from exc

    def _load(self, table: str, columns: tuple[str, ...]) -> pd.DataFrame:
        dataset = self._datasets[table]
        try:
            if not dataset.exists():
                return pd.DataFrame(columns=list(columns))
            frame = dataset.load()
        except Exception as exc:
            raise StoreUnavailableError(f"cannot read {table}: {redact(exc)}") from exc
        return frame.reindex(columns=list(columns))
