"""One contract for every raw store backend behind the Kedro datasets.

Backends:
- ``duckdb``: the embedded store, a DuckDB file in a tmp dir;
- ``mongodb``: a MongoDB wire-protocol server (``tests/support/mongo_server.py``): SecantusDB
  in-process, or the server of ``MONGODB_URI``; a fresh database per test.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from kedro.io import AbstractDataset, DatasetError

from data_collection_kedro.datasets import DuckDBTableDataset, MongoCollectionDataset
from tests.support.mongo_server import MongoDatabase
from tests.support.store_frames import make_prices

KEY = ["station_id", "fuel", "updated_at"]

StoreFactory = Callable[..., AbstractDataset]


class Backend:
    """Builds datasets of one backend and inspects the backend directly."""

    name = ""

    def make(self, table: str, **kwargs: Any) -> AbstractDataset:
        raise NotImplementedError

    def key_indexed(self, dataset: AbstractDataset, key: list[str]) -> bool:
        raise NotImplementedError

    def indexed(self, dataset: AbstractDataset, fields: list[str]) -> bool:
        """Whether a (non-unique) index on exactly ``fields``, in that order, exists."""
        raise NotImplementedError

    def count(self, dataset: AbstractDataset) -> int:
        raise NotImplementedError


class DuckDBBackend(Backend):
    name = "duckdb"

    def __init__(self, tmp_path: Path) -> None:
        self.database = tmp_path / "store" / "energiewatch.duckdb"

    def make(self, table: str, **kwargs: Any) -> AbstractDataset:
        return DuckDBTableDataset(database=str(self.database), table=table, **kwargs)

    def _indexes(self, dataset: AbstractDataset) -> list[tuple[bool, str]]:
        """(unique, "[field, ...]") of each index of the dataset's table."""
        import duckdb

        table = dataset._describe()["table"]
        with duckdb.connect(str(self.database), read_only=True) as con:
            rows = con.execute(
                "SELECT is_unique, expressions FROM duckdb_indexes() WHERE table_name = ?",
                [table],
            ).fetchall()
        return [(bool(unique), expr.replace('"', "")) for unique, expr in rows]

    def key_indexed(self, dataset: AbstractDataset, key: list[str]) -> bool:
        return (True, "[" + ", ".join(key) + "]") in self._indexes(dataset)

    def indexed(self, dataset: AbstractDataset, fields: list[str]) -> bool:
        return (False, "[" + ", ".join(fields) + "]") in self._indexes(dataset)

    def count(self, dataset: AbstractDataset) -> int:
        import duckdb

        table = dataset._describe()["table"]
        with duckdb.connect(str(self.database), read_only=True) as con:
            row = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        assert row is not None
        return int(row[0])


class MongoBackend(Backend):
    """A fresh database of the session's MongoDB server."""

    name = "mongodb"

    def __init__(self, uri: str, database: str) -> None:
        self.uri = uri
        self.database = database
        self.datasets: list[MongoCollectionDataset] = []
        self._client: Any = None

    def make(self, table: str, **kwargs: Any) -> AbstractDataset:
        ds = MongoCollectionDataset(
            uri=self.uri, database=self.database, collection=table, **kwargs
        )
        self.datasets.append(ds)
        return ds

    def _collection(self, dataset: AbstractDataset) -> Any:
        import pymongo

        if self._client is None:
            self._client = pymongo.MongoClient(self.uri)
        return self._client[self.database][dataset._describe()["collection"]]

    def _indexes(self, dataset: AbstractDataset) -> list[tuple[bool, list[str]]]:
        """(unique, fields) of each index of the dataset's collection."""
        info = self._collection(dataset).index_information()
        return [(bool(ix.get("unique")), [field for field, _ in ix["key"]]) for ix in info.values()]

    def key_indexed(self, dataset: AbstractDataset, key: list[str]) -> bool:
        return (True, key) in self._indexes(dataset)

    def indexed(self, dataset: AbstractDataset, fields: list[str]) -> bool:
        return (False, fields) in self._indexes(dataset)

    def count(self, dataset: AbstractDataset) -> int:
        return int(self._collection(dataset).count_documents({}))

    def release(self) -> None:
        for ds in self.datasets:
            ds.release()
        if self._client is not None:
            self._client.close()


BACKENDS: list[Any] = ["duckdb", pytest.param("mongodb", marks=pytest.mark.integration)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "duckdb":
        yield DuckDBBackend(tmp_path)
        return
    database: MongoDatabase = request.getfixturevalue("mongo_database")
    mongo = MongoBackend(database.uri, database.name)
    yield mongo
    mongo.release()


def table_name() -> str:
    return f"raw_fuel_prices_{uuid.uuid4().hex[:8]}"


def sort(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEY).reset_index(drop=True)


# ------------------------------------------------------------------------------------- tests
def test_round_trip_keeps_values_and_dtypes(backend: Backend, prices: pd.DataFrame) -> None:
    ds = backend.make(table_name(), key=KEY)
    assert not ds.exists()
    ds.save(prices)
    assert ds.exists()
    loaded = sort(ds.load())
    assert list(loaded.columns) == list(prices.columns)
    expected_dtypes = {
        "station_id": "str",
        "fuel": "str",
        "updated_at": "datetime64[us]",
        "day": "object",
        "price_eur_l": "float64",
        "fuel_id": "Int64",
        "is_open": "boolean",
        "ingested_utc": "datetime64[us, UTC]",
        "city": "str",
    }
    assert {c: str(t) for c, t in loaded.dtypes.items()} == expected_dtypes
    pd.testing.assert_frame_equal(loaded, sort(prices))
    null_row = loaded.loc[loaded["updated_at"] == prices.loc[3, "updated_at"]].iloc[0]
    assert null_row["day"] is None
    assert pd.isna(null_row["price_eur_l"]) and null_row["fuel_id"] is pd.NA
    assert null_row["is_open"] is pd.NA and pd.isna(null_row["city"])


def test_upsert_is_idempotent(backend: Backend, prices: pd.DataFrame) -> None:
    ds = backend.make(table_name(), key=KEY)
    ds.save(prices)
    first = ds.last_result
    assert (first.inserted, first.updated, first.unchanged) == (10, 0, 0)
    ds.save(prices)
    second = ds.last_result
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 10)
    assert backend.count(ds) == 10
    pd.testing.assert_frame_equal(sort(ds.load()), sort(prices))


def test_upsert_updates_changed_rows_and_inserts_new(
    backend: Backend, prices: pd.DataFrame
) -> None:
    ds = backend.make(table_name(), key=KEY)
    ds.save(prices)
    changed = pd.concat([prices.iloc[:6], make_prices(3, start=10)], ignore_index=True)
    changed.loc[[0, 1], "price_eur_l"] = [2.5, 2.6]
    ds.save(changed)
    res = ds.last_result
    assert (res.inserted, res.updated, res.unchanged) == (3, 2, 4)
    loaded = sort(ds.load())
    assert len(loaded) == 13
    by_time = loaded.set_index("updated_at")["price_eur_l"]
    assert by_time[prices.loc[0, "updated_at"]] == 2.5
    assert by_time[prices.loc[1, "updated_at"]] == 2.6
    # Rows absent from the second save are kept as they were.
    assert by_time[prices.loc[9, "updated_at"]] == prices.loc[9, "price_eur_l"]


def test_batches_smaller_than_the_frame(backend: Backend, caplog: pytest.LogCaptureFixture) -> None:
    frame = make_prices(25)
    ds = backend.make(table_name(), key=KEY, batch_size=7)
    with caplog.at_level(logging.INFO):
        ds.save(frame)
    assert ds.last_result.batches == 4
    batch_lines = [r.getMessage() for r in caplog.records if "batch " in r.getMessage()]
    assert len(batch_lines) == 4 and "25/25 rows" in batch_lines[-1]
    update = make_prices(25)
    update["price_eur_l"] += 1.0
    ds.save(pd.concat([update, make_prices(5, start=25)], ignore_index=True))
    res = ds.last_result
    assert (res.inserted, res.updated, res.unchanged, res.batches) == (5, 25, 0, 5)
    assert backend.count(ds) == 30
    stored = ds.load().set_index("updated_at")["price_eur_l"]
    assert stored.loc[update["updated_at"]].tolist() == update["price_eur_l"].tolist()


def test_duplicate_and_null_keys_inside_one_save(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    frame = make_prices(5)
    dup = frame.iloc[[2]].copy()
    dup["price_eur_l"] = 9.99
    null_key = frame.iloc[[4]].copy()
    null_key["station_id"] = None
    ds = backend.make(table_name(), key=KEY, batch_size=2)
    with caplog.at_level(logging.WARNING):
        ds.save(pd.concat([frame, dup, null_key], ignore_index=True))
    res = ds.last_result
    assert (res.dropped_duplicates, res.dropped_null_keys, res.inserted) == (1, 1, 5)
    assert any("1 duplicate key row(s)" in r.getMessage() for r in caplog.records)
    loaded = ds.load().set_index("updated_at")
    assert len(loaded) == 5
    assert loaded.loc[frame.loc[2, "updated_at"], "price_eur_l"] == 9.99  # last one kept


def test_key_index_exists_after_first_save(backend: Backend, prices: pd.DataFrame) -> None:
    ds = backend.make(table_name(), key=KEY)
    ds.save(prices)
    assert backend.key_indexed(ds, KEY)
    ds.save(make_prices(3, start=20))  # the upsert path keeps it
    assert backend.key_indexed(ds, KEY)


def test_declared_indexes_exist_after_first_save(backend: Backend, prices: pd.DataFrame) -> None:
    ds = backend.make(table_name(), key=KEY, indexes=[["fuel"], [KEY[0], "updated_at"]])
    ds.save(prices)
    assert backend.indexed(ds, ["fuel"])
    assert backend.indexed(ds, [KEY[0], "updated_at"])
    assert not backend.indexed(ds, ["updated_at"])  # only what was declared
    ds.save(make_prices(3, start=20))  # the upsert path keeps them
    assert backend.indexed(ds, ["fuel"]) and backend.key_indexed(ds, KEY)


def test_load_filters(backend: Backend) -> None:
    frame = make_prices(12)
    table = table_name()
    backend.make(table, key=KEY).save(frame)
    if backend.name == "duckdb":
        where: Any = "fuel = 'SP95' AND price_eur_l >= 1.704"
    else:
        where = {"fuel": "SP95", "price_eur_l": {"$gte": 1.704}}
    ds = backend.make(
        table,
        key=KEY,
        load_args={
            "columns": ["updated_at", "price_eur_l"],
            "where": where,
            "order_by": ["updated_at"],
        },
    )
    loaded = ds.load()
    expected = frame.loc[(frame["fuel"] == "SP95") & (frame["price_eur_l"] >= 1.704)]
    assert list(loaded.columns) == ["updated_at", "price_eur_l"]
    assert loaded["updated_at"].tolist() == expected["updated_at"].tolist()
    assert len(loaded) == 4


def test_new_columns_are_added(backend: Backend, prices: pd.DataFrame) -> None:
    ds = backend.make(table_name(), key=KEY)
    ds.save(prices.drop(columns=["city"]))
    ds.save(prices.iloc[:4])
    loaded = sort(ds.load())
    assert "city" in loaded.columns
    assert loaded["city"].notna().sum() == prices["city"].iloc[:4].notna().sum() == 3
    # Row 3 has no city: equal to the stored (absent) value, so unchanged.
    assert (ds.last_result.updated, ds.last_result.unchanged) == (3, 1)


def test_ingested_at_is_written_on_insert_only(backend: Backend) -> None:
    first_seen = pd.Timestamp("2024-01-01", tz="UTC")
    ds = backend.make(table_name(), key=KEY)
    ds.save(make_prices(3).assign(_ingested_at=first_seen))
    again = make_prices(3).assign(_ingested_at=pd.Timestamp("2024-02-01", tz="UTC"))
    ds.save(again)
    assert ds.last_result.unchanged == 3  # a new ingestion time alone is no change
    again.loc[0, "price_eur_l"] = 3.0
    ds.save(again)
    assert (ds.last_result.updated, ds.last_result.unchanged) == (1, 2)
    loaded = sort(ds.load())
    assert (loaded["_ingested_at"] == first_seen).all()
    assert (
        loaded.loc[loaded["updated_at"] == again.loc[0, "updated_at"], "price_eur_l"].item() == 3.0
    )


def test_column_first_saved_empty_takes_the_later_type(backend: Backend) -> None:
    ds = backend.make(table_name(), key=KEY)
    first = make_prices(3).assign(end_at=None, strikers=pd.array([1, 2, 3], dtype="Int64"))
    ds.save(first)
    later = make_prices(3, start=3).assign(
        end_at=pd.Timestamp("2024-05-01 10:00"), strikers=[1.5, 2.0, None]
    )
    ds.save(later)
    loaded = (
        ds.load().set_index("updated_at").loc[pd.concat([first["updated_at"], later["updated_at"]])]
    )
    assert str(loaded["end_at"].dtype) == "datetime64[us]"
    assert loaded["end_at"].iloc[3:].tolist() == [pd.Timestamp("2024-05-01 10:00")] * 3
    assert loaded["end_at"].iloc[:3].isna().all()
    assert loaded["strikers"].dtype == "float64"
    assert loaded["strikers"].tolist()[:5] == [1.0, 2.0, 3.0, 1.5, 2.0]
    assert backend.key_indexed(ds, KEY)


def test_frame_of_key_columns_only(backend: Backend) -> None:
    ds = backend.make(table_name(), key=["station_id"])
    stations = pd.DataFrame({"station_id": ["75000100", "75000101"]})
    ds.save(stations)
    ds.save(pd.DataFrame({"station_id": ["75000101", "75000102"]}))
    res = ds.last_result
    assert (res.inserted, res.unchanged) == (1, 1)
    assert sorted(ds.load()["station_id"]) == ["75000100", "75000101", "75000102"]


def test_load_of_a_never_saved_table_is_a_clear_error(backend: Backend) -> None:
    ds = backend.make(table_name(), key=KEY)
    assert not ds.exists()
    with pytest.raises(DatasetError, match="does not exist"):
        ds.load()
