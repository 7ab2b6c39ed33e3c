"""The dashboard's pages, in menu order.

A page script ``dashboard_ui/pages/<view>.py`` renders ``dashboard_ui/views/<view>.py``; the
title and the URL path are the French ones users see.
"""

from __future__ import annotations

from typing import NamedTuple


class Page(NamedTuple):
    view: str  # module of dashboard_ui/views/ (and file name in dashboard_ui/pages/)
    title: str
    icon: str
    url_path: str

    @property
    def file(self) -> str:
        return f"{self.view}.py"


PAGES: tuple[Page, ...] = (
    Page("home", "Accueil", ":material/home:", "accueil"),
    Page("forecasts", "Prévisions", ":material/trending_up:", "previsions"),
    Page("weather", "Prédiction météo", ":material/partly_cloudy_day:", "prediction_meteo"),
    Page("anomalies", "Détection d'anomalies", ":material/troubleshoot:", "anomalies"),
    Page("movements", "Prédiction consommation", ":material/train:", "prediction_consommation"),
    Page("clustering", "Clustering", ":material/hub:", "clustering"),
    Page("feedback", "Feedback", ":material/reviews:", "feedback"),
    Page("carbon", "Suivi carbone", ":material/eco:", "suivi_carbone"),
    Page("monitoring", "Suivi des modèles", ":material/monitoring:", "monitoring"),
)
