"""The « Prévisions » page through the app (AppTest): the next days with their band and basis,
the last 60 days against what was forecast, the accuracy against the baselines and RTE."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

ISSUE = pd.Timestamp("2024-01-01")


def _forecasts() -> pd.DataFrame:
    rows = []
    for model, energy, scope, unit, codes in (
        ("day_ahead_gas_regional", "gas", "regional", "MWh PCS 0°C/jour", ["84", "11"]),
        ("day_ahead_electricity_national", "electricity", "national", "MWh/jour", ["FR"]),
    ):
        for code in codes:
            for lead in range(8):
                p50 = 1000.0 + 10 * lead
                rows.append(
                    {
                        "region_code": code,
                        "region": code,
                        "day": (ISSUE + pd.Timedelta(days=lead)).date(),
                        "model": model,
                        "energy": energy,
                        "scope": scope,
                        "unit": unit,
                        "issue_day": ISSUE.date(),
                        "lead_days": lead,
                        "consumption_mwh_p10": p50 * 0.9,
                        "consumption_mwh_predicted": p50,
                        "consumption_mwh_p90": p50 * 1.1,
                        "weather_basis": "forecast" if lead <= 5 else "no_weather",
                        "weather_issue_day": ISSUE.date() if lead <= 5 else None,
                    }
                )
    return pd.DataFrame(rows)


def _backtest() -> pd.DataFrame:
    days = pd.date_range("2023-09-01", "2023-12-31")
    rng = np.random.default_rng(2)
    frames = []
    for model, factor in (
        ("day_ahead_gas_regional", 1.0),
        ("baseline_persistence_gas_regional", 1.2),
    ):
        actual = 1000 + 100 * np.sin(np.arange(len(days)) / 9)
        predicted = actual * factor * rng.normal(1, 0.03, len(days))
        frames.append(
            pd.DataFrame(
                {
                    "energy": "gas",
                    "scope": "regional",
                    "region_code": "84",
                    "region": "Auvergne-Rhône-Alpes",
                    "day": days.date,
                    "issue_day": (days - pd.Timedelta(days=1)).date,
                    "model": model,
                    "actual_mwh": actual,
                    "predicted_mwh": predicted,
                    "p10_mwh": predicted * 0.95 if factor == 1.0 else np.nan,
                    "p90_mwh": predicted * 1.05 if factor == 1.0 else np.nan,
                    "weather_basis": "forecast" if factor == 1.0 else None,
                    "is_complete": True,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _metrics() -> pd.DataFrame:
    rows = [
        ("day_ahead_gas_regional", "test", "mape", 5.8),
        ("day_ahead_gas_regional", "test", "bias_pct", 0.4),
        ("day_ahead_gas_regional", "test", "coverage_pct", 81.3),
        ("day_ahead_gas_regional_oracle_weather", "test", "mape", 4.9),
        ("baseline_persistence_gas_regional", "test", "mape", 21.3),
        ("day_ahead_electricity_national", "test", "mape", 1.6),
        ("day_ahead_electricity_national", "test_rte_days", "mape_vs_consolidated", 1.71),
        ("day_ahead_electricity_national", "test_rte_days", "mape_vs_realtime", 2.65),
        ("rte_day_ahead_j1", "test_rte_days", "mape_vs_consolidated", 2.14),
        ("rte_day_ahead_j1", "test_rte_days", "mape_vs_realtime", 1.38),
        ("rte_day_ahead_j1", "test_rte_days", "n", 236.0),
    ]
    return pd.DataFrame(rows, columns=["model", "split", "metric", "value"])


@pytest.fixture
def forecast_tables(dashboard_data: Path) -> None:
    from kedro.io import DataCatalog

    from dashboard_ui.settings import load_settings

    catalog = DataCatalog.from_config(load_settings().catalog)
    catalog.save("consumption_forecasts", _forecasts())
    catalog.save("forecast_backtest", _backtest())
    catalog.save("model_metrics_forecasting", _metrics())


def _open(at):
    at.run()
    assert not at.exception, at.exception
    at.switch_page("page_scripts/forecasts.py").run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def test_next_days_band_basis_backtest_and_baselines(app_test, forecast_tables) -> None:
    at = _open(app_test)
    assert at.title[0].value == "Prévisions"
    at.selectbox(key="forecasts_region").set_value("84").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Prévision du 02/01/2024 (P50, MWh PCS 0°C/jour)"] == "1\u202f010"
    assert metrics["Bande P10 – P90"] == "909 – 1\u202f111"
    assert metrics["Émise le"] == "01/01/2024"
    next_days = at.dataframe[0].value
    assert list(next_days["Base"]) == ["prévision météo"] * 6 + ["sans météo"] * 2
    assert "2 jour(s) sans prévision météo" in _texts(at.caption)
    # the last 60 days against the forecast of the day before, counted on the data
    backtest = _backtest()
    served = backtest[backtest["model"] == "day_ahead_gas_regional"].tail(60)
    inside = (served["actual_mwh"] >= served["p10_mwh"]) & (
        served["actual_mwh"] <= served["p90_mwh"]
    )
    expected = f"{inside.mean() * 100:.1f}\u00a0%".replace(".", ",")
    assert metrics["Jours dans la bande P10 – P90"] == expected
    accuracy = at.dataframe[-1].value.set_index("Prévision")
    assert accuracy.loc["Notre prévision (météo prévue)", "MAPE toutes séries"] == "5,8\u00a0%"
    assert (
        accuracy.loc["Persistance (dernier jour publié, J-2)", "MAPE toutes séries"]
        == "21,3\u00a0%"
    )
    assert "Borne haute : météo observée (inconnue la veille)" in accuracy.index
    assert not at.error


def test_national_electricity_against_rte(app_test, forecast_tables) -> None:
    at = _open(app_test)
    at.radio(key="forecasts_energy").set_value("electricity").run()
    assert at.selectbox(key="forecasts_region").value == "FR"
    rte = at.dataframe[-1].value.set_index("Prévision")
    assert rte.loc["RTE J-1", "MAPE (réalisé temps réel)"] == "1,4\u00a0%"
    assert rte.loc["Notre prévision", "MAPE (réalisé consolidé)"] == "1,7\u00a0%"
    assert "236 jours" in _texts(at.caption)


def test_without_forecasts_the_page_says_what_to_run(app_test, dashboard_data) -> None:
    at = _open(app_test)
    shown = _texts(at.warning) + _texts(at.info)
    assert "consumption_forecasts" in shown and "kedro run --pipelines=forecasting" in shown
