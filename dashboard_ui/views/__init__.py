"""One module per page: ``render()`` draws the page (called by ``dashboard_ui/pages/*.py``)."""
