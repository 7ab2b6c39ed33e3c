"""Bad inputs: file-level problems fail with a clear message; bad rows go to quarantine with a
reason and their line while the good rows are kept."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from data_collection_kedro.datasets.source_files import CsvSourceDataset, SourceFileError
from data_collection_kedro.validation import MissingColumnError, parse_source
from tests.support.etl_files import (
    CONSUMPTION_HEADER,
    consumption_row,
    sample_dir_with_fixture,  # noqa: F401  (fixtures)
    write_lines,
)

GOOD = consumption_row("2021-03-31T12:00:00+02:00")
BAD_ROWS = {
    "unparsable date": consumption_row("31/03/2021 12h30"),
    "negative consumption": consumption_row("2021-03-31T13:00:00+02:00", electricity="-7031"),
    "unknown region": consumption_row("2021-03-31T13:00:00+02:00", "99", "Atlantide"),
    "duplicate": consumption_row("2021-03-31T12:00:00+02:00", electricity="7777"),
    "unparsable number": consumption_row("2021-03-31T14:00:00+02:00", gas="4 5 3 8"),
}


def load(path: Path, **kwargs: Any) -> pd.DataFrame:
    return CsvSourceDataset(str(path), **kwargs).load()


def reasons_by_line(quarantine: pd.DataFrame) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for line, reason in zip(quarantine["source_line"], quarantine["reason"], strict=True):
        out.setdefault(int(line), []).append(reason)
    return out


def test_row_level_defects_are_quarantined_and_good_rows_kept(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "conso.csv", [CONSUMPTION_HEADER, GOOD, *BAD_ROWS.values()])

    raw, quarantine = parse_source("consumption_regional", load(path))

    assert raw["_source_line"].tolist() == [2]
    assert raw.loc[0, "electricity_rte_mw"] == 7031.0
    assert raw.loc[0, "timestamp_utc"] == pd.Timestamp("2021-03-31T10:00:00Z")
    by_line = reasons_by_line(quarantine)
    assert sorted(by_line) == [3, 4, 5, 6, 7]
    assert any("unparsable datetime_local" in r for r in by_line[3])
    assert "implausible consumption: electricity_rte_mw outside [0, 300000] MW" in by_line[4]
    assert any("unknown region" in r for r in by_line[5])
    assert any("duplicate key (region_code, timestamp_utc)" in r for r in by_line[6])
    assert any("unparsable gas_grtgaz_mw: expected a number" in r for r in by_line[7])
    record = json.loads(quarantine.loc[quarantine["source_line"] == 5, "record"].iloc[0])
    assert record["Région"] == "Atlantide"  # the raw row, with the source's labels
    assert set(quarantine["source"]) == {"consumption_regional"}
    assert set(quarantine["source_file"]) == {"conso.csv"}


def test_missing_required_column_fails_naming_file_column_and_header(tmp_path: Path) -> None:
    header = CONSUMPTION_HEADER.replace(";Code INSEE région", "")
    row = GOOD.replace(";11;", ";", 1)
    path = write_lines(tmp_path / "no-code.csv", [header, row])

    with pytest.raises(MissingColumnError) as error:
        parse_source("consumption_regional", load(path))
    message = str(error.value)
    assert "no-code.csv" in message
    assert "'Code INSEE région'" in message
    assert "expected header: 'Date - Heure;Date;Heure;Code INSEE région;Région;" in message


def test_missing_column_in_one_file_of_a_glob_names_that_file(tmp_path: Path) -> None:
    header = "ID;Date;Code INSEE région;Région;TMin (°C);TMax (°C);TMoy (°C)"
    write_lines(tmp_path / "t1.csv", [header, "x;2021-01-01;11;Île-de-France;1;5;3"])
    write_lines(tmp_path / "t2.csv", [header.replace(";TMoy (°C)", ""), "x;2021-01-02;11;IdF;1;5"])

    with pytest.raises(MissingColumnError, match=r"'t2\.csv' has no column 'TMoy \(°C\)'"):
        parse_source("weather_regional", load(tmp_path / "t*.csv"))


def test_wrong_separator_whole_file_is_sniffed(tmp_path: Path) -> None:
    semicolon = write_lines(tmp_path / "semi.csv", [CONSUMPTION_HEADER, GOOD])
    comma = write_lines(
        tmp_path / "comma.csv", [CONSUMPTION_HEADER.replace(";", ","), GOOD.replace(";", ",")]
    )
    raw_semi, _ = parse_source("consumption_regional", load(semicolon))
    raw_comma, quarantine = parse_source("consumption_regional", load(comma))
    columns = ["timestamp_utc", "region_code", "electricity_rte_mw", "gas_total_mw"]
    pd.testing.assert_frame_equal(raw_semi[columns], raw_comma[columns])
    assert quarantine.empty


def test_wrong_separator_forced_fails_with_the_expected_header(tmp_path: Path) -> None:
    comma = write_lines(
        tmp_path / "comma.csv", [CONSUMPTION_HEADER.replace(";", ","), GOOD.replace(";", ",")]
    )
    with pytest.raises(MissingColumnError, match=r"comma\.csv.*expected header"):
        parse_source("consumption_regional", load(comma, sep=";"))


def test_rows_with_another_separator_are_quarantined(tmp_path: Path) -> None:
    other = consumption_row("2021-03-31T12:30:00+02:00").replace(";", ",")
    path = write_lines(tmp_path / "mixed.csv", [CONSUMPTION_HEADER, GOOD, other])

    raw, quarantine = parse_source("consumption_regional", load(path))

    assert raw["_source_line"].tolist() == [2]
    assert quarantine["source_line"].tolist() == [3]
    assert quarantine.loc[0, "reason"] == "malformed row: expected 13 fields, found 1"


def test_latin1_file_keeps_its_rows_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [GOOD, consumption_row("2021-03-31T12:00:00+02:00", "84", "Auvergne-Rhône-Alpes")]
    path = write_lines(tmp_path / "latin.csv", [CONSUMPTION_HEADER, *rows], encoding="latin-1")
    with caplog.at_level(logging.WARNING):
        raw, quarantine = parse_source("consumption_regional", load(path))
    assert raw["region"].tolist() == ["Île-de-France", "Auvergne-Rhône-Alpes"]
    assert raw["region_code"].tolist() == ["11", "84"]
    assert quarantine.empty
    assert "latin.csv is not valid UTF-8" in caplog.text


def test_empty_file_is_a_file_level_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(SourceFileError, match="empty.csv: file is empty"):
        load(path)


def test_header_only_file_gives_no_rows_and_no_quarantine(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "header.csv", [CONSUMPTION_HEADER])
    raw, quarantine = parse_source("consumption_regional", load(path))
    assert raw.empty and quarantine.empty


def test_other_sources_quarantine_their_own_defects(tmp_path: Path) -> None:
    hours = ",".join(f"{h:02d}:00" for h in range(24))
    gas_header = f"date,opérateur,secteur_d'activité,région,{hours},consommation_journalière_(mwh_-_pcs_0°c),statut"
    values = ",".join(["10"] * 24)
    gas = write_lines(
        tmp_path / "df_part1.csv",
        [
            gas_header,
            f"2020-01-01,GRTgaz,GRD/ELD,bretagne,{values},240,Définitif",
            f"2020-13-45,GRTgaz,GRD/ELD,bretagne,{values},240,Définitif",
            f"2020-01-01,GRTgaz,GRD/ELD,atlantide,{values},240,Définitif",
            f"2020-01-02,GRTgaz,GRD/ELD,bretagne,{values.replace('10', '-1', 1)},229,Définitif",
        ],
        encoding="utf-8",
    )
    raw, quarantine = parse_source("gas_load_curve", load(gas))
    assert raw["_source_line"].tolist() == [2]
    assert reasons_by_line(quarantine) == {
        3: ["unparsable date: expected a date (YYYY-MM-DD, DD/MM/YYYY, DD/MM/YY or YYYY/MM/DD)"],
        4: ["unknown region (not one of the 13 metropolitan regions)"],
        5: ["implausible consumption: h00_mwh outside [0, 300000] MWh"],
    }

    weather = write_lines(
        tmp_path / "meteo.csv",
        [
            ",TempMax_Deg,TempMin_Deg,Wind_kmh,Wet_percent,Visibility_km,CloudCoverage_percent,Dayduration_hour,region,day",
            "x,6,5,12,90,7.6,82,8:23:0,alsace,2019/01/01",
            "x,6,5,12,190,7.6,82,8:23:0,rh-ne-alpes,2019/01/01",
            "x,6,5,12,90,7.6,82,huit heures,bretagne,2019/01/01",
        ],
        encoding="utf-8",
    )
    raw, quarantine = parse_source("weather_historique", load(weather))
    assert raw["day_duration_h"].round(4).tolist() == [round(8 + 23 / 60, 4)]
    assert reasons_by_line(quarantine) == {
        3: ["humidity_pct outside [0, 100] %"],
        4: ["unparsable day duration: expected H:M:S or minutes"],
    }

    strikes = write_lines(
        tmp_path / "greves.csv",
        [
            "date_de_debut;date_de_fin;motif;organisations_syndicales;metiers_cibles;population;nombre_grevistes;taux_grevistes",
            "2020-01-01;;Retraites;CGT;;;;12.5",
            "2020-01-05;2020-01-03;Salaires;SUD;;;;",
            "2020-01-01;;Retraites;CGT;;;;12.5",
        ],
        eol="\r\n",
    )
    raw, quarantine = parse_source("strikes", load(strikes))
    assert raw["strike_id"].str.len().tolist() == [16]
    assert raw.loc[0, "end_date"] is None or pd.isna(raw.loc[0, "end_date"])
    assert {line: r[0][:20] for line, r in reasons_by_line(quarantine).items()} == {
        3: "end_date before star",
        4: "duplicate key (strik",
    }


def test_bad_rows_reach_raw_quarantine_through_kedro(
    sample_dir_with: Callable[[str, list[str]], Path],
    data_dir: Path,
    run_pipeline: Callable[..., dict[str, Any]],
) -> None:
    sample_dir_with(
        "consommation-quotidienne-brute-regionale.csv",
        [CONSUMPTION_HEADER, GOOD, *BAD_ROWS.values()],
    )
    for _ in range(2):  # idempotent: the second run changes nothing
        run_pipeline("etl_pipeline", node_names=["ingest_consumption_regional"])

    with duckdb.connect(str(data_dir / "energiewatch.duckdb"), read_only=True) as con:
        kept = con.execute("SELECT _source_line FROM raw_consumption_regional").fetchall()
        quarantined = con.execute(
            "SELECT source, source_file, source_line, reason FROM raw_quarantine ORDER BY 3"
        ).fetchall()
    assert kept == [(2,)]
    assert sorted({q[2] for q in quarantined}) == [3, 4, 5, 6, 7]
    assert {q[:2] for q in quarantined} == {
        ("consumption_regional", "consommation-quotidienne-brute-regionale.csv")
    }
    assert (4, "implausible consumption: electricity_rte_mw outside [0, 300000] MW") in {
        q[2:] for q in quarantined
    }


def test_missing_column_fails_the_kedro_run_with_the_file_name(
    sample_dir_with: Callable[[str, list[str]], Path],
    run_pipeline: Callable[..., dict[str, Any]],
) -> None:
    sample_dir_with(
        "temperature-quotidienne-regionale.csv", ["ID;Date;Région", "x;2021-01-01;Bretagne"]
    )
    with pytest.raises(
        Exception, match=r"temperature-quotidienne-regionale\.csv.*Code INSEE région"
    ):
        run_pipeline("etl_pipeline", node_names=["ingest_weather_regional"])
