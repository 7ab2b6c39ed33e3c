"""The state of a pipeline run that the project's hooks share.

Kedro calls hooks in an order no hook should depend on. What one hook learns during a run and
another one needs goes through one :class:`RunRegistry`, created in ``settings.py`` and given
to every hook that takes part::

    RUNS = RunRegistry()
    HOOKS = (CarbonTrackingHook(RUNS), MlflowTrackingHook(RUNS), RunSummaryHook(RUNS))

Interface (docs/carbon.md, "Run state shared by the hooks"):

- ``RUNS.run(run_key(run_params))``: the :class:`RunRecord` of a run (created on first use);
  the key is Kedro's ``run_params["run_id"]`` (the session id).
- ``RUNS.begin(run_params, pipeline)`` / ``RUNS.end(run_key)``: the hooks that use dataset
  events call them in ``before_pipeline_run`` / ``after_pipeline_run`` (idempotent, whichever
  hook comes first).
  ``RUNS.run_of_node(node)``: the run a dataset hook belongs to (Kedro's dataset hooks carry
  the node but no run id): the innermost run started in the calling thread, else the active
  run whose pipeline holds that node object (threaded runners, asynchronous loading).
- Producers: the carbon hook adds each node's measurement as its row closes
  (:meth:`RunRecord.add_node_measurement`) and settles the run's energy once it closed the run
  (:meth:`RunRecord.settle_energy`, also when the run was not measured); the run-summary hook
  records every dataset save (:meth:`RunRecord.record_save`).
- Consumers: :meth:`RunRecord.node_measurements`, :attr:`RunRecord.energy`,
  :meth:`RunRecord.dataset_saves` and :meth:`RunRecord.when_energy_settled`, whose callback runs
  once the run's energy is settled (at once when it already is, or when no registered hook
  measures energy). The MLflow and run-summary hooks finish their work there, so they never
  rely on running after the carbon hook.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger(__name__)

#: records kept after their run ended (a process runs few pipelines; nested runs add some)
HISTORY = 32
DEFAULT_PIPELINE = "__default__"


_UNSAFE = re.compile(r"[^A-Za-z0-9_.+-]+")


def now_iso() -> str:
    """Now, UTC, ISO 8601 with milliseconds (the hooks' timestamps)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def safe_file_stem(name: str) -> str:
    """``name`` with the characters unsafe in a file name replaced by ``_``."""
    return _UNSAFE.sub("_", name)


def as_bool(value: Any, where: str) -> bool:
    """A boolean parameter from YAML or from an ``${oc.env:...}`` string (``true``/``false``,
    ``1``/``0``, ``yes``/``no``, ``on``/``off``); anything else raises naming ``where``."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"parameters {where}: expected true or false, got {value!r}")


def run_key(run_params: Mapping[str, Any]) -> str:
    """The key of a run in the registry: Kedro's run id (= the session id)."""
    return str(run_params.get("run_id") or run_params.get("session_id") or id(run_params))


def run_pipeline_name(run_params: Mapping[str, Any]) -> str:
    """What the user ran: ``pipeline_name``, the ``+``-joined ``pipeline_names``, or
    ``__default__``."""
    name = run_params.get("pipeline_name")
    if name:
        return str(name)
    names = run_params.get("pipeline_names") or []
    return "+".join(str(n) for n in names) if names else DEFAULT_PIPELINE


@dataclasses.dataclass(frozen=True)
class RunEnergy:
    """What a run consumed, as the carbon hook measured it.

    ``measurement`` says how (``RAPL``, ``cpu_load``, ... or why not: ``disabled``,
    ``skipped-nested``, ``skipped-concurrent``, ``unavailable``); the figures are ``None``
    when the run was not measured.
    """

    measurement: str
    energy_kwh: float | None = None
    emissions_kg: float | None = None
    duration_s: float | None = None

    @property
    def measured(self) -> bool:
        return self.energy_kwh is not None


@dataclasses.dataclass
class DatasetSaves:
    """What the saves of one dataset wrote during a run.

    ``rows``: rows handed to the dataset (``len`` of the data; ``None`` when a save's data
    has no length). ``inserted`` / ``updated`` / ``unchanged``: what the store reported
    (``last_result`` of the raw-store datasets); ``None`` when any save did not report it.
    """

    saves: int = 0
    rows: int | None = 0
    inserted: int | None = 0
    updated: int | None = 0
    unchanged: int | None = 0

    def add(self, rows: int | None, result: Mapping[str, Any] | None) -> None:
        self.saves += 1
        self.rows = None if self.rows is None or rows is None else self.rows + rows
        for key in ("inserted", "updated", "unchanged"):
            current = getattr(self, key)
            value = None if result is None else result.get(key)
            setattr(self, key, None if current is None or value is None else current + int(value))


class RunRecord:
    """One pipeline run as the hooks see it (see the module docstring for who writes what)."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.pipeline: str = ""
        self.node_ids: frozenset[int] = frozenset()
        self._lock = threading.Lock()
        self._nodes: list[dict[str, Any]] = []
        self._saves: dict[str, DatasetSaves] = {}
        self._energy: RunEnergy | None = None
        self._waiting: list[Callable[[RunRecord], None]] = []

    # -- carbon measurements ----------------------------------------------------------
    def add_node_measurement(self, row: Mapping[str, Any]) -> None:
        """One finished node run: the ``emissions_nodes.csv`` columns (data-contracts §5)."""
        with self._lock:
            self._nodes.append(dict(row))

    def node_measurements(self) -> list[dict[str, Any]]:
        """The node runs finished so far, in the order they finished (copies)."""
        with self._lock:
            return [dict(row) for row in self._nodes]

    @property
    def energy(self) -> RunEnergy | None:
        """The run's energy once settled (``None`` before)."""
        return self._energy

    def settle_energy(self, energy: RunEnergy) -> None:
        """Set the run's energy (once) and run the callbacks waiting for it."""
        with self._lock:
            if self._energy is not None:
                return
            self._energy = energy
            waiting, self._waiting = self._waiting, []
        for callback in waiting:
            _call(callback, self)

    def when_energy_settled(self, callback: Callable[[RunRecord], None]) -> None:
        """Run ``callback(record)`` once the energy is settled (now if it already is)."""
        with self._lock:
            if self._energy is None:
                self._waiting.append(callback)
                return
        _call(callback, self)

    # -- dataset saves ----------------------------------------------------------------
    def record_save(
        self, dataset_name: str, rows: int | None, result: Mapping[str, Any] | None
    ) -> None:
        with self._lock:
            self._saves.setdefault(dataset_name, DatasetSaves()).add(rows, result)

    def dataset_saves(self) -> dict[str, DatasetSaves]:
        with self._lock:
            return {name: dataclasses.replace(saves) for name, saves in self._saves.items()}


def _call(callback: Callable[[RunRecord], None], record: RunRecord) -> None:
    try:
        callback(record)
    except Exception as exc:  # one consumer's failure must not break the others or the run
        logger.warning("run %s: a hook's end-of-run step failed: %s", record.run_id, exc)


class RunRegistry:
    """The runs of this process, by run id (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: OrderedDict[str, RunRecord] = OrderedDict()
        self._active: OrderedDict[str, RunRecord] = OrderedDict()
        self._threads = threading.local()  # .stack: run ids begun in this thread, innermost last
        self._energy_sources = 0

    def declare_energy_source(self) -> None:
        """Called by a hook that will settle every run's energy (the carbon hook)."""
        with self._lock:
            self._energy_sources += 1

    def run(self, run_id: str) -> RunRecord:
        """The record of ``run_id`` (created on first use)."""
        with self._lock:
            record = self._records.get(run_id)
            if record is None:
                record = self._records[run_id] = RunRecord(run_id)
                self._forget_old()
            settle_now = self._energy_sources == 0
        if settle_now:
            record.settle_energy(RunEnergy(measurement="not-measured"))
        return record

    def get(self, run_id: str) -> RunRecord | None:
        with self._lock:
            return self._records.get(run_id)

    def begin(self, run_params: Mapping[str, Any], pipeline: Any) -> RunRecord:
        """Mark the run active in this thread (idempotent: the hooks that route dataset events
        all call it from ``before_pipeline_run``)."""
        run_id = run_key(run_params)
        record = self.run(run_id)
        with self._lock:
            if run_id in self._active:
                return record
            record.pipeline = run_pipeline_name(run_params)
            record.node_ids = frozenset(id(node) for node in getattr(pipeline, "nodes", ()))
            self._active[run_id] = record
        stack = self._stack()
        if run_id not in stack:
            stack.append(run_id)
        return record

    def end(self, run_id: str) -> None:
        """The run is over: no more dataset events to route (idempotent)."""
        with self._lock:
            self._active.pop(run_id, None)
        stack = self._stack()
        if run_id in stack:
            stack.remove(run_id)

    def run_of_node(self, node: Any) -> RunRecord | None:
        """The active run a dataset event of ``node`` belongs to (see the module docstring)."""
        stack = self._stack()
        with self._lock:
            for run_id in reversed(stack):
                record = self._active.get(run_id)
                if record is not None:
                    return record
            node_id = id(node)
            for record in reversed(self._active.values()):
                if node_id in record.node_ids:
                    return record
        return None

    def active_run(self, run_id: str | None) -> RunRecord | None:
        """The active run ``run_id`` (node hooks), else the latest active run."""
        with self._lock:
            record = self._active.get(str(run_id)) if run_id is not None else None
            if record is None and self._active:
                record = next(reversed(self._active.values()))
            return record

    def _stack(self) -> list[str]:
        stack = getattr(self._threads, "stack", None)
        if stack is None:
            stack = self._threads.stack = []
        return stack

    def _forget_old(self) -> None:
        while len(self._records) > HISTORY:
            oldest = next(iter(self._records))
            if oldest in self._active:
                break
            del self._records[oldest]
