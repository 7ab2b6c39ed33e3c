"""One schema and one parse function per source (``docs/data-contracts.md`` §1 → §2).

Each ``parse_*`` function takes a source frame (all strings, the source's own labels) and the
``etl.tolerances`` parameters, and returns ``(raw table frame, quarantine frame)``.  It raises
:class:`~data_collection_kedro.validation.core.MissingColumnError` when a required column is
absent; every other problem quarantines the row with a reason and keeps the good rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.datasets.source_files import (
    MALFORMED_ROWS_ATTR,
    SOURCE_FILE,
    SOURCE_HEADERS_ATTR,
)
from data_collection_kedro.validation.core import (
    SourceColumn,
    SourceSchema,
    Validator,
    empty_quarantine,
    region_codes,
    select_columns,
    to_date,
    to_float,
    to_timestamp_utc,
)

DEFAULT_TOLERANCES: dict[str, Any] = {
    "temperature_c": [-40.0, 50.0],
    "price_eur_l": [0.2, 5.0],
    # older flux exports give prices in thousandths of a euro (1825 = 1.825 €/L)
    "price_thousandths_above": 100.0,
    "fuels": ["Gazole", "SP95", "SP98", "E10", "E85", "GPLc"],
    "percent": [0.0, 100.0],
    "gas_daily_sum_rel_tolerance": 0.01,
    "school_zones": ["A", "B", "C", "Corse"],
}

Frames = tuple[pd.DataFrame, pd.DataFrame]


def _tolerances(params: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**DEFAULT_TOLERANCES, **dict(params or {})}


def _subset_attrs(
    frame: pd.DataFrame, subset: pd.DataFrame, keep_malformed: bool = False
) -> dict[Hashable | None, Any]:
    """``attrs`` for a row subset: the headers of the files it has rows from (a composite
    source mixes layouts by file) and, for one subset only, the malformed rows."""
    headers = frame.attrs.get(SOURCE_HEADERS_ATTR) or {}
    files = set(subset[SOURCE_FILE].unique()) if SOURCE_FILE in subset else set()
    attrs: dict[Hashable | None, Any] = {
        SOURCE_HEADERS_ATTR: {f: h for f, h in headers.items() if f in files} if headers else {}
    }
    if keep_malformed:
        attrs[MALFORMED_ROWS_ATTR] = frame.attrs.get(MALFORMED_ROWS_ATTR) or []
    return attrs


def _col(name: str, *headers: str, required: bool = True) -> SourceColumn:
    return SourceColumn(name, headers or (name,), required)


def _start(
    frame: pd.DataFrame, schema: SourceSchema
) -> tuple[pd.DataFrame, pd.DataFrame, Validator]:
    raw = select_columns(frame, schema)
    return raw, raw.copy(), Validator(schema.source, frame)


def _check_region(
    validator: Validator, typed: pd.DataFrame, raw: pd.DataFrame, code: str | None, name: str
) -> None:
    """``region_code`` from the code column (or the name when there is none); unknown →
    quarantine."""
    source_values = raw[code].fillna(raw[name]) if code else raw[name]
    codes = region_codes(source_values)
    unknown = (source_values.notna() & codes.isna()).to_numpy(dtype=bool)
    validator.fail(code or name, "unknown region (not one of the 13 metropolitan regions)", unknown)
    if code:
        typed[code] = codes


# --- consumption --------------------------------------------------------------------------

_GAS_GRTGAZ = (
    "Consommation brute gaz (MW PCS 0°C) - GRTgaz",
    "Consommation brute gaz (MW PCS 0°C) - NaTran",
)
CONSUMPTION_REGIONAL = SourceSchema(
    "consumption_regional",
    (
        _col("datetime_local", "Date - Heure"),
        _col("date", "Date"),
        _col("time", "Heure"),
        _col("region_code", "Code INSEE région"),
        _col("region", "Région"),
        _col("gas_grtgaz_mw", *_GAS_GRTGAZ),
        _col("gas_grtgaz_status", "Statut - GRTgaz", "Statut - NaTran"),
        _col("gas_terega_mw", "Consommation brute gaz (MW PCS 0°C) - Teréga"),
        _col("gas_terega_status", "Statut - Teréga"),
        _col("gas_total_mw", "Consommation brute gaz totale (MW PCS 0°C)"),
        _col("electricity_rte_mw", "Consommation brute électricité (MW) - RTE"),
        _col("electricity_rte_status", "Statut - RTE"),
        _col("total_mw", "Consommation brute totale (MW)"),
    ),
)
_CONSUMPTION_MW = [
    "gas_grtgaz_mw",
    "gas_terega_mw",
    "gas_total_mw",
    "electricity_rte_mw",
    "total_mw",
]


def parse_consumption_regional(
    frame: pd.DataFrame, params: Mapping[str, Any] | None = None, now: datetime | None = None
) -> Frames:
    raw, typed, v = _start(frame, CONSUMPTION_REGIONAL)
    v.require(typed, ["datetime_local"], raw)
    v.cast(typed, raw, "datetime_local", "timestamp_utc")
    typed = typed.rename(columns={"datetime_local": "timestamp_utc"})
    typed.insert(0, "datetime_local", raw["datetime_local"])
    v.cast(typed, raw, "date", "date")
    missing_date = typed["date"].isna() & typed["timestamp_utc"].notna()
    if missing_date.any():  # no Date column value: the calendar day of Date - Heure
        typed.loc[missing_date, "date"] = raw.loc[missing_date, "datetime_local"].str.slice(0, 10)
        typed["date"] = typed["date"].astype("date32[pyarrow]")
    _check_region(v, typed, raw, "region_code", "region")
    for column in _CONSUMPTION_MW:
        v.cast(typed, raw, column, "float")
    v.check_min(typed, _CONSUMPTION_MW, 0.0, "negative consumption:")
    return v.split(typed, ["region_code", "timestamp_utc"], now)


_HOURS = [f"{h:02d}:00" for h in range(24)]
GAS_LOAD_CURVE = SourceSchema(
    "gas_load_curve",
    (
        _col("date", "Date"),
        _col("operator", "Opérateur"),
        _col("sector", "Secteur d'activité"),
        _col("region", "Région"),
        *(_col(f"h{h[:2]}_mwh", h) for h in _HOURS),
        _col("daily_mwh", "Consommation journalière (MWh - PCS 0°C)"),
        _col("status", "Statut"),
    ),
)
_GAS_MWH = [f"h{h[:2]}_mwh" for h in _HOURS] + ["daily_mwh"]


def parse_gas_load_curve(
    frame: pd.DataFrame, params: Mapping[str, Any] | None = None, now: datetime | None = None
) -> Frames:
    tol = _tolerances(params)
    raw, typed, v = _start(frame, GAS_LOAD_CURVE)
    v.require(typed, ["date", "operator", "sector", "region"], raw)
    v.cast(typed, raw, "date", "date")
    _check_region(v, typed, raw, None, "region")
    for column in _GAS_MWH:
        v.cast(typed, raw, column, "float")
    v.check_min(typed, _GAS_MWH, 0.0, "negative consumption:")
    # the 24 hourly values must add up to the daily total (a shifted decimal in one hour
    # was seen in the real export: 1045440.182 for 1045.440182)
    hourly_sum = typed[_GAS_MWH[:-1]].sum(axis=1, min_count=24)
    tolerance = float(tol["gas_daily_sum_rel_tolerance"])
    gap = (hourly_sum - typed["daily_mwh"]).abs()
    inconsistent = (gap > tolerance * typed["daily_mwh"].abs() + 1e-6).fillna(False)
    v.fail(
        "daily_mwh",
        f"hourly values do not add up to daily_mwh (relative tolerance {tolerance:g})",
        inconsistent,
    )
    return v.split(typed, ["date", "operator", "sector", "region"], now)


# --- weather ------------------------------------------------------------------------------

WEATHER_REGIONAL = SourceSchema(
    "weather_regional",
    (
        _col("id", "ID", required=False),
        _col("date", "Date"),
        _col("region_code", "Code INSEE région"),
        _col("region", "Région"),
        _col("tmin_c", "TMin (°C)"),
        _col("tmax_c", "TMax (°C)"),
        _col("tmean_c", "TMoy (°C)"),
    ),
)


def parse_weather_regional(
    frame: pd.DataFrame, params: Mapping[str, Any] | None = None, now: datetime | None = None
) -> Frames:
    tol = _tolerances(params)
    raw, typed, v = _start(frame, WEATHER_REGIONAL)
    raw["date"] = raw["date"].fillna(raw["id"].str.slice(0, 10))
    v.require(typed, ["date"], raw)
    v.cast(typed, raw, "date", "date")
    _check_region(v, typed, raw, "region_code", "region")
    low, high = tol["temperature_c"]
    for column in ("tmin_c", "tmax_c", "tmean_c"):
        v.cast(typed, raw, column, "float")
        v.check_range(typed, column, low, high, "°C")
    typed = typed.drop(columns=["id"])
    return v.split(typed, ["date", "region_code"], now)


WEATHER_HISTORIQUE = SourceSchema(
    "weather_historique",
    (
        _col("day", "day"),
        _col("region", "region"),
        _col("temp_max_c", "TempMax_Deg"),
        _col("temp_min_c", "TempMin_Deg"),
        _col("wind_kmh", "Wind_kmh"),
        _col("humidity_pct", "Wet_percent"),
        _col("visibility_km", "Visibility_km"),
        _col("cloud_cover_pct", "CloudCoverage_percent"),
        _col("day_duration_hms", "Dayduration_hour", required=False),
        _col("day_duration_min", "Dayduration_Min", required=False),
    ),
    separator=",",
)


def _hms_to_hours(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    parts = raw.str.strip().str.split(":", expand=True)
    if parts.shape[1] < 2:
        parts = pd.DataFrame({0: raw, 1: pd.NA, 2: pd.NA}, index=raw.index)
    numbers = parts.iloc[:, :3].apply(pd.to_numeric, errors="coerce")
    if numbers.shape[1] < 3:
        numbers[2] = 0.0
    hours = numbers[0] + numbers[1] / 60 + numbers[2].fillna(0) / 3600
    return hours.astype("float64"), (raw.notna() & hours.isna()).to_numpy(dtype=bool)


def parse_weather_historique(
    frame: pd.DataFrame, params: Mapping[str, Any] | None = None, now: datetime | None = None
) -> Frames:
    from data_collection_kedro.validation.core import MissingColumnError, header_key

    tol = _tolerances(params)
    keys = {header_key(c) for c in frame.columns}
    if not keys & {header_key("Dayduration_hour"), header_key("Dayduration_Min")}:
        files = frame["_source_file"].unique().tolist() if "_source_file" in frame else []
        raise MissingColumnError(
            f"weather_historique: file(s) {files} have no column 'Dayduration_hour' (H:M:S) "
            f"nor 'Dayduration_Min'; expected header: {WEATHER_HISTORIQUE.expected_header()!r}"
        )
    raw, typed, v = _start(frame, WEATHER_HISTORIQUE)
    v.require(typed, ["day", "region"], raw)
    v.cast(typed, raw, "day", "date")
    _check_region(v, typed, raw, None, "region")
    low, high = tol["temperature_c"]
    pct_low, pct_high = tol["percent"]
    for column in ("temp_max_c", "temp_min_c", "wind_kmh", "humidity_pct"):
        v.cast(typed, raw, column, "float")
    for column in ("visibility_km", "cloud_cover_pct"):
        v.cast(typed, raw, column, "float")
    v.check_range(typed, "temp_max_c", low, high, "°C")
    v.check_range(typed, "temp_min_c", low, high, "°C")
    v.check_range(typed, "humidity_pct", pct_low, pct_high, "%")
    v.check_range(typed, "cloud_cover_pct", pct_low, pct_high, "%")
    v.check_min(typed, ["wind_kmh", "visibility_km"], 0.0, "negative value:")
    hours, failed_hms = _hms_to_hours(raw["day_duration_hms"])
    minutes, failed_min = to_float(raw["day_duration_min"])
    typed["day_duration_h"] = hours.fillna(minutes / 60)
    v.fail(
        "day_duration_h",
        "unparsable day duration: expected H:M:S or minutes",
        failed_hms | failed_min,
    )
    typed = typed.drop(columns=["day_duration_hms", "day_duration_min"])
    return v.split(typed, ["region", "day"], now)


# --- strikes ------------------------------------------------------------------------------

STRIKES = SourceSchema(
    "strikes",
    (
        _col("start_date", "date_de_debut"),
        _col("end_date", "date_de_fin"),
        _col("reason", "motif"),
        _col("unions", "organisations_syndicales"),
        _col("target_jobs", "metiers_cibles", required=False),
        _col("population", "population", required=False),
        _col("strikers", "nombre_grevistes", required=False),
        _col("strike_rate_pct", "taux_grevistes", required=False),
    ),
)


def strike_ids(start: pd.Series, reason: pd.Series, unions: pd.Series) -> pd.Series:
    """First 16 hex digits of sha1(``date_de_debut|motif|organisations_syndicales``), source
    strings with empty values as ``""``."""
    keys = start.fillna("") + "|" + reason.fillna("") + "|" + unions.fillna("")
    return keys.map(lambda k: hashlib.sha1(k.encode("utf-8")).hexdigest()[:16]).astype("str")


def parse_strikes(
    frame: pd.DataFrame, params: Mapping[str, Any] | None = None, now: datetime | None = None
) -> Frames:
    tol = _tolerances(params)
    raw, typed, v = _start(frame, STRIKES)
    v.require(typed, ["start_date"], raw)
    v.cast(typed, raw, "start_date", "date")
    v.cast(typed, raw, "end_date", "date")
    for column in ("population", "strikers", "strike_rate_pct"):
        v.cast(typed, raw, column, "float")
    v.check_min(typed, ["population", "strikers"], 0.0, "negative count:")
    pct_low, pct_high = tol["percent"]
    v.check_range(typed, "strike_rate_pct", pct_low, pct_high, "%")
    ends_before = (typed["end_date"] < typed["start_date"]).fillna(False)
    v.fail("end_date", "end_date before start_date", ends_before)
    typed.insert(0, "strike_id", strike_ids(raw["start_date"], raw["reason"], raw["unions"]))
    return v.split(typed, ["strike_id"], now)


# --- fuel ---------------------------------------------------------------------------------

FUEL_PRICES = SourceSchema(
    "fuel_prices",
    (
        _col("station_id", "id"),
        _col("fuel", "prix_nom"),
        _col("fuel_id", "prix_id"),
        _col("updated_at", "prix_maj"),
        _col("price_eur_l", "prix_valeur"),
    ),
)
FUEL_STATIONS = SourceSchema(
    "fuel_prices",
    (
        _col("station_id", "id"),
        _col("latitude", "latitude"),
        _col("longitude", "longitude"),
        _col("postcode", "cp"),
        _col("pop", "pop"),
        _col("address", "adresse"),
        _col("city", "ville"),
        _col("opening_hours", "horaires", required=False),
        _col("services", "services", required=False),
    ),
)
FUEL_SHORTAGES = SourceSchema(
    "fuel_prices",
    (
        _col("station_id", "id"),
        _col("fuel", "rupture_nom"),
        _col("fuel_id", "rupture_id"),
        _col("start_at", "rupture_debut"),
        _col("end_at", "rupture_fin"),
        _col("kind", "rupture_type"),
    ),
)


def _check_fuel(v: Validator, typed: pd.DataFrame, tol: Mapping[str, Any]) -> None:
    unknown = (typed["fuel"].notna() & ~typed["fuel"].isin(list(tol["fuels"]))).to_numpy(dtype=bool)
    v.fail("fuel", f"unknown fuel (expected one of {', '.join(tol['fuels'])})", unknown)


def parse_fuel_prices(
    frame: pd.DataFrame, params: Mapping[str, Any] | None = None, now: datetime | None = None
) -> Frames:
    """``raw_fuel_prices`` from flat price rows (history CSV, or the flux's ``<prix>`` rows)."""
    tol = _tolerances(params)
    raw, typed, v = _start(frame, FUEL_PRICES)
    v.require(typed, ["station_id", "fuel", "updated_at", "price_eur_l"], raw)
    _check_fuel(v, typed, tol)
    v.cast(typed, raw, "fuel_id", "int")
    v.cast(typed, raw, "updated_at", "timestamp_local")
    v.cast(typed, raw, "price_eur_l", "float")
    price = typed["price_eur_l"]
    typed["price_eur_l"] = price.where(price <= tol["price_thousandths_above"], price / 1000)
    price_low, price_high = tol["price_eur_l"]
    v.check_range(typed, "price_eur_l", price_low, price_high, "€/L")
    return v.split(typed, ["station_id", "fuel", "updated_at"], now)


def parse_fuel_stations(
    frame: pd.DataFrame, params: Mapping[str, Any] | None = None, now: datetime | None = None
) -> Frames:
    """``raw_fuel_stations``: one row per station (its last row: the latest snapshot)."""
    first = frame.drop_duplicates(subset=["id"], keep="last") if "id" in frame else frame
    first.attrs = _subset_attrs(frame, first)
    raw, typed, v = _start(first, FUEL_STATIONS)
    v.require(typed, ["station_id"], raw)
    for column in ("latitude", "longitude"):
        v.cast(typed, raw, column, "float")
        typed[column] = typed[column] / 100000.0
    v.check_range(typed, "latitude", -90.0, 90.0, "degrees")
    v.check_range(typed, "longitude", -180.0, 180.0, "degrees")
    bad_pop = (typed["pop"].notna() & ~typed["pop"].isin(["R", "A"])).to_numpy(dtype=bool)
    v.fail("pop", "pop must be R (road) or A (motorway)", bad_pop)
    return v.split(typed, ["station_id"], now)


def parse_fuel_shortages(
    frame: pd.DataFrame, params: Mapping[str, Any] | None = None, now: datetime | None = None
) -> Frames:
    """``raw_fuel_shortages`` from the flux's ``<rupture>`` rows."""
    tol = _tolerances(params)
    raw, typed, v = _start(frame, FUEL_SHORTAGES)
    v.require(typed, ["station_id", "fuel", "start_at"], raw)
    _check_fuel(v, typed, tol)
    v.cast(typed, raw, "fuel_id", "int")
    v.cast(typed, raw, "start_at", "timestamp_local")
    v.cast(typed, raw, "end_at", "timestamp_local")
    kinds = typed["kind"].str.lower().str.replace("é", "e", regex=False)
    typed["kind"] = kinds
    bad_kind = (kinds.notna() & ~kinds.isin(["temporaire", "definitive"])).to_numpy(dtype=bool)
    v.fail("kind", "kind must be temporaire or definitive", bad_kind)
    return v.split(typed, ["station_id", "fuel", "start_at"], now)


def parse_fuel_flux(
    frame: pd.DataFrame, params: Mapping[str, Any] | None = None, now: datetime | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stations, prices, shortages and the quarantine from a flux frame (see ``fuel_flux``)."""
    stations, q_stations = parse_fuel_stations(frame, params, now)
    has_price = frame["prix_nom"].notna() if "prix_nom" in frame else pd.Series(False, frame.index)
    has_price = has_price | (frame.get("prix_valeur", pd.Series(pd.NA, frame.index)).notna())
    price_rows = frame.loc[has_price]
    if "_source_file" in price_rows and price_rows["_source_file"].nunique() > 1:
        # several snapshots: a price still current in a later snapshot repeats there, same
        # key and value; it is the same record, not a duplicate to quarantine
        same = ["id", "prix_nom", "prix_maj", "prix_valeur"]
        first_file = price_rows.groupby(same, dropna=False)["_source_file"].transform("first")
        repeated = price_rows.duplicated(subset=same) & (price_rows["_source_file"] != first_file)
        price_rows = price_rows.loc[~repeated]
    price_rows.attrs = _subset_attrs(frame, price_rows, keep_malformed=True)
    prices, q_prices = parse_fuel_prices(price_rows, params, now)
    if "rupture_nom" in frame:
        shortage_rows = frame.loc[frame["rupture_nom"].notna() | frame["rupture_debut"].notna()]
        shortage_rows.attrs = _subset_attrs(frame, shortage_rows)
        shortages, q_shortages = parse_fuel_shortages(shortage_rows, params, now)
    else:
        shortages = parse_fuel_shortages(
            pd.DataFrame(
                columns=[c.headers[0] for c in FUEL_SHORTAGES.columns]
                + ["_source_file", "_source_line"]
            ).astype("str"),
            params,
            now,
        )[0]
        q_shortages = empty_quarantine()
    quarantine = pd.concat([q_stations, q_prices, q_shortages], ignore_index=True)
    return stations, prices, shortages, quarantine


# --- holidays -----------------------------------------------------------------------------

PUBLIC_HOLIDAYS = SourceSchema(
    "holidays",
    (_col("date", "date"), _col("zone", "zone"), _col("name", "nom_jour_ferie")),
    separator=",",
)
SCHOOL_HOLIDAYS = SourceSchema(
    "holidays",
    (
        _col("description", "description"),
        _col("population", "population", required=False),
        _col("start_date", "start_date"),
        _col("end_date", "end_date"),
        _col("location", "location", required=False),
        _col("zone", "zones"),
        _col("school_year", "annee_scolaire"),
    ),
)


def _paris_day(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Europe/Paris calendar day of ISO date-times with offset (plain dates accepted)."""
    stamps, failed = to_timestamp_utc(raw)
    days = stamps.dt.tz_convert("Europe/Paris").dt.tz_localize(None).dt.normalize()
    plain, failed_plain = to_date(raw)
    days = days.fillna(plain.astype("datetime64[s]"))
    return days.astype("datetime64[s]"), failed & failed_plain


def parse_holidays(
    frame: pd.DataFrame, params: Mapping[str, Any] | None = None, now: datetime | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``raw_public_holidays``, ``raw_school_holidays`` and the quarantine from a holidays
    source frame (union of the jours-feries and fr-en-calendrier-scolaire layouts)."""
    tol = _tolerances(params)
    public_rows = (
        frame.loc[frame["nom_jour_ferie"].notna()] if "nom_jour_ferie" in frame else frame.iloc[:0]
    )
    school_rows = (
        frame.loc[frame["description"].notna()] if "description" in frame else frame.iloc[:0]
    )
    if len(public_rows) == 0 and len(school_rows) == 0:
        # neither layout: reports the missing columns of the public layout
        select_columns(frame, PUBLIC_HOLIDAYS)
        select_columns(frame, SCHOOL_HOLIDAYS)

    public_rows = public_rows.copy()
    public_rows.attrs = _subset_attrs(frame, public_rows, keep_malformed=True)
    raw, typed, v = _start(public_rows, PUBLIC_HOLIDAYS)
    v.cast(typed, raw, "date", "date")
    typed["zone"] = raw["zone"].fillna("Métropole")
    public, q_public = v.split(typed, ["date", "zone", "name"], now)

    school_rows = school_rows.copy()
    school_rows.attrs = _subset_attrs(frame, school_rows)
    raw, typed, v = _start(school_rows, SCHOOL_HOLIDAYS)
    v.require(typed, ["start_date", "end_date", "zone"], raw)
    start, failed_start = _paris_day(raw["start_date"])
    resume, failed_end = _paris_day(raw["end_date"])
    v.fail("start_date", "unparsable start_date: expected an ISO 8601 date-time", failed_start)
    v.fail("end_date", "unparsable end_date: expected an ISO 8601 date-time", failed_end)
    typed["start_date"] = start.astype("date32[pyarrow]")
    # the day before classes resume; a one-day event (bridge day, "journée vaquée") has
    # end_date == start_date in the live data
    last_day_off = (resume - pd.Timedelta(days=1)).where(resume != start, start)
    typed["end_date"] = last_day_off.astype("date32[pyarrow]")
    typed["zone"] = raw["zone"].str.replace(r"^Zone\s+", "", regex=True).str.strip()
    ends_before = (typed["end_date"] < typed["start_date"]).fillna(False)
    v.fail("end_date", "end_date before start_date", ends_before)
    # one row per académie and population in the live data: keep the metropolitan zones,
    # one row per (zone, description, start_date) — repeats are expected, not errors
    in_scope = typed["zone"].isin(list(tol["school_zones"]))
    repeated = typed.duplicated(subset=["zone", "description", "start_date"], keep="first")
    keep = (in_scope & ~repeated).to_numpy(dtype=bool)
    v.failures = [(c, r, m[keep]) for c, r, m in v.failures]
    v.raw = school_rows.loc[keep]
    typed = typed.loc[keep].drop(columns=["population", "location"])
    school, q_school = v.split(typed, ["zone", "description", "start_date"], now)
    return public, school, pd.concat([q_public, q_school], ignore_index=True)
