"""Détection d'anomalies: score an uploaded consumption CSV, browse the stored anomalies."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from dashboard_ui.components import load_filled_table, show_table, show_unavailable
from dashboard_ui.services import (
    UnavailableError,
    settings,
    tracked_prediction,
)
from dashboard_ui.upload import (
    UploadError,
    UploadLimits,
    check_size,
    read_consumption_csv,
    template_csv,
)
from data_collection_kedro.domain.regions import REGION_BY_CODE
from data_collection_kedro.modeling.anomaly import ENERGY_COLUMNS, anomaly_features, top_feature

PAGE = "Détection d'anomalies"
MODEL_KEY = "anomaly"
UPLOAD_KEY = "anomaly_upload"


def anomaly_scores(model: object, data: pd.DataFrame) -> np.ndarray:
    """``anomaly_score`` as the anomaly pipeline writes it (``-score_samples``, higher = more
    abnormal) when the registered model exposes its estimator; NaN otherwise."""
    raw = getattr(model, "get_raw_model", lambda: None)()
    if raw is None or not hasattr(raw, "score_samples"):
        return np.full(len(data), np.nan)
    return -np.asarray(raw.score_samples(data), dtype=float)


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
    config = settings()
    params = config.section("anomaly_detection")
    limits = UploadLimits(
        max_bytes=int(float(config.limit("max_upload_mb")) * 2**20),
        max_rows=int(config.limit("max_upload_rows")),
        min_days_per_region=int(config.limit("min_upload_days_per_region")),
        max_error_lines=int(config.limit("max_error_lines")),
    )
    st.caption(
        f"CSV `;` ou `,`, une ligne par région et par jour, en-tête par exemple "
        f"`{template_csv().strip()}` (region peut remplacer region_code ; heating_degree_days ou "
        f"temp_min_c + temp_max_c peuvent remplacer temp_mean_c ; gas_h00_share … gas_h23_share "
        f"facultatifs). Au plus {limits.max_bytes / 2**20:.0f} Mo et {limits.max_rows} lignes, "
        f"au moins {limits.min_days_per_region} jours par région."
    )
    st.download_button("Modèle de fichier CSV", template_csv(), "anomalies_modele.csv", "text/csv")
    uploaded = st.file_uploader(
        "Fichier de consommation (CSV)",
        type=["csv"],
        key=UPLOAD_KEY,
        max_upload_size=max(1, int(limits.max_bytes / 2**20)),
    )
    if uploaded is None:
        return
    try:
        check_size(uploaded.name, uploaded.size, limits)  # before reading it
        frame = read_consumption_csv(uploaded.name, uploaded.getvalue(), limits)
        features = anomaly_features(
            frame.drop(columns="is_public_holiday"),
            frame[["region_code", "day", "is_public_holiday"]],
            energies=list(params.get("energies", ["gas", "electricity"])),
            window_days=int(params.get("window_days", 29)),
        )
    except UploadError as exc:
        st.error(str(exc))
        return
    except Exception as exc:  # the features of an unexpected file: a message, never a traceback
        st.error(
            f"{uploaded.name} : les indicateurs d'anomalie n'ont pas pu être calculés "
            f"({type(exc).__name__}: {exc})."
        )
        return
    try:
        with tracked_prediction(PAGE, MODEL_KEY) as (model, handle):
            data = model.frame(features)
            flags = np.asarray(model.model.predict(data)).reshape(-1) == -1
            scores = anomaly_scores(model.model, data)
            handle.n_predictions = len(flags)
    except UnavailableError as exc:
        show_unavailable(exc)
        return
    except Exception as exc:
        st.error(f"Le scoring a échoué ({type(exc).__name__}) : {exc}")
        return
    columns = [c.name for c in model.input_columns]
    scored = features[["region_code", "region", "day"]].assign(
        anomaly_score=scores,
        is_anomaly=flags,
        top_feature=top_feature(features, columns).to_numpy() if columns else None,
    )
    scored = scored.merge(
        frame[["region_code", "day", *ENERGY_COLUMNS.values()]], on=["region_code", "day"]
    )
    anomalies = scored.loc[scored["is_anomaly"]]
    st.success(f"{len(anomalies)} anomalie(s) détectée(s) sur {len(scored)} jour(s).")
    show_table(anomalies)
    value_column = consumption_column(scored)
    if value_column is not None:
        st.altair_chart(anomaly_chart(scored, value_column, "Consommation et anomalies"))


def _browse_stored() -> None:
    stored = load_filled_table("consumption_anomalies")
    if stored is None:
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
