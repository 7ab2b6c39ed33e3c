"""Page script (see dashboard_ui/views/monitoring.py)."""

from dashboard_ui.views.monitoring import render

render()
