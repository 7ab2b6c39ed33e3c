"""Incremental fusion in production: the raw store in MongoDB, the indices in Elasticsearch.

Kedro sessions of ``etl_pipeline`` and ``data_fusion_pipeline`` with ``--env prod`` (the raw
store is the session's MongoDB wire-protocol server, SecantusDB in-process or ``MONGODB_URI``;
the indices go to the loopback stand-in of Elasticsearch, tests/support/fake_elasticsearch.py:
no Elasticsearch server runs here, the limit of this test). The sources are the offline sample
files (conf/prod's live clients are left out: this test is about the stores). A short sample
goes through both pipelines (a full fusion), one day is appended to every source file and both
run again: the fusion plans an incremental run (``fusion_raw_digest`` from the MongoDB raw
collections compared with the ``fusion_state`` collection the first run recorded) and upserts
the new days into the indices. Then the fusion is rebuilt from scratch (``incremental: false``)
into another Elasticsearch stand-in, from the same raw store: every index must equal the
incremental one.

SecantusDB upserts about 2,000 documents a second: the sample is two regions over three months
(the observed family's look-back is about two months: a shorter history would be rebuilt whole).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from pytest_httpserver import HTTPServer

from data_collection_kedro.domain.contracts import CONTRACTS
from data_collection_kedro.domain.fusion_window import FAMILIES
from data_collection_kedro.sample_data import generate
from data_collection_kedro.sample_data.append import append_day
from tests.support.fake_elasticsearch import FakeElasticsearch
from tests.support.fusion_frames import project_config
from tests.support.mongo_server import MongoServer
from tests.support.paths import KEDRO_PROJECT

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SAMPLE = {
    "start": "2023-10-01",
    "end": "2023-12-31",
    "regions": ["11", "84"],
    "fuel_stations": 30,
    "fuel_price_rows": 1_500,
    "seed": 7,
}
NEW_DAY = date(2024, 1, 1)
INDICES = [index for indices in FAMILIES.values() for index in indices]
# two regions hold 29 % of the national temperature's weights
FUSION = {"national_temperature": {"min_weight_share": 0.2}}


def _conf(root: Path, incremental: bool) -> Path:
    """conf/base and conf/prod of the project without conf/prod's live sources, and the whole
    ``data_fusion`` section (base + ``FUSION``, ``incremental``) in the prod environment (an
    environment's section replaces base's whole)."""
    conf = root / f"conf_{'incremental' if incremental else 'rebuild'}"
    for env in ("base", "prod"):
        shutil.copytree(KEDRO_PROJECT / "conf" / env, conf / env)
    (conf / "prod" / "catalog_etl_sources.yml").unlink()
    (conf / "local").mkdir()
    section = project_config(None, "parameters")["data_fusion"]
    section["national_temperature"] |= FUSION["national_temperature"]
    section["incremental"] = incremental
    text = yaml.safe_dump({"data_fusion": section}, allow_unicode=True, sort_keys=False)
    (conf / "prod" / "parameters_test_fusion.yml").write_text(text, encoding="utf-8")
    return conf


def _elasticsearch() -> tuple[HTTPServer, FakeElasticsearch]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    handler = FakeElasticsearch()
    server.expect_request(re.compile(r"/.*")).respond_with_handler(handler)
    server.start()
    return server, handler


def _url(server: HTTPServer) -> str:
    return str(server.url_for("/")).rstrip("/")


def _run(conf: Path, es: HTTPServer, monkeypatch: pytest.MonkeyPatch, *pipelines: str) -> None:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    monkeypatch.setenv("ELASTICSEARCH_URL", _url(es))
    bootstrap_project(KEDRO_PROJECT)
    for pipeline in pipelines:
        with KedroSession.create(
            project_path=KEDRO_PROJECT, env="prod", conf_source=str(conf)
        ) as session:
            session.run(pipeline_names=[pipeline])


def _index(es: HTTPServer, name: str) -> pd.DataFrame:
    from data_collection_kedro.datasets import ElasticsearchIndexDataset

    dataset = ElasticsearchIndexDataset(index=name, hosts=_url(es))
    try:
        frame = dataset.load()
    finally:
        dataset.release()
    key = list(CONTRACTS[name].key)
    return frame.sort_values(key, ignore_index=True)[sorted(frame.columns)]


def _scopes(es: HTTPServer) -> dict[str, str]:
    quality = _index(es, "fusion_data_quality")
    return {
        str(index): (json.loads(detail) if isinstance(detail, str) else detail)["scope"]
        for index, detail in zip(quality["index"], quality["detail"], strict=True)
    }


@pytest.fixture
def production(
    tmp_path: Path, mongo_server: MongoServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """A data dir with the short sample, the prod services' variables, two Elasticsearch
    stand-ins (the runs', the rebuild's)."""
    data_dir = tmp_path / "data"
    generate(data_dir / "01_raw" / "sample", **SAMPLE)
    generate(tmp_path / "longer", **{**SAMPLE, "end": NEW_DAY.isoformat()})
    database = mongo_server.fresh_database("energiewatch_incremental")
    monkeypatch.chdir(KEDRO_PROJECT)
    for var in ("ENERGIEWATCH_DUCKDB", "ENERGIEWATCH_CARBON_DIR", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ENERGIEWATCH_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MONGODB_URI", mongo_server.uri)
    monkeypatch.setenv("MONGODB_DATABASE", database)
    monkeypatch.setenv("ENERGIEWATCH_ES_REPLICAS", "0")
    (runs, _), (rebuild, _) = _elasticsearch(), _elasticsearch()
    try:
        yield {
            "root": tmp_path,
            "sample": data_dir / "01_raw" / "sample",
            "longer": tmp_path / "longer",
            "runs": runs,
            "rebuild": rebuild,
            "mongo": mongo_server,
            "database": database,
        }
    finally:
        runs.stop()
        rebuild.stop()
        mongo_server.drop_databases()


def test_a_production_rerun_is_incremental_and_equals_a_rebuild(
    production: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    incremental = _conf(production["root"], incremental=True)
    runs = production["runs"]
    _run(incremental, runs, monkeypatch, "etl_pipeline", "data_fusion_pipeline")
    assert set(_scopes(runs).values()) == {"whole history"}  # first run: nothing recorded
    first = {index: _index(runs, index) for index in INDICES}
    with production["mongo"].client() as client:
        state = client[production["database"]]["fusion_state"]
        recorded = state.count_documents({})
        assert recorded > 1 and state.count_documents({"name": "raw_fuel_prices"}) > 1

    appended = append_day(production["sample"], production["longer"], NEW_DAY)
    assert any("line" in what for what in appended.values()), appended
    _run(incremental, runs, monkeypatch, "etl_pipeline", "data_fusion_pipeline")
    scopes = _scopes(runs)
    assert all(s.startswith("days from ") for s in scopes.values()), scopes
    assert scopes["prix_carburants_journalier"].startswith("days from 2023-12-31 "), scopes
    after = {index: _index(runs, index) for index in INDICES}
    for index in INDICES:  # the new day is there, the earlier days as they were
        assert (pd.to_datetime(after[index]["day"]) == pd.Timestamp(NEW_DAY)).any(), index
        assert len(after[index]) > len(first[index]), index
    with production["mongo"].client() as client:  # the state now covers the new day
        assert client[production["database"]]["fusion_state"].count_documents({}) > recorded

    rebuild = production["rebuild"]
    _run(_conf(production["root"], incremental=False), rebuild, monkeypatch, "data_fusion_pipeline")
    assert set(_scopes(rebuild).values()) == {"whole history"}
    for index in INDICES:
        pd.testing.assert_frame_equal(
            after[index], _index(rebuild, index), check_exact=False, rtol=1e-9
        )
    key = list(CONTRACTS["fusion_data_quality"].key)
    assert (
        _index(runs, "fusion_data_quality")[key].values.tolist()
        == _index(rebuild, "fusion_data_quality")[key].values.tolist()
    )
