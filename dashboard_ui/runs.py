"""The last pipeline runs: status, duration, energy and CO₂e.

Two records describe a run: the run summary the hooks write (``<run_summary.output_dir>/<run
id>.json``: pipeline, status, start and end, rows written, quarantined rows, the run's energy)
and the carbon hook's files (``emissions_<pipeline>.csv``: one row per run; ``emissions_nodes.csv``:
one row per node with its status). A run appears once, from its summary when there is one,
completed with the carbon files' figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

RUN_COLUMNS = [
    "run_id",
    "pipeline",
    "status",
    "started_at",
    "duration_s",
    "energy_kwh",
    "emissions_kg",
    "quarantined_rows",
]


def _timestamp(value: Any) -> Any:
    """A UTC ``pd.Timestamp``, or ``pd.NaT``."""
    stamp = pd.to_datetime(value, errors="coerce", utc=True)
    return stamp if isinstance(stamp, pd.Timestamp) else pd.NaT


def summary_runs(folder: Path) -> pd.DataFrame:
    """One row per run summary file of ``folder`` (unreadable files are skipped)."""
    rows = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(summary, dict) or "run_id" not in summary:
            continue
        energy = summary.get("energy") or {}
        started, ended = _timestamp(summary.get("started_at")), _timestamp(summary.get("ended_at"))
        duration = energy.get("duration_s")
        if duration is None and not (pd.isna(started) or pd.isna(ended)):
            duration = (ended - started).total_seconds()
        rows.append(
            {
                "run_id": str(summary["run_id"]),
                "pipeline": str(summary.get("pipeline") or "__default__"),
                "status": str(summary.get("status") or "inconnu"),
                "started_at": started,
                "duration_s": duration,
                "energy_kwh": energy.get("energy_kwh"),
                "emissions_kg": energy.get("emissions_kg"),
                "quarantined_rows": summary.get("quarantined_rows"),
            }
        )
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def carbon_runs(carbon_dir: Path) -> pd.DataFrame:
    """One row per run of the carbon files (status ``failed`` when a node of it failed)."""
    from data_collection_kedro.carbon.summary import load_carbon_files

    data = load_carbon_files(carbon_dir)
    runs = data.runs
    if runs.empty:
        return pd.DataFrame(columns=RUN_COLUMNS)
    nodes = data.nodes
    failed: set[str] = set()
    if not nodes.empty and "status" in nodes.columns:
        failed = set(nodes.loc[nodes["status"].astype(str) == "failed", "run_id"].astype(str))
    ended = pd.to_datetime(runs["timestamp"], errors="coerce", utc=True)
    duration = pd.to_numeric(runs["duration"], errors="coerce")
    return pd.DataFrame(
        {
            "run_id": runs["run_id"].astype(str),
            "pipeline": runs["pipeline"].astype(str),
            "status": ["failed" if r in failed else "ok" for r in runs["run_id"].astype(str)],
            "started_at": ended - pd.to_timedelta(duration, unit="s"),
            "duration_s": duration,
            "energy_kwh": pd.to_numeric(runs["energy_consumed"], errors="coerce"),
            "emissions_kg": pd.to_numeric(runs["emissions"], errors="coerce"),
            "quarantined_rows": None,
        }
    )


def latest_runs(summary_dir: Path, carbon_dir: Path, limit: int = 10) -> pd.DataFrame:
    """The ``limit`` most recent runs, newest first (see the module docstring)."""
    summaries = summary_runs(summary_dir)
    carbon = carbon_runs(carbon_dir)
    if not summaries.empty and not carbon.empty:
        # a composed run may have one carbon row per pipeline: its total completes the summary
        totals = carbon.groupby("run_id")[["energy_kwh", "emissions_kg"]].sum(min_count=1)
        summaries = summaries.set_index("run_id")
        for column in ("energy_kwh", "emissions_kg"):
            summaries[column] = summaries[column].fillna(totals[column])
        summaries = summaries.reset_index()
        carbon = carbon[~carbon["run_id"].isin(summaries["run_id"])]
    frames = [f for f in (summaries, carbon) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=RUN_COLUMNS)
    runs = pd.concat(frames, ignore_index=True)
    return runs.sort_values("started_at", ascending=False).head(limit).reset_index(drop=True)
