"""The last pipeline runs: status, duration, energy and CO₂e.

Two records describe a run: the run summary the hooks write (``<run_summary.output_dir>/<run
id>.json``: pipeline, status, start and end, rows written, quarantined rows, the run's energy)
and the carbon hook's files (``emissions_<pipeline>.csv``: one row per run, or per registered
pipeline of a composed run, under CodeCarbon's own run id; ``emissions_nodes.csv``: one row per
node with its status). A run appears once: from its summary when there is one (the carbon rows
measured during it are the same run), else from the carbon files (runs older than the summary
hook, or with it disabled).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from data_collection_kedro.reporting.run_report import read_run_summaries

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
    for summary in read_run_summaries(folder):
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
    # CodeCarbon writes the machine's local time, without a zone
    local_zone = dt.datetime.now().astimezone().tzinfo
    ended = pd.to_datetime(runs["ended"]).dt.tz_localize(local_zone).dt.tz_convert("UTC")
    duration = pd.to_numeric(runs["duration"], errors="coerce")
    return pd.DataFrame(
        {
            "run_id": runs["run_id"].astype(str),
            "pipeline": runs["pipeline"].astype(str),
            "status": ["failed" if r in failed else "ok" for r in runs["run_id"].astype(str)],
            "started_at": ended - pd.to_timedelta(duration, unit="s"),
            "ended_at": ended,
            "duration_s": duration,
            "energy_kwh": pd.to_numeric(runs["energy_consumed"], errors="coerce"),
            "emissions_kg": pd.to_numeric(runs["emissions"], errors="coerce"),
            "quarantined_rows": None,
        }
    )


MATCH_TOLERANCE = pd.Timedelta(seconds=30)


def latest_runs(summary_dir: Path, carbon_dir: Path, limit: int = 10) -> pd.DataFrame:
    """The ``limit`` most recent runs, newest first (see the module docstring)."""
    summaries = summary_runs(summary_dir)
    carbon = carbon_runs(carbon_dir)
    if not summaries.empty and not carbon.empty:
        # a carbon row measured inside a summarised run's time span is that run
        same_run = pd.Series(False, index=carbon.index)
        for started, duration in zip(summaries["started_at"], summaries["duration_s"], strict=True):
            if pd.isna(started):
                continue
            ended = started + pd.to_timedelta(float(duration or 0), unit="s")
            same_run |= (carbon["started_at"] >= started - MATCH_TOLERANCE) & (
                carbon["ended_at"] <= ended + MATCH_TOLERANCE
            )
        carbon = carbon[~same_run]
    carbon = carbon.drop(columns="ended_at", errors="ignore")
    frames = [f for f in (summaries, carbon) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=RUN_COLUMNS)
    runs = pd.concat(frames, ignore_index=True)
    return runs.sort_values("started_at", ascending=False).head(limit).reset_index(drop=True)
