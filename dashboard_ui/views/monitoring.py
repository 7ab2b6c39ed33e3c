"""Suivi des modèles: each model's measured quality, and how its served predictions behave.

Quality: the forecasting models' test error beside the best baseline, the anomaly model's
precision and recall on the labelled sample, the clustering's silhouette (``model_metrics``).
Use: success/failure counts, response time and memory of every logged prediction
(``model_monitoring``).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard_ui import charts
from dashboard_ui import formatting as fr
from dashboard_ui.components import show_table
from dashboard_ui.services import monitoring_store, optional_table, run_hint, settings
from dashboard_ui.tables import anomaly_metrics
from data_collection_kedro.modeling.metrics import versus_best_baseline
from data_collection_kedro.monitoring import StoreUnavailableError, summarize_predictions

MODEL_LABELS = {
    "day_ahead": "Prévision J-1",
    "whatif_weather_catboost": "Scénario météo (CatBoost)",
    "whatif_movements_rf": "Scénario mouvements sociaux (forêt aléatoire)",
    "baseline_persistence": "Référence : persistance (dernier jour publié)",
    "baseline_hdd_linear": "Référence : régression sur les DJU",
    "baseline_seasonal_naive_weekly": "Référence : même jour la semaine passée",
    "baseline_seasonal_naive_yearly": "Référence : même jour l'an passé",
}
# the series and variants of the forecasting models' keys (docs/forecasting.md)
SERIES_LABELS = {
    "gas_regional": "gaz, par région",
    "electricity_regional": "électricité, par région",
    "electricity_national": "électricité, France",
}
VARIANT_LABELS = {
    "no_weather": "sans météo",
    "oracle_weather": "avec la météo observée, borne haute",
}


def model_label(key: str | None, with_series: bool = True) -> str:
    """``day_ahead_gas_regional_no_weather`` → ``Prévision J-1 (gaz, par région ; sans météo)``
    (without the series, ``Prévision J-1 (sans météo)``)."""
    if not isinstance(key, str):
        return fr.MISSING
    details = []
    name = key
    for series, label in SERIES_LABELS.items():
        head, found, tail = key.partition(f"_{series}")
        if found:
            name = head
            if with_series:
                details.append(label)
            if tail.strip("_"):
                details.append(VARIANT_LABELS.get(tail.strip("_"), tail.strip("_")))
            break
    base = MODEL_LABELS.get(name, name.replace("_", " "))
    return f"{base} ({' ; '.join(details)})" if details else base


def _quality() -> None:
    st.subheader("Qualité mesurée des modèles")
    metrics = optional_table("model_metrics")
    if metrics is None or metrics.empty:
        st.info(f"Aucune métrique enregistrée : lancez {run_hint('__default__')}.")
        return
    comparison = versus_best_baseline(metrics, "mape", "test")
    if comparison.empty:
        st.info(
            f"Les modèles de prévision n'ont pas été évalués : lancez {run_hint('forecasting')}."
        )
    else:
        shown = comparison.assign(
            model=comparison["model"].map(model_label),
            # a model's baselines forecast its own series: the kind of baseline is enough
            best_baseline=comparison["best_baseline"].map(
                lambda key: model_label(key, with_series=False)
            ),
        )
        show_table(
            fr.display_table(
                shown,
                formats={
                    "value": lambda v: fr.percent(v, 2),
                    "baseline_value": lambda v: fr.percent(v, 2),
                    "gain_pct": lambda v: fr.percent(v, 0, signed=True),
                },
                labels={
                    "value": "Erreur MAPE (test)",
                    "best_baseline": "Meilleure référence",
                    "baseline_value": "MAPE de la référence",
                    "gain_pct": "Erreur en moins",
                },
            )
        )
        st.caption(
            "MAPE sur la période de test (les 12 derniers mois, jamais vus à l'entraînement) ; "
            "« erreur en moins » : de combien le modèle fait mieux que la meilleure méthode de "
            "référence (négatif : moins bien)."
        )
    anomaly = anomaly_metrics(metrics, str(settings().params["anomaly_model_key"]))
    clustering = metrics[metrics["model"].astype(str) == "clustering_kmeans"]
    silhouette = clustering.loc[clustering["metric"] == "silhouette", "value"]
    first, second, third = st.columns(3)
    first.metric("Anomalies : précision", fr.share(anomaly.get("precision")), border=True)
    second.metric("Anomalies : rappel", fr.share(anomaly.get("recall")), border=True)
    third.metric(
        "Clustering KMeans : silhouette",
        fr.number(silhouette.iloc[0] if len(silhouette) else None, 2),
        border=True,
    )


def _usage() -> None:
    st.subheader("Prédictions servies")
    st.caption(
        "Chaque prédiction (réussie ou non) du tableau de bord et des services est journalisée "
        "dans model_monitoring : temps de réponse, CPU, mémoire, statut et erreur."
    )
    try:
        rows = monitoring_store().predictions()
    except StoreUnavailableError as exc:
        st.warning(f"La table model_monitoring ne peut pas être lue : {exc}")
        return
    if rows.empty:
        st.info(
            "Aucune prédiction journalisée pour l'instant : faites une prédiction sur une page."
        )
        return
    summary = summarize_predictions(rows)
    total_ok, total_error = int(summary["success_count"].sum()), int(summary["error_count"].sum())
    left, right = st.columns(2)
    left.metric("Prédictions réussies", total_ok, border=True)
    right.metric("Prédictions en échec", total_error, border=True)
    labels = {
        "application": "Application",
        "model_name": "Modèle",
        "success_count": "Réussies",
        "error_count": "En échec",
        "error_rate_pct": "Taux d'échec (%)",
        "median_response_time_ms": "Temps de réponse médian (ms)",
        "median_cpu_percent": "CPU médian (%)",
        "max_memory_mb": "Mémoire max. (Mo)",
        "last_logged_at": "Dernière prédiction",
    }
    show_table(
        fr.display_table(
            summary,
            formats={
                "error_rate_pct": lambda v: fr.number(v, 1),
                "median_response_time_ms": lambda v: fr.number(v, 1),
                "median_cpu_percent": lambda v: fr.number(v, 1),
                "max_memory_mb": fr.number,
                "last_logged_at": fr.timestamp,
            },
            labels=labels,
        )
    )
    long = summary.melt(
        id_vars=["model_name"],
        value_vars=["success_count", "error_count"],
        var_name="status",
        value_name="count",
    ).assign(
        status=lambda f: f["status"].map({"success_count": "Réussies", "error_count": "En échec"})
    )
    count_chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("model_name:N", title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("count:Q", title="Prédictions", axis=alt.Axis(format=",d", tickMinStep=1)),
            color=alt.Color(
                "status:N",
                title=None,
                scale=alt.Scale(
                    domain=["Réussies", "En échec"], range=["#2e7d32", charts.ANOMALY_COLOR]
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("model_name:N", title="Modèle"),
                alt.Tooltip("status:N", title="Statut"),
                alt.Tooltip("count:Q", title="Prédictions", format=",d"),
            ],
        )
        .properties(height=max(140, 44 * summary["model_name"].nunique()))
    )
    time_chart = (
        alt.Chart(summary)
        .mark_bar(color=charts.ACTUAL_COLOR)
        .encode(
            y=alt.Y("model_name:N", title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("median_response_time_ms:Q", title="Temps de réponse médian (ms)"),
            tooltip=[
                alt.Tooltip("model_name:N", title="Modèle"),
                alt.Tooltip("median_response_time_ms:Q", title="Médiane (ms)", format=",.1f"),
            ],
        )
        .properties(height=max(140, 44 * summary["model_name"].nunique()))
    )
    counts_col, time_col = st.columns(2)
    with counts_col:
        st.markdown("**Prédictions par modèle**")
        charts.show(count_chart, key="monitoring_counts")
    with time_col:
        st.markdown("**Temps de réponse médian**")
        charts.show(time_chart, key="monitoring_times")
    recent = int(settings().limit("monitoring_recent_rows"))
    st.subheader("Dernières prédictions")
    latest = rows.sort_values("logged_at", ascending=False).head(recent)
    show_table(
        fr.display_table(
            latest[
                [
                    "logged_at",
                    "page",
                    "model_name",
                    "model_version",
                    "status",
                    "response_time_ms",
                    "error_message",
                ]
            ],
            formats={
                "logged_at": fr.timestamp,
                "status": lambda s: {"success": "Réussie", "error": "En échec"}.get(str(s), s),
                "response_time_ms": lambda v: fr.number(v, 1),
                "error_message": lambda m: "" if pd.isna(m) else str(m),
            },
            labels={
                "logged_at": "Quand",
                "page": "Page",
                "model_name": "Modèle",
                "model_version": "Version",
                "status": "Statut",
                "response_time_ms": "Temps de réponse (ms)",
                "error_message": "Erreur",
            },
        )
    )


def render() -> None:
    st.title("Suivi des modèles")
    _quality()
    _usage()
