"""The dashboard's pages: (file in ``dashboard_ui/pages/``, title, icon), in menu order."""

PAGES: tuple[tuple[str, str, str], ...] = (
    ("home.py", "Accueil", ":material/home:"),
    ("prediction_meteo.py", "Prédiction météo", ":material/partly_cloudy_day:"),
    ("anomalies.py", "Détection d'anomalies", ":material/troubleshoot:"),
    ("prediction_consommation.py", "Prédiction consommation", ":material/train:"),
    ("clustering.py", "Clustering", ":material/hub:"),
    ("feedback.py", "Feedback", ":material/reviews:"),
    ("suivi_carbone.py", "Suivi carbone", ":material/eco:"),
    ("monitoring.py", "Suivi des modèles", ":material/monitoring:"),
)
