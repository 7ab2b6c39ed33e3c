"""Page script (see dashboard_ui/views/movements.py)."""

from dashboard_ui.views.movements import render

render()
