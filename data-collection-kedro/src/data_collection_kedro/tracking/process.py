"""MLflow tracking in a child process, beside the pipeline run.

Importing MLflow's client and stores takes seconds of CPU, and every MLflow call of a run is a
few SQLite transactions: in the Kedro process they compete with the nodes for the interpreter
(one thread runs Python at a time). A run with model nodes therefore hands its tracking to a
child Python process started at ``before_pipeline_run``: it imports MLflow while the first
nodes work, on another core, and replays the hook calls it is sent with the project's own
:class:`~data_collection_kedro.tracking.mlflow_hook.MlflowTrackingHook` (the same code as in
process; ``mlflow.tracking_process: false`` keeps it there).

Protocol (this module and :mod:`.child`, same interpreter and package): pickled ``(kind, args)``
messages on the child's stdin, written by a thread so a node never waits for the child; one
pickled reply on its stdout per ``sync`` or ``finish`` message: ``{"error": traceback text or
None, "records": log records, "registered_versions": {...}}``. After a failed message the child
skips the rest and reports the first failure. The child exits when its stdin closes, so it
never outlives the run's process. Its log records are handed back and emitted by the run's
own loggers (the project's logging configuration and redaction apply); what it prints to its
standard error (MLflow's own console messages) is written, line by line, to the run process's
``sys.stderr`` (where a task runner may route it to its log), as in process.

The run process waits for the child where the hook used to do the work: ``after_pipeline_run``
waits until every message so far is done (a tracking failure fails the run, as in process);
the carbon metrics, sent once the run's energy is settled, end the child. In ``tracking_mode:
process`` CodeCarbon measures the run's process only: the child's share is not counted
(``machine``, the default, counts it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: seconds ``sync``/``finish`` wait for the child's reply (``mlflow.tracking_process_timeout_s``)
DEFAULT_TIMEOUT_S = 600.0
_CLOSED = object()  # end of the writer's queue
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding data_collection_kedro
#: the child's entry point (:mod:`.child`)
CHILD_MODULE = "data_collection_kedro.tracking.child"


class TrackingProcessError(RuntimeError):
    """The tracking process failed, died or did not answer in time."""


class TrackingProcess:
    """The run-side end: start the child, send it messages, wait for its replies."""

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.timeout_s = float(timeout_s)
        env = dict(os.environ)
        # the child imports this package as the run does (an installed package, or the
        # project's src folder Kedro put on sys.path)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(_PACKAGE_ROOT), *filter(None, [env.get("PYTHONPATH")])]
        )
        self._process = subprocess.Popen(
            [sys.executable, "-m", CHILD_MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self._outbox: queue.Queue[Any] = queue.Queue()
        self._replies: queue.Queue[Any] = queue.Queue()
        self._writer = threading.Thread(
            target=self._write, name="mlflow-tracking-writer", daemon=True
        )
        self._reader = threading.Thread(
            target=self._read, name="mlflow-tracking-reader", daemon=True
        )
        self._relay = threading.Thread(
            target=self._relay_stderr, name="mlflow-tracking-stderr", daemon=True
        )
        self._writer.start()
        self._reader.start()
        self._relay.start()
        self._finished = False

    # ------------------------------------------------------------------------- messages
    def send(self, kind: str, *args: Any) -> None:
        """Queue a message (pickled now, so later changes to ``args`` do not leak in)."""
        if self._finished:
            raise TrackingProcessError(f"tracking process: {kind!r} sent after its end")
        self._outbox.put(pickle.dumps((kind, args), protocol=pickle.HIGHEST_PROTOCOL))

    def sync(self) -> dict[str, Any]:
        """Wait until the child has done every message sent so far; its reply."""
        self.send("sync")
        return self._reply("sync")

    def finish(self) -> dict[str, Any]:
        """The last message: the child's reply, then it exits."""
        self.send("finish")
        self._finished = True
        self._outbox.put(_CLOSED)
        try:
            return self._reply("finish")
        finally:
            self._stop()

    def kill(self) -> None:
        """End the child without waiting for it (a run that cannot finish its tracking)."""
        self._finished = True
        self._outbox.put(_CLOSED)
        self._stop(wait_s=0.0)

    # ------------------------------------------------------------------------ internals
    def _reply(self, what: str) -> dict[str, Any]:
        try:
            reply = self._replies.get(timeout=self.timeout_s)
        except queue.Empty:
            self.kill()
            raise TrackingProcessError(
                f"tracking process: no answer to {what!r} within {self.timeout_s:g} s "
                "(mlflow.tracking_process_timeout_s); stopped"
            ) from None
        if reply is _CLOSED:
            code = self._process.wait()
            raise TrackingProcessError(
                f"tracking process ended (exit code {code}) before answering {what!r}; "
                "its error is on the run's standard error"
            )
        return dict(reply)

    def _write(self) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        while (message := self._outbox.get()) is not _CLOSED:
            try:
                stdin.write(message)
                stdin.flush()
            except OSError:  # the child died: its reader reports it
                break
        with contextlib.suppress(OSError):
            stdin.close()

    def _read(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            while True:
                self._replies.put(pickle.load(stdout))
        except (EOFError, OSError, pickle.UnpicklingError):
            self._replies.put(_CLOSED)

    def _relay_stderr(self) -> None:
        """The child's standard error, line by line, to this process's ``sys.stderr`` as it
        is when the line comes (a task runner may route it to its log)."""
        stderr = self._process.stderr
        assert stderr is not None
        for line in iter(stderr.readline, b""):
            with contextlib.suppress(Exception):
                sys.stderr.write(line.decode("utf-8", errors="replace"))
                sys.stderr.flush()

    def _stop(self, wait_s: float = 30.0) -> None:
        if wait_s:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=wait_s)
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._relay.join(timeout=5.0)  # its last lines, before the run goes on


def emit_records(records: list[logging.LogRecord]) -> None:
    """Emit the child's log records through this process's loggers (their levels, handlers
    and filters)."""
    for record in records:
        target = logging.getLogger(record.name)
        if target.isEnabledFor(record.levelno):
            target.handle(record)
