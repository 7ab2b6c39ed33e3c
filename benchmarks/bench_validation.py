"""Validation benchmark: the registry's validation against pandera on the ≥ 1M-row price file.

Both validate the ``fuel_prices`` declaration (``raw_fuel_prices``: required values, number,
integer and date-time casts, allowed fuels, price range) on the same source frame, once clean
and once with 1 % of the rows made bad (quarantine-heavy), in the same process and run:

- ``registry``: ``parse_source("fuel_prices", frame)`` — casts, rules, duplicate keys, and the
  good rows + quarantine frame (one row per failing row and field, with its reason and record).
- ``pandera``: a ``DataFrameSchema`` built from the same declaration (``coerce=True`` dtypes,
  ``nullable`` from ``required``, ``in_range`` / ``ge`` / ``isin`` checks, a ``unique`` key),
  ``validate(lazy=True)``, then the good rows = the rows absent from ``failure_cases``. It does
  less: pandas' coercion knows neither the decimal comma nor the source's date formats, no
  transform can run between the cast and the checks (the thousandths-of-a-euro prices), and the
  failure cases give no reason text nor the source record.
- ``rules only``: the checks alone on the already typed frame (registry rule masks against
  pandera checks), the part where pandera could replace hand-written code.

    python benchmarks/bench_validation.py [--rows 1000000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from timing import best

FUEL_FILE = "prix-carburants-historique.csv"
BAD_SHARE = 0.01


def generate(rows: int, out: Path) -> Path:
    code = (
        "import sys; from data_collection_kedro.sample_data import generate; "
        "generate(sys.argv[1], start='2024-12-01', end='2024-12-31', regions=['11'], "
        "fuel_stations=10_000, fuel_price_rows=int(sys.argv[2]), seed=42)"
    )
    subprocess.run([sys.executable, "-c", code, str(out), str(rows)], check=True)
    return out / FUEL_FILE


def with_bad_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """1 % of the rows with one defect each, in turn: unparsable price, unknown fuel, price
    above the range, no date, negative price."""
    rng = np.random.default_rng(1)
    bad = frame.copy()
    rows = rng.choice(len(bad), int(len(bad) * BAD_SHARE), replace=False)
    defects: list[tuple[str, str | None]] = [
        ("prix_valeur", "n/a"),
        ("prix_nom", "Kerosene"),
        ("prix_valeur", "9.99"),
        ("prix_maj", None),
        ("prix_valeur", "-1.5"),
    ]
    for i, (column, value) in enumerate(defects):
        bad.loc[bad.index[rows[i :: len(defects)]], column] = value
    return bad


def pandera_schema(params: dict[str, Any]) -> Any:
    """The fuel_prices declaration as a pandera schema (the rules pandera can express)."""
    import pandera.pandas as pa

    from data_collection_kedro.sources import registry
    from data_collection_kedro.sources.rules import Between, OneOf

    table = registry.source("fuel_prices").tables[0]
    dtypes = {"str": "str", "float": "float64", "int": "Int64", "timestamp_local": "datetime64[ns]"}
    checks: dict[str, list[Any]] = {c.name: [] for c in table.columns}
    for rule in table.rules:
        if isinstance(rule, Between):
            low, high = rule._bounds(params)
            checks[rule.column].append(pa.Check.in_range(low, high))
        elif isinstance(rule, OneOf):
            checks[rule.column].append(pa.Check.isin(rule.allowed(params)))
    return pa.DataFrameSchema(
        {
            c.name: pa.Column(
                dtypes[c.type], checks=checks[c.name], nullable=not c.required, coerce=True
            )
            for c in table.columns
        },
        unique=list(table.key),
    )


def run_pandera(schema: Any, frame: pd.DataFrame) -> tuple[int, int]:
    """(good rows, failure cases) of a lazy pandera validation."""
    import pandera.pandas as pa

    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        failing = set(cases["index"].dropna().astype(int))
        return len(frame) - len(failing), len(cases)
    return len(frame), 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", help=f"flat fuel CSV ({FUEL_FILE}); generated when absent")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each (best is kept)")
    args = parser.parse_args()

    from data_collection_kedro.datasets.source_files import CsvSourceDataset
    from data_collection_kedro.sources import registry
    from data_collection_kedro.sources.rules import parameters
    from data_collection_kedro.validation import check_table, parse_source
    from data_collection_kedro.validation.core import select_columns

    with tempfile.TemporaryDirectory(prefix="energiewatch-bench-") as tmp:
        path = Path(args.file) if args.file else generate(args.rows, Path(tmp))
        clean = CsvSourceDataset(str(path)).load()
    params = parameters(None)
    table = registry.source("fuel_prices").tables[0]
    schema = pandera_schema(params)
    print(f"{len(clean):,} rows; pandera schema from the declaration: {list(schema.columns)}")
    print(f"{'frame':<7} {'path':<22} {'seconds':>8} {'rows/s':>12}  result")
    for label, frame in (("clean", clean), ("1% bad", with_bad_rows(clean))):
        named = select_columns(frame, table, "fuel_prices")
        typed = check_table(frame, table, "fuel_prices", params).typed
        runs = {
            "registry (full)": lambda f=frame: parse_source("fuel_prices", f),
            "pandera (full)": lambda n=named: run_pandera(schema, n),
            "registry (rules only)": lambda t=typed: [r.failed(t, params) for r in table.rules],
            "pandera (rules only)": lambda t=typed: run_pandera(
                schema, t.astype({"fuel_id": "Int64"})
            ),
        }
        for name, run in runs.items():
            seconds, result = best(run, args.repeat)
            if name == "registry (full)":
                shown = f"{len(result[0]):,} good rows, {len(result[1]):,} quarantine rows"
            elif name.startswith("pandera"):
                shown = f"{result[0]:,} good rows, {result[1]:,} failure cases"
            else:
                shown = f"{int(np.logical_or.reduce(result).sum()):,} rows failing a rule"
            print(f"{label:<7} {name:<22} {seconds:>8.2f} {len(frame) / seconds:>12,.0f}  {shown}")


if __name__ == "__main__":
    main()
