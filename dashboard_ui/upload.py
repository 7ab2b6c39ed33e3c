"""Validation of an uploaded consumption CSV (size, encoding, header, values).

Errors name the file, the line (header = line 1), the column and what was expected, so the
user can fix the file; nothing here raises anything but :class:`UploadError`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard_ui.features import calendar_features
from data_collection_kedro.regions import REGION_BY_CODE, region_code_for

KEY_COLUMNS = ("region_code", "day")
# columns derived from region_code and day when the file does not have them
CALENDAR_COLUMNS = (
    "region",
    "weekday",
    "is_weekend",
    "month",
    "day_of_year",
    "year",
    "is_public_holiday",
    "is_school_holiday",
)
BOOLEAN_TEXT = {"true": 1.0, "false": 0.0, "vrai": 1.0, "faux": 0.0, "1": 1.0, "0": 0.0}


class UploadError(ValueError):
    """The uploaded file cannot be scored; the message says why and what is expected."""


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    max_rows: int
    max_error_lines: int = 10


def _decode(name: str, data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UploadError(f"{name} : encodage illisible (UTF-8 ou Windows-1252 attendu)")


def _lines(mask: pd.Series, frame: pd.DataFrame, column: str, limit: int) -> str:
    bad = frame.loc[mask, column]
    shown = ", ".join(f"ligne {i + 2} ({value!r})" for i, value in bad.head(limit).items())
    more = f" et {len(bad) - limit} autre(s)" if len(bad) > limit else ""
    return shown + more


def read_consumption_csv(
    name: str, data: bytes, feature_columns: Sequence[str], limits: UploadLimits
) -> pd.DataFrame:
    """The uploaded rows with ``region_code``, ``day`` and the model's feature columns.

    ``feature_columns`` are the columns the anomaly model reads; calendar columns missing from
    the file are derived from ``region_code``/``region`` and ``day``.
    """
    size_mb, limit_mb = len(data) / 2**20, limits.max_bytes / 2**20
    if len(data) > limits.max_bytes:
        raise UploadError(
            f"{name} : fichier trop volumineux ({size_mb:.1f} Mo) ; la limite est {limit_mb:.1f} Mo."
        )
    if not data.strip():
        raise UploadError(f"{name} : fichier vide.")
    text = _decode(name, data)
    header = text.splitlines()[0]
    separator = ";" if header.count(";") > header.count(",") else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise UploadError(f"{name} : CSV mal formé ({exc}).") from exc
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    if len(frame) == 0:
        raise UploadError(f"{name} : aucune ligne de données après l'en-tête.")
    if len(frame) > limits.max_rows:
        raise UploadError(
            f"{name} : {len(frame)} lignes ; au plus {limits.max_rows} lignes acceptées."
        )

    if "region_code" not in frame.columns and "region" in frame.columns:
        frame["region_code"] = frame["region"].map(
            lambda name: region_code_for(name) if isinstance(name, str) else None
        )
    numeric = [c for c in feature_columns if c not in (*KEY_COLUMNS, *CALENDAR_COLUMNS)]
    required = [*KEY_COLUMNS, *numeric]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise UploadError(
            f"{name} : colonne(s) manquante(s) {missing}. En-tête attendu (séparateur ; ou ,) : "
            f"{';'.join(required)} (region_code peut être remplacé par region)."
        )

    problems: list[str] = []
    limit = limits.max_error_lines
    frame["region_code"] = frame["region_code"].str.strip().str.zfill(2)
    bad_region = ~frame["region_code"].isin(list(REGION_BY_CODE))
    if bad_region.any():
        problems.append(
            f"region_code inconnu (code INSEE attendu) : {_lines(bad_region, frame, 'region_code', limit)}"
        )
    days = pd.to_datetime(frame["day"].str.strip(), errors="coerce", format="mixed", dayfirst=False)
    if days.isna().any():
        problems.append(
            f"day invalide (AAAA-MM-JJ attendu) : {_lines(days.isna(), frame, 'day', limit)}"
        )
    for column in numeric:
        text_values = frame[column].str.strip().str.replace(",", ".", regex=False)
        lowered = text_values.str.lower()
        values = pd.to_numeric(text_values, errors="coerce").astype("float64")
        values = values.fillna(lowered.map(BOOLEAN_TEXT).astype("float64"))
        bad = values.isna()
        if bad.any():
            problems.append(f"{column} non numérique : {_lines(bad, frame, column, limit)}")
        frame[column] = values
    if problems:
        raise UploadError(f"{name} : " + " ; ".join(problems))

    frame["day"] = (
        days.dt.tz_localize(None).dt.normalize() if days.dt.tz is not None else days.dt.normalize()
    )
    derived = [c for c in CALENDAR_COLUMNS if c not in frame.columns]
    if derived:
        calendar = pd.DataFrame(
            [
                calendar_features(day.date(), code)
                for day, code in zip(frame["day"], frame["region_code"], strict=True)
            ],
            index=frame.index,
        )
        for column in derived:
            frame[column] = calendar[column]
    return frame


def template_csv(feature_columns: Sequence[str]) -> str:
    """An example header for the upload (``;``-separated)."""
    numeric = [c for c in feature_columns if c not in (*KEY_COLUMNS, *CALENDAR_COLUMNS)]
    return ";".join([*KEY_COLUMNS, *numeric]) + "\n"
