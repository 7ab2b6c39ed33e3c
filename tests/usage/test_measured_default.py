"""The CLI and the REST service use the carbon hook's measured energy per prediction by default
(the project's ``emissions_nodes.csv``, here ``$ENERGIEWATCH_CARBON_DIR``) and say so; the
configured fallback only applies to a node without measurement."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient

from data_collection_kedro.carbon.files import append_node_rows
from data_collection_kedro.usage.__main__ import main
from data_collection_kedro.usage.api import create_app

from .conftest import CONFIG

ROWS = b"- {day: 2024-05-01, profile: m1prof, requests: 1000}\n"
# latest successful measured run of predict_m1 (conftest): r2, 0.004 kWh / 1000 predictions
MEASURED_KWH_PER_PREDICTION = 0.004 / 1000
FALLBACK_KWH_PER_PREDICTION = 2.0e-6


@pytest.fixture
def measured(carbon_dir: Path, node_emissions: pd.DataFrame) -> Path:
    """The carbon hook's node file, written with the hook's own writer."""
    return append_node_rows(carbon_dir, node_emissions.to_dict("records"))


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "usage.yml"
    path.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    return path


def _cli(config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    analytics = tmp_path / "analytics.yaml"
    analytics.write_bytes(ROWS)
    argv = ["usage-footprint", str(analytics), "--json", "--config", str(config_file)]
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_uses_the_measurement_by_default(
    measured: Path, config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = _cli(config_file, tmp_path, capsys)
    profile = payload["profiles"][0]
    assert profile["assumptions"]["it_energy_per_prediction_kwh"] == pytest.approx(
        MEASURED_KWH_PER_PREDICTION
    )
    assert profile["energy_kwh"] == pytest.approx(1000 * MEASURED_KWH_PER_PREDICTION * 1.5)
    assert profile["basis"].startswith("measured: node predict_m1 run r2 (RAPL)")
    assert "emissions_nodes.csv, 6 node row(s)" in payload["measurements"]


def test_cli_text_states_the_basis(
    measured: Path, config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    analytics = tmp_path / "analytics.yaml"
    analytics.write_bytes(ROWS)
    assert main(["usage-footprint", str(analytics), "--config", str(config_file)]) == 0
    out = capsys.readouterr().out
    assert "Measurements: measured profiles use the carbon hook's node measurements" in out
    assert "m1prof: measured: node predict_m1 run r2 (RAPL)" in out


def test_without_measurement_the_fallback_is_labelled(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = _cli(config_file, tmp_path, capsys)
    profile = payload["profiles"][0]
    assert profile["assumptions"]["it_energy_per_prediction_kwh"] == FALLBACK_KWH_PER_PREDICTION
    assert profile["basis"].startswith("fallback (no carbon-hook measurement of node predict_m1")
    assert payload["measurements"].startswith("no carbon-hook measurements (emissions_nodes.csv")


def test_service_uses_the_measurement_by_default(measured: Path, config) -> None:
    client = TestClient(create_app(config))
    response = client.post("/energy", files={"analytics_file": ("a.yaml", ROWS)})
    assert response.status_code == 200, response.text
    body = response.json()
    profile = body["profiles"][0]
    assert profile["assumptions"]["it_energy_per_prediction_kwh"] == pytest.approx(
        MEASURED_KWH_PER_PREDICTION
    )
    assert profile["basis"].startswith("measured: node predict_m1 run r2")
    assert "carbon hook's node measurements" in body["measurements"]


def test_service_reads_a_new_measurement_without_restart(
    carbon_dir: Path, node_emissions: pd.DataFrame, config
) -> None:
    client = TestClient(create_app(config))

    def per_prediction() -> float:
        response = client.post("/energy", files={"analytics_file": ("a.yaml", ROWS)})
        return float(response.json()["profiles"][0]["assumptions"]["it_energy_per_prediction_kwh"])

    assert per_prediction() == FALLBACK_KWH_PER_PREDICTION
    append_node_rows(carbon_dir, node_emissions.to_dict("records"))
    assert per_prediction() == pytest.approx(MEASURED_KWH_PER_PREDICTION)
