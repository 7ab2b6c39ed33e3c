"""CLI: ``python -m data_collection_kedro.sample_data --out DIR [options]``."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from .generator import generate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data_collection_kedro.sample_data",
        description="Write the offline sample data (real source formats) into a folder.",
    )
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--start", default="2018-01-01", help="first day (YYYY-MM-DD)")
    parser.add_argument("--end", default="2024-12-31", help="last day (YYYY-MM-DD)")
    parser.add_argument(
        "--regions", default=None, help="comma-separated INSEE codes (default: all 13)"
    )
    parser.add_argument("--fuel-stations", type=int, default=10_000)
    parser.add_argument("--fuel-price-rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    regions = [r for r in args.regions.split(",") if r.strip()] if args.regions else None
    started = time.perf_counter()
    try:
        manifest = generate(
            args.out,
            start=args.start,
            end=args.end,
            regions=regions,
            fuel_stations=args.fuel_stations,
            fuel_price_rows=args.fuel_price_rows,
            seed=args.seed,
        )
    except ValueError as exc:
        parser.error(str(exc))
    elapsed = time.perf_counter() - started
    for name, info in manifest["files"].items():
        print(f"{info['rows']:>10,}  {name}")
    print(f"sample data written to {args.out} in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
