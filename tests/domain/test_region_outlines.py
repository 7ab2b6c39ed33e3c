"""The region outlines shipped with the package and the script that derives them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from data_collection_kedro.domain.regions import REGIONS, region_outlines
from tests.support.paths import KEDRO_PROJECT, REPO_ROOT, requires_real_data

OUTLINES = KEDRO_PROJECT / "src" / "data_collection_kedro" / "domain" / "region_outlines.geo.json"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_region_outlines", REPO_ROOT / "scripts" / "build_region_outlines.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rings(geometry: dict) -> list[tuple[bool, list[list[float]]]]:
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    return [(index == 0, ring) for polygon in polygons for index, ring in enumerate(polygon)]


def test_every_region_has_one_small_outline_wound_for_d3() -> None:
    script = _script()
    outlines = region_outlines()
    assert outlines["licence"] == "Licence Ouverte / Etalab 2.0"
    assert "ODRÉ" in outlines["source"]
    features = {f["properties"]["region_code"]: f for f in outlines["features"]}
    assert sorted(features) == sorted(r.code for r in REGIONS)
    assert OUTLINES.stat().st_size < 150 * 1024
    for region in REGIONS:
        feature = features[region.code]
        assert feature["properties"]["region"] == region.name
        lon, lat = feature["properties"]["label_lon"], feature["properties"]["label_lat"]
        assert -5.5 < lon < 10 and 41 < lat < 51.5, region
        for exterior, ring in _rings(feature["geometry"]):
            assert ring[0] == ring[-1] and len(ring) >= 4
            area = script.signed_area([tuple(p) for p in ring])
            # d3-geo: exterior rings clockwise (negative area in lon/lat), holes the reverse
            assert (area < 0) == exterior, (region.name, area)
            assert all(-5.5 < x < 10 and 41 < y < 51.5 for x, y in ring)


def test_douglas_peucker_keeps_the_corners_and_drops_the_noise() -> None:
    script = _script()
    line = [(0.0, 0.0), (1.0, 0.001), (2.0, -0.001), (3.0, 0.0), (3.0, 1.0), (3.001, 2.0)]
    assert script.douglas_peucker(line, 0.01) == [(0.0, 0.0), (3.0, 0.0), (3.001, 2.0)]
    assert script.douglas_peucker(line, 0.0) == line  # every point is off the chords
    # a counter-clockwise exterior ring is reversed; a ring collapsing to a point is dropped
    square = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    ring = script.simplify_ring(square, 0.001, 3, exterior=True)
    assert ring is not None and script.signed_area([tuple(p) for p in ring]) < 0
    assert script.simplify_ring([[0, 0], [1e-5, 0], [0, 1e-5], [0, 0]], 0.01, 3, True) is None


def test_a_bad_shape_names_the_region_and_what_was_expected(tmp_path: Path) -> None:
    script = _script()
    source = tmp_path / "annual.csv"
    source.write_text(
        "Année;Région;Code INSEE région;Géo-shape région;Géo-point région\n"
        '2024;Corse;94;{"type": "Polygon", "coordinates": [[[9.1;42.1, 9.1\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"region 94 \(2024\).*GeoJSON"):
        script.read_outlines(source)


def test_the_committed_file_is_the_script_output_on_the_open_data(tmp_path: Path) -> None:
    source = requires_real_data("A", "annual_regional", "consommation-annuelle-brute-regionale.csv")
    out = tmp_path / "outlines.geo.json"
    assert _script().main(["--source", str(source), "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(
        OUTLINES.read_text(encoding="utf-8")
    )
