"""Day-level features: SNCF strikes, public and school holidays, calendar fields.

A strike is active on every day from ``start_date`` to ``end_date`` inclusive (one day when
``end_date`` is null); a day's ``strike_rate_pct`` is the maximum over its active strikes and
``strike_reason`` joins their distinct motifs. School holidays apply to a region through its
zone (``regions.school_zone_of``), from the first to the last day off inclusive. The calendar
fields of a day come from :func:`domain.features.calendar_fields`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.domain.contracts import CONSOMMATION_MOUVEMENTS, DAY_FIELD_COLUMNS
from data_collection_kedro.domain.features import calendar_fields
from data_collection_kedro.domain.regions import school_zone_of

from .normalization import (
    as_date,
    calendar_day,
    flagged_rows_row,
    key_strings,
    quality_row,
    range_offsets,
)

INDEX = CONSOMMATION_MOUVEMENTS.name


def expand_ranges(starts: pd.Series, ends: pd.Series) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """(row position, day) for every day of each inclusive [start, end] range."""
    lengths = ((ends - starts).dt.days + 1).fillna(0).astype("int64").to_numpy()
    positions, offsets = range_offsets(lengths)
    days = pd.DatetimeIndex(starts.to_numpy()[positions]) + pd.to_timedelta(offsets, unit="D")
    return positions, days


def strike_days(raw: pd.DataFrame, max_keys: int) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """One row per day with an active strike: count, max rate, joined reasons."""
    columns = ["day", "strike_count", "strike_rate_pct", "strike_reason"]
    if raw.empty:
        return pd.DataFrame(columns=columns), []
    start = calendar_day(raw["start_date"])
    end = calendar_day(raw["end_date"]) if "end_date" in raw.columns else start
    end = end.fillna(start)
    inverted = end < start
    end = end.where(~inverted, start)
    unparsed = start.isna()
    quality = [
        quality_row(
            INDEX,
            "strike_end_before_start",
            len(raw),
            len(raw),
            key_strings(raw[inverted], ["strike_id"]),
            max_keys,
            rule="end_date before start_date: counted on start_date only",
        ),
        flagged_rows_row(
            INDEX, "strike_without_start_date", raw, unparsed, ["strike_id"], max_keys
        ),
    ]
    kept = raw[~unparsed].reset_index(drop=True)
    positions, days = expand_ranges(
        start[~unparsed].reset_index(drop=True), end[~unparsed].reset_index(drop=True)
    )
    expanded = pd.DataFrame(
        {
            "day": days,
            "strike_id": kept["strike_id"].to_numpy()[positions],
            "strike_rate_pct": pd.to_numeric(kept["strike_rate_pct"], errors="coerce")
            .astype("float64")
            .to_numpy()[positions],
            "reason": kept["reason"].astype("string").str.strip().to_numpy()[positions],
        }
    )
    per_day = (
        expanded.groupby("day")
        .agg(strike_count=("strike_id", "nunique"), strike_rate_pct=("strike_rate_pct", "max"))
        .reset_index()
    )
    reasons = (
        expanded[expanded["reason"].fillna("") != ""]
        .drop_duplicates(["day", "reason"])
        .sort_values(["day", "reason"])
        .groupby("day")["reason"]
        .agg("; ".join)
        .rename("strike_reason")
        .reset_index()
    )
    per_day = per_day.merge(reasons, on="day", how="left")
    return per_day[columns], quality


def add_calendar_features(
    frame: pd.DataFrame,
    strikes: pd.DataFrame,
    public_holidays: pd.DataFrame,
    school_holidays: pd.DataFrame,
    max_keys: int,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Strike, holiday and calendar columns for every (region_code, day) row of ``frame``."""
    quality: list[dict[str, Any]] = []
    out = frame.merge(strikes, on="day", how="left")
    out["strike_count"] = out["strike_count"].fillna(0).astype("int64")
    out["strike_active"] = out["strike_count"] > 0
    out["strike_reason"] = out["strike_reason"].astype("string")
    if len(strikes):
        in_range = strikes["day"].between(frame["day"].min(), frame["day"].max())
        quality.append(
            quality_row(
                INDEX,
                "strike_days_without_consumption",
                len(strikes),
                int(in_range.sum()),
                [],
                max_keys,
                days_outside_consumption_range=int((~in_range).sum()),
            )
        )

    holidays = public_holidays.assign(day=calendar_day(public_holidays["date"]))
    if "zone" in holidays.columns:
        holidays = holidays[holidays["zone"].isna() | holidays["zone"].isin(["Métropole"])]
    holiday_names = (
        holidays.groupby("day")["name"]
        .agg(lambda s: " / ".join(sorted({str(v) for v in s.dropna()})))
        .rename("public_holiday_name")
        .reset_index()
    )
    out = out.merge(holiday_names, on="day", how="left")
    out["public_holiday_name"] = out["public_holiday_name"].astype("string")
    out["is_public_holiday"] = out["public_holiday_name"].notna()
    if len(holiday_names):
        years_covered = set(holiday_names["day"].dt.year)
        uncovered = out.loc[~out["day"].dt.year.isin(years_covered), "day"].dt.year.unique()
    else:
        uncovered = out["day"].dt.year.unique()
    quality.append(
        quality_row(
            INDEX,
            "years_without_public_holidays",
            len(out),
            len(out),
            sorted(str(y) for y in uncovered),
            max_keys,
            rule="no public-holiday row for the year: is_public_holiday is false there",
        )
    )

    out["school_zone"] = out["region_code"].map(
        {code: school_zone_of(code) for code in out["region_code"].unique()}
    )
    school = (
        school_holidays.assign(
            start=calendar_day(school_holidays["start_date"]),
            end=calendar_day(school_holidays["end_date"]),
        )
        .dropna(subset=["start", "end"])
        .reset_index(drop=True)
    )
    positions, days = expand_ranges(school["start"], school["end"])
    school_days = pd.DataFrame(
        {"school_zone": school["zone"].astype("string").to_numpy()[positions], "day": days}
    ).drop_duplicates()
    school_days["is_school_holiday"] = True
    out = out.merge(school_days, on=["school_zone", "day"], how="left")
    out["is_school_holiday"] = out["is_school_holiday"].astype("boolean").fillna(False).astype(bool)
    coverage = school.groupby("zone").agg(first=("start", "min"), last=("end", "max"))
    first = out["school_zone"].map(coverage["first"])
    last = out["school_zone"].map(coverage["last"])
    outside = out[first.isna() | (out["day"] < first) | (out["day"] > last)]
    quality.append(
        quality_row(
            INDEX,
            "days_outside_school_calendar",
            len(out),
            len(out),
            key_strings(outside, ["region_code", "day"]),
            max_keys,
            rule="the school calendar of the region's zone does not cover the day: "
            "is_school_holiday is false there",
        )
    )

    out[list(DAY_FIELD_COLUMNS)] = calendar_fields(out["day"])
    return out.drop(columns=["school_zone"]), quality


def consumption_movements_index(
    daily_consumption: pd.DataFrame,
    raw_strikes: pd.DataFrame,
    raw_public_holidays: pd.DataFrame,
    raw_school_holidays: pd.DataFrame,
    params: dict[str, Any],
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """``consommation_mouvements``: consumption x strikes x holidays x calendar."""
    max_keys = int(params.get("max_detail_keys", 200))
    strikes, quality = strike_days(raw_strikes, max_keys)
    consumption_columns = [
        c for c in CONSOMMATION_MOUVEMENTS.columns if c in daily_consumption.columns
    ]
    base = daily_consumption[consumption_columns]
    merged, calendar_quality = add_calendar_features(
        base, strikes, raw_public_holidays, raw_school_holidays, max_keys
    )
    quality.extend(calendar_quality)
    quality.append(quality_row(INDEX, "rows", len(base), len(merged), [], max_keys))
    index = CONSOMMATION_MOUVEMENTS.select(merged).sort_values(["region_code", "day"])
    index["day"] = as_date(index["day"])
    return index.reset_index(drop=True), quality
