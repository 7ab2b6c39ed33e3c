"""Suivi carbone: the carbon summary's tables and charts, and the accuracy-versus-CO₂ trade-off."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import altair as alt
import pandas as pd
import streamlit as st

from dashboard_ui.components import show_table
from dashboard_ui.services import settings
from dashboard_ui.settings import REPO_ROOT

REPORTS_DIR = REPO_ROOT / "reports" / "carbon"
NODES_FILE = "emissions_nodes.csv"


def carbon_summary_module() -> ModuleType | None:
    """``data_collection_kedro.carbon.summary`` when installed, else None."""
    try:
        return importlib.import_module("data_collection_kedro.carbon.summary")
    except ImportError:
        return None


def _node_emissions(carbon_dir: Path) -> pd.DataFrame | None:
    path = carbon_dir / NODES_FILE
    if not path.exists():
        return None
    return pd.read_csv(path)


def _show_node_emissions(nodes: pd.DataFrame) -> None:
    per_pipeline = (
        nodes.groupby("pipeline")
        .agg(
            runs=("run_id", "nunique"),
            duration_s=("duration_s", "sum"),
            energy_kwh=("energy_kwh", "sum"),
            emissions_kg=("emissions_kg", "sum"),
        )
        .reset_index()
        .sort_values("emissions_kg", ascending=False)
    )
    left, right = st.columns(2)
    left.metric("Émissions mesurées (g CO₂e)", f"{1000 * per_pipeline['emissions_kg'].sum():.2f}")
    right.metric("Énergie (Wh)", f"{1000 * per_pipeline['energy_kwh'].sum():.2f}")
    st.subheader("Par pipeline")
    show_table(per_pipeline)
    per_node = (
        nodes.groupby(["pipeline", "node"])["emissions_kg"]
        .sum()
        .mul(1000)
        .rename("emissions_g")
        .reset_index()
        .sort_values("emissions_g", ascending=False)
        .head(15)
    )
    st.subheader("Nœuds les plus émetteurs")
    st.altair_chart(
        alt.Chart(per_node)
        .mark_bar()
        .encode(
            x=alt.X("emissions_g:Q", title="g CO₂e"),
            y=alt.Y("node:N", sort="-x", title=None),
            color=alt.Color("pipeline:N", title="Pipeline"),
            tooltip=["pipeline:N", "node:N", "emissions_g:Q"],
        )
    )


def _show_reports() -> None:
    if not REPORTS_DIR.exists():
        return
    files = sorted(p for p in REPORTS_DIR.iterdir() if p.suffix in {".md", ".csv", ".png"})
    if not files:
        return
    st.subheader("Rapports carbone (`reports/carbon/`)")
    for path in files:
        with st.expander(path.name):
            if path.suffix == ".md":
                st.markdown(path.read_text(encoding="utf-8"))
            elif path.suffix == ".csv":
                show_table(pd.read_csv(path))
            else:
                st.image(str(path))


def render() -> None:
    st.title("Suivi carbone")
    st.caption(
        "Empreinte des pipelines mesurée nœud par nœud avec CodeCarbon, et compromis entre la "
        "précision des modèles et leurs émissions."
    )
    carbon_dir = settings().carbon_dir
    nodes = _node_emissions(carbon_dir)
    if nodes is None or nodes.empty:
        st.warning(
            f"Aucune mesure carbone dans {carbon_dir / NODES_FILE} : lancez `kedro run` (dans "
            "`data-collection-kedro/`) pour mesurer les pipelines, puis `make carbon-report`."
        )
    else:
        _show_node_emissions(nodes)
    if carbon_summary_module() is None:
        st.info(
            "Le résumé carbone (data_collection_kedro.carbon.summary) n'est pas installé : "
            "le compromis précision / CO₂ n'est pas disponible."
        )
    _show_reports()
