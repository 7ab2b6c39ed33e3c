"""Prediction logging and feedback storage (data_collection_kedro.monitoring) on the real stores."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pytest_httpserver import HTTPServer

from dashboard_ui.settings import load_settings
from data_collection_kedro.datasets import DuckDBTableDataset, ElasticsearchIndexDataset
from data_collection_kedro.domain.contracts import MODEL_MONITORING
from data_collection_kedro.monitoring import (
    FEEDBACK_COLUMNS,
    MONITORING_COLUMNS,
    FeedbackValidationError,
    MonitoringStore,
    PredictionMonitor,
    summarize_predictions,
    validate_feedback,
)
from tests.support.fake_elasticsearch import FakeElasticsearch
from tests.support.mongo_server import MongoDatabase


def duckdb_store(path: Path) -> MonitoringStore:
    return MonitoringStore(
        DuckDBTableDataset(str(path), "model_monitoring", key="prediction_id", mode="append"),
        DuckDBTableDataset(str(path), "user_feedback", key="feedback_id", mode="append"),
    )


def test_success_and_failure_rows_are_written(tmp_path: Path) -> None:
    monitor = PredictionMonitor(duckdb_store(tmp_path / "store.duckdb"), application="usage-api")
    with monitor.track(page="p", model_name="m") as handle:
        handle.model_version = "4"
        handle.n_predictions = sum(1 for _ in range(3))
    with (
        pytest.raises(ZeroDivisionError),
        monitor.track(page="p", model_name="m", model_version="4"),
    ):
        _ = 1 / 0

    # read back through a new dataset: the rows are in the file, not only in memory
    rows = (
        duckdb_store(tmp_path / "store.duckdb")
        .predictions()
        .sort_values("status", ignore_index=True)
    )
    assert list(rows.columns) == list(MONITORING_COLUMNS)
    assert rows["status"].tolist() == ["error", "success"]
    assert rows["prediction_id"].nunique() == 2
    failure, success = rows.iloc[0], rows.iloc[1]
    assert (success["n_predictions"], success["model_version"]) == (3, "4")
    assert pd.isna(success["error_type"]) and pd.isna(success["error_message"])
    assert failure["error_type"] == "ZeroDivisionError"
    assert failure["error_message"] == "division by zero"
    assert failure["n_predictions"] == 0
    for row in (success, failure):
        assert row["application"] == "usage-api"
        assert row["response_time_ms"] >= 0
        assert row["cpu_percent"] >= 0
        assert row["memory_mb"] > 10  # a Python process with pandas loaded
        assert row["logged_at"].tzinfo is not None


def test_a_store_failure_never_breaks_the_prediction(tmp_path: Path, caplog: Any) -> None:
    blocked = tmp_path / "not-a-database"
    blocked.mkdir()  # a directory where the DuckDB file should be: every write fails
    monitor = PredictionMonitor(duckdb_store(blocked), application="dashboard")
    with monitor.track(page="p", model_name="m") as handle:
        handle.n_predictions = 1
    assert "could not log prediction of m" in caplog.text


def test_feedback_rows_round_trip(tmp_path: Path) -> None:
    store = duckdb_store(tmp_path / "store.duckdb")
    row = validate_feedback(
        page="Prédiction météo",
        model_name="m",
        model_version="2",
        prediction_value=812.5,
        rating=5,
        comment="  Très juste  ",
    )
    store.submit_feedback(row)
    stored = duckdb_store(tmp_path / "store.duckdb").feedback()
    assert list(stored.columns) == list(FEEDBACK_COLUMNS)
    assert stored.iloc[0]["comment"] == "Très juste"
    assert stored.iloc[0]["rating"] == 5
    assert stored.iloc[0]["prediction_value"] == 812.5


@pytest.mark.parametrize("rating", [0, 6, 2.5, True, "5", None])
def test_invalid_ratings_are_refused(rating: Any) -> None:
    with pytest.raises(FeedbackValidationError, match="rating"):
        validate_feedback(
            page="p",
            model_name="m",
            model_version=None,
            prediction_value=None,
            rating=rating,
            comment=None,
        )


def test_comment_length_is_limited() -> None:
    with pytest.raises(FeedbackValidationError, match="1001 caractères, au plus 1000"):
        validate_feedback(
            page="p",
            model_name="m",
            model_version=None,
            prediction_value=None,
            rating=3,
            comment="é" * 1001,
        )
    ok = validate_feedback(
        page="p",
        model_name="m",
        model_version=None,
        prediction_value=None,
        rating=3,
        comment="é" * 1000,
    )
    assert len(ok["comment"]) == 1000


def test_summary_counts_and_median_per_model() -> None:
    rows = pd.DataFrame(
        {
            "application": ["dashboard"] * 5,
            "model_name": ["a", "a", "a", "a", "b"],
            "status": ["success", "success", "success", "error", "error"],
            "response_time_ms": [10.0, 20.0, 300.0, 1.0, 5.0],
            "cpu_percent": [50.0] * 5,
            "memory_mb": [100.0, 120.0, 110.0, 90.0, 80.0],
            "logged_at": pd.date_range("2024-01-01", periods=5, freq="h", tz="UTC"),
        }
    )
    summary = summarize_predictions(rows).set_index("model_name")
    assert summary.loc["a", "success_count"] == 3
    assert summary.loc["a", "error_count"] == 1
    assert summary.loc["a", "median_response_time_ms"] == 15.0  # median, not the mean (82.75)
    assert summary.loc["a", "error_rate_pct"] == 25.0
    assert summary.loc["b", "success_count"] == 0
    assert summary.loc["a", "max_memory_mb"] == 120.0
    assert summarize_predictions(rows.iloc[0:0]).empty


def _prod_round_trip(
    monkeypatch: pytest.MonkeyPatch, mongo: MongoDatabase, es_url: str
) -> dict[str, Any]:
    """conf/prod's dashboard store: predictions logged to Elasticsearch, feedback to MongoDB."""
    monkeypatch.setenv("MONGODB_URI", mongo.uri)
    monkeypatch.setenv("MONGODB_DATABASE", mongo.name)
    monkeypatch.setenv("ELASTICSEARCH_URL", es_url)
    config = dict(load_settings(env="prod").store)
    assert config["model_monitoring"]["type"].endswith("ElasticsearchIndexDataset")
    assert config["user_feedback"]["type"].endswith("MongoCollectionDataset")
    # a fresh index per test run on a real server
    config["model_monitoring"] = {
        **config["model_monitoring"],
        "index": f"model_monitoring_test_{os.getpid()}",
    }
    store = MonitoringStore.from_config(config)
    monitor = PredictionMonitor(store, application="dashboard")
    with monitor.track(page="p", model_name="m", model_version="1") as handle:
        handle.n_predictions = 2
    with (
        pytest.raises(ValueError),
        monitor.track(page="p", model_name="m", model_version="1"),
    ):
        raise ValueError("bad input")
    store.submit_feedback(
        validate_feedback(
            page="p",
            model_name="m",
            model_version="1",
            prediction_value=1.0,
            rating=4,
            comment="ok",
        )
    )
    fresh = MonitoringStore.from_config(config)
    logged = fresh.predictions().sort_values("status")
    assert logged["status"].tolist() == ["error", "success"]
    assert logged["n_predictions"].tolist()[1] == 2
    assert logged["error_type"].tolist()[0] == "ValueError"
    assert fresh.feedback()["rating"].tolist() == [4]
    return config


def test_prod_monitoring_index_follows_its_contract(data_dir):
    entry = load_settings("prod").store["model_monitoring"]
    dataset = ElasticsearchIndexDataset(**{k: v for k, v in entry.items() if k != "type"})
    assert dataset._alias == "model_monitoring" and dataset._id_fields == ["prediction_id"]
    assert list(dataset._mappings["properties"]) == MODEL_MONITORING.column_names


@pytest.mark.integration
def test_prod_store_monitoring_in_elasticsearch_feedback_in_mongodb(
    data_dir: Path,
    mongo_database: MongoDatabase,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Production layout: feedback in the session's MongoDB wire-protocol server (SecantusDB
    in-process, or ``MONGODB_URI``); no Elasticsearch server runs here, so the real
    Elasticsearch client talks to a loopback server answering like ES 9
    (tests/support/fake_elasticsearch.py; ``test_prod_store_on_real_servers`` is the variant
    on a real one)."""
    fake = FakeElasticsearch()
    httpserver.expect_request(re.compile(r"/.*")).respond_with_handler(fake)
    config = _prod_round_trip(monkeypatch, mongo_database, httpserver.url_for("/"))
    assert any(name.startswith("model_monitoring_test_") for name in fake.indices)
    collection = config["user_feedback"]["collection"]
    with mongo_database.server.client() as client:
        stored = list(client[mongo_database.name][collection].find({}, {"_id": 0}))
    assert [doc["rating"] for doc in stored] == [4]


@pytest.mark.integration
def test_prod_store_on_real_servers(
    data_dir: Path, mongo_database: MongoDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    es_url = os.environ.get("ELASTICSEARCH_URL")
    if not es_url:
        pytest.skip("ELASTICSEARCH_URL is not set: no Elasticsearch server here")
    _prod_round_trip(monkeypatch, mongo_database, es_url)
