"""The dashboard through its entry point (``dashboard_ui/app.py``) with Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard_ui.navigation import PAGE_SCRIPTS, PAGES
from dashboard_ui.settings import load_settings
from data_collection_kedro.monitoring import MONITORING_COLUMNS, MonitoringStore
from data_collection_kedro.tracking.models import load_registered_model
from tests.dashboard_ui.conftest import french_number
from tests.support.paths import REPO_ROOT

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def store() -> MonitoringStore:
    """A fresh reader of the configured monitoring store (not the app's cached one)."""
    return MonitoringStore.from_config(load_settings().store)


def open_page(at, file: str):
    at.run()
    assert not at.exception, at.exception
    at.switch_page(f"page_scripts/{file}").run()
    assert not at.exception, at.exception
    return at


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


@pytest.mark.parametrize(("file", "title"), [(page.file, page.title) for page in PAGES])
def test_every_page_renders_without_models_or_tables(app_test, file: str, title: str) -> None:
    at = open_page(app_test, file)
    assert at.title, f"{file} shows no title"
    # nothing trained and nothing stored yet: pages explain what to run, never a traceback
    shown = texts(at.warning) + texts(at.info) + texts(at.caption)
    if file in {"anomalies.py", "clustering.py", "home.py", "map.py", "data_quality.py"}:
        assert "kedro run --pipelines=" in shown, shown


def test_sidebar_lists_every_page(app_test) -> None:
    at = app_test
    at.run()
    assert not at.exception
    assert at.title[0].value == "Point du matin"
    assert len(PAGES) == 12


def test_page_files_are_named_after_their_views() -> None:
    # no pages/ folder beside app.py: Streamlit would run its scripts alone (navigation.py)
    assert not (REPO_ROOT / "dashboard_ui" / "pages").exists()
    pages = REPO_ROOT / "dashboard_ui" / PAGE_SCRIPTS
    assert sorted(p.name for p in pages.glob("*.py")) == sorted(page.file for page in PAGES)
    for page in PAGES:
        assert (REPO_ROOT / "dashboard_ui" / "views" / page.file).exists(), page
        assert (
            f"from dashboard_ui.views.{page.view} import render" in (pages / page.file).read_text()
        )
    assert len({page.url_path for page in PAGES}) == len(PAGES)


def test_weather_prediction_matches_the_champion_and_is_logged(app_test, with_champions) -> None:
    at = open_page(app_test, "weather.py")
    at.selectbox(key="weather_region").set_value("53")
    at.number_input(key="weather_tmax").set_value(3.0)
    at.number_input(key="weather_tmin").set_value(-2.0)
    at.number_input(key="weather_previous").set_value(8.5)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)
    assert len(at.metric) == 1, texts(at.warning) + texts(at.caption)
    shown = french_number(at.metric[0].value)

    # the same inputs through the registered champion give the displayed value
    inputs = at.dataframe[0].value
    _, model = load_registered_model(
        with_champions.names["weather"], with_champions.tracking_uri, alias="champion"
    )
    assert list(inputs.columns) == with_champions.features["weather"]
    assert inputs.loc[0, "region_code"] == "53"
    assert inputs.loc[0, "temp_mean_c"] == pytest.approx(0.5)
    if "temp_ewm_c" in inputs.columns:  # smoothed over the days before (8.5 °C)
        assert inputs.loc[0, "temp_ewm_c"] == pytest.approx(4.5)
    assert shown == pytest.approx(float(model.predict(inputs)[0]), abs=0.06)

    rows = store().predictions()
    assert list(rows.columns) == list(MONITORING_COLUMNS)
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["status"] == "success"
    assert row["application"] == "dashboard"
    assert row["page"] == "Prédiction météo"
    assert row["model_name"] == with_champions.names["weather"]
    assert row["model_version"] == "1"
    assert row["n_predictions"] == 1
    assert row["response_time_ms"] > 0
    assert row["memory_mb"] > 0
    assert pd.isna(row["error_type"])


def test_movements_prediction_reacts_to_strikes_and_is_logged(app_test, with_champions) -> None:
    at = open_page(app_test, "movements.py")
    at.checkbox(key="movements_strike").check()
    at.number_input(key="movements_count").set_value(2)
    at.slider(key="movements_rate").set_value(25.0)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)
    assert len(at.metric) == 1
    inputs = at.dataframe[0].value
    assert list(inputs.columns) == with_champions.features["movements"]
    assert inputs.loc[0, "strike_active"] == 1.0
    assert inputs.loc[0, "strike_count"] == 2.0
    assert inputs.loc[0, "strike_rate_pct"] == 25.0
    rows = store().predictions()
    assert rows["status"].tolist() == ["success"]
    assert rows["model_name"].tolist() == [with_champions.names["movements"]]


@pytest.mark.parametrize("file", ["weather.py", "movements.py"])
def test_prediction_form_without_registry_explains_what_to_run(app_test, file: str) -> None:
    """The form asks for the inputs the champion uses: without a champion there is no form,
    and the page says which pipeline trains it."""
    at = open_page(app_test, file)
    assert not at.exception, at.exception
    assert "kedro run --pipelines=forecasting" in texts(at.warning)
    assert not at.button and not at.metric
    assert store().predictions().empty


def test_prediction_forms_ask_only_what_the_champion_uses(app_test, with_champions) -> None:
    at = open_page(app_test, "weather.py")
    asked = {element.key for element in at.number_input}
    # the weather champion uses the temperatures and their smoothing, no wind nor clouds
    assert {"weather_tmax", "weather_tmin", "weather_previous"} <= asked
    assert not asked & {"weather_wind_kmh", "weather_cloud_cover_pct", "weather_humidity_pct"}
    # the day after the data (the index ends on 2023-12-31)
    assert at.date_input(key="weather_day").value == pd.Timestamp("2024-01-01").date()
    at = open_page(at, "movements.py")
    assert "movements_temp" not in {element.key for element in at.number_input}
    assert at.date_input(key="movements_day").value == pd.Timestamp("2024-01-01").date()


def test_prediction_without_history_fails_cleanly_and_is_logged(app_test, with_champions) -> None:
    at = open_page(app_test, "weather.py")
    at.selectbox(key="weather_region").set_value("94")  # Corse: no row in the index
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert "Corse" in texts(at.error) or "94" in texts(at.error)
    rows = store().predictions()
    assert rows["status"].tolist() == ["error"]
    assert rows["model_version"].tolist() == ["1"]
    assert rows["error_type"].tolist() == ["ValueError"]


def _anomaly_csv(days: int = 90, spike_at: int = 45) -> bytes:
    """Daily rows of one region with a demand that follows the temperature, and one day at
    three times the expected gas consumption."""
    day = pd.date_range("2023-01-01", periods=days, freq="D")
    temp_mean = 6.0 + 4.0 * np.sin(np.arange(days) / 5.0)
    gas = 300.0 * (1 + 0.06 * np.clip(17.0 - temp_mean, 0, None))
    gas[spike_at] *= 3.0
    frame = pd.DataFrame(
        {
            "region_code": "11",
            "day": day.strftime("%Y-%m-%d"),
            "gas_consumption_mwh": gas.round(1),
            "electricity_consumption_mwh": (gas * 1.5).round(1),
            "temp_mean_c": temp_mean.round(2),
        }
    )
    return frame.to_csv(sep=";", index=False).encode("utf-8")


def test_anomaly_upload_scores_the_file(app_test, with_champions) -> None:
    at = open_page(app_test, "anomalies.py")
    at.file_uploader[0].set_value(("conso.csv", _anomaly_csv(), "text/csv")).run()
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)
    success = texts(at.success)
    assert "anomalie(s) détectée(s) sur 90 jour(s)" in success, success
    table = at.dataframe[0].value  # flagged days, most severe first, French headers
    assert list(table.columns)[:3] == ["Région", "Jour", "Sévérité (score)"]
    assert table["Jour"].iloc[0] == "15/02/2023"  # the spike is flagged, and first
    assert (table["Sévérité (score)"] != "—").all()
    gap = table.loc[table["Jour"] == "15/02/2023", "Écart (%)"].iloc[0]
    assert french_number(gap) > 150  # three times the expected consumption
    assert not any(column in table.columns for column in ("day", "anomaly_score", "region_code"))
    rows = store().predictions()
    assert rows["status"].tolist() == ["success"]
    assert rows["n_predictions"].tolist() == [90]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"region_code;day\n11;2023-01-01\n", "colonne(s) manquante(s)"),
        (_anomaly_csv(days=10, spike_at=3), "au moins 30 jours par région"),
        (b'\x00\x01garbage \xff\xfe\n"unclosed;;\n', "conso.csv"),
        (
            b"region_code;day;gas_consumption_mwh;temp_mean_c\n11;2023-13-45;abc;5\n",
            "ligne 2",
        ),
        (b"", "vide"),
    ],
    ids=["missing-columns", "too-few-days", "binary", "bad-values", "empty"],
)
def test_malformed_csv_shows_an_error_not_a_traceback(
    app_test, with_champions, content: bytes, expected: str
) -> None:
    at = open_page(app_test, "anomalies.py")
    at.file_uploader[0].set_value(("conso.csv", content, "text/csv")).run()
    assert not at.exception, at.exception
    assert expected in texts(at.error)
    assert not at.success
    assert store().predictions().empty  # nothing was scored


def test_oversized_csv_is_refused(app_test, with_champions) -> None:
    limit_mb = load_settings().params["limits"]["max_upload_mb"]
    header = b"region_code;day;gas_consumption_mwh;temp_mean_c\n"
    line = b"11;2023-01-01;300.0;5.0\n"
    content = header + line * (int(limit_mb * 2**20) // len(line) + 10)
    at = open_page(app_test, "anomalies.py")
    at.file_uploader[0].set_value(("big.csv", content, "text/csv")).run()
    assert not at.exception, at.exception
    assert "trop volumineux" in texts(at.error)
    assert store().predictions().empty


def test_feedback_is_stored_and_read_back(app_test, with_champions) -> None:
    at = open_page(app_test, "weather.py")
    at.button[0].click().run()
    predicted = at.session_state["last_prediction"]["prediction_value"]
    at.switch_page("page_scripts/feedback.py").run()
    assert not at.exception, at.exception
    at.slider(key="feedback_rating").set_value(2)
    at.text_area(key="feedback_comment").set_value("  Trop haut pour un jour doux.  ")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert "enregistré" in texts(at.success)

    stored = store().feedback()
    assert len(stored) == 1
    row = stored.iloc[0]
    assert row["rating"] == 2
    assert row["comment"] == "Trop haut pour un jour doux."
    assert row["model_name"] == with_champions.names["weather"]
    assert row["model_version"] == "1"
    assert row["page"] == "Prédiction météo"
    assert row["prediction_value"] == pytest.approx(predicted)


def test_feedback_comment_is_capped_at_the_limit(app_test) -> None:
    limit = load_settings().params["limits"]["comment_max_chars"]
    at = open_page(app_test, "feedback.py")
    at.text_area(key="feedback_comment").set_value("x" * (limit + 50))
    at.button[0].click().run()
    assert not at.exception, at.exception
    stored = store().feedback()
    assert len(stored) == 1
    assert len(stored.iloc[0]["comment"]) == limit  # never more than user_feedback allows


def test_monitoring_page_counts_successes_and_failures(app_test, with_champions) -> None:
    at = open_page(app_test, "weather.py")
    at.button[0].click().run()  # success
    at.selectbox(key="weather_region").set_value("94")
    at.button[0].click().run()  # failure: no history for Corse
    at.switch_page("page_scripts/monitoring.py").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Prédictions réussies"] == "1"
    assert metrics["Prédictions en échec"] == "1"
    summary = at.dataframe[0].value  # the first table of "Prédictions servies"
    row = summary.loc[summary["Modèle"] == with_champions.names["weather"]].iloc[0]
    assert (row["Réussies"], row["En échec"]) == (1, 1)
    assert french_number(row["Temps de réponse médian (ms)"]) > 0


def test_carbon_page_shows_the_carbon_summary(app_test, dashboard_data: Path) -> None:
    """Carbon files in the formats of docs/data-contracts.md §5 (CodeCarbon run file + nodes)."""
    carbon_dir = dashboard_data / "09_carbon"
    carbon_dir.mkdir()
    pd.DataFrame(
        {
            "timestamp": ["2024-01-01T00:01:00", "2024-01-01T00:05:00"],
            "project_name": ["energiewatch"] * 2,
            "run_id": ["r1", "r2"],
            "duration": [3.0, 30.0],
            "emissions": [0.0003, 0.0030],
            "energy_consumed": [0.003, 0.030],
        }
    ).iloc[[0]].to_csv(carbon_dir / "emissions_etl_pipeline.csv", index=False)
    pd.DataFrame(
        {
            "timestamp": ["2024-01-01T00:05:00"],
            "project_name": ["energiewatch"],
            "run_id": ["r2"],
            "duration": [30.0],
            "emissions": [0.0030],
            "energy_consumed": [0.030],
        }
    ).to_csv(carbon_dir / "emissions_forecasting.csv", index=False)
    pd.DataFrame(
        {
            "run_id": ["r1", "r1", "r2"],
            "pipeline": ["etl_pipeline", "etl_pipeline", "forecasting"],
            "node": ["parse", "save", "train"],
            "started_at": ["2024-01-01T00:00:57Z", "2024-01-01T00:00:58Z", "2024-01-01T00:04:30Z"],
            "duration_s": [1.0, 2.0, 30.0],
            "energy_kwh": [0.001, 0.002, 0.030],
            "emissions_kg": [0.0001, 0.0002, 0.0030],
            "cpu_energy_kwh": [0.001, 0.002, 0.030],
            "ram_energy_kwh": [0.0, 0.0, 0.0],
            "gpu_energy_kwh": [0.0, 0.0, 0.0],
            "measurement": ["TDP"] * 3,
            "country_iso_code": ["FRA"] * 3,
            "status": ["ok"] * 3,
        }
    ).to_csv(carbon_dir / "emissions_nodes.csv", index=False)
    from dashboard_ui.settings import load_settings
    from data_collection_kedro.monitoring import MonitoringStore, PredictionMonitor

    monitor = PredictionMonitor(MonitoringStore.from_config(load_settings().store), "dashboard")
    with monitor.track(page="p", model_name="energiewatch-day-ahead-gas-regional") as handle:
        handle.model_version = "1"
        handle.n_predictions = 1234
    at = open_page(app_test, "carbon.py")
    usage = next(d.value for d in at.dataframe if "prédictions servies" in d.value.columns)
    served = usage.set_index("modèle").loc["energiewatch-day-ahead-gas-regional"]
    assert served["prédictions servies"] == "1\u202f234"  # French headers and formats
    metrics = {m.label: m.value for m in at.metric}
    # each node run once: 33 Wh, 3.3 g, in readable units with the French decimal comma
    assert metrics["Énergie"] == "33,0 Wh"
    assert metrics["CO₂e (réseau annuel)"] == "3,30 g"
    per_phase = at.table[0].value
    assert per_phase.index.name == "phase" and per_phase.index[-1] == "total"
    assert per_phase.iloc[-1]["CO₂e (réseau annuel)"] == "3,30 g"
    tables = [t.value for t in at.table] + [d.value for d in at.dataframe]
    shown = pd.concat([t.astype(str) for t in tables]).to_string()
    assert "e-0" not in shown and "0.000" not in shown  # no raw floats
    subheaders = texts(at.subheader)
    assert "Par phase" in subheaders and "Projection annuelle par DAG Airflow" in subheaders
    assert "Aucune mesure" not in texts(at.warning)
    assert "kedro run --pipelines=forecasting" in texts(at.info)  # no model trained yet


def test_carbon_page_without_measurements_says_what_to_run(app_test) -> None:
    at = open_page(app_test, "carbon.py")
    assert "Aucune mesure carbone" in texts(at.warning)
    assert not at.metric
