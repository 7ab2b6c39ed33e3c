"""Qualité des données: what the indices hold and what was repaired, left out or quarantined.

By region (``meteo_consommation``): days indexed, incomplete days, gas imputed for a missing
operator, days without gas or electricity, interpolated temperatures. By source: the rows the
ingestion quarantined, with their reason (``raw_quarantine``). Then every check of the fusion
(``fusion_data_quality``).
"""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboard_ui import charts
from dashboard_ui import formatting as fr
from dashboard_ui.components import load_filled_table, show_table, show_unavailable
from dashboard_ui.services import UnavailableError, load_table
from dashboard_ui.tables import fusion_checks, quality_by_region, quarantine_by_source
from data_collection_kedro.sources import registry

REGION_COUNTS = {
    "incomplete_days": "Jours incomplets",
    "gas_imputed_days": "Gaz imputé",
    "gas_missing_days": "Jours sans gaz",
    "electricity_missing_days": "Jours sans électricité",
    "temperature_interpolated_days": "Temp. interpolées",
}


def _by_region() -> None:
    st.subheader("Par région : jours indexés et jours à vérifier")
    meteo = load_filled_table("meteo_consommation")
    if meteo is None:
        return
    quality = quality_by_region(meteo)
    totals = quality[list(REGION_COUNTS)].sum()
    columns = st.columns(len(REGION_COUNTS))
    for column, (name, label) in zip(columns, REGION_COUNTS.items(), strict=True):
        column.metric(label, fr.number(totals[name]), border=True)
    long = quality.melt(
        id_vars=["region"], value_vars=list(REGION_COUNTS), var_name="check", value_name="count"
    ).assign(check=lambda f: f["check"].map(REGION_COUNTS))
    charts.show(
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("region:N", title=None, sort="ascending", axis=alt.Axis(labelLimit=240)),
            x=alt.X("count:Q", title="Jours", axis=alt.Axis(format=",d")),
            color=alt.Color(
                "check:N",
                title=None,
                scale=alt.Scale(domain=list(REGION_COUNTS.values())),
                legend=alt.Legend(orient="bottom", columns=3),
            ),
            tooltip=[
                alt.Tooltip("region:N", title="Région"),
                alt.Tooltip("check:N", title="Contrôle"),
                alt.Tooltip("count:Q", title="Jours", format=",d"),
            ],
        )
        .properties(height=22 * max(4, quality["region"].nunique())),
        key="quality_regions",
    )
    show_table(
        fr.display_table(
            quality[["region", "days", *REGION_COUNTS, "first_day", "last_day"]],
            formats={
                "days": fr.number,
                **dict.fromkeys(REGION_COUNTS, fr.number),
                "first_day": fr.day,
                "last_day": fr.day,
            },
            labels={
                "days": "Jours indexés",
                **REGION_COUNTS,
                "first_day": "Premier jour",
                "last_day": "Dernier jour",
            },
        )
    )
    st.caption(
        "Un jour incomplet manque d'heures ou d'un opérateur : sa consommation est laissée vide "
        "ou imputée (« gaz imputé » : part habituelle de l'opérateur manquant), jamais "
        "inventée. Les températures manquant au plus 3 jours de suite sont interpolées. Une "
        "région sans réseau de gaz (Corse) n'a que des jours sans gaz."
    )


def _quarantine() -> None:
    st.subheader("Par source : lignes mises en quarantaine à l'ingestion")
    sources = list(registry.sources())
    try:
        rows = load_table(
            sources[0].quarantine_dataset, columns=("source", "reason", "quarantined_at")
        )
    except UnavailableError as exc:
        show_unavailable(exc)
        return
    summary = quarantine_by_source(rows)
    if summary.empty:
        st.success("Aucune ligne en quarantaine : chaque ligne reçue a passé les contrôles.")
        return
    labels = {s.label: s.display_name for s in sources}
    show_table(
        fr.display_table(
            summary,
            formats={
                "source": lambda s: labels.get(str(s), str(s)),
                "rows": fr.number,
                "last_quarantined_at": fr.timestamp,
            },
            labels={"last_quarantined_at": "Dernière mise en quarantaine"},
        )
    )
    st.caption(
        f"{fr.number(summary['rows'].sum())} ligne(s) écartée(s) avec leur motif ; les autres "
        "lignes des mêmes fichiers ont été gardées."
    )


def _fusion_checks() -> None:
    st.subheader("Contrôles de la fusion")
    quality = load_filled_table("fusion_data_quality")
    if quality is None:
        return
    checks = fusion_checks(quality)
    flagged = checks[(checks["unmatched_keys"].fillna(0) > 0) | (checks["affected"].fillna(0) > 0)]
    st.caption(
        f"{len(checks)} contrôles, dont {len(flagged)} signalant des lignes ou des clés. "
        "Lignes en entrée et en sortie de chaque étape de la fusion, sur les jours que sa "
        "dernière exécution a recalculés."
    )
    show_table(
        fr.display_table(
            checks,
            formats={
                "rows_in": fr.number,
                "rows_out": fr.number,
                "unmatched_keys": fr.number,
                "affected": fr.number,
            },
            labels={
                "index": "Index",
                "check": "Contrôle",
                "rows_in": "Lignes en entrée",
                "rows_out": "Lignes en sortie",
                "unmatched_keys": "Clés signalées",
                "affected": "Lignes concernées",
                "covered": "Jours comptés",
            },
        )
    )


def render() -> None:
    st.title("Qualité des données")
    st.caption(
        "Ce que les index contiennent, ce qui a été réparé (imputé, interpolé), laissé vide "
        "ou écarté, par région et par source."
    )
    _by_region()
    _quarantine()
    _fusion_checks()
