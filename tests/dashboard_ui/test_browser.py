"""Every page of ``streamlit run dashboard_ui/app.py`` in headless Chromium after a ``make run``.

The data is what ``make run`` produces: the default pipeline run through a Kedro session on the
small sample with its parameters (``SMALL_MODELS``), or, with ``ENERGIEWATCH_BROWSER_DATA_DIR``,
an existing data folder such as the one ``make run`` fills (the screenshots then show the full
sample). The test makes one
prediction through the browser (so the monitoring page has something to show), then opens
each page, waits until the app has finished running (status widget idle, the page's own
content shown, every visible chart drawn) and saves a full-page screenshot per page in
``reports/screenshots/`` (``ENERGIEWATCH_SCREENSHOT_DIR``; CI keeps them as an artifact).

Each page must show no exception (in the page or the server log) and its key elements:
metrics on Accueil with the forecast chart (P50 and its P10–P90 band), the served forecasts
with their band on Prévisions, the maps, the anomaly curve
with its marked days, the clusters on the map, the data-quality and fuel tables.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard_ui.navigation import PAGES
from tests.support.browser import CHROMIUM, Browser, streamlit_server
from tests.support.paths import REPO_ROOT
from tests.support.sample import SMALL_MODELS

SCREENSHOTS = Path(
    os.environ.get("ENERGIEWATCH_SCREENSHOT_DIR", REPO_ROOT / "reports" / "screenshots")
)
EXISTING_DATA = os.environ.get("ENERGIEWATCH_BROWSER_DATA_DIR")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed (`make browser` installs Debian's package)",
    ),
]

# what each page must show before its screenshot is taken (its own, last-drawn section)
MARKERS = {
    "home": "Dernières exécutions des pipelines",
    "forecasts": "Précision sur la période de test",
    "map": "Groupes de régions (clustering)",
    "anomalies": "Anomalies par région sur la période",
    "clustering": "Ce qui caractérise chaque groupe",
    "weather": "Prédiction météo",
    "movements": "Prédiction consommation",
    "data_quality": "Contrôles de la fusion",
    "fuel": "Dernier prix de chaque région",
    "monitoring": "Dernières prédictions",
    "carbon": "Suivi carbone",
    "feedback": "Votre avis",
}


@pytest.fixture(scope="module")
def made_run(tmp_path_factory: pytest.TempPathFactory, small_sample_dir: Path) -> Iterator[Path]:
    """A data folder after ``make run``: the default pipeline on the small sample, with the
    runtime parameters of that sample (``SMALL_MODELS``)."""
    if EXISTING_DATA:
        yield Path(EXISTING_DATA)
        return
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    from tests.support.paths import KEDRO_PROJECT

    data = tmp_path_factory.mktemp("made_run") / "data"
    shutil.copytree(small_sample_dir, data / "01_raw" / "sample")
    saved = {
        name: os.environ.get(name) for name in ("ENERGIEWATCH_DATA_DIR", "MLFLOW_TRACKING_URI")
    }
    os.environ["ENERGIEWATCH_DATA_DIR"] = str(data)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    cwd = Path.cwd()
    try:
        os.chdir(KEDRO_PROJECT)
        bootstrap_project(KEDRO_PROJECT)
        # the parameters the small sample needs (its 4 regions, small models)
        with KedroSession.create(
            project_path=KEDRO_PROJECT, runtime_params=SMALL_MODELS
        ) as session:
            session.run()
    finally:
        os.chdir(cwd)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    yield data


def _region_with_most_anomalies(data: Path) -> str:
    import duckdb

    with duckdb.connect(str(data / "energiewatch.duckdb"), read_only=True) as con:
        row = con.execute(
            "select region_code, count(*) n from consumption_anomalies where is_anomaly "
            "and day > (select max(day) - interval 365 day from consumption_anomalies) "
            "group by 1 order by n desc, region_code limit 1"
        ).fetchone()
    assert row is not None, "no anomaly in the last year of the run's data"
    return str(row[0])


def _predict_once(browser: Browser, url: str) -> None:
    """Click the weather page's prediction button (a real prediction, logged)."""
    page = next(p for p in PAGES if p.view == "weather")
    browser.open_page(f"{url}/{page.url_path}", MARKERS["weather"])
    clicked = browser.devtools.evaluate(
        "(() => { const b = [...document.querySelectorAll('button')]"
        ".find(b => b.innerText.includes('Prédire')); if (b) { b.click(); return true; }"
        " return false; })()"
    )
    assert clicked, "no prediction button on the weather page"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = browser.state()
        if not state["running"] and ("MWh/jour" in state["text"] or state["exceptions"]):
            break
        time.sleep(0.5)


def _check(view: str, state: dict[str, Any]) -> None:
    text, aria = state["text"], "\n".join(state["chart_aria"])
    if view == "home":
        assert len(state["metrics"]) >= 5, state["metrics"]
        assert any("Sources en retard" in m for m in state["metrics"])
        assert "Prévision P50" in aria and "Réel" in aria  # the forecast chart, drawn
        assert "Intervalle P10–P90" in aria, "forecast band missing"
        assert "Fraîcheur des sources" in text and state["tables"] >= 2
    elif view == "forecasts":
        assert any("Bande P10 – P90" in m for m in state["metrics"]), state["metrics"]
        assert state["drawn"] >= 2  # the next days, the last days against what was forecast
    elif view == "map":
        maps = [a for a in state["chart_aria"] if "geoshape" in a]
        assert len(maps) == 4, len(maps)
    elif view == "anomalies":
        curve = next(a for a in state["chart_aria"] if "Anomalie détectée" in a)
        marks = [part for part in curve.split("|") if "series: Anomalie détectée" in part]
        assert marks, "the anomaly curve has no marked day"
        assert "Précision mesurée" in text and "Rappel mesuré" in text
        assert any("geoshape" in a for a in state["chart_aria"])  # the map of counts
    elif view == "clustering":
        assert any("geoshape" in a for a in state["chart_aria"])
        assert "KMeans" in text and "Groupe 1" in text
    elif view == "data_quality":
        assert state["tables"] >= 2 and "Jours incomplets" in text
    elif view == "fuel":
        assert any("€/L" in m for m in state["metrics"])
        assert any("geoshape" in a for a in state["chart_aria"])
    elif view == "monitoring":
        assert "Qualité mesurée des modèles" in text and "Prédictions réussies" in text
        assert state["drawn"] >= 2  # counts and response times per model


def test_every_page_after_make_run(
    made_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urllib.parse import quote

    from data_collection_kedro.domain.regions import REGION_BY_CODE

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # the region with the most anomalies, chosen through the URL as a user's link would
    region = quote(REGION_BY_CODE[_region_with_most_anomalies(made_run)].name)
    env = {
        "ENERGIEWATCH_DATA_DIR": str(made_run),
        "KEDRO_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "1",
    }
    # the server reads the run's stores as `make dashboard` would: no override left by the
    # environment (an empty MLFLOW_TRACKING_URI would point MLflow at ./mlflow.db), and no
    # permission to load pickles (the models are stored without them)
    for name in (
        "MLFLOW_TRACKING_URI",
        "ENERGIEWATCH_DUCKDB",
        "MLFLOW_ALLOW_PICKLE_DESERIALIZATION",
    ):
        monkeypatch.delenv(name, raising=False)
    # Accueil's freshness table (drawn on a canvas, out of the page text): every source readable
    monkeypatch.setenv("ENERGIEWATCH_DATA_DIR", str(made_run))
    from dashboard_ui.services import source_freshness

    unreadable = {row.label: row.error for row in source_freshness() if row.error}
    assert not unreadable, unreadable
    log = tmp_path / "streamlit.log"
    shots: dict[str, Path] = {}
    with streamlit_server(env, log) as (url, _server):
        browser = Browser(tmp_path / "chromium-profile", tmp_path / "chromium.log")
        try:
            _predict_once(browser, url)
            for index, page in enumerate(PAGES):
                path = "" if index == 0 else page.url_path
                state = browser.open_page(f"{url}/{path}?region={region}", MARKERS[page.view])
                shots[page.view] = browser.screenshot(SCREENSHOTS / f"{index:02d}_{page.view}.png")
                assert not state["exceptions"], (page.view, state["exceptions"])
                assert "Traceback" not in state["text"], page.view
                _check(page.view, state)
            title = browser.devtools.evaluate("document.title")
        finally:
            browser.close()
    assert title == "EnergieWatch"
    for view, shot in shots.items():
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", view
    server_log = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in server_log, server_log[-3000:]
