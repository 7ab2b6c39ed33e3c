"""The dashboard's pages: (file in ``dashboard_ui/pages/``, title, icon), in menu order."""

PAGES: tuple[tuple[str, str, str], ...] = (
    ("home.py", "Accueil", "🏠"),
    ("prediction_meteo.py", "Prédiction météo", "🌦️"),
    ("anomalies.py", "Détection d'anomalies", "🚨"),
    ("prediction_consommation.py", "Prédiction consommation", "🚆"),
    ("clustering.py", "Clustering", "🗺️"),
    ("feedback.py", "Feedback", "💬"),
    ("suivi_carbone.py", "Suivi carbone", "🌱"),
    ("monitoring.py", "Suivi des modèles", "📈"),
)
