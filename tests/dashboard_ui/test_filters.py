"""The pages' filters apply to every element they show (AppTest through ``dashboard_ui/app.py``).

The tables are written through the project's catalog; what a chart draws is read back from the
Vega-Lite spec and datasets Streamlit sends to the browser, and compared with the same
selection made directly on the stored rows.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tests.dashboard_ui.conftest import french_number, synthetic_meteo_consommation

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def chart_layers(element: Any) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    """Each layer of a drawn chart with the rows it draws (spec, data)."""
    datasets = {
        d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas()
        for d in element.proto.datasets
    }
    spec = json.loads(element.proto.spec)
    layers = spec.get("layer", [spec])
    out = []
    for layer in layers:
        name = (layer.get("data") or spec.get("data") or {}).get("name")
        out.append((layer, datasets.get(name, pd.DataFrame())))
    return out


def series_rows(element: Any, series: str) -> pd.DataFrame:
    """The rows of a chart drawn as ``series`` (the legend entry)."""
    frames = [data for _, data in chart_layers(element) if "series" in data.columns]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["series"])
    return rows[rows["series"] == series]


def map_values(element: Any, column: str) -> dict[str, float]:
    """``{region_code: value}`` a map colours its regions with (its lookup data)."""
    spec = json.loads(element.proto.spec)
    datasets = {
        d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas()
        for d in element.proto.datasets
    }
    for layer in spec["layer"]:
        for transform in layer.get("transform", []):
            lookup = transform.get("from", {})
            name = (lookup.get("data") or {}).get("name")
            if name in datasets and column in datasets[name].columns:
                data = datasets[name]
                return dict(zip(data["region_code"].astype(str), data[column], strict=True))
    raise AssertionError(f"no map layer coloured by {column}")


def charts(at: Any) -> list[Any]:
    return list(at.get("vega_lite_chart"))


@pytest.fixture
def stored(dashboard_data: Path) -> dict[str, pd.DataFrame]:
    """meteo_consommation, consumption_anomalies (flagged days of both energies, various
    severities), anomaly_features and model_metrics, written through the catalog."""
    from kedro.io import DataCatalog

    from dashboard_ui.settings import load_settings
    from data_collection_kedro.modeling.anomaly import anomaly_features

    meteo = synthetic_meteo_consommation()
    rng = np.random.default_rng(5)
    anomalies = meteo[["region_code", "day", "region"]].copy()
    anomalies["anomaly_score"] = rng.uniform(0.30, 0.50, len(anomalies))
    anomalies["is_anomaly"] = False
    anomalies["top_feature"] = "temperature_residual_gas"
    flagged = rng.choice(len(anomalies), size=40, replace=False)
    anomalies.loc[anomalies.index[flagged], "is_anomaly"] = True
    anomalies.loc[anomalies.index[flagged], "anomaly_score"] = rng.uniform(0.55, 0.80, 40)
    anomalies.loc[anomalies.index[flagged[:12]], "top_feature"] = "temperature_residual_electricity"
    features = anomaly_features(
        meteo,
        meteo[["region_code", "day"]].assign(is_public_holiday=False),
        energies=["gas", "electricity"],
    )
    metrics = pd.DataFrame(
        {
            "model": "anomaly_isolationforest",
            "split": "validation",
            "metric": ["precision", "recall", "f1", "true_positives", "flagged", "labelled"],
            "value": [0.25, 0.5, 0.33, 10.0, 40.0, 20.0],
        }
    )
    catalog = DataCatalog.from_config(load_settings().catalog)
    catalog.save("meteo_consommation", meteo)
    catalog.save("consumption_anomalies", anomalies)
    catalog.save("anomaly_features", features)
    catalog.save("model_metrics", metrics)
    return {"meteo": meteo, "anomalies": anomalies}


def open_page(at: Any, file: str) -> Any:
    at.run()
    at.switch_page(f"page_scripts/{file}").run()
    assert not at.exception, at.exception
    return at


def expected_flagged(
    anomalies: pd.DataFrame, energy: str, start: dt.date, end: dt.date, min_score: float
) -> pd.DataFrame:
    days = pd.to_datetime(anomalies["day"])
    return anomalies[
        anomalies["is_anomaly"]
        & anomalies["top_feature"].str.endswith(f"_{energy}")
        & days.between(pd.Timestamp(start), pd.Timestamp(end))
        & (anomalies["anomaly_score"] >= min_score - 1e-9)
    ]


def check_anomaly_page(
    at: Any, anomalies: pd.DataFrame, region: str, energy: str, start: dt.date, end: dt.date
) -> None:
    min_score = float(at.slider(key="anomaly_min_score").value)
    everywhere = expected_flagged(anomalies, energy, start, end, min_score)
    of_region = everywhere[everywhere["region_code"] == region]
    metrics = {m.label.split(" — ")[-1]: m.value for m in at.metric if "sur la période" in m.label}
    assert int(metrics["toutes régions"]) == len(everywhere)
    assert int([v for k, v in metrics.items() if k != "toutes régions"][0]) == len(of_region)
    curve, count_map = charts(at)
    marks = series_rows(curve, "Anomalie détectée")
    assert sorted(pd.to_datetime(marks["day"]).dt.date) == sorted(
        pd.to_datetime(of_region["day"]).dt.date
    )
    drawn = series_rows(curve, "Consommation")
    assert pd.to_datetime(drawn["day"]).between(pd.Timestamp(start), pd.Timestamp(end)).all()
    table = next((d.value for d in at.dataframe if "Rang" in d.value.columns), pd.DataFrame())
    assert len(table) == len(of_region)
    if len(table):
        scores = [french_number(v) for v in table["Sévérité (score)"]]
        assert scores == sorted(scores, reverse=True)  # most severe first
    counts = map_values(count_map, "count")
    per_region = everywhere.groupby("region_code").size()
    assert {k: int(v) for k, v in counts.items() if v} == {k: int(v) for k, v in per_region.items()}


def test_anomaly_filters_apply_to_the_curve_the_list_the_counts_and_the_map(
    app_test: Any, stored: dict[str, pd.DataFrame]
) -> None:
    anomalies = stored["anomalies"]
    at = open_page(app_test, "anomalies.py")
    first, last = dt.date(2022, 1, 1), dt.date(2023, 12, 31)
    # default: the last year, gas, every severity, the user's region (Île-de-France)
    check_anomaly_page(at, anomalies, "11", "gas", dt.date(2023, 1, 1), last)

    at.selectbox(key="region").set_value("53")
    at.date_input(key="stored_period").set_value((first, last))
    at.run()
    check_anomaly_page(at, anomalies, "53", "gas", first, last)

    at.selectbox(key="anomaly_energy").set_value("electricity").run()
    check_anomaly_page(at, anomalies, "53", "electricity", first, last)

    at.selectbox(key="anomaly_energy").set_value("gas")
    at.slider(key="anomaly_min_score").set_value(0.7)
    at.date_input(key="stored_period").set_value((dt.date(2022, 6, 1), dt.date(2023, 5, 31)))
    at.run()
    assert not at.exception, at.exception
    check_anomaly_page(at, anomalies, "53", "gas", dt.date(2022, 6, 1), dt.date(2023, 5, 31))
    # the precision measured on the labelled sample is stated
    shown = {m.label: m.value for m in at.metric}
    assert shown["Précision mesurée"] == "25\u00a0%" and shown["Rappel mesuré"] == "50\u00a0%"


def test_the_map_page_follows_the_energy_and_the_period(
    app_test: Any, stored: dict[str, pd.DataFrame]
) -> None:
    meteo = stored["meteo"]
    at = open_page(app_test, "map.py")

    def consumption_map() -> dict[str, float]:
        return map_values(charts(at)[0], "value")

    def expected(column: str, start: dt.date, end: dt.date) -> dict[str, float]:
        days = pd.to_datetime(meteo["day"])
        rows = meteo[days.between(pd.Timestamp(start), pd.Timestamp(end))]
        return rows.groupby("region_code")[column].mean().to_dict()

    last = dt.date(2023, 12, 31)
    default = consumption_map()
    assert default == pytest.approx(expected("gas_consumption_mwh", dt.date(2023, 12, 2), last))
    at.selectbox(key="map_energy").set_value("electricity")
    at.date_input(key="map_period").set_value((dt.date(2022, 7, 1), dt.date(2022, 7, 31)))
    at.run()
    assert not at.exception, at.exception
    assert consumption_map() == pytest.approx(
        expected("electricity_consumption_mwh", dt.date(2022, 7, 1), dt.date(2022, 7, 31))
    )


def test_fuel_page_follows_the_fuels_the_region_and_the_period(
    app_test: Any, dashboard_data: Path
) -> None:
    from kedro.io import DataCatalog

    from dashboard_ui.settings import load_settings

    days = pd.date_range("2024-01-01", "2024-03-31", freq="D")
    rows = []
    for region, department, base in (("11", "75", 1.80), ("53", "29", 1.70)):
        for fuel, extra in (("Gazole", 0.0), ("SP95", 0.10), ("E85", -0.80)):
            for i, day in enumerate(days):
                price = base + extra + 0.001 * i
                rows.append(
                    {
                        "day": day.date(),
                        "department_code": department,
                        "fuel": fuel,
                        "region_code": region,
                        "region": "Île-de-France" if region == "11" else "Bretagne",
                        "price_min_eur_l": price - 0.05,
                        "price_median_eur_l": price,
                        "price_max_eur_l": price + 0.05,
                        "station_count": 10,
                        "shortage_count": 0,
                        "latitude": 48.0,
                        "longitude": 2.0,
                    }
                )
    DataCatalog.from_config(load_settings().catalog).save(
        "prix_carburants_journalier", pd.DataFrame(rows)
    )
    at = open_page(app_test, "fuel.py")
    labels = {m.label.split(" — ")[0] for m in at.metric}
    assert labels == {"Gazole", "SP95"}  # the default fuels present in the table
    at.multiselect(key="fuel_choice").set_value(["E85"])
    at.selectbox(key="region").set_value("53")
    at.date_input(key="fuel_period").set_value((dt.date(2024, 2, 1), dt.date(2024, 2, 29)))
    at.run()
    assert not at.exception, at.exception
    (metric,) = at.metric
    assert metric.label == "E85 — Bretagne, 29/02/2024"
    assert french_number(metric.value) == pytest.approx(1.70 - 0.80 + 0.001 * 59)
    curve = chart_layers(charts(at)[0])[0][1]
    assert set(curve["fuel"]) == {"E85"} and set(curve["region_code"]) == {"53"}
    assert pd.to_datetime(curve["day"]).min() == pd.Timestamp("2024-02-01")
    assert map_values(charts(at)[1], "value") == pytest.approx(
        {"11": 1.80 - 0.80 + 0.001 * 59, "53": 1.70 - 0.80 + 0.001 * 59}
    )
