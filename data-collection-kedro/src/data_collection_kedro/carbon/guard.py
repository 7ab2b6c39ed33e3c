"""Guards against double counting: one CodeCarbon tracker at a time.

Two levels:

- in this process: a module-level slot protected by a lock. A pipeline run started while
  another run of the same process is measured (``session.run`` inside a node, two sessions
  in two threads) does not get a second tracker: its energy is already inside the outer run.
- across processes: an OS file lock (``fcntl.flock``) on ``.carbon_tracker.lock`` in the
  carbon output folder. A second ``kedro run`` on the same machine and output folder while
  the first one measures either skips measurement or waits (``carbon.on_concurrent_tracker``).
  The machine-wide power estimate of two trackers would count the same watts twice.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from pathlib import Path
from typing import IO, Any

LOCK_FILE_NAME = ".carbon_tracker.lock"

_slot_lock = threading.Lock()
_active_run: str | None = None


def claim_process_slot(run_key: str) -> str | None:
    """Claim the process-wide tracker slot for ``run_key``.

    Returns ``None`` when claimed, else the key of the run that already holds it.
    """
    global _active_run
    with _slot_lock:
        if _active_run is not None and _active_run != run_key:
            return _active_run
        _active_run = run_key
        return None


def release_process_slot(run_key: str) -> None:
    """Free the slot if ``run_key`` holds it (no-op otherwise)."""
    global _active_run
    with _slot_lock:
        if _active_run == run_key:
            _active_run = None


def process_slot_holder() -> str | None:
    with _slot_lock:
        return _active_run


class TrackerFileLock:
    """Exclusive, non-reentrant OS lock on ``<folder>/.carbon_tracker.lock``.

    The lock is released by the kernel when the holding process dies, so a crashed run never
    leaves a stale lock behind. The file keeps a JSON note of the holder (pid, pipeline,
    start time) for the messages of the processes that find it locked.
    """

    def __init__(self, folder: Path | str) -> None:
        self.path = Path(folder) / LOCK_FILE_NAME
        self._handle: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(
        self, *, wait: bool = False, timeout_s: float = 0.0, holder: dict[str, Any] | None = None
    ) -> bool:
        """Take the lock; with ``wait`` poll until ``timeout_s``. Returns whether it is held."""
        if self._handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - kept open while held
        deadline = time.monotonic() + max(timeout_s, 0.0)
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait or time.monotonic() >= deadline:
                    handle.close()
                    return False
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), **(holder or {})}))
        handle.flush()
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            self._handle.seek(0)
            self._handle.truncate()
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        finally:
            self._handle.close()
            self._handle = None

    def describe_holder(self) -> str:
        """The holder's note, for a warning ("pid 123, pipeline etl_pipeline, since ...")."""
        try:
            note = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return "unknown process"
        if not note:
            return "unknown process"
        return ", ".join(f"{key} {value}" for key, value in note.items())
