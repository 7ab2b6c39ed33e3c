"""Page script (see dashboard_ui/views/home.py)."""

from dashboard_ui.views.home import render

render()
