"""Snapshot and compare what a run produced: row counts of every table and the model metrics.

A refactoring that promises "behaviour unchanged" is checked with it: snapshot the outputs of
``make run`` before the change, again after, and compare.

    python scripts/compare_outputs.py snapshot --out before.json [--database PATH]
    python scripts/compare_outputs.py compare before.json after.json [--rel-tol 1e-9]

``snapshot`` reads the embedded store (``ENERGIEWATCH_DUCKDB``, else
``$ENERGIEWATCH_DATA_DIR/energiewatch.duckdb``, else ``data-collection-kedro/data/``): the row
count of every table and every row of ``model_metrics``. ``compare`` prints each difference and
exits 1 when there is one (row counts must be equal; metrics equal within ``--rel-tol``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def default_database() -> Path:
    if os.environ.get("ENERGIEWATCH_DUCKDB"):
        return Path(os.environ["ENERGIEWATCH_DUCKDB"])
    data_dir = os.environ.get("ENERGIEWATCH_DATA_DIR")
    base = Path(data_dir) if data_dir else REPO / "data-collection-kedro" / "data"
    return base / "energiewatch.duckdb"


def snapshot(database: Path) -> dict[str, Any]:
    """Row counts per table and the ``model_metrics`` rows of the store at ``database``."""
    import duckdb

    if not database.exists():
        raise SystemExit(f"{database}: no such store (run `make run` first)")
    with duckdb.connect(str(database), read_only=True) as con:
        tables = sorted(row[0] for row in con.execute("SHOW TABLES").fetchall())
        counts = {
            table: int(con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])  # type: ignore[index]
            for table in tables
        }
        metrics: dict[str, float | None] = {}
        if "model_metrics" in tables:
            for model, split, metric, value in con.execute(
                "SELECT model, split, metric, value FROM model_metrics"
            ).fetchall():
                metrics[f"{model}|{split}|{metric}"] = None if value is None else float(value)
    return {"database": str(database), "row_counts": counts, "model_metrics": metrics}


def _same(a: float | None, b: float | None, rel_tol: float) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=rel_tol)


def compare(before: dict[str, Any], after: dict[str, Any], rel_tol: float) -> list[str]:
    """Every difference between two snapshots, one line each (empty when they agree)."""
    differences = []
    for section in ("row_counts", "model_metrics"):
        old, new = before[section], after[section]
        for key in sorted(set(old) | set(new)):
            if key not in new:
                differences.append(f"{section}: {key} missing after (was {old[key]})")
            elif key not in old:
                differences.append(f"{section}: {key} new after ({new[key]})")
            else:
                equal = (
                    old[key] == new[key]
                    if section == "row_counts"
                    else _same(old[key], new[key], rel_tol)
                )
                if not equal:
                    differences.append(f"{section}: {key} {old[key]} -> {new[key]}")
    return differences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot", help="write the outputs of the last run to a JSON file")
    snap.add_argument("--out", type=Path, required=True)
    snap.add_argument("--database", type=Path, default=None)
    cmp_ = sub.add_parser("compare", help="compare two snapshots; exit 1 on any difference")
    cmp_.add_argument("before", type=Path)
    cmp_.add_argument("after", type=Path)
    cmp_.add_argument("--rel-tol", type=float, default=1e-9)
    args = parser.parse_args(argv)

    if args.command == "snapshot":
        result = snapshot(args.database or default_database())
        args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        print(
            f"{args.out}: {len(result['row_counts'])} tables, "
            f"{len(result['model_metrics'])} metrics"
        )
        return 0
    differences = compare(
        json.loads(args.before.read_text()), json.loads(args.after.read_text()), args.rel_tol
    )
    for line in differences:
        print(line)
    print(f"{len(differences)} difference(s)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
