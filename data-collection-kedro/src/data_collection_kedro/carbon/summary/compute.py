"""The carbon summary's figures: pure functions of the loaded files and the configuration.

Definitions (every figure of the report):

- share: a row's emissions / the total emissions of the selection;
- implied average power (W) = energy_kwh × 3.6e6 / duration_s;
- implied carbon intensity (g/kWh) = emissions_kg × 1000 / energy_kwh;
- costs: electricity = kWh × €/kWh; compute = duration_h × instance €/h; carbon =
  emissions_t × internal €/t;
- what-if grid: energy_kwh × intensity / 1000 (kg); what-if PUE: energy_kwh / run PUE × PUE,
  at the run's implied intensity;
- Green Algorithms: duration_h × (cores × core_W × usage + memory_GB × 0.3725) × PUE / 1000
  (kWh), × the run's implied intensity (kg).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from typing import Any

import pandas as pd

from data_collection_kedro.carbon import files
from data_collection_kedro.carbon.summary.config import SummaryConfig
from data_collection_kedro.carbon.summary.loading import CarbonData

J_PER_KWH = 3.6e6

MEASUREMENT_NOTES = {
    files.MEASUREMENT_RAPL: (
        "CPU energy read from the processor's RAPL energy counters: a measurement of the CPU "
        "package (typically within ~5-10 % of a wall-plug meter for the CPU part); RAM is "
        "still an estimate."
    ),
    files.MEASUREMENT_CPU_LOAD: (
        "No energy counters (typical of a VM): CPU power estimated from the CPU model's TDP "
        "scaled by the measured CPU load. An estimate, easily ±30-50 %; it follows the "
        "workload but not the real hardware."
    ),
    files.MEASUREMENT_TDP: (
        "CPU power taken as a constant share of the CPU model's TDP, whatever the load: an "
        "order of magnitude, not a measurement."
    ),
    files.MEASUREMENT_CONSTANT: (
        "CPU model unknown to CodeCarbon: a generic constant power per core. Order of "
        "magnitude only; set carbon.force_cpu_power when the TDP is known."
    ),
}
RAM_NOTE = (
    "RAM accounts for {share:.0%} of the measured energy. CodeCarbon does not measure RAM: it "
    "estimates it from the installed memory, a near-constant power. On a VM without RAPL this "
    "constant dominates, so the totals mostly reflect duration x installed memory, not the work "
    "done; compare runs by duration and treat absolute figures as estimates."
)


class SelectionError(ValueError):
    """Bad ``--since`` / ``--until`` values."""


def parse_bound(value: str | None, *, end: bool = False) -> pd.Timestamp | None:
    """``YYYY-MM-DD`` (whole day; the end bound includes it) or an ISO date-time."""
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise SelectionError(f"{value!r} is not a date (expected YYYY-MM-DD or ISO 8601)") from None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    if end and len(value) <= 10:
        stamp = stamp + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return stamp


def select_runs(
    runs: pd.DataFrame,
    *,
    all_runs: bool = False,
    since: pd.Timestamp | None = None,
    until: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The latest run of each pipeline (default) or every run, within [since, until]."""
    selected = runs
    if since is not None:
        selected = selected[selected["ended"] >= since]
    if until is not None:
        selected = selected[selected["ended"] <= until]
    if not all_runs and not selected.empty:
        # CodeCarbon's timestamps have a one-second resolution: of rows ending in the same
        # second, the one appended last to the pipeline's file is the latest
        selected = selected.sort_values("ended", kind="stable").groupby("pipeline").tail(1)
    return selected.sort_values(["pipeline", "ended"]).reset_index(drop=True)


def selected_node_rows(selected: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    """The node rows of the selected run rows: same ``run_id`` and same ``pipeline``.

    A run of a composed pipeline (``__default__``) writes one row per registered pipeline
    (docs/carbon.md); its node rows carry the pipeline they belong to, so each selected
    pipeline row takes its own node rows and a node run is never counted twice.
    """
    if selected.empty or nodes.empty:
        return nodes.iloc[0:0]
    keys = set(zip(selected["run_id"].astype(str), selected["pipeline"].astype(str), strict=True))
    mask = [
        (run_id, pipeline) in keys
        for run_id, pipeline in zip(
            nodes["run_id"].astype(str), nodes["pipeline"].astype(str), strict=True
        )
    ]
    return nodes[mask]


def _safe_div(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def implied_power_w(energy_kwh: float, duration_s: float) -> float:
    return _safe_div(energy_kwh * J_PER_KWH, duration_s)


def implied_intensity(emissions_kg: float, energy_kwh: float) -> float:
    return _safe_div(emissions_kg * 1000.0, energy_kwh)


def _with_derived(frame: pd.DataFrame, total_kg: float) -> pd.DataFrame:
    frame = frame.copy()
    frame["emissions_g"] = frame["emissions_kg"] * 1000.0
    frame["share"] = frame["emissions_kg"] / total_kg if total_kg else math.nan
    frame["implied_power_w"] = [
        implied_power_w(e, d) for e, d in zip(frame["energy_kwh"], frame["duration_s"], strict=True)
    ]
    frame["implied_intensity_g_per_kwh"] = [
        implied_intensity(k, e)
        for k, e in zip(frame["emissions_kg"], frame["energy_kwh"], strict=True)
    ]
    return frame


def _joined(values: pd.Series) -> str:
    return ", ".join(sorted({str(v) for v in values.dropna() if str(v)}))


def pipeline_table(selected: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    """Per pipeline: runs, duration, kWh, kg, g, share, implied power and intensity."""
    if selected.empty:
        return pd.DataFrame()
    measurement = (
        selected_node_rows(selected, nodes)
        .groupby("pipeline")["measurement"]
        .agg(lambda s: _joined(s[s.isin(files.MEASURED)]))
    )
    grouped = selected.groupby("pipeline").agg(
        runs=("run_id", "nunique"),
        duration_s=("duration", "sum"),
        energy_kwh=("energy_consumed", "sum"),
        emissions_kg=("emissions", "sum"),
        cpu_energy_kwh=("cpu_energy", "sum"),
        ram_energy_kwh=("ram_energy", "sum"),
        last_run=("ended", "max"),
    )
    grouped["measurement"] = [measurement.get(p, "") for p in grouped.index]
    table = _with_derived(grouped.reset_index(), float(selected["emissions"].sum()))
    return table.sort_values("emissions_kg", ascending=False).reset_index(drop=True)


def node_table(selected: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    """Per pipeline and node over the selected runs (``__outside_nodes__`` included)."""
    rows = selected_node_rows(selected, nodes)
    measured = rows[rows["measurement"].isin(files.MEASURED)]
    if measured.empty:
        return pd.DataFrame()
    grouped = measured.groupby(["pipeline", "node"]).agg(
        runs=("run_id", "nunique"),
        duration_s=("duration_s", "sum"),
        energy_kwh=("energy_kwh", "sum"),
        emissions_kg=("emissions_kg", "sum"),
        cpu_energy_kwh=("cpu_energy_kwh", "sum"),
        ram_energy_kwh=("ram_energy_kwh", "sum"),
        measurement=("measurement", _joined),
        failed=("status", lambda s: int((s == "failed").sum())),
    )
    table = _with_derived(grouped.reset_index(), float(selected["emissions"].sum()))
    return table.sort_values("emissions_kg", ascending=False).reset_index(drop=True)


def totals(selected: pd.DataFrame) -> dict[str, float]:
    duration = float(selected["duration"].sum())
    energy = float(selected["energy_consumed"].sum())
    emissions = float(selected["emissions"].sum())
    return {
        "runs": int(selected["run_id"].nunique()),
        "duration_s": duration,
        "energy_kwh": energy,
        "emissions_kg": emissions,
        "emissions_g": emissions * 1000.0,
        "implied_power_w": implied_power_w(energy, duration),
        "implied_intensity_g_per_kwh": implied_intensity(emissions, energy),
    }


def costs(total: dict[str, float], config: SummaryConfig) -> dict[str, float]:
    electricity = total["energy_kwh"] * config.electricity_eur_per_kwh
    compute = total["duration_s"] / 3600.0 * config.cloud_instance_eur_per_hour
    carbon = total["emissions_kg"] / 1000.0 * config.internal_carbon_price_eur_per_t
    return {
        "electricity_eur": electricity,
        "cloud_instance_eur": compute,
        "internal_carbon_eur": carbon,
        "total_eur": electricity + compute + carbon,
    }


def what_if_grids(energy_kwh: float, config: SummaryConfig) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "grid": grid.name,
                "g_co2e_per_kwh": grid.g_co2e_per_kwh,
                "emissions_kg": energy_kwh * grid.g_co2e_per_kwh / 1000.0,
                "emissions_g": energy_kwh * grid.g_co2e_per_kwh,
                "source": grid.source,
            }
            for grid in config.grids
        ]
    )


def what_if_pue(selected: pd.DataFrame, config: SummaryConfig) -> pd.DataFrame:
    """The same IT energy in rooms of other PUEs, at each run's own implied intensity."""
    pue = selected["pue"] if "pue" in selected.columns else pd.Series(1.0, index=selected.index)
    pue = pue.fillna(1.0).replace(0, 1.0)
    it_energy = selected["energy_consumed"] / pue
    intensity = (selected["emissions"] / selected["energy_consumed"]).fillna(0.0)
    rows = []
    for value in config.pue_values:
        energy = float((it_energy * value).sum())
        rows.append(
            {
                "pue": value,
                "energy_kwh": energy,
                "emissions_kg": float((it_energy * value * intensity).sum()),
            }
        )
    return pd.DataFrame(rows)


def green_algorithms(selected: pd.DataFrame, config: SummaryConfig) -> pd.DataFrame:
    """Green Algorithms' estimate of each selected run beside CodeCarbon's figure."""
    ga = config.green_algorithms
    rows = []
    for _, run in selected.iterrows():
        cores = ga.cores if ga.cores is not None else run.get("cpu_count")
        memory = ga.memory_gb if ga.memory_gb is not None else run.get("ram_total_size")
        pue = ga.pue if ga.pue is not None else run.get("pue")
        cores = float(cores) if cores is not None and not pd.isna(cores) else math.nan
        memory = float(memory) if memory is not None and not pd.isna(memory) else 0.0
        pue = float(pue) if pue is not None and not pd.isna(pue) and pue else 1.0
        power_w = cores * ga.core_power_w * ga.usage_factor + memory * ga.memory_power_w_per_gb
        energy = float(run["duration"]) / 3600.0 * power_w * pue / 1000.0
        intensity = implied_intensity(float(run["emissions"]), float(run["energy_consumed"]))
        emissions = energy * intensity / 1000.0
        rows.append(
            {
                "pipeline": run["pipeline"],
                "run_id": run["run_id"],
                "cores": cores,
                "memory_gb": memory,
                "pue": pue,
                "ga_energy_kwh": energy,
                "ga_emissions_kg": emissions,
                "codecarbon_energy_kwh": float(run["energy_consumed"]),
                "codecarbon_emissions_kg": float(run["emissions"]),
                "ratio_ga_to_codecarbon": _safe_div(energy, float(run["energy_consumed"])),
            }
        )
    return pd.DataFrame(rows)


def measurement_notes(
    selected: pd.DataFrame, nodes: pd.DataFrame, config: SummaryConfig
) -> list[str]:
    rows = selected_node_rows(selected, nodes)
    notes = []
    for method in sorted(set(rows["measurement"].dropna()) & files.MEASURED):
        notes.append(f"{method}: {MEASUREMENT_NOTES[method]}")
    energy = float(selected["energy_consumed"].sum())
    if "ram_energy" in selected.columns and energy > 0:
        ram_share = float(selected["ram_energy"].fillna(0.0).sum()) / energy
        if ram_share > config.ram_dominance_share:
            notes.append(RAM_NOTE.format(share=ram_share))
    return notes


# CodeCarbon writes a run's end to the second (truncated), and its start is derived from the end
# and the duration: back-to-back runs can seem to overlap by up to this much.
TIMESTAMP_RESOLUTION = pd.Timedelta(seconds=1)


def overlapping_runs(selected: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """Pairs of runs whose [start, end] intervals overlap (both measured the same machine) by
    more than the files' timestamp resolution.

    The pipeline rows of one run (a composed run writes one per pipeline) share a tracker:
    they split its total and never overlap each other.
    """
    ordered = selected.sort_values("started").reset_index(drop=True)
    pairs = []
    for i in range(len(ordered)):
        for j in range(i + 1, len(ordered)):
            a, b = ordered.iloc[i], ordered.iloc[j]
            if b["started"] >= a["ended"] - TIMESTAMP_RESOLUTION:
                break
            if str(a["run_id"]) == str(b["run_id"]):
                continue
            pairs.append((a["pipeline"], str(a["run_id"]), b["pipeline"], str(b["run_id"])))
    return pairs


def file_warnings(
    data: CarbonData, selected: pd.DataFrame, config: SummaryConfig, now: datetime
) -> list[str]:
    """Overlaps, stale and partial files, nodes without measurements."""
    out = []
    for pa, ra, pb, rb in overlapping_runs(selected):
        out.append(
            f"overlapping runs: {pa} ({ra}) and {pb} ({rb}) ran at the same time; the machine's "
            "power is counted in both (double counting)"
        )
    runs, nodes = data.runs, data.nodes
    if not runs.empty:
        last = runs.groupby("pipeline")["ended"].max()
        limit = pd.Timestamp(now) - pd.Timedelta(days=config.stale_after_days)
        for pipeline, ended in last.items():
            if ended < limit:
                out.append(
                    f"stale: the latest run of {pipeline} ended {ended:%Y-%m-%d}, more than "
                    f"{config.stale_after_days:g} days ago"
                )
    node_runs = set(nodes["run_id"])
    for _, run in selected.iterrows():
        if run["run_id"] not in node_runs:
            out.append(
                f"partial: run {run['run_id']} of {run['pipeline']} has no node rows in "
                f"{files.NODES_FILE_NAME}"
            )
            continue
        rows = nodes[
            (nodes["run_id"] == run["run_id"])
            & (nodes["pipeline"] == run["pipeline"])
            & nodes["measurement"].isin(files.MEASURED)
        ]
        node_sum = float(rows["energy_kwh"].sum())
        total = float(run["energy_consumed"])
        if total and abs(node_sum - total) / total > config.partial_tolerance:
            out.append(
                f"partial: the node rows of run {run['run_id']} ({run['pipeline']}) add up to "
                f"{node_sum:.3g} kWh, the run total is {total:.3g} kWh"
            )
    measured_runs = set(runs["run_id"])
    orphan = nodes[~nodes["run_id"].isin(measured_runs) & nodes["measurement"].isin(files.MEASURED)]
    for run_id, group in orphan.groupby("run_id"):
        out.append(
            f"partial: run {run_id} ({_joined(group['pipeline'])}) has node rows but no row in "
            "any emissions_<pipeline>.csv (interrupted run?)"
        )
    unmeasured = nodes[~nodes["measurement"].isin(files.MEASURED) | nodes["energy_kwh"].isna()]
    if not selected.empty:
        window_start = selected["started"].min()
        started = pd.to_datetime(unmeasured["started_at"], errors="coerce", utc=True)
        unmeasured = unmeasured[started.dt.tz_convert(None) >= window_start - pd.Timedelta(days=1)]
    for (pipeline, measurement), group in unmeasured.groupby(["pipeline", "measurement"]):
        reason = {
            files.MEASUREMENT_SKIPPED_CONCURRENT: "another process was measuring (not counted "
            "to avoid double counting)",
            files.MEASUREMENT_SKIPPED_NESTED: "ran inside a measured run (counted there)",
            files.MEASUREMENT_OVERLAPPING_NODE: "ran at the same time as another node "
            "(counted in that node)",
        }.get(str(measurement), "no energy figure")
        out.append(
            f"nodes without measurements: {len(group)} node run(s) of {pipeline} "
            f"({measurement}): {reason}"
        )
    return out


_LEVERS = [
    (
        ("__outside_nodes__",),
        "orchestration outside any node (the runner creating the datasets, hooks, start-up)",
        "run only the pipelines or tagged nodes that have new data, declare fewer datasets "
        "per pipeline, avoid re-running unchanged pipelines",
    ),
    (
        ("train", "fit", "tune", "search", "catboost", "forest", "kmeans", "dbscan", "isolation"),
        "model training",
        "fewer hyper-parameter trials, early stopping, smaller grids or iterations, train on "
        "a sample first, reuse the champion instead of retraining when data has not changed",
    ),
    (
        ("ingest", "load", "parse", "upsert", "write", "store", "fetch", "read", "raw", "fuel"),
        "ingestion",
        "incremental pulls (only new days), larger batches, columnar reads (DuckDB read_csv), "
        "skip unchanged files",
    ),
    (
        ("predict", "score", "forecast", "inference"),
        "inference",
        "batch predictions, cache results for unchanged inputs",
    ),
    (
        ("merge", "fusion", "join", "aggregate", "index", "build"),
        "fusion and aggregation",
        "push joins and aggregations into DuckDB SQL, process only new days",
    ),
]


def optimisation_hints(node_rows: pd.DataFrame, limit: int = 5) -> list[dict[str, Any]]:
    """The nodes with the largest shares, each with its phase and the levers that apply."""
    hints: list[dict[str, Any]] = []
    if node_rows.empty:
        return hints
    for _, row in node_rows.sort_values("share", ascending=False).head(limit).iterrows():
        name = f"{row['pipeline']}.{row['node']}".lower()
        phase, levers = "computation", "profile the node; vectorise, cache or sample its input"
        for keywords, label, advice in _LEVERS:
            if any(k in name for k in keywords):
                phase, levers = label, advice
                break
        hints.append(
            {
                "pipeline": row["pipeline"],
                "node": row["node"],
                "share": float(row["share"]),
                "phase": phase,
                "levers": levers,
            }
        )
    return hints


def budget_check(selected: pd.DataFrame, config: SummaryConfig) -> list[dict[str, Any]]:
    """Each selected run against its pipeline's budget (kg per run)."""
    rows = []
    for _, run in selected.iterrows():
        budget = config.budget_for(str(run["pipeline"]))
        if budget is None:
            continue
        rows.append(
            {
                "pipeline": run["pipeline"],
                "run_id": run["run_id"],
                "emissions_kg": float(run["emissions"]),
                "budget_kg": budget,
                "exceeded": bool(float(run["emissions"]) > budget),
            }
        )
    return rows


@dataclasses.dataclass
class CarbonSummary:
    selection: str
    totals: dict[str, float]
    pipelines: pd.DataFrame
    nodes: pd.DataFrame
    costs: dict[str, float]
    pipeline_costs: pd.DataFrame
    grids: pd.DataFrame
    pue: pd.DataFrame
    green_algorithms: pd.DataFrame
    measurement_notes: list[str]
    warnings: list[str]
    hints: list[dict[str, Any]]
    budgets: list[dict[str, Any]]
    tradeoff: pd.DataFrame | None = None
    tradeoff_note: str = ""
    usage: pd.DataFrame | None = None
    usage_note: str = ""
    charts: list[str] = dataclasses.field(default_factory=list)

    @property
    def budget_exceeded(self) -> bool:
        return any(b["exceeded"] for b in self.budgets)


def build_summary(
    data: CarbonData,
    config: SummaryConfig,
    *,
    all_runs: bool = False,
    since: pd.Timestamp | None = None,
    until: pd.Timestamp | None = None,
    now: datetime | None = None,
) -> CarbonSummary:
    selected = select_runs(data.runs, all_runs=all_runs, since=since, until=until)
    total = totals(selected)
    pipelines = pipeline_table(selected, data.nodes)
    per_pipeline_costs = pd.DataFrame(
        [
            {
                "pipeline": row["pipeline"],
                **costs(
                    {
                        "energy_kwh": row["energy_kwh"],
                        "duration_s": row["duration_s"],
                        "emissions_kg": row["emissions_kg"],
                    },
                    config,
                ),
            }
            for _, row in pipelines.iterrows()
        ]
    )
    node_rows = node_table(selected, data.nodes)
    label = "all runs" if all_runs else "latest run of each pipeline"
    if since is not None or until is not None:
        label += f" between {since or '…'} and {until or '…'}"
    return CarbonSummary(
        selection=label,
        totals=total,
        pipelines=pipelines,
        nodes=node_rows,
        costs=costs(total, config),
        pipeline_costs=per_pipeline_costs,
        grids=what_if_grids(total["energy_kwh"], config),
        pue=what_if_pue(selected, config),
        green_algorithms=green_algorithms(selected, config),
        measurement_notes=measurement_notes(selected, data.nodes, config),
        warnings=list(data.warnings) + file_warnings(data, selected, config, now or datetime.now()),
        hints=optimisation_hints(node_rows),
        budgets=budget_check(selected, config),
    )
