"""Suivi carbone: the carbon summary's tables and charts, and the accuracy-versus-CO₂ trade-off.

Every figure comes from :mod:`data_collection_kedro.carbon.summary` (the same functions as
``make carbon-report``); the page only lays them out.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard_ui.components import show_table
from dashboard_ui.services import monitoring_store, settings
from dashboard_ui.settings import REPO_ROOT
from data_collection_kedro.monitoring import StoreUnavailableError
from data_collection_kedro.redaction import redact

REPORTS_DIR = REPO_ROOT / "reports" / "carbon"


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _show_totals(summary: Any) -> None:
    totals = summary.totals
    first, second, third = st.columns(3)
    first.metric("Émissions (g CO₂e)", f"{totals['emissions_g']:.2f}")
    second.metric("Énergie (Wh)", f"{1000 * totals['energy_kwh']:.2f}")
    third.metric("Durée mesurée (s)", f"{totals['duration_s']:.0f}")
    st.caption(f"Sélection : {summary.selection} — {totals['runs']} exécution(s).")


def _show_nodes(nodes: pd.DataFrame) -> None:
    top = nodes.head(15).assign(emissions_g=lambda f: 1000 * f["emissions_kg"])
    st.altair_chart(
        alt.Chart(top)
        .mark_bar()
        .encode(
            x=alt.X("emissions_g:Q", title="g CO₂e"),
            y=alt.Y("node:N", sort="-x", title=None),
            color=alt.Color("pipeline:N", title="Pipeline"),
            tooltip=["pipeline:N", "node:N", "emissions_g:Q", "duration_s:Q", "measurement:N"],
        )
    )


def _show_tradeoff(summary_module: ModuleType, summary_config: Any) -> None:
    st.subheader("Précision et émissions des modèles")
    tradeoff = _module("data_collection_kedro.carbon.summary.tradeoff")
    uri = settings().tracking_uri
    sqlite_file = Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None
    if tradeoff is None or (sqlite_file is not None and not sqlite_file.exists()):
        st.info(
            "Aucun modèle entraîné dans le registre MLflow : lancez "
            "`kedro run --pipeline=forecasting` (dans `data-collection-kedro/`)."
        )
        return
    runs, note = tradeoff.read_mlflow_runs(uri)
    table = None if runs is None else tradeoff.tradeoff_table(runs, summary_config)
    if table is None or table.empty:
        st.info(
            redact(note) or "Aucun run MLflow avec à la fois une métrique de test et une empreinte."
        )
        return
    show_table(table)
    st.altair_chart(
        alt.Chart(table.assign(emissions_g=lambda f: 1000 * f["emissions_kg"]))
        .mark_circle(size=120)
        .encode(
            x=alt.X("emissions_g:Q", title="Émissions de l'entraînement (g CO₂e)"),
            y=alt.Y("value:Q", title="Métrique de test"),
            color=alt.Color("pareto:N", title="Front de Pareto"),
            column=alt.Column("metric:N", title=None),
            tooltip=["model:N", "metric:N", "value:Q", "emissions_g:Q", "energy_kwh:Q"],
        )
        .resolve_scale(x="independent", y="independent")
    )


def _show_usage(node_emissions: pd.DataFrame) -> None:
    """Inference energy of the served predictions next to training (the usage report)."""
    usage = _module("data_collection_kedro.usage.report")
    if usage is None:
        return
    try:
        predictions = monitoring_store().predictions()
    except StoreUnavailableError as exc:
        st.caption(f"Usage des modèles indisponible : {exc}")
        return
    if predictions.empty:
        return
    st.subheader("Usage des modèles : inférence et entraînement")
    show_table(usage.build_usage_section(predictions, node_emissions, settings().section("usage")))


def _show_reports() -> None:
    files = sorted(REPORTS_DIR.glob("*.md")) + sorted(REPORTS_DIR.glob("*.png"))
    if not files:
        return
    st.subheader("Rapports (`reports/carbon/`, `make carbon-report`)")
    for path in files:
        with st.expander(path.name):
            if path.suffix == ".md":
                st.markdown(redact(path.read_text(encoding="utf-8")))
            else:
                st.image(str(path))


def render() -> None:
    st.title("Suivi carbone")
    st.caption(
        "Empreinte des pipelines mesurée nœud par nœud avec CodeCarbon, et compromis entre la "
        "précision des modèles et les émissions de leur entraînement."
    )
    summary_module = _module("data_collection_kedro.carbon.summary")
    if summary_module is None:
        st.warning("Le module de résumé carbone (data_collection_kedro.carbon.summary) est absent.")
        return
    params = settings().section("carbon_summary")
    summary_config = summary_module.load_config(params)
    carbon_dir = Path(params.get("carbon_dir") or settings().carbon_dir)
    data = summary_module.load_carbon_files(carbon_dir)
    if data.runs.empty:
        st.warning(
            f"Aucune mesure carbone dans {carbon_dir} : lancez `kedro run` (dans "
            "`data-collection-kedro/`) pour mesurer les pipelines."
        )
    else:
        summary = summary_module.build_summary(data, summary_config)
        _show_totals(summary)
        st.subheader("Par pipeline")
        show_table(summary.pipelines)
        if not summary.nodes.empty:
            st.subheader("Nœuds les plus émetteurs")
            _show_nodes(summary.nodes)
        with st.expander("Et si… (autres réseaux électriques, autre PUE)"):
            show_table(summary.grids)
            show_table(summary.pue)
        for warning in summary.warnings:
            st.caption(f"⚠ {warning}")
    _show_tradeoff(summary_module, summary_config)
    _show_usage(data.nodes)
    _show_reports()
