"""``MongoRawTablesDigestDataset``: rows, newest ``_updated_at`` and values digest per raw table
and day of the MongoDB raw store, against the session's MongoDB wire-protocol server
(SecantusDB in-process, or ``MONGODB_URI``), a fresh database per test. The raw collections are
written as the ETL writes them (``DeclaredTableDataset`` on ``MongoCollectionDataset``).

The digest is computed from a cursor on the client: SecantusDB has no hash operator for a
server-side aggregation (nor has MongoDB one that a ``$group`` can fold), so no server-side
variant exists to test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from kedro.io import DatasetError

from data_collection_kedro.datasets import (
    DeclaredTableDataset,
    MongoRawTablesDigestDataset,
    RawTablesDigestDataset,
)
from data_collection_kedro.domain.fusion_window import DIGEST_COLUMNS
from tests.support.mongo_server import MongoDatabase

pytestmark = pytest.mark.integration

MONGO = "data_collection_kedro.datasets.MongoCollectionDataset"
DUCKDB = "data_collection_kedro.datasets.DuckDBTableDataset"


def _prices(values: list[float], source: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "station_id": ["s1", "s1", "s2"],
            "fuel": ["Gazole"] * 3,
            "updated_at": pd.to_datetime(
                ["2024-01-01 08:00", "2024-01-02 08:00", "2024-01-02 09:00"], utc=True
            ),
            "price_eur_l": values,
            "_source_file": [source] * 3,
            "_source_line": [1, 2, 3],
        }
    )


def _by_day(digest: pd.DataFrame) -> pd.DataFrame:
    """The digest indexed by (table, day as text; "" for no day)."""
    days = [str(d) if isinstance(d, dt.date) else "" for d in digest["day"]]
    return digest.assign(day=days).set_index(["table", "day"])


@pytest.fixture
def store(mongo_database: MongoDatabase) -> Iterator[Any]:
    """``store(table, frame)`` saves into the test's database as the ETL does; ``.digest()``
    loads the digest indexed by (table, day)."""

    class Store:
        settings = {"uri": mongo_database.uri, "database": mongo_database.name}

        def save(self, table: str, frame: pd.DataFrame) -> None:
            dataset = DeclaredTableDataset(table, MONGO, **self.settings)  # type: ignore[abstract]
            dataset.save(frame)
            dataset.release()

        def dataset(self, **kwargs: Any) -> MongoRawTablesDigestDataset:
            return MongoRawTablesDigestDataset(**self.settings, batch_size=2, **kwargs)

        def digest(self) -> pd.DataFrame:
            dataset = self.dataset()
            try:
                frame = dataset.load()
            finally:
                dataset.release()
            assert list(frame.columns) == DIGEST_COLUMNS
            return _by_day(frame)

    yield Store()


def test_a_change_moves_exactly_its_days_digest(store: Any, mongo_database: MongoDatabase) -> None:
    assert store.dataset().load().empty  # no raw collection yet
    assert not store.dataset().exists()
    store.save("raw_fuel_prices", _prices([1.8, 1.9, 2.0], "history.csv"))
    first = store.digest()
    assert first["rows"].to_dict() == {
        ("raw_fuel_prices", "2024-01-01"): 1,
        ("raw_fuel_prices", "2024-01-02"): 2,
    }
    assert first["updated_at"].isna().all()  # the MongoDB store keeps no _updated_at
    assert store.dataset().exists()

    # the same values from another file (bookkeeping fields rewritten): nothing moves
    store.save("raw_fuel_prices", _prices([1.8, 1.9, 2.0], "snapshot.zip"))
    assert store.digest()["content"].to_dict() == first["content"].to_dict()

    # one corrected price on 2 January: that day only
    store.save("raw_fuel_prices", _prices([1.8, 1.95, 2.0], "snapshot.zip"))
    corrected = store.digest()
    assert corrected["rows"].to_dict() == first["rows"].to_dict()
    changed = corrected["content"] != first["content"]
    assert changed[changed].index.tolist() == [("raw_fuel_prices", "2024-01-02")]

    # an added row on 3 January: a new day, the others as they were
    added = _prices([1.8, 1.95, 2.0], "snapshot.zip").iloc[:1]
    added = added.assign(updated_at=pd.Timestamp("2024-01-03 07:00", tz="UTC"), price_eur_l=1.7)
    store.save("raw_fuel_prices", added)
    grown = store.digest()
    assert grown.loc[("raw_fuel_prices", "2024-01-03"), "rows"] == 1
    assert grown["content"].drop(("raw_fuel_prices", "2024-01-03")).equals(corrected["content"])

    # a deleted row of 2 January: that day's rows and digest only
    with mongo_database.server.client() as client:
        client[mongo_database.name]["raw_fuel_prices"].delete_one({"station_id": "s2"})
    shrunk = store.digest()
    assert shrunk.loc[("raw_fuel_prices", "2024-01-02"), "rows"] == 1
    changed = shrunk["content"] != grown["content"]
    assert changed[changed].index.tolist() == [("raw_fuel_prices", "2024-01-02")]
    # the digest of a day is the XOR of its documents' hashes: back to the values of before
    store.save("raw_fuel_prices", _prices([1.8, 1.95, 2.0], "again.csv"))
    assert store.digest()["content"].to_dict() == grown["content"].to_dict()


def test_days_and_rows_are_those_of_the_duckdb_store(store: Any, tmp_path: Path) -> None:
    """The same rows in both stores: the same (table, day) rows — a UTC instant counts on its
    UTC day (23:30 UTC stays on its day, 1969 too), a date on itself, a document without a day
    and a table without days on a null day; a table absent from the store is not listed."""
    stamps = ["2024-01-01 23:30", "2024-01-02 00:00", "2024-01-02 00:30", "1969-12-31 23:30"]
    frames = {
        "raw_consumption_national": pd.DataFrame(
            {"timestamp_utc": pd.to_datetime(stamps, utc=True), "consumption_mw": [1.0] * 4}
        ),
        "raw_strikes": pd.DataFrame(
            {
                "strike_id": ["a", "b", "c"],
                "start_date": [dt.date(2023, 5, 1), None, dt.date(2023, 5, 1)],
                "sector": ["energie", "transport", "energie"],
            }
        ),
        "raw_fuel_stations": pd.DataFrame(
            {"station_id": ["s1", "s2"], "postcode": ["35000", "13001"]}
        ),
    }
    database = tmp_path / "store.duckdb"
    for table, frame in frames.items():
        store.save(table, frame)
        embedded = DeclaredTableDataset(table, DUCKDB, database=str(database))  # type: ignore[abstract]
        embedded.save(frame)
    mongo = store.digest()
    duckdb = _by_day(RawTablesDigestDataset(database=str(database)).load())
    assert mongo["rows"].to_dict() == duckdb["rows"].to_dict()
    assert list(mongo.index) == list(duckdb.index)  # the same order: table, day, no day last
    assert mongo["rows"].to_dict() == {
        ("raw_consumption_national", "1969-12-31"): 1,
        ("raw_consumption_national", "2024-01-01"): 1,
        ("raw_consumption_national", "2024-01-02"): 2,
        ("raw_fuel_stations", ""): 2,
        ("raw_strikes", "2023-05-01"): 2,
        ("raw_strikes", ""): 1,
    }
    assert "raw_fuel_prices" not in mongo.index.get_level_values("table")


def test_read_only_and_described_without_credentials(mongo_database: MongoDatabase) -> None:
    dataset = MongoRawTablesDigestDataset(
        database=mongo_database.name,
        uri=mongo_database.uri,
        credentials={"username": "u", "password": "secret-value"},
    )
    with pytest.raises(DatasetError, match="read-only"):
        dataset.save(pd.DataFrame())  # type: ignore[arg-type]
    assert "secret-value" not in str(dataset._describe())
    with pytest.raises(DatasetError, match="batch_size"):
        MongoRawTablesDigestDataset(database="x", batch_size=0)
