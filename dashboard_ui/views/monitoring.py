"""Suivi des modèles: success/failure counts and median response time per model."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboard_ui.components import show_table
from dashboard_ui.services import monitoring_store, settings
from data_collection_kedro.monitoring import StoreUnavailableError, summarize_predictions


def render() -> None:
    st.title("Suivi des modèles")
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
    left.metric("Prédictions réussies", total_ok)
    right.metric("Prédictions en échec", total_error)
    st.subheader("Par modèle")
    show_table(summary)
    chart = (
        alt.Chart(summary)
        .mark_bar()
        .encode(
            x=alt.X("median_response_time_ms:Q", title="Temps de réponse médian (ms)"),
            y=alt.Y("model_name:N", title=None),
            color=alt.Color("application:N", title="Application"),
            tooltip=list(summary.columns),
        )
        .properties(height=40 * max(1, len(summary)))
    )
    st.altair_chart(chart)
    recent = int(settings().limit("monitoring_recent_rows"))
    st.subheader("Dernières prédictions")
    show_table(rows.sort_values("logged_at", ascending=False).head(recent))
