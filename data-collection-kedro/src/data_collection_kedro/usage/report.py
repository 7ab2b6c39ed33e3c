"""EnergieWatch's own usage footprint: monitoring logs → inference energy next to training.

:func:`build_usage_section` is what the carbon summary shows when ``model_monitoring`` has rows:
per model, the predictions served, the energy per prediction measured by the carbon hook on the
model's inference node, the resulting inference energy/emissions, the training energy/emissions
(the carbon hook's training-node rows) and the break-even number of predictions after which
serving has cost more energy than training.

Emissions use the grid intensity the carbon hook applied to each measurement (its
``emissions_kg / energy_kwh``), so inference and training are on the same basis; the region of
the usage configuration is used only for a node without emissions figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from data_collection_kedro.carbon.summary.i18n import text, tr
from data_collection_kedro.usage.config import UsageConfig, parse_usage_config
from data_collection_kedro.usage.footprint import latest_node_measurement, measured_rate

USAGE_SECTION_COLUMNS = [
    "model",
    "predictions",
    "energy_per_prediction_kwh",
    "inference_kwh",
    "inference_gco2e",
    "training_kwh",
    "training_gco2e",
    "break_even_predictions",
    "basis",
]


def _as_config(config: UsageConfig | Mapping[str, Any]) -> UsageConfig:
    return config if isinstance(config, UsageConfig) else parse_usage_config(config, "params:usage")


def predictions_per_model(monitoring: pd.DataFrame | None) -> pd.Series:
    """Successful predictions per ``model_name`` (sum of ``n_predictions``)."""
    if monitoring is None or monitoring.empty:
        return pd.Series(dtype="int64")
    rows = monitoring
    if "status" in rows:
        rows = rows[rows["status"].astype("str") == "success"]
    counts = pd.to_numeric(rows["n_predictions"], errors="coerce").fillna(0)
    return counts.groupby(rows["model_name"].astype("str")).sum().astype("int64")


def _training(
    node_emissions: pd.DataFrame | None, nodes: list[str], fallback_intensity: float
) -> tuple[float, float]:
    """kWh and gCO₂e of the latest measured run of each training node (NaN when none)."""
    kwh = gco2e = 0.0
    found = False
    for node in nodes:
        row = latest_node_measurement(node_emissions, node)
        if row is None:
            continue
        found = True
        energy = float(row["energy_kwh"])
        emissions = pd.to_numeric(pd.Series([row.get("emissions_kg")]), errors="coerce").iloc[0]
        kwh += energy
        gco2e += float(emissions) * 1000 if pd.notna(emissions) else energy * fallback_intensity
    return (kwh, gco2e) if found else (math.nan, math.nan)


def build_usage_section(
    monitoring: pd.DataFrame | None,
    node_emissions: pd.DataFrame | None,
    config: UsageConfig | Mapping[str, Any],
    lang: str = "en",
) -> pd.DataFrame:
    """One row per model (configured measured models and any model seen in the monitoring).

    Columns: ``model, predictions, energy_per_prediction_kwh, inference_kwh, inference_gco2e,
    training_kwh, training_gco2e, break_even_predictions, basis`` (NaN where not measured;
    ``basis`` in ``lang``, ``en`` or ``fr``).
    """
    cfg = _as_config(config)
    _, default_region = cfg.region(None)
    fallback_intensity = default_region.carbon_intensity_gco2e_per_kwh
    predictions = predictions_per_model(monitoring)
    models = list(cfg.measured_models) + sorted(set(predictions.index) - set(cfg.measured_models))
    rows = []
    for model_name in models:
        served = int(predictions.get(model_name, 0))
        spec = cfg.measured_models.get(model_name)
        rate = measured_rate(spec, node_emissions) if spec else None
        if rate is None:
            per_prediction = inference_kwh = inference_gco2e = math.nan
            basis = tr(
                text("not in usage.measured_models", "absent de usage.measured_models")
                if spec is None
                else text(
                    f"no carbon-hook measurement of node {spec.inference_node}",
                    f"aucune mesure du nœud {spec.inference_node} par le hook carbone",
                ),
                lang,
            )
        else:
            per_prediction = rate.it_kwh_per_prediction
            inference_kwh = served * per_prediction
            intensity = rate.intensity_gco2e_per_kwh
            inference_gco2e = inference_kwh * (
                intensity if intensity is not None else fallback_intensity
            )
            basis = tr(rate.basis_text, lang)
        training_kwh, training_gco2e = (
            _training(node_emissions, spec.training_nodes, fallback_intensity)
            if spec
            else (math.nan, math.nan)
        )
        break_even = (
            training_kwh / per_prediction
            if per_prediction and per_prediction > 0 and not math.isnan(training_kwh)
            else math.nan
        )
        rows.append(
            {
                "model": model_name,
                "predictions": served,
                "energy_per_prediction_kwh": per_prediction,
                "inference_kwh": inference_kwh,
                "inference_gco2e": inference_gco2e,
                "training_kwh": training_kwh,
                "training_gco2e": training_gco2e,
                "break_even_predictions": break_even,
                "basis": basis,
            }
        )
    frame = pd.DataFrame(rows, columns=USAGE_SECTION_COLUMNS)
    frame["predictions"] = frame["predictions"].astype("int64")
    return frame
