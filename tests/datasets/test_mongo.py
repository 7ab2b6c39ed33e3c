"""MongoDB-specific behaviour of ``MongoCollectionDataset``, against the session's MongoDB
wire-protocol server (SecantusDB in-process, or ``MONGODB_URI``; tests/support/mongo_server.py),
a fresh database per test. The shared contract with the DuckDB store is
``test_store_contract.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pymongo
import pytest
from kedro.io import DataCatalog, DatasetError

from data_collection_kedro.datasets import MongoCollectionDataset
from data_collection_kedro.datasets.mongo import SCHEMA_COLLECTION
from tests.support.mongo_server import MongoDatabase
from tests.support.store_frames import make_prices

KEY = ["station_id", "fuel", "updated_at"]
Database = pymongo.database.Database
Make = Callable[..., MongoCollectionDataset]

pytestmark = pytest.mark.integration


@pytest.fixture
def db(mongo_database: MongoDatabase) -> Iterator[Database]:
    """The test's database, through a client of its own (to inspect what the dataset wrote)."""
    with mongo_database.server.client() as client:
        yield client[mongo_database.name]


@pytest.fixture
def make(mongo_database: MongoDatabase) -> Iterator[Callable[..., MongoCollectionDataset]]:
    """``MongoCollectionDataset`` of the test's database (released at the end)."""
    made: list[MongoCollectionDataset] = []

    def _make(collection: str, key: list[str] | str, **kwargs: Any) -> MongoCollectionDataset:
        kwargs.setdefault("uri", mongo_database.uri)
        ds = MongoCollectionDataset(
            database=mongo_database.name, collection=collection, key=key, **kwargs
        )
        made.append(ds)
        return ds

    yield _make
    for ds in made:
        ds.release()


def test_documents_are_bson_safe_and_have_no_nan(db: Database, make: Make) -> None:
    frame = make_prices(3)
    frame.loc[1, ["price_eur_l", "fuel_id", "city"]] = None
    frame["count_np"] = np.array([1, 2, 3], dtype=np.int32)
    ds = make("raw_fuel_prices", KEY)
    ds.save(frame)
    docs = list(db["raw_fuel_prices"].find({}, sort=[("updated_at", 1)]))
    assert isinstance(docs[0]["day"], dt.datetime)  # date -> datetime for BSON
    assert type(docs[0]["count_np"]) is int and type(docs[0]["price_eur_l"]) is float
    assert "price_eur_l" not in docs[1] and "city" not in docs[1]  # nulls are absent fields
    loaded = ds.load()
    assert "_id" not in loaded.columns
    assert loaded["day"].iloc[0] == frame["day"].iloc[0]  # back to datetime.date
    assert str(loaded["count_np"].dtype) == "Int64"


def test_column_types_are_recorded_for_loads(db: Database, make: Make) -> None:
    ds = make("raw_weather_regional", KEY)
    ds.save(make_prices(2))
    ds.save(make_prices(2).assign(tmean_c=[1.5, 2.5]))
    doc = db[SCHEMA_COLLECTION].find_one({"_id": "raw_weather_regional"})
    assert doc is not None
    columns = dict(doc["columns"])
    assert columns["day"] == "date32[day]" and columns["ingested_utc"] == "timestamp[us, tz=UTC]"
    assert list(columns)[-1] == "tmean_c"


def test_collection_written_elsewhere_loads_with_inferred_types(db: Database, make: Make) -> None:
    db["legacy"].insert_many(
        [{"station_id": "1", "price_eur_l": 1.5}, {"station_id": "2", "price_eur_l": 1.6}]
    )
    ds = make("legacy", "station_id")
    assert ds.exists()
    loaded = ds.load()
    assert loaded["station_id"].tolist() == ["1", "2"]
    assert loaded["price_eur_l"].tolist() == [1.5, 1.6]


def test_credentials_are_used_but_never_described(
    mongo_database: MongoDatabase, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Limit: the server runs without authentication, so the client that reaches it is built
    # without the credentials; the test checks what the dataset hands to MongoClient.
    seen: dict[str, object] = {}
    real_client = pymongo.MongoClient

    def client(uri: str, **kwargs: object) -> pymongo.MongoClient:
        seen.update(kwargs, uri=uri)
        return real_client(uri)

    monkeypatch.setattr(pymongo, "MongoClient", client)
    monkeypatch.setenv("MONGODB_URI", mongo_database.uri)
    ds = make(
        "raw_strikes",
        "strike_id",
        uri=None,
        credentials={"username": "energie", "password": "s3cret", "authSource": "admin"},
    )
    ds.save(pd.DataFrame({"strike_id": ["a1"], "reason": ["salaires"]}))
    assert seen["username"] == "energie" and seen["password"] == "s3cret"
    assert seen["uri"] == mongo_database.uri  # taken from MONGODB_URI
    assert "s3cret" not in repr(ds) and "s3cret" not in str(ds._describe())
    assert ds.load()["reason"].tolist() == ["salaires"]


def test_credentials_from_the_environment_stay_out_of_the_uri_and_the_description(
    mongo_database: MongoDatabase, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Limit as above: the server runs without authentication; the test checks what the
    # dataset and the raw-store watermark hand to MongoClient.
    from data_collection_kedro.datasets.live_sources import _mongodb_watermark

    seen: list[dict[str, object]] = []
    real_client = pymongo.MongoClient

    def client(uri: str, **kwargs: object) -> pymongo.MongoClient:
        seen.append({**kwargs, "uri": uri})
        return real_client(uri)

    monkeypatch.setattr(pymongo, "MongoClient", client)
    monkeypatch.setenv("MONGODB_URI", mongo_database.uri)
    monkeypatch.setenv("MONGODB_USERNAME", "energie")
    monkeypatch.setenv("MONGODB_PASSWORD", "s3cret")
    ds = make("raw_strikes", "strike_id", uri=None)
    ds.save(pd.DataFrame({"strike_id": ["a1"], "day": [dt.date(2024, 5, 2)]}))
    assert (seen[0]["username"], seen[0]["password"]) == ("energie", "s3cret")
    assert seen[0]["uri"] == mongo_database.uri
    assert "s3cret" not in repr(ds) and "s3cret" not in str(ds._describe())
    config = {"uri": mongo_database.uri, "database": mongo_database.name}
    latest = _mongodb_watermark({**config, "collection": "raw_strikes"}, "day")
    assert latest == dt.datetime(2024, 5, 2)  # BSON holds the day as a datetime
    assert (seen[-1]["username"], seen[-1]["password"]) == ("energie", "s3cret")
    # credentials given to the dataset win over the environment's
    make("raw_strikes", "strike_id", uri=None, credentials={"username": "other"}).load()
    assert seen[-1]["username"] == "other" and "password" not in seen[-1]


def test_catalog_entry_builds_the_dataset(mongo_database: MongoDatabase) -> None:
    catalog = DataCatalog.from_config(
        {
            "raw_fuel_prices": {
                "type": "data_collection_kedro.datasets.MongoCollectionDataset",
                "uri": mongo_database.uri,
                "database": mongo_database.name,
                "collection": "raw_fuel_prices",
                "key": KEY,
                "batch_size": 4,
                "load_args": {"where": {"fuel": "SP95"}, "columns": ["fuel", "price_eur_l"]},
            }
        }
    )
    catalog.save("raw_fuel_prices", make_prices(10))
    loaded = catalog.load("raw_fuel_prices")
    assert list(loaded.columns) == ["fuel", "price_eur_l"]
    assert set(loaded["fuel"]) == {"SP95"} and len(loaded) == 5
    catalog.release("raw_fuel_prices")


def test_invalid_arguments_are_rejected() -> None:
    uri = "mongodb://127.0.0.1:1"  # never contacted
    with pytest.raises(DatasetError, match="key is needed"):
        MongoCollectionDataset(database="ew", collection="c", key=[], uri=uri)
    with pytest.raises(DatasetError, match="unknown load_args"):
        MongoCollectionDataset(
            database="ew", collection="c", key="k", uri=uri, load_args={"sql": 1}
        )


def test_write_errors_name_the_failing_keys(db: Database, make: Make) -> None:
    # the server's own schema validation rejects one document of the batch (code 121)
    db.create_collection(
        "raw_strikes",
        validator={
            "$jsonSchema": {"properties": {"reason": {"bsonType": "string", "maxLength": 3}}}
        },
    )
    ds = make("raw_strikes", "strike_id")
    with pytest.raises(
        DatasetError, match=r"1 document\(s\).*'strike_id': 'b2'.*failed validation"
    ):
        ds.save(pd.DataFrame({"strike_id": ["a1", "b2"], "reason": ["x", "too long"]}))
    # unordered bulk: the valid document of the batch is written
    assert [d["strike_id"] for d in db["raw_strikes"].find()] == ["a1"]


def test_replace_mode_swaps_in_the_new_documents(
    db: Database, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mode: replace`` (the fusion state): the collection holds the last frame only, swapped
    in by a rename (no staging collection left), with the key's unique index and the frame's
    column types; a failed save leaves the previous documents in place."""
    state = make("fusion_state", ["name", "day"], mode="replace")
    first = pd.DataFrame({"name": ["t", "t", "run"], "day": ["d1", "d2", ""], "rows": [1, 2, 0]})
    state.save(first)
    state.save(first.iloc[[0, 2]].assign(rows=[5, 0], content=["x", None]))
    loaded = state.load()
    assert loaded[["name", "day", "rows"]].values.tolist() == [["run", "", 0], ["t", "d1", 5]]
    assert loaded["content"].tolist()[1] == "x"
    assert state.last_result is not None and state.last_result.extra["replaced_rows"] == 3
    assert sorted(db.list_collection_names()) == [SCHEMA_COLLECTION, "fusion_state"]
    assert "fusion_state__key" in db["fusion_state"].index_information()

    def fail(*args: Any) -> None:  # a write that fails mid-save (a lost connection...)
        raise DatasetError("batch failed to write")

    monkeypatch.setattr(state, "_write_batch", fail)
    with pytest.raises(DatasetError, match="failed to write"):
        state.save(first)
    assert sorted(db.list_collection_names()) == [SCHEMA_COLLECTION, "fusion_state"]
    assert state.load()[["name", "day", "rows"]].values.tolist() == [
        ["run", "", 0],
        ["t", "d1", 5],
    ]
    with pytest.raises(DatasetError, match="mode must be one of"):
        MongoCollectionDataset(database="ew", collection="c", key="k", mode="append")


def test_a_declared_raw_table_indexes_the_day_column_the_fusion_selects_on(
    mongo_database: MongoDatabase, db: Database
) -> None:
    """Through ``DeclaredTableDataset`` (the prod catalog's ``raw_{table}``), a raw collection
    gets, beside its unique key index, an index on the column ``RawRowsDataset`` filters days
    on (``RAW_TABLES``) and the registry's declared indexes: the incremental fusion's
    ``{day: {$gte: ...}}`` reads need not scan the collection."""
    from data_collection_kedro.datasets import DeclaredTableDataset
    from data_collection_kedro.domain.fusion_window import RAW_TABLES

    def fields(collection: str) -> list[list[str]]:
        info = db[collection].index_information()
        return sorted(
            [field for field, _ in ix["key"]] for ix in info.values() if not ix.get("unique")
        )

    settings = {"uri": mongo_database.uri, "database": mongo_database.name}
    store = "data_collection_kedro.datasets.MongoCollectionDataset"
    prices = DeclaredTableDataset("raw_fuel_prices", store, **settings)
    assert prices._describe()["indexes"] == [["updated_at"]]
    prices.save(make_prices(4))
    prices.release()
    assert RAW_TABLES["raw_fuel_prices"].day_column == "updated_at"
    assert ["updated_at"] in fields("raw_fuel_prices")

    stations = DeclaredTableDataset("raw_fuel_stations", store, **settings)  # no day column
    assert stations._describe()["indexes"] == []
    regional = DeclaredTableDataset("raw_consumption_regional", store, **settings)
    assert regional._describe()["indexes"] == [["date"], ["timestamp_utc"]]  # registry + day
