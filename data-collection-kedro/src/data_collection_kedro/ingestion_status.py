"""What one source's ingestion did, and the run's verdict when sources failed.

Each ETL node keeps an :class:`IngestionRun` and writes it as its row of ``ingestion_status``
(``ok``, ``warning`` or ``failed``, with the error, the files and row counts). A source that
cannot be read (:class:`~data_collection_kedro.sources.errors.SourceError`) does not stop the
run: its node records the failure (status row and a quarantine row naming the file and the
reason) and yields empty tables, the other sources are ingested, and
:class:`IngestionReportHook` ends the run with an :class:`IngestionFailedError` naming every
failed source and why — for any selection of nodes (a whole run, ``--tags fuel``, the single
node an Airflow task runs), once every selected node has run.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from kedro.framework.hooks import hook_impl

from data_collection_kedro.datasets.source_files import (
    SOURCE_FILE,
    SOURCE_FILES_ATTR,
    WARNINGS_ATTR,
)
from data_collection_kedro.run_context import RunRegistry, run_key
from data_collection_kedro.sources.registry import INGESTION_STATUS, Source
from data_collection_kedro.validation import empty_quarantine

logger = logging.getLogger(__name__)

STATUS_PREFIX = "ingestion_status_"


class IngestionFailedError(RuntimeError):
    """One or more sources could not be ingested (the others were)."""


@dataclass
class IngestionRun:
    """The progress of one source's ingestion in one run."""

    source: Source
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    files: dict[str, None] = field(default_factory=dict)  # ordered set
    warnings: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_stored: int = 0
    rows_quarantined: int = 0
    error: str | None = None
    batches: int = 0
    plans: list[Any] = field(default_factory=list)  # batches the store validates (SqlIngest)

    def record(
        self, frame: pd.DataFrame, tables: Sequence[pd.DataFrame], quarantine: pd.DataFrame
    ) -> None:
        """Count one validated source frame."""
        self.batches += 1
        self.rows_read += len(frame)
        self.rows_stored += sum(len(t) for t in tables)
        self.rows_quarantined += len(quarantine)
        names = list((frame.attrs.get(SOURCE_FILES_ATTR) or {}).keys())
        if not names and SOURCE_FILE in frame and len(frame):
            names = [str(n) for n in frame[SOURCE_FILE].unique()[:20]]
        self.files.update(dict.fromkeys(names))
        self.warnings.extend(frame.attrs.get(WARNINGS_ATTR) or [])

    def record_plan(self, plan: Any, name: str) -> None:
        """Count a batch the store validates: its counts are read when the status is saved."""
        self.batches += 1
        self.plans.append(plan)
        self.files[name] = None

    def totals(self) -> tuple[int, int, int]:
        """Rows read, stored and quarantined so far (the executed plans included)."""
        return (
            self.rows_read + sum(p.rows_read for p in self.plans),
            self.rows_stored + sum(p.rows_stored for p in self.plans),
            self.rows_quarantined + sum(p.rows_quarantined for p in self.plans),
        )

    def deferred(self) -> DeferredStatus:
        """The status row, computed when it is saved (after the batch's own saves)."""
        return DeferredStatus(self)

    def fail(self, error: Exception) -> None:
        self.error = f"{type(error).__name__}: {error}"
        logger.error(
            "%s: source not ingested (the other sources go on): %s", self.source.name, self.error
        )

    @property
    def status(self) -> str:
        if self.error:
            return "failed"
        return "warning" if self.warnings else "ok"

    def frame(self) -> pd.DataFrame:
        """This run as its ``ingestion_status`` row."""
        rows_read, rows_stored, rows_quarantined = self.totals()
        row = {
            "source": self.source.name,
            "status": self.status,
            "error": self.error,
            "warnings": json.dumps(self.warnings, ensure_ascii=False) if self.warnings else None,
            "files": json.dumps(list(self.files), ensure_ascii=False),
            "rows_read": rows_read,
            "rows_stored": rows_stored,
            "rows_quarantined": rows_quarantined,
            "started_at": pd.Timestamp(self.started_at),
            "finished_at": pd.Timestamp(datetime.now(UTC)),
        }
        frame = pd.DataFrame([row], columns=[c.name for c in INGESTION_STATUS.columns])
        return frame.astype(
            {
                "source": "str",
                "status": "str",
                "error": "str",
                "warnings": "str",
                "files": "str",
                "rows_read": "int64",
                "rows_stored": "int64",
                "rows_quarantined": "int64",
            }
        )

    def failure_quarantine(self, where: str) -> pd.DataFrame:
        """The quarantine row recording the failure (``source_line`` 0: the whole source)."""
        row = {
            "source": self.source.label,
            "source_file": where,
            "source_line": 0,
            "field": "*",
            "reason": f"source not ingested: {self.error}",
            "value": None,
            "expected": None,
            "record": "{}",
            "quarantined_at": pd.Timestamp(datetime.now(UTC)),
        }
        return pd.DataFrame([row]).astype(empty_quarantine().dtypes.to_dict())


@dataclass
class DeferredStatus:
    """An :class:`IngestionRun`'s status row, resolved by the store when saved."""

    run: IngestionRun

    def resolve_frame(self) -> pd.DataFrame:
        return self.run.frame()


def failure_summary(statuses: Sequence[dict[str, Any]]) -> str:
    """``"2 source(s) not ingested: a (SourceFileError: …); b (…)"``, or ``""``."""
    failed = [s for s in statuses if s.get("status") == "failed"]
    if not failed:
        return ""
    reasons = "; ".join(f"{s['source']} ({s.get('error')})" for s in failed)
    healthy = len(statuses) - len(failed)
    return (
        f"{len(failed)} source(s) not ingested: {reasons}. {healthy} other source(s) of this "
        "run ingested; see the ingestion_status table and raw_quarantine"
    )


class IngestionReportHook:
    """Ends a run with :class:`IngestionFailedError` when a source failed (after every node).

    It reads the ``ingestion_status_<source>`` rows the ETL nodes save, per run (the shared
    :class:`~data_collection_kedro.run_context.RunRegistry` routes a save to its run). Its
    ``after_pipeline_run`` is marked ``trylast``, the one ordering it asks of Kedro's hook
    manager: the other hooks close their run (carbon, MLflow, run summary) before it raises.
    """

    def __init__(self, runs: RunRegistry | None = None) -> None:
        self.runs = runs if runs is not None else RunRegistry()
        self._lock = threading.Lock()
        self._statuses: dict[str, dict[str, dict[str, Any]]] = {}

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any) -> None:
        self.runs.begin(run_params, pipeline)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Any) -> None:
        if isinstance(data, DeferredStatus):
            data = data.resolve_frame()
        if not dataset_name.startswith(STATUS_PREFIX) or not isinstance(data, pd.DataFrame):
            return
        record = self.runs.run_of_node(node)
        if record is None:
            return
        with self._lock:
            statuses = self._statuses.setdefault(record.run_id, {})
            for row in data.to_dict("records"):
                statuses[str(row["source"])] = {str(k): v for k, v in row.items()}

    def _summary(self, run_params: dict[str, Any]) -> str:
        with self._lock:
            statuses = self._statuses.pop(run_key(run_params), {})
        return failure_summary(list(statuses.values()))

    @hook_impl(trylast=True)
    def after_pipeline_run(self, run_params: dict[str, Any]) -> None:
        summary = self._summary(run_params)
        if summary:
            logger.error("ingestion: %s", summary)
            raise IngestionFailedError(summary)

    @hook_impl
    def on_pipeline_error(self, error: Exception, run_params: dict[str, Any]) -> None:
        summary = self._summary(run_params)
        if summary:
            logger.error("ingestion (run stopped by %s): %s", type(error).__name__, summary)
