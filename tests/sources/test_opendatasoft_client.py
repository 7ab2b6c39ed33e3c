"""The Opendatasoft client and its HTTP layer against a loopback portal (real HTTP)."""

from __future__ import annotations

import pytest

from data_collection_kedro.sources.http import (
    HttpClient,
    RetryPolicy,
    SchemaDriftError,
    SourceFormatError,
    SourceHTTPError,
    parse_retry_after,
    redact_url,
)
from data_collection_kedro.sources.opendatasoft import (
    OffsetWindowError,
    OpendatasoftClient,
    and_where,
    check_required_fields,
    where_since,
)

from .conftest import CONSUMPTION_FIELDS, Failure, FakePortal, consumption_records

DATASET = "consommation-quotidienne-brute-regionale"


def make_client(
    portal: FakePortal, sleeps: list[float] | None = None, **retry
) -> OpendatasoftClient:
    policy = RetryPolicy(**{"attempts": 4, "initial_s": 0.001, "max_s": 0.01, **retry})
    http = HttpClient(
        timeout_s=(2, 5),
        retry=policy,
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
    )
    return OpendatasoftClient(portal.url, http=http)


def test_pagination_walks_every_page(portal: FakePortal) -> None:
    records = consumption_records(days=3)  # 3 days × 2 regions × 48 = 288 records
    portal.add(DATASET, CONSUMPTION_FIELDS, records)
    pages = list(make_client(portal).iter_pages(DATASET, order_by="date_heure", page_size=100))
    assert [p.offset for p in pages] == [0, 100, 200]
    assert [len(p.records) for p in pages] == [100, 100, 88]
    assert sum(len(p.records) for p in pages) == len(records) == pages[0].total_count
    sent = portal.requests("/records")
    assert [(r.args["offset"], r.args["limit"]) for r in sent] == [
        ("0", "100"),
        ("100", "100"),
        ("200", "88"),
    ]
    assert all(r.args["timezone"] == "Europe/Paris" for r in sent)


def test_page_size_is_capped_at_the_api_maximum(portal: FakePortal) -> None:
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=3))
    pages = list(make_client(portal).iter_pages(DATASET, page_size=500))
    assert {r.args["limit"] for r in portal.requests("/records")} <= {"100", "88"}
    assert len(pages) == 3


def test_incremental_where_reaches_the_server(portal: FakePortal) -> None:
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=5))
    where = where_since("date", "2024-01-04")
    rows = [r for p in make_client(portal).iter_pages(DATASET, where=where) for r in p.records]
    assert portal.requests("/records")[0].args["where"] == "date >= date'2024-01-04'"
    assert {r["date"] for r in rows} == {"2024-01-04", "2024-01-05"}
    assert len(rows) == 2 * 2 * 48


def test_where_helpers() -> None:
    assert where_since("date", None) is None
    assert and_where(None, "a = 1") == "a = 1"
    assert (
        and_where("a = 1", "date >= date'2024-01-01'") == "(a = 1) AND (date >= date'2024-01-01')"
    )


def test_more_than_the_offset_window_is_refused_with_a_pointer_to_exports(
    portal: FakePortal,
) -> None:
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=105))  # 10,080 records
    with pytest.raises(OffsetWindowError, match="10000-record window; use the exports"):
        list(make_client(portal).iter_pages(DATASET))
    assert len(portal.requests("/records")) == 1


@pytest.mark.parametrize("status", [429, 503])
def test_retry_on_429_and_503_then_success(portal: FakePortal, status: int) -> None:
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=1))
    portal.fail_next(Failure(status), Failure(status))
    sleeps: list[float] = []
    pages = list(make_client(portal, sleeps).iter_pages(DATASET))
    assert sum(len(p.records) for p in pages) == 96
    assert len(portal.requests("/records")) == 3  # two failures, one success
    assert sleeps == [0.001, 0.002]  # exponential backoff


def test_retry_after_is_honoured(portal: FakePortal) -> None:
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=1))
    portal.fail_next(Failure(429, {"Retry-After": "7"}))
    sleeps: list[float] = []
    list(make_client(portal, sleeps, max_s=30).iter_pages(DATASET))
    assert sleeps == [7.0]


def test_retry_after_http_date() -> None:
    from datetime import UTC, datetime

    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("soon") is None


def test_failure_after_the_retries_names_dataset_url_and_offset(portal: FakePortal) -> None:
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=3))
    client = make_client(portal)
    client.api_key = "s3cr3t-key"
    pages = client.iter_pages(DATASET)
    next(pages)  # first page fine
    portal.fail_next(*[Failure(503, body="upstream down")] * 4)
    with pytest.raises(SourceHTTPError) as err:
        next(pages)
    message = str(err.value)
    assert "failed after 4 attempts" in message
    assert "HTTP 503" in message and "upstream down" in message
    assert f"dataset '{DATASET}', page offset 100" in message
    assert f"/datasets/{DATASET}/records" in message
    assert "s3cr3t" not in message  # the API key never shows
    assert portal.requests("/records")[-1].args["apikey"] == "s3cr3t-key"


def test_connection_error_is_retried_then_reported() -> None:
    http = HttpClient(timeout_s=(0.5, 0.5), retry=RetryPolicy(3, 0.001, 0.01), sleep=lambda s: None)
    client = OpendatasoftClient("http://127.0.0.1:9", http=http)  # discard port: refused
    with pytest.raises(SourceHTTPError, match=r"failed after 3 attempts: ConnectionError"):
        client.fields(DATASET)


def test_non_retryable_status_fails_at_once_with_the_api_message(portal: FakePortal) -> None:
    with pytest.raises(SourceHTTPError, match="HTTP 404.*Unknown dataset: nope"):
        make_client(portal).fields("nope")
    assert len(portal.requests()) == 1


def test_truncated_page_is_an_error(portal: FakePortal) -> None:
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=1))
    portal.truncate_pages = True
    with pytest.raises(SourceFormatError, match=r"truncated page, 95 records where total_count=96"):
        list(make_client(portal).iter_pages(DATASET))


def test_invalid_json_is_an_error_naming_the_page(portal: FakePortal) -> None:
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=1))
    portal.invalid_json = True
    with pytest.raises(SourceFormatError) as err:
        list(make_client(portal).iter_pages(DATASET))
    assert "invalid JSON" in str(err.value)
    assert "page offset 0" in str(err.value) and DATASET in str(err.value)


def test_a_body_that_is_not_a_records_page_is_an_error(portal: FakePortal) -> None:
    portal.fail_next(Failure(200, {"Content-Type": "application/json"}, '{"records": []}'))
    with pytest.raises(SourceFormatError, match="'results' list"):
        list(make_client(portal).iter_pages(DATASET))


def test_metadata_gives_names_and_labels(portal: FakePortal) -> None:
    portal.add(DATASET, CONSUMPTION_FIELDS, [])
    fields = make_client(portal).fields(DATASET)
    assert [(f.name, f.label) for f in fields][:2] == [
        ("date_heure", "Date - Heure"),
        ("date", "Date"),
    ]


def test_schema_drift_names_the_missing_field() -> None:
    with pytest.raises(SchemaDriftError) as err:
        check_required_fields(
            DATASET, ["date", "region"], ["date", "code_insee_region"], "http://x"
        )
    assert "['code_insee_region'] missing" in str(err.value)
    assert "expected fields ['date', 'code_insee_region']" in str(err.value)


def test_export_endpoint_csv_with_labels(portal: FakePortal) -> None:
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=2))
    body, url = make_client(portal).export(
        DATASET, "csv", where=where_since("date", "2024-01-02"), use_labels=True, delimiter=";"
    )
    (req,) = portal.requests(f"/{DATASET}/exports/csv")
    assert req.args["use_labels"] == "true" and req.args["delimiter"] == ";"
    assert req.args["where"] == "date >= date'2024-01-02'"
    lines = body.decode().splitlines()
    assert lines[0].startswith("Date - Heure;Date;Heure;Code INSEE région;Région;")
    assert len(lines) == 1 + 2 * 48
    assert f"/datasets/{DATASET}/exports/csv" in url


def test_export_records_json(portal: FakePortal) -> None:
    portal.add(DATASET, CONSUMPTION_FIELDS, consumption_records(days=1))
    records, _ = make_client(portal).export_records(DATASET)
    assert len(records) == 96 and records[0]["code_insee_region"] == "11"
    assert portal.requests("/exports/json")[0].args["use_labels"] == "false"


def test_redact_url_masks_secrets() -> None:
    url = redact_url("https://user:pw@h.example/x?apikey=abc&where=a", {"token": "t", "limit": 5})
    assert url == "https://user:***@h.example/x?apikey=***&where=a&token=***&limit=5"
