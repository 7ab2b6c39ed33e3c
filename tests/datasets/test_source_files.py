"""Offline source datasets: all-string frames with file/line bookkeeping, tolerant reading."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DatasetError

from data_collection_kedro.datasets.source_files import (
    CsvSourceDataset,
    HolidaysSourceDataset,
    SourceFileError,
)
from tests.support.etl_files import (
    CONSUMPTION_HEADER,
    consumption_file_fixture,  # noqa: F401  (fixtures)
    consumption_row,
    write_lines,
)

GAS_HEADER_LOWER = (
    "date,opérateur,secteur_d'activité,région,"
    + ",".join(f"{h:02d}:00" for h in range(24))
    + ",consommation_journalière_(mwh_-_pcs_0°c),statut,movement_social,motif"
)


def gas_row(day: str, operator: str, region: str, value: float = 100.0) -> str:
    hours = ",".join(str(value) for _ in range(24))
    return f"{day},{operator},GRD/ELD,{region},{hours},{value * 24},Définitif,False,"


def test_csv_source_reads_strings_with_file_and_line(consumption_file: Path) -> None:
    frame = CsvSourceDataset(str(consumption_file)).load()

    assert len(frame) == 4
    assert list(frame.columns[:2]) == ["Date - Heure", "Date"]  # BOM stripped from the header
    assert frame["_source_file"].unique().tolist() == [consumption_file.name]
    assert frame["_source_line"].tolist() == [2, 3, 4, 5]
    assert frame["Code INSEE région"].tolist() == ["11", "11", "53", "53"]  # strings, not ints
    assert frame["Consommation brute gaz (MW PCS 0°C) - GRTgaz"].isna().tolist() == [
        False,
        True,
        False,
        False,
    ]


def test_glob_of_parts_is_read_from_the_oldest_file(tmp_path: Path) -> None:
    write_lines(
        tmp_path / "df_part2.csv",
        [GAS_HEADER_LOWER, gas_row("2020-01-02", "GRTgaz", "bretagne")],
        "utf-8",
    )
    write_lines(
        tmp_path / "df_part1.csv",
        [
            GAS_HEADER_LOWER,
            gas_row("2020-01-01", "GRTgaz", "bretagne"),
            gas_row("2020-01-01", "Teréga", "occitanie"),
        ],
        "utf-8",
    )

    for age, name in enumerate(["df_part2.csv", "df_part1.csv"]):  # part2 the newer
        stamp = (1_700_000_000 - age * 60) * 10**9
        os.utime(tmp_path / name, ns=(stamp, stamp))

    frame = CsvSourceDataset(str(tmp_path / "df_part*.csv")).load()

    assert frame["_source_file"].tolist() == ["df_part1.csv", "df_part1.csv", "df_part2.csv"]
    assert frame["_source_line"].tolist() == [2, 3, 2]
    assert frame["opérateur"].tolist() == ["GRTgaz", "Teréga", "GRTgaz"]


def test_crlf_and_blank_lines_keep_exact_line_numbers(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "strikes.csv",
        ["date_de_debut;date_de_fin;motif", "2020-01-01;;a", "", "2020-02-01;2020-02-03;b"],
        eol="\r\n",
    )
    frame = CsvSourceDataset(str(path)).load()
    assert frame["_source_line"].tolist() == [2, 4]
    assert frame["motif"].tolist() == ["a", "b"]  # no trailing \r


def test_latin1_file_loads_with_a_warning_naming_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_lines(
        tmp_path / "latin1.csv",
        [
            CONSUMPTION_HEADER,
            consumption_row("2021-03-31T12:00:00+02:00", "84", "Auvergne-Rhône-Alpes"),
        ],
        encoding="latin-1",
    )
    with caplog.at_level(logging.WARNING):
        frame = CsvSourceDataset(str(path)).load()
    assert frame["Région"].tolist() == ["Auvergne-Rhône-Alpes"]
    assert "latin1.csv" in caplog.text and "not valid UTF-8" in caplog.text


def test_malformed_rows_are_set_aside_not_dropped(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "t.csv", ["a;b;c", "1;2;3", "4;5", "6;7;8;9", "10;11;12"], encoding="utf-8"
    )
    frame = CsvSourceDataset(str(path)).load()
    assert frame["a"].tolist() == ["1", "10"]
    assert frame["_source_line"].tolist() == [2, 5]
    bad = frame.attrs["malformed_rows"]
    assert [(m["source_line"], m["text"]) for m in bad] == [(3, "4;5"), (4, "6;7;8;9")]


def test_empty_and_missing_files_fail_with_the_file_name(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"\xef\xbb\xbf\r\n")
    with pytest.raises(SourceFileError, match=r"empty\.csv: file is empty"):
        CsvSourceDataset(str(empty)).load()
    with pytest.raises(SourceFileError, match="not found"):
        CsvSourceDataset(str(tmp_path / "absent_*.csv")).load()


def test_source_datasets_are_read_only(consumption_file: Path) -> None:
    with pytest.raises(DatasetError, match="read-only"):
        CsvSourceDataset(str(consumption_file)).save(pd.DataFrame())


def test_holidays_dataset_builds_public_and_school_rows_from_the_packages() -> None:
    import holidays

    frame = HolidaysSourceDataset(2022, 2023).load()
    public = frame[frame["nom_jour_ferie"].notna()]
    school = frame[frame["description"].notna()]

    expected_public = holidays.country_holidays("FR", years=[2022, 2023])
    assert sorted(public["date"]) == sorted(d.isoformat() for d in expected_public)
    assert set(school["zones"]) == {"Zone A", "Zone B", "Zone C"}
    # Christmas 2022-2023, zone C: first day off Saturday 17 Dec 2022, classes resume 3 Jan
    xmas = school[(school["zones"] == "Zone C") & school["description"].str.contains("Noël")]
    assert "2022-12-17T00:00:00+01:00" in xmas["start_date"].tolist()
    assert "2023-01-03T00:00:00+01:00" in xmas["end_date"].tolist()
