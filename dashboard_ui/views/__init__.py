"""One module per page: ``render()`` draws the page (called by ``dashboard_ui/page_scripts/*.py``)."""
