"""What a pipeline run produced, for a person: the summary ``make run`` ends with.

Built from the run summary the hooks write (:mod:`data_collection_kedro.run_summary`,
``<run_summary.output_dir>/<run id>.json``): every table and file the run wrote with its row
count (and, for the stores, the rows inserted / updated / unchanged), the rows quarantined, the
run's duration, energy and CO₂e; then, when the run trained models, each model's test metric
against the best baseline (``model_metrics``), and the next commands::

    python -m data_collection_kedro.reporting.run_report            # the newest run
    python -m data_collection_kedro.reporting.run_report --run-id <id> [--env prod]

Intermediate in-memory datasets are not outputs and are left out. Exit code 0; 2 when there is
no run summary to report (a message, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from data_collection_kedro.modeling.metrics import versus_best_baseline
from data_collection_kedro.run_summary import read_run_summary

PROJECT_DIR = Path(__file__).resolve().parents[3]  # data-collection-kedro/
# datasets whose rows live in a store table (the others are files or models)
STORE_TYPES = ("DuckDBTableDataset", "MongoCollectionDataset", "ElasticsearchIndexDataset")
NEXT_COMMANDS = (
    ("make dashboard", "the Streamlit dashboard (http://localhost:8501)"),
    ("make carbon-report", "the carbon footprint of the runs (reports/carbon/)"),
    ("make airflow", "Airflow with the ingestion and training DAGs (dags/)"),
    ("make viz", "the pipelines in kedro-viz (http://127.0.0.1:4141)"),
)


@dataclass(frozen=True)
class Output:
    """One dataset a run saved: its kind (``table``, ``file`` or ``memory``) and where it is."""

    name: str
    kind: str
    location: str
    saves: int
    rows: int | None
    inserted: int | None
    updated: int | None
    unchanged: int | None


def read_run_summaries(folder: Path) -> list[dict[str, Any]]:
    """Every readable run summary of ``folder``, the one that ended last first (files that
    are not a run summary are skipped)."""
    found = []
    for path in folder.glob("*.json") if folder.is_dir() else []:
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
            modified = path.stat().st_mtime
        except (OSError, ValueError):
            continue
        if isinstance(summary, dict) and "run_id" in summary:
            found.append(((str(summary.get("ended_at") or ""), modified), summary))
    return [summary for _, summary in sorted(found, key=lambda item: item[0], reverse=True)]


def newest_summary(folder: Path) -> dict[str, Any] | None:
    """The run summary of ``folder`` that ended last (None when there is none)."""
    summaries = read_run_summaries(folder)
    return summaries[0] if summaries else None


def describe_dataset(config: Mapping[str, Any] | None) -> tuple[str, str]:
    """``(kind, location)`` of a catalog entry: a store ``table`` (its table, collection or
    index), a ``file`` (its path) or ``memory``."""
    if not config:
        return "memory", ""
    kind = str(config.get("store") or config.get("type") or "")
    if kind.endswith(STORE_TYPES):
        where = config.get("table") or config.get("collection") or config.get("index")
        if where is None and config.get("name"):  # a declared raw table (source registry)
            from data_collection_kedro.sources import registry

            where = registry.load().table(str(config["name"])).name
        return "table", str(where or "")
    if "filepath" in config:
        return "file", str(config["filepath"])
    if kind.endswith("MemoryDataset") or not kind:
        return "memory", ""
    return "file", kind.rsplit(".", 1)[-1]


def run_outputs(
    summary: Mapping[str, Any], catalog_config: Mapping[str, Mapping[str, Any] | None]
) -> list[Output]:
    """Every dataset the run saved, with its kind (see :func:`describe_dataset`)."""
    outputs = []
    for name, saved in sorted((summary.get("datasets") or {}).items()):
        kind, location = describe_dataset(catalog_config.get(name))
        outputs.append(
            Output(
                name=name,
                kind=kind,
                location=location,
                saves=int(saved.get("saves") or 0),
                rows=saved.get("rows"),
                inserted=saved.get("inserted"),
                updated=saved.get("updated"),
                unchanged=saved.get("unchanged"),
            )
        )
    return outputs


def _count(value: Any) -> str:
    return "–" if value is None else f"{int(value):,}"


def _duration(seconds: Any) -> str:
    if seconds is None or not math.isfinite(float(seconds)):
        return "–"
    minutes, secs = divmod(int(round(float(seconds))), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _table(rows: Iterable[list[str]], header: list[str], numeric: Iterable[int] = ()) -> list[str]:
    """A text table; the ``numeric`` columns (indexes) are right-aligned."""
    body = [header, *rows]
    widths = [max(len(r[i]) for r in body) for i in range(len(header))]
    right = set(numeric)
    lines = []
    for index, row in enumerate(body):
        cells = [
            cell.rjust(width) if position in right else cell.ljust(width)
            for position, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  " + "  ".join(cells).rstrip())
        if index == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return lines


def model_lines(model_metrics: pd.DataFrame | None) -> list[str]:
    """Each model's test metric against the best baseline, the anomaly model's precision and
    recall on the labelled sample and the clustering's silhouette."""
    if model_metrics is None or model_metrics.empty:
        return []
    lines = []
    comparison = versus_best_baseline(model_metrics, "mape", "test")
    if not comparison.empty:
        lines += _table(
            (
                [
                    str(r.model),
                    f"{r.value:.2f} %",
                    str(r.best_baseline)
                    if isinstance(r.best_baseline, str)
                    else "– (none for its series)",
                    f"{r.baseline_value:.2f} %" if isinstance(r.best_baseline, str) else "–",
                    f"{r.gain_pct:+.0f} %" if isinstance(r.best_baseline, str) else "–",
                ]
                for r in comparison.itertuples()
            ),
            ["model", "test MAPE", "best baseline", "its MAPE", "error reduction"],
            numeric=(1, 3, 4),
        )

    def metric(model: str, name: str) -> float | None:
        rows = model_metrics[
            (model_metrics["model"].astype(str) == model)
            & (model_metrics["metric"].astype(str) == name)
        ]
        return float(rows["value"].iloc[0]) if len(rows) else None

    precision = metric("anomaly_isolationforest", "precision")
    if precision is not None:
        lines.append(
            f"  anomaly_isolationforest: precision {precision:.2f}, recall "
            f"{metric('anomaly_isolationforest', 'recall') or 0:.2f}, F1 "
            f"{metric('anomaly_isolationforest', 'f1') or 0:.2f} on the labelled sample "
            f"({_count(metric('anomaly_isolationforest', 'labelled'))} labelled anomalies)"
        )
    silhouette = metric("clustering_kmeans", "silhouette")
    if silhouette is not None:
        lines.append(
            f"  clustering_kmeans: silhouette {silhouette:.2f} with "
            f"{_count(metric('clustering_kmeans', 'n_clusters'))} clusters"
        )
    return lines


def render(
    summary: Mapping[str, Any],
    outputs: list[Output],
    model_metrics: pd.DataFrame | None,
) -> str:
    """The report of one run (see the module docstring)."""
    energy = summary.get("energy") or {}
    status = str(summary.get("status") or "unknown")
    lines = [
        f"EnergieWatch run {summary.get('run_id')} — pipeline {summary.get('pipeline')}: "
        f"{status.upper()}" + (f" ({summary.get('error')})" if summary.get("error") else ""),
        f"  started {summary.get('started_at')}, ended {summary.get('ended_at')}, "
        f"duration {_duration(energy.get('duration_s'))}",
        "",
    ]
    tables = [o for o in outputs if o.kind == "table"]
    files = [o for o in outputs if o.kind == "file"]
    if tables:
        lines.append(f"Tables written ({len(tables)}):")
        lines += _table(
            (
                [
                    o.name,
                    o.location,
                    _count(o.rows),
                    _count(o.inserted),
                    _count(o.updated),
                    _count(o.unchanged),
                ]
                for o in tables
            ),
            ["dataset", "table", "rows", "inserted", "updated", "unchanged"],
            numeric=(2, 3, 4, 5),
        )
        lines.append("")
    if files:
        lines.append(f"Files written ({len(files)}):")
        lines += _table(
            ([o.name, _count(o.rows), o.location] for o in files),
            ["dataset", "rows", "path"],
            numeric=(1,),
        )
        lines.append("")
    quarantined = summary.get("quarantined_rows")
    lines.append(
        "Quarantined rows: "
        + ("unknown" if quarantined is None else f"{int(quarantined):,}")
        + (" (see raw_quarantine: source, field and reason of each)" if quarantined else "")
    )
    trained = any(o.name.startswith("model_metrics") for o in outputs)
    models = model_lines(model_metrics) if trained else []
    if models:
        lines += [
            "",
            "Models (latest metrics in model_metrics; forecasts on the test period, never seen "
            "in training):",
            *models,
        ]
    lines.append("")
    if energy.get("energy_kwh") is not None:
        lines.append(
            f"Energy and emissions: {1000 * float(energy['energy_kwh']):.2f} Wh, "
            f"{1000 * float(energy.get('emissions_kg') or 0):.3f} g CO2e "
            f"(CodeCarbon, {energy.get('measurement')})"
        )
    else:
        lines.append(f"Energy and emissions: not measured ({energy.get('measurement', 'off')})")
    lines += ["", "Next:"]
    width = max(len(command) for command, _ in NEXT_COMMANDS)
    lines += [f"  {command.ljust(width)}  # {what}" for command, what in NEXT_COMMANDS]
    return "\n".join(lines)


def project_config(env: str | None) -> tuple[dict[str, Any], Any]:
    """``(parameters, catalog)`` of the project, resolved as ``kedro run`` resolves them (same
    loader and arguments as ``settings.py``), without starting a session."""
    from kedro.io import DataCatalog

    from data_collection_kedro import settings

    loader_args: dict[str, Any] = dict(settings.CONFIG_LOADER_ARGS)
    loader = settings.CONFIG_LOADER_CLASS(
        conf_source=str(PROJECT_DIR / "conf"), env=env, **loader_args
    )
    return dict(loader["parameters"]), DataCatalog.from_config(dict(loader["catalog"]))


def catalog_entries(catalog: Any, names: Iterable[str]) -> dict[str, dict[str, Any] | None]:
    """The resolved catalog configuration of each name (patterns resolved; None: memory)."""
    entries: dict[str, dict[str, Any] | None] = {}
    resolver = catalog.config_resolver
    for name in names:
        config = resolver.config.get(name) if hasattr(resolver, "config") else None
        if config is None:
            try:
                config = resolver.resolve_pattern(name)
            except Exception:
                config = None
        entries[name] = dict(config) if config else None
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-id", help="the run to report (default: the newest)")
    parser.add_argument("--env", default=None, help="Kedro environment (default: local)")
    args = parser.parse_args(argv)
    params, catalog = project_config(args.env)
    folder = Path((params.get("run_summary") or {}).get("output_dir", "data/09_runs"))
    summary = read_run_summary(folder, args.run_id) if args.run_id else newest_summary(folder)
    if summary is None:
        print(
            f"No run summary in {folder}"
            + (f" for run {args.run_id}" if args.run_id else "")
            + ": run `kedro run` first (the run summary hook writes one file per run).",
            file=sys.stderr,
        )
        return 2
    outputs = run_outputs(summary, catalog_entries(catalog, summary.get("datasets") or {}))
    model_metrics = None
    try:
        if catalog.exists("model_metrics"):
            model_metrics = catalog.load("model_metrics")
    except Exception as exc:  # the report still lists what was written
        print(f"(model metrics unreadable: {type(exc).__name__}: {exc})", file=sys.stderr)
    print(render(summary, outputs, model_metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
