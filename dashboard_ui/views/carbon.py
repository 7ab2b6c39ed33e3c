"""Suivi carbone: the carbon report's figures (``make carbon-report --lang fr``) on one page.

Every figure comes from :mod:`data_collection_kedro.carbon.summary` and the report command's
helpers (the same selection of node runs, phases, both intensity bases, yearly projection,
models' trade-off); the page lays out the report's own sections, in French, in readable units.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard_ui.components import show_table
from dashboard_ui.services import UnavailableError, load_table, monitoring_store, settings
from dashboard_ui.settings import REPO_ROOT
from data_collection_kedro.carbon.intensity import IntensitySeries
from data_collection_kedro.carbon.summary import (
    build_summary,
    load_carbon_files,
    load_config,
    units,
)
from data_collection_kedro.carbon.summary.charts import PHASE_COLOURS, tradeoff_chart
from data_collection_kedro.carbon.summary.compute import CarbonSummary
from data_collection_kedro.carbon.summary.config import SummaryConfig
from data_collection_kedro.carbon.summary.i18n import label
from data_collection_kedro.carbon.summary.render import Table, sections, usage_table
from data_collection_kedro.monitoring import StoreUnavailableError
from data_collection_kedro.redaction import redact
from data_collection_kedro.reporting.carbon_report import (
    INTENSITY_TABLE,
    add_tradeoff,
    node_catalog,
)
from data_collection_kedro.schedules import dag_plans

REPORTS_DIR = REPO_ROOT / "reports" / "carbon"
LANG = "fr"


def _frame(table: Table) -> pd.DataFrame:
    headers, rows = table
    return pd.DataFrame([[c.replace("**", "") for c in r] for r in rows], columns=headers)


def _section_table(content: Any, *, long: bool = False) -> None:
    """A section of the report: a table (static and whole; a scrolling one when ``long``) or
    lines."""
    if isinstance(content, tuple):
        if long:
            show_table(_frame(content))
        else:
            st.table(_frame(content).set_index(content[0][0]))
    elif isinstance(content, list):
        st.markdown("\n".join(f"- {line}" for line in content))
    else:
        st.markdown(str(content))


def _intensity(config: SummaryConfig) -> IntensitySeries | None:
    try:
        frame = load_table(INTENSITY_TABLE)
    except UnavailableError:
        return None
    return IntensitySeries.from_frame(frame, config.intensity_profile_days)


def _show_totals(summary: CarbonSummary) -> None:
    totals, intensity = summary.totals, summary.intensity
    columns = st.columns(4)
    columns[0].metric("Énergie", units.energy(totals["energy_kwh"], LANG))
    columns[1].metric(
        "CO₂e (réseau annuel)",
        units.mass(totals["emissions_kg"], LANG),
        help=f"{intensity.get('annual_source')}",
    )
    if intensity.get("available"):
        columns[2].metric(
            "CO₂e au moment (eco2mix)",
            units.mass(intensity.get("runtime_emissions_kg"), LANG),
            delta=units.signed_share(intensity.get("difference_share"), LANG),
            delta_color="inverse",
        )
    else:
        columns[2].metric("CO₂e au moment (eco2mix)", "–", help="aucune intensité eco2mix stockée")
    columns[3].metric(
        "Au-dessus du repos",
        units.energy(totals["marginal_energy_kwh"], LANG),
        help=f"consommation au repos mesurée au démarrage du suivi : "
        f"{units.power(totals['idle_power_w'], LANG)}",
    )


def _phase_chart(summary: CarbonSummary) -> None:
    rows = []
    for _, row in summary.phases.iterrows():
        name = label(str(row["phase"]), LANG)
        for basis, column in (
            ("réseau annuel (CodeCarbon)", "emissions_kg"),
            ("au moment (eco2mix)", "runtime_emissions_kg"),
        ):
            if pd.notna(row[column]):
                rows.append(
                    {
                        "phase": name,
                        "base": basis,
                        "co2e_mg": float(row[column]) * 1e6,
                        "texte": units.mass(row[column], LANG),
                        "couleur": PHASE_COLOURS.get(str(row["phase"]), "#cccccc"),
                    }
                )
    if not rows:
        return
    data = pd.DataFrame(rows)
    order = [label(str(p), LANG) for p in summary.phases["phase"]]
    st.altair_chart(
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("co2e_mg:Q", title="CO₂e (mg)"),
            y=alt.Y("phase:N", sort=order, title=None, axis=alt.Axis(labelLimit=0)),
            yOffset=alt.YOffset("base:N"),
            color=alt.Color(
                "base:N",
                title="Intensité du réseau",
                legend=alt.Legend(orient="bottom", labelLimit=0, titleLimit=0),
            ),
            tooltip=[
                alt.Tooltip("phase:N", title="phase"),
                alt.Tooltip("base:N", title="base"),
                alt.Tooltip("texte:N", title="CO₂e"),
            ],
        ),
        width="stretch",
    )


def _show_tradeoff(summary: CarbonSummary) -> None:
    if summary.tradeoff is None or summary.tradeoff.empty:
        st.info(
            "Aucun modèle entraîné dans le registre MLflow : lancez "
            "`kedro run --pipelines=forecasting` (dans `data-collection-kedro/`)."
        )
        return
    buffer = io.BytesIO()
    tradeoff_chart(summary, buffer, LANG, stacked=True)
    st.image(buffer.getvalue(), width=760)


def _show_usage(node_emissions: pd.DataFrame) -> None:
    """Inference energy of the served predictions next to training (the usage report)."""
    from data_collection_kedro.usage.report import build_usage_section

    try:
        predictions = monitoring_store().predictions()
    except StoreUnavailableError as exc:
        st.caption(f"Usage des modèles indisponible : {exc}")
        return
    if predictions.empty:
        return
    st.subheader("Usage des modèles : inférence et entraînement")
    usage = build_usage_section(predictions, node_emissions, settings().section("usage"), LANG)
    show_table(_frame(usage_table(usage, LANG)))


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


def _summary(carbon_dir: Path, config: SummaryConfig) -> CarbonSummary | None:
    data = load_carbon_files(carbon_dir)
    if data.nodes.empty and data.runs.empty:
        return None
    try:
        catalog = node_catalog()
    except Exception:  # the page still shows the measurements without the registry
        catalog = None
    summary = build_summary(
        data, config, catalog=catalog, intensity=_intensity(config), plans=dag_plans()
    )
    add_tradeoff(summary, config, settings().tracking_uri)
    return summary


def render() -> None:
    st.title("Suivi carbone")
    st.caption(
        "Empreinte des pipelines mesurée nœud par nœud avec CodeCarbon, chaque exécution de "
        "nœud comptée une fois ; intensité du réseau annuelle et au moment des exécutions ; "
        "projection annuelle des DAG ; compromis précision × temps × CO₂e des modèles."
    )
    params = settings().section("carbon_summary")
    config = load_config(params)
    carbon_dir = Path(params.get("carbon_dir") or settings().carbon_dir)
    summary = _summary(carbon_dir, config)
    if summary is None:
        st.warning(
            f"Aucune mesure carbone dans {carbon_dir} : lancez `kedro run` (dans "
            "`data-collection-kedro/`) pour mesurer les pipelines."
        )
        _show_reports()
        return
    by_key = {s.key: s for s in sections(summary, LANG)}
    st.caption(by_key["selection"].content[0])  # type: ignore[index]
    _show_totals(summary)
    with st.expander("Totaux, fourchette d'incertitude et coûts"):
        _section_table(by_key["totals"].content)
    st.subheader(by_key["per_phase"].title)
    _phase_chart(summary)
    _section_table(by_key["per_phase"].content)
    st.subheader(by_key["intensity"].title)
    _section_table(by_key["intensity"].content)
    if "projection" in by_key:
        st.subheader(by_key["projection"].title)
        _section_table(by_key["projection"].content)
        with st.expander(by_key["assumptions"].title):
            _section_table(by_key["assumptions"].content)
    st.subheader(by_key["scheduling"].title)
    _section_table(by_key["scheduling"].content)
    st.subheader(by_key["tradeoff"].title)
    _show_tradeoff(summary)
    with st.expander("Tableau des modèles"):
        _section_table(by_key["tradeoff"].content)
    for key in ("per_pipeline", "per_node", "method", "what_if_grids", "what_if_pue"):
        with st.expander(by_key[key].title):
            _section_table(by_key[key].content, long=key == "per_node")
    warnings = [w for w in by_key["warnings"].content if w != label("none", LANG)]
    if warnings:
        kinds = sorted({str(w).split(" :")[0] for w in warnings})
        with st.expander(f"⚠ {by_key['warnings'].title} ({len(warnings)} : {', '.join(kinds)})"):
            _section_table(warnings)
    _show_usage(load_carbon_files(carbon_dir).nodes)
    _show_reports()
