"""Détection d'anomalies: score an uploaded consumption CSV, browse the stored anomalies."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from dashboard_ui.components import show_table, show_unavailable
from dashboard_ui.services import (
    UnavailableError,
    champion,
    load_table,
    settings,
    tracked_prediction,
)
from dashboard_ui.upload import UploadError, UploadLimits, read_consumption_csv, template_csv
from data_collection_kedro.regions import REGION_BY_CODE

PAGE = "Détection d'anomalies"
MODEL_KEY = "anomaly"
UPLOAD_KEY = "anomaly_upload"


def anomaly_labels(predictions: object) -> pd.DataFrame:
    """``anomaly_score`` / ``is_anomaly`` from what the model's ``predict`` returns.

    Accepts a frame with those columns, scikit-learn's ``-1`` (anomaly) / ``1`` labels, booleans,
    or decision scores (negative = anomaly, IsolationForest's convention).
    """
    if isinstance(predictions, pd.DataFrame):
        out = pd.DataFrame(index=predictions.index)
        if "anomaly_score" in predictions.columns:
            out["anomaly_score"] = pd.to_numeric(predictions["anomaly_score"], errors="coerce")
        if "is_anomaly" in predictions.columns:
            out["is_anomaly"] = predictions["is_anomaly"].astype(bool)
            if "anomaly_score" not in out.columns:
                out["anomaly_score"] = np.nan
            return out
        if "anomaly_score" in out.columns:
            out["is_anomaly"] = out["anomaly_score"] < 0
            return out
        predictions = predictions.iloc[:, 0]
    values = np.asarray(predictions).reshape(-1)
    if values.dtype == bool:
        return pd.DataFrame({"anomaly_score": np.nan, "is_anomaly": values})
    numeric = values.astype(float)
    if set(np.unique(numeric)) <= {-1.0, 1.0}:
        return pd.DataFrame({"anomaly_score": np.nan, "is_anomaly": numeric == -1.0})
    return pd.DataFrame({"anomaly_score": numeric, "is_anomaly": numeric < 0})


def consumption_column(frame: pd.DataFrame) -> str | None:
    for column in ("gas_consumption_mwh", "electricity_consumption_mwh", "consumption_mwh"):
        if column in frame.columns:
            return column
    return None


def anomaly_chart(frame: pd.DataFrame, value_column: str, title: str) -> alt.LayerChart:
    base = alt.Chart(frame).encode(x=alt.X("day:T", title="Jour"))
    line = base.mark_line(opacity=0.6).encode(
        y=alt.Y(f"{value_column}:Q", title=value_column),
        color=alt.Color("region:N", title="Région"),
    )
    points = (
        base.transform_filter(alt.datum.is_anomaly)
        .mark_point(color="red", size=80, filled=True)
        .encode(y=f"{value_column}:Q", tooltip=["region:N", "day:T", f"{value_column}:Q"])
    )
    return (line + points).properties(title=title, height=320)


def _score_upload() -> None:
    try:
        model = champion(MODEL_KEY)
    except UnavailableError as exc:
        show_unavailable(exc)
        return
    columns = [c.name for c in model.input_columns]
    limits = UploadLimits(
        max_bytes=int(float(settings().limit("max_upload_mb")) * 2**20),
        max_rows=int(settings().limit("max_upload_rows")),
        max_error_lines=int(settings().limit("max_error_lines")),
    )
    st.caption(
        f"CSV `;` ou `,` avec l'en-tête : `{template_csv(columns).strip()}` "
        f"— {limits.max_bytes / 2**20:.0f} Mo et {limits.max_rows} lignes au plus. "
        "Le calendrier (jours fériés, vacances, jour de semaine) est déduit de region_code et day."
    )
    st.download_button(
        "Modèle de fichier CSV", template_csv(columns), "anomalies_modele.csv", "text/csv"
    )
    uploaded = st.file_uploader(
        "Fichier de consommation (CSV)",
        type=["csv"],
        key=UPLOAD_KEY,
        max_upload_size=max(1, int(limits.max_bytes / 2**20)),
    )
    if uploaded is None:
        return
    try:
        frame = read_consumption_csv(uploaded.name, uploaded.getvalue(), columns, limits)
    except UploadError as exc:
        st.error(str(exc))
        return
    try:
        with tracked_prediction(PAGE, MODEL_KEY) as (tracked_model, handle):
            labels = anomaly_labels(tracked_model.model.predict(tracked_model.frame(frame)))
            handle.n_predictions = len(labels)
    except UnavailableError as exc:
        show_unavailable(exc)
        return
    except Exception as exc:
        st.error(f"Le scoring a échoué ({type(exc).__name__}) : {exc}")
        return
    scored = frame.assign(
        anomaly_score=labels["anomaly_score"].to_numpy(), is_anomaly=labels["is_anomaly"].to_numpy()
    )
    anomalies = scored.loc[scored["is_anomaly"]]
    st.success(f"{len(anomalies)} anomalie(s) détectée(s) sur {len(scored)} jour(s).")
    keep = [
        c
        for c in ("region_code", "region", "day", consumption_column(scored), "anomaly_score")
        if c
    ]
    show_table(anomalies[keep])
    value_column = consumption_column(scored)
    if value_column is not None:
        st.altair_chart(anomaly_chart(scored, value_column, "Consommation et anomalies"))


def _browse_stored() -> None:
    try:
        stored = load_table("consumption_anomalies")
    except UnavailableError as exc:
        show_unavailable(exc)
        return
    if stored.empty:
        st.info("La table consumption_anomalies est vide.")
        return
    stored = stored.assign(
        day=pd.to_datetime(stored["day"]), is_anomaly=stored["is_anomaly"].astype(bool)
    )
    codes = sorted(stored["region_code"].astype(str).unique())
    regions = st.multiselect(
        "Régions",
        codes,
        default=codes,
        format_func=lambda code: REGION_BY_CODE[code].name if code in REGION_BY_CODE else code,
        key="stored_regions",
    )
    first, last = stored["day"].min().date(), stored["day"].max().date()
    period = st.date_input(
        "Période",
        value=(first, last),
        min_value=first,
        max_value=last,
        format="DD/MM/YYYY",
        key="stored_period",
    )
    start, end = (period[0], period[-1]) if isinstance(period, tuple) and period else (first, last)
    only_anomalies = st.checkbox("Anomalies seulement", value=True, key="stored_only")
    mask = stored["region_code"].astype(str).isin(regions) & stored["day"].between(
        pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(hours=23)
    )
    selection = stored.loc[mask]
    st.metric("Anomalies sur la période", int(selection["is_anomaly"].sum()))
    show_table(selection.loc[selection["is_anomaly"]] if only_anomalies else selection)
    if not selection.empty:
        chart = (
            alt.Chart(selection)
            .mark_circle()
            .encode(
                x=alt.X("day:T", title="Jour"),
                y=alt.Y("anomaly_score:Q", title="Score d'anomalie"),
                color=alt.Color("is_anomaly:N", title="Anomalie"),
                tooltip=["region:N", "day:T", "anomaly_score:Q", "top_feature:N"],
            )
            .properties(height=300)
        )
        st.altair_chart(chart)


def render() -> None:
    st.title("Détection d'anomalies")
    upload_tab, stored_tab = st.tabs(["Analyser un fichier", "Anomalies enregistrées"])
    with upload_tab:
        _score_upload()
    with stored_tab:
        _browse_stored()


__all__ = ["anomaly_labels", "render"]
