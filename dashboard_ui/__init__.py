"""EnergieWatch's Streamlit dashboard (``make dashboard`` = ``streamlit run dashboard_ui/app.py``).

Models come from the MLflow registry (alias ``champion``), tables from the project's index
store through the Kedro catalog, and every prediction is logged to ``model_monitoring``.
Nothing is trained here.
"""
