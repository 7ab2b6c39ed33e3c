"""Daily fuel prices per department and fuel, vectorized (numpy) and memory-bounded.

The price of a station and fuel *in force* on a day is its last update on or before that day
(the last update of a day wins), for at most ``max_price_age_days`` days after the update (a
station that stopped updating stops counting). Per (day, department, fuel): min / median / max
of the prices in force, number of stations, and number of stations with an active shortage
(``start_at`` <= day <= ``end_at``, open-ended when ``end_at`` is null) among the
(day, department, fuel) rows that have prices in force. Departments come from
the station postcode (``regions.department_of_postcode``), the region from the department.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.domain.contracts import PRIX_CARBURANTS_JOURNALIER
from data_collection_kedro.domain.regions import (
    DEPARTMENT_TO_REGION,
    REGION_BY_CODE,
    department_of_postcode,
)

from .normalization import as_date, key_strings, map_fuel, quality_row, range_offsets

INDEX = PRIX_CARBURANTS_JOURNALIER.name


def _days(values: pd.Series) -> np.ndarray:
    """Calendar days as int64 days since 1970-01-01."""
    return values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def price_intervals(
    prices: pd.DataFrame, stations: pd.DataFrame, max_age_days: int
) -> pd.DataFrame:
    """Each station/fuel price and the days it is in force (int days ``first``..``last``).

    The last update of a day wins; a price is in force from its update day until the day
    before the next update, at most ``max_age_days`` days, and never after the last update day
    of the whole table.
    """
    frame = prices.assign(first=_days(prices["updated_at"]))
    frame = frame.sort_values("updated_at", kind="stable").drop_duplicates(
        ["station_id", "fuel", "first"], keep="last"
    )
    frame = frame.merge(stations[["station_id", "department_code"]], on="station_id")
    frame = frame.sort_values(["station_id", "fuel", "first"], kind="stable")
    next_first = frame.groupby(["station_id", "fuel"], observed=True)["first"].shift(-1)
    last = np.minimum(frame["first"] + max_age_days - 1, frame["first"].max())
    last = np.where(next_first.notna(), np.minimum(last, next_first.fillna(0) - 1), last)
    return pd.DataFrame(
        {
            "department_code": frame["department_code"].to_numpy(),
            "fuel": frame["fuel"].to_numpy(),
            "first": frame["first"].to_numpy(),
            "last": last.astype(np.int64),
            "price": frame["price_eur_l"].to_numpy(dtype="float64"),
        }
    )


def daily_price_statistics(intervals: pd.DataFrame) -> pd.DataFrame:
    """Min / median / max / count of the prices in force per (day, department, fuel).

    Vectorized and memory-bounded: one fuel at a time, the intervals are expanded to
    (group, day, price) integer/float arrays, sorted once, and each group's statistics read
    from its sorted run (median = mean of the two middle values for an even count).
    """
    columns = ["day", "department_code", "fuel", "price_min_eur_l", "price_median_eur_l"]
    columns += ["price_max_eur_l", "station_count"]
    parts = []
    for fuel, chunk in intervals.groupby("fuel", observed=True, sort=True):
        departments, dept_codes = pd.factorize(chunk["department_code"], sort=True)
        positions, offsets = range_offsets((chunk["last"] - chunk["first"] + 1).to_numpy())
        day = chunk["first"].to_numpy()[positions] + offsets
        lo = int(day.min()) if len(day) else 0
        key = departments[positions].astype(np.int64) * (int(day.max()) - lo + 1 if len(day) else 1)
        key += day - lo
        price = chunk["price"].to_numpy()[positions]
        order = np.lexsort((price, key))
        key, price = key[order], price[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        counts = np.diff(np.r_[starts, len(key)])
        median = (price[starts + (counts - 1) // 2] + price[starts + counts // 2]) / 2
        span = int(day.max()) - lo + 1 if len(day) else 1
        group_key = key[starts]
        parts.append(
            pd.DataFrame(
                {
                    "day": (group_key % span + lo).astype("datetime64[D]").astype("datetime64[ns]"),
                    "department_code": np.asarray(dept_codes)[group_key // span],
                    "fuel": fuel,
                    "price_min_eur_l": price[starts],
                    "price_median_eur_l": median,
                    "price_max_eur_l": price[starts + counts - 1],
                    "station_count": counts.astype(np.int64),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def daily_shortage_counts(
    shortages: pd.DataFrame, stations: pd.DataFrame, first_day: int, last_day: int
) -> pd.DataFrame:
    """Stations with an active shortage per (day, department, fuel), days clipped to the grid."""
    frame = shortages.dropna(subset=["start_at"]).merge(
        stations[["station_id", "department_code"]], on="station_id"
    )
    first = np.maximum(_days(frame["start_at"]), first_day)
    end = frame["end_at"]
    last = np.where(end.notna(), _days(end.fillna(pd.Timestamp(0))), last_day)
    last = np.minimum(last, last_day)
    positions, offsets = range_offsets(last - first + 1)
    expanded = pd.DataFrame(
        {
            "day": (first[positions] + offsets).astype("datetime64[D]").astype("datetime64[ns]"),
            "department_code": frame["department_code"].to_numpy()[positions],
            "fuel": frame["fuel"].to_numpy()[positions],
            "station_id": frame["station_id"].to_numpy()[positions],
        }
    ).drop_duplicates()
    return (
        expanded.groupby(["day", "department_code", "fuel"], observed=True)
        .size()
        .rename("shortage_count")
        .reset_index()
    )


def _stations(raw_stations: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(station_id, department_code, latitude, longitude) and the stations with no department."""
    raw_stations = raw_stations.reindex(
        columns=list(dict.fromkeys([*raw_stations.columns, "latitude", "longitude"]))
    )
    postcodes = raw_stations["postcode"].astype("string")
    departments = {code: department_of_postcode(code) for code in postcodes.dropna().unique()}
    stations = pd.DataFrame(
        {
            "station_id": raw_stations["station_id"].astype("string"),
            "department_code": postcodes.map(departments).astype("string"),
            "latitude": pd.to_numeric(raw_stations["latitude"], errors="coerce"),
            "longitude": pd.to_numeric(raw_stations["longitude"], errors="coerce"),
        }
    ).drop_duplicates("station_id", keep="last")
    unknown = stations["department_code"].isna()
    return stations[~unknown], raw_stations.loc[unknown.to_numpy()]


def daily_fuel_prices(
    raw_stations: pd.DataFrame,
    raw_prices: pd.DataFrame,
    raw_shortages: pd.DataFrame,
    params: dict[str, Any],
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """``prix_carburants_journalier`` rows and their data-quality records."""
    max_keys = int(params.get("max_detail_keys", 200))
    stations, unknown_stations = _stations(raw_stations)
    prices = pd.DataFrame(
        {
            "station_id": raw_prices["station_id"].astype("string"),
            "fuel": map_fuel(raw_prices["fuel"]),
            "updated_at": pd.to_datetime(raw_prices["updated_at"], errors="coerce"),
            "price_eur_l": pd.to_numeric(raw_prices["price_eur_l"], errors="coerce").astype(
                "float64"
            ),
        }
    )
    if getattr(prices["updated_at"].dtype, "tz", None) is not None:
        prices["updated_at"] = (
            prices["updated_at"].dt.tz_convert("Europe/Paris").dt.tz_localize(None)
        )
    raw_shortages = raw_shortages.reindex(
        columns=["station_id", "fuel", "start_at", "end_at", "kind"]
    )
    # A definitive rupture means the station stopped selling the fuel: not a shortage.
    definitive = raw_shortages["kind"].astype("string").str.lower().str.startswith("defini")
    definitive = definitive.fillna(False).astype(bool)
    raw_shortages = raw_shortages[~definitive]
    shortages = pd.DataFrame(
        {
            "station_id": raw_shortages["station_id"].astype("string"),
            "fuel": map_fuel(raw_shortages["fuel"]),
            "start_at": pd.to_datetime(raw_shortages["start_at"], errors="coerce"),
            "end_at": pd.to_datetime(raw_shortages["end_at"], errors="coerce"),
        }
    )
    min_price = float(params.get("min_price_eur_l", 0.3))
    max_price = float(params.get("max_price_eur_l", 5.0))
    out_of_range = prices[~prices["price_eur_l"].between(min_price, max_price)]
    without_station = prices[~prices["station_id"].isin(stations["station_id"])]

    valid = prices[
        prices["price_eur_l"].between(min_price, max_price) & prices["updated_at"].notna()
    ]
    intervals = price_intervals(valid, stations, int(params.get("max_price_age_days", 31)))
    daily = daily_price_statistics(intervals)
    daily_shortages = (
        daily_shortage_counts(
            shortages, stations, int(intervals["first"].min()), int(intervals["first"].max())
        )
        if len(shortages) and len(intervals)
        else None
    )

    key = list(PRIX_CARBURANTS_JOURNALIER.key)
    if daily_shortages is not None and len(daily_shortages):
        daily = daily.merge(daily_shortages, on=key, how="left")
    else:
        daily["shortage_count"] = 0
    daily["day"] = pd.to_datetime(daily["day"]).astype("datetime64[ns]")
    daily["station_count"] = daily["station_count"].fillna(0).astype("int64")
    daily["shortage_count"] = daily["shortage_count"].fillna(0).astype("int64")
    daily["region_code"] = daily["department_code"].map(DEPARTMENT_TO_REGION).astype("string")
    daily["region"] = daily["region_code"].map({c: r.name for c, r in REGION_BY_CODE.items()})
    # Department location (for maps; geo_point in Elasticsearch): mean of its stations.
    centroids = (
        stations.dropna(subset=["latitude", "longitude"])
        .groupby("department_code")[["latitude", "longitude"]]
        .mean()
        .round(5)
    )
    daily["latitude"] = daily["department_code"].map(centroids["latitude"]).astype("float64")
    daily["longitude"] = daily["department_code"].map(centroids["longitude"]).astype("float64")
    for column in ("department_code", "fuel", "region"):
        daily[column] = daily[column].astype("string")
    daily = PRIX_CARBURANTS_JOURNALIER.select(daily).sort_values(key).reset_index(drop=True)

    quality = [
        quality_row(INDEX, "rows", len(prices), len(daily), [], max_keys),
        quality_row(
            INDEX,
            "stations_without_department",
            len(raw_stations),
            len(stations),
            key_strings(unknown_stations, ["station_id", "postcode"]),
            max_keys,
            rule="postcode gives no metropolitan department",
        ),
        quality_row(
            INDEX,
            "prices_without_station",
            len(prices),
            len(prices) - len(without_station),
            sorted(without_station["station_id"].fillna("<NA>").unique()),
            max_keys,
            rows=len(without_station),
        ),
        quality_row(
            INDEX,
            "definitive_shortages_excluded",
            len(definitive),
            int((~definitive).sum()),
            [],
            max_keys,
            rows=int(definitive.sum()),
            rule="kind 'definitive' (fuel no longer sold) is not counted in shortage_count",
        ),
        quality_row(
            INDEX,
            "prices_out_of_range",
            len(prices),
            len(prices) - len(out_of_range),
            key_strings(out_of_range.drop_duplicates("station_id"), ["station_id", "fuel"]),
            max_keys,
            rows=len(out_of_range),
            range_eur_l=[min_price, max_price],
        ),
    ]
    return daily, quality


def daily_fuel_price_index(
    raw_stations: pd.DataFrame,
    raw_prices: pd.DataFrame,
    raw_shortages: pd.DataFrame,
    params: dict[str, Any],
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The ``prix_carburants_journalier`` index (:func:`daily_fuel_prices`, ``day`` as a date)."""
    daily, quality = daily_fuel_prices(raw_stations, raw_prices, raw_shortages, params)
    daily["day"] = as_date(daily["day"])
    return daily, quality
