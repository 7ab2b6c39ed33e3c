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
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.domain.regions import REGION_BY_CODE, school_zone_of
from data_collection_kedro.domain.weather import HISTORIQUE_MEASURES
from data_collection_kedro.modeling.features import WEATHER_EWM_ALPHA

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


@lru_cache(maxsize=32)
def _public_holidays(year: int) -> dict[dt.date, str]:
    import holidays

    return dict(holidays.France(years=year, language="fr"))


@lru_cache(maxsize=1)
def _school_calendar() -> Any:
    from vacances_scolaires_france import SchoolHolidayDates

    return SchoolHolidayDates()


def public_holiday_name(day: dt.date) -> str | None:
    """The French public holiday on ``day`` (metropole), or None."""
    return _public_holidays(day.year).get(day)


def is_school_holiday(day: dt.date, region_code: str) -> bool:
    """Whether ``day`` is a school holiday in the region's zone, from the library the ETL and the
    forecasting inference use; zones it does not cover (Corse) and years it does not publish
    count as ``False``, as in the forecasting pipeline."""
    zone = school_zone_of(region_code)
    if zone not in {"A", "B", "C"}:
        return False
    try:
        return bool(_school_calendar().is_holiday_for_zone(day, zone))
    except Exception:  # UnsupportedYearException: no published calendar for that year
        return False


def day_length_hours(day: dt.date, latitude_deg: float = FRANCE_LATITUDE_DEG) -> float:
    """Astronomical day length (sunrise to sunset) in hours."""
    declination = math.radians(23.44) * math.sin(
        2 * math.pi * (284 + day.timetuple().tm_yday) / 365
    )
    cos_hour = -math.tan(math.radians(latitude_deg)) * math.tan(declination)
    cos_hour = min(1.0, max(-1.0, cos_hour))
    return 24.0 * math.acos(cos_hour) / math.pi


def calendar_features(day: dt.date, region_code: str) -> dict[str, Any]:
    """The calendar columns of ``consommation_mouvements`` for one region and day."""
    holiday_name = public_holiday_name(day)
    return {
        "day": pd.Timestamp(day),
        "region_code": region_code,
        "region": REGION_BY_CODE[region_code].name,
        "weekday": day.weekday(),
        "is_weekend": day.weekday() >= 5,
        "month": day.month,
        "day_of_year": day.timetuple().tm_yday,
        "year": day.year,
        "is_public_holiday": holiday_name is not None,
        "public_holiday_name": holiday_name,
        "is_school_holiday": is_school_holiday(day, region_code),
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
    heating_base_c: float,
    previous_temp_mean_c: float | None = None,
) -> dict[str, Any]:
    """The weather columns of ``meteo_consommation`` (and the smoothed ``temp_ewm_c`` /
    ``hdd_ewm`` of the forecasting features) from the page's weather fields.

    ``previous_temp_mean_c`` is the mean temperature of the days before (their smoothed value);
    None means they had the day's weather (steady state: the smoothed values equal the day's).
    """
    if temp_min_c > temp_max_c:
        raise ValueError(f"TMin ({temp_min_c} °C) est supérieure à TMax ({temp_max_c} °C)")
    temp_mean_c = (temp_max_c + temp_min_c) / 2.0
    previous = temp_mean_c if previous_temp_mean_c is None else float(previous_temp_mean_c)
    hdd = max(0.0, heating_base_c - temp_mean_c)
    previous_hdd = max(0.0, heating_base_c - previous)
    alpha = WEATHER_EWM_ALPHA
    return {
        "temp_ewm_c": alpha * temp_mean_c + (1 - alpha) * previous,
        "hdd_ewm": alpha * hdd + (1 - alpha) * previous_hdd,
        "temp_max_c": temp_max_c,
        "temp_min_c": temp_min_c,
        "temp_mean_c": temp_mean_c,
        "heating_degree_days": hdd,
        "wind_kmh": wind_kmh,
        "humidity_pct": humidity_pct,
        "visibility_km": visibility_km,
        "cloud_cover_pct": cloud_cover_pct,
        "day_duration_h": round(day_length_hours(day), 3),
    }


def first_value(predictions: Any) -> float:
    """The single prediction of a one-row call, whatever container the model returns."""
    values = np.asarray(
        predictions.iloc[:, 0] if isinstance(predictions, pd.DataFrame) else predictions
    )
    return float(values.reshape(-1)[0])


def trailing_level(
    history: pd.DataFrame,
    region_code: str,
    day: dt.date,
    target: str,
    window_days: int = 365,
    min_periods: int = 28,
) -> float:
    """``level_mwh``: the region's mean daily ``target`` over the ``window_days`` before ``day``.

    Same definition as the forecasting features (past-only trailing mean). For a day after the
    last observed one, the window ends at the last observed day. Raises ``ValueError`` when the
    index has fewer than ``min_periods`` values in the window.
    """
    rows = history.loc[history["region_code"].astype(str) == region_code, ["day", target]]
    days = pd.to_datetime(rows["day"]).dt.tz_localize(None).dt.normalize()
    values = pd.to_numeric(rows[target], errors="coerce")
    observed = days[values.notna()]
    if observed.empty:
        raise ValueError(f"aucune consommation ({target}) connue pour la région {region_code}")
    end = min(pd.Timestamp(day), observed.max() + pd.Timedelta(days=1))
    window = values[(days >= end - pd.Timedelta(days=window_days)) & (days < end)].dropna()
    if len(window) < min_periods:
        raise ValueError(
            f"historique insuffisant pour la région {region_code} avant le {day:%d/%m/%Y} : "
            f"{len(window)} jour(s) de {target}, au moins {min_periods} nécessaires"
        )
    return float(window.mean())
