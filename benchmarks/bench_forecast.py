"""Serving benchmark: the next days' forecasts of every region (``forecast_next_days``).

On the full sample's indices (13 regions; ``meteo_consommation``, ``previsions_meteo``), the
regional gas model forecasts the issue day and the 14 days after it for every region:

- ``vectorized``: ``modeling.inference.next_days``, every region at once, one lead at a time
  (the features of every (region, day) built once, the consumption history of all regions one
  matrix), the adaptive band included (the model's own day-ahead forecasts of the year after
  its training period, re-forecast at each serving);
- ``row by row`` (the baseline, in the same run): one call per region and day, each building
  that row's features from the history and predicting it alone (the shape of the previous
  implementation, which rebuilt the whole feature frame for every day: 15.7 s for 13 regions ×
  14 days);
- both give the same numbers (checked);
- the node ``forecast_next_days`` with every operational model (gas and electricity per
  region, national electricity) run in a Kedro session, loads and saves included, when a
  ``make run`` saved its inputs in the data folder.

Data: ``--data-dir DIR`` (a data folder whose ``energiewatch.duckdb`` holds the indices, e.g.
after ``make run``), else ``data-collection-kedro/data`` when its store has them, else a sample
of 2023-2024 generated and run through the ETL and the fusion in a temporary folder (minutes).
The model: ``06_models/day_ahead_gas_regional`` of that folder (stored without pickle) when
present, else trained here with the project's configuration.

    python benchmarks/bench_forecast.py [--data-dir DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from timing import best

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "data-collection-kedro"
KEY = "day_ahead_gas_regional"
TARGET_SECONDS = 2.0


def _has_indices(data_dir: Path) -> bool:
    import duckdb

    database = data_dir / "energiewatch.duckdb"
    if not database.exists():
        return False
    with duckdb.connect(str(database), read_only=True) as con:
        tables = {row[0] for row in con.sql("show tables").fetchall()}
    return {"meteo_consommation", "previsions_meteo"} <= tables


def _generated() -> Path:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    from data_collection_kedro.sample_data import generate

    data_dir = Path(tempfile.mkdtemp(prefix="energiewatch-bench-forecast-"))
    generate(
        data_dir / "01_raw" / "sample",
        start="2023-01-01",
        end="2024-12-31",
        fuel_stations=100,
        fuel_price_rows=5_000,
    )
    os.environ["ENERGIEWATCH_DATA_DIR"] = str(data_dir)
    os.chdir(PROJECT)
    bootstrap_project(PROJECT)
    for pipeline in ("etl_pipeline", "data_fusion_pipeline"):
        with KedroSession.create(project_path=PROJECT) as session:
            session.run(pipeline_names=[pipeline])  # type: ignore[call-arg]
    return data_dir


def _inputs(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    import yaml

    from data_collection_kedro.datasets import DuckDBTableDataset
    from data_collection_kedro.modeling.forecast_weather import indexed_forecasts
    from data_collection_kedro.modeling.operational import regional_series

    database = str(data_dir / "energiewatch.duckdb")
    meteo = DuckDBTableDataset(database=database, table="meteo_consommation").load()
    previsions = DuckDBTableDataset(database=database, table="previsions_meteo").load()
    params = yaml.safe_load((PROJECT / "conf/base/parameters_forecasting.yml").read_text())
    forecasting = params["forecasting"]
    series = regional_series(meteo, forecasting["operational"][KEY]["target"])
    return series, indexed_forecasts(previsions, None), forecasting


def _model(data_dir: Path, series: pd.DataFrame, forecasting: dict[str, Any]) -> Any:
    from data_collection_kedro.modeling.adaptive_bands import AdaptiveBands
    from data_collection_kedro.modeling.artifacts import load_artifact
    from data_collection_kedro.modeling.operational import (
        OperationalSpec,
        day_ahead_rows,
        fit_forecaster,
    )

    path = data_dir / "06_models" / KEY
    if path.exists():
        return load_artifact(path).model
    model = forecasting["operational"][KEY]
    spec = OperationalSpec.from_params(forecasting, model)
    # trained up to a year before the data's end, as served after a run: serving then tracks
    # the band over its own forecasts of that year (modeling.adaptive_bands)
    rows = day_ahead_rows(series, spec, None)
    rows = rows[rows["day"] <= rows["day"].max() - pd.Timedelta(days=365)]
    adaptive = AdaptiveBands.from_params(forecasting.get("bands")).as_params()
    return fit_forecaster(rows, model, adaptive=adaptive)


def _node_run(data_dir: Path, repeat: int) -> tuple[float, dict[str, int]] | None:
    """The ``forecast_next_days`` node with every operational model, run in a Kedro session
    on the inputs a ``make run`` saved in ``data_dir`` (its loads and saves included)."""
    import duckdb
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    saved = data_dir / "05_model_input" / "forecasting_series.parquet"
    if not saved.exists() or not any((data_dir / "06_models").glob("day_ahead_*")):
        return None
    os.environ["ENERGIEWATCH_DATA_DIR"] = str(data_dir)
    os.chdir(PROJECT)
    bootstrap_project(PROJECT)

    def once() -> None:
        with KedroSession.create(project_path=PROJECT) as session:
            session.run(  # type: ignore[call-arg]
                pipeline_names=["forecasting"], node_names=["forecast_next_days"]
            )

    seconds, _ = best(once, repeat)
    with duckdb.connect(str(data_dir / "energiewatch.duckdb"), read_only=True) as con:
        counts = dict(
            con.sql("select model, count(*) from consumption_forecasts group by 1").fetchall()
        )
    return seconds, counts


def row_by_row(
    forecaster: Any, series: pd.DataFrame, forecasts: pd.DataFrame, spec: Any
) -> pd.DataFrame:
    """One call per region and day: that day's features alone, then its prediction (each
    call recomputes the days before it, as a row-by-row implementation must)."""
    from data_collection_kedro.modeling.inference import forecast_paths, forecasts_known_at

    last = series[series["target_mwh"].notna()].groupby("region_code")["day"].max()
    rows = []
    for code, last_day in last.items():
        issues = pd.DataFrame(
            {"region_code": [code], "issue_day": [last_day + pd.Timedelta(days=1)]}
        )
        known = forecasts_known_at(forecasts[forecasts["region_code"] == code], issues)
        stale = (known["issue_day"] - known["weather_issue_day"]).dt.days
        issues["stale_days"] = int(stale.min()) if len(stale) else 0
        weather = known.drop(columns="weather_issue_day")
        for lead in range(spec.horizon_days + 1):
            path = forecast_paths(forecaster, series, issues, spec, weather, lead, first_lead=lead)
            rows.append(path.tail(1))
    return pd.concat(rows, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (best is kept)")
    args = parser.parse_args()
    from data_collection_kedro.modeling.inference import next_days
    from data_collection_kedro.modeling.operational import OperationalSpec

    default = PROJECT / "data"
    data_dir = args.data_dir or (default if _has_indices(default) else _generated())
    series, forecasts, forecasting = _inputs(data_dir)
    forecaster = _model(data_dir, series, forecasting)
    spec = OperationalSpec.from_params(forecasting, forecasting["operational"][KEY])
    regions = series["region_code"].nunique()
    print(
        f"data: {data_dir} ({regions} regions, {series['day'].min():%Y-%m-%d} .. "
        f"{series['day'].max():%Y-%m-%d}); {spec.horizon_days + 1} days per region"
    )
    fast, served = best(lambda: next_days(forecaster, series, forecasts, spec), args.repeat)
    slow, baseline = best(lambda: row_by_row(forecaster, series, forecasts, spec), 1)
    pd.testing.assert_series_equal(
        served.sort_values(["region_code", "day"])["p50"].reset_index(drop=True),
        baseline.sort_values(["region_code", "day"])["p50"].reset_index(drop=True),
        check_names=False,
    )
    print(f"  vectorized (next_days)  {fast:7.2f} s  ({len(served)} forecasts)")
    node = _node_run(data_dir, args.repeat)
    if node is not None:
        seconds, counts = node
        print(f"  the node forecast_next_days in a Kedro session, every model  {seconds:7.2f} s")
        print(f"    (loads and saves included) {counts}")
    print(f"  row by row (baseline)   {slow:7.2f} s  ({len(baseline)} forecasts, same values)")
    print(
        f"  speed-up x{slow / fast:.0f}; target <= {TARGET_SECONDS:.0f} s: "
        f"{'met' if fast <= TARGET_SECONDS else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
