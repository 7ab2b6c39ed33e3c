"""Page script (see dashboard_ui/views/feedback.py)."""

from dashboard_ui.views.feedback import render

render()
