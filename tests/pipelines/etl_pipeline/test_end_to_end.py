"""``etl_pipeline`` end to end through a KedroSession on the small sample.

Expected row counts are computed here from the sample files with plain pandas / ElementTree
(natural keys counted independently of the pipeline's code), then compared with the DuckDB
raw tables after one run, a second identical run, and a run on a longer sample.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import duckdb
import pandas as pd
import pytest

from data_collection_kedro.sample_data import generate
from tests.support.sample import SMALL_SAMPLE

pytestmark = pytest.mark.slow

HOLIDAY_YEARS = range(2012, 2028)  # source_holidays in catalog_etl_pipeline.yml

Keys = dict[str, set[tuple[Any, ...]]]


def _csv(path: Path, sep: str) -> pd.DataFrame:
    return pd.read_csv(path, sep=sep, dtype=str, encoding="utf-8-sig", keep_default_na=False)


def expected_keys(sample: Path) -> Keys:
    """Natural keys of every raw table, read straight from the sample files."""
    consumption = _csv(sample / "consommation-quotidienne-brute-regionale.csv", ";")
    stamps = pd.to_datetime(consumption["Date - Heure"], utc=True, format="ISO8601")
    gas = _csv(sample / "courbe-de-charge-eldgrd-regional-grtgaz-terega.csv", ";")
    weather = _csv(sample / "temperature-quotidienne-regionale.csv", ";")
    historique = pd.concat(
        [_csv(p, ",") for p in sorted((sample / "historique-meteo").glob("*.csv"))]
    )
    strikes = _csv(sample / "mouvements-sociaux-depuis-2002.csv", ";")
    history = _csv(sample / "prix-carburants-historique.csv", ";")
    with zipfile.ZipFile(sample / "PrixCarburants_instantane.zip") as archive:
        root = ElementTree.fromstring(archive.read(archive.namelist()[0]))
    stations = root.findall("pdv")
    flux_prices = {
        (pdv.get("id"), p.get("nom"), p.get("maj")) for pdv in stations for p in pdv.findall("prix")
    }
    shortages = {
        (pdv.get("id"), r.get("nom"), r.get("debut"))
        for pdv in stations
        for r in pdv.findall("rupture")
    }
    return {
        "raw_consumption_regional": set(zip(consumption["Code INSEE région"], stamps, strict=True)),
        "raw_gas_load_curve": set(
            gas[["Date", "Opérateur", "Secteur d'activité", "Région"]].itertuples(index=False)
        ),
        "raw_weather_regional": set(weather[["Date", "Code INSEE région"]].itertuples(index=False)),
        "raw_weather_historique": set(historique[["region", "day"]].itertuples(index=False)),
        "raw_strikes": set(
            strikes[["date_de_debut", "motif", "organisations_syndicales"]].itertuples(index=False)
        ),
        "raw_fuel_prices": flux_prices
        | set(history[["id", "prix_nom", "prix_maj"]].itertuples(index=False)),
        "raw_fuel_stations": {(pdv.get("id"),) for pdv in stations},
        "raw_fuel_shortages": shortages,
    }


def expected_holiday_counts() -> dict[str, int]:
    import holidays
    from vacances_scolaires_france import SchoolHolidayDates

    public = holidays.country_holidays("FR", years=HOLIDAY_YEARS)
    school_runs = 0
    data = SchoolHolidayDates().data
    for zone in "abc":
        for day, info in data.items():
            previous = data.get(day - timedelta(days=1))
            starts_run = info[f"vacances_zone_{zone}"] and not (
                previous
                and previous[f"vacances_zone_{zone}"]
                and previous["nom_vacances"] == info["nom_vacances"]
            )
            if not starts_run:
                continue
            end = day
            while (nxt := data.get(end + timedelta(days=1))) and (
                nxt[f"vacances_zone_{zone}"] and nxt["nom_vacances"] == info["nom_vacances"]
            ):
                end += timedelta(days=1)
            school_runs += int(end.year >= HOLIDAY_YEARS[0] and day.year <= HOLIDAY_YEARS[-1])
    return {"raw_public_holidays": len(public), "raw_school_holidays": school_runs}


def table_counts(database: Path) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        tables = [
            r[0] for r in con.sql("SELECT table_name FROM information_schema.tables").fetchall()
        ]
        return {
            t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]
            for t in tables
            if t.startswith("raw_")
        }


def generated_manifest_rows(database: Path) -> list[tuple[Any, ...]]:
    """The ``ingested_files`` rows of the holidays source (generated offline, no file)."""
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "SELECT file, size, crc32, ingested_at FROM ingested_files WHERE source = 'holidays'"
        ).fetchall()


def test_etl_counts_idempotence_and_appended_days(
    sample_data_dir: Path,
    data_dir: Path,
    run_pipeline: Callable[..., dict[str, Any]],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = data_dir / "energiewatch.duckdb"
    keys = expected_keys(sample_data_dir)
    expected = {table: len(k) for table, k in keys.items()} | expected_holiday_counts()

    run_pipeline("etl_pipeline")
    # the run kept the file open between the saves of each node (StoreConnectionHook) and
    # released it: another process opens it read-write at once
    other = f"import duckdb; duckdb.connect({str(database)!r}).execute('SELECT 1').fetchall()"
    subprocess.run([sys.executable, "-c", other], check=True, timeout=60)
    first = table_counts(database)
    assert {t: first[t] for t in expected} == expected
    assert first["raw_quarantine"] == 0  # the generator's files are clean
    # the generated holidays (no file) are recorded in the manifest by their values
    (holidays,) = generated_manifest_rows(database)
    assert holidays[1] == sum(expected_holiday_counts().values())

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="data_collection_kedro"):
        run_pipeline("etl_pipeline")
    assert table_counts(database) == first
    assert generated_manifest_rows(database) == [holidays]  # same rows: skipped, not re-read
    # the same recipe (packages' versions, years, code): not even built
    assert "holidays: built as last ingested, skipped" in caplog.text

    # a longer sample (same seed: same values on shared days) appended to the same store
    longer = tmp_path / "longer"
    generate(longer, **(SMALL_SAMPLE | {"end": "2024-02-29"}))
    new_keys = expected_keys(longer)
    shutil.rmtree(sample_data_dir)
    shutil.copytree(longer, sample_data_dir)

    run_pipeline("etl_pipeline")
    third = table_counts(database)
    for table, old in keys.items():
        added = len(new_keys[table] - old)
        assert third[table] - first[table] == added, table
    # the appended consumption rows are exactly the new days' half-hours
    new_days = (date(2024, 2, 29) - date(2023, 12, 31)).days
    assert third["raw_consumption_regional"] - first["raw_consumption_regional"] == (
        new_days * 48 * len(SMALL_SAMPLE["regions"])
    )
    assert third["raw_quarantine"] == 0
