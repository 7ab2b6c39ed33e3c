"""EnergieWatch dashboard entry point: ``streamlit run dashboard_ui/app.py`` (``make dashboard``)."""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts this folder on sys.path, not the repository root that holds the package
_REPO_ROOT = str(Path(__file__).resolve().parents[1])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

import streamlit as st  # noqa: E402

from dashboard_ui.navigation import PAGE_SCRIPTS, PAGES  # noqa: E402
from data_collection_kedro.redaction import install_log_redaction  # noqa: E402

install_log_redaction()  # credentials of URIs masked in every log record

st.set_page_config(page_title="EnergieWatch", page_icon=":material/bolt:", layout="wide")
pages = [
    st.Page(
        str(Path(__file__).parent / PAGE_SCRIPTS / page.file),
        title=page.title,
        icon=page.icon,
        url_path=page.url_path,
        default=index == 0,
    )
    for index, page in enumerate(PAGES)
]
st.sidebar.markdown("**EnergieWatch** — énergie, météo et mouvements sociaux")
st.navigation(pages).run()
