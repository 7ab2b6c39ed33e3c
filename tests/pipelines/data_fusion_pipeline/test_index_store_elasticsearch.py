"""Fusion indices written through the prod catalog's Elasticsearch entries.

No Elasticsearch server runs here: the real ``elasticsearch`` client talks to the loopback ES 9
stand-in of the store tests (``tests/support/fake_elasticsearch.py``). The ``integration``
variant does the same save/re-save/load against a real server when ``ELASTICSEARCH_URL`` is set.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

import pandas as pd
import pytest
from kedro.io import DataCatalog
from pytest_httpserver import HTTPServer

from data_collection_kedro.domain.fuel import daily_fuel_price_index
from data_collection_kedro.domain.fusion_window import IndexRows
from tests.support.fake_elasticsearch import FakeElasticsearch
from tests.support.fusion_frames import catalog_config


def _fuel_index(fusion_params: dict[str, Any]) -> pd.DataFrame:
    stations = pd.DataFrame(
        {
            "station_id": ["s1", "s2", "s3"],
            "postcode": ["35000", "35400", "13001"],
            "latitude": [48.1, 48.6, 43.3],
            "longitude": [-1.7, -2.0, 5.4],
        }
    )
    prices = pd.DataFrame(
        {
            "station_id": ["s1", "s2", "s3", "s1"],
            "fuel": ["Gazole", "Gazole", "E10", "Gazole"],
            "updated_at": pd.to_datetime(
                ["2023-11-01 08:00", "2023-11-01 09:00", "2023-11-01 10:00", "2023-11-02 08:00"]
            ),
            "price_eur_l": [1.80, 1.90, 1.85, 1.70],
        }
    )
    index, _ = daily_fuel_price_index(stations, prices, pd.DataFrame(), fusion_params)
    return index


def _dataset(url: str, alias: str = "prix_carburants_journalier") -> Any:
    entry = {**catalog_config("prod")["prix_carburants_journalier"], "hosts": url, "index": alias}
    return DataCatalog.from_config({"fuel": entry}).get("fuel")


@pytest.fixture
def fake_es(httpserver: HTTPServer) -> FakeElasticsearch:
    fake = FakeElasticsearch()
    httpserver.expect_request(re.compile(r"/.*")).respond_with_handler(fake)
    return fake


def test_fuel_index_goes_to_elasticsearch_with_mappings_geo_point_and_stable_ids(
    httpserver: HTTPServer, fake_es: FakeElasticsearch, data_dir, fusion_params
):
    index = _fuel_index(fusion_params)
    dataset = _dataset(httpserver.url_for("/"))
    dataset.save(index)
    (create,) = fake_es.calls("PUT", r"/prix_carburants_journalier-\d{8}t\d{12}")
    properties = create.json()["mappings"]["properties"]
    assert properties["day"] == {"type": "date"}
    assert properties["department_code"] == {"type": "keyword"}
    assert properties["price_median_eur_l"] == {"type": "float"}
    assert properties["location"] == {"type": "geo_point"}
    bulks = fake_es.calls("POST", r"/_bulk") + fake_es.calls("PUT", r"/_bulk")
    lines = [line for bulk in bulks for line in bulk.ndjson()]
    headers, sources = lines[::2], lines[1::2]
    assert len(sources) == len(index) == 4  # 35/Gazole and 13/E10 on 1 and 2 November
    ille = next(s for s in sources if s["department_code"] == "35" and s["day"] == "2023-11-02")
    assert ille["location"] == {"lat": 48.35, "lon": -1.85}
    assert ille["price_min_eur_l"] == 1.70 and ille["station_count"] == 2

    dataset.save(index)  # re-run: same documents, same ids, in a new version behind the alias
    again = fake_es.calls("POST", r"/_bulk") + fake_es.calls("PUT", r"/_bulk")
    all_ids = [line["index"]["_id"] for bulk in again for line in bulk.ndjson()[::2]]
    first_ids = [h["index"]["_id"] for h in headers]
    assert sorted(all_ids[len(first_ids) :]) == sorted(first_ids)
    assert len(set(first_ids)) == 4
    loaded = dataset.load()
    assert len(loaded) == 4
    assert sorted(loaded["price_median_eur_l"].round(3)) == sorted(
        index["price_median_eur_l"].round(3)
    )


def test_incremental_rows_upsert_their_days_and_delete_the_days_documents_they_lack(
    httpserver: HTTPServer, fake_es: FakeElasticsearch, data_dir, fusion_params
):
    """An incremental fusion run writes the days from ``since`` into the version behind the
    alias: same ids updated, new ones added, the days' documents it lacks deleted, the earlier
    days untouched; no new version."""
    index = _fuel_index(fusion_params)
    dataset = _dataset(httpserver.url_for("/"))
    dataset.save(IndexRows(index))  # a full run: the versioned save
    (version,) = fake_es.aliases["prix_carburants_journalier"]
    day = pd.Timestamp("2023-11-02").date()
    window = index[index["day"] == day]
    changed = window[window["department_code"] == "35"].assign(price_min_eur_l=1.6)
    new_day = changed.assign(day=pd.Timestamp("2023-11-03").date())
    dataset.save(IndexRows(pd.concat([changed, new_day]), since=day))

    assert fake_es.aliases["prix_carburants_journalier"] == {version}
    assert len(fake_es.calls("PUT", r"/prix_carburants_journalier-\d{8}t\d{12}")) == 1
    loaded = dataset.load()
    rows = {(str(r.day), r.department_code): r.price_min_eur_l for r in loaded.itertuples()}
    assert rows == {
        ("2023-11-01", "35"): 1.80,
        ("2023-11-01", "13"): 1.85,
        ("2023-11-02", "35"): 1.6,  # upserted
        ("2023-11-03", "35"): 1.6,  # added
    }  # 13/E10 on 2 November is gone: the incremental rows of that day lack it
    assert dataset.last_result.extra["deleted"] == 1


@pytest.mark.integration
def test_fuel_index_on_a_real_elasticsearch_server(data_dir, fusion_params):
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip(
            "ELASTICSEARCH_URL is not set: no Elasticsearch server here "
            "(the loopback test covers the client boundary)"
        )
    from elasticsearch import Elasticsearch

    alias = f"energiewatch_test_fusion_{uuid.uuid4().hex[:8]}"
    try:
        index = _fuel_index(fusion_params)
        dataset = _dataset(url, alias)
        dataset.save(index)
        dataset.save(index)
        loaded = dataset.load()
        assert len(loaded) == len(index)
        mapping = Elasticsearch(url).indices.get_mapping(index=alias)
        (properties,) = [m["mappings"]["properties"] for m in mapping.body.values()]
        assert properties["location"]["type"] == "geo_point"
        assert properties["day"]["type"] == "date"
    finally:
        Elasticsearch(url).indices.delete(index=f"{alias}-*", allow_no_indices=True)
