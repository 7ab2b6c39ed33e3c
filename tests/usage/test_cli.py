"""``python -m data_collection_kedro.usage usage-footprint …``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from data_collection_kedro.usage.__main__ import main

from .conftest import ANALYTICS_CSV, ANALYTICS_YAML, CONFIG, EXPECTED


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    config = tmp_path / "usage.yml"
    config.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    analytics = tmp_path / "analytics.yaml"
    analytics.write_bytes(ANALYTICS_YAML)
    csv = tmp_path / "analytics.csv"
    csv.write_bytes(ANALYTICS_CSV)
    return {"config": config, "yaml": analytics, "csv": csv}


def test_cli_module_entry_point(files: dict[str, Path]) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "data_collection_kedro.usage",
            "usage-footprint",
            str(files["yaml"]),
            "--region",
            "beta",
            "--per-day",
            "--config",
            str(files["config"]),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout
    assert "region beta: PUE 1.2, 20 gCO2e/kWh" in out
    assert "Per day:" in out and "2024-05-02" in out
    assert "Formula: inference_time_s = requests × seconds_per_request" in out
    assert "chat: hardware power × utilisation" in out
    assert f"{EXPECTED['beta']['clf']['energy_kwh']:.6g}" in out


@pytest.mark.parametrize("kind", ["yaml", "csv"])
def test_cli_json_matches_hand_computed(files: dict[str, Path], kind: str, capsys) -> None:
    assert (
        main(
            [
                "usage-footprint",
                str(files[kind]),
                "--region",
                "alpha",
                "--json",
                "--config",
                str(files["config"]),
            ]
        )
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    profiles = {p["profile"]: p for p in payload["profiles"]}
    for profile, expected in EXPECTED["alpha"].items():
        assert profiles[profile]["emissions_gco2e"] == pytest.approx(
            expected["emissions_gco2e"], rel=1e-5
        )
    assert "per_day" not in payload


def test_cli_errors_exit_1_with_the_reason(files: dict[str, Path], tmp_path: Path, capsys) -> None:
    assert (
        main(
            [
                "usage-footprint",
                str(files["yaml"]),
                "--region",
                "mars",
                "--config",
                str(files["config"]),
            ]
        )
        == 1
    )
    assert "unknown region 'mars'; known regions: alpha, beta" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("day,profile,requests\n2024-05-01,chat,-1\n", encoding="utf-8")
    assert main(["usage-footprint", str(bad), "--config", str(files["config"])]) == 1
    assert "bad.csv: line 2: requests is negative (-1)" in capsys.readouterr().err
    assert (
        main(["usage-footprint", str(tmp_path / "missing.yaml"), "--config", str(files["config"])])
        == 1
    )
    assert "missing.yaml" in capsys.readouterr().err


def test_cli_with_node_emissions(
    files: dict[str, Path], node_emissions, tmp_path: Path, capsys
) -> None:
    emissions = tmp_path / "emissions_nodes.csv"
    node_emissions.to_csv(emissions, index=False)
    analytics = tmp_path / "m1.yaml"
    analytics.write_text("- {day: 2024-05-05, profile: m1prof, requests: 250}\n", encoding="utf-8")
    assert (
        main(
            [
                "usage-footprint",
                str(analytics),
                "--json",
                "--config",
                str(files["config"]),
                "--node-emissions",
                str(emissions),
            ]
        )
        == 0
    )
    (profile,) = json.loads(capsys.readouterr().out)["profiles"]
    assert profile["energy_kwh"] == pytest.approx(250 * 4e-6 * 1.5)


def test_cli_lists_regions_of_the_project_configuration(capsys) -> None:
    assert main(["regions"]) == 0
    out = capsys.readouterr().out
    assert "france (default): PUE" in out and "gCO2e/kWh" in out
