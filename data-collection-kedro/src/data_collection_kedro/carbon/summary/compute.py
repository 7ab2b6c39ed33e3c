"""The carbon summary's figures: pure functions of the loaded files and the configuration.

Which node runs are counted: :mod:`.selection` (each node run once). Definitions of every
figure of the report:

- share: a row's emissions / the total emissions of the selection;
- marginal energy: a row's energy minus the run's idle draw (``idle_power_w``, measured once at
  the tracker's start) × its duration, floored at 0;
- implied average power (W) = energy_kwh × 3.6e6 / duration_s;
- implied carbon intensity (g/kWh) = emissions_kg × 1000 / energy_kwh (CodeCarbon's annual
  figure of the country);
- run-time intensity: the eco2mix intensity of the quarter-hours each node ran in, weighted by
  time (:mod:`data_collection_kedro.carbon.intensity`); run-time emissions = energy × it;
- costs: electricity = kWh × €/kWh; compute = duration_h × instance €/h; carbon =
  emissions_t × internal €/t;
- what-if grid: energy_kwh × intensity / 1000 (kg); what-if PUE: energy_kwh / run PUE × PUE,
  at the implied intensity;
- Green Algorithms: duration_h × (cores × core_W × usage + memory_GB × 0.3725) × PUE / 1000
  (kWh), × the implied intensity (kg);
- day's best hour: a run's energy × the lowest hourly intensity of its Paris day;
- yearly projection: :mod:`.projection`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from data_collection_kedro import phases
from data_collection_kedro.carbon import files
from data_collection_kedro.carbon.grid import GridError, country_intensity
from data_collection_kedro.carbon.intensity import IntensitySeries, daily_best_hour
from data_collection_kedro.carbon.summary.config import SummaryConfig
from data_collection_kedro.carbon.summary.i18n import Text, text
from data_collection_kedro.carbon.summary.loading import CarbonData
from data_collection_kedro.carbon.summary.projection import project
from data_collection_kedro.carbon.summary.selection import (
    NodeInfo,
    Selection,
    select_node_runs,
)
from data_collection_kedro.schedules import DagPlan

J_PER_KWH = 3.6e6
#: (low, high) factors of the true value around the estimate, per measurement method: rough
#: guides from CodeCarbon's methodology, not measured here (RAM is an estimate in every case)
UNCERTAINTY = {
    files.MEASUREMENT_RAPL: (0.85, 1.15),
    files.MEASUREMENT_CPU_LOAD: (0.6, 1.5),
    files.MEASUREMENT_TDP: (0.5, 2.0),
    files.MEASUREMENT_CONSTANT: (0.5, 2.0),
}
PHASE_ORDER = (*phases.PHASES, phases.ORCHESTRATION, phases.UNKNOWN)


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


def _safe_div(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def implied_power_w(energy_kwh: float, duration_s: float) -> float:
    return _safe_div(energy_kwh * J_PER_KWH, duration_s)


def implied_intensity(emissions_kg: float, energy_kwh: float) -> float:
    return _safe_div(emissions_kg * 1000.0, energy_kwh)


def _joined(values: pd.Series) -> str:
    return ", ".join(sorted({str(v) for v in values.dropna() if str(v)}))


# -- run-time intensity ---------------------------------------------------------------------
def with_runtime_intensity(rows: pd.DataFrame, series: IntensitySeries | None) -> pd.DataFrame:
    """``runtime_g_per_kwh``, ``runtime_emissions_kg``, ``runtime_measured_share`` and
    ``runtime_basis`` of each row (NaN without a series)."""
    rows = rows.copy()
    values, shares, bases = [], [], []
    for started, ended in zip(rows["started"], rows["ended"], strict=True):
        if series is None or series.empty or pd.isna(started):
            values.append(math.nan)
            shares.append(math.nan)
            bases.append("")
            continue
        value, basis = series.over(pd.Timestamp(started), pd.Timestamp(ended))
        values.append(value)
        shares.append(basis.measured_share)
        bases.append(basis.label())
    rows["runtime_g_per_kwh"] = values
    rows["runtime_measured_share"] = shares
    rows["runtime_basis"] = bases
    rows["runtime_emissions_kg"] = rows["energy_kwh"] * rows["runtime_g_per_kwh"] / 1000.0
    return rows


# -- tables ---------------------------------------------------------------------------------
def _aggregate(rows: pd.DataFrame, by: list[str], total_kg: float, config: SummaryConfig) -> Any:
    real = rows["node"] != files.OUTSIDE_NODES
    grouped = rows.assign(node_run=real.astype(int)).groupby(by, sort=False)
    table = grouped.agg(
        node_runs=("node_run", "sum"),
        runs=("run_id", "nunique"),
        duration_s=("duration_s", "sum"),
        energy_kwh=("energy_kwh", "sum"),
        marginal_energy_kwh=("marginal_energy_kwh", "sum"),
        emissions_kg=("emissions_kg", "sum"),
        marginal_emissions_kg=("marginal_emissions_kg", "sum"),
        runtime_emissions_kg=("runtime_emissions_kg", lambda s: s.sum(min_count=1)),
        cpu_energy_kwh=("cpu_energy_kwh", "sum"),
        ram_energy_kwh=("ram_energy_kwh", "sum"),
        measurement=("measurement", _joined),
        last_run=("ended", "max"),
    ).reset_index()
    table["emissions_g"] = table["emissions_kg"] * 1000.0
    table["share"] = table["emissions_kg"] / total_kg if total_kg else math.nan
    table["cost_eur"] = table["energy_kwh"] * config.electricity_eur_per_kwh
    table["implied_power_w"] = [
        implied_power_w(e, d) for e, d in zip(table["energy_kwh"], table["duration_s"], strict=True)
    ]
    table["implied_intensity_g_per_kwh"] = [
        implied_intensity(k, e)
        for k, e in zip(table["emissions_kg"], table["energy_kwh"], strict=True)
    ]
    return table


def phase_table(rows: pd.DataFrame, total_kg: float, config: SummaryConfig) -> pd.DataFrame:
    """Per phase (collection, processing, training, inference, then orchestration)."""
    if rows.empty:
        return pd.DataFrame()
    table = _aggregate(rows, ["phase"], total_kg, config)
    order = {p: i for i, p in enumerate(PHASE_ORDER)}
    table["order"] = table["phase"].map(order).fillna(len(order))
    return table.sort_values("order").drop(columns="order").reset_index(drop=True)


def pipeline_table(rows: pd.DataFrame, total_kg: float, config: SummaryConfig) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame()
    table = _aggregate(rows, ["pipeline"], total_kg, config)
    return table.sort_values("emissions_kg", ascending=False).reset_index(drop=True)


def node_table(rows: pd.DataFrame, total_kg: float, config: SummaryConfig) -> pd.DataFrame:
    """Per pipeline and node (``__outside_nodes__``: the counted share of each run's
    orchestration), with the run(s) they were measured in."""
    if rows.empty:
        return pd.DataFrame()
    table = _aggregate(rows, ["pipeline", "node", "phase"], total_kg, config)
    ran_in = rows.groupby(["pipeline", "node"], sort=False)["run_pipeline"].agg(_joined)
    failed = rows.groupby(["pipeline", "node"], sort=False)["status"].agg(
        lambda s: int((s == "failed").sum())
    )
    keys = list(zip(table["pipeline"], table["node"], strict=True))
    table["ran_in"] = [ran_in.get(k, "") for k in keys]
    table["failed"] = [int(failed.get(k, 0)) for k in keys]
    return table.sort_values("emissions_kg", ascending=False).reset_index(drop=True)


def totals(rows: pd.DataFrame, config: SummaryConfig) -> dict[str, Any]:
    duration = float(rows["duration_s"].sum()) if not rows.empty else 0.0
    energy = float(rows["energy_kwh"].sum()) if not rows.empty else 0.0
    emissions = float(rows["emissions_kg"].sum()) if not rows.empty else 0.0
    idle_known = rows["idle_power_w"].notna() if not rows.empty else pd.Series(dtype=bool)
    ram = float(rows["ram_energy_kwh"].sum()) if not rows.empty else 0.0
    methods = sorted(set(rows["measurement"].dropna()) & files.MEASURED) if not rows.empty else []
    low, high = uncertainty_band(methods)
    return {
        "node_runs": int((rows["node"] != files.OUTSIDE_NODES).sum()) if not rows.empty else 0,
        "runs": int(rows["run_id"].nunique()) if not rows.empty else 0,
        "duration_s": duration,
        "energy_kwh": energy,
        "energy_low_kwh": energy * low,
        "energy_high_kwh": energy * high,
        "marginal_energy_kwh": float(rows.loc[idle_known, "marginal_energy_kwh"].sum())
        if idle_known.any()
        else math.nan,
        "marginal_covers_share": float(
            rows.loc[idle_known, "energy_kwh"].sum() / energy if energy else math.nan
        ),
        "idle_power_w": float(
            pd.to_numeric(rows["idle_power_w"], errors="coerce").median()
            if idle_known.any()
            else math.nan
        ),
        "emissions_kg": emissions,
        "emissions_low_kg": emissions * low,
        "emissions_high_kg": emissions * high,
        "emissions_g": emissions * 1000.0,
        "marginal_emissions_kg": float(rows.loc[idle_known, "marginal_emissions_kg"].sum())
        if idle_known.any()
        else math.nan,
        "runtime_emissions_kg": float(rows["runtime_emissions_kg"].sum(min_count=1))
        if not rows.empty
        else math.nan,
        "ram_share": _safe_div(ram, energy),
        "implied_power_w": implied_power_w(energy, duration),
        "implied_intensity_g_per_kwh": implied_intensity(emissions, energy),
        "cost_eur": energy * config.electricity_eur_per_kwh,
        "methods": methods,
    }


def uncertainty_band(methods: Sequence[str]) -> tuple[float, float]:
    """The widest band of the measurement methods present (1, 1 when none)."""
    bands = [UNCERTAINTY[m] for m in methods if m in UNCERTAINTY]
    if not bands:
        return 1.0, 1.0
    return min(b[0] for b in bands), max(b[1] for b in bands)


def intensity_section(
    rows: pd.DataFrame, total: Mapping[str, Any], series: IntensitySeries | None
) -> dict[str, Any]:
    """Both intensity bases side by side, and which one the report's totals use."""
    countries = sorted({str(c) for c in rows.get("country_iso_code", pd.Series()).dropna() if c})
    sources = []
    for iso in countries:
        try:
            grid = country_intensity(iso)
            sources.append(f"{grid.source}: {grid.g_co2e_per_kwh:.4g} g/kWh")
        except GridError:
            sources.append(f"{iso}: CodeCarbon's figure")
    energy = float(total["energy_kwh"])
    section: dict[str, Any] = {
        "annual_g_per_kwh": total["implied_intensity_g_per_kwh"],
        "annual_emissions_kg": total["emissions_kg"],
        "annual_source": "; ".join(sources) or "CodeCarbon",
        "available": series is not None and not series.empty,
    }
    if not section["available"] or rows.empty:
        return section
    assert series is not None
    first_last = series.first_last()
    runtime_kg = float(total["runtime_emissions_kg"])
    covered = rows["runtime_measured_share"].fillna(0.0) * rows["energy_kwh"]
    profile_days = sorted(
        {d for b in rows["runtime_basis"] if "profile" in str(b) for d in _days_of(str(b))}
    )
    section.update(
        runtime_g_per_kwh=runtime_kg * 1000.0 / energy if energy else math.nan,
        runtime_emissions_kg=runtime_kg,
        difference_kg=runtime_kg - float(total["emissions_kg"]),
        difference_share=_safe_div(
            runtime_kg - float(total["emissions_kg"]), total["emissions_kg"]
        ),
        measured_share=_safe_div(float(covered.sum()), energy),
        profile_days=(profile_days[0], profile_days[-1]) if profile_days else None,
        store_first=first_last[0] if first_last else None,
        store_last=first_last[1] if first_last else None,
    )
    return section


def _days_of(basis: str) -> list[str]:
    token = basis.rsplit(" ", 1)[-1]
    return token.split("..") if ".." in token else []


def scheduling_table(
    rows: pd.DataFrame, series: IntensitySeries | None, deferrable: set[str]
) -> pd.DataFrame:
    """Per run of deferrable work: what it emitted at run time and at its day's best hour."""
    if series is None or series.empty or rows.empty or not deferrable:
        return pd.DataFrame()
    part = rows[rows["pipeline"].isin(deferrable)]
    out = []
    for run_id, group in part.groupby("run_id", sort=False):
        energy = float(group["energy_kwh"].sum())
        started = pd.Timestamp(group["started"].min()).tz_localize("UTC")
        local = started.tz_convert("Europe/Paris")
        runtime_kg = float(group["runtime_emissions_kg"].sum())
        hour, best = daily_best_hour(series, local.tz_localize(None).normalize())
        at_best = energy * best / 1000.0
        out.append(
            {
                "run_id": str(run_id),
                "pipelines": _joined(group["pipeline"]),
                "ran_in": _joined(group["run_pipeline"]),
                "started_local": local.tz_localize(None),
                "energy_kwh": energy,
                "runtime_g_per_kwh": _safe_div(runtime_kg * 1000.0, energy),
                "runtime_emissions_kg": runtime_kg,
                "best_hour_local": hour,
                "best_g_per_kwh": best,
                "best_hour_emissions_kg": at_best,
                "saving_kg": runtime_kg - at_best,
                "saving_share": _safe_div(runtime_kg - at_best, runtime_kg),
                "basis": _joined(group["runtime_basis"]),
            }
        )
    return pd.DataFrame(out)


# -- costs, what-ifs, cross-checks ----------------------------------------------------------
def costs(total: Mapping[str, Any], config: SummaryConfig) -> dict[str, float]:
    electricity = float(total["energy_kwh"]) * config.electricity_eur_per_kwh
    compute = float(total["duration_s"]) / 3600.0 * config.cloud_instance_eur_per_hour
    carbon = float(total["emissions_kg"]) / 1000.0 * config.internal_carbon_price_eur_per_t
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


def _run_settings(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per run id: its PUE, CPU count and memory (CodeCarbon's run columns)."""
    if runs.empty:
        return pd.DataFrame(columns=["pue", "cpu_count", "ram_total_size"])
    columns = [c for c in ("pue", "cpu_count", "ram_total_size") if c in runs.columns]
    return runs.assign(run_id=runs["run_id"].astype(str)).groupby("run_id")[columns].first()


def what_if_pue(rows: pd.DataFrame, runs: pd.DataFrame, config: SummaryConfig) -> pd.DataFrame:
    """The same IT energy in rooms of other PUEs, at each row's own implied intensity."""
    settings = _run_settings(runs)
    pue = rows["run_id"].astype(str).map(settings.get("pue", pd.Series(dtype=float)))
    pue = pd.to_numeric(pue, errors="coerce").fillna(1.0).replace(0, 1.0)
    it_energy = rows["energy_kwh"] / pue
    intensity = (rows["emissions_kg"] / rows["energy_kwh"]).fillna(0.0)
    return pd.DataFrame(
        [
            {
                "pue": value,
                "energy_kwh": float((it_energy * value).sum()),
                "emissions_kg": float((it_energy * value * intensity).sum()),
            }
            for value in config.pue_values
        ]
    )


def green_algorithms(rows: pd.DataFrame, runs: pd.DataFrame, config: SummaryConfig) -> pd.DataFrame:
    """Green Algorithms' estimate of each pipeline's counted rows beside CodeCarbon's figure."""
    ga = config.green_algorithms
    settings = _run_settings(runs)
    out = []
    for pipeline, group in rows.groupby("pipeline", sort=True):
        ids = group["run_id"].astype(str)

        def setting(name: str, override: float | None, ids: pd.Series = ids) -> pd.Series:
            if override is not None:
                return pd.Series(float(override), index=ids.index)
            column = settings.get(name, pd.Series(dtype=float))
            return pd.to_numeric(ids.map(column), errors="coerce")

        cores = setting("cpu_count", ga.cores)
        memory = setting("ram_total_size", ga.memory_gb).fillna(0.0)
        pue = setting("pue", ga.pue).fillna(1.0).replace(0, 1.0)
        power_w = cores * ga.core_power_w * ga.usage_factor + memory * ga.memory_power_w_per_gb
        energy = float((group["duration_s"] / 3600.0 * power_w * pue / 1000.0).sum())
        cc_energy = float(group["energy_kwh"].sum())
        intensity = implied_intensity(float(group["emissions_kg"].sum()), cc_energy)
        out.append(
            {
                "pipeline": pipeline,
                "cores": float(cores.median()) if cores.notna().any() else math.nan,
                "memory_gb": float(memory.median()),
                "ga_energy_kwh": energy,
                "ga_emissions_kg": energy * intensity / 1000.0,
                "codecarbon_energy_kwh": cc_energy,
                "ratio_ga_to_codecarbon": _safe_div(energy, cc_energy),
            }
        )
    return pd.DataFrame(out)


# -- warnings -------------------------------------------------------------------------------
# CodeCarbon writes a run's end to the second (truncated), and the start of a run known only
# from its run file (no node rows) is derived from that end and the duration: back-to-back runs
# can seem to overlap by up to this much.
TIMESTAMP_RESOLUTION = pd.Timedelta(seconds=1)


def overlapping_runs(rows: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """Pairs of counted runs whose [start, end] intervals overlap by more than the files'
    timestamp resolution (two processes measuring the same machine: its power is in both)."""
    spans = (
        rows.groupby("run_id")
        .agg(started=("started", "min"), ended=("ended", "max"), pipeline=("run_pipeline", "first"))
        .sort_values("started")
        .reset_index()
    )
    pairs = []
    for i in range(len(spans)):
        for j in range(i + 1, len(spans)):
            a, b = spans.iloc[i], spans.iloc[j]
            if b["started"] >= a["ended"] - TIMESTAMP_RESOLUTION:
                break
            pairs.append(
                (str(a["pipeline"]), str(a["run_id"]), str(b["pipeline"]), str(b["run_id"]))
            )
    return pairs


def file_warnings(
    data: CarbonData, selection: Selection, config: SummaryConfig, now: datetime
) -> list[Text]:
    """Overlapping runs, stale or partial files, nodes without measurements."""
    out: list[Text] = []
    rows = selection.rows
    for pa, ra, pb, rb in overlapping_runs(rows):
        out.append(
            text(
                f"overlapping runs: {pa} ({ra[:8]}) and {pb} ({rb[:8]}) ran at the same time; "
                "the machine's power is counted in both (double counting)",
                f"exécutions simultanées : {pa} ({ra[:8]}) et {pb} ({rb[:8]}) ; la puissance de "
                "la machine est comptée dans les deux (double comptage)",
            )
        )
    runs, nodes = data.runs, data.nodes
    if not rows.empty:
        last = rows.groupby("pipeline")["ended"].max()
        limit = pd.Timestamp(now) - pd.Timedelta(days=config.stale_after_days)
        for pipeline, ended in last.items():
            if ended < limit:
                out.append(
                    text(
                        f"stale: the counted runs of {pipeline} ended {ended:%Y-%m-%d}, more "
                        f"than {config.stale_after_days:g} days ago",
                        f"ancien : les exécutions comptées de {pipeline} datent du "
                        f"{ended:%Y-%m-%d}, il y a plus de {config.stale_after_days:g} jours",
                    )
                )
    counted = selection.run_ids
    node_runs = set(nodes["run_id"].astype(str))
    for _, run in runs.iterrows():
        run_id = str(run["run_id"])
        if run_id not in counted and run_id in node_runs:
            continue
        if run_id not in node_runs:
            if run_id in counted:
                out.append(
                    text(
                        f"partial: run {run_id[:8]} of {run['pipeline']} has no node rows in "
                        f"{files.NODES_FILE_NAME}: counted whole, without phase",
                        f"partiel : l'exécution {run_id[:8]} de {run['pipeline']} n'a pas de "
                        f"lignes dans {files.NODES_FILE_NAME} : comptée en bloc, sans phase",
                    )
                )
            continue
        mine = nodes[
            (nodes["run_id"].astype(str) == run_id)
            & (nodes["pipeline"] == run["pipeline"])
            & nodes["measurement"].isin(files.MEASURED)
        ]
        node_sum = float(mine["energy_kwh"].sum())
        total = float(run["energy_consumed"])
        if total and abs(node_sum - total) / total > config.partial_tolerance:
            out.append(
                text(
                    f"partial: the node rows of run {run_id[:8]} ({run['pipeline']}) add up to "
                    f"{node_sum:.3g} kWh, the run total is {total:.3g} kWh",
                    f"partiel : les lignes de nœuds de l'exécution {run_id[:8]} "
                    f"({run['pipeline']}) font {node_sum:.3g} kWh, le total {total:.3g} kWh",
                )
            )
    measured_runs = set(runs["run_id"].astype(str))
    orphan = nodes[
        ~nodes["run_id"].astype(str).isin(measured_runs)
        & nodes["measurement"].isin(files.MEASURED)
        & nodes["run_id"].astype(str).isin(counted)
    ]
    for orphan_id, group in orphan.groupby("run_id"):
        out.append(
            text(
                f"partial: run {str(orphan_id)[:8]} ({_joined(group['pipeline'])}) has node rows but "
                "no row in any emissions_<pipeline>.csv (interrupted run?)",
                f"partiel : l'exécution {str(orphan_id)[:8]} ({_joined(group['pipeline'])}) a des "
                "lignes de nœuds mais aucune ligne emissions_<pipeline>.csv (interrompue ?)",
            )
        )
    unmeasured = nodes[~nodes["measurement"].isin(files.MEASURED) | nodes["energy_kwh"].isna()]
    if not rows.empty:
        started = pd.to_datetime(unmeasured["started_at"], errors="coerce", utc=True)
        window_start = rows["started"].min() - pd.Timedelta(days=1)
        unmeasured = unmeasured[started.dt.tz_convert(None) >= window_start]
    reasons = {
        files.MEASUREMENT_SKIPPED_CONCURRENT: text(
            "another process was measuring (not counted to avoid double counting)",
            "un autre processus mesurait (non compté pour éviter le double comptage)",
        ),
        files.MEASUREMENT_SKIPPED_NESTED: text(
            "ran inside a measured run (counted there)",
            "exécuté dans une exécution mesurée (compté là)",
        ),
        files.MEASUREMENT_OVERLAPPING_NODE: text(
            "ran at the same time as another node (counted in that node)",
            "exécuté en même temps qu'un autre nœud (compté dans ce nœud)",
        ),
    }
    for (pipeline, measurement), group in unmeasured.groupby(["pipeline", "measurement"]):
        reason = reasons.get(str(measurement), text("no energy figure", "pas de mesure"))
        out.append(
            text(
                f"nodes without measurements: {len(group)} node run(s) of {pipeline} "
                f"({measurement}): {reason['en']}",
                f"nœuds sans mesure : {len(group)} exécution(s) de nœud de {pipeline} "
                f"({measurement}) : {reason['fr']}",
            )
        )
    return out


# -- hints and budgets ----------------------------------------------------------------------
LEVERS: dict[str, Text] = {
    phases.COLLECTION: text(
        "incremental pulls (only new days), larger batches, columnar reads, skip unchanged files",
        "extractions incrémentales (jours nouveaux seulement), lots plus grands, lectures "
        "colonnes, ignorer les fichiers inchangés",
    ),
    phases.PROCESSING: text(
        "push joins and aggregations into DuckDB SQL, process only new days",
        "faire les jointures et agrégations en SQL DuckDB, ne traiter que les jours nouveaux",
    ),
    phases.TRAINING: text(
        "fewer hyper-parameter trials, early stopping, train on a sample first, reuse the "
        "champion when the data has not changed, start in a low-carbon window",
        "moins d'essais d'hyper-paramètres, arrêt précoce, entraîner d'abord sur un "
        "échantillon, garder le champion si les données n'ont pas changé, démarrer dans un "
        "créneau bas carbone",
    ),
    phases.INFERENCE: text(
        "batch predictions, cache results for unchanged inputs",
        "prédictions par lots, cache des résultats pour des entrées inchangées",
    ),
    phases.ORCHESTRATION: text(
        "run only the pipelines or tagged nodes with new data, fewer datasets per pipeline, "
        "group small Airflow tasks (each task pays the runner's start-up)",
        "n'exécuter que les pipelines ou nœuds qui ont des données nouvelles, moins de "
        "datasets par pipeline, regrouper les petites tâches Airflow (chacune paie le "
        "démarrage du runner)",
    ),
}


def optimisation_hints(node_rows: pd.DataFrame, limit: int = 5) -> list[dict[str, Any]]:
    """The rows with the largest shares, each with its phase and the levers that apply."""
    hints: list[dict[str, Any]] = []
    if node_rows.empty:
        return hints
    default = text(
        "profile the node; vectorise, cache or sample its input",
        "profiler le nœud ; vectoriser, mettre en cache ou échantillonner son entrée",
    )
    for _, row in node_rows.sort_values("share", ascending=False).head(limit).iterrows():
        hints.append(
            {
                "pipeline": row["pipeline"],
                "node": row["node"],
                "share": float(row["share"]),
                "phase": row["phase"],
                "levers": LEVERS.get(str(row["phase"]), default),
            }
        )
    return hints


def budget_check(rows: pd.DataFrame, config: SummaryConfig) -> list[dict[str, Any]]:
    """Each counted run's emissions per pipeline against that pipeline's budget (kg per run)."""
    out: list[dict[str, Any]] = []
    if rows.empty:
        return out
    per_run = rows.groupby(["pipeline", "run_id"], sort=True)["emissions_kg"].sum()
    for key, emissions in per_run.items():
        pipeline, run_id = str(key[0]), str(key[1])  # type: ignore[index]
        budget = config.budget_for(str(pipeline))
        if budget is None:
            continue
        out.append(
            {
                "pipeline": pipeline,
                "run_id": str(run_id),
                "emissions_kg": float(emissions),
                "budget_kg": budget,
                "exceeded": bool(float(emissions) > budget),
            }
        )
    return out


# -- the summary ----------------------------------------------------------------------------
@dataclasses.dataclass
class CarbonSummary:
    mode: str  # "latest" or "all"
    window: tuple[pd.Timestamp | None, pd.Timestamp | None]
    totals: dict[str, Any]
    phases: pd.DataFrame
    pipelines: pd.DataFrame
    nodes: pd.DataFrame
    intensity: dict[str, Any]
    scheduling: pd.DataFrame
    projection: pd.DataFrame
    costs: dict[str, float]
    grids: pd.DataFrame
    pue: pd.DataFrame
    green_algorithms: pd.DataFrame
    warnings: list[Text]
    hints: list[dict[str, Any]]
    budgets: list[dict[str, Any]]
    config: SummaryConfig
    tradeoff: pd.DataFrame | None = None
    tradeoff_note: str = ""
    usage: pd.DataFrame | None = None
    usage_note: str = ""
    charts: list[str] = dataclasses.field(default_factory=list)
    #: the selection's rows (kept node runs and the counted orchestration), for other sections
    rows: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)

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
    catalog: Mapping[str, NodeInfo] | None = None,
    intensity: IntensitySeries | None = None,
    plans: Sequence[DagPlan] = (),
) -> CarbonSummary:
    """The summary of the counted node runs (:func:`.selection.select_node_runs`).

    ``catalog``: the registered nodes (their pipeline and phase: gaps, phases of old rows);
    ``intensity``: the stored eco2mix series (run-time figures); ``plans``: the DAG plans
    (yearly projection, deferrable work).
    """
    selection = select_node_runs(
        data.nodes, runs=data.runs, all_runs=all_runs, since=since, until=until, catalog=catalog
    )
    rows = with_runtime_intensity(selection.rows, intensity)
    total = totals(rows, config)
    total_kg = float(total["emissions_kg"])
    node_rows = node_table(rows, total_kg, config)
    deferrable = {t.pipeline for plan in plans if plan.deferrable for t in plan.tasks}
    warnings = (
        [text(w) for w in data.warnings]
        + selection.warnings
        + file_warnings(data, selection, config, now or datetime.now())
    )
    return CarbonSummary(
        mode=selection.mode,
        window=(since, until),
        totals=total,
        phases=phase_table(rows, total_kg, config),
        pipelines=pipeline_table(rows, total_kg, config),
        nodes=node_rows,
        intensity=intensity_section(rows, total, intensity),
        scheduling=scheduling_table(rows, intensity, deferrable),
        projection=project(
            plans,
            rows[rows["node"] != files.OUTSIDE_NODES],
            electricity_eur_per_kwh=config.electricity_eur_per_kwh,
            catalog=catalog,
        )
        if plans
        else pd.DataFrame(),
        costs=costs(total, config),
        grids=what_if_grids(float(total["energy_kwh"]), config),
        pue=what_if_pue(rows, data.runs, config) if not rows.empty else pd.DataFrame(),
        green_algorithms=green_algorithms(rows, data.runs, config)
        if not rows.empty
        else pd.DataFrame(),
        warnings=warnings,
        hints=optimisation_hints(node_rows),
        budgets=budget_check(rows, config),
        config=config,
        rows=rows,
    )
