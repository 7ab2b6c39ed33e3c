"""Carte des régions: the 13 regions coloured by consumption, anomalies, forecast error or group.

Drawn offline from the region outlines shipped with the package (no tile server). The period
and the energy apply to every layer that depends on them.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard_ui import charts, forecasts
from dashboard_ui import formatting as fr
from dashboard_ui.components import chosen_region, period_input, show_unavailable
from dashboard_ui.services import UnavailableError, load_table, optional_table, run_hint, settings
from dashboard_ui.tables import anomaly_details
from data_collection_kedro.domain.regions import NATIONAL_CODE
from data_collection_kedro.modeling.anomaly import ENERGY_COLUMNS
from data_collection_kedro.modeling.metrics import per_region_metrics

LAYERS = {
    "consumption": "Consommation moyenne",
    "anomalies": "Anomalies",
    "forecast_error": "Erreur de prévision",
    "clusters": "Groupes de régions (clustering)",
}


def _consumption(
    meteo: pd.DataFrame, energy: str, start: pd.Timestamp, end: pd.Timestamp, region: str
) -> tuple[object, str]:
    column = ENERGY_COLUMNS[energy]
    rows = meteo[pd.to_datetime(meteo["day"]).between(start, end)]
    mean = (
        rows.assign(region_code=rows["region_code"].astype(str))
        .groupby("region_code")[column]
        .mean()
        .dropna()
        .rename("value")
        .reset_index()
    )
    mean["label"] = [f"{fr.number(v / 1000)} GWh" for v in mean["value"]]
    unit = fr.ENERGY_UNITS[energy]
    return charts.value_map(
        mean,
        f"{fr.sentence(fr.ENERGY_LABELS[energy])} : moyenne journalière, "
        f"du {fr.day(start)} au {fr.day(end)}",
        unit,
        ",.0f",
        scheme="blues",
        highlight=region,
    ), "Étiquettes en GWh par jour."


def _anomalies(
    meteo: pd.DataFrame, energy: str, start: pd.Timestamp, end: pd.Timestamp, region: str
) -> tuple[object, str]:
    stored = load_table("consumption_anomalies")
    stored = stored[pd.to_datetime(stored["day"]).between(start, end)]
    details = anomaly_details(stored, optional_table("anomaly_features"), meteo)
    flagged = details[details["is_anomaly"] & (details["explained_energy"] == energy)]
    counts = pd.DataFrame({"region_code": sorted(details["region_code"].unique())}).merge(
        flagged.groupby("region_code").size().rename("count").reset_index(),
        on="region_code",
        how="left",
    )
    counts["count"] = counts["count"].fillna(0)
    return charts.count_map(
        counts,
        f"Anomalies {fr.OF_ENERGY[energy]} du {fr.day(start)} au {fr.day(end)}",
        "Anomalies",
        highlight=region,
    ), "Jours signalés par le modèle de détection, comptés selon l'énergie qui les explique."


def _forecast_error(
    energy: str, start: pd.Timestamp, end: pd.Timestamp, region: str
) -> tuple[object, str]:
    config = settings()
    excluded = list(config.params["forecast"]["excluded_model_prefixes"])
    table = optional_table("forecast_backtest")
    if table is None:
        raise UnavailableError(
            f"Aucun rejeu des prévisions (forecast_backtest) : lancez {run_hint('forecasting')}."
        )
    backtest = forecasts.normalise(table, excluded)
    regional = backtest[backtest["region_code"] != NATIONAL_CODE]
    model = forecasts.served_model(regional, energy)
    if model is None:
        raise UnavailableError(
            f"Aucune prévision régionale {fr.OF_ENERGY[energy]} n'a été rejouée."
        )
    rows = regional[(regional["energy"] == energy) & (regional["model"] == model)]
    in_period = rows[rows["day"].between(start, end)]
    if in_period.empty:
        in_period = rows
        start, end = rows["day"].min(), rows["day"].max()
    errors = per_region_metrics(
        in_period.rename(columns={"actual": "actual_mwh", "p50": "predicted_mwh"})
    )
    values = errors[["region_code", "mape"]].rename(columns={"mape": "value"})
    values["label"] = [fr.percent(v, 1) for v in values["value"]]
    return charts.value_map(
        values,
        f"Erreur moyenne de la prévision J-1, du {fr.day(start)} au {fr.day(end)}",
        "MAPE (%)",
        ".1f",
        scheme="oranges",
        highlight=region,
    ), (
        "MAPE : écart absolu moyen entre la prévision P50 et la consommation observée, en % "
        "de la consommation, sur les jours rejoués (période de test du modèle)."
    )


def _clusters(region: str) -> tuple[object, str]:
    clusters = load_table("region_clusters")
    kmeans = clusters[clusters["algorithm"].astype(str) == "kmeans"].copy()
    kmeans["region_code"] = kmeans["region_code"].astype(str)
    kmeans["group"] = kmeans["cluster"].astype(int).map(charts.group_label)
    chart = charts.cluster_map(kmeans, "Groupes KMeans (modèle champion)", highlight=region)
    return chart, (
        "Régions de même couleur : même forme de consommation dans la semaine et l'année "
        "(page « Clustering » pour le détail)."
    )


def render() -> None:
    st.title("Carte des régions")
    st.caption(
        "Quatre lectures des 13 régions sur la même période et pour la même énergie : "
        "consommation, anomalies, erreur de la prévision et groupes de régions."
    )
    try:
        meteo = load_table("meteo_consommation")
    except UnavailableError as exc:
        show_unavailable(exc)
        return
    energy_col, period_col, region_col = st.columns([0.8, 1.3, 1.1])
    with energy_col:
        energy = str(
            st.selectbox(
                "Énergie",
                list(ENERGY_COLUMNS),
                format_func=lambda e: fr.ENERGY_LABELS[e],
                key="map_energy",
            )
        )
    with period_col:
        days = pd.to_datetime(meteo["day"])
        start, end = period_input(days.min().date(), days.max().date(), 30, "map_period")
    with region_col:
        region_code = chosen_region()
    layers = [
        ("consumption", lambda: _consumption(meteo, energy, start, end, region_code)),
        ("anomalies", lambda: _anomalies(meteo, energy, start, end, region_code)),
        ("forecast_error", lambda: _forecast_error(energy, start, end, region_code)),
        ("clusters", lambda: _clusters(region_code)),
    ]
    for row in (layers[:2], layers[2:]):
        for column, (layer, draw) in zip(st.columns(2), row, strict=True):
            with column:
                st.subheader(LAYERS[layer])
                try:
                    chart, note = draw()
                except UnavailableError as exc:
                    show_unavailable(exc)
                    continue
                charts.show(chart, key=f"map_{layer}", stretch=False)
                st.caption(note)
    st.caption("Région encadrée en noir : votre région. Régions grises : pas de données.")
