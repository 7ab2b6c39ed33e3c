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
  the healthy sources and the rest of the run).
"""

from typing import Any

from kedro.framework.hooks import hook_impl

from data_collection_kedro.carbon.hook import CarbonTrackingHook
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
]


class LogRedactionHook:
    """Masks the credentials of URIs in every log record (a filter on every log handler)."""

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        install_log_redaction()
