"""The dashboard on the real chain: the default pipeline (ETL → fusion → forecasting + anomaly
detection + clustering) on the small sample, as ``make run`` runs it; the run's summary lists
every output, then the pages use the champions and tables the run produced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from kedro.io import DataCatalog
from streamlit.testing.v1 import AppTest

from dashboard_ui.settings import load_settings
from data_collection_kedro.monitoring import MonitoringStore
from tests.dashboard_ui.conftest import french_number
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
    sample_data_dir: Path,
    run_pipeline: Any,
    dashboard_data: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from data_collection_kedro.reporting import run_report
    from tests.reporting.test_run_report import persisted_outputs

    run_pipeline(params=SMALL_MODELS)  # __default__, as `make run` (small models)
    capsys.readouterr()
    assert run_report.main([]) == 0
    report = capsys.readouterr().out
    outputs = persisted_outputs("__default__")
    assert {"meteo_consommation", "consumption_forecasts", "region_clusters"} <= outputs
    listed = {line.split()[0] for line in report.splitlines() if line.startswith("  ")}
    assert outputs <= listed, sorted(outputs - listed)
    assert "pipeline __default__: OK" in report

    at = _open("weather.py")
    at.selectbox(key="weather_region").set_value("84")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert not at.error and not at.warning, [e.value for e in [*at.error, *at.warning]]
    predicted = french_number(at.metric[0].value)
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
    groups = at.table[0].value
    regions = ", ".join(groups["Régions"])
    for name in ("Île-de-France", "Bretagne", "Nouvelle-Aquitaine", "Auvergne-Rhône-Alpes"):
        assert name in regions

    catalog = DataCatalog.from_config(load_settings().catalog)
    stored = catalog.load("consumption_anomalies")
    at = _open("anomalies.py")
    assert not at.warning, [w.value for w in at.warning]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Précision mesurée"].endswith("%")
    # every flagged day of the default period (the last year), whichever energy explains it
    last = pd.to_datetime(stored["day"]).max()
    recent = stored[pd.to_datetime(stored["day"]) > last - pd.Timedelta(days=365)]
    shown = 0
    for energy in ("gas", "electricity"):
        at.selectbox(key="anomaly_energy").set_value(energy).run()
        assert not at.exception, at.exception
        counts = {m.label: m.value for m in at.metric}
        shown += int(counts["Anomalies sur la période — toutes régions"])
    assert shown == int(recent["is_anomaly"].sum())

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
