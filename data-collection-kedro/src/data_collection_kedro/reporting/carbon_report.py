"""Command line of the carbon report (``scripts/carbon_summary.py``, ``make carbon-report``):
the carbon summary of the runs, the MLflow trade-off and the usage section.

Exit codes: 0 done; 1 ``--check-budget`` and a pipeline run exceeded its budget; 2 bad
arguments or configuration (a message, never a traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from data_collection_kedro.carbon.intensity import IntensitySeries
from data_collection_kedro.carbon.summary.compute import (
    CarbonSummary,
    SelectionError,
    build_summary,
    parse_bound,
)
from data_collection_kedro.carbon.summary.config import ConfigError, SummaryConfig, load_config
from data_collection_kedro.carbon.summary.i18n import LANGS
from data_collection_kedro.carbon.summary.loading import load_carbon_files
from data_collection_kedro.carbon.summary.render import to_text, write_reports
from data_collection_kedro.carbon.summary.selection import NodeInfo
from data_collection_kedro.carbon.summary.tradeoff import read_mlflow_runs, tradeoff_table
from data_collection_kedro.project_config import PROJECT_DIR, project_parameters, project_path
from data_collection_kedro.redaction import redact
from data_collection_kedro.schedules import dag_plans
from data_collection_kedro.usage.report import build_usage_section

INTENSITY_TABLE = "raw_grid_carbon_intensity"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="carbon_summary",
        description="Carbon footprint of the pipeline runs, each node run counted once: per "
        "phase, pipeline and node, on the annual and the run-time grid intensity, costs, yearly "
        "projection of the DAGs, models' accuracy/CO2 trade-off, what-ifs, Green Algorithms "
        "cross-check, budgets.",
    )
    parser.add_argument(
        "--carbon-dir",
        type=Path,
        help="folder of the emissions files "
        "(default: carbon_summary.carbon_dir = the hook's output_dir)",
    )
    parser.add_argument("--out", type=Path, help="reports folder (default: reports/carbon)")
    parser.add_argument(
        "--all-runs", action="store_true", help="every node run, not each node's latest"
    )
    parser.add_argument("--since", help="node runs ended on/after (YYYY-MM-DD or ISO date-time)")
    parser.add_argument("--until", help="node runs ended on/before (YYYY-MM-DD: the whole day)")
    parser.add_argument(
        "--check-budget",
        action="store_true",
        help="exit 1 when a selected run exceeds its pipeline's budget",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="a YAML file with a carbon_summary block (default: the project's parameters)",
    )
    parser.add_argument("--env", help="Kedro configuration environment (e.g. prod)")
    parser.add_argument(
        "--mlflow-uri",
        help="MLflow tracking URI (default: MLFLOW_TRACKING_URI or mlflow.tracking_uri)",
    )
    parser.add_argument(
        "--duckdb",
        type=Path,
        help="a DuckDB file to read model_monitoring from (default: the environment's dashboard_store)",
    )
    parser.add_argument("--no-mlflow", action="store_true", help="skip the trade-off section")
    parser.add_argument(
        "--no-project",
        action="store_true",
        help="files of another project: no check against the registered pipelines (gaps, "
        "phases of old rows) and no yearly projection of the DAGs",
    )
    parser.add_argument(
        "--lang", choices=LANGS, default="en", help="language of the report (en or fr)"
    )
    parser.add_argument("--quiet", action="store_true", help="no terminal table")
    return parser


def node_catalog() -> dict[str, NodeInfo]:
    """The project's registered nodes: the pipeline each belongs to (the first registered
    pipeline other than ``__default__`` holding it, as the carbon hook files it) and its phase."""
    from kedro.framework.project import pipelines
    from kedro.framework.startup import bootstrap_project

    from data_collection_kedro.carbon.rows import pipelines_of_nodes
    from data_collection_kedro.phases import phase_of_node

    bootstrap_project(PROJECT_DIR)
    registry = list(pipelines.items())
    every = [node for _, pipeline in registry for node in pipeline.nodes]
    owners = pipelines_of_nodes(every, registry, "__default__")
    return {node.name: NodeInfo(owners[node.name], phase_of_node(node)) for node in every}


def load_intensity(
    db_path: Path | None, env: str | None, config: SummaryConfig
) -> tuple[IntensitySeries | None, str]:
    """The stored eco2mix series: from the DuckDB file ``db_path`` when given, else through
    the project's catalog (MongoDB with ``--env prod``); ``None`` and why when unavailable."""
    try:
        if db_path is not None:
            from data_collection_kedro.datasets import DuckDBTableDataset

            if not db_path.exists():
                return None, f"no store at {db_path}"
            frame = DuckDBTableDataset(database=str(db_path), table=INTENSITY_TABLE).load()
        else:
            from kedro.framework.session import KedroSession
            from kedro.framework.startup import bootstrap_project

            bootstrap_project(PROJECT_DIR)
            session: Any
            with KedroSession.create(project_path=PROJECT_DIR, env=env) as session:
                frame = session.load_context().catalog.load(INTENSITY_TABLE)
    except Exception as exc:  # no table yet, or no store: the run-time figure is left out
        return None, f"{INTENSITY_TABLE} unreadable ({exc})"
    return IntensitySeries.from_frame(frame, config.intensity_profile_days), ""


def _load_settings(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    if args.config is not None:
        import yaml

        try:
            content = yaml.safe_load(args.config.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{args.config}: unreadable configuration ({exc})") from None
        if not isinstance(content, dict):
            raise ConfigError(f"{args.config}: expected a mapping with a carbon_summary block")
        return content, {}
    return project_parameters(args.env)


def _tradeoff(
    args: argparse.Namespace, params: dict[str, Any], summary: CarbonSummary, config: Any
) -> None:
    if args.no_mlflow:
        summary.tradeoff_note = "trade-off section skipped (--no-mlflow)."
        return
    uri = (
        args.mlflow_uri
        or os.environ.get("MLFLOW_TRACKING_URI")
        or ((params.get("mlflow") or {}).get("tracking_uri"))
    )
    if uri and str(uri).startswith("sqlite:///") and not str(uri).startswith("sqlite:////"):
        uri = f"sqlite:///{project_path(str(uri).removeprefix('sqlite:///'))}"
    add_tradeoff(summary, config, str(uri) if uri else None)


def add_tradeoff(summary: CarbonSummary, config: SummaryConfig, uri: str | None) -> None:
    """The models' trade-off from the MLflow store at ``uri`` (a note when there is none; the
    note is redacted: the tracking URI may hold a password). The report and the dashboard."""
    _read_tradeoff(summary, config, uri)
    if summary.tradeoff_note:
        summary.tradeoff_note = redact(summary.tradeoff_note)


def _read_tradeoff(summary: CarbonSummary, config: SummaryConfig, uri: str | None) -> None:
    if not uri:
        summary.tradeoff_note = "no MLflow tracking URI configured: trade-off section skipped."
        return
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        summary.tradeoff_note = (
            f"no MLflow store at {uri} (no model trained yet): trade-off skipped."
        )
        return
    runs, note = read_mlflow_runs(uri)
    if runs is None:
        summary.tradeoff_note = note
        return
    table = tradeoff_table(runs, config, summary.rows)
    summary.tradeoff = table
    if table.empty:
        metrics = ", ".join(t.metric for t in config.tradeoff_tasks)
        summary.tradeoff_note = (
            f"{len(runs)} MLflow run(s) at {uri}, none with a task metric ({metrics})."
        )


def _read_monitoring(
    db_path: Path | str | None, params: dict[str, Any]
) -> tuple[pd.DataFrame | None, str]:
    """The dashboard's prediction logs: from the DuckDB file ``db_path`` when given, else from
    the environment's ``dashboard_store`` (Elasticsearch with ``--env prod``); ``None`` and why
    when unreadable."""
    from data_collection_kedro.monitoring import MonitoringStore

    store = params.get("dashboard_store")
    if db_path is None and store:
        config = {table: dict(spec) for table, spec in store.items()}
        for spec in config.values():  # the embedded store's path is relative to the project
            if "database" in spec:
                spec["database"] = str(project_path(spec["database"]))
        where = config.get("model_monitoring", {}).get("type", "dashboard_store")
        try:
            return MonitoringStore.from_config(config).predictions(), ""
        except Exception as exc:
            return None, f"model_monitoring unreadable ({where}: {redact(exc)}): usage skipped."
    if not db_path or not Path(str(db_path)).exists():
        return None, "no embedded store yet: usage section skipped."
    try:
        import duckdb

        with duckdb.connect(str(db_path), read_only=True) as con:
            tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
            if "model_monitoring" not in tables:
                return None, "no model_monitoring table: usage section skipped."
            return con.execute("SELECT * FROM model_monitoring").df(), ""
    except Exception as exc:
        return None, f"model_monitoring unreadable in {db_path} ({exc}): usage skipped."


def _usage(
    db_path: Path | str | None,
    params: dict[str, Any],
    nodes: pd.DataFrame,
    summary: CarbonSummary,
) -> None:
    monitoring, note = _read_monitoring(db_path, params)
    if monitoring is None:
        summary.usage_note = note
        return
    if monitoring.empty:
        summary.usage_note = "model_monitoring is empty: usage section skipped."
        return
    try:
        summary.usage = build_usage_section(monitoring, nodes, params.get("usage") or {})
    except Exception as exc:
        summary.usage_note = f"usage section failed: {exc}"
        return
    summary.usage_note = (
        "inference energy from the model_monitoring predictions; break_even_predictions = the "
        "number of predictions whose inference energy equals the training energy."
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        params, globals_ = _load_settings(args)
        config = load_config(params.get("carbon_summary"))
        since = parse_bound(args.since)
        until = parse_bound(args.until, end=True)
    except (ConfigError, SelectionError) as exc:
        print(f"carbon_summary: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # e.g. a YAML error in the project's configuration
        print(f"carbon_summary: configuration unreadable: {exc}", file=sys.stderr)
        return 2
    carbon_dir = args.carbon_dir or project_path(
        config.carbon_dir or (params.get("carbon") or {}).get("output_dir") or "data/09_carbon"
    )
    out_dir = args.out or Path(config.reports_dir)

    data = load_carbon_files(carbon_dir)
    catalog = None if args.no_project else node_catalog()
    if args.duckdb is None and args.no_project:
        intensity, intensity_note = None, "--no-project without --duckdb: no store to read"
    else:
        intensity, intensity_note = load_intensity(args.duckdb, args.env, config)
    if intensity is None:
        data.warnings.append(f"run-time intensity not computed: {intensity_note}")
    summary = build_summary(
        data,
        config,
        all_runs=args.all_runs,
        since=since,
        until=until,
        catalog=catalog,
        intensity=intensity,
        plans=() if args.no_project else dag_plans(),
    )
    _tradeoff(args, params, summary, config)
    monitoring_db = args.duckdb
    db_path = globals_.get("duckdb_path")
    if monitoring_db is None and not params.get("dashboard_store") and db_path:
        monitoring_db = project_path(db_path)  # settings without the dashboard's store
    _usage(monitoring_db, params, data.nodes, summary)
    paths = write_reports(summary, out_dir, args.lang)

    if not args.quiet:
        print(to_text(summary, args.lang))
    print(
        f"reports: {paths['markdown']}, {paths['json']}"
        + (f", {len(summary.charts)} chart(s)" if summary.charts else "")
    )
    if data.runs.empty:
        print(f"no measured run in {carbon_dir}: run a pipeline first (make run).")
    if args.check_budget:
        over = [b for b in summary.budgets if b["exceeded"]]
        for b in over:
            print(
                f"BUDGET EXCEEDED: {b['pipeline']} run {b['run_id']} emitted "
                f"{b['emissions_kg'] * 1000:.3f} g CO2e, budget {b['budget_kg'] * 1000:.3f} g",
                file=sys.stderr,
            )
        if over:
            return 1
        print(f"budgets: {len(summary.budgets)} run(s) checked, none over budget.")
    return 0
