"""Daily weather per canonical region from the two weather sources.

``raw_weather_regional`` (temperature-quotidienne-regionale) gives tmin/tmax/tmean per new
region. ``raw_weather_historique`` gives wind, humidity, visibility, cloud cover, day length and
temperatures, per new region or per pre-2016 region slug: old regions are aggregated into their
new region by the mean over the old regions of that day (rows written with the new region's own
name win over old-region rows for the same day). Regional temperatures win over historique ones;
historique fills the days/regions the regional file lacks (tmean = (tmin + tmax) / 2 then).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from data_collection_kedro.domain.regions import is_old_region

from .normalization import (
    calendar_day,
    flagged_rows_row,
    key_strings,
    normalize_regions,
    quality_row,
    unknown_region_row,
)

INDEX = "meteo_consommation"
HISTORIQUE_MEASURES = [
    "temp_max_c",
    "temp_min_c",
    "wind_kmh",
    "humidity_pct",
    "visibility_km",
    "cloud_cover_pct",
    "day_duration_h",
]
WEATHER_COLUMNS = [
    "region_code",
    "day",
    "temp_min_c",
    "temp_max_c",
    "temp_mean_c",
    "wind_kmh",
    "humidity_pct",
    "visibility_km",
    "cloud_cover_pct",
    "day_duration_h",
]


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
    merged["temp_mean_c"] = merged["tmean_c"].fillna((hist_min + hist_max) / 2)
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
