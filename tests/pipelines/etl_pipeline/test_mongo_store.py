"""ETL outputs into the production raw store: the MongoDB datasets of the ``prod`` catalog,
against the session's MongoDB wire-protocol server (SecantusDB in-process, or ``MONGODB_URI``),
a fresh database per test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from data_collection_kedro.datasets import MongoCollectionDataset
from data_collection_kedro.datasets.source_files import CsvSourceDataset, HolidaysSourceDataset
from data_collection_kedro.validation import parse_source
from tests.support.etl_files import CONSUMPTION_HEADER, consumption_row, write_lines
from tests.support.mongo_server import MongoDatabase
from tests.support.paths import KEDRO_PROJECT

pytestmark = pytest.mark.integration


@pytest.fixture
def prod_catalog(
    mongo_database: MongoDatabase, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The ``--env prod`` catalog, pointed at the test's server and database."""
    monkeypatch.setenv("MONGODB_URI", mongo_database.uri)
    monkeypatch.setenv("MONGODB_DATABASE", mongo_database.name)
    monkeypatch.chdir(KEDRO_PROJECT)
    bootstrap_project(KEDRO_PROJECT)
    return KedroSession.create(project_path=KEDRO_PROJECT, env="prod").load_context().catalog


def test_etl_outputs_upsert_into_mongodb_idempotently(prod_catalog: Any, tmp_path: Path) -> None:
    def store(name: str) -> MongoCollectionDataset:
        dataset: MongoCollectionDataset = prod_catalog.get(name)
        assert isinstance(dataset, MongoCollectionDataset)
        return dataset

    rows = [
        consumption_row("2021-03-31T12:00:00+02:00"),
        consumption_row("2021-03-31T12:30:00+02:00", "53", "Bretagne", "900", "2500"),
        consumption_row("2021-03-31T13:00:00+02:00", "99", "Atlantide"),
    ]
    path = write_lines(tmp_path / "conso.csv", [CONSUMPTION_HEADER, *rows])
    raw, quarantine = parse_source("consumption_regional", CsvSourceDataset(str(path)).load())
    public, school, _ = parse_source("holidays", HolidaysSourceDataset(2023, 2023).load())
    outputs = {
        "raw_consumption_regional": raw,
        "quarantine_consumption_regional": quarantine,
        "raw_public_holidays": public,
        "raw_school_holidays": school,
    }
    for run in range(2):  # the second save changes nothing
        for name, frame in outputs.items():
            dataset = store(name)
            dataset.save(frame)
            result = dataset.last_result
            assert result is not None
            assert (result.inserted, result.unchanged) == ((len(frame), 0), (0, len(frame)))[run]

    consumption = store("raw_consumption_regional").load()
    assert sorted(consumption["region_code"]) == ["11", "53"]
    assert sorted(str(t) for t in consumption["timestamp_utc"]) == [
        "2021-03-31 10:00:00+00:00",
        "2021-03-31 10:30:00+00:00",
    ]
    assert {str(d) for d in consumption["date"]} == {"2021-03-31"}
    stored_quarantine = store("quarantine_consumption_regional").load()
    assert stored_quarantine["source_line"].tolist() == [4]
    holidays = store("raw_public_holidays").load()
    assert len(holidays) == len(public) == 11
    assert "2023-07-14" in {str(d) for d in holidays["date"]}
    assert len(store("raw_school_holidays").load()) == len(school)
    for name in outputs:
        prod_catalog.release(name)


def test_prod_client_options_reach_pymongo(
    prod_catalog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """conf/prod/globals.yml ``mongodb_client``: write concern, retryable writes, read concern
    and preference of the raw store's client, which the server accepts for an upsert."""
    import pandas as pd
    import pymongo
    from pymongo.read_preferences import PrimaryPreferred

    clients: list[pymongo.MongoClient] = []
    real_client = pymongo.MongoClient

    def recording_client(*args: Any, **kwargs: Any) -> pymongo.MongoClient:
        clients.append(real_client(*args, **kwargs))
        return clients[-1]

    monkeypatch.setattr(pymongo, "MongoClient", recording_client)
    dataset = prod_catalog.get("raw_strikes")
    assert isinstance(dataset, MongoCollectionDataset)
    frame = pd.DataFrame({"strike_id": ["s1"], "start_date": [pd.Timestamp("2024-02-16").date()]})
    dataset.save(frame)
    assert dataset.last_result is not None and dataset.last_result.inserted == 1
    (client,) = clients
    assert client.write_concern.document == {"w": "majority", "j": True, "wtimeout": 60000}
    assert client.options.retry_writes is True
    assert client.read_concern.level == "majority"
    assert client.read_preference == PrimaryPreferred(max_staleness=90)
    assert len(dataset.load()) == 1
    prod_catalog.release("raw_strikes")
