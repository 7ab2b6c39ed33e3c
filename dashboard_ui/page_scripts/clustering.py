"""Page script (see dashboard_ui/views/clustering.py)."""

from dashboard_ui.views.clustering import render

render()
