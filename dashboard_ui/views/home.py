"""Accueil: what the dashboard shows and whether its models and tables are available."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard_ui.services import UnavailableError, champion_version, load_table, settings


def render() -> None:
    st.title("EnergieWatch")
    st.markdown(
        "Tableau de bord des données énergétiques françaises : consommation régionale de gaz et "
        "d'électricité, météo, mouvements sociaux SNCF et calendrier. Les modèles viennent du "
        "registre MLflow (alias `champion`), les données du store d'indices ; rien n'est "
        "entraîné ici."
    )
    config = settings()
    rows = []
    for key, spec in config.params["models"].items():
        try:
            status = f"version {champion_version(key)}"
        except UnavailableError as exc:
            status = str(exc)
        rows.append({"élément": f"modèle {spec['name']}", "page": key, "état": status})
    for table in ("meteo_consommation", "consumption_anomalies", "region_clusters"):
        try:
            status = f"{len(load_table(table))} lignes"
        except UnavailableError as exc:
            status = str(exc)
        rows.append({"élément": f"table {table}", "page": "", "état": status})
    st.subheader("Disponibilité")
    st.dataframe(pd.DataFrame(rows), hide_index=True)
