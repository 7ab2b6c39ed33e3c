"""Clustering: groups of regions by the shape of their consumption, champion (KMeans) first.

The map shows each region's group; a table says what sets each group apart (winter peak,
weekend dip, summer level, from the same profiles the clustering pipeline fits on); the
monthly and weekly shapes are drawn per group. For DBSCAN, the regions it leaves out (noise,
``-1``) are explained: the distance from their profile to the nearest region against ``eps``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard_ui import charts
from dashboard_ui import formatting as fr
from dashboard_ui.components import load_filled_table, show_table, show_unavailable
from dashboard_ui.services import UnavailableError, load_table, optional_table, settings
from dashboard_ui.tables import cluster_summary, dbscan_noise
from data_collection_kedro.modeling.clustering import (
    WEEKLY_COLUMNS,
    YEARLY_COLUMNS,
    region_profiles,
)

ALGORITHM_LABELS = {"kmeans": "KMeans", "dbscan": "DBSCAN"}


def _algorithm_metrics(algorithm: str) -> dict[str, float]:
    table = optional_table("model_metrics")
    if table is None:
        return {}
    rows = table[table["model"].astype(str) == f"clustering_{algorithm}"]
    return {str(m): float(v) for m, v in zip(rows["metric"], rows["value"], strict=True)}


def _profiles(daily: pd.DataFrame, target: str) -> pd.DataFrame:
    stored = optional_table("region_profiles")
    return stored if stored is not None else region_profiles(daily, target)


def _shape_chart(profiles: pd.DataFrame, clusters: pd.DataFrame, weekly: bool) -> object:
    columns = WEEKLY_COLUMNS if weekly else YEARLY_COLUMNS
    names = (
        ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
        if weekly
        else [m[:4].rstrip(".") for m in fr.VEGA_LOCALE["time"]["shortMonths"]]
    )
    merged = clusters.merge(profiles, on="region_code")
    per_group = merged.groupby("group")[columns].mean().reset_index()
    long = per_group.melt(id_vars="group", var_name="column", value_name="share")
    long["period"] = long["column"].map(dict(zip(columns, names, strict=True)))
    groups = charts.sorted_groups(long["group"])
    return (
        alt.Chart(long)
        .mark_line(point=True, strokeWidth=2.2)
        .encode(
            x=alt.X("period:N", sort=names, title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "share:Q",
                title="× la moyenne" + (" de la semaine" if weekly else " de l'année"),
                scale=alt.Scale(zero=False),
                axis=alt.Axis(format=".2f" if weekly else ".1f", tickCount=5),
            ),
            color=alt.Color(
                "group:N",
                title=None,
                scale=alt.Scale(domain=groups, range=charts.group_colors(groups)),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("group:N", title="Groupe"),
                alt.Tooltip("period:N", title="Période"),
                alt.Tooltip("share:Q", title="× la moyenne", format=".2f"),
            ],
        )
        .properties(height=200)
    )


def _explain_dbscan(clusters: pd.DataFrame, profiles: pd.DataFrame, metrics: dict) -> None:
    eps, min_samples = metrics.get("eps"), metrics.get("min_samples")
    noise = clusters[clusters["cluster"] == -1]
    if noise.empty or eps is None or min_samples is None:
        return
    st.subheader("Pourquoi des régions « hors groupe » ?")
    st.markdown(
        f"DBSCAN ne forme un groupe que là où au moins **{int(min_samples)} régions** ont des "
        f"profils à moins de **eps = {fr.number(eps, 3)}** les uns des autres (eps est choisi "
        "au coude de la courbe des distances au plus proche voisin). "
        f"**{len(noise)} régions sur {len(clusters)}** n'ont aucune voisine assez proche : "
        "DBSCAN les marque « hors groupe » (−1). Ce n'est pas une erreur : à ce seuil, leur "
        "profil ne ressemble assez à aucun autre. KMeans, lui, place chaque région dans le "
        "groupe le plus proche — c'est pourquoi il est le modèle retenu."
    )
    why = dbscan_noise(clusters, profiles, float(eps), int(min_samples))
    if not why.empty:
        show_table(
            fr.display_table(
                why[["region", "nearest_region", "nearest_distance", "eps"]],
                formats={
                    "nearest_distance": lambda v: fr.number(v, 3),
                    "eps": lambda v: fr.number(v, 3),
                },
                labels={
                    "nearest_region": "Profil le plus proche",
                    "nearest_distance": "Distance à ce profil",
                    "eps": "Seuil eps",
                },
            )
        )


def render() -> None:
    st.title("Clustering des régions")
    st.caption(
        "Les régions sont groupées selon la forme de leur consommation de gaz : part de chaque "
        "jour de la semaine et de chaque mois rapportée à la moyenne (la taille de la région ne "
        "compte pas)."
    )
    clusters = load_filled_table("region_clusters")
    if clusters is None:
        return
    config = settings().section("clustering")
    champion = "kmeans" if config.get("registered_name") else None
    available = set(clusters["algorithm"].astype(str))
    algorithms = sorted(available, key=lambda a: (a != champion, a != "kmeans", a))
    algorithm = str(
        st.radio(
            "Algorithme",
            algorithms,
            format_func=lambda a: (
                str(ALGORITHM_LABELS.get(a, a))
                + (" — modèle retenu (champion)" if a == champion else " — comparaison")
            ),
            horizontal=True,
            key="clustering_algorithm",
        )
    )
    selected = clusters[clusters["algorithm"].astype(str) == algorithm].copy()
    selected["region_code"] = selected["region_code"].astype(str)
    selected["cluster"] = selected["cluster"].astype(int)
    selected["group"] = selected["cluster"].map(charts.group_label)
    metrics = _algorithm_metrics(algorithm)
    found = int(
        metrics.get("n_clusters", selected.loc[selected["cluster"] >= 0, "cluster"].nunique())
    )
    first, second, third = st.columns(3)
    first.metric("Groupes", found, border=True)
    second.metric("Régions", len(selected), border=True)
    third.metric(
        "Silhouette",
        fr.number(metrics.get("silhouette"), 2),
        help="De −1 à 1 : plus elle est haute, plus les groupes sont nets. Pour DBSCAN, "
        "calculée sur les régions groupées seulement.",
        border=True,
    )
    try:
        daily = load_table("meteo_consommation")
    except UnavailableError as exc:
        show_unavailable(exc)
        return
    target = str(config.get("target", "gas_consumption_mwh"))
    profiles = _profiles(daily, target)
    profiles = profiles.assign(region_code=profiles["region_code"].astype(str))
    shapes = selected[["region_code", "group"]]
    left, right = st.columns([1, 1.2])
    with left:
        charts.show(
            charts.cluster_map(
                selected, f"{ALGORITHM_LABELS.get(algorithm, algorithm)} : groupe de chaque région"
            ),
            key="cluster_map",
            stretch=False,
        )
    with right:
        st.markdown("**Année type** : consommation de chaque mois rapportée au mois moyen")
        charts.show(_shape_chart(profiles, shapes, weekly=False), key="cluster_year")
        st.markdown("**Semaine type** : consommation de chaque jour rapportée au jour moyen")
        charts.show(_shape_chart(profiles, shapes, weekly=True), key="cluster_week")
    summary = cluster_summary(selected, profiles, daily, target)
    summary = summary.assign(group=summary["cluster"].map(charts.group_label))
    st.subheader("Ce qui caractérise chaque groupe")
    st.table(
        fr.display_table(
            summary[["group", "description", "regions", "mean_mwh", "mean_temp_c"]],
            formats={
                "mean_mwh": fr.number,
                "mean_temp_c": lambda v: fr.number(v, 1),
            },
            labels={
                "group": "Groupe",
                "regions": "Régions",
                "description": "Ce qui le distingue",
                "mean_mwh": "Gaz moyen par région (MWh/jour)",
                "mean_temp_c": "Température moyenne (°C)",
            },
        ).set_index("Groupe")
    )
    st.caption(
        "« ×1,60 la moyenne annuelle » : un mois d'hiver consomme 1,6 fois le mois moyen ; le "
        "creux du week-end compare samedi-dimanche aux jours ouvrés ; chaque groupe est comparé "
        "à la moyenne des régions."
    )
    if algorithm == "dbscan":
        _explain_dbscan(selected, profiles, metrics)
