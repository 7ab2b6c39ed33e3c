"""Prédiction consommation (what-if): strike/movement and calendar inputs -> the RandomForest
champion. The form asks only for the inputs the champion uses (its MLflow signature) and
defaults to the day after the data."""

from __future__ import annotations

import streamlit as st

from dashboard_ui.components import (
    champion_inputs,
    predict_one,
    region_and_day,
    show_predicted_consumption,
)
from dashboard_ui.features import calendar_features, movements_model_row
from dashboard_ui.services import day_after_data, region_level

PAGE = "Prédiction consommation"
MODEL_KEY = "movements"
# the champion's inputs derived from the temperature field
TEMPERATURE_INPUTS = {"temp_mean_c", "heating_degree_days"}
DEFAULT_TEMP_MEAN_C = 10.0


def render() -> None:
    st.title("Prédiction consommation")
    st.caption(
        "Simulation « et si ? » : consommation journalière d'une région selon les mouvements "
        "sociaux SNCF et le calendrier (modèle RandomForest « champion » du registre MLflow). "
        "Jours fériés et vacances scolaires sont déduits de la date et de la zone de la région. "
        "Ce n'est pas la prévision : celle-ci est sur la page « Prévisions »."
    )
    used = champion_inputs(MODEL_KEY)
    if used is None:
        return
    with st.form("movements_form"):
        left, right = st.columns(2)
        with left:
            region_code, day = region_and_day("movements", day_after_data())
            temp_mean_c = DEFAULT_TEMP_MEAN_C  # not an input of the champion
            if used & TEMPERATURE_INPUTS:
                temp_mean_c = st.number_input(
                    "Température moyenne (°C)", -30.0, 45.0, 10.0, 0.5, key="movements_temp"
                )
        with right:
            strike_active = st.checkbox("Grève SNCF en cours", key="movements_strike")
            strike_count = st.number_input(
                "Mouvements sociaux actifs", 0, 20, 0, 1, key="movements_count"
            )
            strike_rate_pct = st.slider(
                "Taux de grévistes (%)", 0.0, 100.0, 0.0, 0.5, key="movements_rate"
            )
        submitted = st.form_submit_button("Prédire la consommation", type="primary")
    if not submitted:
        return
    calendar = calendar_features(day, region_code)
    st.caption(
        f"{calendar['region']} — "
        f"{'jour férié (' + str(calendar['public_holiday_name']) + ')' if calendar['is_public_holiday'] else 'jour ouvré' if not calendar['is_weekend'] else 'week-end'}"
        f"{', vacances scolaires' if calendar['is_school_holiday'] else ''}"
    )

    def features() -> dict[str, object]:
        level = region_level(region_code, day)
        return movements_model_row(
            region_code, day, temp_mean_c, strike_active, strike_count, strike_rate_pct, level
        )

    inputs = ["strike_active", "strike_count", "strike_rate_pct"]
    if used & TEMPERATURE_INPUTS:
        inputs.append("temp_mean_c")
    show_predicted_consumption(predict_one(PAGE, MODEL_KEY, features, inputs))
