"""A Kedro run inside an Airflow task writes nothing to stderr and logs at each message's level.

Airflow's task supervisor logs every line a task writes to stderr as an ERROR (its in-process
``dag.test()`` does not, which is why this is checked here at the file-descriptor level):
the runner must route Kedro's, CodeCarbon's and MLflow's messages and Python warnings to the
task's log handlers instead. The run is the clustering pipeline on a small synthetic index:
it measures its carbon (CodeCarbon), registers a model in MLflow (whose registration notice
MLflow prints to stderr) and logs through Kedro.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

from tests.support.synthetic_indices import store_meteo_consommation


class Records(logging.Handler):
    """Stands in for Airflow's task log handler on the root logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_run_in_a_task_keeps_levels_and_leaves_stderr_empty(
    data_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from energiewatch_airflow.kedro_runner import run_kedro, task_logging

    store_meteo_consommation(data_dir)
    root = logging.getLogger()
    task_handler = Records()
    root.addHandler(task_handler)
    level = root.level
    root.setLevel(logging.INFO)
    capfd.readouterr()
    try:
        result = run_kedro("clustering", env="base")
        with warnings.catch_warnings():  # pytest records warnings itself: let one through
            warnings.simplefilter("always")
            with task_logging():
                warnings.warn("a library notice", UserWarning, stacklevel=1)
    finally:
        root.removeHandler(task_handler)
        root.setLevel(level)
    stderr = capfd.readouterr().err
    assert stderr == "", stderr[-3000:]
    assert result["pipeline"] == "clustering"

    records = task_handler.records
    messages = [(r.name, r.levelno, r.getMessage()) for r in records]
    errors = [m for m in messages if m[1] >= logging.ERROR]
    assert errors == [], errors
    # MLflow's notice about the (deliberately) cloudpickled models is filtered where it is logged
    assert not any("pickle or cloudpickle" in msg for _, _, msg in messages)
    # Kedro's progress reached the task's handler at INFO
    assert any(name.startswith("kedro") and "Completed node" in msg for name, _, msg in messages)
    # MLflow's registration notice (printed to stderr by MLflow) is an INFO line of the task
    assert any(
        name == "energiewatch.task.stderr" and lvl == logging.INFO and "model" in msg
        for name, lvl, msg in messages
    ), [m for m in messages if "regist" in m[2].lower()]
    # a Python warning is a WARNING record, not stderr text
    assert any(
        name == "py.warnings" and lvl == logging.WARNING and "a library notice" in msg
        for name, lvl, msg in messages
    )
    # everything is as before the run: warnings are no longer routed to logging
    assert warnings.showwarning is not logging._showwarning  # type: ignore[attr-defined]
