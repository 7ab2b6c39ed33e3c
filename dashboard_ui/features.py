"""Model inputs built from the page's fields, aligned on the champion's MLflow signature.

A page builds every feature it can derive from its inputs (weather, calendar, movements);
:func:`frame_for_signature` keeps the columns the registered model declares, in its order and
with its types, and names any declared column the page cannot provide.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.domain.contracts import DAY_FIELD_COLUMNS
from data_collection_kedro.domain.features import (
    add_weather_history,
    calendar_fields,
    heating_degree_days,
    library_holidays,
    mean_temperature,
)
from data_collection_kedro.domain.regions import REGION_BY_CODE
from data_collection_kedro.domain.weather import HISTORIQUE_MEASURES

# Latitude used for the astronomical day length (mainland France's centre).
FRANCE_LATITUDE_DEG = 46.6


class MissingFeatureError(ValueError):
    """The model expects columns this page cannot fill."""


@dataclass(frozen=True)
class InputColumn:
    name: str
    kind: str  # "double", "long", "integer", "float", "boolean", "string", "datetime", ...


def signature_columns(model: Any) -> list[InputColumn]:
    """The input columns of a pyfunc model's signature (empty when it has none)."""
    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return []
    columns = []
    for spec in schema.inputs:
        kind = getattr(getattr(spec, "type", None), "name", None) or str(spec.type)
        columns.append(InputColumn(spec.name, str(kind)))
    return columns


def _cast(values: pd.Series, kind: str) -> pd.Series:
    if kind in {"double", "float"}:
        return pd.to_numeric(values, errors="raise").astype(
            "float64" if kind == "double" else "float32"
        )
    if kind in {"long", "integer"}:
        return pd.to_numeric(values, errors="raise").astype("int64" if kind == "long" else "int32")
    if kind == "boolean":
        return values.astype(bool)
    if kind == "string":
        return values.astype(str).astype(object)
    if kind == "datetime":
        return pd.to_datetime(values)
    return values


def frame_for_signature(
    rows: pd.DataFrame | Mapping[str, Any], columns: Sequence[InputColumn]
) -> pd.DataFrame:
    """The model's input frame: its declared columns, in order, cast to the declared types."""
    frame = pd.DataFrame([dict(rows)]) if isinstance(rows, Mapping) else rows
    if not columns:
        return frame
    missing = [c.name for c in columns if c.name not in frame.columns]
    if missing:
        raise MissingFeatureError(
            "colonnes attendues par le modèle absentes : " + ", ".join(missing)
        )
    return pd.DataFrame({c.name: _cast(frame[c.name], c.kind) for c in columns}, index=frame.index)


def day_length_hours(day: dt.date, latitude_deg: float = FRANCE_LATITUDE_DEG) -> float:
    """Astronomical day length (sunrise to sunset) in hours."""
    declination = math.radians(23.44) * math.sin(
        2 * math.pi * (284 + day.timetuple().tm_yday) / 365
    )
    cos_hour = -math.tan(math.radians(latitude_deg)) * math.tan(declination)
    cos_hour = min(1.0, max(-1.0, cos_hour))
    return 24.0 * math.acos(cos_hour) / math.pi


def calendar_features(day: dt.date, region_code: str) -> dict[str, Any]:
    """The calendar columns of ``consommation_mouvements`` for one region and day
    (``domain.features.calendar_fields`` and ``library_holidays``, as forecast days get them)."""
    keys = pd.DataFrame({"region_code": [region_code], "day": [pd.Timestamp(day)]})
    fields = calendar_fields(keys["day"])
    holidays = library_holidays(keys).iloc[0]
    holiday_name = holidays["public_holiday_name"]
    return {
        "day": pd.Timestamp(day),
        "region_code": region_code,
        "region": REGION_BY_CODE[region_code].name,
        **{column: fields[column].iloc[0].item() for column in DAY_FIELD_COLUMNS},
        "is_public_holiday": bool(holidays["is_public_holiday"]),
        "public_holiday_name": None if pd.isna(holiday_name) else str(holiday_name),
        "is_school_holiday": bool(holidays["is_school_holiday"]),
    }


# The weather fields a user enters: the historique-meteo measures of the fusion, except the day
# length, which comes from the date.
WEATHER_INPUTS = tuple(m for m in HISTORIQUE_MEASURES if m != "day_duration_h")


def weather_features(
    *,
    temp_max_c: float,
    temp_min_c: float,
    wind_kmh: float,
    humidity_pct: float,
    visibility_km: float,
    cloud_cover_pct: float,
    day: dt.date,
    previous_temp_mean_c: float | None = None,
) -> dict[str, Any]:
    """The weather columns of ``meteo_consommation`` (and the smoothed ``temp_ewm_c`` /
    ``hdd_ewm`` of the forecasting features) from the page's weather fields.

    ``previous_temp_mean_c`` is the mean temperature of the days before (their smoothed value);
    None means they had the day's weather (steady state: the smoothed values equal the day's).
    The day before and the day go through ``domain.features.add_weather_history``, the rule of
    the training features.
    """
    if temp_min_c > temp_max_c:
        raise ValueError(f"TMin ({temp_min_c} °C) est supérieure à TMax ({temp_max_c} °C)")
    temp_mean_c = mean_temperature(temp_min_c, temp_max_c)
    previous = temp_mean_c if previous_temp_mean_c is None else float(previous_temp_mean_c)
    days = pd.Series([pd.Timestamp(day) - pd.Timedelta(days=1), pd.Timestamp(day)])
    temperatures = pd.Series([previous, temp_mean_c], dtype="float64")
    history = add_weather_history(
        pd.DataFrame(
            {
                "region_code": "",
                "day": days,
                "temp_mean_c": temperatures,
                "heating_degree_days": heating_degree_days(temperatures),
            }
        )
    ).iloc[-1]
    return {
        "temp_ewm_c": float(history["temp_ewm_c"]),
        "hdd_ewm": float(history["hdd_ewm"]),
        "temp_max_c": temp_max_c,
        "temp_min_c": temp_min_c,
        "temp_mean_c": temp_mean_c,
        "heating_degree_days": float(history["heating_degree_days"]),
        "wind_kmh": wind_kmh,
        "humidity_pct": humidity_pct,
        "visibility_km": visibility_km,
        "cloud_cover_pct": cloud_cover_pct,
        "day_duration_h": round(day_length_hours(day), 3),
    }


def weather_model_row(
    region_code: str,
    day: dt.date,
    weather: Mapping[str, float],
    previous_temp_mean_c: float | None,
    level_mwh: float,
) -> dict[str, Any]:
    """Every input the weather page can give a model: calendar, weather and level."""
    return {
        **calendar_features(day, region_code),
        **weather_features(day=day, previous_temp_mean_c=previous_temp_mean_c, **weather),
        "level_mwh": level_mwh,
    }


def movements_model_row(
    region_code: str,
    day: dt.date,
    temp_mean_c: float,
    strike_active: bool,
    strike_count: int,
    strike_rate_pct: float,
    level_mwh: float,
) -> dict[str, Any]:
    """Every input the movements page can give a model: calendar, strikes, temperature, level.
    A strike count or an active strike makes the day a strike day; otherwise no strike."""
    active = bool(strike_active or strike_count > 0)
    return {
        **calendar_features(day, region_code),
        "strike_active": active,
        "strike_count": int(strike_count) if active else 0,
        "strike_rate_pct": float(strike_rate_pct) if active else 0.0,
        "temp_mean_c": temp_mean_c,
        "heating_degree_days": heating_degree_days(float(temp_mean_c)),
        "level_mwh": level_mwh,
    }


def first_value(predictions: Any) -> float:
    """The single prediction of a one-row call, whatever container the model returns."""
    values = np.asarray(
        predictions.iloc[:, 0] if isinstance(predictions, pd.DataFrame) else predictions
    )
    return float(values.reshape(-1)[0])
