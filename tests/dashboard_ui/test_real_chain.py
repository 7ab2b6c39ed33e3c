"""The dashboard on the real chain: ETL → fusion → forecasting + anomaly detection + clustering
on the small sample, then the pages use the champions and tables those pipelines produced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kedro.io import DataCatalog
from streamlit.testing.v1 import AppTest

from dashboard_ui.settings import load_settings
from data_collection_kedro.monitoring import MonitoringStore
from tests.support.paths import REPO_ROOT
from tests.support.sample import SMALL_MODELS

APP_FILE = REPO_ROOT / "dashboard_ui" / "app.py"


def _open(file: str) -> AppTest:
    at = AppTest.from_file(str(APP_FILE), default_timeout=300)
    at.run()
    at.switch_page(f"page_scripts/{file}").run()
    assert not at.exception, at.exception
    return at


@pytest.mark.slow
def test_pages_on_the_pipelines_outputs(
    sample_data_dir: Path, run_pipeline: Any, dashboard_data: Path
) -> None:
    for pipeline in (
        "etl_pipeline",
        "data_fusion_pipeline",
        "forecasting",
        "anomaly_detection",
        "clustering",
    ):
        run_pipeline(pipeline, params=SMALL_MODELS)

    at = _open("weather.py")
    at.selectbox(key="weather_region").set_value("84")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert not at.error and not at.warning, [e.value for e in [*at.error, *at.warning]]
    predicted = float(at.metric[0].value.replace(" ", "").replace(",", ""))
    assert predicted > 0

    at = _open("movements.py")
    at.button[0].click().run()
    assert not at.error and not at.warning, [e.value for e in [*at.error, *at.warning]]
    assert len(at.metric) == 1

    # the served forecasts: the next days with their band, the backtest, the baselines
    at = _open("forecasts.py")
    assert not at.error and not at.warning, [e.value for e in [*at.error, *at.warning]]
    labels = [m.label for m in at.metric]
    assert "Bande P10 – P90" in labels and "Jours dans la bande P10 – P90" in labels
    assert len(at.dataframe) == 2  # the next days, the accuracy against the baselines

    at = _open("clustering.py")
    assert not at.warning, [w.value for w in at.warning]
    clusters = at.dataframe[0].value
    assert set(clusters["region_code"]) == {"11", "53", "75", "84"}

    catalog = DataCatalog.from_config(load_settings().catalog)
    stored = catalog.load("consumption_anomalies")
    at = _open("anomalies.py")
    stored_count = [m for m in at.metric if m.label == "Anomalies sur la période"]
    assert stored_count, [w.value for w in at.warning]
    assert int(stored_count[0].value) == int(stored["is_anomaly"].sum())

    # a region's year of the fused index, uploaded as a CSV, is scored by the real champion
    meteo = catalog.load("meteo_consommation")
    year = meteo.loc[meteo["region_code"].astype(str) == "84"].tail(365)
    columns = [
        "region_code",
        "day",
        "gas_consumption_mwh",
        "electricity_consumption_mwh",
        "temp_mean_c",
        *[f"gas_h{h:02d}_share" for h in range(24)],
    ]
    content = year[columns].to_csv(sep=";", index=False).encode("utf-8")
    at.file_uploader[0].set_value(("auvergne.csv", content, "text/csv")).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert f"sur {len(year)} jour(s)" in " ".join(s.value for s in at.success)

    rows = MonitoringStore.from_config(load_settings().store).predictions()
    assert sorted(rows["status"]) == ["success", "success", "success"]
    assert set(rows["model_name"]) == {
        "energiewatch-whatif-weather-catboost",
        "energiewatch-whatif-movements-rf",
        "energiewatch-anomaly-isolationforest",
    }
