"""The ``consumption_national`` source: the sample file against the real export, validation,
the real file through the declaration, and the live Opendatasoft client on a loopback portal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data_collection_kedro.datasets.live_sources import OpendatasoftSourceDataset
from data_collection_kedro.datasets.source_files import CsvSourceDataset
from data_collection_kedro.sample_data import generate
from data_collection_kedro.validation import parse_source
from tests.support.opendatasoft_portal import NATIONAL_FIELDS
from tests.support.paths import requires_real_data

from .conftest import FakePortal

FILE = "consommation-quotidienne-brute.csv"
REAL_FILE = ("A", "national", "consommation-quotidienne-brute_national_2012-2025.csv")
GAS = "Consommation brute gaz (MW PCS 0°C)"
HEADER = (
    f"Date - Heure;Date;Heure;{GAS} - NaTran;Statut - NaTran;{GAS} - Teréga;Statut - Teréga;"
    "Consommation brute gaz totale (MW PCS 0°C);Consommation brute électricité (MW) - RTE;"
    "Statut - RTE;Consommation brute totale (MW);flag_ignore"
)
REGIONAL = "consommation-quotidienne-brute-regionale.csv"
TINY = {"fuel_stations": 5, "fuel_price_rows": 50, "seed": 5}
REQUIRED = [
    "date_heure",
    "date",
    "heure",
    "consommation_brute_gaz_totale",
    "consommation_brute_electricite_rte",
]


def national_records(days: int) -> list[dict]:
    """Half-hourly national records (gas on the full hour) for ``days`` days from 2024-01-01,
    instants in UTC like the export."""
    out = []
    for instant in pd.date_range(
        pd.Timestamp("2024-01-01", tz="Europe/Paris"), periods=days * 48, freq="30min"
    ):
        gas = 40_000 + instant.day if instant.minute == 0 else None
        out.append(
            {
                "date_heure": instant.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                "date": instant.strftime("%Y-%m-%d"),
                "heure": instant.strftime("%H:%M"),
                "consommation_brute_gaz_grtgaz": None if gas is None else gas - 2_000,
                "statut_grtgaz": None if gas is None else "Définitif",
                "consommation_brute_gaz_terega": None if gas is None else 2_000,
                "statut_terega": None if gas is None else "Définitif",
                "consommation_brute_gaz_totale": gas,
                "consommation_brute_electricite_rte": 60_000 + instant.hour,
                "statut_rte": "Consolidé",
                "consommation_brute_totale": None if gas is None else gas + 60_000 + instant.hour,
                "flag_ignore": "non",
            }
        )
    return out


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("national")
    generate(out, start="2022-03-20", end="2022-04-05", regions=["11", "75", "94"], **TINY)
    return out


def test_the_sample_file_has_the_real_export_layout(sample: Path) -> None:
    raw = (sample / FILE).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == HEADER
    assert {line.count(";") for line in lines[1:]} == {HEADER.count(";")}
    rows = pd.read_csv(sample / FILE, sep=";", dtype=str, encoding="utf-8-sig")
    instants = pd.to_datetime(rows["Date - Heure"], utc=True)
    assert rows["Date - Heure"].str.endswith("+00:00").all()
    assert instants.is_monotonic_decreasing  # newest first
    local = instants.dt.tz_convert("Europe/Paris")
    assert (local.dt.strftime("%d/%m/%Y") == rows["Date"]).all()
    assert (local.dt.strftime("%H:%M") == rows["Heure"]).all()
    assert rows.loc[local.dt.minute == 30, f"{GAS} - NaTran"].isna().all()  # gas on the hour
    assert set(rows["flag_ignore"]) == {"non"}


def test_the_sample_header_is_the_real_exports(sample: Path) -> None:
    real_file = requires_real_data(*REAL_FILE)
    real = real_file.read_bytes()[:2000].decode("utf-8-sig").splitlines()[0]
    assert real == (sample / FILE).read_bytes().decode("utf-8-sig").splitlines()[0]


def test_the_sample_nation_is_the_sum_of_its_regions(sample: Path) -> None:
    national = pd.read_csv(sample / FILE, sep=";", encoding="utf-8-sig")
    regional = pd.read_csv(sample / REGIONAL, sep=";", encoding="utf-8-sig")
    regional["instant"] = pd.to_datetime(regional["Date - Heure"], utc=True)
    national["instant"] = pd.to_datetime(national["Date - Heure"], utc=True)
    sums = regional.groupby("instant")[
        [
            "Consommation brute électricité (MW) - RTE",
            f"{GAS} - GRTgaz",
            f"{GAS} - Teréga",
        ]
    ].sum(min_count=1)
    merged = national.set_index("instant").join(sums, suffixes=("", "_regions"))
    assert len(merged) == len(sums) == 17 * 48 - 2  # 17 days, the spring DST night lacks 1 h
    np.testing.assert_array_equal(
        merged["Consommation brute électricité (MW) - RTE"],
        merged["Consommation brute électricité (MW) - RTE_regions"],
    )
    np.testing.assert_array_equal(merged[f"{GAS} - NaTran"], merged[f"{GAS} - GRTgaz"])
    np.testing.assert_array_equal(merged[f"{GAS} - Teréga"], merged[f"{GAS} - Teréga_regions"])
    total = merged[f"{GAS} - NaTran"].fillna(0) + merged[f"{GAS} - Teréga"].fillna(0)
    on_the_hour = merged.index.minute == 0
    np.testing.assert_array_equal(
        merged.loc[on_the_hour, "Consommation brute gaz totale (MW PCS 0°C)"], total[on_the_hour]
    )


def test_the_sample_file_is_ingested_without_quarantine(sample: Path) -> None:
    frame = CsvSourceDataset(filepath=str(sample / FILE)).load()
    table, quarantine = parse_source("consumption_national", frame)
    assert quarantine.empty and len(table) == len(frame)
    assert str(table["timestamp_utc"].dtype).startswith("timestamp[us, tz=UTC]") or (
        pd.api.types.is_datetime64_any_dtype(table["timestamp_utc"])
    )
    assert table["gas_total_mw"].notna().sum() == len(table) // 2  # full hours only


def test_bad_rows_are_quarantined_with_their_reason(sample: Path) -> None:
    frame = CsvSourceDataset(filepath=str(sample / FILE)).load().head(6).copy()
    frame.loc[1, "Consommation brute électricité (MW) - RTE"] = "-5"
    frame.loc[2, "Date - Heure"] = "2022-04-05T22:30"  # no offset: not an instant
    frame.loc[3, "Heure"] = "02:00"  # not the local time of its instant
    when = ["Date - Heure", "Date", "Heure"]
    frame.loc[5, when] = frame.loc[4, when].to_numpy()  # the same instant twice
    table, quarantine = parse_source("consumption_national", frame)
    assert len(table) == 2
    reasons = dict(zip(quarantine["source_line"], quarantine["reason"], strict=True))
    assert reasons[3] == "implausible consumption: electricity_rte_mw outside [0, 300000] MW"
    assert reasons[4].startswith("unparsable timestamp_utc")
    assert reasons[5].startswith("Date/Heure is not the Paris local time of Date - Heure")
    assert reasons[7].startswith("duplicate key (timestamp_utc)")


def test_the_real_export_loads_through_the_declaration() -> None:
    """The real export's defects: on each spring-forward day two filler rows at 02:00 and 02:30
    (local times that do not exist) repeat the instants of 03:00 and 03:30; three midnights
    are sent twice with other values."""
    frame = CsvSourceDataset(filepath=str(requires_real_data(*REAL_FILE))).load()
    table, quarantine = parse_source("consumption_national", frame)
    reasons = quarantine.groupby("reason").size().to_dict()
    assert reasons == {
        "Date/Heure is not the Paris local time of Date - Heure (a time the spring-forward "
        "night does not have, or a shifted row)": 2 * 14,  # springs 2012..2025
        "duplicate key (timestamp_utc): the batch has a preferred row for it (more final status, newer file, or earlier line)": 3,
    }
    assert len(table) == 242_544 - 31
    assert str(table["timestamp_utc"].min())[:19] == "2011-12-31 23:00:00"  # 00:00 in Paris
    spring = table[table["timestamp_utc"].astype(str).str.startswith("2025-03-30 01:")]
    assert spring["time"].tolist() == ["03:30", "03:00"]  # the real rows are kept
    assert spring["electricity_rte_mw"].tolist() == [46387.0, 48391.0]


def test_the_live_client_yields_the_offline_frame(portal: FakePortal, fast_retry: dict) -> None:
    portal.add("consommation-quotidienne-brute", NATIONAL_FIELDS, national_records(days=2))
    dataset = OpendatasoftSourceDataset(
        base_url=portal.url,
        dataset_id="consommation-quotidienne-brute",
        required_fields=REQUIRED,
        date_field="date",
        retry=fast_retry,
    )
    frame = dataset.load()
    assert list(frame.columns)[:-2] == HEADER.split(";")
    table, quarantine = parse_source("consumption_national", frame)
    assert quarantine.empty and len(table) == 96
    assert table["electricity_rte_mw"].iloc[0] == 60_000
    assert table["gas_total_mw"].notna().sum() == 48


def test_the_real_environment_reads_the_shared_national_export(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    from tests.support.paths import KEDRO_PROJECT

    real_file = requires_real_data(*REAL_FILE)
    monkeypatch.chdir(KEDRO_PROJECT)
    monkeypatch.setenv("ENERGIEWATCH_REAL_DATA_DIR", str(real_file.parents[2]))
    bootstrap_project(KEDRO_PROJECT)
    catalog = KedroSession.create(project_path=KEDRO_PROJECT, env="real").load_context().catalog
    dataset = catalog.get("source_consumption_national")
    assert isinstance(dataset.dataset, CsvSourceDataset)  # wrapped like the base factory's
    pattern = dataset._describe()["filepath"]
    assert pattern.endswith("A/national/consommation-quotidienne-brute_national_*.csv")
    assert len(dataset.load().frame()) == 242_544
