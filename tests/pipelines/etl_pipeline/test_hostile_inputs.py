"""Hostile but realistic files: each defect gets a quarantine row with the value, the rule and
what was expected, or a clear error naming the file; nothing good is lost (issue #13)."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from data_collection_kedro.datasets.declared_source import SourceReader
from data_collection_kedro.datasets.source_files import CsvSourceDataset, SourceFileError
from data_collection_kedro.ingestion_status import IngestionFailedError
from data_collection_kedro.sources import registry
from data_collection_kedro.validation import parse_source
from tests.support.etl_files import (
    CONSUMPTION_HEADER,
    consumption_row,
    sample_dir_with_fixture,  # noqa: F401  (fixtures)
    write_lines,
)

TODAY = {"today": "2026-03-15"}
GAS_HEADER = (
    "Date;Opérateur;Secteur d'activité;Région;"
    + ";".join(f"{h:02d}:00" for h in range(24))
    + ";Consommation journalière (MWh - PCS 0°C);Statut"
)


def gas_row(
    day: str, region: str, hourly: float = 10.0, operator: str = "GRTgaz", status: str = "Définitif"
) -> str:
    hours = ";".join(f"{hourly:g}" for _ in range(24))
    return f"{day};{operator};GRD/ELD;{region};{hours};{hourly * 24:g};{status}"


def load(path: Path | str) -> pd.DataFrame:
    return CsvSourceDataset(str(path)).load()


def parse(source: str, path: Path | str) -> tuple[pd.DataFrame, ...]:
    return parse_source(source, load(path), TODAY)


def by_line(quarantine: pd.DataFrame) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for row in quarantine.to_dict("records"):
        out.setdefault(int(row["source_line"]), []).append(row)
    return out


# --- item 2: contract-level value rules ------------------------------------------------


def test_an_implausible_consumption_is_quarantined_with_value_rule_and_range(
    tmp_path: Path,
) -> None:
    path = write_lines(
        tmp_path / "conso.csv",
        [
            CONSUMPTION_HEADER,
            consumption_row("2021-03-31T12:00:00+02:00"),
            consumption_row("2021-03-31T12:30:00+02:00", electricity="1e12"),
        ],
    )
    raw, quarantine = parse("consumption_regional", path)
    assert raw["_source_line"].tolist() == [2]
    rows = {r["field"]: r for r in by_line(quarantine)[3]}
    assert rows["electricity_rte_mw"]["reason"] == (
        "implausible consumption: electricity_rte_mw outside [0, 300000] MW"
    )
    assert rows["electricity_rte_mw"]["value"] == "1e12"
    assert rows["electricity_rte_mw"]["expected"] == "[0, 300000] MW"
    assert "total_mw" in rows  # the total built from it is out of range too


def test_a_row_dated_2099_is_outside_the_sources_date_window(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "conso.csv",
        [
            CONSUMPTION_HEADER,
            consumption_row("2021-03-31T12:00:00+02:00"),
            consumption_row("2099-01-01T12:00:00+01:00"),
            consumption_row("2011-12-31T12:00:00+01:00"),
        ],
    )
    raw, quarantine = parse("consumption_regional", path)
    assert raw["_source_line"].tolist() == [2]
    window = quarantine[quarantine["field"] == "date"]
    assert window["source_line"].tolist() == [3, 4]
    assert set(window["reason"]) == {
        "date outside the source's date window (from 2012 to today + 2 day(s))"
    }
    assert window["expected"].tolist() == ["[2012-01-01, 2026-03-17]"] * 2
    assert window["value"].tolist() == ["01/01/2099", "31/12/2011"]


def test_the_2099_row_does_not_grow_the_fusion_index(
    sample_data_dir: Path, data_dir: Path, run_pipeline: Callable[..., dict[str, Any]]
) -> None:
    """The issue's case: one 2099 row made meteo_consommation 38 times larger."""
    path = sample_data_dir / "consommation-quotidienne-brute-regionale.csv"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(consumption_row("2099-01-01T12:00:00+01:00") + "\n")
    run_pipeline("etl_pipeline", node_names=["ingest_consumption_regional"])
    with duckdb.connect(str(data_dir / "energiewatch.duckdb"), read_only=True) as con:
        newest = con.execute("select max(date) from raw_consumption_regional").fetchone()[0]
        quarantined = con.execute(
            "select value, expected from raw_quarantine where field = 'date'"
        ).fetchall()
    assert newest.year == 2023  # the small sample's last year
    assert quarantined == [("01/01/2099", quarantined[0][1])]


@pytest.mark.parametrize("token", ["N/A", "NaN", "null", "nan", "inf"])
def test_null_tokens_are_handled_one_way_whatever_the_reader(tmp_path: Path, token: str) -> None:
    """Arrow reads the clean file, the csv module the one with a malformed line: same result."""
    rows = [
        CONSUMPTION_HEADER,
        consumption_row("2021-03-31T12:00:00+02:00"),
        consumption_row("2021-03-31T12:30:00+02:00", electricity=token),
    ]
    clean = write_lines(tmp_path / "clean.csv", rows)
    mixed = write_lines(tmp_path / "mixed.csv", [*rows, "a;malformed;line"])
    results = []
    for path in (clean, mixed):
        raw, quarantine = parse("consumption_regional", path)
        assert raw["_source_line"].tolist() == [2]
        token_rows = quarantine[quarantine["source_line"] == 3]
        results.append(
            sorted(zip(token_rows["field"], token_rows["reason"], token_rows["value"], strict=True))
        )
    assert results[0] == results[1]
    assert (
        "electricity_rte_mw",
        "unparsable electricity_rte_mw: expected a number",
        token,
    ) in results[0]


def test_declared_null_tokens_become_missing_values_for_every_reader(tmp_path: Path) -> None:
    rows = [
        CONSUMPTION_HEADER,
        consumption_row("2021-03-31T12:00:00+02:00"),
        consumption_row("2021-03-31T12:30:00+02:00", electricity="N/A"),
    ]
    for path in (
        write_lines(tmp_path / "clean.csv", rows),
        write_lines(tmp_path / "mixed.csv", [*rows, "x;y"]),
    ):
        raw, _ = parse_source("consumption_regional", load(path), {**TODAY, "null_tokens": ["N/A"]})
        assert raw["_source_line"].tolist() == [2, 3]
        assert raw["electricity_rte_mw"].isna().tolist() == [False, True]


def test_nul_and_control_characters_are_refused_not_stored(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "conso.csv",
        [
            CONSUMPTION_HEADER,
            consumption_row("2021-03-31T12:00:00+02:00"),
            consumption_row("2021-03-31T12:30:00+02:00", region="Île-de-\x00France"),
            consumption_row("2021-03-31T13:00:00+02:00").replace("Consolidé", "Conso\x1blidé"),
        ],
    )
    raw, quarantine = parse("consumption_regional", path)
    assert raw["_source_line"].tolist() == [2]
    assert not raw.map(lambda v: isinstance(v, str) and "\x00" in v).any().any()
    control = quarantine[quarantine["reason"].str.startswith("control character")]
    assert control[["source_line", "field", "value"]].values.tolist() == [
        [3, "region", "Île-de-\\x00France"],
        [4, "electricity_rte_status", "Conso\\x1blidé"],
    ]
    assert "\\u0000" in control["record"].iloc[0]  # the raw row, escaped in its JSON


def test_a_region_name_contradicting_its_insee_code_is_quarantined(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "conso.csv",
        [
            CONSUMPTION_HEADER,
            consumption_row("2021-03-31T12:00:00+02:00", "53", "bretagne"),
            consumption_row("2021-03-31T12:00:00+02:00", "11", "Bretagne"),
        ],
    )
    raw, quarantine = parse("consumption_regional", path)
    assert raw["region_code"].tolist() == ["53"]
    assert quarantine[["source_line", "field", "value"]].values.tolist() == [
        [3, "region", "Bretagne"]
    ]
    assert quarantine["reason"].iloc[0] == "region does not match region_code (INSEE region code)"


# --- item 3: truncation and format detection --------------------------------------------


def _cut(tmp_path: Path, last: str) -> Path:
    rows = [CONSUMPTION_HEADER] + [  # totals from 8038.0 to 8888.0 MW
        consumption_row(
            f"2021-03-31T{h:02d}:{m:02d}:00+02:00", electricity=str(3000 + 50 * h + m * 10)
        )
        for h in range(10, 16)
        for m in (0, 30)
    ]
    path = tmp_path / "cut.csv"
    path.write_bytes(("\n".join(rows) + "\n" + last).encode("utf-8"))  # no final line end
    return path


def test_a_file_cut_inside_its_last_field_is_quarantined(tmp_path: Path) -> None:
    complete = consumption_row("2021-03-31T18:00:00+02:00", gas="4538", electricity="4379")
    assert complete.endswith(";8917.0")
    raw, quarantine = parse("consumption_regional", _cut(tmp_path, complete[: -len("17.0")]))
    assert len(raw) == 12  # every complete line kept
    (row,) = quarantine.to_dict("records")
    assert row["source_line"] == 14 and row["field"] == "total_mw"
    assert row["reason"].startswith("incomplete last line: no line end after it")
    assert row["expected"] == "a complete value like the other lines' (this one: '89')"


def test_a_complete_last_line_without_line_end_is_kept(tmp_path: Path) -> None:
    complete = consumption_row("2021-03-31T18:00:00+02:00", gas="4538", electricity="4379")
    raw, quarantine = parse("consumption_regional", _cut(tmp_path, complete))
    assert len(raw) == 13 and quarantine.empty
    assert raw["total_mw"].iloc[-1] == 8917.0


def test_a_line_cut_before_its_last_fields_is_a_malformed_incomplete_line(tmp_path: Path) -> None:
    complete = consumption_row("2021-03-31T18:00:00+02:00")
    raw, quarantine = parse("consumption_regional", _cut(tmp_path, complete[:30]))
    assert len(raw) == 12
    assert quarantine["reason"].tolist() == [
        "malformed row: incomplete last line (no line end after it, file cut?): "
        "expected 13 fields, found 2"
    ]


def test_a_header_only_file_warns_and_records_it(
    sample_dir_with: Callable[[str, list[str]], Path],
    data_dir: Path,
    run_pipeline: Callable[..., dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sample_dir_with(
        "mouvements-sociaux-depuis-2002.csv",
        ["date_de_debut;date_de_fin;motif;organisations_syndicales"],
    )
    run_pipeline("etl_pipeline", node_names=["ingest_strikes"])
    assert "mouvements-sociaux-depuis-2002.csv: header only, no records" in caplog.text
    with duckdb.connect(str(data_dir / "energiewatch.duckdb"), read_only=True) as con:
        status = con.execute(
            "select status, warnings, rows_read from ingestion_status where source = 'strikes'"
        ).fetchone()
        stored = con.execute("select count(*) from raw_strikes").fetchone()[0]
    assert status[0] == "warning" and "header only" in status[1] and status[2] == 0
    assert stored == 0


def test_compressed_or_binary_content_is_named(tmp_path: Path) -> None:
    text = "\n".join([CONSUMPTION_HEADER, consumption_row()]).encode()
    gz = tmp_path / "conso.csv"
    gz.write_bytes(gzip.compress(text))
    with pytest.raises(SourceFileError, match=r"conso\.csv: gzip-compressed, not a CSV text file"):
        list(SourceReader(CsvSourceDataset(str(gz))).frames())
    binary = tmp_path / "blob.csv"
    binary.write_bytes(os.urandom(64).replace(b"\n", b"x") + b"\n" + text)
    with pytest.raises(SourceFileError, match=r"blob\.csv: .*control bytes in the header line"):
        list(SourceReader(CsvSourceDataset(str(binary))).frames())


# --- item 4: natural keys and precedence between files ----------------------------------


def test_two_spellings_of_one_key_are_stored_once(
    sample_dir_with: Callable[[str, list[str]], Path],
    data_dir: Path,
    run_pipeline: Callable[..., dict[str, Any]],
) -> None:
    base = "courbe-de-charge-eldgrd-regional-grtgaz-terega"
    sample_dir_with(f"{base}-a.csv", [GAS_HEADER, gas_row("2021-01-04", "auvergne-rhône-alpes")])
    sample_dir_with(
        f"{base}-b.csv",
        [GAS_HEADER, gas_row("2021-01-04", "Auvergne-Rhône-Alpes", operator="NaTran")],
    )
    run_pipeline("etl_pipeline", node_names=["ingest_gas_load_curve"])
    with duckdb.connect(str(data_dir / "energiewatch.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select date, operator, sector, region_code from raw_gas_load_curve"
        ).fetchall()
    assert [r[1:] for r in rows] == [("GRTgaz", "GRD/ELD", "84")]


def _two_files(tmp_path: Path, first: str, second: str, newer: str) -> Path:
    folder = tmp_path / "gas"
    a = write_lines(folder / "part-a.csv", [GAS_HEADER, first])
    b = write_lines(folder / "part-b.csv", [GAS_HEADER, second])
    older = b if newer == "a" else a
    os.utime(older, ns=(1_700_000_000 * 10**9, 1_700_000_000 * 10**9))
    return folder / "part-*.csv"


def test_between_conflicting_files_the_newer_file_wins_and_both_values_are_reported(
    tmp_path: Path,
) -> None:
    first = gas_row("2021-01-04", "Bretagne", hourly=10.0)
    second = gas_row("2021-01-04", "bretagne", hourly=12.5)
    for newer, kept, lost in (("a", 240.0, "part-b.csv"), ("b", 300.0, "part-a.csv")):
        raw, quarantine = parse("gas_load_curve", _two_files(tmp_path, first, second, newer))
        assert raw["daily_mwh"].tolist() == [kept]
        (row,) = quarantine.to_dict("records")
        assert row["source_file"] == lost
        assert row["reason"].startswith("duplicate key (date, operator, sector, region_code)")
        winner = "part-a.csv" if lost == "part-b.csv" else "part-b.csv"
        assert row["expected"].startswith(f"kept {winner} line 2: ")
        assert f"daily_mwh={kept:g}" in row["expected"].replace(".0", "")
        assert f"daily_mwh={sum([240.0, 300.0]) - kept:g}" in row["value"].replace(".0", "")


def test_a_more_final_status_wins_over_a_newer_file(tmp_path: Path) -> None:
    definitive = gas_row("2021-01-04", "Bretagne", hourly=10.0, status="Définitif")
    provisional = gas_row("2021-01-04", "Bretagne", hourly=12.5, status="Provisoire")
    raw, quarantine = parse(
        "gas_load_curve", _two_files(tmp_path, definitive, provisional, newer="b")
    )
    assert raw["status"].tolist() == ["Définitif"]
    assert quarantine["source_file"].tolist() == ["part-b.csv"]


# --- item 5: one failing source does not stop the others ----------------------------------


def test_an_empty_consumption_file_does_not_stop_the_healthy_sources(
    sample_data_dir: Path, data_dir: Path, run_pipeline: Callable[..., dict[str, Any]]
) -> None:
    (sample_data_dir / "consommation-quotidienne-brute-regionale.csv").write_bytes(b"")
    with pytest.raises(IngestionFailedError) as failure:
        run_pipeline("etl_pipeline")
    message = str(failure.value)
    assert message.startswith("1 source(s) not ingested: consumption_regional (SourceFileError: ")
    assert "consommation-quotidienne-brute-regionale.csv: file is empty" in message
    with duckdb.connect(str(data_dir / "energiewatch.duckdb"), read_only=True) as con:
        statuses = dict(con.execute("select source, status from ingestion_status").fetchall())
        counts = {
            table: con.execute(f"select count(*) from {table}").fetchone()[0]
            for table in (
                "raw_consumption_regional",
                "raw_gas_load_curve",
                "raw_weather_regional",
                "raw_weather_historique",
                "raw_fuel_prices",
                "raw_fuel_stations",
                "raw_strikes",
                "raw_public_holidays",
            )
        }
        recorded = con.execute(
            "select source, source_line, reason from raw_quarantine where source_line = 0"
        ).fetchall()
    assert statuses.pop("consumption_regional") == "failed"
    healthy = len(registry.sources()) - 1  # seven when the issue was written, nine now
    assert set(statuses.values()) == {"ok"} and len(statuses) == healthy
    assert f"{healthy} other source(s) of this run ingested" in message
    assert counts.pop("raw_consumption_regional") == 0
    assert all(count > 0 for count in counts.values()), counts
    assert recorded[0][:2] == ("consumption_regional", 0)
    assert "file is empty" in recorded[0][2]


def test_the_airflow_task_of_the_failed_source_fails(
    sample_dir_with: Callable[[str, list[str]], Path],
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each DAG task runs one node: it fails for its own source."""
    import sys

    from tests.support.paths import REPO_ROOT

    monkeypatch.syspath_prepend(str(REPO_ROOT / "dags"))
    from energiewatch_airflow.kedro_runner import run_kedro

    path = sample_dir_with("mouvements-sociaux-depuis-2002.csv", [])
    path.write_bytes(gzip.compress(b"date_de_debut;date_de_fin;motif\n2020-01-01;;x\n"))
    monkeypatch.setenv("KEDRO_ENV", "base")
    with pytest.raises(IngestionFailedError, match=r"strikes \(SourceFileError: .*gzip-compressed"):
        run_kedro("etl_pipeline", node_names=["ingest_strikes"])
    assert "energiewatch_airflow" in sys.modules
    with duckdb.connect(str(data_dir / "energiewatch.duckdb"), read_only=True) as con:
        status, error = con.execute("select status, error from ingestion_status").fetchone()
    assert status == "failed" and "gzip-compressed" in error


def test_a_rerun_changes_no_quarantine_row(
    sample_dir_with: Callable[[str, list[str]], Path],
    data_dir: Path,
    run_pipeline: Callable[..., dict[str, Any]],
) -> None:
    sample_dir_with(
        "consommation-quotidienne-brute-regionale.csv",
        [CONSUMPTION_HEADER, consumption_row(), consumption_row(electricity="1e12")],
    )
    snapshots = []
    for _ in range(2):
        run_pipeline("etl_pipeline", node_names=["ingest_consumption_regional"])
        with duckdb.connect(str(data_dir / "energiewatch.duckdb"), read_only=True) as con:
            # as text: DuckDB's Python conversion of TIMESTAMPTZ needs pytz, not installed
            rows = con.execute("select columns(*)::varchar from raw_quarantine order by all")
            snapshots.append(rows.fetchall())
    assert len(snapshots[0]) == 2 and snapshots[0] == snapshots[1]  # quarantined_at kept
