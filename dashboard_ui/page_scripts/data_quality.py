"""Page script (see dashboard_ui/views/data_quality.py)."""

from dashboard_ui.views.data_quality import render

render()
