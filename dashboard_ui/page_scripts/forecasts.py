"""Page script (see dashboard_ui/views/forecasts.py)."""

from dashboard_ui.views.forecasts import render

render()
