"""Prédiction météo: weather and calendar inputs -> the weather CatBoost champion's prediction."""

from __future__ import annotations

import streamlit as st

from dashboard_ui.components import predict_one, region_and_day, show_predicted_consumption
from dashboard_ui.features import WEATHER_INPUTS, weather_model_row
from dashboard_ui.services import region_level

PAGE = "Prédiction météo"
MODEL_KEY = "weather"


def render() -> None:
    st.title("Prédiction météo")
    st.caption(
        "Consommation journalière de gaz d'une région pour une météo donnée "
        "(modèle CatBoost « champion » du registre MLflow)."
    )
    with st.form("weather_form"):
        left, right = st.columns(2)
        with left:
            region_code, day = region_and_day("weather")
            temp_max_c = st.number_input("TMax (°C)", -30.0, 50.0, 12.0, 0.5, key="weather_tmax")
            temp_min_c = st.number_input("TMin (°C)", -40.0, 45.0, 4.0, 0.5, key="weather_tmin")
            previous_temp_mean_c = st.number_input(
                "TMoy des jours précédents (°C, vide = même temps que le jour)",
                -40.0,
                45.0,
                value=None,
                step=0.5,
                key="weather_previous",
            )
        with right:
            wind_kmh = st.number_input("Vent (km/h)", 0.0, 250.0, 15.0, 1.0, key="weather_wind")
            humidity_pct = st.number_input("Humidité (%)", 0.0, 100.0, 75.0, 1.0, key="weather_hum")
            visibility_km = st.number_input(
                "Visibilité (km)", 0.0, 100.0, 10.0, 0.5, key="weather_vis"
            )
            cloud_cover_pct = st.number_input(
                "Couverture nuageuse (%)", 0.0, 100.0, 50.0, 1.0, key="weather_cloud"
            )
        submitted = st.form_submit_button("Prédire la consommation", type="primary")
    if not submitted:
        return

    def features() -> dict[str, object]:
        weather = {
            "temp_max_c": temp_max_c,
            "temp_min_c": temp_min_c,
            "wind_kmh": wind_kmh,
            "humidity_pct": humidity_pct,
            "visibility_km": visibility_km,
            "cloud_cover_pct": cloud_cover_pct,
        }
        level = region_level(region_code, day)
        return weather_model_row(region_code, day, weather, previous_temp_mean_c, level)

    show_predicted_consumption(predict_one(PAGE, MODEL_KEY, features, WEATHER_INPUTS))
