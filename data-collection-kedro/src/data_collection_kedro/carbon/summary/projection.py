"""Yearly projection of each Airflow DAG: runs per year × measured energy per run.

- runs per year: from the DAG plans (:mod:`data_collection_kedro.schedules`): a cron schedule's
  firings over a year; the asset-triggered fusion + training DAG runs at most as often as the
  least frequent of the DAGs that trigger it;
- energy per run: for each node the DAG runs, its counted measurement (the selection's latest
  run) plus its share of that run's orchestration (``__outside_nodes__``);
- kg CO₂e: the same measurements' emissions (CodeCarbon's annual grid figure), € : kWh × the
  configured electricity price.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from data_collection_kedro.carbon.summary.selection import NodeInfo
from data_collection_kedro.schedules import DagPlan, runs_per_year

PROJECTION_COLUMNS = [
    "dag_id",
    "schedule",
    "triggered_by",
    "runs_per_year",
    "energy_per_run_kwh",
    "emissions_per_run_kg",
    "energy_kwh_per_year",
    "emissions_kg_per_year",
    "cost_eur_per_year",
    "nodes_measured",
    "nodes_missing",
]


def dag_nodes(
    plan: DagPlan, catalog: Mapping[str, NodeInfo] | None, kept: pd.DataFrame
) -> list[tuple[str, str]]:
    """``(pipeline, node)`` of every node ``plan`` runs: a task's nodes, or the whole pipeline
    (its registered nodes; without a registry, the pipeline's counted nodes)."""
    out: list[tuple[str, str]] = []
    for task in plan.tasks:
        if task.nodes:
            out += [(task.pipeline, node) for node in task.nodes]
        elif catalog:
            out += [
                (task.pipeline, n) for n, info in catalog.items() if info.pipeline == task.pipeline
            ]
        else:
            names = kept.loc[kept["pipeline"] == task.pipeline, "node"]
            out += [(task.pipeline, str(n)) for n in dict.fromkeys(names)]
    return out


def project(
    plans: Sequence[DagPlan],
    kept: pd.DataFrame,
    *,
    electricity_eur_per_kwh: float,
    catalog: Mapping[str, NodeInfo] | None = None,
) -> pd.DataFrame:
    """One row per DAG (``PROJECTION_COLUMNS``); ``kept`` = the selection's node rows."""
    by_node = kept.set_index(["pipeline", "node"])
    rows: list[dict[str, Any]] = []
    for plan in plans:
        wanted = dag_nodes(plan, catalog, kept)
        found = [key for key in wanted if key in by_node.index]
        missing = [node for pipeline, node in wanted if (pipeline, node) not in by_node.index]
        part = by_node.loc[found] if found else by_node.iloc[0:0]
        energy = float((part["energy_kwh"] + part["orchestration_kwh"]).sum())
        emissions = float((part["emissions_kg"] + part["orchestration_kg"]).sum())
        per_year = runs_per_year(plan, tuple(plans))
        rows.append(
            {
                "dag_id": plan.dag_id,
                "schedule": plan.schedule or "",
                "triggered_by": ", ".join(plan.triggered_by),
                "runs_per_year": per_year,
                "energy_per_run_kwh": energy if found else float("nan"),
                "emissions_per_run_kg": emissions if found else float("nan"),
                "energy_kwh_per_year": energy * per_year if found else float("nan"),
                "emissions_kg_per_year": emissions * per_year if found else float("nan"),
                "cost_eur_per_year": energy * per_year * electricity_eur_per_kwh
                if found
                else float("nan"),
                "nodes_measured": len(found),
                "nodes_missing": ", ".join(missing),
            }
        )
    return pd.DataFrame(rows, columns=PROJECTION_COLUMNS)
