"""The run summary: what one pipeline run wrote and consumed, as a record and a small file.

:class:`RunSummaryHook` (registered in ``settings.py``) records every dataset save of a run in
the shared run state (:mod:`data_collection_kedro.run_context`): the rows handed to the
dataset and, for the store datasets, what the store did with them (``inserted``,
``updated``, ``unchanged`` from the dataset's ``last_result``). Once the run's energy is
settled it writes ``<run_summary.output_dir>/<run id>.json`` (:func:`build_run_summary`)::

    {"run_id": "...", "pipeline": "etl_pipeline", "status": "ok", "error": null,
     "started_at": "...", "ended_at": "...",
     "datasets": {"raw_strikes": {"saves": 1, "rows": 120, "inserted": 120,
                                  "updated": 0, "unchanged": 0}, ...},
     "quarantined_rows": 3,
     "energy": {"measurement": "cpu_load", "energy_kwh": 1.2e-05,
                "emissions_kg": 6.7e-07, "duration_s": 4.2}}

``rows`` / ``inserted`` / ... are ``null`` when a save's data has no row count or its dataset
does not report one. ``quarantined_rows`` adds up the rows saved to the datasets named like
``run_summary.quarantine_datasets`` (``quarantine_*``). The Airflow runner reads the file
(:func:`read_run_summary`) to tell whether an ingestion inserted rows.

Configuration: the ``run_summary:`` block of ``conf/base/parameters.yml`` (``enabled``,
``output_dir``, ``keep_last`` files, ``quarantine_datasets``).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from data_collection_kedro.redaction import redact
from data_collection_kedro.run_context import (
    RunRecord,
    RunRegistry,
    as_bool,
    now_iso,
    run_key,
    safe_file_stem,
)

logger = logging.getLogger(__name__)

DEFAULT_PARAMS: dict[str, Any] = {
    "enabled": True,
    "output_dir": "data/09_runs",
    "keep_last": 200,
    "quarantine_datasets": "quarantine_*",
}
STORE_COUNTS = ("inserted", "updated", "unchanged")


def summary_path(folder: Path | str, run_id: str) -> Path:
    """``<folder>/<run id>.json`` (characters unsafe in a file name become ``_``)."""
    return Path(folder) / f"{safe_file_stem(run_id)}.json"


def read_run_summary(folder: Path | str, run_id: str) -> dict[str, Any] | None:
    """The summary of run ``run_id`` in ``folder`` (``None`` when there is none)."""
    path = summary_path(folder, run_id)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("run summary %s unreadable: %s", path, exc)
        return None
    return content if isinstance(content, dict) else None


def row_count(data: Any) -> int | None:
    """Rows of a saved frame or array (``None`` for data without rows: a model, a scalar)."""
    shape = getattr(data, "shape", None)
    if isinstance(shape, tuple) and shape:
        return int(shape[0])
    return None


def store_counts(dataset: Any) -> dict[str, Any] | None:
    """``inserted`` / ``updated`` / ``unchanged`` of a store dataset's last save, if it reports."""
    result = getattr(dataset, "last_result", None)
    if result is None:
        return None
    counts = result.as_dict() if hasattr(result, "as_dict") else vars(result)
    return {key: counts.get(key) for key in STORE_COUNTS}


def build_run_summary(
    record: RunRecord,
    *,
    status: str,
    error: str | None,
    started_at: str,
    ended_at: str,
    quarantine_datasets: str = DEFAULT_PARAMS["quarantine_datasets"],
) -> dict[str, Any]:
    """The summary of ``record``'s run (see the module docstring for the fields)."""
    saves = record.dataset_saves()
    quarantined: int | None = 0
    for name, saved in saves.items():
        if fnmatch.fnmatchcase(name, quarantine_datasets):
            quarantined = (
                None if quarantined is None or saved.rows is None else quarantined + saved.rows
            )
    energy = record.energy
    return {
        "run_id": record.run_id,
        "pipeline": record.pipeline,
        "status": status,
        "error": error,
        "started_at": started_at,
        "ended_at": ended_at,
        "datasets": {name: dataclasses.asdict(saved) for name, saved in sorted(saves.items())},
        "quarantined_rows": quarantined,
        "energy": dataclasses.asdict(energy) if energy is not None else None,
    }


def write_run_summary(folder: Path | str, summary: Mapping[str, Any], keep_last: int) -> Path:
    """Write the summary atomically; keep the ``keep_last`` newest summaries of ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = summary_path(folder, str(summary["run_id"]))
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=".run_summary_", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(summary, out, indent=2, default=str)
    os.replace(tmp, path)
    if keep_last > 0:
        older = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in older[keep_last:]:
            stale.unlink(missing_ok=True)
    return path


class RunSummaryHook:
    """Kedro hook: records the dataset saves of every run and writes its summary file."""

    def __init__(self, runs: RunRegistry | None = None) -> None:
        self.runs = runs if runs is not None else RunRegistry()
        self._params: dict[str, Any] = dict(DEFAULT_PARAMS)
        self._catalogs: dict[str, Any] = {}
        self._started: dict[str, str] = {}

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        try:
            params = context.params.get("run_summary") or {}
        except Exception:  # no parameters at all: the defaults
            params = {}
        self._params = {
            **DEFAULT_PARAMS,
            **{k: v for k, v in dict(params).items() if v is not None},
        }

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        key = run_key(run_params)
        self.runs.begin(run_params, pipeline)
        self._catalogs[key] = catalog
        self._started[key] = now_iso()

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Any) -> None:
        record = self.runs.run_of_node(node)
        if record is None:
            return
        catalog = self._catalogs.get(record.run_id)
        dataset = catalog.get(dataset_name) if catalog is not None else None
        record.record_save(dataset_name, row_count(data), store_counts(dataset))

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any]) -> None:
        self._finish(run_params, "ok", None)

    @hook_impl
    def on_pipeline_error(self, error: Exception, run_params: dict[str, Any]) -> None:
        self._finish(run_params, "failed", redact(f"{type(error).__name__}: {error}")[:500])

    def _finish(self, run_params: dict[str, Any], status: str, error: str | None) -> None:
        key = run_key(run_params)
        self.runs.end(key)
        self._catalogs.pop(key, None)
        started_at = self._started.pop(key, "")
        if not as_bool(self._params.get("enabled", True), "run_summary.enabled"):
            return
        ended_at = now_iso()
        params = dict(self._params)

        def write(record: RunRecord) -> None:
            summary = build_run_summary(
                record,
                status=status,
                error=error,
                started_at=started_at,
                ended_at=ended_at,
                quarantine_datasets=str(params["quarantine_datasets"]),
            )
            write_run_summary(params["output_dir"], summary, int(params["keep_last"]))

        self.runs.run(key).when_energy_settled(write)
