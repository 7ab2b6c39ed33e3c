"""Annual grid carbon intensities: one place for every figure the project prices energy with.

CodeCarbon prices each measurement with its bundled annual intensity of the country
(``carbon.country_iso_code``, France: Ember / Our World in Data, life-cycle basis); the carbon
summary's what-if grids and the usage footprint's regions (``grid_iso``) read the same file
through :func:`grid_intensity`, so France is the same number everywhere.
The intensity at run time (RTE eco2mix, per quarter-hour) is :mod:`.intensity`.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from importlib import resources
from typing import Any


class GridError(ValueError):
    """No intensity for a grid (unknown country and no fallback figure)."""


@dataclasses.dataclass(frozen=True)
class Grid:
    name: str
    g_co2e_per_kwh: float
    source: str


@cache
def _codecarbon_mix() -> dict[str, Any]:
    path = resources.files("codecarbon") / "data" / "private_infra" / "global_energy_mix.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


@cache
def _codecarbon_world_average() -> float | None:
    path = resources.files("codecarbon") / "data" / "private_infra"
    try:
        data = json.loads((path / "carbon_intensity_per_source.json").read_text(encoding="utf-8"))
        return float(data["world_average"])
    except (OSError, KeyError, ValueError, TypeError):
        return None


def grid_intensity(name: str, iso: str | None, fallback: float | None = None) -> Grid:
    """A grid's intensity: CodeCarbon's bundled figure for ``iso`` (an ISO 3166 alpha-3 code,
    or ``world``) when it has one, else ``fallback``."""
    if iso:
        if iso.lower() == "world":
            world = _codecarbon_world_average()
            if world is not None:
                return Grid(name, world, "CodeCarbon world average")
        else:
            try:
                entry = _codecarbon_mix()[iso.upper()]
                return Grid(
                    name,
                    float(entry["carbon_intensity"]),
                    f"CodeCarbon energy mix {iso.upper()} ({entry.get('year', 'n.d.')})",
                )
            except (OSError, KeyError, ValueError, TypeError):
                pass
    if fallback is None:
        raise GridError(f"CodeCarbon has no intensity for {iso!r} and no fallback is given")
    return Grid(name, float(fallback), "configuration")


def country_intensity(iso: str) -> Grid:
    """The annual figure CodeCarbon prices a measurement in country ``iso`` with."""
    return grid_intensity(iso.upper(), iso)
