"""Prévisions: the served forecasts of each energy with their P10-P90 band and the basis of each
day, the last 60 days of actuals against what was forecast, and the accuracy on the test period
against the baselines (and against RTE's J-1 forecast nationally, when ``make eval`` measured it).

Tables: ``consumption_forecasts`` (the next days), ``forecast_backtest`` (the test period as it
was forecast, issued each day on the day before), ``model_metrics`` (test metrics).
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboard_ui.charts import AXIS_DAY, show
from dashboard_ui.components import load_filled_table, show_table
from dashboard_ui.formatting import ENERGY_LABELS, number, percent
from dashboard_ui.services import UnavailableError, load_table
from data_collection_kedro.domain.regions import NATIONAL_CODE, REGION_BY_CODE

BASIS = {"forecast": "prévision météo", "no_weather": "sans météo"}
BACKTEST_DAYS = 60
# model_metrics rows of the evaluation, in the order of the accuracy table
REFERENCES = (
    ("{model}", "Notre prévision (météo prévue)"),
    ("{model}_no_weather", "Notre modèle sans météo"),
    ("baseline_persistence_{scope}", "Persistance (dernier jour publié, J-2)"),
    ("baseline_seasonal_naive_weekly_{scope}", "Même jour de la semaine précédente"),
    ("baseline_seasonal_naive_yearly_{scope}", "Même jour 52 semaines avant"),
    ("baseline_hdd_linear_{scope}", "Régression sur les degrés-jours"),
    ("{model}_oracle_weather", "Borne haute : météo observée (inconnue la veille)"),
)
# written by scripts/evaluate_forecasting.py on the days RTE's J-1 forecast exists
RTE_MODEL = "rte_day_ahead_j1"
RTE_SPLIT = "test_rte_days"


def _scope_label(code: str) -> str:
    if code == NATIONAL_CODE:
        return "France métropolitaine"
    region = REGION_BY_CODE.get(code)
    return region.name if region else code


def _optional(name: str) -> pd.DataFrame | None:
    try:
        return load_table(name)
    except UnavailableError:
        return None


def _choose(forecasts: pd.DataFrame) -> tuple[str, str, pd.DataFrame] | None:
    energies = [e for e in ENERGY_LABELS if (forecasts["energy"] == e).any()]
    if not energies:
        st.info("La table consumption_forecasts ne contient aucune prévision.")
        return None
    left, right = st.columns(2)
    energy = left.radio(
        "Énergie",
        energies,
        format_func=lambda e: ENERGY_LABELS[e],
        horizontal=True,
        key="forecasts_energy",
    )
    rows = forecasts[forecasts["energy"] == energy]
    codes = sorted(
        rows["region_code"].unique(), key=lambda c: (c != NATIONAL_CODE, _scope_label(c))
    )
    code = right.selectbox("Périmètre", codes, format_func=_scope_label, key="forecasts_region")
    return energy, code, rows[rows["region_code"] == code].sort_values("day")


def _band_chart(frame: pd.DataFrame, unit: str, actual: bool) -> Any:
    """P10-P90 band and P50 line (plus the actuals when ``actual``), days on the x axis."""
    base = alt.Chart(frame).encode(x=alt.X("day:T", title="Jour", axis=AXIS_DAY))
    band = base.mark_area(opacity=0.25, color="#4c78a8").encode(
        y=alt.Y("p10:Q", title=unit, scale=alt.Scale(zero=False)),
        y2="p90:Q",
        tooltip=[
            alt.Tooltip("day:T", title="Jour", format="%d/%m/%Y"),
            alt.Tooltip("p10:Q", title="P10", format=",.0f"),
            alt.Tooltip("p50:Q", title="P50", format=",.0f"),
            alt.Tooltip("p90:Q", title="P90", format=",.0f"),
        ],
    )
    line = base.mark_line(color="#4c78a8").encode(y="p50:Q")
    layers: list[alt.Chart] = [band, line]
    if "base" in frame.columns:
        layers.append(
            base.mark_point(filled=True, size=60).encode(
                y="p50:Q",
                color=alt.Color(
                    "base:N",
                    title="Base de la prévision",
                    scale=alt.Scale(domain=list(BASIS.values()), range=["#4c78a8", "#e45756"]),
                ),
            )
        )
    if actual:
        layers.append(
            base.mark_line(color="#222222", strokeDash=[4, 2]).encode(
                y="actual:Q", tooltip=[alt.Tooltip("actual:Q", title="Réalisé", format=",.0f")]
            )
        )
    return alt.layer(*layers).properties(height=320)


def _next_days(rows: pd.DataFrame, unit: str) -> None:
    issue = pd.to_datetime(rows["issue_day"]).max()
    tomorrow = rows[rows["lead_days"] == 1]
    first = tomorrow.iloc[0] if len(tomorrow) else rows.iloc[0]
    left, middle, right = st.columns(3)
    left.metric(
        f"Prévision du {pd.Timestamp(first['day']):%d/%m/%Y} (P50, {unit})",
        number(first["consumption_mwh_predicted"]),
    )
    middle.metric(
        "Bande P10 – P90",
        f"{number(first['consumption_mwh_p10'])} – {number(first['consumption_mwh_p90'])}",
    )
    right.metric("Émise le", f"{issue:%d/%m/%Y}")
    frame = pd.DataFrame(
        {
            "day": pd.to_datetime(rows["day"]),
            "p10": rows["consumption_mwh_p10"].astype(float),
            "p50": rows["consumption_mwh_predicted"].astype(float),
            "p90": rows["consumption_mwh_p90"].astype(float),
            "base": rows["weather_basis"].map(BASIS).fillna(rows["weather_basis"]),
        }
    )
    show(_band_chart(frame, unit, actual=False))
    without = frame[frame["base"] == BASIS["no_weather"]]
    if len(without):
        st.caption(
            f"{len(without)} jour(s) sans prévision météo disponible (au-delà de l'horizon de la "
            "dernière prévision) : prévus par le modèle sans météo, bande plus large. Jamais "
            "de climatologie à la place d'une prévision."
        )
    table = pd.DataFrame(
        {
            "Jour": frame["day"].dt.strftime("%d/%m/%Y"),
            "Échéance (jours)": rows["lead_days"].astype(int).to_numpy(),
            f"P10 ({unit})": frame["p10"].map(number),
            f"P50 ({unit})": frame["p50"].map(number),
            f"P90 ({unit})": frame["p90"].map(number),
            "Base": frame["base"],
        }
    )
    show_table(table)


def _backtest(energy: str, code: str, model: str, unit: str) -> pd.DataFrame | None:
    backtest = _optional("forecast_backtest")
    if backtest is None or backtest.empty:
        st.info("Aucun backtest : lancez `kedro run --pipelines=forecasting`.")
        return None
    series = backtest[backtest["region_code"].astype(str) == code]
    rows = series[series["model"] == model]
    if rows.empty:
        st.info(f"Le backtest ne contient pas {_scope_label(code)}.")
        return None
    rows = rows.assign(day=pd.to_datetime(rows["day"])).sort_values("day")
    recent = rows[rows["day"] > rows["day"].max() - pd.Timedelta(days=BACKTEST_DAYS)]
    frame = pd.DataFrame(
        {
            "day": recent["day"],
            "p10": recent["p10_mwh"].astype(float),
            "p50": recent["predicted_mwh"].astype(float),
            "p90": recent["p90_mwh"].astype(float),
            "actual": recent["actual_mwh"].astype(float),
        }
    )
    error = (frame["p50"] - frame["actual"]).abs() / frame["actual"] * 100
    inside = (frame["actual"] >= frame["p10"]) & (frame["actual"] <= frame["p90"])
    left, right = st.columns(2)
    left.metric("Erreur moyenne (MAPE) sur ces jours", percent(error.mean()))
    right.metric("Jours dans la bande P10 – P90", percent(inside.mean() * 100))
    show(_band_chart(frame, unit, actual=True))
    st.caption(
        "Trait plein : prévision P50 émise la veille (avec les seules données publiées alors) ; "
        "pointillés : consommation réalisée ; zone : bande P10 – P90."
    )
    return series


def _accuracy(model: str, scope: str, backtest: pd.DataFrame | None, code: str) -> None:
    """Test metrics of the model, its variants and the baselines (all series, and the chosen
    region from its backtest rows ``backtest``)."""
    metrics = _optional("model_metrics")
    if metrics is None or metrics.empty:
        st.info("Aucune métrique : lancez `kedro run --pipelines=forecasting`.")
        return
    test = metrics[metrics["split"] == "test"].pivot_table(
        index="model", columns="metric", values="value"
    )
    per_region = None
    if backtest is not None and code != NATIONAL_CODE:
        error = (backtest["predicted_mwh"] - backtest["actual_mwh"]).abs() / backtest["actual_mwh"]
        per_region = (error * 100).groupby(backtest["model"]).mean()
    lines = []
    for template, label in REFERENCES:
        name = template.format(model=model, scope=scope)
        if name not in test.index:
            continue
        row = test.loc[name]
        line = {
            "Prévision": label,
            "MAPE toutes séries": percent(row.get("mape")),
            "Biais": percent(row.get("bias_pct")),
            "Couverture P10 – P90": percent(row.get("coverage_pct")),
        }
        if per_region is not None:
            line[f"MAPE {_scope_label(code)}"] = percent(per_region.get(name))
        lines.append(line)
    if not lines:
        st.info("Pas encore de métriques de test pour ce modèle.")
        return
    st.dataframe(pd.DataFrame(lines), hide_index=True)
    st.caption(
        "Période de test : la dernière année, prévue jour par jour la veille avec les données "
        "publiées alors et la météo prévue. La ligne « météo observée » est une borne haute : "
        "personne ne connaît la météo du lendemain."
    )
    rte = metrics[(metrics["model"] == RTE_MODEL) & (metrics["split"] == RTE_SPLIT)]
    ours = metrics[(metrics["model"] == model) & (metrics["split"] == RTE_SPLIT)]
    if code == NATIONAL_CODE and len(rte) and len(ours):
        rte_values = rte.set_index("metric")["value"]
        our_values = ours.set_index("metric")["value"]
        st.subheader("Face à la prévision J-1 de RTE")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Prévision": "Notre prévision",
                        "MAPE (réalisé consolidé)": percent(our_values.get("mape_vs_consolidated")),
                        "MAPE (réalisé temps réel)": percent(our_values.get("mape_vs_realtime")),
                    },
                    {
                        "Prévision": "RTE J-1",
                        "MAPE (réalisé consolidé)": percent(rte_values.get("mape_vs_consolidated")),
                        "MAPE (réalisé temps réel)": percent(rte_values.get("mape_vs_realtime")),
                    },
                ]
            ),
            hide_index=True,
        )
        st.caption(
            f"Sur les {int(rte_values.get('n', 0))} jours où les deux existent. RTE prévoit le "
            "niveau temps réel, inférieur de 1 à 3 % au consolidé depuis 2022 : chaque prévision "
            "est aussi comparée au réalisé qu'elle vise."
        )


def render() -> None:
    st.title("Prévisions")
    st.caption(
        "Prévision de la consommation journalière émise la veille (J-1, 9 h) avec les "
        "consommations publiées jusqu'à J-2 et la prévision météo connue alors. La bande P10 – "
        "P90 contient la consommation réalisée 8 jours sur 10 (calibrée sur une année de "
        "validation). Les pages « Prédiction météo » et « Prédiction consommation » sont des "
        "simulations (« et si ? »), pas la prévision."
    )
    forecasts = load_filled_table("consumption_forecasts")
    if forecasts is None:
        return
    if "energy" not in forecasts.columns:
        st.warning(
            "La table consumption_forecasts a l'ancien format : relancez "
            "`kedro run --pipelines=forecasting`."
        )
        return
    choice = _choose(forecasts)
    if choice is None:
        return
    energy, code, rows = choice
    model, unit = str(rows["model"].iloc[0]), str(rows["unit"].iloc[0])
    scope = f"{energy}_{rows['scope'].iloc[0]}"
    st.subheader(f"Prochains jours — {ENERGY_LABELS[energy]}, {_scope_label(code)}")
    _next_days(rows, unit)
    st.subheader(f"{BACKTEST_DAYS} derniers jours : réalisé et prévu la veille")
    backtest = _backtest(energy, code, model, unit)
    st.subheader("Précision sur la période de test")
    _accuracy(model, scope, backtest, code)
