"""Per-node energy and emissions of every pipeline run, measured with CodeCarbon.

One :class:`codecarbon.OfflineEmissionsTracker` per pipeline run (its start-up probes the
hardware for about a second, so never one per node), CodeCarbon's task API per node.

Accounting (what the files mean)
--------------------------------
CodeCarbon adds energy to a tracker's total only when it takes a measurement (covering the
window since the previous one), and ``start_task`` restarts the window. So the hook closes
every window explicitly:

- each node runs inside its own task, which covers the node's whole work as Kedro runs it:
  loading its inputs, the node function, saving its outputs. Kedro loads a node's inputs
  before ``before_node_run`` and saves its outputs after ``after_node_run``, so the task
  starts at the node's first ``before_dataset_loaded`` (``before_node_run`` for a node
  without inputs) and stops once ``after_dataset_saved`` has been seen for every name in
  ``node.outputs`` (``after_node_run`` for a node without outputs, ``on_node_error`` for a
  failed node function). A failed load or save ends the run: ``on_pipeline_error`` closes
  the open task with status ``failed``. A generator node streams its outputs chunk by chunk
  (its work happens while saving), so its task stays open until the next node starts or
  the run ends;
- the time outside node tasks (the runner's start-up, where Kedro creates every dataset of
  the pipeline; scheduling and dataset release between nodes; pipeline-level hooks) is closed by one measurement just before the next node's task starts (and
  before the tracker stops); these measurements, with the tracker's own start and stop
  measurements, are summed into one ``__outside_nodes__`` row.

The dataset hooks carry the node but no run id: they are routed to the run started in the
same thread (the runner's thread under ``SequentialRunner``; a nested ``session.run`` is
on top of its outer run), else to the run whose pipeline holds that node object
(``ThreadRunner`` workers, asynchronous loading).

The **run total** is CodeCarbon's own total of the tracker at ``stop()``, written as the
run's row of ``emissions_<pipeline>.csv`` (``energy_consumed``, ``emissions``, …). Every
CodeCarbon measurement of the run belongs to exactly one row of ``emissions_nodes.csv``: a
node task, or ``__outside_nodes__`` (the gaps between nodes plus the tracker's own start-up
measurement), so the run's rows add up to the run total (the tests hold it to 1 %). The
``duration`` of that row is the wall time from tracker start to stop (CodeCarbon's task API
restarts its own clock at each task, so the hook sets it).

Double counting
---------------
A run started while another run of this process is measured (``session.run`` inside a
node, two sessions in two threads) and a run started while another *process* measures into
the same output folder do not start a second tracker (see :mod:`.guard`); their nodes are
recorded with ``measurement`` ``skipped-nested`` / ``skipped-concurrent`` and no energy.
``carbon.on_concurrent_tracker: wait`` makes a run wait for the other process instead.

Under a runner that executes nodes concurrently (``ThreadRunner``), a node that starts
while another node's task is open is recorded as ``unmeasured-overlapping-node``: its
energy lands in the open node. Under ``ParallelRunner`` nodes run in worker processes and
only the run total is measured. Per-node figures need the default ``SequentialRunner``.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from codecarbon import OfflineEmissionsTracker
from codecarbon.output_methods.file import FileOutput
from kedro.framework.hooks import hook_impl

from data_collection_kedro.carbon import files
from data_collection_kedro.carbon.guard import (
    TrackerFileLock,
    claim_process_slot,
    release_process_slot,
)

logger = logging.getLogger(__name__)

DEFAULT_PARAMS: dict[str, Any] = {
    "enabled": True,
    "country_iso_code": "FRA",
    "pue": 1.0,
    "output_dir": "data/09_carbon",
    "measure_power_secs": 15,
    "on_concurrent_tracker": "skip",
    "concurrent_wait_timeout_s": 3600,
    "log_level": "warning",
    "project_name": "energiewatch",
    "tracking_mode": "machine",
    "force_cpu_power": None,
    "force_ram_power": None,
}
CONCURRENT_POLICIES = ("skip", "wait")

_MODE_MEASURED = "measured"
_MODE_DISABLED = "disabled"

_states_lock = threading.Lock()
_states: dict[str, _RunState] = {}
_latest_measured: _RunState | None = None
_thread_runs = threading.local()  # .keys: run keys started in this thread (innermost last)


class _QuietCodeCarbonFilter(logging.Filter):
    """Drops CodeCarbon's warning about ``allow_multiple_runs``: the hook guards itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Multiple instances of codecarbon are allowed" not in record.getMessage()


logging.getLogger("codecarbon").addFilter(_QuietCodeCarbonFilter())


@dataclasses.dataclass
class _OpenNode:
    """A node between its first event (first input load / ``before_node_run``) and its row."""

    start_perf: float
    started_at: str
    pending_outputs: set[str]
    streamed: bool  # generator node: outputs computed while saved, closed at the next node
    measured: bool = False  # holds the tracker's task
    ran: bool = False  # after_node_run seen
    status: str = "ok"


@dataclasses.dataclass
class _RunState:
    run_key: str
    pipeline: str
    output_dir: Path
    country_iso_code: str
    mode: str
    owner_pid: int = dataclasses.field(default_factory=os.getpid)
    tracker: Any = None
    file_lock: TrackerFileLock | None = None
    measurement: str = files.MEASUREMENT_UNAVAILABLE
    started_perf: float = 0.0
    started_at: str = ""
    rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    node_ids: frozenset[int] = frozenset()
    active_node: str | None = None
    gap_started: float = 0.0
    open_nodes: dict[str, _OpenNode] = dataclasses.field(default_factory=dict)
    outside: dict[str, float] = dataclasses.field(
        default_factory=lambda: dict.fromkeys(
            ("duration_s", "energy_kwh", "emissions_kg", "cpu", "ram", "gpu"), 0.0
        )
    )
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


def current_run_measurements() -> list[dict[str, Any]]:
    """The finished nodes of the run measured in this process (the latest one once it ended).

    One dict per node with the ``emissions_nodes.csv`` columns (docs/data-contracts.md §7).
    """
    state = _latest_measured
    if state is None:
        return []
    with state.lock:
        return [dict(row) for row in state.rows if row["node"] != files.OUTSIDE_NODES]


def measurement_method(tracker: Any) -> str:
    """How the tracker gets CPU power: ``RAPL`` (energy counters), ``cpu_load`` (TDP × load),
    ``TDP`` (the model's TDP, constant) or ``constant`` (a generic constant)."""
    for hardware in getattr(tracker, "_hardware", []) or []:
        kind = type(hardware).__name__
        mode = getattr(hardware, "_mode", None)
        if kind == "CPU":
            if mode in ("intel_rapl", "windows_emi", "intel_power_gadget"):
                return files.MEASUREMENT_RAPL
            if mode == "cpu_load":
                return files.MEASUREMENT_CPU_LOAD
            if mode == "constant":
                generic = getattr(hardware, "_is_generic_tdp", False)
                return files.MEASUREMENT_CONSTANT if generic else files.MEASUREMENT_TDP
            return str(mode)
        if (
            kind in ("AppleSiliconChip", "Raspberry")
            and getattr(hardware, "chip_part", "") == "CPU"
        ):
            return files.MEASUREMENT_RAPL
    return files.MEASUREMENT_UNAVAILABLE


def pipeline_name_of(run_params: dict[str, Any]) -> str:
    """``run_params["pipeline_name"]``, the ``+``-joined ``pipeline_names``, or ``__default__``."""
    name = run_params.get("pipeline_name")
    if name:
        return str(name)
    names = run_params.get("pipeline_names") or []
    return "+".join(str(n) for n in names) if names else "__default__"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class CarbonTrackingHook:
    """Kedro hook: one CodeCarbon tracker per pipeline run, a task per node."""

    def __init__(self) -> None:
        self._pending_params: dict[str, Any] | None = None

    # -- configuration ------------------------------------------------------------------
    @hook_impl
    def after_context_created(self, context: Any) -> None:
        try:
            params = context.params.get("carbon") or {}
        except Exception as exc:  # a broken parameters file must not hide the real error
            logger.warning("carbon: parameters unreadable (%s); using defaults", exc)
            params = {}
        self._pending_params = dict(params)

    def _take_params(self, catalog: Any) -> dict[str, Any]:
        params = self._pending_params
        self._pending_params = None
        if params is None:
            try:
                params = dict(catalog.load("params:carbon"))
            except Exception:
                params = {}
        merged = {**DEFAULT_PARAMS, **{k: v for k, v in params.items() if v is not None}}
        merged["enabled"] = _as_bool(merged["enabled"], "enabled")
        if merged["on_concurrent_tracker"] not in CONCURRENT_POLICIES:
            raise ValueError(
                "parameters carbon.on_concurrent_tracker: expected one of "
                f"{CONCURRENT_POLICIES}, got {merged['on_concurrent_tracker']!r}"
            )
        return merged

    # -- pipeline -----------------------------------------------------------------------
    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        global _latest_measured
        params = self._take_params(catalog)
        run_key = str(run_params.get("run_id") or run_params.get("session_id") or id(run_params))
        pipeline_name = pipeline_name_of(run_params)
        output_dir = Path(str(params["output_dir"]))
        state = _RunState(
            run_key=run_key,
            pipeline=pipeline_name,
            output_dir=output_dir,
            country_iso_code=str(params["country_iso_code"]),
            mode=_MODE_DISABLED,
            node_ids=frozenset(id(n) for n in getattr(pipeline, "nodes", ())),
        )
        with _states_lock:
            _states[run_key] = state
        keys = getattr(_thread_runs, "keys", None)
        if keys is None:
            keys = _thread_runs.keys = []
        keys.append(run_key)
        if not params["enabled"]:
            return

        holder = claim_process_slot(run_key)
        if holder is not None:
            state.mode = files.MEASUREMENT_SKIPPED_NESTED
            logger.warning(
                "carbon: run %s (%s) started inside measured run %s of this process; "
                "no second tracker (its energy is already counted there)",
                run_key,
                pipeline_name,
                holder,
            )
            return

        file_lock = TrackerFileLock(output_dir)
        wait = params["on_concurrent_tracker"] == "wait"
        note = {"pipeline": pipeline_name, "run": run_key, "since": _now_iso()}
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
            locked = file_lock.acquire(
                wait=wait, timeout_s=float(params["concurrent_wait_timeout_s"]), holder=note
            )
        except OSError as exc:  # measuring must never fail the pipeline run
            logger.warning("carbon: output folder %s unusable (%s); not measured", output_dir, exc)
            release_process_slot(run_key)
            state.mode = _MODE_DISABLED
            return
        if not locked:
            release_process_slot(run_key)
            state.mode = files.MEASUREMENT_SKIPPED_CONCURRENT
            logger.warning(
                "carbon: another process is measuring into %s (%s)%s; this run of %s is not "
                "measured to avoid double counting",
                output_dir,
                file_lock.describe_holder(),
                " and the wait timed out" if wait else "",
                pipeline_name,
            )
            return

        state.file_lock = file_lock
        try:
            tracker = OfflineEmissionsTracker(
                project_name=str(params["project_name"]),
                experiment_name=pipeline_name,
                country_iso_code=state.country_iso_code,
                pue=float(params["pue"]),
                measure_power_secs=float(params["measure_power_secs"]),
                output_dir=str(output_dir),
                output_file=files.pipeline_file_name(pipeline_name),
                output_methods=[],  # the hook writes the run row itself (see module doc)
                log_level=str(params["log_level"]),
                tracking_mode=str(params["tracking_mode"]),
                force_cpu_power=params["force_cpu_power"],
                force_ram_power=params["force_ram_power"],
                allow_multiple_runs=True,  # the hook's own guard replaces CodeCarbon's
                electricitymaps_api_token=None,  # offline: never the Electricity Maps API
                emissions_endpoint=None,
            )
            tracker.start()
            if getattr(tracker, "_start_time", None) is None:
                raise RuntimeError("CodeCarbon tracker did not start (see its log)")
        except Exception as exc:
            logger.warning("carbon: tracker unavailable (%s); %s not measured", exc, pipeline_name)
            state.mode = files.MEASUREMENT_UNAVAILABLE
            self._release(state)
            return
        state.tracker = tracker
        _keep_monitor_running(tracker)
        # start() takes one measurement (its own start-up window): part of "outside nodes"
        for key, value in _totals(tracker).items():
            state.outside[key] += value
        state.gap_started = time.perf_counter()
        state.mode = _MODE_MEASURED
        state.measurement = measurement_method(tracker)
        state.started_perf = time.perf_counter()
        state.started_at = _now_iso()
        _latest_measured = state

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any], **_: Any) -> None:
        self._close_run(run_params, failed=False)

    @hook_impl
    def on_pipeline_error(self, error: Exception, run_params: dict[str, Any], **_: Any) -> None:
        self._close_run(run_params, failed=True)

    # -- nodes and their datasets ------------------------------------------------------
    @hook_impl(tryfirst=True)  # the node's measurement covers its first load entirely
    def before_dataset_loaded(self, dataset_name: str, node: Any) -> None:
        state = self._state_of_node(node)
        if state is not None:
            with state.lock:
                self._begin_node(state, node)

    @hook_impl(trylast=True)  # a node without inputs: start as close to its function as possible
    def before_node_run(self, node: Any, run_id: str | None = None, **_: Any) -> None:
        state = self._state_for(run_id)
        if state is not None:
            with state.lock:
                self._begin_node(state, node)

    @hook_impl(trylast=True)  # the node's row includes what other hooks do with its outputs
    def after_node_run(self, node: Any, run_id: str | None = None, **_: Any) -> None:
        self._node_returned(node, run_id, "ok")

    @hook_impl(tryfirst=True)
    def on_node_error(self, node: Any, run_id: str | None = None, **_: Any) -> None:
        self._node_returned(node, run_id, "failed")

    @hook_impl(trylast=True)  # the node's measurement covers its last save entirely
    def after_dataset_saved(self, dataset_name: str, node: Any) -> None:
        state = self._state_of_node(node)
        if state is None:
            return
        with state.lock:
            record = state.open_nodes.get(node.name)
            if record is None or not record.ran:
                return
            record.pending_outputs.discard(dataset_name)
            if not record.pending_outputs and not record.streamed:
                self._finish_node(state, node.name)

    # -- internals ----------------------------------------------------------------------
    @staticmethod
    def _state_for(run_id: str | None) -> _RunState | None:
        with _states_lock:
            state = _states.get(str(run_id)) if run_id is not None else None
            if state is None and _states:
                state = list(_states.values())[-1]
        return _usable(state)

    @staticmethod
    def _state_of_node(node: Any) -> _RunState | None:
        """The run a dataset hook belongs to (these hooks get no run id, see the module doc)."""
        keys = getattr(_thread_runs, "keys", None)
        state = None
        with _states_lock:
            if keys:
                state = _states.get(keys[-1])
            if state is None:
                node_id = id(node)
                for candidate in reversed(_states.values()):
                    if node_id in candidate.node_ids:
                        state = candidate
                        break
        return _usable(state)

    def _begin_node(self, state: _RunState, node: Any) -> None:
        """Open the node's record (and its task when the tracker is free); idempotent."""
        name = node.name
        if name in state.open_nodes:
            return
        for other_name in [n for n, other in state.open_nodes.items() if other.ran]:
            self._finish_node(state, other_name)  # a streamed node whose saves are over
        record = _OpenNode(
            start_perf=time.perf_counter(),
            started_at=_now_iso(),
            pending_outputs=set(node.outputs),
            streamed=inspect.isgeneratorfunction(getattr(node, "func", None)),
        )
        state.open_nodes[name] = record
        if state.mode == _MODE_MEASURED and state.active_node is None:
            self._close_gap(state)
            state.tracker.start_task(name)
            state.active_node = name
            record.measured = True

    def _node_returned(self, node: Any, run_id: str | None, status: str) -> None:
        state = self._state_for(run_id)
        if state is None:
            return
        with state.lock:
            self._begin_node(state, node)  # no-op unless a load or before_node_run was missed
            record = state.open_nodes[node.name]
            record.ran = True
            record.status = status
            if status == "failed" or not record.pending_outputs:
                self._finish_node(state, node.name)  # nothing will be saved

    def _finish_node(self, state: _RunState, node_name: str, status: str | None = None) -> None:
        """Close the node's record into a row (stopping its task if it holds it)."""
        record = state.open_nodes.pop(node_name)
        row: dict[str, Any] = {
            "run_id": self._run_id(state),
            "pipeline": state.pipeline,
            "node": node_name,
            "started_at": record.started_at,
            "duration_s": time.perf_counter() - record.start_perf,
            "country_iso_code": state.country_iso_code,
            "status": status or record.status,
        }
        if record.measured:
            data = state.tracker.stop_task(node_name)
            state.active_node = None
            row.update(_energy_columns(data))
            row["duration_s"] = float(data.duration)
            row["measurement"] = state.measurement
            state.gap_started = time.perf_counter()
        elif state.mode == _MODE_MEASURED:
            row["measurement"] = files.MEASUREMENT_OVERLAPPING_NODE
        else:
            row["measurement"] = state.mode
        state.rows.append(row)

    @staticmethod
    def _run_id(state: _RunState) -> str:
        tracker_run_id = getattr(state.tracker, "run_id", None)
        return str(tracker_run_id) if tracker_run_id is not None else state.run_key

    @staticmethod
    def _close_gap(state: _RunState) -> None:
        """Measure the window since the last node (or the tracker start) into "outside"."""
        measure = getattr(state.tracker, "_measure_power_and_energy", None)
        if measure is not None:
            _measure_into(state, measure)
        state.outside["duration_s"] += time.perf_counter() - state.gap_started

    def _close_run(self, run_params: dict[str, Any], *, failed: bool) -> None:
        run_key = str(run_params.get("run_id") or run_params.get("session_id") or id(run_params))
        with _states_lock:
            state = _states.pop(run_key, None)
        keys = getattr(_thread_runs, "keys", None)
        if keys and run_key in keys:
            keys.remove(run_key)
        if state is None or state.mode == _MODE_DISABLED or state.owner_pid != os.getpid():
            return
        try:
            with state.lock:
                # nodes still open: a failed load or save (the run's error), or a streamed node
                for node_name in list(state.open_nodes):
                    self._finish_node(state, node_name, "failed" if failed else None)
                if state.mode == _MODE_MEASURED:
                    self._stop_tracker(state)
            if state.rows:
                files.append_node_rows(state.output_dir, state.rows)
        except Exception as exc:  # measuring must never fail the pipeline run
            logger.warning("carbon: could not write the carbon files of %s: %s", run_key, exc)
        finally:
            self._release(state)

    def _stop_tracker(self, state: _RunState) -> None:
        tracker = state.tracker
        self._close_gap(state)
        monitor = getattr(tracker, "_scheduler_monitor_power", None)
        if isinstance(monitor, _PinnedScheduler):
            monitor.pinned = False
        _measure_into(state, tracker.stop)  # stop() may take a last measurement of its own
        wall_s = time.perf_counter() - state.started_perf
        total = getattr(tracker, "final_emissions_data", None)
        if total is None:
            logger.warning("carbon: CodeCarbon returned no total for %s", state.pipeline)
            return
        total = dataclasses.replace(total, duration=wall_s)
        total.emissions_rate = total.emissions / wall_s if wall_s > 0 else 0.0
        # one grid intensity per offline run: the outside windows' emissions follow from energy
        intensity = total.emissions / total.energy_consumed if total.energy_consumed else 0.0
        state.outside["emissions_kg"] = state.outside["energy_kwh"] * intensity
        FileOutput(
            files.pipeline_file_name(state.pipeline), str(state.output_dir), on_csv_write="append"
        ).out(total, None)
        acc = state.outside
        state.rows.append(
            {
                "run_id": self._run_id(state),
                "pipeline": state.pipeline,
                "node": files.OUTSIDE_NODES,
                "started_at": state.started_at,
                "duration_s": acc["duration_s"],
                "energy_kwh": acc["energy_kwh"],
                "emissions_kg": acc["emissions_kg"],
                "cpu_energy_kwh": acc["cpu"],
                "ram_energy_kwh": acc["ram"],
                "gpu_energy_kwh": acc["gpu"],
                "measurement": state.measurement,
                "country_iso_code": state.country_iso_code,
                "status": "ok",
            }
        )

    @staticmethod
    def _release(state: _RunState) -> None:
        if state.file_lock is not None:
            state.file_lock.release()
            state.file_lock = None
        release_process_slot(state.run_key)


class _PinnedScheduler:
    """CodeCarbon's 1-second power monitor, kept running across tasks.

    ``start_task``/``stop_task`` stop and restart the monitor's timer thread (and the periodic
    measurement scheduler) at every task. A thread start waits for the new thread to be
    scheduled: milliseconds per call on a busy machine, several calls per node. The hook keeps
    a task open at every moment of the run, so it pins the monitor (sampling continues, as
    CodeCarbon does outside tasks) and stops the periodic measurement scheduler once (every
    measurement window is closed by a task stop instead).
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.pinned = True

    def start(self, from_run: bool = False) -> None:
        self._inner.start(from_run=from_run)

    def stop(self) -> None:
        if not self.pinned:
            self._inner.stop()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _keep_monitor_running(tracker: Any) -> None:
    """See :class:`_PinnedScheduler`; a no-op if CodeCarbon's internals differ."""
    scheduler = getattr(tracker, "_scheduler", None)
    monitor = getattr(tracker, "_scheduler_monitor_power", None)
    if scheduler is None or monitor is None or not hasattr(monitor, "stop"):
        return
    scheduler.stop()
    tracker._scheduler_monitor_power = _PinnedScheduler(monitor)


def _usable(state: _RunState | None) -> _RunState | None:
    """``state`` unless measurement is off or this is a ``ParallelRunner`` worker process."""
    if state is None or state.mode == _MODE_DISABLED or state.owner_pid != os.getpid():
        return None
    return state


def _as_bool(value: Any, key: str) -> bool:
    """Booleans from YAML or from ``${oc.env:...}`` strings (``true``/``false``/``1``/``0``)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"parameters carbon.{key}: expected true or false, got {value!r}")


def _kwh(energy: Any) -> float:
    return float(getattr(energy, "kWh", 0.0) or 0.0)


def _totals(tracker: Any) -> dict[str, float]:
    """The tracker's running energy totals (kWh) by component."""
    return {
        key: _kwh(getattr(tracker, attr, None))
        for key, attr in (
            ("energy_kwh", "_total_energy"),
            ("cpu", "_total_cpu_energy"),
            ("ram", "_total_ram_energy"),
            ("gpu", "_total_gpu_energy"),
        )
    }


def _measure_into(state: _RunState, measure: Any) -> None:
    """Call ``measure`` and add what it added to the tracker's totals to "outside nodes"."""
    before = _totals(state.tracker)
    measure()
    after = _totals(state.tracker)
    for key, value in after.items():
        state.outside[key] += value - before[key]


def _energy_columns(data: Any) -> dict[str, float]:
    return {
        "energy_kwh": float(data.energy_consumed),
        "emissions_kg": float(data.emissions),
        "cpu_energy_kwh": float(data.cpu_energy),
        "ram_energy_kwh": float(data.ram_energy),
        "gpu_energy_kwh": float(data.gpu_energy),
    }
