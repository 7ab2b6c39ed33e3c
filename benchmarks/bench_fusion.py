"""Data fusion benchmark: wall time and peak RSS, on the full sample and on the real data.

Datasets (each measured in a fresh child process, so peak RSS is the fusion's own):

- ``sample``: the full sample (7 years x 13 regions, 10,000 stations, 1 M fuel price rows),
  read from an existing store: ``--data-dir DIR`` (a data dir whose ``energiewatch.duckdb``
  holds the raw tables), else ``data-collection-kedro/data`` when its store has them, else
  generated into a temporary folder with the sample generator + ``etl_pipeline`` (slow: minutes).
- ``real``: ``../shared/data/real`` when present (gas courbe-de-charge parts, regional
  temperatures, historique-meteo old regions, strikes, fuel flat file and flux zip, the
  Île-de-France half-hourly file) staged under the ETL's file names, run through the ETL first.

Figures per dataset:

1. ``pipeline``: ``kedro run --pipeline data_fusion_pipeline`` through a KedroSession (read the
   raw tables, compute, write the indices) - wall time and peak RSS of the process;
2. ``nodes``: the fusion's domain rules alone (what each node runs) on raw frames already in
   memory (load time apart);
3. baselines in the same run, the heaviest aggregation (daily fuel prices in force: 1 M price
   rows -> ~25 M station-days): the pipeline's vectorized numpy sort against DuckDB SQL
   (generate_series expansion + median) and a pandas ``groupby().median()``, each in its own
   process (wall time, peak RSS, result checksum).

Run: ``.venv/bin/python benchmarks/bench_fusion.py [--data-dir DIR] [--skip-real]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "data-collection-kedro"
REAL = REPO.parent / "shared" / "data" / "real"
RAW_TABLES = [
    "raw_gas_load_curve",
    "raw_consumption_regional",
    "raw_weather_regional",
    "raw_weather_historique",
    "raw_strikes",
    "raw_public_holidays",
    "raw_school_holidays",
    "raw_fuel_stations",
    "raw_fuel_prices",
    "raw_fuel_shortages",
]
FULL_SAMPLE = {
    "start": "2018-01-01",
    "end": "2024-12-31",
    "regions": None,
    "fuel_stations": 10_000,
    "fuel_price_rows": 1_000_000,
    "seed": 42,
}


# ----------------------------------------------------------------------------- child tasks
def _session_run(data_dir: Path, pipeline: str) -> None:
    os.environ["ENERGIEWATCH_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    os.chdir(PROJECT)
    bootstrap_project(PROJECT)
    with KedroSession.create(project_path=PROJECT) as session:
        session.run(pipeline_names=[pipeline])  # type: ignore[call-arg]


def _load_raw(database: Path) -> dict[str, Any]:
    import duckdb

    from data_collection_kedro.datasets._store_common import arrow_to_frame

    with duckdb.connect(str(database), read_only=True) as con:
        return {
            t: arrow_to_frame(con.sql(f"SELECT * FROM {t}").to_arrow_table()) for t in RAW_TABLES
        }


def _params() -> dict[str, Any]:
    import yaml

    path = PROJECT / "conf" / "base" / "parameters_data_fusion_pipeline.yml"
    return dict(yaml.safe_load(path.read_text())["data_fusion"])


def _nodes(database: Path) -> dict[str, Any]:
    from data_collection_kedro.domain.calendar import consumption_movements_index
    from data_collection_kedro.domain.consumption import daily_regional_consumption
    from data_collection_kedro.domain.fuel import daily_fuel_price_index
    from data_collection_kedro.domain.weather import daily_weather, weather_consumption_index

    started = time.perf_counter()
    raw = _load_raw(database)
    load_s = time.perf_counter() - started
    params = _params()
    timings: dict[str, float] = {}

    def timed(name: str, func: Any, *args: Any) -> Any:
        t0 = time.perf_counter()
        out = func(*args)
        timings[name] = round(time.perf_counter() - t0, 3)
        return out

    consumption, q1 = timed(
        "daily_consumption",
        daily_regional_consumption,
        raw["raw_gas_load_curve"],
        raw["raw_consumption_regional"],
        params,
    )
    weather, q2 = timed(
        "daily_weather",
        daily_weather,
        raw["raw_weather_regional"],
        raw["raw_weather_historique"],
        params,
    )
    meteo, q3 = timed("meteo_consommation", weather_consumption_index, consumption, weather, params)
    mouvements, q4 = timed(
        "consommation_mouvements",
        consumption_movements_index,
        consumption,
        raw["raw_strikes"],
        raw["raw_public_holidays"],
        raw["raw_school_holidays"],
        params,
    )
    fuel, q5 = timed(
        "prix_carburants_journalier",
        daily_fuel_price_index,
        raw["raw_fuel_stations"],
        raw["raw_fuel_prices"],
        raw["raw_fuel_shortages"],
        params,
    )
    timings["total_nodes"] = round(sum(timings.values()), 3)
    return {
        "load_raw_s": round(load_s, 3),
        "node_s": timings,
        "rows_in": {t: len(f) for t, f in raw.items()},
        "rows_out": {
            "meteo_consommation": len(meteo),
            "consommation_mouvements": len(mouvements),
            "prix_carburants_journalier": len(fuel),
        },
    }


# The same daily statistics as DuckDB SQL: interval expansion with generate_series + median.
_FUEL_DUCKDB_SQL = """
WITH last_of_day AS (
    SELECT station_id, fuel, CAST(updated_at AS DATE) AS d,
           arg_max(price_eur_l, updated_at) AS price
    FROM prices WHERE price_eur_l BETWEEN $min_price AND $max_price AND updated_at IS NOT NULL
    GROUP BY ALL
),
bounds AS (SELECT max(d) AS hi FROM last_of_day),
intervals AS (
    SELECT station_id, fuel, d, price, least(
        coalesce(lead(d) OVER (PARTITION BY station_id, fuel ORDER BY d) - 1, DATE '9999-12-31'),
        d + ($max_age - 1)) AS until
    FROM last_of_day
),
expanded AS (
    SELECT i.station_id, i.fuel, i.price,
           CAST(unnest(generate_series(i.d, least(i.until, b.hi), INTERVAL 1 DAY)) AS DATE) AS day
    FROM intervals i, bounds b
)
SELECT e.day, s.department_code, e.fuel, min(e.price) AS price_min_eur_l,
       median(e.price) AS price_median_eur_l, max(e.price) AS price_max_eur_l,
       count(*) AS station_count
FROM expanded e JOIN stations s USING (station_id)
GROUP BY ALL
"""


def _fuel_frames(database: Path) -> tuple[Any, Any]:
    import duckdb

    from data_collection_kedro.datasets._store_common import arrow_to_frame

    with duckdb.connect(str(database), read_only=True) as con:
        stations = arrow_to_frame(con.sql("SELECT * FROM raw_fuel_stations").to_arrow_table())
        prices = arrow_to_frame(
            con.sql(
                "SELECT station_id, fuel, updated_at, price_eur_l FROM raw_fuel_prices"
            ).to_arrow_table()
        )
    return stations, prices


def _fuel(database: Path, implementation: str) -> dict[str, Any]:
    """Daily fuel statistics (no shortages) by one implementation; a checksum to compare."""
    import duckdb
    import pandas as pd

    from data_collection_kedro.domain import fuel

    stations, prices = _fuel_frames(database)
    params = _params()
    started = time.perf_counter()
    if implementation == "pipeline":
        result, _ = fuel.daily_fuel_prices(stations, prices, prices.iloc[0:0], params)
    elif implementation == "duckdb_sql":
        station_departments, _ = fuel._stations(stations)
        with duckdb.connect() as con:
            con.register("prices", prices)
            con.register("stations", station_departments)
            result = con.execute(
                _FUEL_DUCKDB_SQL,
                {
                    "min_price": params["min_price_eur_l"],
                    "max_price": params["max_price_eur_l"],
                    "max_age": params["max_price_age_days"],
                },
            ).df()
    elif implementation == "pandas_groupby":
        station_departments, _ = fuel._stations(stations)
        valid = prices[
            prices["price_eur_l"].between(params["min_price_eur_l"], params["max_price_eur_l"])
        ]
        intervals = fuel.price_intervals(valid, station_departments, params["max_price_age_days"])
        lengths = (intervals["last"] - intervals["first"] + 1).to_numpy()
        rows = intervals.loc[intervals.index.repeat(lengths)]
        rows = rows.assign(day=rows["first"] + rows.groupby(level=0).cumcount().to_numpy())
        result = (
            rows.groupby(["day", "department_code", "fuel"])["price"]
            .agg(["min", "median", "max", "size"])
            .rename(columns={"median": "price_median_eur_l"})
            .reset_index()
        )
    else:
        raise SystemExit(f"unknown implementation {implementation}")
    seconds = time.perf_counter() - started
    return {
        "implementation": implementation,
        "price_rows": len(prices),
        "output_rows": len(result),
        "compute_s": round(seconds, 2),
        "median_checksum": round(float(pd.to_numeric(result["price_median_eur_l"]).sum()), 3),
    }


def child(task: str, data_dir: Path) -> None:
    database = data_dir / "energiewatch.duckdb"
    started = time.perf_counter()
    if task == "pipeline":
        _session_run(data_dir, "data_fusion_pipeline")
        result: dict[str, Any] = {}
    elif task == "etl":
        _session_run(data_dir, "etl_pipeline")
        result = {}
    elif task == "nodes":
        result = _nodes(database)
    elif task.startswith("fuel_"):
        result = _fuel(database, task.removeprefix("fuel_"))
    elif task == "generate":
        from data_collection_kedro.sample_data import generate

        generate(data_dir / "01_raw" / "sample", **FULL_SAMPLE)  # type: ignore[arg-type]
        result = {}
    else:
        raise SystemExit(f"unknown task {task}")
    result["wall_s"] = round(time.perf_counter() - started, 2)
    print("RESULT " + json.dumps(result))


# ----------------------------------------------------------------------------- parent
def measure(task: str, data_dir: Path) -> dict[str, Any]:
    """Run ``task`` in a child process; its result plus the child's peak RSS (MiB)."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", task, "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # reap the child: its own rusage
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise SystemExit(f"{task} on {data_dir} failed (exit {proc.returncode}):\n{out[-3000:]}")
    result = json.loads(lines[-1][len("RESULT ") :])
    result["peak_rss_mib"] = round(usage.ru_maxrss / 1024, 1)
    return result


def _has_raw_tables(data_dir: Path) -> bool:
    database = data_dir / "energiewatch.duckdb"
    if not database.exists():
        return False
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    return set(RAW_TABLES) <= tables


def stage_real_data(target: Path) -> Path:
    """Link the real files under the ETL's sample file names in ``target/01_raw/sample``."""
    sample = target / "01_raw" / "sample"
    (sample / "historique-meteo").mkdir(parents=True, exist_ok=True)
    links = {
        "temperature-quotidienne-regionale.csv": REAL
        / "B"
        / "temperature-quotidienne-regionale_2016-2025.csv",
        "mouvements-sociaux-depuis-2002.csv": REAL / "C" / "mouvements-sociaux-depuis-2002.csv",
        "prix-carburants-historique.csv": REAL
        / "D"
        / "official_flux_instantane_xml"
        / "PrixCarburants_instantane_20231128_flat.csv",
        "PrixCarburants_instantane.zip": REAL
        / "D"
        / "official_flux_instantane_xml"
        / "instantane_file_20231128_142020.zip",
        "consommation-quotidienne-brute-regionale.csv": REAL
        / "A"
        / "consommation-quotidienne-brute-regionale_sample"
        / "energies_Ile-de-France_2021-2022.csv",
    }
    for part in (1, 2, 3):
        links[f"courbe-de-charge-eldgrd-regional-grtgaz-terega-part{part}.csv"] = (
            REAL / "A" / "gas_regional_daily_grtgaz_terega" / f"df_part{part}.csv"
        )
    for path in sorted((REAL / "B" / "historique-meteo_datacorner" / "oldReg").glob("*.csv")):
        links[f"historique-meteo/{path.name}"] = path
    for name, source in links.items():
        link = sample / name
        if not link.exists():
            link.symlink_to(source)
    return target


def report(label: str, data_dir: Path) -> None:
    print(f"\n== {label}: {data_dir}")
    pipeline = measure("pipeline", data_dir)
    print(
        f"kedro run --pipeline data_fusion_pipeline: {pipeline['wall_s']} s wall, "
        f"peak RSS {pipeline['peak_rss_mib']} MiB"
    )
    nodes = measure("nodes", data_dir)
    print(
        f"fusion nodes on in-memory raw frames: {nodes['node_s']['total_nodes']} s "
        f"(raw tables loaded in {nodes['load_raw_s']} s), peak RSS {nodes['peak_rss_mib']} MiB"
    )
    print("  per node (s): " + json.dumps(nodes["node_s"]))
    print("  rows in: " + json.dumps(nodes["rows_in"]))
    print("  rows out: " + json.dumps(nodes["rows_out"]))
    print("daily fuel prices (1 process each, shortages left out), implementation vs baselines:")
    results = [
        measure(f"fuel_{name}", data_dir) for name in ("pipeline", "duckdb_sql", "pandas_groupby")
    ]
    for r in results:
        same = r["median_checksum"] == results[0]["median_checksum"]
        print(
            f"  {r['implementation']:>15}: {r['compute_s']} s compute ({r['wall_s']} s with load),"
            f" peak RSS {r['peak_rss_mib']} MiB, {r['price_rows']} price rows -> "
            f"{r['output_rows']} rows, same medians as pipeline: {same}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="data dir whose store holds the raw tables")
    parser.add_argument("--skip-real", action="store_true", help="do not run on the real data")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data_dir)
        return 0

    with tempfile.TemporaryDirectory(prefix="bench_fusion_") as tmp:
        data_dir = args.data_dir
        if data_dir is None and _has_raw_tables(PROJECT / "data"):
            data_dir = PROJECT / "data"
        if data_dir is None:
            data_dir = Path(tmp) / "sample"
            print(f"generating the full sample + ETL into {data_dir} (minutes)...")
            generated = measure("generate", data_dir)
            etl = measure("etl", data_dir)
            print(f"  sample generator {generated['wall_s']} s, etl_pipeline {etl['wall_s']} s")
        elif not _has_raw_tables(data_dir):
            raise SystemExit(f"{data_dir}/energiewatch.duckdb lacks raw tables {RAW_TABLES}")
        report("full sample", data_dir)

        if args.skip_real:
            return 0
        if not REAL.exists():
            print(f"\n== real data: skipped ({REAL} not present)")
            return 0
        real_dir = stage_real_data(Path(tmp) / "real")
        etl = measure("etl", real_dir)
        print(f"\n(real data staged and loaded by etl_pipeline in {etl['wall_s']} s)")
        report("real data", real_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
