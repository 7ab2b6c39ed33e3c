"""Accueil: the morning view of an operations director.

Per energy, the last published day against what was forecast for it and the next days'
forecast band, for France and the user's region; the anomalies of the last days ranked by
severity; the freshness of every source; the last pipeline runs with their footprint.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from dashboard_ui import charts, forecasts
from dashboard_ui import formatting as fr
from dashboard_ui.components import chosen_region, show_unavailable
from dashboard_ui.freshness import Freshness
from dashboard_ui.services import (
    PARIS,
    UnavailableError,
    load_table,
    optional_table,
    recent_runs,
    run_hint,
    settings,
    source_freshness,
)
from dashboard_ui.tables import anomaly_details, ranked_anomalies
from data_collection_kedro.domain.regions import REGION_BY_CODE
from data_collection_kedro.modeling.anomaly import ENERGY_COLUMNS

STATUS_LABELS = {"ok": "Réussie", "failed": "En échec"}


def _today() -> dt.date:
    return dt.datetime.now(tz=PARIS).date()


def _day_label(day: pd.Timestamp | None, today: dt.date) -> str:
    if day is None:
        return "Dernier jour"
    if day.date() == today - dt.timedelta(days=1):
        return f"Hier ({fr.day(day)})"
    return f"Dernier jour publié ({fr.day(day)})"


def _served(name: str, excluded: list[str]) -> pd.DataFrame | None:
    table = optional_table(name)
    return None if table is None else forecasts.normalise(table, excluded)


def _energy_block(
    energy: str,
    scope: str | None,
    meteo: pd.DataFrame,
    national: pd.DataFrame | None,
    future: pd.DataFrame | None,
    backtest: pd.DataFrame | None,
    regions: list[str],
    today: dt.date,
) -> None:
    """One energy for France (``scope`` None) or a region: the last day against its forecast,
    then the observed days and the forecast band."""
    column = ENERGY_COLUMNS[energy]
    unit = fr.ENERGY_UNITS[energy]
    name = "France" if scope is None else REGION_BY_CODE[scope].name
    if scope is not None:
        actual = forecasts.regional_actuals(meteo, column, scope)
    elif national is not None and forecasts.forecasts_nationally([future, backtest], energy):
        # the national series a national model forecasts (not the sum of the regions)
        actual = forecasts.series_actuals(national, column)
    else:
        actual = forecasts.national_actuals(meteo, column)
    if actual.empty:
        st.info(f"{name} : aucune consommation {fr.OF_ENERGY[energy]} publiée.")
        return
    last = actual.iloc[-1]
    last_day = pd.Timestamp(last["day"])
    history_days = int(settings().params["home"]["history_days"])
    shown_actual = actual[actual["day"] > last_day - pd.Timedelta(days=history_days)]
    past = (
        forecasts.scope_forecast(backtest, energy, scope, regions)[0]
        if backtest is not None
        else pd.DataFrame(columns=forecasts.BAND_COLUMNS)
    )
    ahead, note = (
        forecasts.scope_forecast(future, energy, scope, regions)
        if future is not None
        else (pd.DataFrame(columns=forecasts.BAND_COLUMNS), None)
    )
    # what was forecast for the last day: the served table when it holds that day, else the
    # replay of the test period (backtest)
    both = pd.concat([ahead.assign(kind="ahead"), past.assign(kind="past")], ignore_index=True)
    forecast_of_last = both[both["day"] == last_day]
    predicted = float(forecast_of_last["p50"].iloc[0]) if len(forecast_of_last) else None
    delta = None
    if predicted:
        delta = fr.percent(100 * (last["value"] - predicted) / predicted, 1, signed=True)
    st.metric(
        f"{name} — {_day_label(last_day, today)}",
        fr.quantity(last["value"], unit),
        delta=delta,
        delta_color="off",
        delta_arrow="off",
        delta_description="par rapport à la prévision" if delta else None,
        help="Consommation observée ; l'écart la compare à la prévision P50 de ce jour.",
    )
    st.caption(
        "Prévision pour ce jour : "
        + (fr.quantity(predicted, unit) if predicted else "aucune (pas de rejeu pour ce jour)")
    )
    upcoming = ahead[ahead["day"] > last_day]
    drawn_past = past[past["day"].isin(shown_actual["day"])]
    drawn = pd.concat([drawn_past, upcoming], ignore_index=True).sort_values("day")
    drawn = drawn[["day", "p10", "p50", "p90"]]
    charts.show(
        charts.forecast_band_chart(shown_actual[["day", "value"]], drawn, unit),
        key=f"home_band_{energy}_{scope or 'fr'}",
    )
    notes = []
    if drawn.empty:
        notes.append(f"aucune prévision {fr.OF_ENERGY[energy]} pour {name}")
    elif upcoming.empty:
        notes.append("aucune prévision au-delà du dernier jour publié")
    else:
        notes.append(
            f"prévision du {fr.day(upcoming['day'].min())} au {fr.day(upcoming['day'].max())}"
        )
    basis = forecasts.basis_note(upcoming)
    if basis:
        notes.append(basis)
    if not drawn.empty and not forecasts.has_band(drawn):
        notes.append(
            "bande P10–P90 indisponible : la table des prévisions ne donne pas de quantiles pour ces jours"
        )
    if note:
        notes.append(note)
    st.caption(fr.sentence(" · ".join(notes)))


def _forecast_section(meteo: pd.DataFrame, region_code: str, today: dt.date) -> None:
    config = settings()
    excluded = list(config.params["forecast"]["excluded_model_prefixes"])
    future = _served("consumption_forecasts", excluded)
    backtest = _served("forecast_backtest", excluded)
    if future is None and backtest is None:
        st.warning(f"Aucune prévision enregistrée : lancez {run_hint('forecasting')}.", icon="⚠️")
    regions = sorted(meteo["region_code"].astype(str).unique())
    national = optional_table("consommation_nationale")
    energies = [e for e, column in ENERGY_COLUMNS.items() if column in meteo.columns]
    tabs = st.tabs([fr.ENERGY_LABELS[e] for e in energies])
    for tab, energy in zip(tabs, energies, strict=True):
        with tab:
            served = [
                f for f in (future, backtest) if f is not None and (f["energy"] == energy).any()
            ]
            if not served:
                st.info(
                    f"Aucune prévision {fr.OF_ENERGY[energy]} n'est publiée : le modèle de "
                    "prévision servi ne couvre pas encore cette énergie. La consommation "
                    "observée est montrée seule."
                )
            france, region = st.columns(2)
            energy_regions = sorted(
                meteo.loc[meteo[ENERGY_COLUMNS[energy]].notna(), "region_code"].astype(str).unique()
            )
            with france:
                _energy_block(
                    energy, None, meteo, national, future, backtest, energy_regions, today
                )
            with region:
                _energy_block(
                    energy, region_code, meteo, national, future, backtest, regions, today
                )


def _anomaly_section(meteo: pd.DataFrame, last_day: pd.Timestamp) -> int | None:
    params = settings().params["home"]
    days = int(params["anomaly_days"])
    st.subheader(f"Anomalies des {days} derniers jours")
    try:
        stored = load_table("consumption_anomalies")
    except UnavailableError as exc:
        show_unavailable(exc)
        return None
    stored_day = pd.to_datetime(stored["day"])
    recent = stored[stored_day > last_day - pd.Timedelta(days=days)]
    details = anomaly_details(recent, optional_table("anomaly_features"), meteo)
    ranked = ranked_anomalies(details)
    if ranked.empty:
        st.success(
            f"Aucun jour anormal du {fr.day(last_day - pd.Timedelta(days=days - 1))} "
            f"au {fr.day(last_day)}."
        )
        return 0
    st.dataframe(
        fr.anomaly_table(
            ranked.head(int(params["anomaly_rows"])),
            [
                "severity_rank",
                "region",
                "day",
                "anomaly_score",
                "top_feature",
                "actual_mwh",
                "expected_mwh",
                "gap_pct",
            ],
        ),
        hide_index=True,
    )
    st.caption(
        f"{len(ranked)} jour(s)-région(s) signalé(s), du plus au moins sévère. Attendu = médiane "
        "des jours voisins de la région ; écart de l'énergie que l'indicateur désigne. Détail et "
        "courbes : page « Détection d'anomalies »."
    )
    return len(ranked)


def _freshness_section(rows: list[Freshness]) -> None:
    st.subheader("Fraîcheur des sources")

    def state(row: Freshness) -> str:
        if row.error:
            return f"Illisible ({row.error[:80]})"
        if row.late_days is None:
            return "Jamais ingérée"
        if row.late_days > 0:
            return f"En retard de {fr.days_count(row.late_days)}"
        return "À jour"

    table = pd.DataFrame(
        {
            "source": [r.label for r in rows],
            "last_day": [fr.day(r.last_day) for r in rows],
            "last_ingested": [fr.timestamp(r.last_ingested) for r in rows],
            "expected": [
                (
                    f"publication J+{r.lag_days}"
                    if r.judged_on == "data"
                    else "selon le calendrier d'ingestion"
                )
                for r in rows
            ],
            "state": [state(r) for r in rows],
        }
    )
    shown = fr.display_table(
        table,
        labels={
            "last_day": "Dernier jour de données",
            "last_ingested": "Dernière ingestion",
            "expected": "Attendu",
            "state": "État",
        },
    )
    st.dataframe(shown.style.map(fr.status_style, subset=["État"]), hide_index=True)
    st.caption(
        "Une série est en retard quand son dernier jour est plus ancien que le délai de "
        "publication déclaré pour la source (plus un jour de marge) ; les grèves et les "
        "calendriers, quand leur dernière ingestion date de plus d'une période de leur "
        "planification Airflow."
    )


def _runs_section() -> dict[str, Any] | None:
    st.subheader("Dernières exécutions des pipelines")
    runs = recent_runs(int(settings().params["home"]["runs"]))
    if runs.empty:
        st.info("Aucune exécution mesurée : lancez `make run` (ou `kedro run`).")
        return None
    table = pd.DataFrame(
        {
            "started_at": [fr.timestamp(t) for t in runs["started_at"]],
            "pipeline": runs["pipeline"].replace({"__default__": "tous (défaut)"}),
            "status": [STATUS_LABELS.get(str(s), str(s)) for s in runs["status"]],
            "duration": [fr.duration(v) for v in runs["duration_s"]],
            "energy_wh": [
                fr.number(1000 * float(v), 2) if pd.notna(v) else fr.MISSING
                for v in runs["energy_kwh"]
            ],
            "emissions_g": [
                fr.number(1000 * float(v), 3) if pd.notna(v) else fr.MISSING
                for v in runs["emissions_kg"]
            ],
        }
    )
    shown = fr.display_table(
        table,
        labels={
            "started_at": "Début",
            "pipeline": "Pipeline",
            "status": "Statut",
            "duration": "Durée",
            "energy_wh": "Énergie (Wh)",
            "emissions_g": "Émissions (g CO₂e)",
        },
    )
    st.dataframe(shown.style.map(fr.status_style, subset=["Statut"]), hide_index=True)
    return dict(runs.iloc[0])


def render() -> None:
    today = _today()
    title, picker = st.columns([3, 1], vertical_alignment="bottom")
    title.title("Point du matin")
    with picker:
        region_code = chosen_region()
    try:
        meteo = load_table("meteo_consommation")
    except UnavailableError as exc:
        st.markdown(
            "Tableau de bord des données énergétiques françaises : consommation régionale de gaz "
            "et d'électricité, météo, carburants et mouvements sociaux."
        )
        show_unavailable(exc)
        _freshness_section(source_freshness())
        _runs_section()
        return
    meteo_day = pd.to_datetime(meteo["day"])
    last_day = meteo_day.max()
    st.caption(
        f"Aujourd'hui {fr.long_day(today)} · données jusqu'au {fr.long_day(last_day)} · "
        f"France et {REGION_BY_CODE[region_code].name}"
    )
    if last_day.date() < today - dt.timedelta(days=1):
        st.warning(
            f"Les données s'arrêtent le {fr.day(last_day)} : la consommation d'hier n'est pas "
            "encore ingérée (voir la fraîcheur des sources).",
            icon=":material/schedule:",
        )
    freshness = source_freshness()
    runs_placeholder = st.container()
    st.subheader("Consommation et prévisions")
    _forecast_section(meteo, region_code, today)
    anomaly_count = _anomaly_section(meteo, last_day)
    _freshness_section(freshness)
    last_run = _runs_section()
    with runs_placeholder:
        _headline(freshness, anomaly_count, last_run)


def _headline(
    freshness: list[Freshness], anomaly_count: int | None, last_run: dict[str, Any] | None
) -> None:
    late = [r for r in freshness if r.is_late]
    first, second, third = st.columns(3)
    first.metric(
        f"Anomalies ({settings().params['home']['anomaly_days']} derniers jours)",
        fr.MISSING if anomaly_count is None else str(anomaly_count),
        border=True,
    )
    second.metric(
        "Sources en retard",
        f"{len(late)} / {len(freshness)}",
        delta=", ".join(r.label.split(" (")[0] for r in late[:2]) + (" …" if len(late) > 2 else "")
        or "toutes à jour",
        delta_color="red" if late else "green",
        delta_arrow="off",
        border=True,
    )
    if last_run is None:
        third.metric("Dernière exécution", fr.MISSING, border=True)
    else:
        third.metric(
            "Dernière exécution",
            STATUS_LABELS.get(str(last_run["status"]), str(last_run["status"])),
            delta=(
                f"{fr.duration(last_run['duration_s'])} · "
                f"{fr.number(1000 * float(last_run['emissions_kg'] or 0), 2)} g CO₂e · "
                f"{fr.timestamp(last_run['started_at'])}"
            ),
            delta_color="off",
            delta_arrow="off",
            border=True,
        )
