"""Page script (see dashboard_ui/views/weather.py)."""

from dashboard_ui.views.weather import render

render()
