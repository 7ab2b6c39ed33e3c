"""French number, date and unit formats, and the French names of the columns pages show.

Numbers use a comma for decimals and a narrow no-break space between thousands
(``12 345,6``); dates are ``31/12/2024`` or ``mardi 31 décembre 2024``. Charts get the same
conventions through :data:`VEGA_LOCALE` (see :mod:`dashboard_ui.charts`). Tables shown to users
take their headers from :data:`COLUMN_LABELS`: no raw column name reaches a page.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

#: the time zone the pages show times in
FRENCH_TIME = "Europe/Paris"

THOUSANDS = "\u202f"  # narrow no-break space, the French thousands separator
NBSP = "\u00a0"  # before units and %
MISSING = "—"

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

# Vega / Vega-Lite number and time locale (d3-format and d3-time-format definitions)
VEGA_LOCALE: dict[str, Any] = {
    "number": {
        "decimal": ",",
        "thousands": THOUSANDS,
        "grouping": [3],
        "currency": ["", f"{NBSP}€"],
        "percent": f"{NBSP}%",
    },
    "time": {
        "dateTime": "%A %e %B %Y à %X",
        "date": "%d/%m/%Y",
        "time": "%H:%M:%S",
        "periods": ["", ""],
        "days": ["dimanche", *WEEKDAYS[:-1]],
        "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
        "months": list(MONTHS),
        "shortMonths": [
            "janv.",
            "févr.",
            "mars",
            "avr.",
            "mai",
            "juin",
            "juil.",
            "août",
            "sept.",
            "oct.",
            "nov.",
            "déc.",
        ],
    },
}

ENERGY_LABELS = {"gas": "Gaz", "electricity": "Électricité"}
ENERGY_UNITS = {"gas": "MWh PCS 0°C/jour", "electricity": "MWh/jour"}
OF_ENERGY = {"gas": "de gaz", "electricity": "d'électricité"}

# French header (with unit) of every column a page shows; one place for all pages
COLUMN_LABELS: dict[str, str] = {
    "region_code": "Code région",
    "region": "Région",
    "day": "Jour",
    "energy": "Énergie",
    "gas_consumption_mwh": "Gaz (MWh/jour)",
    "electricity_consumption_mwh": "Électricité (MWh/jour)",
    "consumption_mwh": "Consommation (MWh/jour)",
    "actual_mwh": "Réel (MWh/jour)",
    "expected_mwh": "Attendu (MWh/jour)",
    "gap_mwh": "Écart (MWh/jour)",
    "gap_pct": "Écart (%)",
    "p10_mwh": "P10 (MWh/jour)",
    "p50_mwh": "Prévision P50 (MWh/jour)",
    "p90_mwh": "P90 (MWh/jour)",
    "weather_basis": "Météo utilisée",
    "temp_mean_c": "Température moyenne (°C)",
    "temp_min_c": "Température min. (°C)",
    "temp_max_c": "Température max. (°C)",
    "heating_degree_days": "DJU (°C·jour)",
    "anomaly_score": "Sévérité (score)",
    "severity_rank": "Rang",
    "is_anomaly": "Anomalie",
    "top_feature": "Indicateur qui l'explique",
    "explanation": "Indicateur qui l'explique",
    "cluster": "Groupe",
    "algorithm": "Algorithme",
    "fuel": "Carburant",
    "price_median_eur_l": "Prix médian (€/L)",
    "price_min_eur_l": "Prix min. (€/L)",
    "price_max_eur_l": "Prix max. (€/L)",
    "station_count": "Stations",
    "shortage_count": "Ruptures",
    "source": "Source",
    "reason": "Motif",
    "rows": "Lignes",
    "model": "Modèle",
    "metric": "Métrique",
    "value": "Valeur",
}

# the anomaly model's indicators (modeling.anomaly.available_features), in words
FEATURE_LABELS: dict[str, str] = {
    "temperature_residual_gas": "Gaz : écart à l'effet météo",
    "temperature_residual_electricity": "Électricité : écart à l'effet météo",
    "daily_total_ratio_gas": "Gaz : écart aux jours voisins",
    "daily_total_ratio_electricity": "Électricité : écart aux jours voisins",
    "hourly_profile_distance_gas": "Gaz : courbe horaire inhabituelle",
}
# what each indicator measures, in a sentence (the anomaly page's legend)
FEATURE_MEANINGS: dict[str, str] = {
    "temperature_residual_gas": (
        "consommation de gaz que la météo (degrés-jours du jour et de la veille), le week-end et "
        "les jours fériés n'expliquent pas, en écarts-types robustes"
    ),
    "temperature_residual_electricity": (
        "consommation d'électricité que la météo, le week-end et les jours fériés n'expliquent "
        "pas, en écarts-types robustes"
    ),
    "daily_total_ratio_gas": "consommation de gaz rapportée à la médiane des 29 jours autour",
    "daily_total_ratio_electricity": (
        "consommation d'électricité rapportée à la médiane des 29 jours autour"
    ),
    "hourly_profile_distance_gas": (
        "distance entre la répartition horaire du gaz ce jour-là et celle des jours voisins"
    ),
}


def sentence(text: str) -> str:
    """``text`` with its first letter in upper case (the rest untouched, unlike ``capitalize``)."""
    return text[:1].upper() + text[1:]


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(math.isnan(value))
    except (TypeError, ValueError):
        return False


def number(value: Any, decimals: int = 0, signed: bool = False) -> str:
    """``12 345,6``; ``—`` for a missing value; ``+`` on positive values when ``signed``."""
    if _is_missing(value):
        return MISSING
    text = f"{float(value):{'+' if signed else ''},.{decimals}f}"
    return text.replace(",", THOUSANDS).replace(".", ",").replace("-", "−")


def quantity(value: Any, unit: str, decimals: int = 0, signed: bool = False) -> str:
    """``12 345 MWh/jour`` (no-break space before the unit)."""
    text = number(value, decimals, signed)
    return text if text == MISSING else f"{text}{NBSP}{unit}"


def percent(value: Any, decimals: int = 1, signed: bool = False) -> str:
    """``4,2 %`` of a value already in percent."""
    return quantity(value, "%", decimals, signed)


def share(value: Any, decimals: int = 0) -> str:
    """``74 %`` of a fraction (0.74)."""
    return MISSING if _is_missing(value) else percent(100 * float(value), decimals)


def _as_date(value: Any) -> dt.date | None:
    if _is_missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def day(value: Any) -> str:
    """``31/12/2024``."""
    date = _as_date(value)
    return MISSING if date is None else date.strftime("%d/%m/%Y")


def long_day(value: Any) -> str:
    """``mardi 31 décembre 2024``."""
    date = _as_date(value)
    if date is None:
        return MISSING
    return f"{WEEKDAYS[date.weekday()]} {date.day} {MONTHS[date.month - 1]} {date.year}"


def timestamp(value: Any) -> str:
    """``31/12/2024 06:12``: a time-zone aware value in French time (stored times are UTC), a
    naive one as it is."""
    if _is_missing(value):
        return MISSING
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(FRENCH_TIME)
    return f"{stamp:%d/%m/%Y %H:%M}"


def duration(seconds: Any) -> str:
    """``3 min 36 s``, ``1 h 05 min``, ``12 s``."""
    if _is_missing(seconds):
        return MISSING
    total = int(round(float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}{NBSP}h{NBSP}{minutes:02d}{NBSP}min"
    if minutes:
        return f"{minutes}{NBSP}min{NBSP}{secs:02d}{NBSP}s"
    return f"{secs}{NBSP}s"


def days_count(days: int) -> str:
    return f"{days}{NBSP}jour{'s' if abs(days) > 1 else ''}"


# how a list of anomalous days (tables.ranked_anomalies) is shown, on every page
ANOMALY_FORMATS: dict[str, Any] = {
    "day": lambda v: day(v),
    "anomaly_score": lambda v: number(v, 2),
    "top_feature": lambda f: FEATURE_LABELS.get(str(f), str(f)),
    "energy": lambda e: ENERGY_LABELS.get(str(e), str(e)),
    "actual_mwh": lambda v: number(v),
    "expected_mwh": lambda v: number(v),
    "gap_mwh": lambda v: number(v, 0, signed=True),
    "gap_pct": lambda v: percent(v, 1, signed=True),
    "temp_mean_c": lambda v: number(v, 1),
}

GOOD_STATES = ("À jour", "Réussie", "Oui")
BAD_STATES = ("En retard", "En échec", "Jamais", "Illisible")


def status_style(value: Any) -> str:
    """CSS of a status cell (pandas Styler): green when all is well, red when not."""
    text = str(value)
    if text.startswith(GOOD_STATES):
        return "color: #1b7f3b; font-weight: 600"
    if text.startswith(BAD_STATES):
        return "color: #b3261e; font-weight: 600"
    return ""


def anomaly_table(ranked: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of a list of anomalous days, most severe first, as users read it (a
    ``severity_rank`` column is numbered 1, 2, ...). Rows of one energy show its unit in the
    consumption headers (gas: MWh PCS 0°C/jour)."""
    rows = ranked.assign(severity_rank=range(1, len(ranked) + 1))
    energies = set(ranked["energy"].dropna()) if "energy" in ranked.columns else set()
    labels = {}
    if len(energies) == 1:
        unit = ENERGY_UNITS.get(str(energies.pop()), ENERGY_UNITS["electricity"])
        labels = {
            column: f"{COLUMN_LABELS[column].split(' (')[0]} ({unit})"
            for column in ("actual_mwh", "expected_mwh", "gap_mwh")
        }
    return display_table(rows[columns], formats=ANOMALY_FORMATS, labels=labels)


def display_table(
    frame: pd.DataFrame,
    formats: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``frame`` as users read it: columns formatted (``{column: function}``) and French headers.

    Columns without a format keep their values; headers come from ``labels``, then
    :data:`COLUMN_LABELS`. A column without a French name is an error (no raw name on a page).
    """
    shown = frame.copy()
    for column, fmt in (formats or {}).items():
        if column in shown.columns:
            shown[column] = [fmt(v) for v in shown[column]]
    names = {**COLUMN_LABELS, **(labels or {})}
    unnamed = [c for c in shown.columns if c not in names]
    if unnamed:
        raise KeyError(f"no French label for column(s) {unnamed}: add them to COLUMN_LABELS")
    return shown.rename(columns=names)
