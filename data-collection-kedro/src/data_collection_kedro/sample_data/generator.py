"""Offline sample data in the exact formats of the real sources (see docs/data-contracts.md §1).

The files are those of the source registry: every declared source with a sample writer
(``Offline.sample_writer``) writes its ``sample_file`` from one shared :class:`SampleWorld`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from data_collection_kedro.domain.regions import REGION_BY_CODE, REGIONS
from data_collection_kedro.sources import registry

from .model import anomalies_for, daily_model
from .strikes import strike_intensity, strikes_between
from .timeline import parse_day, public_holidays
from .world import SampleWorld

GENERATOR_VERSION = 1
GROUND_TRUTH_FILE = "anomalies_ground_truth.csv"
MANIFEST_FILE = "manifest.json"
GROUND_TRUTH_COLUMNS = ["region_code", "region", "date", "energy", "kind", "factor"]


def _regions(regions: Sequence[str] | None) -> list[str]:
    if regions is None:
        return [r.code for r in REGIONS]
    codes = [str(r).strip() for r in regions]
    unknown = [c for c in codes if c not in REGION_BY_CODE]
    if unknown:
        raise ValueError(
            f"unknown region code(s) {unknown}: expected INSEE codes among {sorted(REGION_BY_CODE)}"
        )
    return sorted(set(codes))


def generate(
    out_dir: Path,
    *,
    start: str = "2018-01-01",
    end: str = "2024-12-31",
    regions: Sequence[str] | None = None,
    fuel_stations: int = 10_000,
    fuel_price_rows: int = 1_000_000,
    seed: int = 42,
) -> dict[str, Any]:
    """Write the sample files into ``out_dir`` and return the manifest.

    The values of a region and day depend only on ``seed``, the region and the day (not on
    ``start``/``end``), so samples over overlapping ranges agree on their common days.
    """
    first, last = parse_day(start), parse_day(end)
    if last < first:
        raise ValueError(f"end {end!r} is before start {start!r}")
    if fuel_stations < 1:
        raise ValueError(f"fuel_stations must be >= 1, got {fuel_stations}")
    codes = _regions(regions)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = {c: REGION_BY_CODE[c].name for c in codes}

    holidays = {pd.Timestamp(d) for d in public_holidays(range(first.year, last.year + 1))}
    strikes = strikes_between(seed, first.year - 1, last.year)
    intensity = strike_intensity(strikes)
    years = range(first.year, last.year + 1)
    anomalies = {c: anomalies_for(seed, c, years) for c in codes}
    dailies = {
        c: daily_model(seed, c, first, last, holidays, intensity, anomalies[c]) for c in codes
    }

    world = SampleWorld(
        seed=seed,
        first=first,
        last=last,
        names=names,
        dailies=dailies,
        strikes=strikes,
        fuel_stations=fuel_stations,
        fuel_price_rows=fuel_price_rows,
    )
    counts: dict[str, int] = {}
    for source in registry.sources():
        writer, file = source.offline.sample_writer, source.offline.sample_name
        if writer and file:
            counts.update(registry.resolve(writer)(out_dir, world, file))

    truth = pd.DataFrame(
        [
            {
                "region_code": a.region_code,
                "region": names[a.region_code],
                "date": a.day.strftime("%Y-%m-%d"),
                "energy": a.energy,
                "kind": a.kind,
                "factor": f"{a.factor:.2f}",
            }
            for c in codes
            for a in anomalies[c]
            if first <= a.day <= last
        ],
        columns=GROUND_TRUTH_COLUMNS,
    ).sort_values(["region_code", "date"])
    truth.to_csv(out_dir / GROUND_TRUTH_FILE, index=False, lineterminator="\n")
    counts[GROUND_TRUTH_FILE] = len(truth)

    manifest: dict[str, Any] = {
        "generator": "data_collection_kedro.sample_data",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "parameters": {
            "start": first.strftime("%Y-%m-%d"),
            "end": last.strftime("%Y-%m-%d"),
            "regions": codes,
            "fuel_stations": fuel_stations,
            "fuel_price_rows": fuel_price_rows,
            "seed": seed,
        },
        "files": {name: {"rows": n} for name, n in sorted(counts.items())},
        "units": dict(sorted(world.units.items())),
    }
    (out_dir / MANIFEST_FILE).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest
