"""The tracking process's side (see :mod:`.process`): replays the run's hook calls with
:class:`~data_collection_kedro.tracking.mlflow_hook.MlflowTrackingHook` and answers ``sync``
and ``finish``. Run as ``python -m data_collection_kedro.tracking.child`` by
:class:`~data_collection_kedro.tracking.process.TrackingProcess`."""

from __future__ import annotations

import logging
import os
import pickle
import sys
import traceback
from types import SimpleNamespace
from typing import IO

from data_collection_kedro.run_context import RunRegistry
from data_collection_kedro.tracking import mlflow_hook


class _Collect(logging.Handler):
    """Keeps the child's log records, made picklable (message formatted, no arguments)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg = record.getMessage()
        record.args = None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        records, self.records = self.records, []
        return records


class _ReportedError(Exception):
    """The run's error as the run process described it (its ``repr``)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    collect = _Collect()
    root = logging.getLogger()
    root.addHandler(collect)
    root.setLevel(logging.INFO)
    mlflow_hook.import_mlflow()  # while the run's first nodes work
    runs = RunRegistry()
    runs.declare_energy_source()  # the run process sends the energy once settled
    hook = mlflow_hook.MlflowTrackingHook(runs, tracking_process=False)
    error: str | None = None

    def reply() -> None:
        pickle.dump(
            {
                "error": error,
                "records": collect.take(),
                "registered_versions": dict(hook.registered_versions),
            },
            stdout,
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        stdout.flush()

    while True:
        try:
            kind, args = pickle.load(stdin)
        except EOFError:  # the run process is gone
            return
        if kind in ("sync", "finish"):
            reply()
            if kind == "finish":
                return
            continue
        if error is not None:
            continue  # after a failure: skip the rest, the reply reports it
        try:
            if kind == "configure":
                project_path, config = args
                hook.after_context_created(
                    SimpleNamespace(project_path=project_path, params={"mlflow": config})
                )
            elif kind == "before_pipeline_run":
                hook.before_pipeline_run(run_params=args[0], pipeline=None, catalog=None)
            elif kind == "after_node_run":
                node_name, outputs = args
                hook.after_node_run(node=SimpleNamespace(name=node_name), outputs=outputs)
            elif kind == "after_pipeline_run":
                hook.after_pipeline_run(run_params=args[0])
            elif kind == "on_pipeline_error":
                text, run_params = args
                hook.on_pipeline_error(error=_ReportedError(text), run_params=run_params)
            elif kind == "energy":
                key, measurements, energy = args
                record = runs.run(key)
                for row in measurements:
                    record.add_node_measurement(row)
                record.settle_energy(energy)
            else:
                raise ValueError(f"unknown message {kind!r}")
        except Exception:
            error = traceback.format_exc()


def main() -> None:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print never corrupts the replies
    _serve(stdin, stdout)
    sys.stderr.flush()
    # every MLflow call has committed; the interpreter's teardown (a second for MLflow's and
    # SQLAlchemy's modules) would only delay the run that waits for this exit
    os._exit(0)


if __name__ == "__main__":
    main()
