"""Daily weather per canonical region from the two weather sources.

``raw_weather_regional`` (temperature-quotidienne-regionale) gives tmin/tmax/tmean per new
region. ``raw_weather_historique`` gives wind, humidity, visibility, cloud cover, day length and
temperatures, per new region or per pre-2016 region slug: old regions are aggregated into their
new region by the mean over the old regions of that day (rows written with the new region's own
name win over old-region rows for the same day). Regional temperatures win over historique ones;
historique fills the days/regions the regional file lacks (tmean = (tmin + tmax) / 2 then).

``meteo_consommation`` puts each consumption region-day next to its weather: temperature gaps of
at most ``max_temperature_gap_days`` days are interpolated (``temp_interpolated``), and
``heating_degree_days`` follows :func:`domain.features.heating_degree_days`.

The national temperature (:func:`national_weather`) is the regions' temperatures weighted by the
``national_temperature`` parameters, for observed days (``consommation_nationale``) and weather
forecasts alike (:func:`weather_forecast_indices`: ``previsions_meteo`` and
``previsions_meteo_nationales``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from data_collection_kedro.domain.contracts import (
    METEO_CONSOMMATION,
    PREVISIONS_METEO,
    PREVISIONS_METEO_NATIONALES,
    TEMPERATURE_COLUMNS,
    WEATHER_MEASURE_COLUMNS,
)
from data_collection_kedro.domain.features import heating_degree_days, mean_temperature
from data_collection_kedro.domain.regions import is_old_region

from .normalization import (
    as_date,
    calendar_day,
    flagged_rows_row,
    key_strings,
    normalize_regions,
    quality_row,
    unknown_region_row,
)

INDEX = METEO_CONSOMMATION.name
HISTORIQUE_MEASURES = [
    "temp_max_c",
    "temp_min_c",
    "wind_kmh",
    "humidity_pct",
    "visibility_km",
    "cloud_cover_pct",
    "day_duration_h",
]
WEATHER_COLUMNS = ["region_code", "day", *TEMPERATURE_COLUMNS, *WEATHER_MEASURE_COLUMNS]


def _numeric(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame.assign(
        **{c: pd.to_numeric(frame[c], errors="coerce").astype("float64") for c in columns}
    )


def regional_temperatures(
    raw: pd.DataFrame, max_keys: int
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """``raw_weather_regional`` -> one row per (region_code, day) with tmin/tmax/tmean."""
    columns = ["region_code", "day", "tmin_c", "tmax_c", "tmean_c"]
    if raw.empty:
        return pd.DataFrame(columns=columns), []
    frame, unknown = normalize_regions(raw, "region", "region_code")
    frame = _numeric(frame.assign(day=calendar_day(frame["date"])), ["tmin_c", "tmax_c", "tmean_c"])
    duplicated = frame.duplicated(["region_code", "day"], keep="last")
    quality = [
        unknown_region_row(INDEX, "weather_regional_unknown_region", len(raw), unknown, max_keys),
        flagged_rows_row(
            INDEX,
            "weather_regional_duplicated_days",
            frame,
            duplicated,
            ["region_code", "day"],
            max_keys,
            rule="same region and day (any spelling): the last row is kept",
        ),
    ]
    return frame.loc[~duplicated, columns].reset_index(drop=True), quality


def historique_weather(
    raw: pd.DataFrame, max_keys: int
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """``raw_weather_historique`` -> one row per (region_code, day), old regions averaged."""
    columns = ["region_code", "day", *HISTORIQUE_MEASURES, "old_region_count"]
    if raw.empty:
        return pd.DataFrame(columns=columns), []
    frame, unknown = normalize_regions(raw, "region")
    frame = _numeric(frame.assign(day=calendar_day(frame["day"])), HISTORIQUE_MEASURES)
    names = frame["region_source"].unique()
    old_by_name = {name: is_old_region(str(name)) for name in names}
    frame["is_old"] = frame["region_source"].map(old_by_name).astype(bool)
    # A day written under the new region's own name wins over old-region rows of that day.
    has_new = (~frame["is_old"]).groupby([frame["region_code"], frame["day"]]).transform("any")
    frame = frame[~(frame["is_old"] & has_new)]
    aggregated = (
        frame.groupby(["region_code", "day"])
        .agg(
            **{c: (c, "mean") for c in HISTORIQUE_MEASURES},
            old_region_count=("is_old", "sum"),
        )
        .reset_index()
    )
    old_names = sorted(str(n) for n, old in old_by_name.items() if old)
    quality = [
        unknown_region_row(INDEX, "weather_historique_unknown_region", len(raw), unknown, max_keys),
        quality_row(
            INDEX,
            "weather_historique_old_regions_aggregated",
            len(frame),
            len(aggregated),
            [],
            max_keys,
            old_regions=old_names,
            rule="mean over the pre-2016 regions of the new region, per day",
        ),
    ]
    return aggregated[columns], quality


def daily_weather(
    regional: pd.DataFrame, historique: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Regional temperatures + historique measures on (region_code, day)."""
    max_keys = int(params.get("max_detail_keys", 200))
    temps, quality = regional_temperatures(regional, max_keys)
    hist, hist_quality = historique_weather(historique, max_keys)
    quality.extend(hist_quality)
    merged = temps.merge(hist, on=["region_code", "day"], how="outer")
    from_historique = merged["tmean_c"].isna() & (
        merged["temp_min_c"].notna() | merged["temp_max_c"].notna()
    )
    hist_min, hist_max = merged["temp_min_c"], merged["temp_max_c"]
    merged["temp_min_c"] = merged["tmin_c"].fillna(hist_min)
    merged["temp_max_c"] = merged["tmax_c"].fillna(hist_max)
    merged["temp_mean_c"] = merged["tmean_c"].fillna(mean_temperature(hist_min, hist_max))
    quality.append(
        quality_row(
            INDEX,
            "temperature_from_historique",
            len(merged),
            len(merged),
            key_strings(merged[from_historique], ["region_code", "day"]),
            max_keys,
            rule="regional temperature file lacks the day: historique-meteo min/max used, "
            "mean = (min + max) / 2",
        )
    )
    for column in WEATHER_COLUMNS[2:]:
        merged[column] = merged[column].astype("float64")
    return merged[WEATHER_COLUMNS], quality


def _fill_short_gaps(values: pd.Series, max_gap: int) -> pd.Series:
    """Linear interpolation of the NaN runs of at most ``max_gap`` values between two values."""
    if max_gap <= 0 or not values.isna().any():
        return values
    missing = values.isna()
    run_length = missing.groupby((~missing).cumsum()).transform("sum")
    interpolated = values.interpolate(limit_area="inside")
    return values.where(~(missing & (run_length <= max_gap)), interpolated)


def weather_consumption_index(
    daily_consumption: pd.DataFrame, weather: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """``meteo_consommation``: every consumption region-day with that day's weather."""
    max_keys = int(params.get("max_detail_keys", 200))
    merged = daily_consumption.merge(weather, on=["region_code", "day"], how="left", indicator=True)
    no_weather = merged[merged["_merge"] == "left_only"]
    no_temperature = merged[(merged["_merge"] == "both") & merged["temp_mean_c"].isna()]
    consumption_keys = pd.MultiIndex.from_frame(daily_consumption[["region_code", "day"]])
    weather_only = weather[
        ~pd.MultiIndex.from_frame(weather[["region_code", "day"]]).isin(consumption_keys)
    ]
    merged = merged.sort_values(["region_code", "day"]).reset_index(drop=True)
    max_gap = int(params.get("max_temperature_gap_days", 0))
    missing_temperature = merged["temp_mean_c"].isna()
    for column in TEMPERATURE_COLUMNS:
        merged[column] = pd.to_numeric(merged[column], errors="coerce").astype("float64")
        merged[column] = merged.groupby("region_code")[column].transform(
            lambda s: _fill_short_gaps(s, max_gap)
        )
    merged["temp_interpolated"] = missing_temperature & merged["temp_mean_c"].notna()
    merged["heating_degree_days"] = heating_degree_days(merged["temp_mean_c"])
    index = METEO_CONSOMMATION.select(merged).sort_values(["region_code", "day"])
    index["day"] = as_date(index["day"])
    quality = [
        quality_row(
            INDEX,
            "temperature_interpolated",
            len(merged),
            len(merged),
            key_strings(merged[merged["temp_interpolated"]], ["region_code", "day"]),
            max_keys,
            max_gap_days=max_gap,
            rule="temperatures missing on at most max_gap_days consecutive days between two "
            "known days: linear interpolation (temp_interpolated = true); longer gaps stay NaN",
        ),
        quality_row(
            INDEX,
            "consumption_without_weather",
            len(daily_consumption),
            len(index),
            key_strings(no_weather, ["region_code", "day"]),
            max_keys,
            rule="region-day with consumption but no weather row (weather columns are NaN)",
        ),
        quality_row(
            INDEX,
            "consumption_without_temperature",
            len(daily_consumption),
            len(index),
            key_strings(no_temperature, ["region_code", "day"]),
            max_keys,
        ),
        quality_row(
            INDEX,
            "weather_without_consumption",
            len(weather),
            len(weather) - len(weather_only),
            [],
            max_keys,
            rows=len(weather_only),
            rule="weather region-days outside the consumption data are not indexed",
        ),
    ]
    return index.reset_index(drop=True), quality


def continuous_temperatures(weather: pd.DataFrame, max_gap: int) -> pd.DataFrame:
    """Per region, one row per day from its first to its last day of ``weather``
    (``region_code, day`` + the temperatures), runs of at most ``max_gap`` missing days
    interpolated (``temp_interpolated``), longer gaps NaN."""
    columns = ["region_code", "day", *TEMPERATURE_COLUMNS, "temp_interpolated"]
    frame = weather.dropna(subset=["temp_mean_c"])
    if frame.empty:
        empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
        return empty.astype({"region_code": "string", "day": "datetime64[ns]"})
    frame = frame.assign(day=pd.to_datetime(frame["day"]))
    spans = frame.groupby("region_code")["day"].agg(["min", "max"])
    calendar = pd.concat(
        [
            pd.DataFrame({"region_code": code, "day": pd.date_range(first, last, freq="D")})
            for code, (first, last) in spans.iterrows()
        ],
        ignore_index=True,
    )
    out = calendar.merge(
        frame[["region_code", "day", *TEMPERATURE_COLUMNS]], on=["region_code", "day"], how="left"
    ).sort_values(["region_code", "day"], ignore_index=True)
    missing = out["temp_mean_c"].isna()
    for column in TEMPERATURE_COLUMNS:
        values = pd.to_numeric(out[column], errors="coerce").astype("float64")
        out[column] = values.groupby(out["region_code"]).transform(
            lambda s: _fill_short_gaps(s, max_gap)
        )
    out["temp_interpolated"] = missing & out["temp_mean_c"].notna()
    return out[columns]


def national_temperatures(
    regional: pd.DataFrame,
    keys: Sequence[str],
    weights: Mapping[str, float],
    min_weight_share: float,
) -> pd.DataFrame:
    """The national temperature of each ``keys`` group of regional rows.

    Each temperature is the mean over the group's regions with a value, weighted by ``weights``
    (region code → weight, renormalised over those regions; regions without a weight are
    ignored). ``temp_weight_share`` is the share of the total weight the regions with a
    ``temp_mean_c`` cover and ``region_count`` their number; below ``min_weight_share`` the
    temperatures are NaN (too few regions to stand for the country).
    """
    total = float(sum(weights.values()))
    if total <= 0:
        raise ValueError("national temperature weights: expected positive weights per region")
    weight = (
        regional["region_code"]
        .astype("string")
        .map({str(code): float(w) for code, w in weights.items()})
        .astype("float64")
    )
    groups = [regional[k] for k in keys]
    covered = weight.where(regional["temp_mean_c"].notna())
    out = pd.DataFrame(
        {
            "temp_weight_share": covered.groupby(groups).sum() / total,
            "region_count": covered.notna().groupby(groups).sum().astype("int64"),
        }
    )
    for column in TEMPERATURE_COLUMNS:
        values = pd.to_numeric(regional[column], errors="coerce").astype("float64")
        used = weight.where(values.notna())
        out[column] = (values * used).groupby(groups).sum(min_count=1) / used.groupby(groups).sum()
    enough = out["temp_weight_share"] >= min_weight_share
    out[list(TEMPERATURE_COLUMNS)] = out[list(TEMPERATURE_COLUMNS)].where(enough)
    return out.reset_index()


def national_weather(
    regional: pd.DataFrame, keys: Sequence[str], params: Mapping[str, Any]
) -> pd.DataFrame:
    """:func:`national_temperatures` with the ``national_temperature`` parameters (``weights``,
    ``min_weight_share``) and the national heating degree days."""
    national = params["national_temperature"]
    out = national_temperatures(
        regional, keys, national["weights"], float(national["min_weight_share"])
    )
    out["heating_degree_days"] = heating_degree_days(out["temp_mean_c"])
    return out


def weather_forecast_indices(
    raw: pd.DataFrame, params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, Any]]]:
    """``raw_weather_forecast`` → ``previsions_meteo`` (one row per region, target day and issue
    day: canonical region, lead time, temperatures, heating degree days, model, points) and
    ``previsions_meteo_nationales`` (the forecasts weighted into a national temperature per
    target day and issue day). A forecast stored twice keeps the last ingested one."""
    index = PREVISIONS_METEO.name
    max_keys = int(params.get("max_detail_keys", 200))
    key = ["region_code", "day", "issue_day"]
    if raw.empty:
        empty = pd.DataFrame(columns=PREVISIONS_METEO.column_names)
        national = pd.DataFrame(columns=PREVISIONS_METEO_NATIONALES.column_names)
        return empty, national, []
    frame, unknown = normalize_regions(raw, "region_code")
    frame = frame.rename(
        columns={"tmin_c": "temp_min_c", "tmax_c": "temp_max_c", "tmean_c": "temp_mean_c"}
    )
    frame = _numeric(
        frame.assign(
            day=calendar_day(frame["target_day"]), issue_day=calendar_day(frame["issue_day"])
        ),
        list(TEMPERATURE_COLUMNS),
    )
    frame["lead_days"] = (frame["day"] - frame["issue_day"]).dt.days.astype("int64")
    frame["heating_degree_days"] = heating_degree_days(frame["temp_mean_c"])
    frame["point_count"] = pd.to_numeric(frame["point_count"], errors="coerce").astype("Int64")
    frame["model"] = frame["model"].astype("string")
    if "_ingested_at" in frame.columns:
        frame = frame.sort_values("_ingested_at", kind="stable")
    duplicated = frame.duplicated(key, keep="last")
    regional = PREVISIONS_METEO.select(frame.loc[~duplicated]).sort_values(key, ignore_index=True)
    national = national_weather(regional, ["day", "issue_day"], params)
    national["lead_days"] = (national["day"] - national["issue_day"]).dt.days.astype("int64")
    national = PREVISIONS_METEO_NATIONALES.select(national)
    min_share = float(params["national_temperature"]["min_weight_share"])
    quality = [
        unknown_region_row(index, "forecast_unknown_region", len(raw), unknown, max_keys),
        flagged_rows_row(
            index,
            "forecast_duplicated_keys",
            frame,
            duplicated,
            key,
            max_keys,
            rule="same region, target day and issue day (any region spelling): last ingested kept",
        ),
        flagged_rows_row(
            PREVISIONS_METEO_NATIONALES.name,
            "national_forecast_below_min_weight_share",
            national,
            national["temp_mean_c"].isna(),
            ["day", "issue_day"],
            max_keys,
            min_weight_share=min_share,
            rule="the regions with a forecast cover less than min_weight_share of the national "
            "weights: national temperatures NaN",
        ),
    ]
    for table in (regional, national):
        for column in ("day", "issue_day"):
            table[column] = as_date(table[column])
    return regional, national.reset_index(drop=True), quality
