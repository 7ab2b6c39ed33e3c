"""Forecasting evaluation on the real open data (``make eval``): the forecasts users get,
measured as they are served.

Runs the ETL (energy, national consumption, weather, strikes, holidays), the fusion and the
forecasting pipeline through KedroSession with ``--env real`` (sources read from
``ENERGIEWATCH_REAL_DATA_DIR``, default ``../shared/data/real``) into a scratch data folder,
then prints, on the test period (the last 12 months of each series):

- regional gas: per-region MAPE of the operational forecast (issued on D-1 with the
  consumption published by then and forecast-grade weather: the observed weather plus the
  simulated forecast error, the real data having no archive of forecasts), beside the same
  model with the observed weather (an upper bound no user has), the model without weather and
  the honest baselines;
- national electricity, the same, and side by side with RTE's own J-1 forecast on the days
  both exist (``F/entsoe_total_load_FR_2021-2025``): each against the actuals it forecasts
  (RTE J-1 against the real-time load; ours against the consolidated consumption) and both
  against the consolidated consumption;
- regional electricity where the real data has it: Île-de-France 2021-2022 (the pipeline's
  model, its own short split) and Hauts-de-France 2013-2023 (daily file of
  ``A/elec_single_region_daily``, same model configuration, evaluated here);
- the P10-P90 coverage of every energy on its test period, counted on the data;
- the targets of the forecasting issue, met or not.

    python scripts/evaluate_forecasting.py [--data-dir DIR] [--real-dir DIR] [--param KEY=VALUE ...]
        [--report-only] [--skip-hauts-de-france] [--strict]

``--param forecasting.operational.day_ahead_gas_regional.weather_model.catboost.iterations=200``
overrides any parameter (dotted keys, values parsed as YAML). ``--strict``: exit status 1 when
a target is missed.
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
    "plan_fusion_window",  # the days to compute (no fusion_state is written: a full run)
    "build_daily_consumption",
    "build_daily_weather",
    "build_consommation_mouvements",
    "build_meteo_consommation",
    "build_consommation_nationale",
]
# the real data has no archive of weather forecasts: these indices stay empty (the evaluation
# simulates the forecast error, parameters of conf/real)
EMPTY_FORECAST_INDICES = ("previsions_meteo", "previsions_meteo_nationales")
ENTSOE = ("F", "entsoe_total_load_FR_2021-2025")
HAUTS_DE_FRANCE = ("A", "elec_single_region_daily", "hdf_daily_Hauts-de-France_2013-2023.csv")

GAS = "day_ahead_gas_regional"
ELECTRICITY_REGIONAL = "day_ahead_electricity_regional"
ELECTRICITY_NATIONAL = "day_ahead_electricity_national"
TARGET_MEDIAN_MAPE = 4.5
TARGET_WORST_MAPE = 6.5
TARGET_REDUCTION_VS_PERSISTENCE = 0.60
TARGET_COVERAGE = (75.0, 85.0)


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

    from data_collection_kedro.domain.fusion_window import raw_tables_read

    bootstrap_project(KEDRO_PROJECT)
    needed = raw_tables_read(pipelines["data_fusion_pipeline"].only_nodes(*fusion_nodes).inputs())
    return sorted(n.name for n in pipelines["etl_pipeline"].nodes if needed & set(n.outputs))


def session(params: dict[str, Any]) -> Any:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(KEDRO_PROJECT)
    return KedroSession.create(project_path=KEDRO_PROJECT, env="real", runtime_params=params)


def run(pipeline: str, params: dict[str, Any], node_names: list[str] | None = None) -> None:
    with session(params) as s:
        # KedroSession.run takes pipeline_names; create() is typed as the abstract session
        s.run(pipeline_names=[pipeline], node_names=node_names)  # type: ignore[call-arg]


def save_empty_forecast_indices(params: dict[str, Any]) -> None:
    import pandas as pd

    from data_collection_kedro.domain.contracts import contract

    dtypes = {"date": "datetime64[ns]", "float": "float64", "integer": "Int64", "long": "Int64"}
    with session(params) as s:
        catalog = s.load_context().catalog
        for name in EMPTY_FORECAST_INDICES:
            columns = contract(name).columns
            empty = pd.DataFrame(
                {c: pd.Series(dtype=dtypes.get(t, "object")) for c, t in columns.items()}
            )
            catalog.save(name, empty)


def project_params(params: dict[str, Any]) -> dict[str, Any]:
    with session(params) as s:
        return dict(s.load_context().params)


# ------------------------------------------------------------------------------ report
def _table(frame: Any) -> str:
    import pandas as pd

    with pd.option_context("display.width", 250, "display.max_columns", 30):
        return str(frame.round(2).to_string())


def _model_metrics(data_dir: Path, split: str = "test") -> Any:
    from data_collection_kedro.datasets import DuckDBTableDataset

    metrics = DuckDBTableDataset(
        database=str(data_dir / "energiewatch.duckdb"), table="model_metrics"
    ).load()
    return metrics[metrics["split"] == split].pivot_table(
        index="model", columns="metric", values="value"
    )


BAND_FIGURES = (
    "mape",
    "coverage_pct",
    "coverage_month_gap_pct",
    "band_width_pct",
    "interval_score_pct",
)


def band_table(test: Any, validation: Any, keys: dict[str, str]) -> Any:
    """P50 MAPE and P10-P90 figures of the served forecast (adaptive band, level correction
    when set) and of the static one, on the validation year (the static band is calibrated
    there) and on the test period."""
    import pandas as pd

    rows = {}
    for label, key in keys.items():
        for split, metrics in (("validation", validation), ("test", test)):
            if key not in metrics.index:
                continue
            rows[(label, split)] = {
                f"{figure}{suffix}": metrics.loc[key].get(f"{figure}{suffix}", float("nan"))
                for figure in BAND_FIGURES
                for suffix in ("", "_static")
            }
    table = pd.DataFrame.from_dict(rows, orient="index")
    names = {"mape": "MAPE", "coverage_pct": "coverage", "coverage_month_gap_pct": "monthly gap"}
    names.update(band_width_pct="width", interval_score_pct="interval score")
    table.columns = [
        names[c.removesuffix("_static")] + (" (static)" if c.endswith("_static") else "")
        for c in table.columns
    ]
    return table


def _related(key: str, scope: str) -> list[str]:
    baselines = (
        "baseline_persistence",
        "baseline_seasonal_naive_weekly",
        "baseline_seasonal_naive_yearly",
        "baseline_hdd_linear",
    )
    return [
        key,
        f"{key}_oracle_weather",
        f"{key}_no_weather",
        *(f"{name}_{scope}" for name in baselines),
    ]


def _labels(key: str) -> dict[str, str]:
    return {
        key: "forecast (honest)",
        f"{key}_oracle_weather": "observed weather (upper bound)",
        f"{key}_no_weather": "no weather",
    }


def per_region_table(backtest: Any, key: str, scope: str) -> Any:
    from data_collection_kedro.modeling.metrics import per_region_metrics

    rows = backtest[backtest["model"].isin(_related(key, scope))]
    per_region = per_region_metrics(rows)
    regions = rows.drop_duplicates("region_code").set_index("region_code")["region"]
    per_region["region"] = per_region["region_code"].map(regions)
    table = per_region.pivot_table(index=["region_code", "region"], columns="model", values="mape")
    table = table[[m for m in _related(key, scope) if m in table.columns]]
    table.loc[("", "median"), :] = table.median()
    table.loc[("", "worst"), :] = table.max()
    return table.rename(columns=_labels(key))


def summary_table(metrics: Any, key: str, scope: str) -> Any:
    names = [m for m in _related(key, scope) if m in metrics.index]
    columns = [
        c for c in ("mape", "bias_pct", "coverage_pct", "band_width_pct", "n") if c in metrics
    ]
    return metrics.loc[names, columns].rename(index=_labels(key))


def save_rte_metrics(data_dir: Path, table: Any, days: int) -> None:
    """The comparison as ``model_metrics`` rows (split ``test_rte_days``), for the dashboard's
    « Prévisions » page: ``mape_vs_<actuals>``, ``bias_pct_vs_<actuals>``, ``n``."""
    import pandas as pd

    from data_collection_kedro.datasets import DuckDBTableDataset

    names = {"EnergieWatch P50": ELECTRICITY_NATIONAL, "RTE J-1": "rte_day_ahead_j1"}
    actuals = {"consolidated": "consolidated", "real-time": "realtime"}
    rows = []
    for _, line in table.iterrows():
        model = names[line["forecast"]]
        for metric in ("mape", "bias_pct"):
            rows.append((model, f"{metric}_vs_{actuals[line['actuals']]}", float(line[metric])))
    rows += [(model, "n", float(days)) for model in names.values()]
    frame = pd.DataFrame(rows, columns=["model", "metric", "value"]).assign(split="test_rte_days")
    DuckDBTableDataset(
        database=str(data_dir / "energiewatch.duckdb"),
        table="model_metrics",
        key=["model", "split", "metric"],
        mode="upsert",
    ).save(frame[["model", "split", "metric", "value"]])


def rte_section(backtest: Any, real_dir: Path, data_dir: Path) -> list[tuple[str, bool]]:
    import pandas as pd

    from data_collection_kedro.modeling.yardstick import (
        entsoe_daily_energy,
        level_shift_pct,
        rte_comparison,
    )

    folder = real_dir.joinpath(*ENTSOE)
    files = sorted(folder.glob("*.csv"))
    if not files:
        print(f"\nRTE J-1: no ENTSO-E export in {folder}")
        return []
    export = pd.concat(
        [pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True
    )
    rte = entsoe_daily_energy(export)
    ours = backtest[backtest["model"] == ELECTRICITY_NATIONAL]
    table, days = rte_comparison(ours, rte)
    common = (
        ours.assign(day=pd.to_datetime(ours["day"]))
        .merge(rte.assign(day=pd.to_datetime(rte["day"])), on="day")
        .dropna(subset=["rte_day_ahead_mwh", "realtime_actual_mwh", "actual_mwh", "predicted_mwh"])
    )
    period = f"{common['day'].min():%Y-%m-%d} .. {common['day'].max():%Y-%m-%d}" if days else "-"
    print(
        f"\nNational electricity, daily, against RTE's J-1 forecast on the {days} days both "
        f"exist ({period}; ENTSO-E day-ahead total load = RTE 'Prévision J-1'; real-time = "
        "ENTSO-E actual load; consolidated = ODRÉ consommation-quotidienne-brute):"
    )
    print(_table(table.set_index(["forecast", "actuals"])))
    print(
        f"  consolidated consumption above the real-time level on these days: "
        f"{level_shift_pct(ours, rte):+.2f} % on average"
    )
    if not days:
        return []
    save_rte_metrics(data_dir, table, days)
    ours_mape = float(table.iloc[0]["mape"])
    rte_mape = float(table.iloc[1]["mape"])
    return [
        (
            f"national electricity MAPE {ours_mape:.2f}% (vs consolidated) <= RTE J-1's "
            f"{rte_mape:.2f}% (vs real-time), {days} days: distance {ours_mape - rte_mape:+.2f} "
            "points",
            ours_mape <= rte_mape,
        )
    ]


def hauts_de_france(real_dir: Path, data_dir: Path, params: dict[str, Any]) -> tuple[Any, Any, Any]:
    """The regional electricity model configuration trained and evaluated on Hauts-de-France
    (daily file 2013-2023, daily mean MW of UTC days × 24 h; weather of the fusion rules)."""
    import pandas as pd

    from data_collection_kedro.datasets import DuckDBTableDataset
    from data_collection_kedro.domain.weather import continuous_temperatures, daily_weather
    from data_collection_kedro.modeling.artifacts import ModelArtifact
    from data_collection_kedro.modeling.evaluation import operational_evaluation
    from data_collection_kedro.modeling.forecast_weather import (
        ForecastError,
        simulated_forecasts,
    )
    from data_collection_kedro.modeling.operational import SERIES_COLUMNS, OperationalSpec
    from data_collection_kedro.modeling.operational_training import train_operational

    raw = pd.read_csv(real_dir.joinpath(*HAUTS_DE_FRANCE))
    day = pd.to_datetime(raw["date_heure"], utc=True).dt.tz_localize(None).dt.normalize()
    consumption = pd.DataFrame(
        {"day": day, "target_mwh": pd.to_numeric(raw["consommation_brute_electricite_rte"]) * 24}
    ).iloc[1:]  # the first row is a partial day
    database = str(data_dir / "energiewatch.duckdb")
    tables = {
        t: DuckDBTableDataset(database=database, table=t).load()
        for t in ("raw_weather_regional", "raw_weather_historique")
    }
    fusion = params.get("data_fusion", {})
    weather, _ = daily_weather(
        tables["raw_weather_regional"], tables["raw_weather_historique"], fusion
    )
    weather = continuous_temperatures(
        weather[weather["region_code"] == "32"], int(fusion.get("max_temperature_gap_days", 3))
    )
    series = consumption.merge(weather, on="day", how="left").assign(
        region_code="32", region="Hauts-de-France", is_complete=True
    )
    series = series[SERIES_COLUMNS].sort_values("day", ignore_index=True)
    forecasting = params["forecasting"]
    model = forecasting["operational"][ELECTRICITY_REGIONAL]
    spec = OperationalSpec.from_params(forecasting, model)
    error = ForecastError.from_params(forecasting.get("simulated_forecast_error", {}))
    forecasts = simulated_forecasts(series, error)
    trained = train_operational(
        series,
        forecasts,
        spec,
        model,
        forecasting["split"],
        forecasting.get("bands", {}),
        training_error=error,
    )
    validation = pd.DataFrame(trained.validation_metrics, index=[ELECTRICITY_REGIONAL])
    artifact = ModelArtifact(
        model_key=ELECTRICITY_REGIONAL,
        registered_name="",
        model=trained.forecaster,
        input_columns=trained.forecaster.input_columns,
        input_example=trained.input_example,
    )
    metrics, backtest, _ = operational_evaluation(
        artifact, series, forecasts, spec, model, forecasting["split"]
    )
    table = metrics.pivot_table(index="model", columns="metric", values="value")
    return table, validation, backtest


def report(data_dir: Path, real_dir: Path, params: dict[str, Any], with_hdf: bool) -> int:
    import pandas as pd

    backtest = pd.read_parquet(data_dir / "07_model_output" / "forecast_backtest.parquet")
    metrics = _model_metrics(data_dir)
    validation = _model_metrics(data_dir, "validation")
    band_keys = {
        "regional gas": GAS,
        "national electricity": ELECTRICITY_NATIONAL,
        "regional electricity (Île-de-France)": ELECTRICITY_REGIONAL,
    }
    checks: list[tuple[str, bool]] = []

    def period(key: str) -> str:
        days = pd.to_datetime(backtest.loc[backtest["model"] == key, "day"])
        return f"{days.min():%Y-%m-%d} .. {days.max():%Y-%m-%d}, {days.nunique()} days"

    print(
        "\nForecasts issued on D-1 (consumption published up to D-2; weather: observed up to "
        "D-2, forecast for D-1..D+1 = observed + simulated error N(0, 1 °C) at lead 1, rho 0.6 "
        "across regions, x (1 + 0.25 (k - 1)) at lead k). MAPE %, test period."
    )
    # gas
    print(f"\n== Regional gas ({period(GAS)}), MWh PCS 0°C/day: MAPE % per region")
    gas = per_region_table(backtest, GAS, "gas_regional")
    print(_table(gas))
    print(_table(summary_table(metrics, GAS, "gas_regional")))
    served = gas.loc[("", "median"), "forecast (honest)"]
    worst = gas.loc[("", "worst"), "forecast (honest)"]
    persistence = gas.loc[("", "median"), "baseline_persistence_gas_regional"]
    oracle = gas.loc[("", "median"), "observed weather (upper bound)"]
    checks += [
        (
            f"gas: median regional MAPE {served:.2f}% <= {TARGET_MEDIAN_MAPE}% (observed-weather "
            f"upper bound {oracle:.2f}%)",
            served <= TARGET_MEDIAN_MAPE,
        ),
        (
            f"gas: worst regional MAPE {worst:.2f}% <= {TARGET_WORST_MAPE}%",
            worst <= TARGET_WORST_MAPE,
        ),
        (
            f"gas: median MAPE {1 - served / persistence:.0%} below persistence "
            f"(last published day, {persistence:.2f}%) >= {TARGET_REDUCTION_VS_PERSISTENCE:.0%}",
            1 - served / persistence >= TARGET_REDUCTION_VS_PERSISTENCE,
        ),
    ]
    # national electricity
    print(f"\n== National electricity ({period(ELECTRICITY_NATIONAL)}), MWh/day")
    print(_table(summary_table(metrics, ELECTRICITY_NATIONAL, "electricity_national")))
    checks += rte_section(backtest, real_dir, data_dir)
    # regional electricity
    print(
        f"\n== Regional electricity, Île-de-France ({period(ELECTRICITY_REGIONAL)}; the real "
        "file has 2021-01 .. 2022-05: train 2021, validation 2022-01..02, test 2022-03..05)"
    )
    print(_table(summary_table(metrics, ELECTRICITY_REGIONAL, "electricity_regional")))
    coverage = {
        "regional gas": metrics.loc[GAS, "coverage_pct"],
        "national electricity": metrics.loc[ELECTRICITY_NATIONAL, "coverage_pct"],
        "regional electricity (Île-de-France)": metrics.loc[ELECTRICITY_REGIONAL, "coverage_pct"],
    }
    if with_hdf and real_dir.joinpath(*HAUTS_DE_FRANCE).exists():
        hdf, hdf_validation, hdf_backtest = hauts_de_france(real_dir, data_dir, params)
        days = pd.to_datetime(hdf_backtest["day"])
        print(
            f"\n== Regional electricity, Hauts-de-France ({days.min():%Y-%m-%d} .. "
            f"{days.max():%Y-%m-%d}, {days.nunique()} days; daily file 2013-2023, same model "
            "configuration, trained and evaluated by this script)"
        )
        print(_table(summary_table(hdf, ELECTRICITY_REGIONAL, "electricity_regional")))
        coverage["regional electricity (Hauts-de-France)"] = hdf.loc[
            ELECTRICITY_REGIONAL, "coverage_pct"
        ]
        hdf_band = band_table(hdf, hdf_validation, {"Hauts-de-France": ELECTRICITY_REGIONAL})
    else:
        hdf_band = None
    bands = params["forecasting"].get("bands", {})
    step, level = bands.get("adaptive_step", 0), bands.get("level_correction_days", 0)
    print(
        f"\n== P10-P90 band, served (adaptive, step {step}, level correction {level} days) and "
        "static, validation year and test period: MAPE %, coverage %, mean |monthly coverage - "
        "80| (points), mean width and interval score (% of P50; lower is better)"
    )
    print(_table(band_table(metrics, validation, band_keys)))
    if hdf_band is not None:
        print(_table(hdf_band))
    print("\n== P10-P90 coverage on the test period (share of actuals inside the band)")
    for energy, value in coverage.items():
        low, high = TARGET_COVERAGE
        print(f"  {energy}: {value:.1f} %")
        checks.append(
            (
                f"{energy}: P10-P90 coverage {value:.1f}% in [{low:.0f}, {high:.0f}]%",
                low <= value <= high,
            )
        )
    print("\nTargets:")
    for text, ok in checks:
        print(f"  [{'met' if ok else 'NOT met'}] {text}")
    return 0 if all(ok for _, ok in checks) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="scratch data folder (default: a temp dir)")
    parser.add_argument("--real-dir", type=Path, default=REPO.parent / "shared" / "data" / "real")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--report-only", action="store_true", help="only print the report of --data-dir"
    )
    parser.add_argument(
        "--skip-hauts-de-france", action="store_true", help="no Hauts-de-France electricity run"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if not (args.real_dir / "A" / "gas_regional_daily_grtgaz_terega").is_dir():
        print(f"real data not found in {args.real_dir} (see its SOURCES.md)", file=sys.stderr)
        return 2
    data_dir = (args.data_dir or Path(tempfile.mkdtemp(prefix="energiewatch-eval-"))).resolve()
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
    if not args.report_only:
        run("etl_pipeline", params, etl_nodes_feeding(FUSION_NODES))
        run("data_fusion_pipeline", params, FUSION_NODES)
        save_empty_forecast_indices(params)
        run("forecasting", params)
    status = report(data_dir, args.real_dir, project_params(params), not args.skip_hauts_de_france)
    return status if args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
