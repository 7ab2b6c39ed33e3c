"""Project hooks, registered in ``settings.py``.

The implementations live next to the code they serve:
- :class:`CarbonTrackingHook` (``data_collection_kedro.carbon.hook``): one CodeCarbon
  tracker per pipeline run, a task per node, per-pipeline and per-node emissions files;
- :class:`MlflowTrackingHook` (``data_collection_kedro.tracking.mlflow_hook``): a parent
  MLflow run per pipeline run, a child run per model.
"""

from data_collection_kedro.carbon.hook import CarbonTrackingHook
from data_collection_kedro.tracking.mlflow_hook import MlflowTrackingHook

__all__ = ["CarbonTrackingHook", "MlflowTrackingHook"]
