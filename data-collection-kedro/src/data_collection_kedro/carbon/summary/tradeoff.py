"""Accuracy versus CO₂: each model's test metric next to its training energy/emissions."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from data_collection_kedro.carbon.summary.config import SummaryConfig

TRADEOFF_COLUMNS = [
    "model",
    "run_id",
    "metric",
    "value",
    "energy_kwh",
    "emissions_kg",
    "pareto",
]


def _first(row: pd.Series, names: tuple[str, ...]) -> tuple[str | None, float]:
    for name in names:
        value = row.get(f"metrics.{name}")
        if value is not None and not pd.isna(value):
            return name, float(value)
    return None, math.nan


def tradeoff_table(runs: pd.DataFrame, config: SummaryConfig) -> pd.DataFrame:
    """From an ``mlflow.search_runs`` frame: one row per model run with both a test metric
    and a training footprint, with the Pareto flag (per metric)."""
    rows = []
    for _, run in runs.iterrows():
        metric, value = _first(run, config.tradeoff_metrics)
        _, energy = _first(run, config.energy_metrics)
        _, emissions = _first(run, config.emissions_metrics)
        if metric is None or (math.isnan(energy) and math.isnan(emissions)):
            continue
        model = run.get("tags.mlflow.runName") or run.get("tags.model") or run.get("run_id")
        rows.append(
            {
                "model": str(model),
                "run_id": str(run.get("run_id", "")),
                "metric": metric,
                "value": value,
                "energy_kwh": energy,
                "emissions_kg": emissions,
            }
        )
    table = pd.DataFrame(rows, columns=TRADEOFF_COLUMNS[:-1])
    table["pareto"] = pareto_flags(table, config)
    return table


def pareto_flags(table: pd.DataFrame, config: SummaryConfig) -> list[bool]:
    """A model is on the front when no other model with the same metric is at least as good
    on both the metric and the emissions (energy when emissions are missing) and strictly
    better on one."""
    flags = []
    for i, row in table.iterrows():
        cost_col = "emissions_kg" if not pd.isna(row["emissions_kg"]) else "energy_kwh"
        sign = -1.0 if row["metric"] in config.higher_is_better else 1.0
        dominated = False
        for j, other in table.iterrows():
            if i == j or other["metric"] != row["metric"] or pd.isna(other[cost_col]):
                continue
            better_or_equal = (
                sign * other["value"] <= sign * row["value"] and other[cost_col] <= row[cost_col]
            )
            strictly = (
                sign * other["value"] < sign * row["value"] or other[cost_col] < row[cost_col]
            )
            if better_or_equal and strictly:
                dominated = True
                break
        flags.append(not dominated)
    return flags


def read_mlflow_runs(tracking_uri: str) -> tuple[pd.DataFrame | None, str]:
    """Every run of every experiment at ``tracking_uri`` (``None`` and a note when none)."""
    try:
        import mlflow
    except ImportError:  # pragma: no cover - mlflow is a project requirement
        return None, "MLflow is not installed: trade-off section skipped."
    from data_collection_kedro.tracking.models import mlflow_uris

    try:
        with mlflow_uris(tracking_uri):  # MLflow's process-wide URIs put back after the read
            experiments = mlflow.search_experiments()
            ids = [e.experiment_id for e in experiments]
            if not ids:
                return None, f"No MLflow experiment at {tracking_uri}: trade-off section skipped."
            runs: Any = mlflow.search_runs(experiment_ids=ids, output_format="pandas")
    except Exception as exc:  # an unreachable/empty store must not break the report
        return None, f"MLflow runs unreadable at {tracking_uri} ({exc}): trade-off section skipped."
    if runs is None or len(runs) == 0:
        return None, f"No MLflow run at {tracking_uri}: trade-off section skipped."
    return runs, ""
