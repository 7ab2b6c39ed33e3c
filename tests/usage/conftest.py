"""A small usage configuration whose results are computed by hand in the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from data_collection_kedro.carbon.files import NODE_COLUMNS
from data_collection_kedro.usage.config import UsageConfig, parse_usage_config

CONFIG: dict[str, Any] = {
    "usage": {
        "default_region": "alpha",
        "regions": {
            "alpha": {"carbon_intensity_gco2e_per_kwh": 100, "pue": 1.5, "source": "test"},
            "beta": {"carbon_intensity_gco2e_per_kwh": 20, "pue": 1.2, "source": "test"},
        },
        "measured_models": {
            "m1": {
                "training_nodes": ["train_m1"],
                "inference_node": "predict_m1",
                "predictions_per_run": 1000,
            }
        },
        "profiles": {
            # 2.2 s per request at the default sizes (200/1000 + 100/50)
            "chat": {
                "kind": "external",
                "hardware_power_w": 400,
                "utilisation": 0.5,
                "concurrency": 2,
                "input_tokens_per_s": 1000,
                "output_tokens_per_s": 50,
                "mean_input_tokens": 200,
                "mean_output_tokens": 100,
            },
            # 0.1 s and 360 W × 0.1 s = 1e-5 kWh per request
            "clf": {
                "kind": "external",
                "hardware_power_w": 360,
                "utilisation": 1.0,
                "requests_per_s": 10,
            },
            "m1prof": {
                "kind": "measured",
                "model": "m1",
                "fallback_energy_per_prediction_kwh": 2.0e-6,
                "fallback_seconds_per_prediction": 0.01,
            },
        },
        "limits": {"max_upload_bytes": 4000, "max_rows": 50, "max_requests_per_row": 10**9},
    }
}

ANALYTICS_YAML = b"""analytics:
  - {day: 2024-05-01, profile: chat, requests: 1000}
  - {day: 2024-05-02, profile: chat, requests: 500, mean_output_tokens: 50}
  - {day: 2024-05-01, profile: clf, requests: 3600}
"""
ANALYTICS_CSV = b"""day,profile,requests,mean_input_tokens,mean_output_tokens
2024-05-01,chat,1000,,
2024-05-02,chat,500,,50
2024-05-01,clf,3600,,
"""

# Hand-computed (see the profile comments):
#   chat day 1: 1000 × 400 W × 0.5 × 2.2 s / 2 / 3.6e6 = 0.0611111 kWh IT
#   chat day 2:  500 × 400 W × 0.5 × 1.2 s / 2 / 3.6e6 = 0.0166667 kWh IT   (0.2 s + 50/50 s)
#   clf  day 1: 3600 × 1e-5 kWh = 0.036 kWh IT
#   alpha: × PUE 1.5, × 100 g/kWh; beta: × PUE 1.2, × 20 g/kWh
EXPECTED = {
    "alpha": {
        "chat": {"energy_kwh": 0.0777778 * 1.5, "emissions_gco2e": 0.0777778 * 1.5 * 100},
        "clf": {"energy_kwh": 0.054, "emissions_gco2e": 5.4},
    },
    "beta": {
        "chat": {"energy_kwh": 0.0777778 * 1.2, "emissions_gco2e": 0.0777778 * 1.2 * 20},
        "clf": {"energy_kwh": 0.0432, "emissions_gco2e": 0.864},
    },
}


@pytest.fixture
def config() -> UsageConfig:
    return parse_usage_config(CONFIG)


@pytest.fixture
def node_emissions() -> pd.DataFrame:
    """Rows of emissions_nodes.csv as the carbon hook writes them."""
    rows = [
        ("r1", "train_m1", "2024-05-01T10:00:00Z", 60.0, 0.5, 0.025, "RAPL", "ok"),
        ("r1", "predict_m1", "2024-05-01T10:01:00Z", 2.0, 0.006, 0.0003, "RAPL", "ok"),
        ("r2", "train_m1", "2024-05-02T10:00:00Z", 30.0, 0.2, 0.01, "RAPL", "ok"),
        ("r2", "predict_m1", "2024-05-02T10:01:00Z", 2.0, 0.004, 0.0002, "RAPL", "ok"),
        ("r3", "predict_m1", "2024-05-03T10:01:00Z", 0.5, 0.001, 0.00005, "RAPL", "failed"),
        ("r4", "predict_m1", "2024-05-04T10:01:00Z", 0.5, 0.0, 0.0, "skipped-nested", "ok"),
    ]
    columns = ["run_id", "node", "started_at", "duration_s", "energy_kwh", "emissions_kg"]
    frame = pd.DataFrame(rows, columns=[*columns, "measurement", "status"])
    frame.insert(1, "pipeline", "models")
    return frame.reindex(columns=list(NODE_COLUMNS))  # the carbon hook's column order


@pytest.fixture(autouse=True)
def carbon_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty carbon folder: the CLI and the service read the project's carbon-hook
    measurements by default, never the developer's ``data/09_carbon``."""
    folder = tmp_path_factory.mktemp("carbon")
    monkeypatch.setenv("ENERGIEWATCH_CARBON_DIR", str(folder))
    return folder
