"""Accueil: what the dashboard shows and whether its models and tables are available."""

from __future__ import annotations

import streamlit as st

from dashboard_ui.services import UnavailableError, champion_version, load_table, settings

HOME_TABLES = ("meteo_consommation", "consumption_anomalies", "region_clusters")


def render() -> None:
    st.title("EnergieWatch")
    st.markdown(
        "Tableau de bord des données énergétiques françaises : consommation régionale de gaz et "
        "d'électricité, météo, mouvements sociaux SNCF et calendrier. Les modèles viennent du "
        "registre MLflow (alias `champion`), les données du store d'indices ; rien n'est "
        "entraîné ici."
    )
    config = settings()
    lines = []
    for key in config.params["models"]:
        name = config.model(key)["name"]
        try:
            lines.append(f"- :green[●] modèle **{name}** : version {champion_version(key)}")
        except UnavailableError as exc:
            lines.append(f"- :orange[●] modèle **{name}** : {exc}")
    for table in HOME_TABLES:
        try:
            lines.append(f"- :green[●] table **{table}** : {len(load_table(table))} lignes")
        except UnavailableError as exc:
            lines.append(f"- :orange[●] table **{table}** : {exc}")
    st.subheader("Disponibilité")
    st.markdown("\n".join(lines))
