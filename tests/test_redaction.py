"""The one redaction helper and the places it guards: dataset descriptions, log records, the
MLflow hook's parameters and tags (the carbon report and the dashboard:
``tests/dashboard_ui/test_secrets.py``)."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from data_collection_kedro.redaction import RedactingFilter, redact, redact_url

PASSWORD = "S3cr3t-Pw-4242"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"mongodb://admin:{PASSWORD}@db:27017/?authSource=admin",
            "mongodb://admin:***@db:27017/?authSource=admin",
        ),
        ("mongodb://admin:p@ss@h1:27017,h2:27017/db", "mongodb://admin:***@h1:27017,h2:27017/db"),
        (f"http://elastic:{PASSWORD}@127.0.0.1:9200", "http://elastic:***@127.0.0.1:9200"),
        ("https://ghp_token@github.com/org/repo", "https://***@github.com/org/repo"),
        (
            f"error reaching 'https://u:{PASSWORD}@mlflow.example' (401)",
            "error reaching 'https://u:***@mlflow.example' (401)",
        ),
        (
            "https://h.example/x?apikey=abc&where=a&Token=zz",
            "https://h.example/x?apikey=***&where=a&Token=***",
        ),
        (f"host=db user=x password={PASSWORD}", "host=db user=x password=***"),
        (f"{{'password': '{PASSWORD}', 'username': 'u'}}", "{'password': '***', 'username': 'u'}"),
        ("sqlite:///data/mlflow.db", "sqlite:///data/mlflow.db"),
        ("MongoDataset(key=['region_code', 'day'])", "MongoDataset(key=['region_code', 'day'])"),
        ("write to ops@energiewatch.example", "write to ops@energiewatch.example"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert redact(redact(text)) == expected  # idempotent


def test_redact_url_adds_parameters_and_masks() -> None:
    url = redact_url("https://user:pw@h.example/x?apikey=abc&where=a#frag", {"token": "t", "n": 5})
    assert url == "https://user:***@h.example/x?apikey=***&where=a&token=***&n=5"


def test_log_records_are_redacted_messages_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    uri = f"mongodb://energie:{PASSWORD}@db:27017"
    try:
        logger.warning("cannot reach %s", uri)
        try:
            raise ConnectionError(f"connection to {uri} refused")
        except ConnectionError:
            logger.exception("store unavailable")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert PASSWORD not in output
    assert "cannot reach mongodb://energie:***@db:27017" in output
    assert "ConnectionError: connection to mongodb://energie:***@db:27017 refused" in output


def test_store_datasets_describe_without_password() -> None:
    from data_collection_kedro.datasets import ElasticsearchIndexDataset, MongoCollectionDataset

    mongo = MongoCollectionDataset(
        uri=f"mongodb://energie:{PASSWORD}@db:27017",
        database="energiewatch",
        collection="raw_x",
        key=["id"],
    )
    search = ElasticsearchIndexDataset(
        hosts=f"http://elastic:{PASSWORD}@es:9200", index="meteo_consommation", id_fields=["id"]
    )
    for dataset in (mongo, search):
        assert PASSWORD not in str(dataset) and PASSWORD not in repr(dataset._describe())
        assert ":***@" in str(dataset._describe())


def test_mlflow_parameters_and_tags_are_redacted(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient
    from sklearn.dummy import DummyRegressor

    from data_collection_kedro.modeling.artifacts import ModelArtifact
    from data_collection_kedro.tracking.mlflow_hook import MlflowTrackingHook

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    secret_url = f"https://energie:{PASSWORD}@portal.example/api"
    example = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    artifact = ModelArtifact(
        model_key="toy",
        registered_name="",
        model=DummyRegressor().fit(example, [0.0, 1.0, 2.0]),
        input_columns=["x"],
        input_example=example,
        params={"source": secret_url},
    )
    hook = MlflowTrackingHook()
    hook.after_context_created(
        SimpleNamespace(project_path=tmp_path, params={"mlflow": {"tracking_uri": uri}})
    )
    run_params = {"run_id": "r1", "pipeline_names": ["toy"], "runtime_params": {"url": secret_url}}
    hook.before_pipeline_run(run_params=run_params, pipeline=None, catalog=None)
    hook.after_node_run(node=SimpleNamespace(name="train_toy"), outputs={"toy_model": artifact})
    hook.on_pipeline_error(error=ConnectionError(f"{secret_url} refused"), run_params=run_params)

    runs = MlflowClient(tracking_uri=uri).search_runs(
        [e.experiment_id for e in MlflowClient(tracking_uri=uri).search_experiments()]
    )
    assert len(runs) == 2  # the pipeline run and the model's child run
    recorded = " ".join(f"{run.data.params} {run.data.tags}" for run in runs)
    assert PASSWORD not in recorded
    assert "energie:***@portal.example" in recorded
