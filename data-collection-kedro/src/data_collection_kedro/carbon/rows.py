"""The rows of the carbon files, built from measurements: pure functions.

- :func:`node_row` / :func:`outside_row`: rows of ``emissions_nodes.csv``;
- :func:`pipelines_of_nodes`: the registered pipeline each node of a run belongs to;
- :func:`pipeline_run_rows`: the run's rows of ``emissions_<pipeline>.csv``, one per pipeline
  its node rows carry (docs/carbon.md, "Which file a run writes").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from data_collection_kedro import phases
from data_collection_kedro.carbon import files
from data_collection_kedro.carbon.codecarbon_adapter import ENERGY_FIELDS, EnergyReading
from data_collection_kedro.run_context import DEFAULT_PIPELINE


def pipelines_of_nodes(
    run_nodes: Iterable[Any], registry: Iterable[tuple[str, Any]], run_pipeline: str
) -> dict[str, str]:
    """Node name → the registered pipeline it belongs to.

    A node belongs to the first registered pipeline other than ``__default__`` that contains
    it, in the registry's order (Kedro nodes compare by name, inputs and outputs);
    a node no such pipeline contains belongs to the run's own pipeline ``run_pipeline``.
    """
    first: dict[Any, str] = {}
    for name, pipeline in registry:
        if name == DEFAULT_PIPELINE:
            continue
        for node in getattr(pipeline, "nodes", ()):
            first.setdefault(node, name)
    return {node.name: first.get(node, run_pipeline) for node in run_nodes}


def energy_columns(energy: EnergyReading, emissions_kg: float) -> dict[str, float]:
    return {
        "energy_kwh": energy.energy_kwh,
        "emissions_kg": emissions_kg,
        "cpu_energy_kwh": energy.cpu_kwh,
        "ram_energy_kwh": energy.ram_kwh,
        "gpu_energy_kwh": energy.gpu_kwh,
    }


def node_row(
    *,
    run_id: str,
    pipeline: str,
    run_pipeline: str,
    node: str,
    started_at: str,
    duration_s: float,
    measurement: str,
    country_iso_code: str,
    status: str,
    energy: EnergyReading | None = None,
    emissions_kg: float | None = None,
    phase: str = "",
    idle_power_w: float | None = None,
    idle_power_measured_at: str | None = None,
) -> dict[str, Any]:
    """One ``emissions_nodes.csv`` row (energy columns only when measured)."""
    row: dict[str, Any] = {
        "run_id": run_id,
        "pipeline": pipeline,
        "node": node,
        "started_at": started_at,
        "duration_s": duration_s,
        "measurement": measurement,
        "country_iso_code": country_iso_code,
        "status": status,
        "run_pipeline": run_pipeline,
        "phase": phase,
        "idle_power_w": idle_power_w,
        "idle_power_measured_at": idle_power_measured_at,
    }
    if energy is not None:
        row.update(energy_columns(energy, float(emissions_kg or 0.0)))
    return row


def outside_row(
    *,
    run_id: str,
    run_pipeline: str,
    started_at: str,
    duration_s: float,
    energy: EnergyReading,
    emissions_kg: float,
    measurement: str,
    country_iso_code: str,
    idle_power_w: float | None = None,
    idle_power_measured_at: str | None = None,
) -> dict[str, Any]:
    """The run's ``__outside_nodes__`` row: it belongs to the pipeline the user ran; its phase
    is :data:`~data_collection_kedro.phases.ORCHESTRATION`."""
    return node_row(
        run_id=run_id,
        pipeline=run_pipeline,
        run_pipeline=run_pipeline,
        node=files.OUTSIDE_NODES,
        started_at=started_at,
        duration_s=duration_s,
        measurement=measurement,
        country_iso_code=country_iso_code,
        status="ok",
        energy=energy,
        emissions_kg=emissions_kg,
        phase=phases.ORCHESTRATION,
        idle_power_w=idle_power_w,
        idle_power_measured_at=idle_power_measured_at,
    )


def pipeline_run_rows(
    total: Mapping[str, Any], node_rows: Sequence[Mapping[str, Any]], run_pipeline: str
) -> dict[str, dict[str, Any]]:
    """The run's ``emissions_<pipeline>.csv`` rows, by pipeline.

    ``total`` is CodeCarbon's run total (``EmissionsData`` fields, ``duration`` = wall time),
    ``node_rows`` the run's rows of ``emissions_nodes.csv`` (``__outside_nodes__`` included).

    - When every row belongs to ``run_pipeline`` (a run of one registered pipeline), one row:
      ``total`` itself.
    - Otherwise one row per pipeline the rows carry: energy, emissions and duration are the sums
      of that pipeline's measured node rows; the row of ``run_pipeline`` (the composed run
      itself, e.g. ``__default__``: its ``__outside_nodes__`` row and any node that no
      registered pipeline holds) gets the rest of the run total, so the rows of a run add up to
      CodeCarbon's total exactly and each node run is in one row only. Power, hardware and
      location columns describe the whole run; ``timestamp`` is the run's end.
    """
    pipelines = list(dict.fromkeys(str(row["pipeline"]) for row in node_rows))
    if set(pipelines) <= {run_pipeline}:
        return {run_pipeline: dict(total)}
    if run_pipeline not in pipelines:
        pipelines.append(run_pipeline)
    out: dict[str, dict[str, Any]] = {}
    rest = {key: float(total.get(key) or 0.0) for key in (*ENERGY_FIELDS, "emissions")}
    rest_water = float(total.get("water_consumed") or 0.0)
    total_energy = rest["energy_consumed"]
    for pipeline in pipelines:
        if pipeline == run_pipeline:
            continue
        rows = [r for r in node_rows if r["pipeline"] == pipeline]
        measured = [r for r in rows if r.get("measurement") in files.MEASURED]
        sums = {
            "energy_consumed": _sum(measured, "energy_kwh"),
            "cpu_energy": _sum(measured, "cpu_energy_kwh"),
            "ram_energy": _sum(measured, "ram_energy_kwh"),
            "gpu_energy": _sum(measured, "gpu_energy_kwh"),
            "emissions": _sum(measured, "emissions_kg"),
        }
        for key, value in sums.items():
            rest[key] -= value
        water = rest_water * sums["energy_consumed"] / total_energy if total_energy else 0.0
        out[pipeline] = _run_row(total, sums, _sum(rows, "duration_s"), water)
    own = [r for r in node_rows if r["pipeline"] == run_pipeline]
    water_used = sum(float(row["water_consumed"]) for row in out.values())
    out[run_pipeline] = _run_row(total, rest, _sum(own, "duration_s"), rest_water - water_used)
    return out


def _sum(rows: Iterable[Mapping[str, Any]], key: str) -> float:
    return float(sum(float(row.get(key) or 0.0) for row in rows))


def _run_row(
    total: Mapping[str, Any], figures: Mapping[str, float], duration_s: float, water: float
) -> dict[str, Any]:
    row = {**total, **figures, "duration": duration_s, "water_consumed": water}
    row["emissions_rate"] = figures["emissions"] / duration_s if duration_s > 0 else 0.0
    return row
