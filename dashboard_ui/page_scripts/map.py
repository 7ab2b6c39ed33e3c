"""Page script (see dashboard_ui/views/map.py)."""

from dashboard_ui.views.map import render

render()
