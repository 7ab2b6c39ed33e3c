"""Page script (see dashboard_ui/views/fuel.py)."""

from dashboard_ui.views.fuel import render

render()
