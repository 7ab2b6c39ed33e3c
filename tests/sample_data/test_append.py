"""``sample_data.append``: one more day of a sample, as a scheduled download brings it.

The flux snapshot must become the next day's snapshot: the previous one with the prices and
shortages of the new day, nothing of a past day the shorter sample lacks (the longer sample's
whole snapshot holds last prices on past days its shorter history lacks)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from data_collection_kedro.sample_data import generate
from data_collection_kedro.sample_data.append import append_day
from data_collection_kedro.sources.fuel_flux import read_fuel_flux_xml

SAMPLE = {
    "start": "2023-10-01",
    "end": "2023-12-31",
    "regions": ["11", "53"],
    "fuel_stations": 80,
    "fuel_price_rows": 4_000,
    "seed": 11,
}
NEW_DAY = date(2024, 1, 1)
SNAPSHOT = "PrixCarburants_instantane.zip"
PRICE = ["id", "prix_id", "prix_maj", "prix_valeur"]
SHORTAGE = ["id", "rupture_id", "rupture_debut", "rupture_type"]
STATION = ["id", "latitude", "longitude", "cp", "pop", "adresse", "ville", "horaires", "services"]


def _rows(path: Path, columns: list[str]) -> set[tuple[str, ...]]:
    """The rows of a snapshot (its prices, shortages or stations: ``columns``) with a value in
    ``columns[1]``."""
    frame = read_fuel_flux_xml(path).dropna(subset=[columns[1]])
    return set(frame[columns].astype(str).itertuples(index=False, name=None))


@pytest.fixture(scope="module")
def appended(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("append")
    generate(root / "short", **SAMPLE)
    generate(root / "longer", **{**SAMPLE, "end": NEW_DAY.isoformat()})
    shutil.copytree(root / "short", root / "sample")
    done = append_day(root / "sample", root / "longer", NEW_DAY)
    assert done[SNAPSHOT].startswith("next day's snapshot"), done
    return {"short": root / "short", "longer": root / "longer", "sample": root / "sample"}


def test_the_snapshot_is_the_previous_one_with_the_new_days_prices(
    appended: dict[str, Path],
) -> None:
    before = _rows(appended["short"] / SNAPSHOT, PRICE)
    after = _rows(appended["sample"] / SNAPSHOT, PRICE)
    latest = _rows(appended["longer"] / SNAPSHOT, PRICE)
    new_day = {row for row in latest if row[2].startswith(NEW_DAY.isoformat())}
    assert new_day, "the longer sample updates no price on the new day"
    assert new_day <= after
    # every other price is the previous snapshot's, one per station and fuel
    assert after - new_day <= before
    assert len({(station, fuel) for station, fuel, _, _ in after}) == len(after)
    replaced = {(s, f) for s, f, _, _ in new_day}
    assert {row for row in before if (row[0], row[1]) not in replaced} <= after
    # the longer snapshot holds past prices the shorter history lacks: none came in
    past = {row for row in latest - before if not row[2].startswith(NEW_DAY.isoformat())}
    assert past, "the longer sample's snapshot should hold past prices the shorter lacks"
    assert not past & after


def test_the_snapshot_keeps_its_stations_and_gains_the_new_days_shortages(
    appended: dict[str, Path],
) -> None:
    assert _rows(appended["sample"] / SNAPSHOT, STATION) == _rows(
        appended["short"] / SNAPSHOT, STATION
    )
    before = _rows(appended["short"] / SNAPSHOT, SHORTAGE)
    after = _rows(appended["sample"] / SNAPSHOT, SHORTAGE)
    began = {
        row
        for row in _rows(appended["longer"] / SNAPSHOT, SHORTAGE)
        if row[2].startswith(NEW_DAY.isoformat())
    }
    assert after == before | began


def test_the_history_gains_the_new_days_lines_only(appended: dict[str, Path]) -> None:
    name = "prix-carburants-historique.csv"
    if not (appended["sample"] / name).exists():
        name = next(p.name for p in appended["sample"].glob("*carburant*.csv"))
    short = pd.read_csv(appended["short"] / name, sep=";", dtype=str)
    now = pd.read_csv(appended["sample"] / name, sep=";", dtype=str)
    added = now.iloc[len(short) :]
    assert len(added) > 0
    assert added["prix_maj"].str.startswith(NEW_DAY.isoformat()).all()
    pd.testing.assert_frame_equal(now.iloc[: len(short)], short)
