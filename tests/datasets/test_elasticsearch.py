"""Elasticsearch index dataset: mappings, bulk actions, alias swap, failures, load.

No Elasticsearch server runs in this environment: the ``loopback`` tests point the REAL
``elasticsearch`` client at a ``pytest-httpserver`` answering like an ES 9 node
(``tests/support/fake_elasticsearch.py``). The ``integration`` test runs the same save/re-save/load cycle
against a real server when ``ELASTICSEARCH_URL`` is set and is skipped otherwise.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import uuid
from collections.abc import Iterator

import pandas as pd
import pytest
from kedro.io import DatasetError
from pytest_httpserver import HTTPServer

from data_collection_kedro.datasets import ElasticsearchIndexDataset
from data_collection_kedro.datasets._store_common import key_hash
from tests.support.fake_elasticsearch import FakeElasticsearch

ID_FIELDS = ["day", "department_code", "fuel"]
MAPPINGS = {
    "day": "date",
    "department_code": "keyword",
    "fuel": "keyword",
    "region": "keyword",
    "price_median_eur_l": "float",
    "station_count": "integer",
    "has_shortage": "boolean",
    "computed_at": "date",
}


def daily_prices(n_days: int = 3) -> pd.DataFrame:
    rows = []
    for d in range(n_days):
        for dep, lat, lon in (("75", 48.8566, 2.3522), ("13", 43.2965, 5.3698)):
            for fuel in ("Gazole", "E10"):
                rows.append(
                    {
                        "day": dt.date(2024, 3, 30) + dt.timedelta(days=d),
                        "department_code": dep,
                        "fuel": fuel,
                        "region": "Île-de-France" if dep == "75" else "Provence-Alpes-Côte d'Azur",
                        "price_median_eur_l": 1.8 + d / 100,
                        "station_count": 10 + d,
                        "has_shortage": d == 1,
                        "computed_at": pd.Timestamp("2024-04-02T06:00:00Z"),
                        "latitude": lat,
                        "longitude": lon,
                    }
                )
    frame = pd.DataFrame(rows)
    frame["station_count"] = frame["station_count"].astype("Int64")
    frame["has_shortage"] = frame["has_shortage"].astype("boolean")
    return frame


@pytest.fixture
def fake_es(httpserver: HTTPServer) -> FakeElasticsearch:
    fake = FakeElasticsearch()
    httpserver.expect_request(re.compile(r"/.*")).respond_with_handler(fake)
    return fake


def make(url: str, alias: str = "prix_carburants_journalier", **kwargs: object):
    args: dict = {
        "hosts": url,
        "index": alias,
        "id_fields": ID_FIELDS,
        "mappings": MAPPINGS,
        "settings": {"number_of_shards": 1, "number_of_replicas": 0},
        "geo_points": {"location": ["latitude", "longitude"]},
        "chunk_size": 5,
    }
    args.update(kwargs)
    return ElasticsearchIndexDataset(**args)


def test_save_creates_a_version_with_mappings_bulk_and_alias(
    httpserver: HTTPServer, fake_es: FakeElasticsearch
) -> None:
    ds = make(httpserver.url_for("/"))
    assert not ds.exists()
    frame = daily_prices()
    ds.save(frame)

    (create,) = fake_es.calls("PUT", r"/prix_carburants_journalier-\d{8}t\d{12}")
    version = create.path.strip("/")
    body = create.json()
    props = body["mappings"]["properties"]
    assert props["day"] == {"type": "date"} and props["fuel"] == {"type": "keyword"}
    assert props["price_median_eur_l"] == {"type": "float"}
    assert props["location"] == {"type": "geo_point"}
    assert body["settings"] == {"number_of_shards": 1, "number_of_replicas": 0}
    meta = dict(body["mappings"]["_meta"]["energiewatch_columns"])
    assert meta["day"] == "date32[day]" and meta["station_count"] == "int64"

    bulks = fake_es.calls("POST", r"/_bulk") + fake_es.calls("PUT", r"/_bulk")
    assert len(bulks) == 3  # 12 documents in chunks of 5
    lines = [line for b in bulks for line in b.ndjson()]
    headers, sources = lines[::2], lines[1::2]
    assert len(headers) == 12
    first = frame.iloc[0]
    expected_id = key_hash([first["day"], first["department_code"], first["fuel"]])
    assert headers[0] == {"index": {"_index": version, "_id": expected_id}}
    assert len({h["index"]["_id"] for h in headers}) == 12
    assert sources[0]["location"] == {"lat": 48.8566, "lon": 2.3522}
    assert sources[0]["day"] == "2024-03-30"
    assert sources[0]["computed_at"].startswith("2024-04-02T06:00:00")

    refresh_at = fake_es.requests.index(fake_es.calls("POST", rf"/{version}/_refresh")[0])
    (swap,) = fake_es.calls("POST", r"/_aliases")
    assert fake_es.requests.index(swap) > refresh_at  # alias moves after the refresh
    assert swap.json() == {"actions": [{"add": {"index": version, "alias": ds._alias}}]}
    assert ds.exists()
    assert ds.last_result is not None and ds.last_result.inserted == 12
    assert ds.last_result.batches == 3


def test_resave_swaps_alias_and_prunes_old_versions(
    httpserver: HTTPServer, fake_es: FakeElasticsearch
) -> None:
    ds = make(httpserver.url_for("/"), keep_versions=2)
    ds.save(daily_prices())
    ds.save(daily_prices())
    v1, v2 = sorted(fake_es.indices)
    swap = fake_es.calls("POST", r"/_aliases")[-1].json()
    assert swap == {
        "actions": [
            {"remove": {"index": v1, "alias": ds._alias}},
            {"add": {"index": v2, "alias": ds._alias}},
        ]
    }
    # Same deterministic ids in both versions: re-runs are idempotent.
    assert fake_es.indices[v1]["docs"].keys() == fake_es.indices[v2]["docs"].keys()
    ds.save(daily_prices())
    assert sorted(fake_es.indices) == [v2, ds.last_result.extra["index"]]
    assert ds.last_result.extra["removed_versions"] == [v1]
    assert fake_es.aliases[ds._alias] == {ds.last_result.extra["index"]}


def test_partial_bulk_failure_is_reported_and_alias_not_swapped(
    httpserver: HTTPServer, fake_es: FakeElasticsearch, caplog: pytest.LogCaptureFixture
) -> None:
    ds = make(httpserver.url_for("/"))
    ds.save(daily_prices())
    (good_version,) = fake_es.indices
    frame = daily_prices()
    bad = frame.iloc[[4, 7]]
    bad_ids = [key_hash([r.day, r.department_code, r.fuel]) for r in bad.itertuples()]
    for doc_id in bad_ids:
        fake_es.fail_ids[doc_id] = (
            400,
            {
                "type": "document_parsing_exception",
                "reason": "[1:80] failed to parse field [price_median_eur_l] of type [float]",
            },
        )
    with caplog.at_level(logging.ERROR), pytest.raises(DatasetError) as err:
        ds.save(frame)
    message = str(err.value)
    assert "2 document(s) failed" in message
    assert all(doc_id in message for doc_id in bad_ids)
    assert "document_parsing_exception" in message
    assert any(bad_ids[0] in r.getMessage() for r in caplog.records)
    # The alias still points at the good version; the failed one is deleted.
    assert fake_es.aliases[ds._alias] == {good_version}
    assert len(fake_es.calls("POST", r"/_aliases")) == 1
    assert list(fake_es.indices) == [good_version]


def test_failures_within_max_failures_are_logged_and_swapped(
    httpserver: HTTPServer, fake_es: FakeElasticsearch, caplog: pytest.LogCaptureFixture
) -> None:
    ds = make(httpserver.url_for("/"), max_failures=1)
    row = daily_prices().iloc[0]
    doc_id = key_hash([row["day"], row["department_code"], row["fuel"]])
    fake_es.fail_ids[doc_id] = (
        400,
        {"type": "document_parsing_exception", "reason": "failed to parse field [day]"},
    )
    with caplog.at_level(logging.ERROR):
        ds.save(daily_prices())
    assert ds.last_result is not None
    assert (ds.last_result.inserted, ds.last_result.failed) == (11, 1)
    assert any(
        doc_id in r.getMessage() and "failed to parse field [day]" in r.getMessage()
        for r in caplog.records
    )
    assert fake_es.aliases[ds._alias] == {ds.last_result.extra["index"]}


def test_rejected_documents_are_retried(httpserver: HTTPServer, fake_es: FakeElasticsearch) -> None:
    ds = make(httpserver.url_for("/"), retry_backoff_s=0.01)
    row = daily_prices().iloc[2]
    doc_id = key_hash([row["day"], row["department_code"], row["fuel"]])
    fake_es.transient[doc_id] = 2  # answered 429 twice, then indexed
    ds.save(daily_prices())
    assert ds.last_result is not None
    assert (ds.last_result.inserted, ds.last_result.failed) == (12, 0)
    (version,) = fake_es.indices
    assert doc_id in fake_es.indices[version]["docs"]
    assert len(fake_es.calls("POST", r"/_bulk") + fake_es.calls("PUT", r"/_bulk")) == 3 + 2


def test_load_scans_the_alias_with_the_saved_dtypes(
    httpserver: HTTPServer, fake_es: FakeElasticsearch
) -> None:
    ds = make(httpserver.url_for("/"), load_args={"size": 5})
    frame = daily_prices()
    ds.save(frame)
    loaded = ds.load()
    assert len(fake_es.calls("POST", r"/_search/scroll")) >= 2  # paged through the scroll API
    assert "location" not in loaded.columns  # derived from latitude/longitude
    expected = frame.sort_values(ID_FIELDS).reset_index(drop=True)
    pd.testing.assert_frame_equal(loaded[expected.columns], expected, check_dtype=False)
    assert str(loaded["station_count"].dtype) == "Int64"
    assert str(loaded["has_shortage"].dtype) == "boolean"
    assert str(loaded["computed_at"].dtype) == "datetime64[us, UTC]"
    assert loaded["day"].iloc[0] == dt.date(2024, 3, 30)


def test_load_of_a_missing_alias_is_a_clear_error(
    httpserver: HTTPServer, fake_es: FakeElasticsearch
) -> None:
    with pytest.raises(DatasetError, match="index alias prix_carburants_journalier does not exist"):
        make(httpserver.url_for("/")).load()


def test_parallel_bulk_sends_every_document(
    httpserver: HTTPServer, fake_es: FakeElasticsearch
) -> None:
    ds = make(httpserver.url_for("/"), thread_count=2, chunk_size=3)
    ds.save(daily_prices(5))
    (version,) = fake_es.indices
    assert len(fake_es.indices[version]["docs"]) == 20
    assert ds.last_result is not None and ds.last_result.inserted == 20


def test_duplicate_ids_inside_one_save_are_dropped(
    httpserver: HTTPServer, fake_es: FakeElasticsearch
) -> None:
    ds = make(httpserver.url_for("/"))
    frame = daily_prices()
    ds.save(pd.concat([frame, frame.iloc[[0]].assign(price_median_eur_l=2.5)], ignore_index=True))
    assert ds.last_result is not None and ds.last_result.dropped_duplicates == 1
    (version,) = fake_es.indices
    docs = fake_es.indices[version]["docs"]
    row = frame.iloc[0]
    assert (
        docs[key_hash([row["day"], row["department_code"], row["fuel"]])]["price_median_eur_l"]
        == 2.5
    )


def test_credentials_and_arguments(httpserver: HTTPServer, fake_es: FakeElasticsearch) -> None:
    ds = make(httpserver.url_for("/"), credentials={"username": "elastic", "password": "s3cret"})
    ds.save(daily_prices(1))
    auth = [r for r in httpserver.log if r[0].headers.get("Authorization")]
    assert auth and auth[0][0].headers["Authorization"].startswith("Basic ")
    assert "s3cret" not in repr(ds)
    with pytest.raises(DatasetError, match="lowercase"):
        make(httpserver.url_for("/"), alias="Prix")
    with pytest.raises(DatasetError, match="latitude, longitude"):
        make(httpserver.url_for("/"), geo_points={"location": ["lat"]})


# ------------------------------------------------------------------------- real server
@pytest.fixture
def real_es_alias() -> Iterator[tuple[str, str]]:
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip(
            "ELASTICSEARCH_URL is not set: no Elasticsearch server here "
            "(the loopback tests cover the client boundary)"
        )
    alias = f"energiewatch_test_{uuid.uuid4().hex[:8]}"
    yield url, alias
    from elasticsearch import Elasticsearch

    Elasticsearch(url).indices.delete(index=f"{alias}-*", allow_no_indices=True)


@pytest.mark.integration
def test_real_server_save_resave_and_load(real_es_alias: tuple[str, str]) -> None:
    from elasticsearch import Elasticsearch

    url, alias = real_es_alias
    ds = make(url, alias=alias)
    frame = daily_prices()
    ds.save(frame)
    first = ds.last_result.extra["index"]
    ds.save(frame)
    second = ds.last_result.extra["index"]
    es = Elasticsearch(url)
    assert second > first
    assert list(es.indices.get_alias(name=alias)) == [second]
    assert es.count(index=alias)["count"] == len(frame)  # idempotent re-save
    loaded = ds.load()
    assert len(loaded) == len(frame)
    assert loaded["day"].iloc[0] == dt.date(2024, 3, 30)
    mapping = es.indices.get_mapping(index=alias)[second]["mappings"]["properties"]
    assert mapping["location"]["type"] == "geo_point"


def test_append_mode_writes_into_one_index_idempotently(
    httpserver: HTTPServer, fake_es: FakeElasticsearch
) -> None:
    """Logs (model_monitoring) append into the index behind the alias: no version per save."""
    ds = make(httpserver.url_for("/"), mode="append")
    frame = daily_prices(3)
    ds.save(frame.iloc[:6])
    (version,) = fake_es.indices
    assert fake_es.aliases[ds._alias] == {version}
    ds.save(frame.iloc[6:])
    ds.save(frame.iloc[6:])  # re-sending rows overwrites them (same deterministic ids)
    assert list(fake_es.indices) == [version]
    assert len(fake_es.calls("POST", r"/_aliases")) == 1
    assert len(fake_es.indices[version]["docs"]) == len(frame)
    loaded = ds.load()
    assert len(loaded) == len(frame)
    assert set(loaded["fuel"]) == {"Gazole", "E10"}


def test_append_mode_reports_failed_documents(
    httpserver: HTTPServer, fake_es: FakeElasticsearch
) -> None:
    ds = make(httpserver.url_for("/"), mode="append")
    ds.save(daily_prices(1))
    row = daily_prices(2).iloc[-1]
    doc_id = key_hash([row["day"], row["department_code"], row["fuel"]])
    fake_es.fail_ids[doc_id] = (400, {"type": "mapper_parsing_exception", "reason": "bad field"})
    with pytest.raises(DatasetError, match=doc_id):
        ds.save(daily_prices(2))


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(DatasetError, match="mode must be"):
        ElasticsearchIndexDataset(index="x", mode="upsert")


# -------------------------------------------------------------- append-only logs under ILM
ROLLOVER = {"policy": "energiewatch-test-logs", "max_age": "30d", "delete_after": "365d"}


def test_rollover_puts_the_policy_the_template_and_a_write_index(
    httpserver: HTTPServer, fake_es: FakeElasticsearch
) -> None:
    ds = make(httpserver.url_for("/"), alias="logs", mode="append", rollover=ROLLOVER)
    ds.save(daily_prices(1))
    assert fake_es.ilm_policies["energiewatch-test-logs"]["phases"] == {
        "hot": {"min_age": "0ms", "actions": {"rollover": {"max_age": "30d"}}},
        "delete": {"min_age": "365d", "actions": {"delete": {}}},
    }
    template = fake_es.templates["logs"]
    assert template["index_patterns"] == ["logs-*"]
    settings = template["template"]["settings"]
    assert settings["index.lifecycle.name"] == "energiewatch-test-logs"
    assert settings["index.lifecycle.rollover_alias"] == "logs"
    assert settings["number_of_replicas"] == 0
    assert template["template"]["mappings"]["properties"]["fuel"] == {"type": "keyword"}
    assert list(fake_es.indices) == ["logs-000001"]
    assert fake_es.write_index == {"logs": "logs-000001"}
    # the documents are sent to the alias (Elasticsearch picks the write index)
    (bulk,) = fake_es.calls("PUT", r"/_bulk") or fake_es.calls("POST", r"/_bulk")
    assert {line["index"]["_index"] for line in bulk.ndjson()[::2]} == {"logs"}
    assert ds.last_result.extra["index"] == "logs-000001"


def test_after_a_rollover_new_rows_go_to_the_new_index_and_loads_read_all(
    httpserver: HTTPServer, fake_es: FakeElasticsearch
) -> None:
    from elasticsearch import Elasticsearch

    url = httpserver.url_for("/")
    frame = daily_prices(3)
    make(url, alias="logs", mode="append", rollover=ROLLOVER).save(frame.iloc[:4])
    rolled = Elasticsearch(url).indices.rollover(alias="logs")  # what ILM does on max_age
    assert rolled["new_index"] == "logs-000002"
    ds = make(url, alias="logs", mode="append", rollover=ROLLOVER)  # a new process
    ds.save(frame.iloc[4:])
    assert ds.last_result.extra["index"] == "logs-000002"
    assert sorted(fake_es.indices) == ["logs-000001", "logs-000002"]
    assert len(fake_es.indices["logs-000002"]["docs"]) == len(frame) - 4
    loaded = ds.load()
    assert len(loaded) == len(frame)
    assert str(loaded["station_count"].dtype) == "Int64"  # the template carried the column types
    assert loaded["day"].iloc[0] == dt.date(2024, 3, 30)


def test_rollover_takes_over_an_alias_written_without_it(
    httpserver: HTTPServer, fake_es: FakeElasticsearch
) -> None:
    url = httpserver.url_for("/")
    frame = daily_prices(2)
    make(url, alias="logs", mode="append").save(frame.iloc[:4])
    (legacy,) = fake_es.indices
    ds = make(url, alias="logs", mode="append", rollover=ROLLOVER)
    ds.save(frame.iloc[4:])
    assert fake_es.aliases["logs"] == {legacy, "logs-000001"}
    assert fake_es.write_index["logs"] == "logs-000001"
    assert len(ds.load()) == len(frame)  # the old rows stay readable through the alias


def test_rollover_options_are_checked() -> None:
    with pytest.raises(DatasetError, match="mode: append"):
        ElasticsearchIndexDataset(index="logs", rollover=ROLLOVER)
    with pytest.raises(DatasetError, match="at least one condition"):
        ElasticsearchIndexDataset(index="logs", mode="append", rollover={"delete_after": "9d"})
    with pytest.raises(DatasetError, match="unknown rollover"):
        ElasticsearchIndexDataset(
            index="logs", mode="append", rollover={"max_age": "1d", "max_days": 3}
        )
    ds = ElasticsearchIndexDataset(index="logs", mode="append", rollover={"max_docs": 10})
    assert ds._describe()["rollover"] == {"policy": "logs-policy", "max_docs": 10}


@pytest.mark.integration
def test_real_server_rollover(real_es_alias: tuple[str, str]) -> None:
    from elasticsearch import Elasticsearch

    url, alias = real_es_alias
    rollover = {**ROLLOVER, "policy": f"{alias}-policy"}
    es = Elasticsearch(url)
    try:
        frame = daily_prices(2)
        make(url, alias=alias, mode="append", rollover=rollover).save(frame.iloc[:4])
        assert es.indices.get_alias(name=alias)[f"{alias}-000001"]["aliases"][alias] == {
            "is_write_index": True
        }
        assert es.indices.rollover(alias=alias)["new_index"] == f"{alias}-000002"
        ds = make(url, alias=alias, mode="append", rollover=rollover)
        ds.save(frame.iloc[4:])
        assert ds.last_result.extra["index"] == f"{alias}-000002"
        assert es.count(index=f"{alias}-000002")["count"] == len(frame) - 4
        assert len(ds.load()) == len(frame)
        settings = es.indices.get_settings(index=f"{alias}-000002")[f"{alias}-000002"]
        assert settings["settings"]["index"]["lifecycle"]["name"] == rollover["policy"]
    finally:  # the indices before the policy they use
        es.options(ignore_status=404).indices.delete(index=f"{alias}-*")
        es.options(ignore_status=404).indices.delete_index_template(name=alias)
        es.options(ignore_status=404).ilm.delete_lifecycle(name=rollover["policy"])
