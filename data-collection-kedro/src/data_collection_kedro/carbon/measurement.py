"""The measurement of one pipeline run: which node holds the tracker's task, the windows
between nodes, the rows (docs/carbon.md explains when a node's task starts and stops).

:class:`RunMeasurement` receives the hook's events already routed to its run, under its own
lock; it publishes each finished node row to the run's shared
:class:`~data_collection_kedro.run_context.RunRecord` and, at the end, writes the carbon files
and settles the run's energy there.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from data_collection_kedro import phases
from data_collection_kedro.carbon import files, rows
from data_collection_kedro.carbon.codecarbon_adapter import EnergyReading, TrackerAdapter
from data_collection_kedro.carbon.guard import TrackerFileLock, release_process_slot
from data_collection_kedro.run_context import RunEnergy, RunRecord, now_iso

logger = logging.getLogger(__name__)


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


class RunMeasurement:
    """One run's measurement state. ``tracker`` is ``None`` when the run is not measured
    (``mode`` then says why: ``skipped-nested``, ``skipped-concurrent``, ``unavailable``);
    its nodes are still recorded, without energy. A measured run holds the guards against a
    second tracker (:mod:`.guard`) until :meth:`close`."""

    def __init__(
        self,
        record: RunRecord,
        *,
        run_pipeline: str,
        node_pipelines: dict[str, str],
        node_phases: dict[str, str],
        output_dir: Path,
        country_iso_code: str,
        mode: str,
        tracker: TrackerAdapter | None = None,
        file_lock: TrackerFileLock | None = None,
        idle_power_w: float | None = None,
        idle_power_measured_at: str | None = None,
    ) -> None:
        self.record = record
        self.run_pipeline = run_pipeline
        self.node_pipelines = node_pipelines
        self.node_phases = node_phases
        self.idle_power_w = idle_power_w
        self.idle_power_measured_at = idle_power_measured_at
        self.output_dir = output_dir
        self.country_iso_code = country_iso_code
        self.tracker = tracker
        self.file_lock = file_lock
        self.owner_pid = os.getpid()  # ParallelRunner workers see copies: they never measure
        self.mode = tracker.measurement_method() if tracker is not None else mode
        self.run_id = tracker.run_id if tracker is not None else record.run_id
        self.lock = threading.Lock()
        self.rows: list[dict[str, Any]] = []
        self._open: dict[str, _OpenNode] = {}
        self._active_node: str | None = None
        self._started_at = now_iso()
        self._started_perf = time.perf_counter()
        self._gap_started = self._started_perf
        # start() took one measurement (its own start-up window): part of "outside nodes"
        self._outside = tracker.totals() if tracker is not None else EnergyReading()
        self._outside_s = 0.0

    @property
    def measured(self) -> bool:
        return self.tracker is not None

    # -- node events (caller holds self.lock) -----------------------------------------
    def begin_node(self, node: Any) -> None:
        """Open the node's record (and its task when the tracker is free); idempotent."""
        name = node.name
        if name in self._open:
            return
        for other in [n for n, record in self._open.items() if record.ran]:
            self._finish_node(other)  # a streamed node whose saves are over
        record = _OpenNode(
            start_perf=time.perf_counter(),
            started_at=now_iso(),
            pending_outputs=set(node.outputs),
            streamed=inspect.isgeneratorfunction(getattr(node, "func", None)),
        )
        self._open[name] = record
        if self.tracker is not None and self._active_node is None:
            self._close_gap()
            self.tracker.start_task(name)
            self._active_node = name
            record.measured = True

    def node_returned(self, node: Any, status: str) -> None:
        self.begin_node(node)  # no-op unless a load or before_node_run was missed
        record = self._open[node.name]
        record.ran = True
        record.status = status
        if status == "failed" or not record.pending_outputs:
            self._finish_node(node.name)  # nothing will be saved

    def dataset_saved(self, dataset_name: str, node: Any) -> None:
        record = self._open.get(node.name)
        if record is None or not record.ran:
            return
        record.pending_outputs.discard(dataset_name)
        if not record.pending_outputs and not record.streamed:
            self._finish_node(node.name)

    # -- end of run -------------------------------------------------------------------
    def close(self, *, failed: bool) -> None:
        """Close open nodes, stop the tracker, write the files, settle the run's energy."""
        energy = RunEnergy(measurement=self.mode)
        try:
            with self.lock:
                # nodes still open: a failed load or save (the run's error), or a streamed node
                for name in list(self._open):
                    self._finish_node(name, "failed" if failed else None)
                if self.tracker is not None:
                    energy = self._stop_tracker() or energy
            if self.rows:
                files.append_node_rows(self.output_dir, self.rows)
        finally:
            if self.file_lock is not None:
                self.file_lock.release()
            release_process_slot(self.record.run_id)
            self.record.settle_energy(energy)

    # -- internals --------------------------------------------------------------------
    def _finish_node(self, name: str, status: str | None = None) -> None:
        """Close the node's record into a row (stopping its task if it holds it)."""
        record = self._open.pop(name)
        energy: EnergyReading | None = None
        emissions: float | None = None
        duration = time.perf_counter() - record.start_perf
        if record.measured and self.tracker is not None:
            task = self.tracker.stop_task(name)
            self._active_node = None
            energy, emissions, duration = task.energy, task.emissions_kg, task.duration_s
            measurement = self.mode
            self._gap_started = time.perf_counter()
        elif self.tracker is not None:
            measurement = files.MEASUREMENT_OVERLAPPING_NODE
        else:
            measurement = self.mode
        row = rows.node_row(
            run_id=self.run_id,
            pipeline=self.node_pipelines.get(name, self.run_pipeline),
            run_pipeline=self.run_pipeline,
            node=name,
            started_at=record.started_at,
            duration_s=duration,
            measurement=measurement,
            country_iso_code=self.country_iso_code,
            status=status or record.status,
            energy=energy,
            emissions_kg=emissions,
            phase=self.node_phases.get(name, phases.UNKNOWN),
            idle_power_w=self.idle_power_w,
            idle_power_measured_at=self.idle_power_measured_at,
        )
        self.rows.append(row)
        self.record.add_node_measurement(row)

    def _close_gap(self) -> None:
        """Measure the window since the last node (or the tracker start) into "outside"."""
        assert self.tracker is not None
        self._outside += self.tracker.measure()
        self._outside_s += time.perf_counter() - self._gap_started

    def _stop_tracker(self) -> RunEnergy | None:
        assert self.tracker is not None
        self._close_gap()
        added, total = self.tracker.stop()  # stop() may take a last measurement of its own
        self._outside += added
        wall_s = time.perf_counter() - self._started_perf
        if total is None:
            logger.warning("carbon: CodeCarbon returned no total for %s", self.run_pipeline)
            return None
        energy_kwh = float(total["energy_consumed"])
        emissions_kg = float(total["emissions"])
        total.update(duration=wall_s, emissions_rate=emissions_kg / wall_s if wall_s > 0 else 0.0)
        # one grid intensity per offline run: the outside windows' emissions follow from energy
        intensity = emissions_kg / energy_kwh if energy_kwh else 0.0
        self.rows.append(
            rows.outside_row(
                run_id=self.run_id,
                run_pipeline=self.run_pipeline,
                started_at=self._started_at,
                duration_s=self._outside_s,
                energy=self._outside,
                emissions_kg=self._outside.energy_kwh * intensity,
                measurement=self.mode,
                country_iso_code=self.country_iso_code,
                idle_power_w=self.idle_power_w,
                idle_power_measured_at=self.idle_power_measured_at,
            )
        )
        for pipeline, row in rows.pipeline_run_rows(total, self.rows, self.run_pipeline).items():
            TrackerAdapter.write_run_row(
                str(self.output_dir), files.pipeline_file_name(pipeline), row
            )
        return RunEnergy(
            measurement=self.mode,
            energy_kwh=energy_kwh,
            emissions_kg=emissions_kg,
            duration_s=wall_s,
        )
