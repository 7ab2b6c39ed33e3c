"""Raw-store benchmark: 100,000 fuel price rows upserted into a MongoDB wire-protocol server
(SecantusDB) beside the embedded DuckDB store, on the same rows.

THE MONGODB FIGURES ARE SecantusDB's, NOT MongoDB's: SecantusDB (a Python server on a bundled
WiredTiger engine, installed with the test requirements) is the only MongoDB wire-protocol
server that runs here. It answers the same pymongo calls as a MongoDB server, so the client
side (document conversion, batching, ``bulk_write``) is the project's production path, but its
server side is much slower than ``mongod``: read its rows/s as a floor, not as MongoDB's rate.

The rows: the sample generator's fuel price history (``--rows``, 10,000 stations) through the
source's declared validation (``parse_source("fuel_prices", …)``, what the ETL node runs): the
frame ``raw_fuel_prices`` receives. Each store:

- ``duckdb``: ``raw_fuel_prices`` of the conf/base catalog (``DuckDBTableDataset``: key, batch
  size) in a new file;
- ``mongodb``: ``raw_fuel_prices`` of the conf/prod catalog (``MongoCollectionDataset``: key,
  ``mongodb_batch_size`` or each ``--batch-sizes`` value, the pymongo client options of
  ``mongodb_client``) against a fresh SecantusDB server (in-memory store) started in its own
  process, as a database server runs beside the pipeline.

Two saves per run: ``insert`` (empty store: every row new) and ``re-run`` (the same rows again:
every row matched and unchanged, as an idempotent re-run or a fuel flux pull that brings no new
price). Every run is a fresh child process (peak RSS = ``ru_maxrss`` of that child from
``os.wait4``); the SecantusDB server's own peak RSS is reported apart.

Sizing: when the real open data is present (``--real-dir``, default ``../shared/data/real``),
the newest official fuel flux snapshot there gives the rows of one national pull (~10,000
stations) and the prices updated in the 24 hours before it; the script prints what one pull and
one day of pulls (every 10 minutes, and hourly as the fuel DAG runs) cost at the measured rates.

``--mongodb-uri`` measures a real MongoDB deployment instead (the target replica set or
cluster: the figure the sizing needs), in a new database dropped at the end.

Usage::

    python benchmarks/bench_mongo_store.py                       # conf/prod's batch size
    python benchmarks/bench_mongo_store.py --batch-sizes 1000,5000,20000
    python benchmarks/bench_mongo_store.py --mongodb-uri "$MONGODB_URI"
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "data-collection-kedro"
REAL = REPO.parent / "shared" / "data" / "real"
FLUX_SNAPSHOTS = "D/official_flux_instantane_xml"
FUEL_FILE = "prix-carburants-historique.csv"
DATASET = "raw_fuel_prices"


# --------------------------------------------------------------------------- configuration
def catalog_dataset(env: str | None, variables: dict[str, str]) -> Any:
    """``raw_fuel_prices`` of the project's catalog for ``env`` (None = conf/base), built with
    the environment ``variables`` set (where the store is, its batch size)."""
    import warnings

    from kedro.config import OmegaConfigLoader
    from kedro.io import DataCatalog

    from data_collection_kedro.settings import CONFIG_LOADER_ARGS

    os.environ.update(variables)
    loader_args: dict[str, Any] = dict(CONFIG_LOADER_ARGS)
    loader = OmegaConfigLoader(conf_source=str(PROJECT / "conf"), env=env, **loader_args)
    with warnings.catch_warnings():  # omegaconf's resolver-API deprecation notice
        warnings.simplefilter("ignore", UserWarning)
        return DataCatalog.from_config(loader["catalog"]).get(DATASET)


# --------------------------------------------------------------------------- child processes
def child_rows(args: argparse.Namespace) -> dict[str, Any]:
    """Generated fuel price history -> validation -> parquet (the rows every run saves)."""
    from data_collection_kedro.datasets.source_files import CsvSourceDataset
    from data_collection_kedro.sample_data import generate
    from data_collection_kedro.validation import parse_source

    sample = Path(args.workdir) / "sample"
    generate(
        sample,
        start="2024-12-01",
        end="2024-12-31",
        regions=["11"],
        fuel_stations=10_000,
        fuel_price_rows=args.rows,
        seed=42,
    )
    raw, quarantine = parse_source("fuel_prices", CsvSourceDataset(str(sample / FUEL_FILE)).load())
    raw.to_parquet(args.rows_file)
    return {"rows": len(raw), "quarantined": len(quarantine), "columns": len(raw.columns)}


def child_store(args: argparse.Namespace) -> dict[str, Any]:
    """Two saves of the rows into one store: insert (all new), then re-run (all unchanged)."""
    import logging

    import pandas as pd

    logging.basicConfig(level=logging.WARNING)
    rows = pd.read_parquet(args.rows_file)
    if args.child == "duckdb":
        store = catalog_dataset(
            None, {"ENERGIEWATCH_DUCKDB": str(Path(args.workdir) / "bench.duckdb")}
        )
    else:
        variables = {"MONGODB_URI": args.uri, "MONGODB_DATABASE": args.database}
        if args.batch_size:
            variables["ENERGIEWATCH_MONGODB_BATCH_SIZE"] = str(args.batch_size)
        store = catalog_dataset("prod", variables)
    described = store._describe()
    timings = {}
    for phase, expected in (("insert", "inserted"), ("rerun", "unchanged")):
        started = time.perf_counter()
        store.save(rows)
        timings[phase] = time.perf_counter() - started
        result = store.last_result
        if getattr(result, expected) != len(rows):
            raise SystemExit(f"{phase}: {result.as_dict()} (expected {len(rows)} {expected})")
    store.release()
    return {
        "rows": len(rows),
        "store": type(store).__name__,
        "batch_size": described["batch_size"],
        "client_args": described.get("client_args", {}),
        "insert_s": timings["insert"],
        "rerun_s": timings["rerun"],
    }


def child_main(args: argparse.Namespace) -> None:
    result = child_rows(args) if args.child == "rows" else child_store(args)
    Path(args.result).write_text(json.dumps(result))


# --------------------------------------------------------------------------------- parent
def run_child(name: str, args: argparse.Namespace, *extra: str) -> dict[str, Any]:
    """Run one child; its result plus its own peak RSS (MiB)."""
    result_file = Path(args.workdir) / f"{name}.json"
    command = [sys.executable, __file__, "--child", name, "--result", str(result_file)]
    command += ["--workdir", args.workdir, "--rows-file", args.rows_file, *extra]
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{name} failed with exit code {os.waitstatus_to_exitcode(status)}")
    result: dict[str, Any] = json.loads(result_file.read_text())
    result["peak_rss_mib"] = usage.ru_maxrss / 1024  # Linux: kilobytes
    return result


def start_secantus() -> tuple[subprocess.Popen[str], str]:
    """A SecantusDB server with an in-memory store, in its own process; (process, URI)."""
    code = (
        "from secantus import SecantusDBServer; "
        "s = SecantusDBServer(host='127.0.0.1', port=0, storage_path=':memory:'); s.start(); "
        "print(s.uri, flush=True); s.wait()"
    )
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    uri = server.stdout.readline().strip()
    if not uri.startswith("mongodb://"):
        server.kill()
        raise SystemExit("SecantusDB did not start (pip install -r requirements.txt)")
    return server, uri


def stop(server: subprocess.Popen[str]) -> float:
    """Stop the server; its peak RSS (MiB)."""
    server.send_signal(signal.SIGTERM)
    try:
        _, _, usage = os.wait4(server.pid, 0)
    except ChildProcessError:
        return float("nan")
    server.returncode = 0
    return usage.ru_maxrss / 1024


def real_flux(real_dir: Path) -> dict[str, Any] | None:
    """Rows of one national flux pull and prices updated in the 24 h before the newest
    snapshot in ``real_dir`` (None when the real data is absent)."""
    import pandas as pd

    from data_collection_kedro.sources.fuel_flux import read_fuel_flux_xml

    snapshots = sorted((real_dir / FLUX_SNAPSHOTS).glob("*.zip"))
    newest: dict[str, Any] | None = None
    for path in snapshots:
        flux = read_fuel_flux_xml(path.read_bytes(), source_name=path.name)
        prices = flux.loc[flux["prix_nom"].notna()]
        updated = pd.to_datetime(prices["prix_maj"])
        taken = updated.max()
        if newest is None or taken > newest["taken"]:
            newest = {
                "file": path.name,
                "taken": taken,
                "stations": int(flux["id"].nunique()),
                "rows": len(prices),
                "updated_24h": int((updated > taken - pd.Timedelta(hours=24)).sum()),
            }
    return newest


def print_sizing(flux: dict[str, Any], results: list[tuple[str, dict[str, Any], Any]]) -> None:
    print()
    print(
        f"national fuel flux ({flux['file']}, last price update {flux['taken']}): "
        f"{flux['stations']:,} stations, {flux['rows']:,} price rows per pull, "
        f"{flux['updated_24h']:,} prices updated in the previous 24 h (new rows per day, "
        "a lower bound: a price changed twice shows once)"
    )
    print(
        f"{'store':<26}{'batch':>7}{'s per pull, 10 min':>20}{'s per day, 10 min':>19}"
        f"{'s per day, hourly':>19}"
    )
    for label, r, _ in results:
        rates = (r["rows"] / r["insert_s"], r["rows"] / r["rerun_s"])
        every_10_min, hourly = pull_seconds(flux, rates, 144), pull_seconds(flux, rates, 24)
        print(
            f"{label:<26}{r['batch_size']:>7,}{every_10_min:>20.2f}{144 * every_10_min:>19,.0f}"
            f"{24 * hourly:>19,.0f}"
        )


def pull_seconds(flux: dict[str, Any], rates: tuple[float, float], pulls_per_day: int) -> float:
    """One pull re-sends every current price: the day's new prices (spread over its pulls) at
    the insert rate, the others (matched, unchanged) at the re-run rate."""
    new = flux["updated_24h"] / pulls_per_day
    return new / rates[0] + (flux["rows"] - new) / rates[1]


def measure_mongodb(args: argparse.Namespace, extra: list[str]) -> dict[str, Any]:
    """The MongoDB child against ``--mongodb-uri``, in a new database dropped afterwards."""
    import pymongo

    database = f"energiewatch_bench_{uuid.uuid4().hex[:8]}"
    try:
        return run_child("mongodb", args, *extra, "--uri", args.mongodb_uri, "--database", database)
    finally:
        client: pymongo.MongoClient = pymongo.MongoClient(args.mongodb_uri)
        with client:
            client.drop_database(database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="fuel price rows to generate")
    parser.add_argument(
        "--batch-sizes", help="comma-separated MongoDB batch sizes (default: conf/prod's)"
    )
    parser.add_argument(
        "--mongodb-uri", help="a MongoDB deployment to measure instead of SecantusDB"
    )
    parser.add_argument(
        "--real-dir", type=Path, default=REAL, help="real open data (sizing from the fuel flux)"
    )
    parser.add_argument("--child", choices=["rows", "duckdb", "mongodb"], help=argparse.SUPPRESS)
    for hidden in ("--result", "--workdir", "--rows-file", "--uri", "--database"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return

    batch_sizes = [int(b) for b in args.batch_sizes.split(",")] if args.batch_sizes else [0]
    with tempfile.TemporaryDirectory(prefix="bench_mongo_store_") as tmp:
        args.workdir, args.rows_file = tmp, str(Path(tmp) / "rows.parquet")
        made = run_child("rows", args)
        print(f"{made['rows']:,} fuel price rows ({made['columns']} columns) from the ETL node")
        results: list[tuple[str, dict[str, Any], float | None]] = [
            ("DuckDB (embedded store)", run_child("duckdb", args), None)
        ]
        for batch_size in batch_sizes:
            extra = ["--batch-size", str(batch_size)] if batch_size else []
            if args.mongodb_uri:
                results.append(("MongoDB (--mongodb-uri)", measure_mongodb(args, extra), None))
                continue
            server, uri = start_secantus()
            try:
                extra += ["--uri", uri, "--database", "energiewatch_bench"]
                measured = run_child("mongodb", args, *extra)
            finally:
                server_rss = stop(server)
            results.append(("SecantusDB (NOT MongoDB)", measured, server_rss))

    print()
    print(
        f"{'store':<26}{'batch':>7}{'insert rows/s':>15}{'re-run rows/s':>15}"
        f"{'s per batch':>13}{'client RSS MiB':>16}{'server RSS MiB':>16}"
    )
    for label, r, peak in results:
        insert_rate, rerun_rate = r["rows"] / r["insert_s"], r["rows"] / r["rerun_s"]
        per_batch = r["batch_size"] / insert_rate
        server_text = "-" if peak is None else f"{peak:,.0f}"
        print(
            f"{label:<26}{r['batch_size']:>7,}{insert_rate:>15,.0f}{rerun_rate:>15,.0f}"
            f"{per_batch:>13.2f}{r['peak_rss_mib']:>16,.0f}{server_text:>16}"
        )
    mongo = results[1][1]
    print()
    print(f"MongoDB client options (conf/prod mongodb_client): {mongo['client_args']}")
    flux = real_flux(args.real_dir) if (args.real_dir / FLUX_SNAPSHOTS).is_dir() else None
    if flux is None:
        print(f"no fuel flux snapshot under {args.real_dir}: sizing skipped")
    else:
        print_sizing(flux, results)
    if not args.mongodb_uri:
        print(
            "SecantusDB is a Python wire-protocol server: its rates are a floor for the client "
            "path, not a MongoDB figure (measure MongoDB with --mongodb-uri; docs/production.md)."
        )


if __name__ == "__main__":
    main()
