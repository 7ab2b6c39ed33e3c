"""No password of a service URI is shown or written (issue #13 item 7).

Credentialed ``MLFLOW_TRACKING_URI``, ``MONGODB_URI`` and ``ELASTICSEARCH_URL`` are put in the
environment; the carbon report is written and every dashboard page rendered (``KEDRO_ENV=prod``:
monitoring in Elasticsearch, feedback in MongoDB). The password must appear nowhere: report
files, page text, logs, standard output, files under the data folder. Limits (named on purpose):
no MLflow, MongoDB or Elasticsearch server runs here; one loopback server answers the MLflow REST
calls (no experiment, no registered model) and Elasticsearch's (tests/support/fake_elasticsearch),
and the session's MongoDB server (tests/support/mongo_server.py: SecantusDB in-process, or
``MONGODB_URI``'s) is addressed with a credentialed URI.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from dashboard_ui.navigation import PAGE_SCRIPTS, PAGES
from data_collection_kedro.reporting.carbon_report import main as carbon_report
from tests.support.fake_elasticsearch import FakeElasticsearch
from tests.support.mongo_server import MongoServer

PASSWORD = "S3cr3t-Pw-4242"
MASKED = "***@"

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def mlflow_or_elasticsearch(fake_es: FakeElasticsearch):  # type: ignore[no-untyped-def]
    def handle(request: Request) -> Response:
        if request.path.startswith("/api/2.0/mlflow/"):
            if request.path.endswith("/experiments/search"):
                body, status = {"experiments": []}, 200
            else:
                body, status = {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "absent"}, 404
            return Response(json.dumps(body), status=status, content_type="application/json")
        return fake_es(request)

    return handle


@pytest.fixture
def credentialed_services(
    dashboard_data: Path,
    httpserver: HTTPServer,
    mongo_server: MongoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    httpserver.expect_request(re.compile(r"/.*")).respond_with_handler(
        mlflow_or_elasticsearch(FakeElasticsearch())
    )
    address = f"127.0.0.1:{httpserver.port}"
    mongo_host = urlsplit(mongo_server.uri).netloc.rpartition("@")[2]
    uris = {
        "MLFLOW_TRACKING_URI": f"http://energie:{PASSWORD}@{address}",
        "MONGODB_URI": f"mongodb://energie:{PASSWORD}@{mongo_host}/?authSource=admin",
        "ELASTICSEARCH_URL": f"http://elastic:{PASSWORD}@{address}",
    }
    for name, value in uris.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MONGODB_DATABASE", "energiewatch_secrets_test")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    return uris


def _files_text(*folders: Path) -> str:
    return "\n".join(
        path.read_bytes().decode("utf-8", errors="replace")
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file()
    )


def test_no_password_in_the_report_pages_or_logs(
    credentialed_services: dict[str, str],
    dashboard_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.dashboard_ui.conftest import APP_FILE

    caplog.set_level(logging.DEBUG)
    reports = tmp_path / "reports"
    assert carbon_report(["--out", str(reports), "--quiet"]) == 0
    report = _files_text(reports)
    assert "energie:***@127.0.0.1" in report  # the URI is reported, its password masked

    monkeypatch.setenv("KEDRO_ENV", "prod")
    shown: list[str] = []
    for page in PAGES:
        at = AppTest.from_file(str(APP_FILE), default_timeout=180)
        at.run()
        at.switch_page(f"{PAGE_SCRIPTS}/{page.file}").run()
        assert not at.exception, (page.file, at.exception)
        shown += [
            str(e.value)
            for kind in ("warning", "info", "error", "caption", "markdown")
            for e in getattr(at, kind)
        ]
    page_text = "\n".join(shown)
    assert MASKED in page_text  # the pages name the registry they could not read

    written = _files_text(dashboard_data)
    output = capsys.readouterr()
    for where, text in {
        "report files": report,
        "page text": page_text,
        "logs": caplog.text,
        "stdout": output.out,
        "stderr": output.err,
        "data folder": written,
    }.items():
        assert PASSWORD not in text, f"the password appears in the {where}"
