"""The incremental fusion's digest of the MongoDB raw store (``MongoRawTablesDigestDataset``),
beside loading the same collection whole (what each fusion node did before the production
fusion was incremental), at two collection sizes.

THE FIGURES ARE SecantusDB's, NOT MongoDB's (see bench_mongo_store.py): the server runs in its
own process, so the client's memory is measured apart; its cursor is the bottleneck here.

Each size: fuel-price documents as the raw store holds them (station, fuel, update instant
spread over five years, price, bookkeeping fields) inserted into a fresh database (not timed),
then, on the client: the digest (seconds, documents/s, days) and a whole-collection load
(``MongoCollectionDataset.load``), each timed once plainly and once under ``tracemalloc`` for
the peak of Python allocations. Flat digest memory across sizes is the claim checked.

Usage::

    python benchmarks/bench_mongo_digest.py                  # 20,000 and 80,000 documents
    python benchmarks/bench_mongo_digest.py --sizes 40000,160000
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from bench_mongo_store import start_secantus, stop

COLLECTION = "raw_fuel_prices"


def documents(start: int, stop_at: int) -> list[dict[str, Any]]:
    base = dt.datetime(2020, 1, 1)
    return [
        {
            "station_id": f"s{i % 10_000}",
            "fuel": ("Gazole", "SP95", "E10")[i % 3],
            "updated_at": base + dt.timedelta(seconds=(i * 7_919) % (5 * 365 * 86_400)),
            "price_eur_l": 1 + (i % 1_000) / 1_000,
            "_source_file": "history.csv",
            "_source_line": i,
            "_ingested_at": base,
        }
        for i in range(start, stop_at)
    ]


def measured(call: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, seconds of a plain call, peak MiB of Python allocations of a traced call)."""
    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, seconds, peak / 2**20


def main() -> None:
    import pymongo

    from data_collection_kedro.datasets import MongoCollectionDataset, MongoRawTablesDigestDataset

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,80000", help="documents, comma-separated")
    parser.add_argument("--batch-size", type=int, default=10_000, help="cursor batch size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    server, uri = start_secantus()
    print("SecantusDB, not MongoDB; server in its own process")
    print(
        "| documents | digest s | digest docs/s | digest peak MiB | days | whole load s "
        "| whole load docs/s | whole load peak MiB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    try:
        client: pymongo.MongoClient = pymongo.MongoClient(uri)
        with client:
            for n in sizes:
                database = f"bench_digest_{n}"
                for start in range(0, n, 20_000):
                    client[database][COLLECTION].insert_many(
                        documents(start, min(n, start + 20_000)), ordered=False
                    )
                digest = MongoRawTablesDigestDataset(database, uri=uri, batch_size=args.batch_size)
                whole = MongoCollectionDataset(
                    database, COLLECTION, key=["station_id", "fuel", "updated_at"], uri=uri
                )
                frame, d_s, d_mib = measured(digest.load)
                _, w_s, w_mib = measured(whole.load)
                digest.release()
                whole.release()
                print(
                    f"| {n:,} | {d_s:.2f} | {n / d_s:,.0f} | {d_mib:.1f} | {len(frame):,} "
                    f"| {w_s:.2f} | {n / w_s:,.0f} | {w_mib:.1f} |"
                )
                client.drop_database(database)
    finally:
        stop(server)


if __name__ == "__main__":
    main()
