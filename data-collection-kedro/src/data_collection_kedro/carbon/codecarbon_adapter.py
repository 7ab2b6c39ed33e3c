"""Every use of CodeCarbon's internals, in one place.

The carbon hook needs more than CodeCarbon's public API (``start``, ``start_task``,
``stop_task``, ``stop``): it closes the measurement windows between nodes itself, reads the
tracker's running totals to attribute those windows, asks which CPU power method the tracker
chose, and keeps CodeCarbon's 1-second power monitor running across tasks. Those parts touch
private attributes of CodeCarbon (listed in :data:`PRIVATE_ATTRIBUTES`), which may change in
any release. They are used here only, and ``tests/carbon/test_codecarbon_adapter.py`` checks
each of them against the installed version (:data:`PINNED_VERSION`): when CodeCarbon changes,
that test fails and names what moved.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping
from typing import Any

import codecarbon
from codecarbon import OfflineEmissionsTracker
from codecarbon.core import hardware_cache
from codecarbon.output_methods.emissions_data import EmissionsData
from codecarbon.output_methods.file import FileOutput

from data_collection_kedro.carbon import files

#: the CodeCarbon version this adapter was written and tested against
PINNED_VERSION = "3.3.2"

#: the private attributes of CodeCarbon used below: (owner, attribute, what for)
PRIVATE_ATTRIBUTES: tuple[tuple[str, str, str], ...] = (
    ("BaseEmissionsTracker", "_start_time", "None until start() succeeded"),
    ("BaseEmissionsTracker", "_hardware", "the measured devices (CPU power method)"),
    ("BaseEmissionsTracker", "_measure_power_and_energy", "close a window between nodes"),
    ("BaseEmissionsTracker", "_total_energy", "running total (kWh), all devices"),
    ("BaseEmissionsTracker", "_total_cpu_energy", "running total (kWh), CPU"),
    ("BaseEmissionsTracker", "_total_ram_energy", "running total (kWh), RAM"),
    ("BaseEmissionsTracker", "_total_gpu_energy", "running total (kWh), GPU"),
    ("BaseEmissionsTracker", "_scheduler", "periodic measurement, stopped once per run"),
    ("BaseEmissionsTracker", "_scheduler_monitor_power", "1 s power monitor, kept running"),
    ("CPU", "_mode", "intel_rapl / cpu_load / constant ..."),
    ("CPU", "_is_generic_tdp", "constant power of an unknown CPU model"),
    ("hardware_cache", "_plans", "CodeCarbon's per-process detection results, by key"),
    ("hardware_cache", "_cache_lock", "guards _plans"),
    ("hardware_cache", "_HardwarePlan", "one detection result (plain data)"),
    ("hardware_cache", "make_key", "the settings a detection result depends on"),
    ("hardware_cache", "HardwareKind", "the kinds of device a result may hold"),
)

#: EmissionsData fields the per-pipeline rows recompute (the others describe the whole run)
ENERGY_FIELDS = ("energy_consumed", "cpu_energy", "ram_energy", "gpu_energy")


class _QuietCodeCarbonFilter(logging.Filter):
    """Drops CodeCarbon's warning about ``allow_multiple_runs``: the hook guards itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Multiple instances of codecarbon are allowed" not in record.getMessage()


logging.getLogger("codecarbon").addFilter(_QuietCodeCarbonFilter())


@dataclasses.dataclass(frozen=True)
class EnergyReading:
    """Energy in kWh, in total and by device."""

    energy_kwh: float = 0.0
    cpu_kwh: float = 0.0
    ram_kwh: float = 0.0
    gpu_kwh: float = 0.0

    def __add__(self, other: EnergyReading) -> EnergyReading:
        return EnergyReading(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))

    def __sub__(self, other: EnergyReading) -> EnergyReading:
        return EnergyReading(*(a - b for a, b in zip(_values(self), _values(other), strict=True)))


def _values(reading: EnergyReading) -> tuple[float, float, float, float]:
    return (reading.energy_kwh, reading.cpu_kwh, reading.ram_kwh, reading.gpu_kwh)


@dataclasses.dataclass(frozen=True)
class TaskReading:
    """What one CodeCarbon task measured."""

    duration_s: float
    emissions_kg: float
    energy: EnergyReading


class TrackerAdapter:
    """One started :class:`codecarbon.OfflineEmissionsTracker`, seen through what the hook needs."""

    def __init__(self, tracker: Any) -> None:
        self.tracker = tracker

    @classmethod
    def start_offline(cls, **settings: Any) -> TrackerAdapter:
        """Create and start an offline tracker (no network); raise when it did not start.

        ``settings`` are :class:`OfflineEmissionsTracker` arguments; the adapter adds
        ``output_methods=[]`` (the hook writes the files), ``allow_multiple_runs=True`` (the
        hook guards itself, see :mod:`.guard`) and no Electricity Maps or API endpoint.
        """
        tracker = _offline_tracker(settings)
        tracker.start()  # CodeCarbon logs and swallows its own errors
        if getattr(tracker, "_start_time", None) is None:
            raise RuntimeError("CodeCarbon tracker did not start (see its log)")
        adapter = cls(tracker)
        adapter._keep_monitor_running()
        return adapter

    @staticmethod
    def detect_hardware(**settings: Any) -> dict[str, Any]:
        """CodeCarbon's hardware detection for trackers of these ``settings`` (the arguments of
        :meth:`start_offline`), without starting one: its public
        ``get_detected_hardware()``. CodeCarbon keeps the detection per process, keyed by the
        settings that change it (tracking mode, forced powers, GPUs), so a tracker started
        later in this process with the same settings reuses it: the hook runs this in a thread
        while Kedro builds the run (the CPU probe takes about a second)."""
        detected: dict[str, Any] = _offline_tracker(
            _detection_settings(settings)
        ).get_detected_hardware()
        return detected

    @staticmethod
    def hardware_key(**settings: Any) -> dict[str, Any]:
        """What CodeCarbon's hardware detection depends on for trackers of these ``settings``
        (its per-process cache key: tracking mode, forced powers, GPUs, RAPL options) and the
        CodeCarbon version, as plain data (the key of the detection kept between processes,
        :mod:`.machine_cache`)."""
        key = hardware_cache.make_key(_offline_tracker(_detection_settings(settings)))
        return {"codecarbon": codecarbon.__version__, **dataclasses.asdict(key)}

    @staticmethod
    def hardware_plan(**settings: Any) -> dict[str, Any] | None:
        """The hardware detection of this process for trackers of these ``settings`` as plain
        data (JSON-ready), ``None`` when it has not run here."""
        key = hardware_cache.make_key(_offline_tracker(_detection_settings(settings)))
        with hardware_cache._cache_lock:
            plan = hardware_cache._plans.get(key)
        return _json_ready(dataclasses.asdict(plan)) if plan is not None else None

    @staticmethod
    def adopt_hardware_plan(plan: Mapping[str, Any], **settings: Any) -> bool:
        """Give CodeCarbon a detection of this machine (from :meth:`hardware_plan`, kept by an
        earlier process) for trackers of these ``settings``: the next tracker started in this
        process uses it instead of probing the hardware. ``False`` (nothing changed) when
        ``plan`` is not one CodeCarbon can apply or a detection is already there."""
        try:
            adopted = hardware_cache._HardwarePlan(**plan)
            for spec in adopted.hardware_specs:
                hardware_cache.HardwareKind(spec["kind"])
            if not isinstance(adopted.conf, dict) or not adopted.hardware_specs:
                return False
        except (TypeError, ValueError, KeyError):
            return False
        key = hardware_cache.make_key(_offline_tracker(_detection_settings(settings)))
        with hardware_cache._cache_lock:
            if key in hardware_cache._plans:
                return False
            hardware_cache._plans[key] = adopted
        return True

    @property
    def run_id(self) -> str:
        return str(self.tracker.run_id)

    def totals(self) -> EnergyReading:
        """The tracker's running totals (start() already took one measurement)."""
        return EnergyReading(
            *(
                float(getattr(getattr(self.tracker, attr, None), "kWh", 0.0) or 0.0)
                for attr in (
                    "_total_energy",
                    "_total_cpu_energy",
                    "_total_ram_energy",
                    "_total_gpu_energy",
                )
            )
        )

    def measurement_method(self) -> str:
        """How the tracker gets CPU power: ``RAPL`` (energy counters), ``cpu_load`` (TDP ×
        load), ``TDP`` (the model's TDP, constant) or ``constant`` (a generic constant)."""
        for hardware in getattr(self.tracker, "_hardware", []) or []:
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

    def start_task(self, name: str) -> None:
        self.tracker.start_task(name)

    def stop_task(self, name: str) -> TaskReading:
        data = self.tracker.stop_task(name)
        return TaskReading(
            duration_s=float(data.duration),
            emissions_kg=float(data.emissions),
            energy=EnergyReading(
                float(data.energy_consumed),
                float(data.cpu_energy),
                float(data.ram_energy),
                float(data.gpu_energy),
            ),
        )

    def measure(self) -> EnergyReading:
        """Take one measurement now (closing the window since the last one); what it added."""
        before = self.totals()
        self.tracker._measure_power_and_energy()
        return self.totals() - before

    def probe_idle_power(self, seconds: float) -> float | None:
        """The machine's draw (W) while this process waits ``seconds``: one measurement window
        closed after an idle wait, taken once at the tracker's start. Everything the tracker
        counts (CPU at its measured load, RAM's constant estimate) is in it, so energy above it
        is the run's marginal energy. ``None`` when ``seconds`` is 0 or nothing was measured."""
        if seconds <= 0:
            return None
        self.measure()  # close the start-up window (hardware probe) first
        started = time.perf_counter()
        time.sleep(seconds)
        reading = self.measure()
        elapsed = time.perf_counter() - started
        if elapsed <= 0 or reading.energy_kwh <= 0:
            return None
        return reading.energy_kwh * 3.6e6 / elapsed

    def stop(self) -> tuple[EnergyReading, dict[str, Any] | None]:
        """Stop the tracker: (energy its last measurement added, CodeCarbon's run total as a
        dict of :class:`EmissionsData` fields, ``None`` when it returned none)."""
        monitor = getattr(self.tracker, "_scheduler_monitor_power", None)
        if isinstance(monitor, _PinnedScheduler):
            monitor.pinned = False
        before = self.totals()
        self.tracker.stop()
        added = self.totals() - before
        total = getattr(self.tracker, "final_emissions_data", None)
        return added, (dataclasses.asdict(total) if total is not None else None)

    @staticmethod
    def write_run_row(folder: str, file_name: str, row: Mapping[str, Any]) -> None:
        """Append ``row`` (:class:`EmissionsData` fields) to ``folder/file_name`` the way
        CodeCarbon writes its own ``emissions.csv`` (header from the fields)."""
        FileOutput(file_name, folder, on_csv_write="append").out(EmissionsData(**row), None)

    def _keep_monitor_running(self) -> None:
        """See :class:`_PinnedScheduler`; a no-op if CodeCarbon's internals differ."""
        scheduler = getattr(self.tracker, "_scheduler", None)
        monitor = getattr(self.tracker, "_scheduler_monitor_power", None)
        if scheduler is None or monitor is None or not hasattr(monitor, "stop"):
            return
        scheduler.stop()
        self.tracker._scheduler_monitor_power = _PinnedScheduler(monitor)


def _detection_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` without the output file: the output folder may not exist yet (the run
    creates it) and plays no part in the hardware detection."""
    return {k: v for k, v in settings.items() if k not in ("output_dir", "output_file")}


def _json_ready(value: Any) -> Any:
    """``value`` with tuples as lists (what JSON gives back), for comparisons and files."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def _offline_tracker(settings: Mapping[str, Any]) -> OfflineEmissionsTracker:
    """An offline tracker of ``settings`` with what the hook fixes: ``output_methods=[]`` (the
    hook writes the files), ``allow_multiple_runs=True`` (the hook guards itself, see
    :mod:`.guard`) and no Electricity Maps or API endpoint."""
    return OfflineEmissionsTracker(
        **settings,
        output_methods=[],
        allow_multiple_runs=True,
        electricitymaps_api_token=None,
        emissions_endpoint=None,
    )


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
