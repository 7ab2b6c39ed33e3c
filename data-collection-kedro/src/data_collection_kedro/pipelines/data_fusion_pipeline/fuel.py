"""Daily fuel prices per department and fuel, computed with DuckDB SQL on the raw frames.

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

import duckdb
import pandas as pd

from data_collection_kedro.regions import (
    DEPARTMENT_TO_REGION,
    REGION_BY_CODE,
    department_of_postcode,
)

from .normalization import key_strings, map_fuel, quality_row

INDEX = "prix_carburants_journalier"
FUEL_COLUMNS = [
    "day",
    "department_code",
    "fuel",
    "region_code",
    "region",
    "price_min_eur_l",
    "price_median_eur_l",
    "price_max_eur_l",
    "station_count",
    "shortage_count",
    "latitude",
    "longitude",
]

_DAILY_PRICES_SQL = """
WITH valid AS (
    SELECT station_id, fuel, updated_at, price_eur_l, CAST(updated_at AS DATE) AS d
    FROM prices
    WHERE updated_at IS NOT NULL AND price_eur_l BETWEEN $min_price AND $max_price
),
last_of_day AS (
    SELECT station_id, fuel, d, arg_max(price_eur_l, updated_at) AS price
    FROM valid GROUP BY station_id, fuel, d
),
bounds AS (SELECT min(d) AS lo, max(d) AS hi FROM last_of_day),
intervals AS (
    SELECT station_id, fuel, d, price,
           least(
               coalesce(lead(d) OVER (PARTITION BY station_id, fuel ORDER BY d) - 1, DATE '9999-12-31'),
               d + ($max_age - 1)
           ) AS until
    FROM last_of_day
),
expanded AS (
    SELECT i.station_id, i.fuel, i.price,
           CAST(unnest(generate_series(i.d, least(i.until, b.hi), INTERVAL 1 DAY)) AS DATE) AS day
    FROM intervals i, bounds b
)
SELECT e.day, s.department_code, e.fuel,
       min(e.price) AS price_min_eur_l,
       median(e.price) AS price_median_eur_l,
       max(e.price) AS price_max_eur_l,
       count(*) AS station_count
FROM expanded e JOIN stations s USING (station_id)
GROUP BY e.day, s.department_code, e.fuel
"""

_DAILY_SHORTAGES_SQL = """
WITH bounds AS (
    SELECT min(CAST(updated_at AS DATE)) AS lo, max(CAST(updated_at AS DATE)) AS hi FROM prices
),
spans AS (
    SELECT station_id, fuel,
           greatest(CAST(start_at AS DATE), b.lo) AS first_day,
           least(coalesce(CAST(end_at AS DATE), b.hi), b.hi) AS last_day
    FROM shortages, bounds b
    WHERE start_at IS NOT NULL
),
expanded AS (
    SELECT station_id, fuel,
           CAST(unnest(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS DATE) AS day
    FROM spans WHERE first_day <= last_day
)
SELECT e.day, s.department_code, e.fuel, count(DISTINCT e.station_id) AS shortage_count
FROM expanded e JOIN stations s USING (station_id)
GROUP BY e.day, s.department_code, e.fuel
"""


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
    raw_shortages = raw_shortages.reindex(columns=["station_id", "fuel", "start_at", "end_at"])
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

    with duckdb.connect() as con:
        con.register("prices", prices)
        con.register("stations", stations)
        con.register("shortages", shortages)
        daily = con.execute(
            _DAILY_PRICES_SQL,
            {
                "min_price": min_price,
                "max_price": max_price,
                "max_age": int(params.get("max_price_age_days", 31)),
            },
        ).df()
        daily_shortages = con.execute(_DAILY_SHORTAGES_SQL).df() if len(shortages) else None

    key = ["day", "department_code", "fuel"]
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
    daily = daily[FUEL_COLUMNS].sort_values(key).reset_index(drop=True)

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
