"""Prédiction météo (what-if): a weather scenario and the calendar -> the weather CatBoost
champion's consumption. The form asks only for the inputs the champion uses (its MLflow
signature) and defaults to the day after the data."""

from __future__ import annotations

import streamlit as st

from dashboard_ui.components import (
    champion_inputs,
    predict_one,
    region_and_day,
    show_predicted_consumption,
)
from dashboard_ui.features import WEATHER_INPUTS, weather_model_row
from dashboard_ui.services import day_after_data, region_level

PAGE = "Prédiction météo"
MODEL_KEY = "weather"
# inputs of the smoothed temperature of the days before
SMOOTHED = {"temp_ewm_c", "hdd_ewm"}
# optional measures a champion may use, with their field (label, min, max, default, step)
MEASURES = {
    "wind_kmh": ("Vent (km/h)", 0.0, 250.0, 15.0, 1.0),
    "humidity_pct": ("Humidité (%)", 0.0, 100.0, 75.0, 1.0),
    "visibility_km": ("Visibilité (km)", 0.0, 100.0, 10.0, 0.5),
    "cloud_cover_pct": ("Couverture nuageuse (%)", 0.0, 100.0, 50.0, 1.0),
}


def render() -> None:
    st.title("Prédiction météo")
    st.caption(
        "Simulation « et si ? » : consommation journalière de gaz d'une région pour une météo "
        "que vous choisissez (modèle CatBoost « champion » du registre MLflow). Ce n'est pas la "
        "prévision : celle-ci est sur la page « Prévisions »."
    )
    used = champion_inputs(MODEL_KEY)
    if used is None:
        return
    with st.form("weather_form"):
        left, right = st.columns(2)
        with left:
            region_code, day = region_and_day("weather", day_after_data())
            temp_max_c = st.number_input("TMax (°C)", -30.0, 50.0, 12.0, 0.5, key="weather_tmax")
            temp_min_c = st.number_input("TMin (°C)", -40.0, 45.0, 4.0, 0.5, key="weather_tmin")
            previous_temp_mean_c = None
            if used & SMOOTHED:
                previous_temp_mean_c = st.number_input(
                    "TMoy des jours précédents (°C, vide = même temps que le jour)",
                    -40.0,
                    45.0,
                    value=None,
                    step=0.5,
                    key="weather_previous",
                )
        measures = {}
        with right:
            for name, (label, low, high, default, step) in MEASURES.items():
                if name in used:
                    measures[name] = st.number_input(
                        label, low, high, default, step, key=f"weather_{name}"
                    )
                else:
                    measures[name] = default  # not an input of the champion
        submitted = st.form_submit_button("Prédire la consommation", type="primary")
    if not submitted:
        return

    def features() -> dict[str, object]:
        weather = {"temp_max_c": temp_max_c, "temp_min_c": temp_min_c, **measures}
        level = region_level(region_code, day)
        return weather_model_row(region_code, day, weather, previous_temp_mean_c, level)

    asked = [name for name in WEATHER_INPUTS if name not in MEASURES or name in used]
    show_predicted_consumption(predict_one(PAGE, MODEL_KEY, features, asked))
