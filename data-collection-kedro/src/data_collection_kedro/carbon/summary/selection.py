"""Which node runs the summary counts: each node run once (docs/carbon.md, "The carbon summary").

The summary selects **node runs** (rows of ``emissions_nodes.csv``), never whole pipeline runs:

- default: each node of each pipeline once, its **latest** measured run in the window (a node
  measured inside ``make run``'s ``__default__`` and again alone by an Airflow task counts once,
  the later measurement);
- ``--all-runs``: every measured node run in the window, each once.

The time a run spends outside its nodes (``__outside_nodes__``: the runner's start-up, hooks,
scheduling) is counted in proportion to the share of that run's node energy the selection
keeps: all of it with ``--all-runs``, all of it for an Airflow task whose node is kept, the
kept share of ``make run``'s orchestration when later runs superseded some of its nodes.
Each kept node row also carries its share of its run's orchestration (``orchestration_kwh``),
which the yearly projection adds to the node's own energy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from data_collection_kedro import phases
from data_collection_kedro.carbon import files
from data_collection_kedro.carbon.summary.i18n import Text, text

J_PER_KWH = 3.6e6
#: columns scaled with the share of a run's orchestration the selection keeps: the node rows'
#: durations and energies, and the marginal figures derived from them
SCALED = (
    *(c for c in files.NODE_COLUMNS if c.endswith(("_s", "_kwh", "_kg"))),
    "marginal_energy_kwh",
    "marginal_emissions_kg",
)
LATEST = "latest"
ALL = "all"
#: the pseudo-node of a run that has a row in ``emissions_<pipeline>.csv`` but no node rows
#: (a file of another tool or an older version): counted whole, as one row
WHOLE_RUN = "__whole_run__"
MAX_NODE_WARNINGS = 12


@dataclasses.dataclass(frozen=True)
class NodeInfo:
    """A registered node: the pipeline it belongs to and its phase tag."""

    pipeline: str
    phase: str


@dataclasses.dataclass
class Selection:
    """The accounted rows: kept node rows and the weighted ``__outside_nodes__`` rows."""

    rows: pd.DataFrame
    superseded: pd.DataFrame  # node runs measured again later (default selection)
    mode: str
    warnings: list[Text]

    @property
    def run_ids(self) -> set[str]:
        return set(self.rows["run_id"].astype(str))

    @property
    def node_rows(self) -> pd.DataFrame:
        return self.rows[self.rows["node"] != files.OUTSIDE_NODES]


def prepared(nodes: pd.DataFrame, catalog: Mapping[str, NodeInfo] | None = None) -> pd.DataFrame:
    """The measured rows of ``emissions_nodes.csv`` with ``started`` / ``ended`` (UTC, naive),
    their phase, and the marginal energy above the run's idle draw."""
    frame = nodes.copy()
    for column in ("duration_s", "energy_kwh"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    for column in ("phase", "idle_power_w", "run_pipeline"):
        if column not in frame.columns:
            frame[column] = np.nan if column == "idle_power_w" else ""
    started = pd.to_datetime(frame["started_at"], errors="coerce", utc=True, format="ISO8601")
    frame["started"] = started.dt.tz_convert(None)
    frame["ended"] = frame["started"] + pd.to_timedelta(frame["duration_s"], unit="s")
    energy = frame["energy_kwh"]
    counted = frame["measurement"].isin(files.MEASURED) | (frame["node"] == WHOLE_RUN)
    measured = counted & energy.notna() & started.notna()
    frame = frame.loc[measured].copy()
    frame["file_order"] = np.arange(len(frame))
    for column in ("emissions_kg", "cpu_energy_kwh", "ram_energy_kwh", "gpu_energy_kwh"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float).fillna(0.0)
    frame["phase"] = [
        _phase(str(node), str(phase or ""), catalog)
        for node, phase in zip(frame["node"], frame["phase"].fillna(""), strict=True)
    ]
    idle = pd.to_numeric(frame["idle_power_w"], errors="coerce")
    idle_kwh = idle * frame["duration_s"] / J_PER_KWH
    frame["marginal_energy_kwh"] = (frame["energy_kwh"] - idle_kwh).clip(lower=0.0)
    intensity = (frame["emissions_kg"] / frame["energy_kwh"]).where(frame["energy_kwh"] > 0, 0.0)
    frame["marginal_emissions_kg"] = frame["marginal_energy_kwh"] * intensity
    return frame


def _phase(node: str, written: str, catalog: Mapping[str, NodeInfo] | None) -> str:
    if node == files.OUTSIDE_NODES:
        return phases.ORCHESTRATION
    if written and written != phases.UNKNOWN:
        return written
    if catalog and node in catalog:
        return catalog[node].phase
    return written or phases.UNKNOWN


def whole_run_rows(runs: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    """One ``__whole_run__`` node row per run-file row whose run has no node rows."""
    if runs.empty:
        return pd.DataFrame(columns=list(files.NODE_COLUMNS))
    known = set(nodes["run_id"].astype(str)) if not nodes.empty else set()
    alone = runs[~runs["run_id"].astype(str).isin(known)]
    out = pd.DataFrame(
        {
            "run_id": alone["run_id"].astype(str),
            "pipeline": alone["pipeline"],
            "run_pipeline": alone["pipeline"],
            "node": WHOLE_RUN,
            "started_at": alone["started"].dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
            "duration_s": alone["duration"],
            "energy_kwh": alone["energy_consumed"],
            "emissions_kg": alone["emissions"],
            "cpu_energy_kwh": alone.get("cpu_energy"),
            "ram_energy_kwh": alone.get("ram_energy"),
            "gpu_energy_kwh": alone.get("gpu_energy"),
            "measurement": "unknown",
            "country_iso_code": alone.get("country_iso_code"),
            "status": "ok",
            "phase": phases.UNKNOWN,
        }
    )
    return out.reset_index(drop=True)


def select_node_runs(
    nodes: pd.DataFrame,
    *,
    runs: pd.DataFrame | None = None,
    all_runs: bool = False,
    since: pd.Timestamp | None = None,
    until: pd.Timestamp | None = None,
    catalog: Mapping[str, NodeInfo] | None = None,
) -> Selection:
    """The node runs the summary counts (module docstring), with its warnings: nodes measured
    more than once (which run is kept), registered nodes without a measurement, a kept node run
    that failed."""
    if runs is not None and not runs.empty:
        legacy = whole_run_rows(runs, nodes)
        nodes = pd.concat([nodes, legacy], ignore_index=True) if not legacy.empty else nodes
    frame = prepared(nodes, catalog)
    if since is not None:
        frame = frame[frame["ended"] >= since]
    if until is not None:
        frame = frame[frame["ended"] <= until]
    outside = frame["node"] == files.OUTSIDE_NODES
    node_rows, outside_rows = frame[~outside], frame[outside].copy()
    if all_runs:
        kept, superseded = node_rows, node_rows.iloc[0:0]
        weights = pd.Series(1.0, index=outside_rows["run_id"].astype(str).unique())
    else:
        ordered = node_rows.sort_values(["ended", "file_order"], kind="stable")
        kept = ordered.groupby(["pipeline", "node"], sort=False).tail(1)
        superseded = node_rows.drop(kept.index)
        weights = _kept_shares(node_rows, kept)
    kept = kept.copy()
    kept["weight"] = 1.0
    kept = _with_orchestration(kept, node_rows, outside_rows)
    outside_rows["weight"] = outside_rows["run_id"].astype(str).map(weights).astype(float)
    outside_rows["weight"] = outside_rows["weight"].fillna(0.0)
    outside_rows = outside_rows[outside_rows["weight"] > 0]
    for column in SCALED:
        outside_rows[column] = outside_rows[column] * outside_rows["weight"]
    rows = pd.concat([kept, outside_rows], ignore_index=True)
    rows = rows.sort_values(["started", "file_order"], kind="stable").reset_index(drop=True)
    selection = Selection(rows, superseded, ALL if all_runs else LATEST, [])
    selection.warnings = _warnings(selection, catalog)
    return selection


def _kept_shares(node_rows: pd.DataFrame, kept: pd.DataFrame) -> pd.Series:
    """Per run: the share of its node energy (node count when it measured none) kept."""
    run_ids = node_rows["run_id"].astype(str)
    total = node_rows["energy_kwh"].groupby(run_ids).sum()
    count = run_ids.value_counts()
    kept_ids = kept["run_id"].astype(str)
    kept_energy = kept["energy_kwh"].groupby(kept_ids).sum().reindex(total.index, fill_value=0.0)
    kept_count = kept_ids.value_counts().reindex(total.index, fill_value=0)
    share = (kept_energy / total).where(total > 0, kept_count / count.reindex(total.index))
    return share.fillna(0.0)


def _with_orchestration(
    kept: pd.DataFrame, node_rows: pd.DataFrame, outside_rows: pd.DataFrame
) -> pd.DataFrame:
    """``orchestration_kwh`` / ``_kg``: each kept node's share of its run's outside energy, in
    proportion to its energy among the run's node rows."""
    run_ids = node_rows["run_id"].astype(str)
    total = node_rows["energy_kwh"].groupby(run_ids).sum()
    outside_ids = outside_rows["run_id"].astype(str)
    outside_kwh = outside_rows["energy_kwh"].groupby(outside_ids).sum()
    outside_kg = outside_rows["emissions_kg"].groupby(outside_ids).sum()
    ids = kept["run_id"].astype(str)

    def per_run(values: pd.Series) -> pd.Series:
        return ids.map(values).astype(float).fillna(0.0)

    run_total = per_run(total)
    share = (kept["energy_kwh"] / run_total).where(run_total > 0, 0.0)
    kept["orchestration_kwh"] = share * per_run(outside_kwh)
    kept["orchestration_kg"] = share * per_run(outside_kg)
    return kept


def _warnings(selection: Selection, catalog: Mapping[str, NodeInfo] | None) -> list[Text]:
    out: list[Text] = []
    kept = selection.node_rows
    if not selection.superseded.empty:
        groups = list(selection.superseded.groupby(["pipeline", "node"], sort=True))
        for (pipeline, node), again in groups[:MAX_NODE_WARNINGS]:
            row = kept[(kept["pipeline"] == pipeline) & (kept["node"] == node)].iloc[0]
            counted = (
                f"{row['run_pipeline'] or pipeline} {str(row['run_id'])[:8]} "
                f"{row['ended']:%Y-%m-%d %H:%M}"
            )
            dropped = ", ".join(
                f"{r.run_pipeline or pipeline} {str(r.run_id)[:8]} {r.ended:%Y-%m-%d %H:%M}"
                for r in again.itertuples()
            )
            out.append(
                text(
                    f"overlap: {pipeline}.{node} was measured {len(again) + 1} times in the "
                    f"window; counted once, its latest run ({counted}); not counted: {dropped}",
                    f"chevauchement : {pipeline}.{node} a été mesuré {len(again) + 1} fois dans "
                    f"la période ; compté une fois, sa dernière exécution ({counted}) ; non "
                    f"comptées : {dropped}",
                )
            )
        if len(groups) > MAX_NODE_WARNINGS:
            more = len(groups) - MAX_NODE_WARNINGS
            out.append(
                text(
                    f"overlap: {more} more node(s) measured more than once, each counted once "
                    "(its latest run)",
                    f"chevauchement : {more} autre(s) nœud(s) mesuré(s) plusieurs fois, chacun "
                    "compté une fois (sa dernière exécution)",
                )
            )
    if catalog:
        measured_nodes = set(kept["node"])
        missing: dict[str, list[str]] = {}
        for node, info in catalog.items():
            if node not in measured_nodes:
                missing.setdefault(info.pipeline, []).append(node)
        for pipeline, names in sorted(missing.items()):
            listed = ", ".join(sorted(names))
            out.append(
                text(
                    f"gap: no measurement in the selection for {len(names)} node(s) of "
                    f"{pipeline}: {listed} (never run, or not in the window): the totals leave "
                    "them out",
                    f"lacune : aucune mesure dans la sélection pour {len(names)} nœud(s) de "
                    f"{pipeline} : {listed} (jamais exécutés, ou hors période) : les totaux "
                    "ne les comptent pas",
                )
            )
    for failed in kept[kept["status"] == "failed"].itertuples():
        out.append(
            text(
                f"failed: the counted run of {failed.pipeline}.{failed.node} (run "
                f"{str(failed.run_id)[:8]}) failed: its energy is counted, its outputs may be "
                "missing",
                f"échec : l'exécution comptée de {failed.pipeline}.{failed.node} (exécution "
                f"{str(failed.run_id)[:8]}) a échoué : son énergie est comptée, ses sorties "
                "peuvent manquer",
            )
        )
    return out
