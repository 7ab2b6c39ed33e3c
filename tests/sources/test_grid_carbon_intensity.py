"""The grid-intensity source (RTE eco2mix national ``Taux de CO2``): the sample file against
the real export, bad rows quarantined with their reason, the live client against a loopback
portal, the real exports read without loss."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data_collection_kedro.datasets.live_sources import OpendatasoftSourceDataset
from data_collection_kedro.datasets.source_files import CsvSourceDataset
from data_collection_kedro.sample_data.grid_intensity import ECO2MIX_COLUMNS
from data_collection_kedro.sources import registry
from data_collection_kedro.validation import parse_source
from tests.support.paths import requires_real_data

from .conftest import ECO2MIX_FIELDS, FakePortal, eco2mix_records

SAMPLE_FILE = "eco2mix-national-tr.csv"
REAL_TR = ("F", "eco2mix_national_tr_samples")


def _sample(small_sample_dir: Path) -> pd.DataFrame:
    return CsvSourceDataset(str(small_sample_dir / SAMPLE_FILE)).load()


def test_sample_file_has_the_real_exports_header(small_sample_dir: Path) -> None:
    header = (small_sample_dir / SAMPLE_FILE).read_text(encoding="utf-8").splitlines()[0]
    assert header.split(";") == ECO2MIX_COLUMNS
    real = requires_real_data(*REAL_TR, "Mathis-GrSsT", SAMPLE_FILE)
    assert header == real.read_text(encoding="utf-8").splitlines()[0]


def test_sample_rows_parse_into_quarter_hours_without_quarantine(small_sample_dir: Path) -> None:
    raw, quarantine = parse_source("grid_carbon_intensity", _sample(small_sample_dir))
    assert quarantine.empty, quarantine.head().to_dict("records")
    stamps = raw["timestamp_utc"].sort_values()
    assert stamps.is_unique
    assert set(stamps.diff().dropna()) == {pd.Timedelta(minutes=15)}  # no gap, UTC (no DST jump)
    values = raw["carbon_intensity_g_per_kwh"]
    assert 5 <= values.min() < values.max() <= 150


def test_bad_rows_are_quarantined_with_their_reason(small_sample_dir: Path) -> None:
    frame = _sample(small_sample_dir).head(6).copy()
    frame.loc[frame.index[0], "Taux de CO2 (g/kWh)"] = "-4"
    frame.loc[frame.index[1], "Date - Heure"] = "hier soir"
    frame.loc[frame.index[2], "Taux de CO2 (g/kWh)"] = pd.NA  # not published yet: kept, empty
    raw, quarantine = parse_source("grid_carbon_intensity", frame)
    assert len(raw) == 4 and raw["carbon_intensity_g_per_kwh"].isna().sum() == 1
    reasons = dict(zip(quarantine["field"], quarantine["reason"], strict=True))
    assert "outside [0, 1000] g/kWh" in reasons["carbon_intensity_g_per_kwh"]
    assert "timestamp_utc" in reasons
    assert set(quarantine["source_line"].astype(int)) == set(frame["_source_line"].iloc[:2])


def test_live_client_reads_eco2mix_national_from_the_portal(
    portal: FakePortal, fast_retry: dict
) -> None:
    records = eco2mix_records(days=1, published=90)
    portal.add("eco2mix-national-tr", ECO2MIX_FIELDS, records)
    args = dict(registry.source("grid_carbon_intensity").live.args)  # type: ignore[union-attr]
    dataset = OpendatasoftSourceDataset(
        base_url=portal.url,
        dataset_id="eco2mix-national-tr",
        columns=args["columns"],
        required_fields=args["required_fields"],
        date_field=args["date_field"],
        retry=fast_retry,
        timeout_s=[2, 5],
    )
    raw, quarantine = parse_source("grid_carbon_intensity", dataset.load())
    assert quarantine.empty
    assert len(raw) == 96
    first = raw.sort_values("timestamp_utc").iloc[0]
    assert first["timestamp_utc"] == pd.Timestamp("2023-12-31T23:00:00Z")
    assert first["carbon_intensity_g_per_kwh"] == 40.0
    assert raw["carbon_intensity_g_per_kwh"].isna().sum() == 6


@pytest.mark.parametrize("repository", ["Mathis-GrSsT", "Zineb106"])
def test_real_exports_labels_and_api_names_are_read_without_loss(repository: str) -> None:
    path = requires_real_data(*REAL_TR, repository, SAMPLE_FILE)
    frame = CsvSourceDataset(str(path)).load()
    raw, quarantine = parse_source("grid_carbon_intensity", frame)
    assert quarantine.empty
    assert len(raw) == len(frame)
    values = raw["carbon_intensity_g_per_kwh"].dropna()
    assert values.min() >= 20 and values.max() <= 120  # December 2021 - January 2022
