"""Détection d'anomalies: score an uploaded consumption CSV, browse the stored anomalies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard_ui import charts
from dashboard_ui import formatting as fr
from dashboard_ui.components import (
    chosen_region,
    load_filled_table,
    period_input,
    show_table,
    show_unavailable,
)
from dashboard_ui.services import (
    UnavailableError,
    load_table,
    optional_table,
    run_hint,
    settings,
    tracked_prediction,
)
from dashboard_ui.tables import anomaly_details, anomaly_metrics, ranked_anomalies
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
    _show_scored_file(scored.drop(columns=list(ENERGY_COLUMNS.values())), features, frame)


def _show_scored_file(scored: pd.DataFrame, features: pd.DataFrame, frame: pd.DataFrame) -> None:
    """The uploaded file's flagged days, most severe first, and each region's curve."""
    details = anomaly_details(scored, features, frame)
    ranked = ranked_anomalies(details)
    if not ranked.empty:
        show_table(
            fr.anomaly_table(
                ranked,
                [
                    "region",
                    "day",
                    "anomaly_score",
                    "top_feature",
                    "energy",
                    "actual_mwh",
                    "expected_mwh",
                    "gap_pct",
                ],
            )
        )
    regions = sorted(details["region_code"].unique())
    region_code = (
        st.selectbox(
            "Région du fichier",
            regions,
            format_func=lambda c: REGION_BY_CODE[c].name if c in REGION_BY_CODE else c,
            key="upload_region",
        )
        if len(regions) > 1
        else regions[0]
    )
    rows = details[details["region_code"] == region_code]
    for energy in ENERGY_COLUMNS:
        if not rows[f"actual_{energy}"].notna().any():
            continue
        flagged = rows[rows["is_anomaly"]]
        curve = rows[["day", f"actual_{energy}", f"expected_{energy}"]].set_axis(
            ["day", "actual", "expected"], axis=1
        )
        st.subheader(f"Consommation {fr.OF_ENERGY[energy]} du fichier")
        charts.show(
            charts.anomaly_curve_chart(
                curve.dropna(subset=["actual"]),
                flagged.assign(
                    actual=flagged[f"actual_{energy}"],
                    expected=flagged[f"expected_{energy}"],
                    gap_pct=flagged[f"gap_pct_{energy}"],
                    explanation=flagged["top_feature"].map(lambda f: fr.FEATURE_LABELS.get(f, f)),
                ),
                fr.ENERGY_UNITS[energy],
            ),
            key=f"upload_curve_{energy}",
        )


def _model_quality() -> None:
    """The anomaly model's precision and recall on the labelled sample, said plainly."""
    config = settings()
    metrics_table = optional_table("model_metrics")
    measured = (
        anomaly_metrics(metrics_table, str(config.params["anomaly_model_key"]))
        if metrics_table is not None
        else {}
    )
    if "precision" not in measured:
        st.info(
            "La précision du modèle n'a pas encore été mesurée : lancez "
            f"{run_hint('anomaly_detection')}."
        )
        return
    precision, recall = measured["precision"], measured["recall"]
    flagged, labelled = measured.get("flagged"), measured.get("labelled")
    hits = measured.get("true_positives")
    one_in = round(1 / precision) if precision > 0 else None
    first, second, third = st.columns(3)
    first.metric(
        "Précision mesurée",
        fr.share(precision),
        delta=f"{fr.number(hits)} vraies anomalies sur {fr.number(flagged)} jours signalés",
        delta_color="off",
        delta_arrow="off",
        border=True,
    )
    second.metric(
        "Rappel mesuré",
        fr.share(recall),
        delta=f"{fr.number(hits)} des {fr.number(labelled)} anomalies étiquetées retrouvées",
        delta_color="off",
        delta_arrow="off",
        border=True,
    )
    third.metric("F1", fr.number(measured.get("f1"), 2), border=True)
    st.caption(
        "Mesuré sur l'échantillon étiqueté (anomalies injectées dans les données de "
        f"démonstration). En clair : le modèle retrouve {fr.share(recall)} des anomalies, mais "
        + (
            f"seule environ 1 alerte sur {one_in} en est une vraie"
            if one_in
            else "aucune alerte n'est une vraie anomalie"
        )
        + " : chaque alerte est à vérifier avant d'agir."
    )


def _labelled_days(region_code: str) -> pd.DataFrame | None:
    """The sample's injected anomalies of a region (``day, kind``), when the labels exist."""
    try:
        labels = load_table("anomalies_ground_truth")
    except UnavailableError:
        return None
    rows = labels[labels["region_code"].astype(str) == region_code]
    return pd.DataFrame(
        {"day": pd.to_datetime(rows["date"]).dt.normalize(), "kind": rows["kind"].astype(str)}
    ).drop_duplicates("day")


def _browse_stored() -> None:
    stored = load_filled_table("consumption_anomalies")
    if stored is None:
        return
    _model_quality()
    try:
        meteo = load_table("meteo_consommation")
    except UnavailableError as exc:
        show_unavailable(exc)
        return
    stored = stored.assign(
        day=pd.to_datetime(stored["day"]).dt.normalize(),
        is_anomaly=stored["is_anomaly"].astype(bool),
        region_code=stored["region_code"].astype(str),
    )
    first, last = stored["day"].min().date(), stored["day"].max().date()
    flagged_scores = stored.loc[stored["is_anomaly"], "anomaly_score"].astype(float)
    region_col, energy_col, period_col, severity_col = st.columns([1.2, 0.8, 1.3, 1.2])
    with region_col:
        codes = sorted(stored["region_code"].unique())
        region_code = chosen_region("Région", codes)
    with energy_col:
        energy = st.selectbox(
            "Énergie",
            list(ENERGY_COLUMNS),
            format_func=lambda e: fr.ENERGY_LABELS[e],
            key="anomaly_energy",
        )
    with period_col:
        start, end = period_input(first, last, 365, "stored_period")
    with severity_col:
        low = float(flagged_scores.min()) if len(flagged_scores) else 0.0
        high = float(flagged_scores.max()) if len(flagged_scores) else 1.0
        min_score = st.slider(
            "Sévérité minimale (score)",
            min_value=round(low, 2),
            max_value=round(max(high, low + 0.01), 2),
            value=round(low, 2),
            step=0.01,
            key="anomaly_min_score",
            help="Le score du modèle : plus il est haut, plus le jour est isolé des autres.",
        )
    in_period = stored[stored["day"].between(start, end)]
    details = anomaly_details(in_period, optional_table("anomaly_features"), meteo)
    # a day counts as an anomaly of the energy its explaining indicator is about
    selected = details[
        details["is_anomaly"]
        & (details["anomaly_score"] >= min_score - 1e-9)
        & (details["explained_energy"] == energy)
    ]
    of_region = selected[selected["region_code"] == region_code]
    region_name = REGION_BY_CODE[region_code].name if region_code in REGION_BY_CODE else region_code
    left, right = st.columns(2)
    left.metric(f"Anomalies sur la période — {region_name}", len(of_region), border=True)
    right.metric("Anomalies sur la période — toutes régions", len(selected), border=True)

    unit = fr.ENERGY_UNITS[energy]
    curve_rows = details[details["region_code"] == region_code]
    curve = curve_rows[["day", f"actual_{energy}", f"expected_{energy}"]].set_axis(
        ["day", "actual", "expected"], axis=1
    )
    if curve["actual"].notna().any():
        marks = of_region.assign(
            actual=of_region[f"actual_{energy}"],
            expected=of_region[f"expected_{energy}"],
            gap_pct=of_region[f"gap_pct_{energy}"],
            explanation=of_region["top_feature"].map(lambda f: fr.FEATURE_LABELS.get(f, f)),
        )
        labelled = _labelled_days(region_code)
        if labelled is not None:
            labelled = labelled.merge(curve[["day", "actual"]], on="day").dropna()
        st.subheader(f"Consommation {fr.OF_ENERGY[energy]} — {region_name}")
        charts.show(
            charts.anomaly_curve_chart(curve.dropna(subset=["actual"]), marks, unit, labelled),
            key="anomaly_curve",
        )
    else:
        st.info(f"{region_name} : aucune consommation {fr.OF_ENERGY[energy]} sur la période.")

    st.subheader("Anomalies de la région, de la plus à la moins sévère")
    ranked = ranked_anomalies(of_region, energy)
    if ranked.empty:
        st.success("Aucune anomalie pour ces filtres.")
    else:
        show_table(
            fr.anomaly_table(
                ranked,
                [
                    "severity_rank",
                    "day",
                    "anomaly_score",
                    "top_feature",
                    "actual_mwh",
                    "expected_mwh",
                    "gap_pct",
                    "temp_mean_c",
                ],
            )
        )
    with st.expander("Que mesurent les indicateurs ?"):
        st.markdown(
            "\n".join(
                f"- **{fr.FEATURE_LABELS[name]}** : {meaning}."
                for name, meaning in fr.FEATURE_MEANINGS.items()
            )
            + "\n\nL'attendu est la médiane des 29 jours autour du jour, dans la même région : "
            "un jour signalé pour son écart à l'effet météo peut être proche de cette médiane "
            "(un jour froid consommant comme un jour doux, par exemple) ; la température du "
            "jour est donnée pour en juger."
        )
    st.subheader("Anomalies par région sur la période")
    counts = (
        selected.groupby(["region_code", "region"]).size().rename("count").reset_index()
        if len(selected)
        else pd.DataFrame(columns=["region_code", "region", "count"])
    )
    everywhere = pd.DataFrame({"region_code": sorted(details["region_code"].unique())}).merge(
        counts, on="region_code", how="left"
    )
    everywhere["count"] = everywhere["count"].fillna(0)
    charts.show(
        charts.count_map(
            everywhere[["region_code", "count"]],
            f"Anomalies {fr.OF_ENERGY[energy]} du {fr.day(start)} au {fr.day(end)}",
            "Anomalies",
            highlight=region_code,
        ),
        key="anomaly_map",
        stretch=False,
    )


def render() -> None:
    st.title("Détection d'anomalies")
    stored_tab, upload_tab = st.tabs(["Anomalies enregistrées", "Analyser un fichier"])
    with stored_tab:
        _browse_stored()
    with upload_tab:
        _score_upload()
