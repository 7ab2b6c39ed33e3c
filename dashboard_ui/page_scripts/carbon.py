"""Page script (see dashboard_ui/views/carbon.py)."""

from dashboard_ui.views.carbon import render

render()
