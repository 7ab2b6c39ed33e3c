"""The declared rules compiled to DuckDB SQL agree with the Python path on the bad-input
corpus: the same good rows, the same quarantine rows (field, reason, value, expected,
record); files only the Python path can read are handed to it inside the same save."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from data_collection_kedro.datasets import DuckDBTableDataset
from data_collection_kedro.datasets.source_files import CsvSourceDataset
from data_collection_kedro.sources import registry
from data_collection_kedro.sources.rules import parameters
from data_collection_kedro.validation import QUARANTINE_COLUMNS, validate_table
from data_collection_kedro.validation.sql import SqlIngest, table_reason
from tests.support.etl_files import write_lines

NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
FUEL_HEADER = "id;latitude;longitude;cp;pop;adresse;ville;prix_nom;prix_id;prix_maj;prix_valeur"
STATION = "4620100;519800;01000;R;Rue de l'Église;Bourg"


def fuel(station: str, fuel_name: str, fuel_id: str, updated: str, price: str) -> str:
    return f"{station};{STATION};{fuel_name};{fuel_id};{updated};{price}"


FUEL_CORPUS = [
    FUEL_HEADER,
    fuel("1000001", "Gazole", "1", "2023-11-23 07:36:48", "1.785"),
    fuel("1000001", "SP98", "6", "2023-11-22 18:01:02", "1912"),  # thousandths
    fuel("1000002", "Kerosene", "9", "2023-11-22 18:01:02", "1.5"),  # unknown fuel
    fuel("1000003", "E10", "5", "pas une date", "1.7"),
    fuel("1000004", "E10", "5", "2023-11-22 18:01:02", "N/A"),
    fuel("1000004", "E85", "3", "2023-11-22 18:01:02", "NaN"),
    fuel("1000004", "GPLc", "7", "2023-11-22 18:01:02", "inf"),
    fuel("1000004", "SP95", "2", "2023-11-22 18:01:02", "null"),
    fuel("1000005", "E10", "5", "2099-01-01 00:00:00", "1.7"),  # outside the date window
    fuel("1000005", "E10", "5", "2006-12-31 23:59:59", "1.7"),
    fuel("1000006", "E10", "x", "2023-11-22 18:01:02", "9.9"),  # bad int, price too high
    fuel("1000006", "E85", "2.5", "2023-11-22 18:01:02", "0.1"),  # fractional int, too low
    fuel("", "E10", "5", "2023-11-22 18:01:02", "1.7"),  # missing required
    fuel("   ", "E10", "5", "2023-11-22 18:01:02", "1.7"),  # blank = missing
    fuel("1000001", "Gazole", "1", "2023-11-23 07:36:48", "1.799"),  # duplicate, other price
    fuel("1000001", "Gazole", "1", "2023-11-23 07:36:48", "1.785"),  # duplicate, same values
    fuel("1000008", "GPLc", "7", "2023-11-22T18:01:02", "0,98"),  # ISO 'T', decimal comma
    fuel("1000009", "SP95", "2", "2023-11-22 18:01:02", "1_5"),  # digit separator
    fuel("1000010", "SP95", "2", "2023-11-22 18:01:02+01:00", "1.65"),  # offset: Paris time
    fuel("1000011", "SP95", "2", " 2023-11-22 18:01:02 ", " 1.65 "),  # padded values
    fuel("1000012", "SP95", "", "2023-11-22 18:01:02", "1.65"),  # optional int missing
]

GAS_HEADER = (
    "Date;Opérateur;Secteur d'activité;Région;"
    + ";".join(f"{h:02d}:00" for h in range(24))
    + ";Consommation journalière (MWh - PCS 0°C);Statut"
)


def gas(
    day: str,
    operator: str,
    region: str,
    hourly: str = "10",
    status: str = "Définitif",
    daily: str | None = None,
) -> str:
    hours = ";".join([hourly] * 24)
    total = (
        daily
        if daily is not None
        else str(float(hourly) * 24 if hourly.replace(".", "").isdigit() else "")
    )
    return f"{day};{operator};GRD/ELD;{region};{hours};{total};{status}"


GAS_CORPUS = [
    GAS_HEADER,
    gas("2021-01-04", "GRTgaz", "Bretagne"),
    gas("04/01/2021", "NaTran", "bretagne", "12.5", "Provisoire"),  # same key, less final
    gas("2021/01/05", "grtgaz", "auvergne-rhône-alpes"),
    gas("05/01/21", "Teréga", "Auvergne-Rhône-Alpes", status="Consolidé"),
    gas("2021-01-06", "TIGF", "Occitanie", "-1"),  # negative hours
    gas("2021-01-06", "GRTgaz", "Atlantide"),  # unknown region
    gas("2021-13-45", "GRTgaz", "Bretagne"),  # impossible date
    gas("2021-01-07", "GRTgaz", "53", "10", "Définitif", "300"),  # hours do not add up
    gas("2021-01-08", "", "Bretagne"),  # missing operator
    gas("2021-01-09", "GRTgaz", "Bretagne", "1e12"),  # implausible
    gas("2021-01-10", "GRTgaz", "Normandie", "10", "Meilleur Statut"),
    gas("2021-01-10", "GRTgaz", "normandie", "11", "Définitif"),  # more final, later line
]


def python_path(source: str, path: Path, params: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    (table,) = registry.source(source).tables
    rows, quarantine = validate_table(
        CsvSourceDataset(str(path)).load(), table, registry.source(source).label, params, NOW
    )
    rows = rows.drop(columns=["_ingested_at"]).sort_values("_source_line")
    quarantine = quarantine.drop(columns=["quarantined_at"]).sort_values(
        ["source_line", "field", "reason"]
    )
    return rows.reset_index(drop=True), quarantine.reset_index(drop=True)


def engine_path(
    source: str, path: Path, params: dict, database: Path
) -> tuple[pd.DataFrame, pd.DataFrame, SqlIngest]:
    declared = registry.source(source)
    (table,) = declared.tables
    plan = SqlIngest.for_file(declared, path, params, NOW)
    store = DuckDBTableDataset(
        str(database),
        table.name,
        key=list(table.key),
        unique_index=False,
        updated_at_column="_updated_at",
        precedence=list(table.precedence),
    )
    store.save(plan)
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            f"SELECT * EXCLUDE (_ingested_at, _updated_at) FROM {table.name} ORDER BY _source_line"
        ).df()
        tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
        quarantine = (
            con.execute(
                "SELECT * EXCLUDE (quarantined_at, _updated_at) FROM raw_quarantine "
                "ORDER BY source_line, field, reason"
            ).df()
            if "raw_quarantine" in tables  # created by the first quarantined row
            else pd.DataFrame(columns=QUARANTINE_COLUMNS).drop(columns="quarantined_at")
        )
    return rows, quarantine, plan


def assert_same(python: pd.DataFrame, engine: pd.DataFrame) -> None:
    assert list(python.columns) == list(engine.columns)
    for column in python.columns:
        left, right = python[column], engine[column]
        if pd.api.types.is_float_dtype(left) or pd.api.types.is_float_dtype(right):
            pd.testing.assert_series_equal(
                left.astype("float64"), right.astype("float64"), check_names=False
            )
        elif column in ("date", "updated_at"):  # DATE/TIMESTAMP: pandas types differ
            assert (
                pd.to_datetime(left.astype("object")).tolist()
                == pd.to_datetime(right.astype("object")).tolist()
            ), column
        else:
            assert [None if pd.isna(v) else str(v) for v in left] == [
                None if pd.isna(v) else str(v) for v in right
            ], column


@pytest.mark.parametrize(
    ("source", "corpus", "params"),
    [
        ("fuel_prices", FUEL_CORPUS, {}),
        ("fuel_prices", FUEL_CORPUS, {"null_tokens": ["N/A", "null"]}),
        ("gas_load_curve", GAS_CORPUS, {}),
    ],
    ids=["fuel", "fuel-null-tokens", "gas"],
)
def test_the_engine_and_the_python_path_agree_on_the_bad_input_corpus(
    tmp_path: Path, source: str, corpus: list[str], params: dict
) -> None:
    assert table_reason(registry.source(source)) is None
    path = write_lines(tmp_path / f"{source}.csv", corpus, encoding="utf-8")
    parameters_ = parameters({"today": "2026-03-15", **params})
    rows, quarantine = python_path(source, path, parameters_)
    e_rows, e_quarantine, plan = engine_path(source, path, parameters_, tmp_path / "e.duckdb")
    assert plan.how == "duckdb"  # the SQL path really ran
    assert len(quarantine) >= 10 and len(rows) >= 3  # the corpus exercises both outcomes
    assert_same(rows, e_rows)
    assert_same(quarantine, e_quarantine)
    assert (plan.rows_stored, plan.rows_quarantined) == (len(rows), len(quarantine))


@pytest.mark.parametrize(
    ("defect", "lines", "reason"),
    [
        ("malformed", [FUEL_CORPUS[1], "1000007;too;few;fields"], "DuckDB could not read it"),
        ("blank line", [FUEL_CORPUS[1], "", FUEL_CORPUS[2]], "lines staged"),
        ("quotes", [FUEL_CORPUS[1], FUEL_CORPUS[2].replace("Rue", '"Rue"')], "quote characters"),
        ("control", [FUEL_CORPUS[1], FUEL_CORPUS[2].replace("Rue", "R\x00ue")], "control"),
        ("header only", [], "header only"),
    ],
)
def test_files_only_python_reads_are_validated_in_python_in_the_same_save(
    tmp_path: Path, defect: str, lines: list[str], reason: str
) -> None:
    path = write_lines(tmp_path / "fuel.csv", [FUEL_HEADER, *lines], encoding="utf-8")
    parameters_ = parameters({"today": "2026-03-15"})
    rows, quarantine = python_path("fuel_prices", path, parameters_)
    e_rows, e_quarantine, plan = engine_path("fuel_prices", path, parameters_, tmp_path / "e.db")
    assert plan.how.startswith("python") and reason in plan.how, plan.how
    assert_same(rows, e_rows)
    assert_same(quarantine, e_quarantine)


def test_a_cut_last_line_goes_the_python_way(tmp_path: Path) -> None:
    path = tmp_path / "fuel.csv"
    path.write_bytes(("\n".join([FUEL_HEADER, *FUEL_CORPUS[1:3]])).encode())  # no final \n
    _, _, plan = engine_path("fuel_prices", path, parameters({}), tmp_path / "e.db")
    assert plan.how == "python (no line end after the last line)"


def test_a_file_changed_after_planning_is_read_again_in_python(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "fuel.csv", FUEL_CORPUS[:3], encoding="utf-8")
    declared = registry.source("fuel_prices")
    plan = SqlIngest.for_file(declared, path, parameters({}), NOW)
    with path.open("a") as handle:
        handle.write(FUEL_CORPUS[17] + "\n")
    os.utime(path, ns=(10**18, 10**18))
    (table,) = declared.tables
    DuckDBTableDataset(str(tmp_path / "e.db"), table.name, key=list(table.key)).save(plan)
    assert plan.how == "python (the file changed since the run started)"
    assert plan.rows_stored == 3
