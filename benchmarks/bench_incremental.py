"""Incremental-run benchmark: the default pipeline re-run after one new day of every source,
beside the full run it follows (same data dir, same run of this script).

1. The sample generator writes the ``make run`` sample (``--start``/``--end``, all regions,
   1 M fuel price rows by default) into a fresh data dir, and the same sample one day longer
   into a scratch folder (the generator's values of a day depend only on the seed, the region
   and the day, so the two agree on their common days).
2. ``full``: ``kedro run`` (the default pipeline: ETL, fusion, models) on the empty store.
3. One day is appended to every source: to each CSV file, the lines of the longer sample that
   name the new day and are not in the file already; a new file (a new year of
   historique-meteo) is copied; the manifest is replaced; the flux snapshot (zip) becomes the
   next day's snapshot (the previous one with the prices and shortages of the new day:
   ``sample_data.fuel.next_fuel_snapshot``).
4. ``incremental``: ``kedro run`` again on the same store.

Each run is a KedroSession in its own child process (wall time inside the child, peak RSS from
``os.wait4``); the per-pipeline seconds are the nodes' durations the carbon hook records.

Usage::

    python benchmarks/bench_incremental.py                       # the make run sample
    python benchmarks/bench_incremental.py --start 2023-01-01    # a shorter history

Target (issue #17): the incremental run ≤ 10 % of the full run's wall time.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from timing import run_child, timed_session_run

from data_collection_kedro.sample_data.append import append_day

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "data-collection-kedro"


# --------------------------------------------------------------------------- child process
def run_default(data_dir: Path) -> dict[str, Any]:
    return {"seconds": timed_session_run(data_dir)}


# --------------------------------------------------------------------------------- parent
def generate(out: Path, start: str, end: str, fuel_rows: int) -> None:
    code = (
        "import sys; from data_collection_kedro.sample_data import generate; "
        "generate(sys.argv[1], start=sys.argv[2], end=sys.argv[3], "
        "fuel_price_rows=int(sys.argv[4]), seed=42)"
    )
    subprocess.run([sys.executable, "-c", code, str(out), start, end, str(fuel_rows)], check=True)


def run(label: str, data_dir: Path, workdir: Path) -> dict[str, Any]:
    """A default-pipeline session in a child process; its wall time and peak RSS."""
    result_file, log = workdir / f"{label}.json", workdir / f"{label}.log"
    command = [
        sys.executable,
        __file__,
        "--child",
        "--data-dir",
        str(data_dir),
        "--result",
        str(result_file),
    ]
    peak_rss_mb = run_child(command, log)
    result: dict[str, Any] = json.loads(result_file.read_text())
    result["peak_rss_mb"] = peak_rss_mb
    return result


def pipeline_seconds(
    data_dir: Path,
) -> tuple[list[dict[str, float]], list[dict[str, float]], list[str]]:
    """Per run (in order), the seconds of each default pipeline's nodes (the carbon hook's
    records) and the seconds of each node, and the fusion's node names. Called after the runs:
    importing
    the project here would count in the children's peak RSS (Linux keeps it across fork)."""
    from kedro.framework.project import pipelines
    from kedro.framework.startup import bootstrap_project

    from data_collection_kedro.pipeline_registry import DEFAULT_PIPELINES

    bootstrap_project(PROJECT)
    pipeline_of = {n.name: name for name in DEFAULT_PIPELINES for n in pipelines[name].nodes}
    runs: dict[str, dict[str, float]] = {}
    nodes: dict[str, dict[str, float]] = {}
    with (data_dir / "09_carbon" / "emissions_nodes.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            per_pipeline = runs.setdefault(row["run_id"], defaultdict(float))
            name = pipeline_of.get(row["node"], "other")
            per_pipeline[name] += float(row["duration_s"] or 0)
            nodes.setdefault(row["run_id"], {})[row["node"]] = float(row["duration_s"] or 0)
    fusion = [n.name for n in pipelines["data_fusion_pipeline"].nodes]
    return [dict(r) for r in runs.values()], list(nodes.values()), fusion


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2018-01-01", help="first day of the sample")
    parser.add_argument("--end", default="2024-12-31", help="last day of the full run")
    parser.add_argument("--fuel-price-rows", type=int, default=1_000_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        Path(args.result).write_text(json.dumps(run_default(Path(args.data_dir))))
        return

    new_day = date.fromisoformat(args.end) + timedelta(days=1)
    with tempfile.TemporaryDirectory(prefix="bench_incremental_") as tmp:
        workdir = Path(tmp)
        data_dir, sample = workdir / "data", workdir / "data" / "01_raw" / "sample"
        started = time.perf_counter()
        print(f"generating the sample {args.start} … {args.end} and one day more …", flush=True)
        generate(sample, args.start, args.end, args.fuel_price_rows)
        generate(workdir / "longer", args.start, new_day.isoformat(), args.fuel_price_rows)
        print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)
        full = run("full", data_dir, workdir)
        print(f"full run: {full['seconds']:.1f} s", flush=True)
        appended = append_day(sample, workdir / "longer", new_day)
        print(f"appended {new_day}: " + "; ".join(f"{k} {v}" for k, v in appended.items()))
        incremental = run("incremental", data_dir, workdir)
        per_pipeline, run_nodes, fusion_nodes = pipeline_seconds(data_dir)

    print()
    print(f"{'run':<30}{'wall s':>10}{'peak RSS MB':>13}")
    print(f"{'full (empty store)':<30}{full['seconds']:>10.1f}{full['peak_rss_mb']:>13.0f}")
    print(
        f"{'incremental (+1 day)':<30}{incremental['seconds']:>10.1f}"
        f"{incremental['peak_rss_mb']:>13.0f}"
    )
    if len(per_pipeline) == 2:
        print("\nnodes' seconds per pipeline (full → incremental):")
        for name in per_pipeline[0]:
            before, after = per_pipeline[0][name], per_pipeline[1].get(name, 0.0)
            print(f"  {name:<55}{before:>8.1f} → {after:>6.1f}")
    if len(run_nodes) == 2:
        print("\ndata_fusion_pipeline nodes' seconds (full → incremental):")
        for name in fusion_nodes:
            before, after = run_nodes[0].get(name, 0.0), run_nodes[1].get(name, 0.0)
            print(f"  {name:<55}{before:>8.1f} → {after:>6.1f}")
    last_nodes = run_nodes[-1] if run_nodes else {}
    slowest = sorted(last_nodes.items(), key=lambda item: -item[1])[:8]
    print(
        "slowest nodes of the incremental run (s): " + ", ".join(f"{n} {s:.1f}" for n, s in slowest)
    )
    ratio = incremental["seconds"] / full["seconds"]
    print(f"\nincremental / full = {ratio:.1%}")
    print(f"  [{'ok' if ratio <= 0.10 else 'MISSED'}] incremental run <= 10% of the full run")


if __name__ == "__main__":
    main()
