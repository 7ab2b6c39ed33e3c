"""Widgets and result blocks shared by the pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from dashboard_ui import formatting as fr
from dashboard_ui.features import MissingFeatureError, first_value
from dashboard_ui.services import (
    UnavailableError,
    champion,
    load_table,
    settings,
    tracked_prediction,
)
from data_collection_kedro.domain.regions import REGION_BY_CODE, REGIONS

LAST_PREDICTION_KEY = "last_prediction"
# the user's region, kept across pages and in the URL (?region=Bretagne: the shown name)
CHOSEN_REGION_KEY = "region"


def region_select(label: str = "Région", key: str | None = None, default_code: str = "11") -> str:
    """A region picker returning the INSEE code."""
    codes = [r.code for r in REGIONS]
    return st.selectbox(
        label,
        codes,
        index=codes.index(default_code),
        format_func=lambda code: f"{REGION_BY_CODE[code].name} ({code})",
        key=key,
    )


def chosen_region(label: str = "Votre région", codes: list[str] | None = None) -> str:
    """The user's region (INSEE code), one choice for the whole session: every page that asks
    for "your region" shows the same one, and the URL carries its name
    (``?region=Bretagne``), so a link opens the page on that region."""
    options = codes or [r.code for r in REGIONS]
    return st.selectbox(
        label,
        options,
        index=options.index("11") if "11" in options else 0,
        format_func=lambda code: REGION_BY_CODE[code].name if code in REGION_BY_CODE else code,
        key=CHOSEN_REGION_KEY,
        persist_state="session",
        bind="query-params",
    )


def period_input(
    first: dt.date, last: dt.date, default_days: int, key: str, label: str = "Période"
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """A date range within ``[first, last]``, by default the last ``default_days`` days; while
    the user has picked one end only, the whole range."""
    period = st.date_input(
        label,
        value=(max(first, last - dt.timedelta(days=default_days - 1)), last),
        min_value=first,
        max_value=last,
        format="DD/MM/YYYY",
        key=key,
    )
    start, end = (period[0], period[-1]) if isinstance(period, tuple) and period else (first, last)
    return pd.Timestamp(start), pd.Timestamp(end)


def date_input(label: str, default: dt.date, key: str | None = None) -> dt.date:
    value = st.date_input(label, value=default, format="DD/MM/YYYY", key=key)
    return value if isinstance(value, dt.date) else default


def region_and_day(key_prefix: str, default_day: dt.date | None = None) -> tuple[str, dt.date]:
    """The region picker and the date field of a prediction form (default: ``default_day``,
    else today)."""
    region_code = region_select(key=f"{key_prefix}_region")
    day = date_input("Date", default_day or dt.date.today(), key=f"{key_prefix}_day")
    return region_code, day


def show_unavailable(error: UnavailableError) -> None:
    st.warning(str(error), icon="⚠️")


def champion_inputs(model_key: str) -> set[str] | None:
    """The input columns of a champion's MLflow signature (what its form asks for), or None
    after telling why the champion is unavailable."""
    try:
        return {column.name for column in champion(model_key).input_columns}
    except UnavailableError as exc:
        show_unavailable(exc)
        return None


def load_filled_table(name: str) -> pd.DataFrame | None:
    """The table ``name``, or None after telling why it cannot be shown (unavailable or empty)."""
    try:
        table = load_table(name)
    except UnavailableError as exc:
        show_unavailable(exc)
        return None
    if table.empty:
        st.info(f"La table {name} est vide.")
        return None
    return table


def predict_one(
    page: str,
    model_key: str,
    build_features: Callable[[], Mapping[str, Any]],
    user_inputs: Sequence[str] = (),
) -> float | None:
    """One prediction of a champion, logged to ``model_monitoring``; errors shown as messages."""
    try:
        with tracked_prediction(page, model_key) as (model, handle):
            frame = model.frame(build_features())
            value = first_value(model.model.predict(frame))
            handle.n_predictions = 1
    except UnavailableError as exc:
        show_unavailable(exc)
        return None
    except (MissingFeatureError, ValueError) as exc:
        st.error(f"Entrée invalide : {exc}")
        return None
    except Exception as exc:
        st.error(f"La prédiction a échoué ({type(exc).__name__}) : {exc}")
        return None
    st.session_state[LAST_PREDICTION_KEY] = {
        "page": page,
        "model_name": model.name,
        "model_version": model.version,
        "prediction_value": value,
    }
    unused = [name for name in user_inputs if name not in frame.columns]
    if unused:
        st.caption(f"Le modèle champion (v{model.version}) n'utilise pas : {', '.join(unused)}.")
    with st.expander("Entrées transmises au modèle"):
        st.dataframe(frame, hide_index=True)
    return value


def show_predicted_consumption(value: float | None) -> None:
    """A predicted daily consumption (nothing when the prediction failed: already explained)."""
    if value is not None:
        st.metric("Consommation prédite", fr.quantity(value, "MWh/jour", 1))


def show_table(frame: pd.DataFrame, **kwargs: Any) -> None:
    """A dataframe capped at ``limits.table_max_rows`` rows (with a note when cut)."""
    limit = int(settings().limit("table_max_rows"))
    if len(frame) > limit:
        st.caption(f"{len(frame)} lignes : affichage des {limit} premières.")
    st.dataframe(frame.head(limit), hide_index=True, **kwargs)
