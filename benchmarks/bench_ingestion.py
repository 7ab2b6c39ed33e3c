"""Ingestion benchmark: the ≥ 1M-row flat fuel-price file into the embedded DuckDB store.

Three approaches, each in its own subprocess (peak RSS of that child from ``os.wait4``'s
rusage, i.e. the child's ``ru_maxrss``; wall time measured inside the child):

- ``etl``: the project's path — ``CsvSourceDataset`` (source frame) → the ``fuel_prices``
  declaration's validation (``parse_source``, quarantine) → ``DuckDBTableDataset`` upsert on
  the natural key in batches.
  A second save of the same rows (all unchanged) is timed too: the idempotent re-run.
- ``duckdb``: DuckDB's own ``read_csv`` into a table (the practical limit: no validation, no
  key, no upsert).
- ``duckdb_keyed``: the same plus the unique index on the natural key that an idempotent
  upsert needs (a reference for what a keyed store costs; the target uses plain ``duckdb``).
- ``naive``: pandas ``read_csv`` → list of dicts → ``executemany`` INSERT in 500-row batches,
  on a bounded subset (``--naive-rows``); its rate is extrapolated to the whole file.

Usage::

    python benchmarks/bench_ingestion.py                  # generates the file if needed
    python benchmarks/bench_ingestion.py --file path/prix-carburants-historique.csv

Targets: etl ≥ 50 % of the DuckDB rate, ≥ 10× the naive rate, peak RSS < 1.5 GB.
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
FUEL_FILE = "prix-carburants-historique.csv"
KEY = ["station_id", "fuel", "updated_at"]


# --------------------------------------------------------------------------- child processes
def run_etl(csv: Path, database: Path, batch_size: int) -> dict[str, Any]:
    import logging

    logging.basicConfig(level=logging.WARNING)
    from data_collection_kedro.datasets import DuckDBTableDataset
    from data_collection_kedro.datasets.source_files import CsvSourceDataset
    from data_collection_kedro.validation import parse_source

    started = time.perf_counter()
    source = CsvSourceDataset(str(csv)).load()
    loaded = time.perf_counter()
    raw, quarantine = parse_source("fuel_prices", source)
    validated = time.perf_counter()
    store = DuckDBTableDataset(str(database), "raw_fuel_prices", key=KEY, batch_size=batch_size)
    store.save(raw)
    saved = time.perf_counter()
    store.save(raw)  # idempotent re-run: every row unchanged
    rerun = time.perf_counter() - saved
    return {
        "rows": len(source),
        "seconds": saved - started,
        "stages_s": {
            "read": round(loaded - started, 2),
            "validate": round(validated - loaded, 2),
            "upsert": round(saved - validated, 2),
        },
        "rerun_seconds": rerun,
        "stored": len(raw),
        "quarantined": len(quarantine),
    }


def run_duckdb(csv: Path, database: Path) -> dict[str, Any]:
    import duckdb

    started = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        con.execute(
            "CREATE TABLE raw_fuel_prices AS SELECT * FROM read_csv(?, delim=';', header=true)",
            [str(csv)],
        )
        rows = con.execute("SELECT count(*) FROM raw_fuel_prices").fetchall()[0][0]
    return {"rows": rows, "seconds": time.perf_counter() - started}


def run_duckdb_keyed(csv: Path, database: Path) -> dict[str, Any]:
    """DuckDB's read_csv plus the unique index on the natural key an idempotent upsert needs."""
    import duckdb

    started = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        con.execute(
            "CREATE TABLE raw_fuel_prices AS SELECT * FROM read_csv(?, delim=';', header=true)",
            [str(csv)],
        )
        con.execute(
            "CREATE UNIQUE INDEX raw_fuel_prices__key ON raw_fuel_prices (id, prix_nom, prix_maj)"
        )
        rows = con.execute("SELECT count(*) FROM raw_fuel_prices").fetchall()[0][0]
    return {"rows": rows, "seconds": time.perf_counter() - started}


def run_naive(csv: Path, database: Path, limit: int) -> dict[str, Any]:
    import duckdb
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_csv(csv, sep=";", dtype=str, nrows=limit, keep_default_na=False)
    records = frame.to_dict("records")
    columns = list(frame.columns)
    with duckdb.connect(str(database)) as con:
        con.execute(
            "CREATE TABLE raw_fuel_prices (" + ", ".join(f'"{c}" VARCHAR' for c in columns) + ")"
        )
        placeholders = ", ".join("?" for _ in columns)
        for start in range(0, len(records), 500):
            batch = records[start : start + 500]
            con.executemany(
                f"INSERT INTO raw_fuel_prices VALUES ({placeholders})",
                [[r[c] for c in columns] for r in batch],
            )
    return {"rows": len(records), "seconds": time.perf_counter() - started}


def child_main(args: argparse.Namespace) -> None:
    csv, database = Path(args.file), Path(args.database)
    if args.child == "etl":
        result = run_etl(csv, database, args.batch_size)
    elif args.child == "duckdb":
        result = run_duckdb(csv, database)
    elif args.child == "duckdb_keyed":
        result = run_duckdb_keyed(csv, database)
    else:
        result = run_naive(csv, database, args.naive_rows)
    Path(args.result).write_text(json.dumps(result))


# --------------------------------------------------------------------------------- parent
def measure(approach: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    database = workdir / f"{approach}.duckdb"
    database.unlink(missing_ok=True)  # every run starts from an empty store
    Path(f"{database}.wal").unlink(missing_ok=True)
    result_file = workdir / f"{approach}.json"
    command = [
        sys.executable,
        __file__,
        "--child",
        approach,
        "--file",
        str(args.file),
        "--database",
        str(database),
        "--result",
        str(result_file),
        "--batch-size",
        str(args.batch_size),
        "--naive-rows",
        str(args.naive_rows),
    ]
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{approach} failed with exit code {process.returncode}")
    result: dict[str, Any] = json.loads(result_file.read_text())
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux: kilobytes
    result["rows_per_s"] = result["rows"] / result["seconds"]
    return result


def ensure_file(args: argparse.Namespace, workdir: Path) -> Path:
    if args.file:
        return Path(args.file)
    out = workdir / "sample"
    print(f"generating {args.rows:,} fuel price rows with the sample generator into {out} …")
    # in a subprocess: Linux keeps a process's peak RSS across fork/exec, so the parent must
    # stay small for the children's figures to be theirs. One region and one month of the
    # other sources: only the fuel file matters here.
    code = (
        "import sys; from data_collection_kedro.sample_data import generate; "
        "generate(sys.argv[1], start='2024-12-01', end='2024-12-31', regions=['11'], "
        "fuel_stations=10_000, fuel_price_rows=int(sys.argv[2]), seed=42)"
    )
    subprocess.run([sys.executable, "-c", code, str(out), str(args.rows)], check=True)
    return out / FUEL_FILE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", help=f"flat fuel CSV ({FUEL_FILE}); generated when absent")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to generate")
    parser.add_argument("--batch-size", type=int, default=50_000, help="upsert batch size")
    parser.add_argument(
        "--naive-rows", type=int, default=10_000, help="subset for the naive baseline"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of DuckDB and the ETL (best is kept)"
    )
    parser.add_argument(
        "--child", choices=["etl", "duckdb", "duckdb_keyed", "naive"], help=argparse.SUPPRESS
    )
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return

    with tempfile.TemporaryDirectory(prefix="bench_ingestion_") as tmp:
        workdir = Path(tmp)
        args.file = str(ensure_file(args, workdir))
        size_mb = Path(args.file).stat().st_size / 1e6
        print(f"file: {args.file} ({size_mb:.0f} MB)")
        # the machine may be shared: DuckDB and the ETL run --repeat times, interleaved, and the
        # best run of each is compared (all runs are printed); the slow naive baseline runs once
        runs: dict[str, list[dict[str, Any]]] = {"duckdb": [], "duckdb_keyed": [], "etl": []}
        for _ in range(args.repeat):
            for name in runs:
                runs[name].append(measure(name, args, workdir))
        results = {name: min(r, key=lambda x: x["seconds"]) for name, r in runs.items()}
        results["naive"] = measure("naive", args, workdir)
        for name, r in runs.items():
            print(f"{name} runs (s): {[round(x['seconds'], 2) for x in r]}")

    etl, duck, naive = results["etl"], results["duckdb"], results["naive"]
    print()
    print(f"best of {args.repeat} runs for DuckDB and the ETL; naive: one run")
    keyed = results["duckdb_keyed"]
    print(f"{'approach':<34}{'rows':>11}{'seconds':>10}{'rows/s':>12}{'peak RSS MB':>13}")
    labels = {
        "duckdb": "DuckDB read_csv into a table",
        "duckdb_keyed": "  + unique index on the key",
        "etl": "project ETL (source→node→upsert)",
        "naive": "naive dicts + executemany(500)",
    }
    for name, result in results.items():
        print(
            f"{labels[name]:<34}{result['rows']:>11,}{result['seconds']:>10.2f}"
            f"{result['rows_per_s']:>12,.0f}{result['peak_rss_mb']:>13.0f}"
        )
    naive_total = etl["rows"] / naive["rows_per_s"]
    print()
    print(
        f"etl stages (s): {etl['stages_s']}; stored {etl['stored']:,}, quarantined "
        f"{etl['quarantined']:,}; idempotent re-run (all unchanged): {etl['rerun_seconds']:.2f} s"
    )
    print(
        f"naive baseline measured on {naive['rows']:,} rows; extrapolated to "
        f"{etl['rows']:,} rows: {naive_total:.0f} s"
    )
    checks = {
        "etl >= 50% of DuckDB read_csv rate": etl["rows_per_s"] >= 0.5 * duck["rows_per_s"],
        "etl >= 10x naive rate": etl["rows_per_s"] >= 10 * naive["rows_per_s"],
        "etl peak RSS < 1.5 GB": etl["peak_rss_mb"] < 1536,
    }
    print(
        f"etl / DuckDB = {etl['rows_per_s'] / duck['rows_per_s']:.0%} "
        f"(/ DuckDB with the key index: {etl['rows_per_s'] / keyed['rows_per_s']:.0%}); "
        f"etl / naive = {etl['rows_per_s'] / naive['rows_per_s']:.1f}x"
    )
    for check, ok in checks.items():
        print(f"  [{'ok' if ok else 'MISSED'}] {check}")


if __name__ == "__main__":
    main()
