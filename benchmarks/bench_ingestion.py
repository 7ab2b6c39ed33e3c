"""Ingestion benchmark: generated fuel-price history files of 1 M and 5 M rows (20 M on request)
into the embedded DuckDB store, the project's ETL beside DuckDB's own ``read_csv``.

Per size, each approach runs in its own subprocess (peak RSS of that child from ``os.wait4``'s
rusage, i.e. the child's ``ru_maxrss``; wall time measured inside the child):

- ``etl``: the project's ETL as users run it — ``kedro run --pipeline etl_pipeline --nodes
  ingest_fuel_prices`` in a KedroSession on an empty store (hooks included): the file read in
  blocks, the ``fuel_prices`` declaration's rules (SQL engine, ``etl.engine``), quarantine,
  keyed upsert into ``raw_fuel_prices`` and the ``ingested_files`` manifest. The wall time is
  the whole session's (start-up included); the node's own duration is printed beside it. A
  second session on the same store is timed too (the incremental re-run: the file is
  unchanged, so it is skipped). Every run starts on an empty store but on the same machine:
  the carbon hook's cache of the machine's measurements (CodeCarbon's hardware detection, the
  idle draw; ``carbon.cache_dir``, docs/carbon.md) is one folder for the whole benchmark, as
  it is for a user whose data folder persists. The benchmark's first ETL session starts with
  it empty and is printed apart ("first session on this machine").
- ``duckdb``: DuckDB's ``read_csv`` into a table (no validation, no key, no upsert): the
  engine's rate, the reference of the target.
- ``naive`` (on the smallest size only): pandas ``read_csv`` → list of dicts → ``executemany``
  INSERT in 500-row batches, on a bounded subset (``--naive-rows``), extrapolated.

Usage::

    python benchmarks/bench_ingestion.py                       # 1 M and 5 M rows (generated)
    ENERGIEWATCH_BENCH_20M=1 python benchmarks/bench_ingestion.py   # + 20 M rows
    python benchmarks/bench_ingestion.py --sizes 1000000 --file path/prix-carburants-historique.csv

Targets (issue #17): etl ≥ 50 % of the DuckDB rate at every size (validation, quarantine and
keyed upsert included), peak RSS < 1.0 GB at 20 M rows, flat in the file size.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from timing import run_child, timed_session_run

FUEL_FILE = "prix-carburants-historique.csv"
SIZES = [1_000_000, 5_000_000]
LARGE = 20_000_000  # with ENERGIEWATCH_BENCH_20M=1 (or --sizes)


# --------------------------------------------------------------------------- child processes
def _session(data_dir: Path) -> float:
    """One ``etl_pipeline`` session running the fuel history's node; its wall time."""
    return timed_session_run(
        data_dir, pipeline_names=["etl_pipeline"], node_names=["ingest_fuel_prices"]
    )


def _node_seconds(data_dir: Path) -> list[float]:
    """The ``ingest_fuel_prices`` node's durations recorded by the carbon hook, in run order."""
    nodes = data_dir / "09_carbon" / "emissions_nodes.csv"
    if not nodes.exists():
        return []
    with nodes.open(newline="", encoding="utf-8") as handle:
        return [
            float(row["duration_s"])
            for row in csv.DictReader(handle)
            if row.get("node") == "ingest_fuel_prices" and row.get("duration_s")
        ]


def run_etl(data_dir: Path) -> dict[str, Any]:
    import logging

    import duckdb

    logging.basicConfig(level=logging.WARNING)
    seconds = _session(data_dir)
    rerun = _session(data_dir)
    with duckdb.connect(str(data_dir / "energiewatch.duckdb"), read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM raw_fuel_prices").fetchall()[0][0]
        quarantined = con.execute(
            "SELECT count(*) FROM raw_quarantine WHERE source = 'fuel_prices'"
        ).fetchall()[0][0]
    return {
        "rows": stored + quarantined,
        "seconds": seconds,
        "node_seconds": _node_seconds(data_dir),
        "rerun_seconds": rerun,
        "stored": stored,
        "quarantined": quarantined,
    }


def run_duckdb(csv_file: Path, database: Path) -> dict[str, Any]:
    import duckdb

    started = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        con.execute(
            "CREATE TABLE raw_fuel_prices AS SELECT * FROM read_csv(?, delim=';', header=true)",
            [str(csv_file)],
        )
        rows = con.execute("SELECT count(*) FROM raw_fuel_prices").fetchall()[0][0]
    return {"rows": rows, "seconds": time.perf_counter() - started}


def run_naive(csv_file: Path, database: Path, limit: int) -> dict[str, Any]:
    import duckdb
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_csv(csv_file, sep=";", dtype=str, nrows=limit, keep_default_na=False)
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
    csv_file, workdir = Path(args.file), Path(args.workdir)
    if args.child == "etl":
        result = run_etl(workdir)
    elif args.child == "duckdb":
        result = run_duckdb(csv_file, workdir / "duckdb.duckdb")
    else:
        result = run_naive(csv_file, workdir / "naive.duckdb", args.naive_rows)
    Path(args.result).write_text(json.dumps(result))


# --------------------------------------------------------------------------------- parent
def measure(approach: str, csv_file: Path, workdir: Path, naive_rows: int) -> dict[str, Any]:
    """One run of ``approach`` in a fresh child and an empty store."""
    run_dir = workdir / approach
    shutil.rmtree(run_dir, ignore_errors=True)
    sample = run_dir / "01_raw" / "sample"
    sample.mkdir(parents=True)
    (sample / FUEL_FILE).symlink_to(csv_file)  # the only file: the other sources are not run
    result_file = workdir / f"{approach}.json"
    command = [
        sys.executable,
        __file__,
        "--child",
        approach,
        "--file",
        str(csv_file),
        "--workdir",
        str(run_dir),
        "--result",
        str(result_file),
        "--naive-rows",
        str(naive_rows),
    ]
    # one machine for the whole benchmark: its carbon measurements outlive each run's store
    os.environ["ENERGIEWATCH_CARBON_CACHE_DIR"] = str(workdir / "carbon_cache")
    peak_rss_mb = run_child(command, workdir / f"{approach}.log")
    result: dict[str, Any] = json.loads(result_file.read_text())
    result["peak_rss_mb"] = peak_rss_mb
    result["rows_per_s"] = result["rows"] / result["seconds"]
    shutil.rmtree(run_dir, ignore_errors=True)
    return result


def generate(rows: int, workdir: Path) -> Path:
    """A fuel history of ``rows`` rows (one year, 10,000 stations) from the sample generator."""
    out = workdir / f"sample_{rows}"
    print(f"generating {rows:,} fuel price rows with the sample generator …", flush=True)
    started = time.perf_counter()
    # in a subprocess: Linux keeps a process's peak RSS across fork/exec, so the parent must
    # stay small for the children's figures to be theirs. One region of the other sources.
    code = (
        "import sys; from data_collection_kedro.sample_data import generate; "
        "generate(sys.argv[1], start='2024-01-01', end='2024-12-31', regions=['11'], "
        "fuel_stations=10_000, fuel_price_rows=int(sys.argv[2]), seed=42)"
    )
    subprocess.run([sys.executable, "-c", code, str(out), str(rows)], check=True)
    print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)
    return out / FUEL_FILE


def sizes_of(args: argparse.Namespace) -> list[int]:
    if args.file:  # one size: the file's data rows
        return [data_rows(Path(args.file))]
    if args.sizes:
        return [int(s) for s in args.sizes.split(",")]
    large = os.environ.get("ENERGIEWATCH_BENCH_20M", "") not in ("", "0")
    return [*SIZES, LARGE] if large else list(SIZES)


def data_rows(csv_file: Path) -> int:
    """The lines of ``csv_file`` after its header (the file read in 16 MB blocks)."""
    lines, last = 0, b"\n"
    with csv_file.open("rb") as handle:
        while block := handle.read(1 << 24):
            lines, last = lines + block.count(b"\n"), block[-1:]
    return lines + (last != b"\n") - 1


def bench_size(
    rows: int, args: argparse.Namespace, workdir: Path, naive: bool, first_on_machine: bool
) -> dict[str, Any]:
    started = time.perf_counter()
    csv_file = Path(args.file) if args.file else generate(rows, workdir)
    print(f"== {rows:,} rows: {csv_file.name} ({csv_file.stat().st_size / 1e6:.0f} MB)", flush=True)
    # the machine may be shared: DuckDB and the ETL run --repeat times, interleaved, and the
    # best run of each is compared (all runs are printed)
    repeat = 1 if rows >= LARGE else args.repeat
    runs: dict[str, list[dict[str, Any]]] = {"duckdb": [], "etl": []}
    for _ in range(repeat):
        for name in runs:
            runs[name].append(measure(name, csv_file, workdir, args.naive_rows))
    for name, measured in runs.items():
        print(f"  {name} runs (s): {[round(x['seconds'], 2) for x in measured]}")
        if name == "etl" and first_on_machine:
            print(
                f"  etl first session on this machine (empty carbon cache: hardware detection "
                f"and idle-draw probe included): {measured[0]['seconds']:.2f} s"
            )
    results: dict[str, Any] = {name: min(r, key=lambda x: x["seconds"]) for name, r in runs.items()}
    if naive:
        results["naive"] = measure("naive", csv_file, workdir, args.naive_rows)
    if not args.file:
        shutil.rmtree(csv_file.parent, ignore_errors=True)
    results["minutes"] = (time.perf_counter() - started) / 60
    return results


def report(rows: int, results: dict[str, Any]) -> dict[str, bool]:
    etl, duck = results["etl"], results["duckdb"]
    labels = {
        "duckdb": "DuckDB read_csv into a table",
        "etl": "project ETL (kedro session)",
        "naive": "naive dicts + executemany(500)",
    }
    print(f"\n{rows:,} rows (best runs; this size took {results['minutes']:.1f} min)")
    print(f"{'approach':<34}{'rows':>12}{'seconds':>10}{'rows/s':>12}{'peak RSS MB':>13}")
    for name, label in labels.items():
        if name in results:
            r = results[name]
            print(
                f"{label:<34}{r['rows']:>12,}{r['seconds']:>10.2f}"
                f"{r['rows_per_s']:>12,.0f}{r['peak_rss_mb']:>13.0f}"
            )
    node = etl["node_seconds"][0] if etl["node_seconds"] else float("nan")
    print(
        f"etl: stored {etl['stored']:,}, quarantined {etl['quarantined']:,}; node "
        f"ingest_fuel_prices {node:.2f} s of the session's {etl['seconds']:.2f} s "
        f"({etl['rows'] / node:,.0f} rows/s); incremental re-run (file unchanged, skipped): "
        f"{etl['rerun_seconds']:.2f} s"
    )
    ratio = etl["rows_per_s"] / duck["rows_per_s"]
    print(f"etl / DuckDB = {ratio:.0%} (node alone: {etl['rows'] / node / duck['rows_per_s']:.0%})")
    if "naive" in results:
        print(f"etl / naive = {etl['rows_per_s'] / results['naive']['rows_per_s']:.1f}x")
    checks = {f"{rows:,} rows: etl >= 50% of DuckDB read_csv rate": ratio >= 0.5}
    if rows >= LARGE:
        checks[f"{rows:,} rows: etl peak RSS < 1.0 GB"] = etl["peak_rss_mb"] < 1024
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", help=f"a flat fuel CSV ({FUEL_FILE}) instead of generated ones")
    parser.add_argument(
        "--sizes", help="comma-separated row counts (default 1M,5M; +20M: ENERGIEWATCH_BENCH_20M=1)"
    )
    parser.add_argument(
        "--naive-rows", type=int, default=10_000, help="subset for the naive baseline"
    )
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of DuckDB and the ETL per size (best kept)"
    )
    parser.add_argument("--child", choices=["etl", "duckdb", "naive"], help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return

    sizes = sizes_of(args)
    checks: dict[str, bool] = {}
    peaks: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench_ingestion_") as tmp:
        for rank, rows in enumerate(sizes):
            results = bench_size(rows, args, Path(tmp), naive=rank == 0, first_on_machine=rank == 0)
            checks.update(report(rows, results))
            peaks[rows] = results["etl"]["peak_rss_mb"]
    print("\netl peak RSS by size (MB): " + ", ".join(f"{n:,}: {p:.0f}" for n, p in peaks.items()))
    for check, ok in checks.items():
        print(f"  [{'ok' if ok else 'MISSED'}] {check}")


if __name__ == "__main__":
    main()
