"""One ``model_monitoring`` row per prediction call, measured around the call."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    from data_collection_kedro.monitoring.store import MonitoringStore

logger = logging.getLogger(__name__)

STATUS_SUCCESS = "success"
STATUS_ERROR = "error"
# error messages are stored, not displayed in full: keep the row small and Kibana-friendly
MAX_ERROR_MESSAGE_CHARS = 2000


@dataclass
class PredictionHandle:
    """What the caller learns during the call (model version once loaded, rows predicted)."""

    model_version: str | None = None
    n_predictions: int = 0


def new_id() -> str:
    """A unique row id (``prediction_id`` / ``feedback_id``)."""
    return uuid.uuid4().hex


class PredictionMonitor:
    """Measure prediction calls and log them to the ``model_monitoring`` table.

    >>> monitor = PredictionMonitor(store, application="dashboard")
    >>> with monitor.track(page="Prédiction météo", model_name="m") as handle:
    ...     handle.model_version = "3"
    ...     handle.n_predictions = len(model.predict(frame))

    An exception raised inside the block is logged as a failed prediction (``status='error'``,
    its type and message) and re-raised. A failure of the store itself never breaks the
    prediction: it is logged as a warning.
    """

    def __init__(self, store: MonitoringStore, application: str) -> None:
        self.store = store
        self.application = application
        self._process = psutil.Process()

    @contextmanager
    def track(
        self, page: str, model_name: str, model_version: str | None = None
    ) -> Iterator[PredictionHandle]:
        handle = PredictionHandle(model_version=model_version)
        cpu_before = self._process.cpu_times()
        started = time.perf_counter()
        try:
            yield handle
        except Exception as exc:
            self._log(page, model_name, handle, started, cpu_before, exc)
            raise
        self._log(page, model_name, handle, started, cpu_before, None)

    def _log(
        self,
        page: str,
        model_name: str,
        handle: PredictionHandle,
        started: float,
        cpu_before: Any,
        error: BaseException | None,
    ) -> None:
        elapsed_s = time.perf_counter() - started
        cpu_after = self._process.cpu_times()
        cpu_s = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
        row = {
            "prediction_id": new_id(),
            "logged_at": datetime.now(UTC),
            "application": self.application,
            "page": page,
            "model_name": model_name,
            "model_version": handle.model_version,
            "n_predictions": int(handle.n_predictions) if error is None else 0,
            "response_time_ms": round(elapsed_s * 1000.0, 3),
            # CPU time of this process during the call over wall time (100 = one full core)
            "cpu_percent": round(100.0 * cpu_s / elapsed_s, 1) if elapsed_s > 0 else 0.0,
            "memory_mb": round(self._process.memory_info().rss / 2**20, 1),
            "status": STATUS_SUCCESS if error is None else STATUS_ERROR,
            "error_type": None if error is None else type(error).__name__,
            "error_message": None if error is None else str(error)[:MAX_ERROR_MESSAGE_CHARS],
        }
        try:
            self.store.log_prediction(row)
        except Exception:  # monitoring must never break the prediction it measures
            logger.warning(
                "could not log prediction of %s to model_monitoring", model_name, exc_info=True
            )
