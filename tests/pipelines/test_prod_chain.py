"""The whole production chain on a small sample, against real servers where they run here.

One chain, checked by the tests of this module. The sources are the live API clients (as in
production), answered by loopback HTTP servers that publish the sample in the APIs' formats
(tests/support/live_sample.py says how each source is served, and what it leaves out):

1. the embedded run: ``kedro run --env live`` of the default pipeline: the live sources into
   the embedded DuckDB store;
2. the production run: ``kedro run --env prod`` of the default pipeline on the SAME published
   sample: the raw store is MongoDB — the session's wire-protocol server (SecantusDB
   in-process, or the server of ``MONGODB_URI``); the indices go to Elasticsearch — the server
   of ``ELASTICSEARCH_URL`` when set, otherwise the loopback stand-in of the real client
   (tests/support/fake_elasticsearch.py: no Elasticsearch server installs here, the limit of
   this test); MLflow, the model outputs and the carbon files stay where conf/prod keeps them
   (SQLite and DuckDB under ``ENERGIEWATCH_DATA_DIR``).

Both runs go through the ``kedro`` command line in a child process; they differ by their stores
only. Then every table of the embedded run has the same row count in the store conf/prod puts
it in; the dashboard (its data services and pages, ``KEDRO_ENV=prod``) reads the indices from
Elasticsearch, logs its predictions there and stores feedback in MongoDB; the carbon summary
reports the production run.

The sample: 3 regions (clustering needs 3 with a full year of data), the year 2024 (the previous
runs of the weather forecasts are archived from 2024; the models split the year by date), 300
fuel stations, 3,000 fuel price rows: about 80,000 raw rows go to MongoDB (SecantusDB upserts
1,000 to 2,500 rows/s).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pytest_httpserver import HTTPServer

from tests.support.fake_elasticsearch import FakeElasticsearch
from tests.support.fusion_frames import catalog_config, project_config
from tests.support.live_sample import serve_sample
from tests.support.mongo_server import MongoServer
from tests.support.paths import KEDRO_PROJECT, REPO_ROOT

from .conftest import SMALL_MODELS

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SAMPLE = {
    "start": "2024-01-01",
    "end": "2024-12-31",
    "regions": ["11", "75", "84"],
    "fuel_stations": 300,
    "fuel_price_rows": 3_000,
    "seed": 7,
}
STORE_VARIABLES = ("ENERGIEWATCH_DUCKDB", "ENERGIEWATCH_CARBON_DIR", "MLFLOW_TRACKING_URI")


@dataclass
class Chain:
    embedded_dir: Path  # ENERGIEWATCH_DATA_DIR of the embedded run
    prod_dir: Path  # ENERGIEWATCH_DATA_DIR of the production run
    prod_env: dict[str, str]  # the production run's service variables
    mongo: MongoServer
    database: str


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        nested = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = deep_merge(base[key], value) if nested else value
    return merged


# The same parameters for both runs: the small models of the model tests and the one-year
# split (train to August, validate on September-October, test on November-December).
OVERRIDES = deep_merge(
    SMALL_MODELS,
    {"forecasting": {"split": {"train_end": "2024-08-31", "validation_end": "2024-10-31"}}},
)


def chain_conf(root: Path) -> Path:
    """The project's conf/base, conf/live and conf/prod, plus ``OVERRIDES`` in both run
    environments.

    The overrides are whole parameter sections written into the run's environment: Kedro merges
    ``--params`` into each environment's parameter files before its destructive base/environment
    merge, so ``--env prod --params forecasting.horizon_days=7`` would replace the whole
    ``forecasting`` section.
    """
    import yaml

    conf = root / "conf"
    for env in ("base", "live", "prod"):
        shutil.copytree(KEDRO_PROJECT / "conf" / env, conf / env)
    (conf / "local").mkdir()
    base = project_config(None, "parameters")
    sections = {name: deep_merge(base[name], values) for name, values in OVERRIDES.items()}
    for env in ("live", "prod"):
        text = yaml.safe_dump(sections, allow_unicode=True, sort_keys=False)
        (conf / env / "parameters_test_chain.yml").write_text(text, encoding="utf-8")
    return conf


def kedro_run(
    conf: Path, data_dir: Path, env: str | None = None, extra: dict[str, str] | None = None
) -> None:
    """``kedro run [--env ENV]`` of the default pipeline in a child process."""
    variables = {k: v for k, v in os.environ.items() if k not in STORE_VARIABLES}
    variables |= {
        "ENERGIEWATCH_DATA_DIR": str(data_dir),
        "MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true",
        "KEDRO_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    } | (extra or {})
    command = [str(Path(sys.executable).with_name("kedro")), "run", "--conf-source", str(conf)]
    command += ["--env", env] if env else []
    done = subprocess.run(
        command, cwd=KEDRO_PROJECT, env=variables, capture_output=True, text=True, timeout=1200
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stderr[-6000:]}"


def _server() -> HTTPServer:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    return server


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, mongo_server: MongoServer) -> Iterator[Chain]:
    from data_collection_kedro.sample_data import generate

    root = tmp_path_factory.mktemp("prod_chain")
    sample = root / "sample"
    generate(sample, **SAMPLE)
    dirs = {name: root / name / "data" for name in ("embedded", "prod")}
    for data_dir in dirs.values():
        shutil.copytree(sample, data_dir / "01_raw" / "sample")

    conf = chain_conf(root)
    apis, elasticsearch = _server(), _server()
    try:
        sources = serve_sample(sample, apis)
        kedro_run(conf, dirs["embedded"], "live", sources)
        es_url = os.environ.get("ELASTICSEARCH_URL")
        if not es_url:
            handler = FakeElasticsearch()
            elasticsearch.expect_request(re.compile(r"/.*")).respond_with_handler(handler)
        database = mongo_server.fresh_database("energiewatch_prod_chain")
        prod_env = sources | {
            "MONGODB_URI": mongo_server.uri,
            "MONGODB_DATABASE": database,
            "ELASTICSEARCH_URL": es_url or elasticsearch.url_for("/").rstrip("/"),
        }
        kedro_run(conf, dirs["prod"], "prod", prod_env)
        yield Chain(dirs["embedded"], dirs["prod"], prod_env, mongo_server, database)
    finally:
        apis.stop()
        elasticsearch.stop()
        mongo_server.drop_databases()


# ------------------------------------------------------------------------------ row counts
def duckdb_counts(database: Path) -> dict[str, int]:
    """Row counts of the dataset tables (not the store's own bookkeeping)."""
    import duckdb

    from data_collection_kedro.datasets.duckdb_table import INTERNAL_PREFIX

    with duckdb.connect(str(database), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute("SHOW TABLES").fetchall()
            if not row[0].startswith(INTERNAL_PREFIX)
        ]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # type: ignore[index]


_STORE_NAME = {
    "DuckDBTableDataset": "table",
    "MongoCollectionDataset": "collection",
    "ElasticsearchIndexDataset": "index",
}


def store_locations() -> dict[str, tuple[str, tuple[str, str]]]:
    """For each stored dataset of the default pipeline: its embedded DuckDB table and
    (store class, name) where the conf/prod catalog writes it (dataset factories resolved)."""
    from kedro.framework.project import pipelines
    from kedro.framework.startup import bootstrap_project
    from kedro.io import DataCatalog

    bootstrap_project(KEDRO_PROJECT)
    embedded_catalog = DataCatalog.from_config(catalog_config("live"))
    prod = DataCatalog.from_config(catalog_config("prod"))
    locations = {}
    for name in sorted(pipelines["__default__"].datasets()):
        embedded = embedded_catalog.get(name) if not name.startswith("param") else None
        if type(embedded).__name__ != "DuckDBTableDataset":
            continue  # parameters, files (models, parquet), intermediate frames
        production = prod.get(name)
        kind = type(production).__name__
        located = (kind, production._describe()[_STORE_NAME[kind]])
        locations[name] = (embedded._describe()["table"], located)
    return locations


def prod_count(chain: Chain, kind: str, name: str, duckdb_tables: dict[str, int]) -> int:
    if kind == "MongoCollectionDataset":
        with chain.mongo.client() as client:
            return int(client[chain.database][name].count_documents({}))
    if kind == "ElasticsearchIndexDataset":
        from data_collection_kedro.datasets import ElasticsearchIndexDataset

        index = ElasticsearchIndexDataset(index=name, hosts=chain.prod_env["ELASTICSEARCH_URL"])
        try:
            return len(index.load())
        finally:
            index.release()
    return duckdb_tables[name]


def test_prod_run_stores_the_rows_of_the_embedded_run(chain: Chain) -> None:
    """Every table of the embedded run, in the store conf/prod puts it in, same row count."""
    embedded = duckdb_counts(chain.embedded_dir / "energiewatch.duckdb")
    prod_duckdb = duckdb_counts(chain.prod_dir / "energiewatch.duckdb")
    pairs = set(store_locations().values())
    declared = {table for table, _ in pairs}
    assert declared == set(embedded), "a table of the run is not declared"
    compared = {
        table: (embedded[table], prod_count(chain, kind, name, prod_duckdb))
        for table, (kind, name) in sorted(pairs)
    }
    assert {t: e for t, (e, _) in compared.items()} == {t: p for t, (_, p) in compared.items()}
    # the sample is in every table that should hold it (the comparison is not of empty stores)
    assert compared["raw_consumption_regional"][0] == 3 * 366 * 48
    assert compared["raw_fuel_prices"][0] == SAMPLE["fuel_price_rows"]
    assert min(e for t, (e, _) in compared.items() if t != "raw_quarantine") > 0
    # in production, the raw store and the indices are not in the embedded store
    where = {kind for _, (kind, _) in pairs}
    assert where == {"MongoCollectionDataset", "ElasticsearchIndexDataset", "DuckDBTableDataset"}
    in_prod_duckdb = {name for _, (kind, name) in pairs if kind == "DuckDBTableDataset"}
    assert set(prod_duckdb) == in_prod_duckdb
    assert not any(t.startswith("raw_") or t == "meteo_consommation" for t in in_prod_duckdb)


# ------------------------------------------------------------------------------- dashboard
@pytest.fixture
def prod_dashboard(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> Chain:
    """The dashboard's environment for the production run (``KEDRO_ENV=prod``)."""
    import streamlit as st

    for name in STORE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in chain.prod_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KEDRO_ENV", "prod")
    monkeypatch.setenv("ENERGIEWATCH_DATA_DIR", str(chain.prod_dir))
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    st.cache_resource.clear()
    st.cache_data.clear()
    return chain


def test_dashboard_serves_from_the_production_stores(prod_dashboard: Chain) -> None:
    from streamlit.testing.v1 import AppTest

    from dashboard_ui import services
    from dashboard_ui.settings import load_settings
    from data_collection_kedro.datasets import DuckDBTableDataset
    from data_collection_kedro.monitoring import MonitoringStore

    chain = prod_dashboard
    # the index the pages read comes from Elasticsearch, equal to the embedded run's table
    served = services.load_table("meteo_consommation")
    embedded = DuckDBTableDataset(
        str(chain.embedded_dir / "energiewatch.duckdb"), "meteo_consommation"
    ).load()
    key = ["region_code", "day"]
    pd.testing.assert_frame_equal(
        served.sort_values(key).reset_index(drop=True)[list(embedded.columns)],
        embedded.sort_values(key).reset_index(drop=True),
    )

    at = AppTest.from_file(str(REPO_ROOT / "dashboard_ui" / "app.py"), default_timeout=300)
    at.run()
    assert not at.exception, at.exception
    at.switch_page("page_scripts/weather.py").run()
    at.selectbox(key="weather_region").set_value("84")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert not at.error and not at.warning, [e.value for e in [*at.error, *at.warning]]
    predicted = at.session_state["last_prediction"]
    at.switch_page("page_scripts/feedback.py").run()
    at.slider(key="feedback_rating").set_value(5)
    at.text_area(key="feedback_comment").set_value("Prévision conforme.")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert any("enregistré" in s.value for s in at.success), [e.value for e in at.error]

    # the prediction log is in Elasticsearch, the feedback in MongoDB, as conf/prod says
    store_config = load_settings().store
    assert store_config["model_monitoring"]["type"].endswith("ElasticsearchIndexDataset")
    assert store_config["user_feedback"]["type"].endswith("MongoCollectionDataset")
    logged = MonitoringStore.from_config(store_config).predictions()
    assert logged["status"].tolist() == ["success"]
    # under index lifecycle management: the alias writes to the first rollover index
    from elasticsearch import Elasticsearch

    from data_collection_kedro.datasets import ElasticsearchIndexDataset

    entry = {k: v for k, v in store_config["model_monitoring"].items() if k != "type"}
    alias = ElasticsearchIndexDataset(**entry)._describe()["index"]
    with Elasticsearch(chain.prod_env["ELASTICSEARCH_URL"]) as es:
        behind = es.indices.get_alias(name=alias)
    assert {i: b["aliases"][alias] for i, b in behind.items()} == {
        f"{alias}-000001": {"is_write_index": True}
    }
    assert logged["model_version"].tolist() == [predicted["model_version"]]
    with chain.mongo.client() as client:
        collection = store_config["user_feedback"]["collection"]
        feedback = list(client[chain.database][collection].find({}, {"_id": 0}))
    assert [(f["rating"], f["comment"]) for f in feedback] == [(5, "Prévision conforme.")]
    assert feedback[0]["prediction_value"] == pytest.approx(predicted["prediction_value"])


# ---------------------------------------------------------------------------------- carbon
def carbon_summary(chain: Chain, out: Path) -> dict[str, Any]:
    variables = {k: v for k, v in os.environ.items() if k not in STORE_VARIABLES}
    variables |= chain.prod_env | {"ENERGIEWATCH_DATA_DIR": str(chain.prod_dir)}
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "carbon_summary.py"), "--env", "prod"]
        + ["--out", str(out), "--quiet"],
        env=variables,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    summary: dict[str, Any] = json.loads((out / "carbon_summary.json").read_text())
    return summary


def test_carbon_summary_reports_the_production_run(chain: Chain, tmp_path: Path) -> None:
    from data_collection_kedro.pipeline_registry import DEFAULT_PIPELINES

    summary = carbon_summary(chain, tmp_path)
    pipelines = {p["pipeline"]: p for p in summary["pipelines"]}
    assert set(DEFAULT_PIPELINES) <= set(pipelines)  # each pipeline of the default run
    for name in DEFAULT_PIPELINES:
        assert pipelines[name]["runs"] == 1, name
        assert pipelines[name]["energy_kwh"] > 0 and pipelines[name]["emissions_kg"] > 0, name
    nodes = {n["node"] for n in summary["nodes"]}
    embedded_nodes = set(
        pd.read_csv(chain.embedded_dir / "09_carbon" / "emissions_nodes.csv")["node"]
    )
    assert nodes == embedded_nodes  # every node of the default pipeline, measured
    assert not any(n["failed"] for n in summary["nodes"])
    assert summary["tradeoff"], summary["tradeoff_note"]  # the run's MLflow models


def test_carbon_summary_usage_section_reads_the_production_logs(
    prod_dashboard: Chain, tmp_path: Path
) -> None:
    from dashboard_ui.settings import load_settings
    from data_collection_kedro.monitoring import MonitoringStore, PredictionMonitor

    monitor = PredictionMonitor(MonitoringStore.from_config(load_settings().store), "dashboard")
    with monitor.track(page="p", model_name="energiewatch-day-ahead-gas-regional") as handle:
        handle.model_version = "1"
        handle.n_predictions = 3
    summary = carbon_summary(prod_dashboard, tmp_path)
    usage = {row["model"]: row for row in summary["usage"]}
    assert usage["energiewatch-day-ahead-gas-regional"]["predictions"] == 3, summary["usage_note"]
