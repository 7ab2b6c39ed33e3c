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
  run (rows written, inserted, quarantined) and its energy, as a run-summary file.
"""

from data_collection_kedro.carbon.hook import CarbonTrackingHook
from data_collection_kedro.run_context import RunRegistry
from data_collection_kedro.run_summary import RunSummaryHook
from data_collection_kedro.tracking.mlflow_hook import MlflowTrackingHook

__all__ = ["CarbonTrackingHook", "MlflowTrackingHook", "RunRegistry", "RunSummaryHook"]
