"""Live Kedro datasets against a loopback portal: frames shaped like the offline files."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from kedro.io import DatasetError

from data_collection_kedro.datasets import MongoCollectionDataset
from data_collection_kedro.datasets.live_sources import (
    OpendatasoftSourceDataset,
    read_watermark,
    since_watermark,
)
from data_collection_kedro.sources.http import SchemaDriftError, SourceFormatError
from tests.support.mongo_server import MongoDatabase

from .conftest import CONSUMPTION_FIELDS, FakePortal, consumption_records

DATASET = "consommation-quotidienne-brute-regionale"
# The header of the offline file (docs/data-contracts.md §1).
CONSUMPTION_HEADER = [
    "Date - Heure",
    "Date",
    "Heure",
    "Code INSEE région",
    "Région",
    "Consommation brute gaz (MW PCS 0°C) - GRTgaz",
    "Statut - GRTgaz",
    "Consommation brute gaz (MW PCS 0°C) - Teréga",
    "Statut - Teréga",
    "Consommation brute gaz totale (MW PCS 0°C)",
    "Consommation brute électricité (MW) - RTE",
    "Statut - RTE",
    "Consommation brute totale (MW)",
]
REQUIRED = ["date_heure", "date", "code_insee_region", "consommation_brute_electricite_rte"]


def consumption_dataset(
    portal: FakePortal, fast_retry: dict, **kwargs
) -> OpendatasoftSourceDataset:
    return OpendatasoftSourceDataset(
        base_url=portal.url,
        dataset_id=DATASET,
        required_fields=REQUIRED,
        date_field="date",
        retry=fast_retry,
        timeout_s=[2, 5],
        **kwargs,
    )


def assert_source_frame(frame: pd.DataFrame, header: list[str]) -> None:
    assert list(frame.columns) == [*header, "_source_file", "_source_line"]
    for column in header:
        assert pd.api.types.is_string_dtype(frame[column]), column


def test_records_path_frame_has_the_offline_shape(portal: FakePortal, fast_retry: dict) -> None:
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=2))
    frame = consumption_dataset(portal, fast_retry).load()
    assert_source_frame(frame, CONSUMPTION_HEADER)
    assert len(frame) == 2 * 2 * 48
    first = frame.iloc[0]
    assert first["Date - Heure"] == "2024-01-01T00:00:00+01:00"
    assert first["Code INSEE région"] == "11"
    assert first["Consommation brute gaz (MW PCS 0°C) - GRTgaz"] == "1000"
    assert pd.isna(frame.iloc[1]["Consommation brute gaz (MW PCS 0°C) - GRTgaz"])  # half hour
    assert frame["_source_line"].tolist() == list(range(len(frame)))
    assert frame["_source_file"].iloc[0].startswith(f"{portal.url}/api/explore/v2.1/")
    assert len(portal.requests("/records")) == 2  # 192 records, 100 per page


def test_export_path_is_used_beyond_the_records_window(
    portal: FakePortal, fast_retry: dict
) -> None:
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=105))  # 10,080 records
    frame = consumption_dataset(portal, fast_retry).load()
    assert_source_frame(frame, CONSUMPTION_HEADER)
    assert len(frame) == 10_080
    (export,) = portal.requests("/exports/csv")
    assert export.args["use_labels"] == "true" and export.args["delimiter"] == ";"
    assert frame.iloc[0]["Date - Heure"] == "2024-01-01T00:00:00+01:00"
    assert pd.isna(frame.iloc[1]["Statut - GRTgaz"])


def test_records_and_export_paths_give_the_same_frame(portal: FakePortal, fast_retry: dict) -> None:
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=1))
    by_records = consumption_dataset(portal, fast_retry, mode="records").load()
    by_export = consumption_dataset(portal, fast_retry, mode="export").load()
    pd.testing.assert_frame_equal(
        by_records.drop(columns="_source_file"), by_export.drop(columns="_source_file")
    )


def test_truncated_export_is_an_error(portal: FakePortal, fast_retry: dict) -> None:
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=1))
    portal.truncate_pages = True
    with pytest.raises(DatasetError, match="truncated, 95 records where total_count=96") as err:
        consumption_dataset(portal, fast_retry, mode="export").load()
    assert isinstance(err.value.__cause__, SourceFormatError)


def _store_with_dates(path: Path, dates: list[str]) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE raw_consumption_regional (region_code VARCHAR, date DATE)")
        con.executemany(
            "INSERT INTO raw_consumption_regional VALUES ('11', ?)", [[d] for d in dates]
        )


def test_incremental_pull_since_the_newest_stored_date(
    portal: FakePortal, fast_retry: dict, tmp_path: Path
) -> None:
    store = tmp_path / "energiewatch.duckdb"
    _store_with_dates(store, ["2024-01-01", "2024-01-03"])
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=5))
    watermark = {"path": str(store), "table": "raw_consumption_regional", "column": "date"}
    frame = consumption_dataset(portal, fast_retry, watermark=watermark).load()
    assert portal.requests("/records")[0].args["where"] == "date >= date'2024-01-03'"
    assert sorted(frame["Date"].unique()) == ["2024-01-03", "2024-01-04", "2024-01-05"]

    portal.server.clear_log()
    consumption_dataset(portal, fast_retry, watermark=watermark, lookback_days=2).load()
    assert portal.requests("/records")[0].args["where"] == "date >= date'2024-01-01'"


def test_full_pull_when_the_table_does_not_exist(
    portal: FakePortal, fast_retry: dict, tmp_path: Path
) -> None:
    store = tmp_path / "energiewatch.duckdb"
    duckdb.connect(str(store)).close()  # a store without the table
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=2))
    watermark = {"path": str(store), "table": "raw_consumption_regional", "column": "date"}
    frame = consumption_dataset(portal, fast_retry, watermark=watermark).load()
    assert "where" not in portal.requests("/records")[0].args
    assert len(frame) == 192
    assert read_watermark({**watermark, "path": str(tmp_path / "missing.duckdb")}) is None


@pytest.mark.integration
def test_mongodb_watermark(mongo_database: MongoDatabase) -> None:
    """The newest stored day of a production raw collection, as conf/prod configures the
    watermark (``backend: mongodb, uri, database, collection, column``), on the session's
    MongoDB wire-protocol server (SecantusDB in-process, or ``MONGODB_URI``)."""
    store = MongoCollectionDataset(
        uri=mongo_database.uri,
        database=mongo_database.name,
        collection="raw_strikes",
        key="strike_id",
    )
    config = {
        "backend": "mongodb",
        "uri": mongo_database.uri,
        "database": mongo_database.name,
        "collection": "raw_strikes",
        "column": "start_date",
    }
    assert read_watermark(config) is None  # no collection yet: a full pull
    store.save(
        pd.DataFrame(
            {
                "strike_id": ["a", "b", "c"],
                "start_date": [date(2023, 3, 7), date(2024, 2, 16), None],
            }
        )
    )
    store.release()
    # the raw store keeps a date as a BSON datetime at midnight; a null is an absent field
    assert read_watermark(config) == datetime(2024, 2, 16)
    assert since_watermark(config, lookback_days=2) == date(2024, 2, 14)


def test_schema_drift_in_metadata_names_the_field(portal: FakePortal, fast_retry: dict) -> None:
    drifted = [f for f in CONSUMPTION_FIELDS if f[0] != "code_insee_region"]
    portal.add(DATASET, drifted, [])
    with pytest.raises(DatasetError) as err:
        consumption_dataset(portal, fast_retry).load()
    assert isinstance(err.value.__cause__, SchemaDriftError)
    assert "['code_insee_region'] missing" in str(err.value)
    assert DATASET in str(err.value) and "expected fields" in str(err.value)


def test_schema_drift_in_records_names_the_field(portal: FakePortal, fast_retry: dict) -> None:
    records = consumption_records(days=1)
    for rec in records:
        del rec["consommation_brute_electricite_rte"]
    portal.add(DATASET, CONSUMPTION_FIELDS, records)
    with pytest.raises(
        DatasetError, match=r"\['consommation_brute_electricite_rte'\] missing"
    ) as err:
        consumption_dataset(portal, fast_retry).load()
    assert isinstance(err.value.__cause__, SchemaDriftError)


def test_live_dataset_is_read_only(portal: FakePortal, fast_retry: dict) -> None:
    with pytest.raises(DatasetError, match="read-only"):
        consumption_dataset(portal, fast_retry).save(pd.DataFrame())  # type: ignore[arg-type]


def test_live_consumption_frame_goes_through_the_etl_parser(
    portal: FakePortal, fast_retry: dict
) -> None:
    from data_collection_kedro.validation import parse_source

    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=2))
    raw, quarantine = parse_source(
        "consumption_regional", consumption_dataset(portal, fast_retry).load()
    )
    assert quarantine.empty, quarantine.head().to_dict("records")
    assert len(raw) == 2 * 2 * 48
    assert sorted(raw["region_code"].unique()) == ["11", "84"]
    assert raw["electricity_rte_mw"].iloc[0] == 8000.0
