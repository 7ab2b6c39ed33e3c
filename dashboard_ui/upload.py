"""Validation of an uploaded daily consumption CSV (size, encoding, header, values, coverage).

The file holds ``meteo_consommation``-like rows (one per region and day): the anomaly page
turns them into the anomaly model's features with the anomaly pipeline's own functions.
Errors name the file, the line (header = line 1), the column and what was expected; nothing
here raises anything but :class:`UploadError`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pandas as pd

from data_collection_kedro.domain.contracts import GAS_HOUR_SHARE_COLUMNS, TEMPERATURE_COLUMNS
from data_collection_kedro.domain.features import (
    heating_degree_days,
    library_holidays,
    mean_temperature,
)
from data_collection_kedro.domain.regions import REGION_BY_CODE, region_code_for
from data_collection_kedro.modeling.anomaly import ENERGY_COLUMNS

TEMPLATE_COLUMNS = (
    "region_code",
    "day",
    "gas_consumption_mwh",
    "electricity_consumption_mwh",
    "temp_mean_c",
)
BOOLEAN_TEXT = {"true": 1.0, "false": 0.0, "vrai": 1.0, "faux": 0.0, "1": 1.0, "0": 0.0}


class UploadError(ValueError):
    """The uploaded file cannot be scored; the message says why and what is expected."""


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    max_rows: int
    min_days_per_region: int = 30
    max_error_lines: int = 10


def _decode(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1252", errors="replace")
    if "\x00" in text or "\ufffd" in text:
        raise UploadError(
            f"{name} : ce n'est pas un fichier texte (CSV UTF-8 ou Windows-1252 attendu)."
        )
    return text


def _lines(mask: pd.Series, frame: pd.DataFrame, column: str, limit: int) -> str:
    bad = frame.loc[mask, column]
    shown = ", ".join(f"ligne {i + 2} ({value!r})" for i, value in bad.head(limit).items())
    more = f" et {len(bad) - limit} autre(s)" if len(bad) > limit else ""
    return shown + more


def _numbers(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip().str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    return numbers.fillna(text.str.lower().map(BOOLEAN_TEXT).astype("float64"))


def check_size(name: str, size: int, limits: UploadLimits) -> None:
    """:class:`UploadError` when ``size`` bytes exceed the limit (checked before reading the
    file; the Streamlit server refuses bigger request bodies: ``server.maxUploadSize``)."""
    if size > limits.max_bytes:
        size_mb, limit_mb = size / 2**20, limits.max_bytes / 2**20
        raise UploadError(
            f"{name} : fichier trop volumineux ({size_mb:.1f} Mo) ; la limite est {limit_mb:.1f} Mo."
        )


def _parse(name: str, data: bytes, limits: UploadLimits) -> pd.DataFrame:
    check_size(name, len(data), limits)
    text = _decode(name, data)
    if not text.strip():  # empty, or nothing but a byte-order mark and blank lines
        raise UploadError(
            f"{name} : fichier vide (aucune ligne d'en-tête) ; en-tête attendu par exemple : "
            f"{';'.join(TEMPLATE_COLUMNS)}"
        )
    header = text.lstrip().splitlines()[0]
    separator = ";" if header.count(";") > header.count(",") else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise UploadError(f"{name} : CSV mal formé ({exc}).") from exc
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    if len(frame) == 0:
        raise UploadError(f"{name} : aucune ligne de données après l'en-tête.")
    if len(frame) > limits.max_rows:
        raise UploadError(
            f"{name} : {len(frame)} lignes ; au plus {limits.max_rows} lignes acceptées."
        )
    return frame


def read_consumption_csv(name: str, data: bytes, limits: UploadLimits) -> pd.DataFrame:
    """Rows with ``region_code, region, day``, the energies, ``heating_degree_days`` and
    ``is_public_holiday`` (derived from the day when absent), or :class:`UploadError`.

    Expected header (``;`` or ``,``): ``region_code`` (or ``region``), ``day``, at least one of
    ``gas_consumption_mwh`` / ``electricity_consumption_mwh``, and ``heating_degree_days`` or
    ``temp_mean_c`` or ``temp_min_c`` + ``temp_max_c``; optional ``gas_h00_share`` … ``gas_h23_share``.
    """
    frame = _parse(name, data, limits)
    energies = [c for c in ENERGY_COLUMNS.values() if c in frame.columns]
    has_temperature = (
        "heating_degree_days" in frame.columns
        or "temp_mean_c" in frame.columns
        or {"temp_min_c", "temp_max_c"} <= set(frame.columns)
    )
    missing = [
        label
        for label, ok in (
            (
                "region_code (ou region)",
                "region_code" in frame.columns or "region" in frame.columns,
            ),
            ("day", "day" in frame.columns),
            (" ou ".join(ENERGY_COLUMNS.values()), bool(energies)),
            ("heating_degree_days ou temp_mean_c ou temp_min_c + temp_max_c", has_temperature),
        )
        if not ok
    ]
    if missing:
        raise UploadError(
            f"{name} : colonne(s) manquante(s) : {' ; '.join(missing)}. Exemple d'en-tête : "
            f"{';'.join(TEMPLATE_COLUMNS)}"
        )

    limit = limits.max_error_lines
    problems: list[str] = []
    if "region_code" in frame.columns:
        codes = frame["region_code"].astype("string").str.strip().str.zfill(2)
    else:
        codes = frame["region"].map(lambda v: region_code_for(v) if isinstance(v, str) else None)
    frame["region_code"] = codes.astype(object)
    bad_region = ~frame["region_code"].isin(list(REGION_BY_CODE))
    if bad_region.any():
        column = "region_code" if "region" not in frame.columns else "region"
        problems.append(f"région inconnue : {_lines(bad_region, frame, column, limit)}")
    days = pd.to_datetime(
        frame["day"].astype("string").str.strip(), errors="coerce", format="ISO8601"
    )
    if days.isna().any():
        problems.append(
            f"day invalide (AAAA-MM-JJ attendu) : {_lines(days.isna(), frame, 'day', limit)}"
        )
    numeric = [
        c
        for c in (
            *ENERGY_COLUMNS.values(),
            "heating_degree_days",
            *TEMPERATURE_COLUMNS,
            *GAS_HOUR_SHARE_COLUMNS,
            "is_public_holiday",
        )
        if c in frame.columns
    ]
    for column in numeric:
        values = _numbers(frame[column])
        bad = values.isna() & frame[column].notna()
        if bad.any():
            problems.append(f"{column} non numérique : {_lines(bad, frame, column, limit)}")
        frame[column] = values
    if problems:
        raise UploadError(f"{name} : " + " ; ".join(problems))

    frame["day"] = days.dt.normalize()
    duplicated = frame.duplicated(["region_code", "day"], keep=False)
    if duplicated.any():
        raise UploadError(
            f"{name} : jour en double pour une région : {_lines(duplicated, frame, 'day', limit)}"
        )
    counts = frame.groupby("region_code")["day"].nunique()
    short = counts[counts < limits.min_days_per_region]
    if not short.empty:
        detail = ", ".join(f"{REGION_BY_CODE[str(c)].name} : {n} jour(s)" for c, n in short.items())
        raise UploadError(
            f"{name} : au moins {limits.min_days_per_region} jours par région sont nécessaires "
            f"pour situer chaque jour par rapport à ses voisins ({detail})."
        )

    for column in ENERGY_COLUMNS.values():
        if column not in frame.columns:
            frame[column] = float("nan")  # an absent energy scores as neutral
    if "heating_degree_days" not in frame.columns:
        mean = (
            frame["temp_mean_c"]
            if "temp_mean_c" in frame.columns
            else mean_temperature(frame["temp_min_c"], frame["temp_max_c"])
        )
        frame["heating_degree_days"] = heating_degree_days(mean)
    frame["region"] = frame["region_code"].map(lambda code: REGION_BY_CODE[code].name)
    if "is_public_holiday" not in frame.columns:
        frame["is_public_holiday"] = library_holidays(frame)["is_public_holiday"].astype(float)
    return frame.sort_values(["region_code", "day"], ignore_index=True)


def template_csv() -> str:
    """An example header for the upload (``;``-separated)."""
    return ";".join(TEMPLATE_COLUMNS) + "\n"
