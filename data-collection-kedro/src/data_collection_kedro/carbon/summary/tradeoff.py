"""Models compared on accuracy × training time × CO₂e, per task (the comparison a data team makes
before choosing a model).

From the MLflow store (the MLflow hook logs them):

- each model's **latest** child run (tag ``model_key``): its task metric (``test_mape``,
  ``validation_f1``, ``all_silhouette``...) and its training node's measurement
  (``training_energy_kwh``, ``training_emissions_kg``, ``training_duration_s``);
- the other models a pipeline scores, logged into the parent run as ``<model>.<metric>``, from
  the latest parent run holding them: the **baselines** (``baseline_*``: no training step, so
  zero training cost) and models fitted inside another node (``fit_nodes``: that node's
  counted measurement, an upper bound of their training cost).

A task's models are compared per **series** when the task names them (``series``: the
forecasting models of national electricity, regional electricity and regional gas apart). A model
is on its task's (and series') **Pareto front** when no other model there is at least as good on
both the metric and the training CO₂e, and strictly better on one; reference scores no user can
have (``upper_bounds``: the observed weather) are shown, never on the front.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from data_collection_kedro.carbon.summary.config import SummaryConfig, TradeoffTask

TRADEOFF_COLUMNS = [
    "task",
    "series",
    "model",
    "kind",
    "run_id",
    "started",
    "metric",
    "value",
    "training_duration_s",
    "training_energy_kwh",
    "training_emissions_kg",
    "pareto",
]
MODEL = "model"
BASELINE = "baseline"
FITTED_IN_NODE = "fitted in another node"
UPPER_BOUND = "upper bound, not available to users"


def _metric(run: pd.Series, name: str) -> float:
    value = run.get(f"metrics.{name}")
    return float(value) if value is not None and not pd.isna(value) else math.nan


def _task_of(run: pd.Series, tasks: tuple[TradeoffTask, ...], prefix: str = "") -> Any:
    for task in tasks:
        if not math.isnan(_metric(run, f"{prefix}{task.metric}")):
            return task
    return None


def _latest(runs: pd.DataFrame) -> pd.DataFrame:
    if "start_time" not in runs.columns:
        return runs
    return runs.sort_values("start_time", kind="stable")


def tradeoff_table(
    runs: pd.DataFrame, config: SummaryConfig, node_rows: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per model and task (``TRADEOFF_COLUMNS``) from an ``mlflow.search_runs`` frame;
    ``node_rows``: the carbon selection's node rows (for the ``fit_nodes`` models)."""
    tasks = config.tradeoff_tasks
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    runs = _latest(runs)
    model_keys = runs.get("tags.model_key", pd.Series(index=runs.index, dtype=object))
    # a run that reused a stored model trained nothing: the run that trained it keeps its cost
    reused = runs.get("tags.reused", pd.Series(index=runs.index, dtype=object)) == "true"
    for _, run in runs[model_keys.notna() & ~reused].iterrows():  # oldest first: latest wins
        task = _task_of(run, tasks)
        if task is None:
            continue
        rows[(task.name, str(run["tags.model_key"]))] = {
            "task": task.name,
            "series": task.series_of(str(run["tags.model_key"])),
            "model": str(run["tags.model_key"]),
            "kind": MODEL,
            "run_id": str(run.get("run_id", "")),
            "started": run.get("start_time"),
            "metric": task.metric,
            "value": _metric(run, task.metric),
            "training_duration_s": _metric(run, "training_duration_s"),
            "training_energy_kwh": _metric(run, "training_energy_kwh"),
            "training_emissions_kg": _metric(run, "training_emissions_kg"),
        }
    for _, run in runs[model_keys.isna()].iterrows():  # parent runs: <model>.<metric>
        for column in run.index:
            if not column.startswith("metrics.") or "." not in column[len("metrics.") :]:
                continue
            model, _, metric = column[len("metrics.") :].partition(".")
            task = next((t for t in tasks if t.metric == metric), None)
            value = _metric(run, f"{model}.{metric}")
            if task is None or math.isnan(value) or (task.name, model) in _child_models(rows):
                continue
            rows[(task.name, model)] = {
                "task": task.name,
                "series": task.series_of(model),
                "model": model,
                "run_id": str(run.get("run_id", "")),
                "started": run.get("start_time"),
                "metric": metric,
                "value": value,
                **_parent_model_cost(model, config, node_rows, task.upper_bounds),
            }
    table = pd.DataFrame(list(rows.values()), columns=TRADEOFF_COLUMNS[:-1])
    table["pareto"] = pareto_flags(table, config)
    return table.sort_values(["task", "series", "value"], kind="stable").reset_index(drop=True)


def _child_models(rows: dict[tuple[str, str], dict[str, Any]]) -> set[tuple[str, str]]:
    return {key for key, row in rows.items() if row.get("kind") == MODEL}


def _parent_model_cost(
    model: str,
    config: SummaryConfig,
    node_rows: pd.DataFrame | None,
    upper_bounds: tuple[str, ...] = (),
) -> dict[str, Any]:
    if model.endswith(upper_bounds) and upper_bounds:
        return {
            "kind": UPPER_BOUND,
            "training_duration_s": math.nan,
            "training_energy_kwh": math.nan,
            "training_emissions_kg": math.nan,
        }
    if model.startswith("baseline_"):
        return {
            "kind": BASELINE,
            "training_duration_s": 0.0,
            "training_energy_kwh": 0.0,
            "training_emissions_kg": 0.0,
        }
    node = config.fit_nodes.get(model)
    found = pd.DataFrame()
    if node and node_rows is not None and not node_rows.empty:
        found = node_rows[node_rows["node"] == node]
    if found.empty:
        return {
            "kind": FITTED_IN_NODE,
            "training_duration_s": math.nan,
            "training_energy_kwh": math.nan,
            "training_emissions_kg": math.nan,
        }
    row = found.iloc[-1]
    return {
        "kind": f"{FITTED_IN_NODE}: {node} (upper bound)",
        "training_duration_s": float(row["duration_s"]),
        "training_energy_kwh": float(row["energy_kwh"]),
        "training_emissions_kg": float(row["emissions_kg"]),
    }


def pareto_flags(table: pd.DataFrame, config: SummaryConfig) -> list[bool]:
    """The Pareto front of each task and series on (metric, training emissions; energy when
    emissions are missing); a model without a training cost is never on it."""
    higher = {t.name: t.higher_is_better for t in config.tradeoff_tasks}
    flags = []
    for i, row in table.iterrows():
        cost_col = (
            "training_emissions_kg"
            if not pd.isna(row["training_emissions_kg"])
            else "training_energy_kwh"
        )
        if pd.isna(row[cost_col]) or pd.isna(row["value"]):
            flags.append(False)
            continue
        sign = -1.0 if higher.get(row["task"], False) else 1.0
        dominated = False
        for j, other in table.iterrows():
            if i == j or (other["task"], other["series"]) != (row["task"], row["series"]):
                continue
            if pd.isna(other[cost_col]):
                continue
            as_good = (
                sign * other["value"] <= sign * row["value"] and other[cost_col] <= row[cost_col]
            )
            better = sign * other["value"] < sign * row["value"] or other[cost_col] < row[cost_col]
            if as_good and better:
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
