"""Clustering: regions by cluster and the consumption/weather profile of each cluster."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard_ui.components import load_filled_table, show_table, show_unavailable
from dashboard_ui.services import UnavailableError, load_table

PROFILE_COLUMNS = {
    "gas_consumption_mwh": "Gaz (MWh/jour)",
    "electricity_consumption_mwh": "Électricité (MWh/jour)",
    "temp_mean_c": "Température moyenne (°C)",
    "heating_degree_days": "DJU (°C·jour)",
}


def cluster_profiles(clusters: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """Mean daily profile of each cluster: region means of ``daily``, averaged over the cluster."""
    columns = [c for c in PROFILE_COLUMNS if c in daily.columns]
    per_region = (
        daily.assign(region_code=daily["region_code"].astype(str))
        .groupby("region_code")[columns]
        .mean(numeric_only=True)
        .reset_index()
    )
    merged = clusters.assign(region_code=clusters["region_code"].astype(str)).merge(
        per_region, on="region_code", how="left"
    )
    profile = merged.groupby("cluster")[columns].mean().round(1)
    profile.insert(
        0, "regions", merged.groupby("cluster")["region"].apply(lambda s: ", ".join(sorted(s)))
    )
    profile.insert(0, "region_count", merged.groupby("cluster")["region_code"].nunique())
    return profile.reset_index()


def render() -> None:
    st.title("Clustering des régions")
    clusters = load_filled_table("region_clusters")
    if clusters is None:
        return
    algorithms = sorted(clusters["algorithm"].astype(str).unique())
    algorithm = st.selectbox("Algorithme", algorithms, key="clustering_algorithm")
    selected = clusters.loc[clusters["algorithm"].astype(str) == algorithm].copy()
    selected["cluster"] = selected["cluster"].astype(str)
    st.subheader("Régions par cluster")
    show_table(selected[["cluster", "region_code", "region"]].sort_values(["cluster", "region"]))
    try:
        daily = load_table("meteo_consommation")
    except UnavailableError as exc:
        show_unavailable(exc)
        return
    profile = cluster_profiles(selected, daily)
    st.subheader("Profil de chaque cluster (moyennes journalières)")
    show_table(profile.rename(columns=PROFILE_COLUMNS))
    long = profile.melt(
        id_vars=["cluster"],
        value_vars=[c for c in PROFILE_COLUMNS if c in profile.columns],
        var_name="mesure",
        value_name="valeur",
    ).assign(mesure=lambda f: f["mesure"].map(PROFILE_COLUMNS))
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("cluster:N", title="Cluster"),
            y=alt.Y("valeur:Q", title=None),
            color=alt.Color("cluster:N", legend=None),
            column=alt.Column("mesure:N", title=None),
            tooltip=["cluster:N", "mesure:N", "valeur:Q"],
        )
        .resolve_scale(y="independent")
        .properties(width=160, height=220)
    )
    st.altair_chart(chart)
