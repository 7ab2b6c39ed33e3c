"""Forecasting evaluation on the real open data (``make eval``).

Runs the ETL (energy, weather, strikes, holidays), the fusion (consumption and weather indices)
and the forecasting pipeline through KedroSession with ``--env real`` (sources read from
``ENERGIEWATCH_REAL_DATA_DIR``, default ``../shared/data/real``) into a scratch data folder, then
prints per-region MAPE and bias of every model and baseline on the test period (the last 12
months by default) and the targets of the day-ahead model.

    python scripts/evaluate_forecasting.py [--data-dir DIR] [--real-dir DIR] [--param KEY=VALUE ...]

``--param forecasting.models.day_ahead_catboost.catboost.iterations=200`` overrides any
parameter (dotted keys, values parsed as YAML).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
KEDRO_PROJECT = REPO / "data-collection-kedro"

FUSION_NODES = [
    "build_daily_consumption",
    "build_daily_weather",
    "build_consommation_mouvements",
    "build_meteo_consommation",
]
TARGET_MEDIAN_MAPE = 4.5
TARGET_MAX_MAPE = 8.0
TARGET_REDUCTION_VS_PERSISTENCE = 0.60


def nested(overrides: list[str]) -> dict[str, Any]:
    """``a.b.c=value`` strings as a nested dict (values parsed as YAML)."""
    import yaml

    out: dict[str, Any] = {}
    for item in overrides:
        key, _, raw = item.partition("=")
        node = out
        *parents, leaf = key.strip().split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(raw)
    return out


def etl_nodes_feeding(fusion_nodes: list[str]) -> list[str]:
    """The ETL nodes writing the raw tables the given fusion nodes read (from the registered
    pipelines: a source declared later is picked up when the fusion reads it)."""
    from kedro.framework.project import pipelines
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(KEDRO_PROJECT)
    needed = pipelines["data_fusion_pipeline"].only_nodes(*fusion_nodes).inputs()
    return sorted(n.name for n in pipelines["etl_pipeline"].nodes if needed & set(n.outputs))


def run(pipeline: str, params: dict[str, Any], node_names: list[str] | None = None) -> None:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(KEDRO_PROJECT)
    with KedroSession.create(project_path=KEDRO_PROJECT, env="real", runtime_params=params) as s:
        # KedroSession.run takes pipeline_names; create() is typed as the abstract session
        s.run(pipeline_names=[pipeline], node_names=node_names)  # type: ignore[call-arg]


def report(data_dir: Path) -> int:
    import pandas as pd

    from data_collection_kedro.datasets import DuckDBTableDataset
    from data_collection_kedro.modeling.metrics import per_region_metrics

    backtest = pd.read_parquet(data_dir / "07_model_output" / "forecast_backtest.parquet")
    days = pd.to_datetime(backtest["day"])
    print(
        f"\nTest period {days.min().date()} .. {days.max().date()}, "
        f"{backtest['region_code'].nunique()} regions, "
        f"{int((~backtest['is_complete'].astype(bool)).sum() / backtest['model'].nunique())} "
        "incomplete region-days kept in the metrics"
    )
    index = DuckDBTableDataset(
        database=str(data_dir / "energiewatch.duckdb"), table="meteo_consommation"
    ).load()
    gas = pd.to_numeric(index["gas_consumption_mwh"], errors="coerce")
    incomplete = ~index["is_complete"].astype("boolean").fillna(False).astype(bool)
    print(
        f"meteo_consommation: {len(index)} region-days, {int(incomplete.sum())} incomplete "
        f"(missing operator imputed, partial or missing day: see fusion), "
        f"{int(gas.isna().sum())} without a gas value"
    )

    per_region = per_region_metrics(backtest)
    regions = backtest.drop_duplicates("region_code").set_index("region_code")["region"]
    per_region["region"] = per_region["region_code"].map(regions)
    for metric, label in (("mape", "MAPE %"), ("bias_pct", "bias % (predicted − actual)")):
        table = per_region.pivot_table(
            index=["region_code", "region"], columns="model", values=metric
        )
        table.loc[("", "median"), :] = table.median()
        table.loc[("", "max |.|"), :] = table.abs().max()
        print(f"\n{label} per region on the test period:")
        with pd.option_context("display.width", 250, "display.max_columns", 20):
            print(table.round(2).to_string())

    mape = per_region.pivot_table(index="region_code", columns="model", values="mape")
    day_ahead = mape["day_ahead_catboost"]
    persistence = mape["baseline_persistence"]
    median, worst = float(day_ahead.median()), float(day_ahead.max())
    reduction = 1 - median / float(persistence.median())
    print("\nDay-ahead CatBoost targets:")
    checks = [
        (
            f"median regional MAPE {median:.2f}% <= {TARGET_MEDIAN_MAPE}%",
            median <= TARGET_MEDIAN_MAPE,
        ),
        (
            f"worst regional MAPE {worst:.2f}% <= {TARGET_MAX_MAPE}% ({day_ahead.idxmax()})",
            worst <= TARGET_MAX_MAPE,
        ),
        (
            f"median MAPE {reduction:.0%} lower than persistence "
            f"({float(persistence.median()):.2f}%) >= {TARGET_REDUCTION_VS_PERSISTENCE:.0%}",
            reduction >= TARGET_REDUCTION_VS_PERSISTENCE,
        ),
    ]
    for text, ok in checks:
        print(f"  [{'met' if ok else 'NOT met'}] {text}")
    return 0 if all(ok for _, ok in checks) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="scratch data folder (default: a temp dir)")
    parser.add_argument("--real-dir", type=Path, default=REPO.parent / "shared" / "data" / "real")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--report-only", action="store_true", help="only print the report of --data-dir"
    )
    args = parser.parse_args(argv)
    if not (args.real_dir / "A" / "gas_regional_daily_grtgaz_terega").is_dir():
        print(f"real data not found in {args.real_dir} (see its SOURCES.md)", file=sys.stderr)
        return 2
    data_dir = (args.data_dir or Path(tempfile.mkdtemp(prefix="energiewatch-eval-"))).resolve()
    if args.report_only:
        return report(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["ENERGIEWATCH_DATA_DIR"] = str(data_dir)
    os.environ["ENERGIEWATCH_REAL_DATA_DIR"] = str(args.real_dir.resolve())
    os.environ.pop("ENERGIEWATCH_DUCKDB", None)
    os.environ.pop("ENERGIEWATCH_CARBON_DIR", None)
    os.environ.setdefault("MLFLOW_TRACKING_URI", f"sqlite:///{data_dir}/mlflow.db")
    os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.chdir(KEDRO_PROJECT)
    params = nested(args.param)
    print(f"data folder: {data_dir}")
    run("etl_pipeline", params, etl_nodes_feeding(FUSION_NODES))
    run("data_fusion_pipeline", params, FUSION_NODES)
    run("forecasting", params)
    return report(data_dir)


if __name__ == "__main__":
    sys.exit(main())
