"""Feature rules: one definition each, for the fusion, training, evaluation, inference, the anomaly
features, the dashboard and its uploads.

- heating degree days: :data:`HEATING_BASE_TEMPERATURE_C`, :func:`heating_degree_days`,
  :func:`mean_temperature`;
- calendar fields of a day: :func:`calendar_fields`;
- holidays of days no index holds (forecast days, dashboard inputs, uploads), from the libraries
  the ETL reads offline: :func:`library_holidays`;
- a regular daily grid per region: :func:`daily_grid`;
- recent weather (lags, changes, exponential smoothing): :func:`add_weather_history`;
- consumption history (lags, past-only rolling means, trailing level), parameterized by the
  target column: :func:`add_consumption_history`, :func:`trailing_level`.

Functions are pure and vectorized over regions and days. A row's consumption features only see
the days before it; its weather features see its own day (a forecast, at prediction time) and
the days before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from data_collection_kedro.domain.contracts import TEMPERATURE_COLUMNS
from data_collection_kedro.domain.normalization import range_offsets
from data_collection_kedro.domain.regions import NATIONAL_CODE, school_zone_of

# heating_degree_days = max(0, HEATING_BASE_TEMPERATURE_C - temp_mean_c)
HEATING_BASE_TEMPERATURE_C = 17.0
# cooling_degree_days = max(0, temp_mean_c - COOLING_BASE_TEMPERATURE_C): air conditioning
COOLING_BASE_TEMPERATURE_C = 20.0
# Smoothing factor of ``temp_ewm_c`` / ``hdd_ewm`` (exponential mean, ``adjust=False``): the
# day weighs 1/2, the day before 1/4, ...
WEATHER_EWM_ALPHA = 0.5
KEY = ["region_code", "day"]
DAY_WEATHER_COLUMNS = (*TEMPERATURE_COLUMNS, "heating_degree_days")
HOLIDAY_COLUMNS = ("is_public_holiday", "is_school_holiday")
MOVEMENT_COLUMNS = ("strike_active", "strike_count", "strike_rate_pct")
WEATHER_HISTORY_COLUMNS = (
    "temp_mean_c_lag_1",
    "temp_mean_c_lag_2",
    "heating_degree_days_lag_1",
    "temp_mean_change_c",
    "temp_change_week_c",
    "temp_ewm_c",
    "hdd_ewm",
)

Values = TypeVar("Values", float, np.ndarray, pd.Series)


# ------------------------------------------------------------------------------ weather
def heating_degree_days(temp_mean_c: Values, base_c: float = HEATING_BASE_TEMPERATURE_C) -> Values:
    """``max(0, base_c - temp_mean_c)``: the day's heating demand (a missing mean stays missing)."""
    return cast(Values, np.maximum(0.0, base_c - temp_mean_c))


def mean_temperature(temp_min_c: Values, temp_max_c: Values) -> Values:
    """The day's mean temperature when only its minimum and maximum are known."""
    return (temp_min_c + temp_max_c) / 2


def _smoothed(values: pd.Series, groups: pd.Series) -> pd.Series:
    return values.groupby(groups, sort=False).transform(
        lambda s: s.ewm(alpha=WEATHER_EWM_ALPHA, adjust=False, ignore_na=True).mean()
    )


def add_weather_history(frame: pd.DataFrame, by: str = "region_code") -> pd.DataFrame:
    """:data:`WEATHER_HISTORY_COLUMNS`: the days before's temperature and heating degree days,
    the changes over a day and a week, and the exponential smoothing up to the day itself
    (buildings react to the last days' weather).

    ``frame``: ``temp_mean_c`` and ``heating_degree_days`` on a regular daily grid per region
    (:func:`daily_grid`), sorted by region and day.
    """
    frame = frame.copy()
    by_region = frame.groupby(by, sort=False)
    frame["temp_mean_c_lag_1"] = by_region["temp_mean_c"].shift(1)
    frame["temp_mean_c_lag_2"] = by_region["temp_mean_c"].shift(2)
    frame["heating_degree_days_lag_1"] = by_region["heating_degree_days"].shift(1)
    frame["temp_mean_change_c"] = frame["temp_mean_c"] - frame["temp_mean_c_lag_1"]
    frame["temp_change_week_c"] = frame["temp_mean_c"] - by_region["temp_mean_c"].shift(7)
    frame["temp_ewm_c"] = _smoothed(frame["temp_mean_c"], frame[by])
    frame["hdd_ewm"] = _smoothed(frame["heating_degree_days"], frame[by])
    return frame


def cooling_degree_days(temp_mean_c: Values, base_c: float = COOLING_BASE_TEMPERATURE_C) -> Values:
    """``max(0, temp_mean_c - base_c)``: the day's cooling demand (a missing mean stays missing)."""
    return cast(Values, np.maximum(0.0, temp_mean_c - base_c))


# The weather a forecast for day D issued on day I (I < D) sees (:func:`issue_weather`): the
# observed weather up to I - 1, the weather forecast issued on I for the days from I on.
ISSUE_WEATHER_COLUMNS = (
    "temp_min_c",
    "temp_max_c",
    "temp_mean_c",
    "heating_degree_days",
    "cooling_degree_days",
    "temp_min_c_next",
    "temp_mean_c_next",
    "heating_degree_days_next",
    "temp_mean_c_lag_1",
    "temp_mean_c_lag_2",
    "heating_degree_days_lag_2",
    "temp_mean_c_lag_7",
    "temp_ewm_c",
    "hdd_ewm",
    "temp_ewm_c_lag_2",
    "hdd_ewm_lag_2",
    "temp_ewm_change_c",
)
_TEMPERATURES = ("temp_min_c", "temp_max_c", "temp_mean_c")


def _smoothed_matrix(values: np.ndarray) -> np.ndarray:
    """:data:`WEATHER_EWM_ALPHA` smoothing of each column (days in rows), NaN days skipped."""
    frame = pd.DataFrame(values)
    return frame.ewm(alpha=WEATHER_EWM_ALPHA, adjust=False, ignore_na=True).mean().to_numpy()


def _wide_days(
    frame: pd.DataFrame, by: str, days: pd.DatetimeIndex, series: pd.Index
) -> dict[str, np.ndarray]:
    """Each of :data:`_TEMPERATURES` as a (day position, series position) matrix (the first
    row of a repeated series-day wins; NaN where a series has no row)."""
    frame = frame.drop_duplicates([by, "day"])
    x = day_positions(frame["day"], days)
    s = positions_in(frame[by], series)
    inside = (x >= 0) & (s >= 0)
    out = {}
    for column in _TEMPERATURES:
        values = np.full((len(days), len(series)), np.nan)
        values[x[inside], s[inside]] = frame[column].to_numpy(dtype=float)[inside]
        out[column] = values
    return out


class _ForecastLookup:
    """Forecast temperatures by (series position, target day position, lead): the last row of
    each key wins; keys without a row read NaN. Sorted integer keys: memory in the number of
    forecast rows, whatever the leads."""

    def __init__(
        self, forecasts: pd.DataFrame, by: str, series: pd.Index, days: pd.DatetimeIndex
    ) -> None:
        target = as_day(forecasts["day"])
        s = positions_in(forecasts[by].astype(str), series)
        x = day_positions(target, days)
        lead = (target - as_day(forecasts["issue_day"])).dt.days.to_numpy()
        keep = (s >= 0) & (x >= 0) & (lead >= 0)
        self._days = len(days)
        self._leads = int(lead[keep].max()) + 1 if keep.any() else 1
        keys = self._key(s[keep], x[keep], lead[keep])
        # the last row of a repeated key wins: reverse, then keep the first of each key
        reverse = keys[::-1]
        unique, first = np.unique(reverse, return_index=True)
        self._keys = unique
        self._values = {
            c: forecasts[c].to_numpy(dtype=float)[keep][::-1][first] for c in _TEMPERATURES
        }

    def _key(self, s: np.ndarray, x: np.ndarray, lead: np.ndarray) -> np.ndarray:
        return (s.astype(np.int64) * self._days + x) * self._leads + lead

    def get(self, column: str, s: np.ndarray, x: np.ndarray, lead: np.ndarray) -> np.ndarray:
        """The forecast of ``column`` for each key (NaN: none, or a lead out of range)."""
        if not len(self._keys):
            return np.full(len(s), np.nan)
        valid = (lead >= 0) & (lead < self._leads) & (x >= 0) & (x < self._days)
        keys = self._key(s, np.where(valid, x, 0), np.where(valid, lead, 0))
        where = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        found = valid & (self._keys[where] == keys)
        return np.where(found, self._values[column][where], np.nan)


def issue_weather(
    observed: pd.DataFrame,
    rows: pd.DataFrame,
    forecasts: pd.DataFrame | None = None,
    by: str = "region_code",
) -> pd.DataFrame:
    """:data:`ISSUE_WEATHER_COLUMNS` of ``rows`` (``by``, ``day`` = D, ``issue_day`` = I < D+1),
    with only what is known when the forecast is issued.

    A day X before I has its observed weather (``observed``: ``by, day`` + temperatures);
    a day X from I on has the forecast issued on I for X (``forecasts``: ``by, day, issue_day``
    + temperatures; NaN when it has none). ``forecasts=None`` stands for perfect forecasts (the
    observed weather of every day): the training rows and the oracle-weather upper bound.
    Temperatures of D, of D+1 (``*_next``), of D-1, D-2 and D-7 (``*_lag_<k>``); the exponential
    smoothing (:data:`WEATHER_EWM_ALPHA`) of the observed days up to I - 1 continued over the
    forecast days up to D (``temp_ewm_c``, ``hdd_ewm``) and its value on D-2.
    """
    rows_day = as_day(rows["day"])
    issue = as_day(rows["issue_day"])
    observed_day = as_day(observed["day"])
    first = min(
        observed_day.min(),
        rows_day.min() - pd.Timedelta(days=8),
        issue.min() - pd.Timedelta(days=1),
    )
    last = max(observed_day.max(), rows_day.max() + pd.Timedelta(days=1))
    days = pd.date_range(first, last, freq="D")
    obs = observed.assign(day=observed_day, **{by: observed[by].astype(str)})
    names = np.concatenate(
        [obs[by].unique().astype(object), rows[by].astype(str).unique().astype(object)]
    )
    series = pd.Index(sorted(set(names.tolist())), dtype=object)
    wide = _wide_days(obs, by, days, series)
    ewm_obs_values = _smoothed_matrix(wide["temp_mean_c"])
    hdd_ewm_obs = _smoothed_matrix(heating_degree_days(wide["temp_mean_c"]))

    s = positions_in(rows[by].astype(str), series)
    d = day_positions(rows_day, days)
    i = day_positions(issue, days)
    if (i > d).any():
        raise ValueError("issue_weather: an issue day is after its forecast day")
    lookup = None if forecasts is None else _ForecastLookup(forecasts, by, series, days)

    def value(x: np.ndarray, column: str) -> np.ndarray:
        """The weather of day position ``x`` as known on the rows' issue day."""
        known = wide[column][x, s]
        if lookup is None:
            return known
        lead = x - i
        return np.where(lead < 0, known, lookup.get(column, s, x, lead))

    out: dict[str, np.ndarray] = {c: value(d, c) for c in _TEMPERATURES}
    out["heating_degree_days"] = heating_degree_days(out["temp_mean_c"])
    out["cooling_degree_days"] = cooling_degree_days(out["temp_mean_c"])
    out["temp_min_c_next"] = value(d + 1, "temp_min_c")
    out["temp_mean_c_next"] = value(d + 1, "temp_mean_c")
    out["heating_degree_days_next"] = heating_degree_days(out["temp_mean_c_next"])
    out["temp_mean_c_lag_1"] = value(d - 1, "temp_mean_c")
    out["temp_mean_c_lag_2"] = value(d - 2, "temp_mean_c")
    out["heating_degree_days_lag_2"] = heating_degree_days(out["temp_mean_c_lag_2"])
    out["temp_mean_c_lag_7"] = value(d - 7, "temp_mean_c")

    # smoothing: observed up to I - 1, then the days I..D as known on I
    ewm = ewm_obs_values[i - 1, s]
    hdd = hdd_ewm_obs[i - 1, s]
    ewm_lag_2 = ewm_obs_values[d - 2, s].copy()
    hdd_lag_2 = hdd_ewm_obs[d - 2, s].copy()
    for step in range(int((d - i).max()) + 1 if len(d) else 0):
        x = i + step
        active = x <= d
        temp = value(np.minimum(x, d), "temp_mean_c")
        update = active & ~np.isnan(temp)
        first_value = np.isnan(ewm)
        smoothed = np.where(
            first_value, temp, WEATHER_EWM_ALPHA * temp + (1 - WEATHER_EWM_ALPHA) * ewm
        )
        smoothed_hdd = np.where(
            first_value,
            heating_degree_days(temp),
            WEATHER_EWM_ALPHA * heating_degree_days(temp) + (1 - WEATHER_EWM_ALPHA) * hdd,
        )
        ewm = np.where(update, smoothed, ewm)
        hdd = np.where(update, smoothed_hdd, hdd)
        at_lag_2 = active & (x == d - 2)
        ewm_lag_2 = np.where(at_lag_2, ewm, ewm_lag_2)
        hdd_lag_2 = np.where(at_lag_2, hdd, hdd_lag_2)
    out["temp_ewm_c"] = ewm
    out["hdd_ewm"] = hdd
    out["temp_ewm_c_lag_2"] = ewm_lag_2
    out["hdd_ewm_lag_2"] = hdd_lag_2
    out["temp_ewm_change_c"] = ewm - ewm_lag_2
    return pd.DataFrame({c: out[c] for c in ISSUE_WEATHER_COLUMNS}, index=rows.index)


# ---------------------------------------------------------------------------- positions
def positions_in(values: pd.Series | pd.Index, index: pd.Index) -> np.ndarray:
    """The position in ``index`` (unique labels) of each of ``values`` (-1: absent or
    missing), as ``index.get_indexer(values)`` gives it, each distinct value looked up once: a
    series code repeats over thousands of rows, and a lookup of text held by Arrow converts
    the whole column to Python strings first."""
    codes, uniques = pd.factorize(values)
    found = index.get_indexer(pd.Index(uniques))
    return np.append(found, -1)[codes]


def day_positions(days: pd.Series | pd.DatetimeIndex, grid: pd.DatetimeIndex) -> np.ndarray:
    """The position of each of ``days`` in ``grid``, consecutive calendar days (-1: not in
    it, or missing), as ``grid.get_indexer(days)`` gives it, counted in days from its first."""
    values = np.asarray(days, dtype="datetime64[ns]")
    if not len(grid):
        return np.full(len(values), -1, dtype=np.intp)
    delta = values - grid[0].to_datetime64()
    one_day = np.timedelta64(1, "D")
    known = ~np.isnat(delta)
    steps = np.where(known, delta, np.timedelta64(0, "ns"))
    offset = (steps // one_day).astype(np.intp)
    inside = known & (steps % one_day == np.timedelta64(0, "ns"))
    inside &= (offset >= 0) & (offset < len(grid))
    return np.where(inside, offset, -1)


# ----------------------------------------------------------------------------- calendar
def as_day(values: pd.Series | Iterable[object]) -> pd.Series:
    """Calendar days as naive ``datetime64[ns]`` midnights (dates, timestamps or ISO text)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if series.dtype == "datetime64[ns]":  # already days or timestamps: no parsing
        return series.dt.normalize()
    days = pd.to_datetime(series)
    return days.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")


def calendar_fields(days: pd.Series) -> pd.DataFrame:
    """``weekday`` (0 = Monday), ``is_weekend``, ``month``, ``day_of_year``, ``year`` of days."""
    weekday = days.dt.day_of_week.astype("int64")
    return pd.DataFrame(
        {
            "weekday": weekday,
            "is_weekend": weekday >= 5,
            "month": days.dt.month.astype("int64"),
            "day_of_year": days.dt.day_of_year.astype("int64"),
            "year": days.dt.year.astype("int64"),
        },
        index=days.index,
    )


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> dict[dt.date, str]:
    import holidays

    return dict(holidays.country_holidays("FR", years=year, language="fr"))


@lru_cache(maxsize=64)
def _public_holiday_series(first_year: int, last_year: int) -> pd.Series:
    """The public holidays of the years ``first_year..last_year``: their names indexed by
    day (``datetime64``), sorted; each year computed once per process."""
    names: dict[dt.date, str] = {}
    for year in range(first_year, last_year + 1):
        names.update(_public_holidays(year))
    index = pd.DatetimeIndex(sorted(names)).astype("datetime64[ns]")
    return pd.Series([names[day.date()] for day in index], index=index, dtype="string")


@lru_cache(maxsize=1)
def _school_holidays_by_zone() -> dict[str, np.ndarray]:
    """The school holiday days of each zone (A, B, C) as sorted ``datetime64[ns]`` arrays,
    from one read of the ``vacances-scolaires-france`` package's table per process: its
    ``data/data.csv`` (``date`` and a ``vacances_zone_<a|b|c>`` flag per day) read as one
    frame, where the package's own loader (``SchoolHolidayDates``) parses it line by line."""
    from importlib.resources import files

    zones = ("A", "B", "C")
    flags = [f"vacances_zone_{zone.lower()}" for zone in zones]
    with (files("vacances_scolaires_france") / "data" / "data.csv").open("rb") as table:
        data = pd.read_csv(table, usecols=["date", *flags], dtype=str)
    days = pd.to_datetime(data["date"], format="%Y-%m-%d").to_numpy(dtype="datetime64[ns]")
    return {
        zone: np.sort(days[(data[flag] == "True").to_numpy(dtype=bool)])
        for zone, flag in zip(zones, flags, strict=True)
    }


def _school_holiday_days(zone: str) -> np.ndarray:
    return _school_holidays_by_zone().get(zone.upper(), np.array([], dtype="datetime64[ns]"))


def _day_values(days: pd.Series) -> np.ndarray:
    """``datetime64[ns]`` midnights of :func:`as_day` days (NaT stays NaT)."""
    return days.to_numpy(dtype="datetime64[ns]")


def _holidays_of(days: pd.Series) -> pd.Series:
    """The public holidays (names by day) of the years ``days`` span."""
    values = _day_values(days)
    known = values[~np.isnat(values)]
    if not len(known):
        return pd.Series([], index=pd.DatetimeIndex([]), dtype="string")
    years = known.astype("datetime64[Y]").astype(int) + 1970
    return _public_holiday_series(int(years.min()), int(years.max()))


def library_holidays(keys: pd.DataFrame) -> pd.DataFrame:
    """``is_public_holiday``, ``public_holiday_name``, ``is_school_holiday`` of ``region_code, day``
    rows, from the ``holidays`` (France, métropole) and ``vacances-scolaires-france`` packages
    the ETL reads offline. A school holiday applies to the region's zone (A/B/C); Corse and the
    years the package does not publish count as no school holiday."""
    days = as_day(keys["day"])
    values = _day_values(days)
    holidays = _holidays_of(days)
    public_name = pd.Series(
        holidays.reindex(pd.DatetimeIndex(values)).to_numpy(), index=keys.index, dtype="string"
    )
    zones = keys["region_code"].astype(str).map(school_zone_of)
    school = np.zeros(len(keys), dtype=bool)
    for zone in zones.dropna().unique():
        if zone in {"A", "B", "C"}:
            in_zone = (zones == zone).to_numpy()
            school[in_zone] = np.isin(values[in_zone], _school_holiday_days(zone))
    return pd.DataFrame(
        {
            "is_public_holiday": public_name.notna().to_numpy(),
            "public_holiday_name": public_name,
            "is_school_holiday": school,
        },
        index=keys.index,
    )


def _is_public_holiday(days: pd.Series) -> np.ndarray:
    day = as_day(days)
    return np.isin(_day_values(day), _holidays_of(day).index.to_numpy(dtype="datetime64[ns]"))


def school_holiday_share(days: pd.Series) -> pd.Series:
    """Share of the school zones A, B and C on holiday on each day (the national series)."""
    values = _day_values(as_day(days))
    share = sum(np.isin(values, _school_holiday_days(zone)).astype(float) for zone in "ABC") / 3
    return pd.Series(np.asarray(share, dtype=float), index=days.index)


# The calendar of an operational forecast row (:func:`day_features`): the day's fields and
# holidays, the bridge days ("ponts": a Monday before or a Friday after a public holiday), the
# days next to a holiday, and the holidays of the days whose consumption the row sees as lags.
DAY_FEATURE_COLUMNS = (
    "weekday",
    "is_weekend",
    "month",
    "day_of_year",
    "is_public_holiday",
    "is_school_holiday",
    "is_bridge_day",
    "is_day_before_holiday",
    "is_day_after_holiday",
    "is_public_holiday_lag_2",
    "is_bridge_day_lag_2",
    "is_public_holiday_lag_7",
)


def _holiday_context(days: pd.Series) -> dict[str, np.ndarray]:
    day = as_day(days)
    weekday = day.dt.day_of_week.to_numpy()
    holiday = _is_public_holiday(day)
    before = _is_public_holiday(day + pd.Timedelta(days=1))
    after = _is_public_holiday(day - pd.Timedelta(days=1))
    bridge = ~holiday & (((weekday == 0) & before) | ((weekday == 4) & after))
    return {"holiday": holiday, "bridge": bridge, "before": before, "after": after}


def day_features(keys: pd.DataFrame, by: str = "region_code") -> pd.DataFrame:
    """:data:`DAY_FEATURE_COLUMNS` (floats) of ``by, day`` rows, from the date and the holiday
    libraries (:func:`library_holidays`): the same rule for past and future days. The national
    series (``regions.NATIONAL_CODE``) gets the share of the school zones on holiday."""
    day = as_day(keys["day"])
    fields = calendar_fields(day)
    today = _holiday_context(day)
    lag_2 = _holiday_context(day - pd.Timedelta(days=2))
    school = library_holidays(pd.DataFrame({"region_code": keys[by].astype(str), "day": day}))
    national = (keys[by].astype(str) == NATIONAL_CODE).to_numpy()
    school_value = school["is_school_holiday"].to_numpy(dtype=float)
    if national.any():
        school_value = np.where(national, school_holiday_share(day).to_numpy(), school_value)
    columns = {
        "weekday": fields["weekday"].to_numpy(dtype=float),
        "is_weekend": fields["is_weekend"].to_numpy(dtype=float),
        "month": fields["month"].to_numpy(dtype=float),
        "day_of_year": fields["day_of_year"].to_numpy(dtype=float),
        "is_public_holiday": today["holiday"].astype(float),
        "is_school_holiday": school_value,
        "is_bridge_day": today["bridge"].astype(float),
        "is_day_before_holiday": today["before"].astype(float),
        "is_day_after_holiday": today["after"].astype(float),
        "is_public_holiday_lag_2": lag_2["holiday"].astype(float),
        "is_bridge_day_lag_2": lag_2["bridge"].astype(float),
        "is_public_holiday_lag_7": _is_public_holiday(day - pd.Timedelta(days=7)).astype(float),
    }
    return pd.DataFrame(columns, index=keys.index)


# ---------------------------------------------------------------------------------- grid
def daily_grid(frame: pd.DataFrame, by: str = "region_code") -> pd.DataFrame:
    """``frame`` on a regular daily grid: one row per region and day from its first to its last
    day (the first row of a repeated region-day wins; added days have missing values).

    ``frame`` has ``by`` and ``day`` (``datetime64``) columns; rows come sorted by region and day.
    """
    frame = frame.drop_duplicates([by, "day"])
    bounds = frame.groupby(by, sort=True)["day"].agg(["min", "max"])
    lengths = ((bounds["max"] - bounds["min"]).dt.days + 1).to_numpy()
    positions, offsets = range_offsets(lengths)
    grid = pd.DataFrame(
        {
            by: bounds.index.to_numpy()[positions],
            "day": bounds["min"].to_numpy()[positions] + pd.to_timedelta(offsets, unit="D"),
        }
    )
    return grid.merge(frame, on=[by, "day"], how="left")


# ---------------------------------------------------------------------- consumption history
# A rolling mean needs at least this share of its window (5 of 7 days, 20 of 28).
ROLLING_MIN_SHARE = 5 / 7


@dataclass(frozen=True)
class HistorySpec:
    """The consumption history a row of day D sees: only the days up to ``D - gap_days``.

    ``gap_days`` is 1 when the day before is known; an operational day-ahead forecast issued
    on D-1 knows the consumption up to D-2 (``gap_days = 2``, see ``domain.forecast_time``).
    Columns (:attr:`columns`): ``lag_<k>_mwh`` (the value k days before, every k >= gap),
    ``rolling_mean_<w>_mwh`` (mean of the w days ending at D - gap, at least
    :data:`ROLLING_MIN_SHARE` of them) and ``level_mwh`` (mean of the ``level_window_days``
    days ending at D - gap, at least ``level_min_periods``).
    """

    gap_days: int = 1
    lags: tuple[int, ...] = (1, 7, 364)
    windows: tuple[int, ...] = (7, 28)
    level_window_days: int = 365
    level_min_periods: int = 28

    def __post_init__(self) -> None:
        if self.gap_days < 1:
            raise ValueError(f"gap_days must be >= 1 (the day itself is never known), got {self}")
        early = [k for k in self.lags if k < self.gap_days]
        if early:
            raise ValueError(
                f"lag(s) {early} day(s) are not known: the consumption is known up to "
                f"D-{self.gap_days} (gap_days={self.gap_days}); use lags >= {self.gap_days}"
            )

    @property
    def columns(self) -> tuple[str, ...]:
        return (
            *(f"lag_{k}_mwh" for k in self.lags),
            *(f"rolling_mean_{w}_mwh" for w in self.windows),
            "level_mwh",
        )

    @classmethod
    def from_params(cls, params: Mapping[str, Any], gap_days: int = 1) -> HistorySpec:
        """From ``lags``, ``windows``, ``level_window_days``, ``level_min_periods`` entries."""
        default = cls()
        return cls(
            gap_days=gap_days,
            lags=tuple(int(k) for k in params.get("lags", default.lags)),
            windows=tuple(int(w) for w in params.get("windows", default.windows)),
            level_window_days=int(params.get("level_window_days", default.level_window_days)),
            level_min_periods=int(params.get("level_min_periods", default.level_min_periods)),
        )


def _rolling_mean(
    values: np.ndarray, window: int, min_periods: int, rows: np.ndarray
) -> np.ndarray:
    """Mean of the ``window`` rows ending at each of ``rows`` (NaN ignored, at least
    ``min_periods`` values), per column, from cumulative sums (vectorized over the columns)."""
    known = ~np.isnan(values)
    zeros = np.zeros((1, values.shape[1]))
    sums = np.concatenate([zeros, np.cumsum(np.where(known, values, 0.0), axis=0)])
    counts = np.concatenate([zeros, np.cumsum(known, axis=0)])
    end = rows + 1
    start = np.maximum(end - window, 0)
    total, count = sums[end] - sums[start], counts[end] - counts[start]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count >= min_periods, total / count, np.nan)


def consumption_history(
    values: np.ndarray, spec: HistorySpec, rows: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """:attr:`HistorySpec.columns` of a consumption matrix: one row per consecutive day, one
    column per series (a region, a path of a recursive forecast, ...); NaN = unknown. Only the
    matrix rows ``rows`` when given (default: every row).

    The one definition of the consumption history: training, evaluation and the recursive
    forecasts of :mod:`data_collection_kedro.modeling.inference` all call it.
    """
    values = np.asarray(values, dtype=float)
    rows = np.arange(len(values)) if rows is None else np.asarray(rows, dtype=int)
    # position 0 of ``padded``: a day before the first one (unknown)
    padded = np.concatenate([np.full((1, values.shape[1]), np.nan), values])
    out = {f"lag_{k}_mwh": padded[np.maximum(rows - k, -1) + 1] for k in spec.lags}
    last_seen = rows - spec.gap_days  # the windows end at D - gap
    windows = [
        (f"rolling_mean_{w}_mwh", w, max(1, round(w * ROLLING_MIN_SHARE))) for w in spec.windows
    ]
    windows.append(("level_mwh", spec.level_window_days, spec.level_min_periods))
    for column, window, minimum in windows:
        means = _rolling_mean(values, window, minimum, np.maximum(last_seen, 0))
        out[column] = np.where((last_seen >= 0)[:, None], means, np.nan)
    return out


class SeriesDayGrid:
    """The rows of a frame (``by``, ``day``; one row per series and day, the first of a
    repeated one kept) on the grid of its series (sorted labels) and its days (first to last):
    values as (day, series) matrices, keys located without a merge (a left merge's lookup)."""

    def __init__(self, frame: pd.DataFrame, by: str = "region_code") -> None:
        days = as_day(frame["day"])
        self.days = pd.date_range(days.min(), days.max(), freq="D")
        self.series = pd.Index(sorted(frame[by].astype(str).unique()), dtype=object)
        x = day_positions(days, self.days)
        s = positions_in(frame[by].astype(str), self.series)
        self.row = np.full((len(self.days), len(self.series)), -1, dtype=np.intp)
        valid = np.flatnonzero((x >= 0) & (s >= 0))
        first = valid[np.unique(x[valid] * len(self.series) + s[valid], return_index=True)[1]]
        self.row[x[first], s[first]] = first
        self.x, self.s = x, s

    def matrix(self, values: pd.Series) -> np.ndarray:
        """``values`` (one per row of the frame) as a (day, series) matrix; NaN: no row."""
        out = np.full(self.row.shape, np.nan)
        present = self.row >= 0
        out[present] = values.to_numpy(dtype=float, na_value=np.nan)[self.row[present]]
        return out

    @property
    def shape(self) -> tuple[int, int]:
        """(days, series) of the grid."""
        return (len(self.days), len(self.series))

    def locate(
        self, keys: pd.DataFrame, by: str = "region_code"
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(day, series, row) positions of ``keys`` (``by``, ``day``): row -1 when the frame
        has no row for the key (day and series then -1 too)."""
        x = day_positions(as_day(keys["day"]), self.days)
        s = positions_in(keys[by].astype(str), self.series)
        found = (x >= 0) & (s >= 0)
        row = np.where(found, self.row[np.maximum(x, 0), np.maximum(s, 0)], -1)
        found &= row >= 0
        return np.where(found, x, -1), np.where(found, s, -1), row


def add_consumption_history(
    frame: pd.DataFrame,
    target: str = "target_mwh",
    spec: HistorySpec | None = None,
    by: str = "region_code",
) -> pd.DataFrame:
    """``frame`` with the :attr:`HistorySpec.columns` of ``target`` per ``by`` series
    (:func:`consumption_history` on the series' days; days absent from ``frame`` count as
    unknown). ``frame`` has ``by``, ``day`` (``datetime64``) and ``target``; one row per series
    and day.
    """
    spec = spec or HistorySpec()
    frame = frame.copy()
    if frame.empty:
        for column in spec.columns:
            frame[column] = np.nan
        return frame
    grid = SeriesDayGrid(frame, by)
    for column, values in consumption_history(grid.matrix(frame[target]), spec).items():
        frame[column] = values[grid.x, grid.s]
    return frame


def consumption_history_at(
    frame: pd.DataFrame,
    keys: pd.DataFrame,
    target: str = "target_mwh",
    spec: HistorySpec | None = None,
    by: str = "region_code",
) -> pd.DataFrame:
    """The :attr:`HistorySpec.columns` of the rows of ``frame`` with the ``by`` and ``day`` of
    ``keys`` (indexed like ``keys``; NaN where ``frame`` has no such row): the values
    :func:`add_consumption_history` gives those rows, computed for their days only."""
    spec = spec or HistorySpec()
    out = pd.DataFrame(index=keys.index)
    if frame.empty:
        for column in spec.columns:
            out[column] = np.nan
        return out
    grid = SeriesDayGrid(frame, by)
    x, s, _ = grid.locate(keys, by)
    found = x >= 0
    days = np.unique(x[found])
    history = consumption_history(grid.matrix(frame[target]), spec, rows=days)
    at = np.searchsorted(days, x[found])
    for column, values in history.items():
        column_values = np.full(len(keys), np.nan)
        column_values[found] = values[at, s[found]]
        out[column] = column_values
    return out


def values_at(
    frame: pd.DataFrame, keys: pd.DataFrame, columns: list[str], by: str = "region_code"
) -> pd.DataFrame:
    """``columns`` of the rows of ``frame`` with the ``by`` and ``day`` of ``keys`` (indexed
    like ``keys``; missing where ``frame`` has no such row): a left merge on the key without
    its cost."""
    if frame.empty:
        return pd.DataFrame({c: frame[c].iloc[0:0] for c in columns}).reindex(keys.index)
    _, _, row = SeriesDayGrid(frame, by).locate(keys, by)
    taken = frame[columns].take(np.maximum(row, 0)).set_axis(keys.index)
    return taken.where(pd.Series(row >= 0, index=keys.index), axis=0)


def trailing_level(
    history: pd.DataFrame,
    region_code: str,
    day: dt.date,
    target: str,
    window_days: int = 365,
    min_periods: int = 28,
) -> float:
    """``level_mwh`` of ``region_code`` on ``day`` (:func:`add_consumption_history` on the region's
    ``history``); for a day after the last observed one, the level of the day after it.

    Raises ``ValueError`` (French message, shown by the dashboard) when the region has no
    ``target`` value or fewer than ``min_periods`` in the window.
    """
    rows = history.loc[history["region_code"].astype(str) == region_code, ["day", target]]
    values = pd.DataFrame(
        {
            "region_code": region_code,
            "day": as_day(rows["day"]),
            target: pd.to_numeric(rows[target], errors="coerce"),
        }
    )
    observed = values.loc[values[target].notna(), "day"]
    if observed.empty:
        raise ValueError(f"aucune consommation ({target}) connue pour la région {region_code}")
    end = min(pd.Timestamp(day), observed.max() + pd.Timedelta(days=1))
    until_end = values[values["day"] < end]
    grid = daily_grid(
        pd.concat(
            [until_end, pd.DataFrame({"region_code": [region_code], "day": [end]})],
            ignore_index=True,
        ).sort_values("day", kind="stable")
    )
    spec = HistorySpec(
        lags=(), windows=(), level_window_days=window_days, level_min_periods=min_periods
    )
    level = add_consumption_history(grid, target, spec)["level_mwh"].iloc[-1]
    if pd.isna(level):
        known = int(
            until_end.loc[until_end["day"] >= end - pd.Timedelta(days=window_days)][target].count()
        )
        raise ValueError(
            f"historique insuffisant pour la région {region_code} avant le {day:%d/%m/%Y} : "
            f"{known} jour(s) de {target}, au moins {min_periods} nécessaires"
        )
    return float(level)
