"""Per-node energy and emissions of every pipeline run, measured with CodeCarbon.

One :class:`codecarbon.OfflineEmissionsTracker` per pipeline run (its start-up probes the
hardware for about a second, so never one per node), CodeCarbon's task API per node.
docs/carbon.md explains what the files mean; the parts live in:

- this module: the Kedro hook, which reads the ``carbon:`` parameters, guards against a second
  tracker (:mod:`.guard`), and routes Kedro's events to the run they belong to;
- :mod:`.measurement`: one run's measurement (node tasks, the windows between nodes, rows);
- :mod:`.rows`: the rows of the carbon files (pure functions);
- :mod:`.codecarbon_adapter`: every use of CodeCarbon's internals.

Accounting
----------
Each node runs inside its own task, which covers the node's whole work as Kedro runs it:
loading its inputs, the node function, saving its outputs. Kedro loads a node's inputs before
``before_node_run`` and saves its outputs after ``after_node_run``, so the task starts at the
node's first ``before_dataset_loaded`` (``before_node_run`` for a node without inputs) and
stops once ``after_dataset_saved`` has been seen for every name in ``node.outputs``
(``after_node_run`` for a node without outputs, ``on_node_error`` for a failed node function).
A failed load or save ends the run: ``on_pipeline_error`` closes the open task with status
``failed``. A generator node streams its outputs chunk by chunk (its work happens while
saving), so its task stays open until the next node starts or the run ends. The time outside
node tasks is closed by one measurement just before the next node's task starts (and before
the tracker stops); these measurements, with the tracker's own start and stop measurements,
are summed into one ``__outside_nodes__`` row.

The dataset hooks carry the node but no run id: the shared run registry routes them
(:meth:`~data_collection_kedro.run_context.RunRegistry.run_of_node`).

Double counting
---------------
A run started while another run of this process is measured (``session.run`` inside a
node, two sessions in two threads) and a run started while another *process* measures into
the same output folder do not start a second tracker (see :mod:`.guard`); their nodes are
recorded with ``measurement`` ``skipped-nested`` / ``skipped-concurrent`` and no energy.
``carbon.on_concurrent_tracker: wait`` makes a run wait for the other process instead.
Under ``ThreadRunner`` a node that starts while another node's task is open is recorded as
``unmeasured-overlapping-node`` (its energy lands in the open node); under
``ParallelRunner`` only the run total is measured.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from data_collection_kedro import phases
from data_collection_kedro.carbon import files, machine_cache, rows
from data_collection_kedro.carbon.codecarbon_adapter import TrackerAdapter
from data_collection_kedro.carbon.guard import (
    TrackerFileLock,
    claim_process_slot,
    release_process_slot,
)
from data_collection_kedro.carbon.measurement import RunMeasurement
from data_collection_kedro.run_context import (
    DEFAULT_PIPELINE,
    RunEnergy,
    RunRecord,
    RunRegistry,
    as_bool,
    now_iso,
    run_key,
    run_pipeline_name,
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
    "idle_probe_s": 0.5,
    "cache_dir": None,  # None: <output_dir>/cache
    "hardware_cache_max_age_h": 168.0,
    "idle_power_max_age_min": 15.0,
}
CONCURRENT_POLICIES = ("skip", "wait")
MEASUREMENT_DISABLED = "disabled"


class CarbonTrackingHook:
    """Kedro hook: one CodeCarbon tracker per pipeline run, a task per node.

    ``runs`` is the project's shared run registry (``settings.RUNS``): node measurements and the
    run's energy are published there for the other hooks. Without it the hook keeps its own.
    """

    def __init__(self, runs: RunRegistry | None = None) -> None:
        self.runs = runs if runs is not None else RunRegistry()
        self.runs.declare_energy_source()
        self._pending_params: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._measurements: dict[str, RunMeasurement] = {}
        self._hardware_detection: threading.Thread | None = None

    # -- configuration ------------------------------------------------------------------
    @hook_impl
    def after_context_created(self, context: Any) -> None:
        try:
            params = context.params.get("carbon") or {}
        except Exception as exc:  # a broken parameters file must not hide the real error
            logger.warning("carbon: parameters unreadable (%s); using defaults", exc)
            params = {}
        self._pending_params = dict(params)
        self._detect_hardware_ahead(self._pending_params)

    def _detect_hardware_ahead(self, params: dict[str, Any]) -> None:
        """Make CodeCarbon's hardware detection ready before the run's tracker starts: the
        detection an earlier process kept (:mod:`.machine_cache`, ``carbon.cache_dir``) when
        it is recent enough, else CodeCarbon's detection in a thread while Kedro builds the
        catalog and the pipeline (kept for the next processes once done). The tracker of the
        run reuses it (:meth:`TrackerAdapter.detect_hardware`). Nothing is measured here."""
        try:
            merged = _merged(params)
            if not merged["enabled"]:
                return
            settings = _tracker_settings(merged, "", Path(str(merged["output_dir"])))
            cache_dir = _cache_dir(merged)
            max_age_s = float(merged["hardware_cache_max_age_h"]) * 3600.0
        except Exception as exc:  # invalid parameters are reported by before_pipeline_run
            logger.debug("carbon: no hardware detection ahead (%s)", exc)
            return
        key: dict[str, Any] | None = None
        try:
            if TrackerAdapter.hardware_plan(**settings) is not None:
                return  # detected by an earlier run of this process
            key = _machine_key(settings)
            kept = machine_cache.read(cache_dir, machine_cache.HARDWARE, key, max_age_s)
            if kept is not None and TrackerAdapter.adopt_hardware_plan(kept.value, **settings):
                return
        except Exception as exc:  # the cache is an optimisation: detect as without it
            logger.debug("carbon: hardware cache unusable (%s)", exc)

        def detect() -> None:
            try:
                TrackerAdapter.detect_hardware(**settings)
                plan = TrackerAdapter.hardware_plan(**settings)
                if plan is not None and key is not None and max_age_s > 0:
                    machine_cache.write(cache_dir, machine_cache.HARDWARE, key, plan)
            except Exception as exc:  # the tracker's start detects it again
                logger.debug("carbon: hardware detection ahead failed (%s)", exc)

        self._hardware_detection = threading.Thread(
            target=detect, name="carbon-hardware-detection", daemon=True
        )
        self._hardware_detection.start()

    def _take_params(self, catalog: Any) -> dict[str, Any]:
        params = self._pending_params
        self._pending_params = None
        if params is None:
            try:
                params = dict(catalog.load("params:carbon"))
            except Exception:
                params = {}
        return _merged(params)

    # -- pipeline -----------------------------------------------------------------------
    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        params = self._take_params(catalog)
        key = run_key(run_params)
        run_pipeline = run_pipeline_name(run_params)
        nodes = list(getattr(pipeline, "nodes", ()))
        record = self.runs.begin(run_params, pipeline)
        if not params["enabled"]:
            record.settle_energy(RunEnergy(measurement=MEASUREMENT_DISABLED))
            return
        output_dir = Path(str(params["output_dir"]))
        tracker, file_lock, reason = self._claim_tracker(key, run_pipeline, output_dir, params)
        if reason == MEASUREMENT_DISABLED:
            record.settle_energy(RunEnergy(measurement=reason))
            return
        idle_power_w, idle_measured_at = None, None
        if tracker is not None:
            idle_power_w, idle_measured_at = _idle_power(tracker, params, run_pipeline, output_dir)
        measurement = RunMeasurement(
            record,
            run_pipeline=run_pipeline,
            node_pipelines=_node_pipelines(run_params, nodes, run_pipeline),
            node_phases={node.name: phases.phase_of_node(node) for node in nodes},
            output_dir=output_dir,
            country_iso_code=str(params["country_iso_code"]),
            mode=reason,
            tracker=tracker,
            file_lock=file_lock,
            idle_power_w=idle_power_w,
            idle_power_measured_at=idle_measured_at,
        )
        with self._lock:
            self._measurements[key] = measurement

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any]) -> None:
        self._close_run(run_params, failed=False)

    @hook_impl
    def on_pipeline_error(self, run_params: dict[str, Any]) -> None:
        self._close_run(run_params, failed=True)

    # -- nodes and their datasets ------------------------------------------------------
    @hook_impl(tryfirst=True)  # the node's measurement covers its first load entirely
    def before_dataset_loaded(self, dataset_name: str, node: Any) -> None:
        measurement = self._of_record(self.runs.run_of_node(node))
        if measurement is not None:
            with measurement.lock:
                measurement.begin_node(node)

    @hook_impl(trylast=True)  # a node without inputs: start as close to its function as possible
    def before_node_run(self, node: Any, run_id: str | None = None) -> None:
        measurement = self._of_record(self.runs.active_run(run_id))
        if measurement is not None:
            with measurement.lock:
                measurement.begin_node(node)

    @hook_impl(trylast=True)  # the node's row includes what other hooks do with its outputs
    def after_node_run(self, node: Any, run_id: str | None = None) -> None:
        self._node_returned(node, run_id, "ok")

    @hook_impl(tryfirst=True)
    def on_node_error(self, node: Any, run_id: str | None = None) -> None:
        self._node_returned(node, run_id, "failed")

    @hook_impl(trylast=True)  # the node's measurement covers its last save entirely
    def after_dataset_saved(self, dataset_name: str, node: Any) -> None:
        measurement = self._of_record(self.runs.run_of_node(node))
        if measurement is not None:
            with measurement.lock:
                measurement.dataset_saved(dataset_name, node)

    # -- internals ----------------------------------------------------------------------
    def _of_record(self, record: RunRecord | None) -> RunMeasurement | None:
        """The measurement of ``record``'s run (none when off or in a worker process)."""
        if record is None:
            return None
        with self._lock:
            measurement = self._measurements.get(record.run_id)
        if measurement is None or measurement.owner_pid != os.getpid():
            return None
        return measurement

    def _node_returned(self, node: Any, run_id: str | None, status: str) -> None:
        measurement = self._of_record(self.runs.active_run(run_id))
        if measurement is not None:
            with measurement.lock:
                measurement.node_returned(node, status)

    def _claim_tracker(
        self, key: str, run_pipeline: str, output_dir: Path, params: dict[str, Any]
    ) -> tuple[TrackerAdapter | None, TrackerFileLock | None, str]:
        """(tracker, lock, ""): a started tracker holding both guards; else (None, None, why)."""
        holder = claim_process_slot(key)
        if holder is not None:
            logger.warning(
                "carbon: run %s (%s) started inside measured run %s of this process; "
                "no second tracker (its energy is already counted there)",
                key,
                run_pipeline,
                holder,
            )
            return None, None, files.MEASUREMENT_SKIPPED_NESTED
        file_lock = TrackerFileLock(output_dir)
        wait = params["on_concurrent_tracker"] == "wait"
        note = {"pipeline": run_pipeline, "run": key, "since": now_iso()}
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
            locked = file_lock.acquire(
                wait=wait, timeout_s=float(params["concurrent_wait_timeout_s"]), holder=note
            )
        except OSError as exc:  # measuring must never fail the pipeline run
            logger.warning("carbon: output folder %s unusable (%s); not measured", output_dir, exc)
            release_process_slot(key)
            return None, None, MEASUREMENT_DISABLED
        if not locked:
            release_process_slot(key)
            logger.warning(
                "carbon: another process is measuring into %s (%s)%s; this run of %s is not "
                "measured to avoid double counting",
                output_dir,
                file_lock.describe_holder(),
                " and the wait timed out" if wait else "",
                run_pipeline,
            )
            return None, None, files.MEASUREMENT_SKIPPED_CONCURRENT
        detection, self._hardware_detection = self._hardware_detection, None
        if detection is not None:  # started by after_context_created: its result is reused
            detection.join()
        try:
            tracker = TrackerAdapter.start_offline(
                **_tracker_settings(params, run_pipeline, output_dir)
            )
        except Exception as exc:
            logger.warning("carbon: tracker unavailable (%s); %s not measured", exc, run_pipeline)
            file_lock.release()
            release_process_slot(key)
            return None, None, files.MEASUREMENT_UNAVAILABLE
        return tracker, file_lock, ""

    def _close_run(self, run_params: dict[str, Any], *, failed: bool) -> None:
        key = run_key(run_params)
        self.runs.end(key)
        with self._lock:
            measurement = self._measurements.pop(key, None)
        if measurement is None or measurement.owner_pid != os.getpid():
            return
        try:
            measurement.close(failed=failed)
        except Exception as exc:  # measuring must never fail the pipeline run
            logger.warning("carbon: could not write the carbon files of %s: %s", key, exc)


def _node_pipelines(
    run_params: dict[str, Any], nodes: list[Any], run_pipeline: str
) -> dict[str, str]:
    """Node name → registered pipeline (:func:`.rows.pipelines_of_nodes`); a run of one
    registered pipeline other than ``__default__`` carries its own name on every node."""
    names = run_params.get("pipeline_names") or []
    if len(names) == 1 and names[0] != DEFAULT_PIPELINE:
        return dict.fromkeys((node.name for node in nodes), run_pipeline)
    try:
        from kedro.framework.project import pipelines

        registry = list(pipelines.items())
    except Exception as exc:  # no configured project (a bare runner): the run's own name
        logger.debug("carbon: no pipeline registry (%s)", exc)
        registry = []
    return rows.pipelines_of_nodes(nodes, registry, run_pipeline)


def _idle_power(
    tracker: TrackerAdapter, params: dict[str, Any], run_pipeline: str, output_dir: Path
) -> tuple[float | None, str | None]:
    """The machine's idle draw (W) and when it was measured: the one an earlier run of this
    machine measured less than ``carbon.idle_power_max_age_min`` ago (:mod:`.machine_cache`),
    else a probe of ``carbon.idle_probe_s`` seconds now (kept for the next runs).
    ``(None, None)`` when ``idle_probe_s`` is 0 or nothing was measured."""
    try:
        probe_s = float(params["idle_probe_s"])
        if probe_s <= 0:
            return None, None
        max_age_s = float(params["idle_power_max_age_min"]) * 60.0
        cache_dir = _cache_dir(params)
        key = {
            **_machine_key(_tracker_settings(params, run_pipeline, output_dir)),
            "pue": float(params["pue"]),
            "idle_probe_s": probe_s,
        }
        kept = machine_cache.read(cache_dir, machine_cache.IDLE_POWER, key, max_age_s)
        if kept is not None and isinstance(kept.value, int | float) and kept.value > 0:
            return float(kept.value), kept.measured_at
        measured_at = now_iso()
        watts = tracker.probe_idle_power(probe_s)
        if watts is not None and max_age_s > 0:
            machine_cache.write(cache_dir, machine_cache.IDLE_POWER, key, watts, measured_at)
        return watts, (measured_at if watts is not None else None)
    except Exception as exc:  # measuring must never fail the pipeline run
        logger.warning("carbon: idle power probe failed (%s)", exc)
        return None, None


def _machine_key(settings: dict[str, Any]) -> dict[str, Any]:
    """The key of this machine's measurements for trackers of ``settings``
    (:mod:`.machine_cache`): the machine, the CodeCarbon version, the detection settings."""
    return {"machine": machine_cache.machine_identity(), **TrackerAdapter.hardware_key(**settings)}


def _cache_dir(params: dict[str, Any]) -> Path:
    """``carbon.cache_dir``, by default the ``cache`` folder of ``carbon.output_dir``."""
    folder = params.get("cache_dir")
    return Path(str(folder)) if folder else Path(str(params["output_dir"])) / "cache"


def _merged(params: dict[str, Any]) -> dict[str, Any]:
    """The ``carbon`` parameters over :data:`DEFAULT_PARAMS`, checked."""
    merged = {**DEFAULT_PARAMS, **{k: v for k, v in params.items() if v is not None}}
    merged["enabled"] = as_bool(merged["enabled"], "carbon.enabled")
    if merged["on_concurrent_tracker"] not in CONCURRENT_POLICIES:
        raise ValueError(
            "parameters carbon.on_concurrent_tracker: expected one of "
            f"{CONCURRENT_POLICIES}, got {merged['on_concurrent_tracker']!r}"
        )
    return merged


def _tracker_settings(
    params: dict[str, Any], run_pipeline: str, output_dir: Path
) -> dict[str, Any]:
    """The CodeCarbon tracker's arguments for a run of ``run_pipeline``."""
    return {
        "project_name": str(params["project_name"]),
        "experiment_name": run_pipeline,
        "country_iso_code": str(params["country_iso_code"]),
        "pue": float(params["pue"]),
        "measure_power_secs": float(params["measure_power_secs"]),
        "output_dir": str(output_dir),
        "output_file": files.pipeline_file_name(run_pipeline),
        "log_level": str(params["log_level"]),
        "tracking_mode": str(params["tracking_mode"]),
        "force_cpu_power": params["force_cpu_power"],
        "force_ram_power": params["force_ram_power"],
    }
