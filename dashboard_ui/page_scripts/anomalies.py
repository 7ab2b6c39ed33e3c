"""Page script (see dashboard_ui/views/anomalies.py)."""

from dashboard_ui.views.anomalies import render

render()
