"""MongoDB-specific behaviour of ``MongoCollectionDataset``.

mongomock stands in for a MongoDB server, which cannot run in this environment; the shared
contract (``test_store_contract.py``) also runs against a real server when ``MONGODB_URI`` is set.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pymongo
import pytest
from kedro.io import DataCatalog, DatasetError

from data_collection_kedro.datasets import MongoCollectionDataset
from data_collection_kedro.datasets.mongo import SCHEMA_COLLECTION
from tests.support.store_frames import make_prices

URI = "mongodb://localhost:27017"
KEY = ["station_id", "fuel", "updated_at"]

pytestmark = pytest.mark.usefixtures("mongomock_server")


def raw(collection: str, database: str = "ew") -> pymongo.collection.Collection:
    return pymongo.MongoClient(URI)[database][collection]


def test_documents_are_bson_safe_and_have_no_nan() -> None:
    frame = make_prices(3)
    frame.loc[1, ["price_eur_l", "fuel_id", "city"]] = None
    frame["count_np"] = np.array([1, 2, 3], dtype=np.int32)
    ds = MongoCollectionDataset(database="ew", collection="raw_fuel_prices", key=KEY, uri=URI)
    ds.save(frame)
    docs = list(raw("raw_fuel_prices").find({}, sort=[("updated_at", 1)]))
    assert isinstance(docs[0]["day"], dt.datetime)  # date -> datetime for BSON
    assert type(docs[0]["count_np"]) is int and type(docs[0]["price_eur_l"]) is float
    assert "price_eur_l" not in docs[1] and "city" not in docs[1]  # nulls are absent fields
    loaded = ds.load()
    assert "_id" not in loaded.columns
    assert loaded["day"].iloc[0] == frame["day"].iloc[0]  # back to datetime.date
    assert str(loaded["count_np"].dtype) == "Int64"


def test_column_types_are_recorded_for_loads() -> None:
    ds = MongoCollectionDataset(database="ew", collection="raw_weather_regional", key=KEY, uri=URI)
    ds.save(make_prices(2))
    ds.save(make_prices(2).assign(tmean_c=[1.5, 2.5]))
    doc = raw(SCHEMA_COLLECTION).find_one({"_id": "raw_weather_regional"})
    assert doc is not None
    columns = dict(doc["columns"])
    assert columns["day"] == "date32[day]" and columns["ingested_utc"] == "timestamp[us, tz=UTC]"
    assert list(columns)[-1] == "tmean_c"


def test_collection_written_elsewhere_loads_with_inferred_types() -> None:
    raw("legacy").insert_many(
        [{"station_id": "1", "price_eur_l": 1.5}, {"station_id": "2", "price_eur_l": 1.6}]
    )
    ds = MongoCollectionDataset(database="ew", collection="legacy", key="station_id", uri=URI)
    assert ds.exists()
    loaded = ds.load()
    assert loaded["station_id"].tolist() == ["1", "2"]
    assert loaded["price_eur_l"].tolist() == [1.5, 1.6]


def test_credentials_are_used_but_never_described(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}
    real_client = pymongo.MongoClient

    def client(uri: str, **kwargs: object) -> pymongo.MongoClient:
        seen.update(kwargs, uri=uri)
        return real_client(URI)

    monkeypatch.setattr(pymongo, "MongoClient", client)
    monkeypatch.setenv("MONGODB_URI", URI)
    ds = MongoCollectionDataset(
        database="ew",
        collection="raw_strikes",
        key="strike_id",
        credentials={"username": "energie", "password": "s3cret", "authSource": "admin"},
    )
    ds.save(pd.DataFrame({"strike_id": ["a1"], "reason": ["salaires"]}))
    assert seen["username"] == "energie" and seen["password"] == "s3cret"
    assert seen["uri"] == URI  # taken from MONGODB_URI
    assert "s3cret" not in repr(ds) and "s3cret" not in str(ds._describe())


def test_catalog_entry_builds_the_dataset() -> None:
    catalog = DataCatalog.from_config(
        {
            "raw_fuel_prices": {
                "type": "data_collection_kedro.datasets.MongoCollectionDataset",
                "uri": URI,
                "database": "ew",
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


def test_invalid_arguments_are_rejected() -> None:
    with pytest.raises(DatasetError, match="key is needed"):
        MongoCollectionDataset(database="ew", collection="c", key=[], uri=URI)
    with pytest.raises(DatasetError, match="unknown load_args"):
        MongoCollectionDataset(
            database="ew", collection="c", key="k", uri=URI, load_args={"sql": 1}
        )


def test_write_errors_name_the_failing_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # mongomock runs no server-side validators: the server's BulkWriteError (same shape as
    # a real one) is raised by a stand-in for ``bulk_write``.
    from pymongo.errors import BulkWriteError

    ds = MongoCollectionDataset(database="ew", collection="raw_strikes", key="strike_id", uri=URI)

    def failing_bulk_write(self: object, operations: list, ordered: bool = True) -> None:
        raise BulkWriteError(
            {"writeErrors": [{"index": 1, "code": 121, "errmsg": "Document failed validation"}]}
        )

    monkeypatch.setattr(
        "mongomock.collection.Collection.bulk_write", failing_bulk_write, raising=True
    )
    with pytest.raises(
        DatasetError, match=r"1 document\(s\).*'strike_id': 'b2'.*failed validation"
    ):
        ds.save(pd.DataFrame({"strike_id": ["a1", "b2"], "reason": ["x", "y"]}))
