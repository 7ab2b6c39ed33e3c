"""Feedback: rate a prediction (1–5) with a comment, stored in ``user_feedback``."""

from __future__ import annotations

import streamlit as st

from dashboard_ui import formatting as fr
from dashboard_ui.components import LAST_PREDICTION_KEY, show_table
from dashboard_ui.services import monitoring_store, settings
from data_collection_kedro.monitoring import (
    FeedbackValidationError,
    StoreUnavailableError,
    feedback_csv,
    spreadsheet_safe_frame,
    validate_feedback,
)

PAGE = "Feedback"


def render() -> None:
    st.title("Votre avis sur les prédictions")
    config = settings()
    max_chars = int(config.limit("comment_max_chars"))
    last = st.session_state.get(LAST_PREDICTION_KEY)
    models = {key: spec["name"] for key, spec in config.params["models"].items()}
    names = list(models.values())
    if last:
        st.info(
            f"Dernière prédiction : {fr.quantity(last['prediction_value'], 'MWh/jour', 1)} "
            f"({last['page']}, {last['model_name']} v{last['model_version']})."
        )
    with st.form("feedback_form", clear_on_submit=True):
        default = names.index(last["model_name"]) if last and last["model_name"] in names else 0
        model_name = st.selectbox("Modèle évalué", names, index=default, key="feedback_model")
        rating = st.slider("Note (1 = mauvaise, 5 = excellente)", 1, 5, 4, key="feedback_rating")
        comment = st.text_area(
            f"Commentaire ({max_chars} caractères au plus)",
            max_chars=max_chars,
            key="feedback_comment",
        )
        submitted = st.form_submit_button("Envoyer", type="primary")
    if submitted:
        # the rating refers to the last prediction when it came from the model being rated
        rated = last if last and last["model_name"] == model_name else {}
        try:
            row = validate_feedback(
                page=rated.get("page", PAGE),
                model_name=model_name,
                model_version=rated.get("model_version"),
                prediction_value=rated.get("prediction_value"),
                rating=rating,
                comment=comment,
                max_comment_chars=max_chars,
            )
            monitoring_store().submit_feedback(row)
        except FeedbackValidationError as exc:
            st.error(f"Avis non enregistré : {exc}")
        except StoreUnavailableError as exc:
            st.error(f"Avis non enregistré, le stockage est indisponible : {exc}")
        else:
            st.success("Merci ! Votre avis est enregistré.")
    try:
        stored = monitoring_store().feedback()
    except StoreUnavailableError as exc:
        st.warning(f"Les avis enregistrés ne peuvent pas être lus : {exc}")
        return
    if stored.empty:
        st.caption("Aucun avis enregistré pour l'instant.")
        return
    st.subheader("Avis enregistrés")
    summary = stored.groupby("model_name")["rating"].agg(["count", "mean"]).reset_index()
    show_table(
        fr.display_table(
            summary,
            formats={"mean": lambda v: fr.number(v, 1)},
            labels={"model_name": "Modèle", "count": "Avis", "mean": "Note moyenne (sur 5)"},
        )
    )
    # spreadsheet-safe, also for rows stored before comments were neutralized on storage
    latest = spreadsheet_safe_frame(stored.sort_values("submitted_at", ascending=False))
    show_table(
        fr.display_table(
            latest[
                ["submitted_at", "page", "model_name", "model_version", "rating", "comment"]
            ].head(50),
            formats={
                "submitted_at": fr.timestamp,
                "comment": lambda c: "" if c is None or c != c else str(c),
            },
            labels={
                "submitted_at": "Quand",
                "page": "Page",
                "model_name": "Modèle",
                "model_version": "Version",
                "rating": "Note",
                "comment": "Commentaire",
            },
        )
    )
    st.download_button(
        "Exporter les avis (CSV)",
        feedback_csv(latest),
        "avis_utilisateurs.csv",
        "text/csv",
        key="feedback_export",
    )
