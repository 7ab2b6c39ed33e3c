"""The dashboard on the real chain: ETL → fusion → forecasting + anomaly detection + clustering
on the small sample, then the pages use the champions and tables those pipelines produced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard_ui.settings import load_settings
from data_collection_kedro.monitoring import MonitoringStore

APP_FILE = Path(__file__).resolve().parents[2] / "dashboard_ui" / "app.py"


def _open(file: str) -> AppTest:
    at = AppTest.from_file(str(APP_FILE), default_timeout=300)
    at.run()
    at.switch_page(f"pages/{file}").run()
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
        run_pipeline(pipeline)

    at = _open("prediction_meteo.py")
    at.selectbox(key="weather_region").set_value("84")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert not at.error and not at.warning, [e.value for e in [*at.error, *at.warning]]
    predicted = float(at.metric[0].value.replace(" ", "").replace(",", ""))
    assert predicted > 0

    at = _open("prediction_consommation.py")
    at.button[0].click().run()
    assert not at.error and not at.warning, [e.value for e in [*at.error, *at.warning]]
    assert len(at.metric) == 1

    at = _open("clustering.py")
    assert not at.warning, [w.value for w in at.warning]
    clusters = at.dataframe[0].value
    assert set(clusters["region_code"]) == {"11", "53", "75", "84"}

    at = _open("anomalies.py")
    stored_count = [m for m in at.metric if m.label == "Anomalies sur la période"]
    assert stored_count and int(stored_count[0].value) >= 0
    assert "consumption_anomalies" not in " ".join(w.value for w in at.warning)

    rows = MonitoringStore.from_config(load_settings().store).predictions()
    assert sorted(rows["status"]) == ["success", "success"]
    assert set(rows["model_name"]) == {
        "energiewatch-whatif-weather-catboost",
        "energiewatch-whatif-movements-rf",
    }
