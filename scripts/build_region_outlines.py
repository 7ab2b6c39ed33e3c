"""Derive the simplified outlines of the 13 regions the dashboard's maps draw.

Reads the ``Géo-shape région`` column of ODRÉ's ``consommation-annuelle-brute-regionale`` file
(open data, Licence Ouverte / Etalab 2.0; the latest year of each region), simplifies every
ring with the Douglas–Peucker algorithm, rounds coordinates and writes a GeoJSON
FeatureCollection (one feature per region: ``region_code``, ``region`` and ``label_lon`` /
``label_lat``, the ``Géo-point région`` where a map writes the region's label) that the package
ships:

    python scripts/build_region_outlines.py [--source CSV] [--out FILE] [--tolerance DEG]

Rings are written with the winding d3-geo (Vega-Lite's ``geoshape``) expects: exterior rings
clockwise, holes counter-clockwise (the reverse of RFC 7946), or a projection would fill the
whole globe outside a region. Rings that collapse below 4 points are dropped (tiny islets).
The source file is read at run time only; the GeoJSON is the one derivative committed.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = (
    REPO.parent / "shared/data/real/A/annual_regional/consommation-annuelle-brute-regionale.csv"
)
DEFAULT_OUT = (
    REPO / "data-collection-kedro/src/data_collection_kedro/domain/region_outlines.geo.json"
)
SOURCE_NOTE = {
    "source": "ODRÉ (Open Data Réseaux Énergies), jeu « consommation-annuelle-brute-regionale », "
    "colonne « Géo-shape région »",
    "licence": "Licence Ouverte / Etalab 2.0",
    "derivation": "scripts/build_region_outlines.py (Douglas–Peucker, tolerance {tolerance}°, "
    "coordinates rounded to {decimals} decimals)",
}

Point = tuple[float, float]


def _distance_to_segment(point: Point, start: Point, end: Point) -> float:
    (x, y), (x1, y1), (x2, y2) = point, start, end
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return float(((x - x1) ** 2 + (y - y1) ** 2) ** 0.5)
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    px, py = x1 + t * dx, y1 + t * dy
    return float(((x - px) ** 2 + (y - py) ** 2) ** 0.5)


def douglas_peucker(points: Sequence[Point], tolerance: float) -> list[Point]:
    """The points of the polyline ``points`` kept by Douglas–Peucker at ``tolerance``
    (iterative: no recursion limit on long rings)."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, distance = first, 0.0
        for index in range(first + 1, last):
            d = _distance_to_segment(points[index], points[first], points[last])
            if d > distance:
                farthest, distance = index, d
        if distance > tolerance:
            keep[farthest] = True
            stack.extend([(first, farthest), (farthest, last)])
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def signed_area(ring: Sequence[Point]) -> float:
    """Shoelace area of a closed ring in the lon/lat plane (> 0: counter-clockwise)."""
    return 0.5 * sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False))


def simplify_ring(
    ring: Sequence[Sequence[float]], tolerance: float, decimals: int, exterior: bool
) -> list[list[float]] | None:
    """A closed ring simplified, rounded and wound for d3-geo; ``None`` when it collapses."""
    points = [(float(x), float(y)) for x, y, *_ in ring]
    if points[0] != points[-1]:
        points.append(points[0])
    # split the closed ring in two halves so that the end points are not one fixed point
    middle = len(points) // 2
    simplified = douglas_peucker(points[: middle + 1], tolerance)[:-1] + douglas_peucker(
        points[middle:], tolerance
    )
    rounded: list[Point] = []
    for x, y in simplified:
        point = (round(x, decimals), round(y, decimals))
        if not rounded or point != rounded[-1]:
            rounded.append(point)
    if len(rounded) < 4 or abs(signed_area(rounded)) < tolerance**2:
        return None
    clockwise = signed_area(rounded) < 0
    if clockwise != exterior:  # d3-geo: exterior clockwise, holes counter-clockwise
        rounded.reverse()
    return [[x, y] for x, y in rounded]


def simplify_geometry(geometry: dict[str, Any], tolerance: float, decimals: int) -> dict[str, Any]:
    """A Polygon / MultiPolygon simplified (a MultiPolygon when several polygons remain)."""
    kind = geometry["type"]
    coordinates = geometry["coordinates"]
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        polygons = list(coordinates)
    else:
        raise ValueError(f"expected a Polygon or MultiPolygon geometry, got {kind!r}")
    kept = []
    for polygon in polygons:
        exterior = simplify_ring(polygon[0], tolerance, decimals, exterior=True)
        if exterior is None:
            continue
        holes = [simplify_ring(r, tolerance, decimals, exterior=False) for r in polygon[1:]]
        kept.append([exterior, *[h for h in holes if h is not None]])
    if not kept:
        raise ValueError("every polygon collapsed: lower the tolerance")
    if len(kept) == 1:
        return {"type": "Polygon", "coordinates": kept[0]}
    return {"type": "MultiPolygon", "coordinates": kept}


Outline = tuple[str, dict[str, Any], tuple[float, float]]


def read_outlines(source: Path) -> dict[str, Outline]:
    """``{region_code: (region name, geometry, (label lon, label lat))}`` of each region's
    latest year."""
    latest: dict[str, tuple[int, str, str, str]] = {}
    with source.open(encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle, delimiter=";"), start=2):
            try:
                code, year = row["Code INSEE région"].strip(), int(row["Année"])
                name, shape = row["Région"].strip(), row["Géo-shape région"]
                point = row["Géo-point région"]
            except (KeyError, ValueError) as exc:
                raise ValueError(
                    f"{source}, line {line}: expected the columns Année (integer), Région, "
                    f"Code INSEE région, Géo-shape région and Géo-point région "
                    f"({type(exc).__name__}: {exc})"
                ) from exc
            if shape and (code not in latest or year > latest[code][0]):
                latest[code] = (year, name, shape, point)
    outlines = {}
    for code, (year, name, shape, point) in sorted(latest.items()):
        try:
            lat, lon = (float(part) for part in point.split(","))
            outlines[code] = (name, json.loads(shape), (lon, lat))
        except ValueError as exc:
            raise ValueError(
                f"{source}: region {code} ({year}): Géo-shape région must be GeoJSON and "
                f"Géo-point région 'latitude, longitude' ({exc})"
            ) from exc
    return outlines


def build(source: Path, tolerance: float, decimals: int) -> dict[str, Any]:
    outlines = read_outlines(source)
    if len(outlines) != 13:
        raise ValueError(f"{source}: expected the 13 regions, found {sorted(outlines)}")
    note = {k: v.format(tolerance=tolerance, decimals=decimals) for k, v in SOURCE_NOTE.items()}
    return {
        "type": "FeatureCollection",
        **note,
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "region_code": code,
                    "region": name,
                    "label_lon": round(point[0], decimals),
                    "label_lat": round(point[1], decimals),
                },
                "geometry": simplify_geometry(geometry, tolerance, decimals),
            }
            for code, (name, geometry, point) in outlines.items()
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--tolerance", type=float, default=0.01, help="degrees")
    parser.add_argument("--decimals", type=int, default=3)
    args = parser.parse_args(argv)
    if not args.source.exists():
        print(f"source file not found: {args.source}", file=sys.stderr)
        return 2
    collection = build(args.source, args.tolerance, args.decimals)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    args.out.write_text(text + "\n", encoding="utf-8")
    points = sum(
        len(ring)
        for feature in collection["features"]
        for polygon in (
            [feature["geometry"]["coordinates"]]
            if feature["geometry"]["type"] == "Polygon"
            else feature["geometry"]["coordinates"]
        )
        for ring in polygon
    )
    print(f"{args.out}: {len(text.encode()) / 1024:.1f} KiB, {points} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
