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
- :class:`StoreConnectionHook`: during a run, the embedded store's file is opened once and
  kept open until the run ends (``duckdb_store.keep_open: run``, parameters.yml) instead of
  being opened and checkpointed by every load and save.
"""

import logging
from typing import Any

from kedro.framework.hooks import hook_impl

from data_collection_kedro.carbon.hook import CarbonTrackingHook
from data_collection_kedro.datasets.duckdb_table import hold_for_run, keep_open, release_held
from data_collection_kedro.ingestion_status import IngestionReportHook
from data_collection_kedro.redaction import install_log_redaction
from data_collection_kedro.run_context import RunRegistry
from data_collection_kedro.run_summary import RunSummaryHook
from data_collection_kedro.tracking.mlflow_hook import MlflowTrackingHook

logger = logging.getLogger(__name__)

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
    """Keeps the embedded store's file open during a run (``duckdb_store.keep_open``): opening
    it and checkpointing it at close cost more than a small load or save (a default re-run
    loads and saves about a hundred times).

    - ``run`` (default): the run's process opens each store file at its first load or save
      and keeps it until the run ends or fails (:func:`~data_collection_kedro.datasets.
      duckdb_table.hold_for_run`); other processes (the dashboard) get it when the run ends;
    - ``node``: the file stays open between the saves of a node, released with the node's
      last output (its checkpoint measured with the node), after ``keep_open_s`` seconds
      without a save, and at the end of the run (:func:`~data_collection_kedro.datasets.
      duckdb_table.keep_open`); other processes get it between nodes;
    - ``off``: opened and closed by every load and save.
    """

    MODES = ("run", "node", "off")

    def __init__(self) -> None:
        self._mode = "run"
        self._seconds = 0.0
        self._runs = 0

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        try:
            store = context.params.get("duckdb_store") or {}
            mode = str(store.get("keep_open", "run"))
            self._seconds = max(0.0, float(store.get("keep_open_s", 0.0)))
        except (TypeError, ValueError, AttributeError):
            mode, self._seconds = "off", 0.0
        if mode not in self.MODES:
            logger.warning(
                "parameters duckdb_store.keep_open: expected one of %s, got %r; the store is "
                "opened by every load and save",
                self.MODES,
                mode,
            )
            mode = "off"
        self._mode = mode

    @hook_impl
    def before_pipeline_run(self) -> None:
        self._runs += 1
        if self._runs > 1:
            return  # a nested run shares the outer run's choice
        if self._mode == "run":
            hold_for_run(True)
        elif self._mode == "node":
            keep_open(self._seconds)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, node: Any) -> None:
        if self._mode != "node":
            return
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
            hold_for_run(False)
            keep_open(0.0)
