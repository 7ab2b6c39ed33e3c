"""Project hooks, registered in ``settings.py``.

The implementations live next to the code they serve; they share the state of a run through
one :class:`~data_collection_kedro.run_context.RunRegistry` (``settings.RUNS``), never through
each other's module globals and never by relying on the order Kedro calls them in:

- :class:`CarbonTrackingHook` (``data_collection_kedro.carbon.hook``): one CodeCarbon
  tracker per pipeline run, a task per node, per-pipeline and per-node emissions files;
  publishes each node's measurement and the run's energy to the run state;
- :class:`MlflowTrackingHook` (``data_collection_kedro.tracking.mlflow_hook``): a parent
  MLflow run per pipeline run, a child run per model, the training nodes' energy from the
  run state;
- :class:`RunSummaryHook` (``data_collection_kedro.run_summary``): the dataset saves of the
  run (rows written, inserted, quarantined) and its energy, as a run-summary file;
- :class:`LogRedactionHook`: credentials of URIs masked in every log record
  (:mod:`data_collection_kedro.redaction`), once Kedro has configured logging;
- :class:`IngestionReportHook` (``data_collection_kedro.ingestion_status``): a run
  in which a source could not be ingested ends with an error naming each failed source (after
  the healthy sources and the rest of the run);
- :class:`StoreConnectionHook`: during a run, the embedded store's file stays open between
  the saves of a node (at most ``duckdb_store.keep_open_s`` without a save, parameters.yml)
  instead of being opened and checkpointed by every save; released with the node's last output.
"""

from typing import Any

from kedro.framework.hooks import hook_impl

from data_collection_kedro.carbon.hook import CarbonTrackingHook
from data_collection_kedro.datasets.duckdb_table import keep_open, release_held
from data_collection_kedro.ingestion_status import IngestionReportHook
from data_collection_kedro.redaction import install_log_redaction
from data_collection_kedro.run_context import RunRegistry
from data_collection_kedro.run_summary import RunSummaryHook
from data_collection_kedro.tracking.mlflow_hook import MlflowTrackingHook

__all__ = [
    "CarbonTrackingHook",
    "IngestionReportHook",
    "LogRedactionHook",
    "MlflowTrackingHook",
    "RunRegistry",
    "RunSummaryHook",
    "StoreConnectionHook",
]


class LogRedactionHook:
    """Masks the credentials of URIs in every log record (a filter on every log handler)."""

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        install_log_redaction()


class StoreConnectionHook:
    """Keeps the embedded store's file open between the saves of a node
    (:func:`~data_collection_kedro.datasets.duckdb_table.keep_open`): opening it and
    checkpointing it at close cost more than a small save (a source skipped by an incremental
    run writes four tables). The file is released once the node's last output is saved (its
    checkpoint is the node's work, measured with it), after ``keep_open_s`` seconds without a
    save (a node reading a large source between its saves), and at the end of the run: other
    processes (the dashboard) get it between nodes."""

    def __init__(self) -> None:
        self._seconds = 0.0
        self._runs = 0

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        try:
            store = context.params.get("duckdb_store") or {}
            self._seconds = max(0.0, float(store.get("keep_open_s", 0.0)))
        except (TypeError, ValueError, AttributeError):
            self._seconds = 0.0

    @hook_impl
    def before_pipeline_run(self) -> None:
        self._runs += 1
        if self._runs == 1:
            keep_open(self._seconds)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, node: Any) -> None:
        outputs = list(getattr(node, "outputs", None) or [])
        if outputs and dataset_name == outputs[-1]:
            release_held()

    @hook_impl
    def after_pipeline_run(self) -> None:
        self._end_run()

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._end_run()

    def _end_run(self) -> None:
        self._runs = max(0, self._runs - 1)
        if not self._runs:
            keep_open(0.0)
