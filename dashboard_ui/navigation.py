"""The dashboard's pages, in menu order.

A page script ``dashboard_ui/page_scripts/<view>.py`` renders ``dashboard_ui/views/<view>.py``;
the title and the URL path are the French ones users see. The folder is not named ``pages/``:
Streamlit treats a ``pages/`` folder beside the main script as an old-style multipage app and,
for a session opened on a page's URL, would run that script alone with a menu of file names
instead of ``app.py``'s navigation.
"""

from __future__ import annotations

from typing import NamedTuple

PAGE_SCRIPTS = "page_scripts"  # folder of the page scripts, beside app.py


class Page(NamedTuple):
    view: str  # module of dashboard_ui/views/ (and file name in dashboard_ui/page_scripts/)
    title: str
    icon: str
    url_path: str

    @property
    def file(self) -> str:
        return f"{self.view}.py"


PAGES: tuple[Page, ...] = (
    Page("home", "Accueil", ":material/home:", "accueil"),
    Page("forecasts", "Prévisions", ":material/trending_up:", "previsions"),
    Page("map", "Carte des régions", ":material/map:", "carte"),
    Page("anomalies", "Détection d'anomalies", ":material/troubleshoot:", "anomalies"),
    Page("clustering", "Clustering", ":material/hub:", "clustering"),
    Page("weather", "Prédiction météo", ":material/partly_cloudy_day:", "prediction_meteo"),
    Page("movements", "Prédiction consommation", ":material/train:", "prediction_consommation"),
    Page("data_quality", "Qualité des données", ":material/fact_check:", "qualite_donnees"),
    Page("fuel", "Carburants", ":material/local_gas_station:", "carburants"),
    Page("monitoring", "Suivi des modèles", ":material/monitoring:", "monitoring"),
    Page("carbon", "Suivi carbone", ":material/eco:", "suivi_carbone"),
    Page("feedback", "Feedback", ":material/reviews:", "feedback"),
)
