"""Model-usage monitoring and user feedback (docs/data-contracts.md §6).

Every application that serves a model (the Streamlit dashboard, the usage API, ...) logs one
``model_monitoring`` row per prediction call — successful or failed — with its response time,
CPU and memory use, and stores user ratings in ``user_feedback``. Both tables live in the
project's store: DuckDB by default, Elasticsearch (monitoring, for Kibana) / MongoDB in
production, through the dataset classes of :mod:`data_collection_kedro.datasets`.
"""

from data_collection_kedro.monitoring.feedback import (
    FeedbackValidationError,
    feedback_csv,
    spreadsheet_safe,
    spreadsheet_safe_frame,
    validate_feedback,
)
from data_collection_kedro.monitoring.records import PredictionHandle, PredictionMonitor
from data_collection_kedro.monitoring.store import (
    FEEDBACK_COLUMNS,
    MONITORING_COLUMNS,
    MonitoringStore,
    StoreUnavailableError,
)
from data_collection_kedro.monitoring.summary import summarize_predictions

__all__ = [
    "FEEDBACK_COLUMNS",
    "MONITORING_COLUMNS",
    "FeedbackValidationError",
    "MonitoringStore",
    "PredictionHandle",
    "PredictionMonitor",
    "StoreUnavailableError",
    "feedback_csv",
    "spreadsheet_safe",
    "spreadsheet_safe_frame",
    "summarize_predictions",
    "validate_feedback",
]
