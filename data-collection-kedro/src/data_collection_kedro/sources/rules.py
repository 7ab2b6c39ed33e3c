"""Value rules and transforms of a source declaration, as data.

Each rule knows its column (the quarantine ``field``), its reason text and its check, and
evaluates that check two ways that agree row for row:

- :meth:`Rule.failed`: a boolean mask over a typed pandas frame (the ETL's validation);
- :meth:`Rule.sql`: a DuckDB boolean expression over the same typed columns, true where the row
  fails (for an ingestion path that validates inside DuckDB).

A NULL value never fails a value rule (emptiness is :class:`Required`'s business). Bounds and
allowed values are either literals or a :class:`Param`: a named value of the ``etl.tolerances``
parameters (``conf/base/parameters_etl_pipeline.yml``; a dotted name reads a nested value),
read at run time. Each rule also states what it expected (:meth:`Rule.expected`), stored with
the offending value in the quarantine row. ``today`` (the run's Europe/Paris calendar day) is a
parameter too, so date windows are reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# Defaults of the `etl.tolerances` parameters (the values of parameters_etl_pipeline.yml), used
# when a caller passes none.
DEFAULT_PARAMETERS: dict[str, Any] = {
    # plausible ranges per measure and unit (docs/data-contracts.md, "Value rules")
    "consumption_mw": [0.0, 300_000.0],
    "consumption_mwh_per_hour": [0.0, 300_000.0],
    "consumption_mwh_per_day": [0.0, 7_200_000.0],
    "wind_kmh": [0.0, 300.0],
    "visibility_km": [0.0, 100.0],
    "headcount": [0.0, 1_000_000.0],
    # [first year, horizon in days after today] of each source's dates
    "date_windows": {
        "consumption_regional": [2012, 2],
        "consumption_national": [2012, 2],
        "gas_load_curve": [2012, 2],
        "weather_regional": [2016, 16],
        "weather_historique": [2009, 16],
        "weather_forecast": [2016, 16],
        "fuel_prices": [2007, 2],
        "fuel_shortages": [2007, 2],
        "strikes": [2002, 366],
        "holidays": [2000, 1200],
    },
    # one definition of a missing value for every reader: an empty or blank cell, plus these
    # tokens (none: "N/A" or "NaN" in a number column is quarantined as unparsable)
    "null_tokens": [],
    "temperature_c": [-40.0, 50.0],
    "price_eur_l": [0.2, 5.0],
    # older flux exports give prices in thousandths of a euro (1825 = 1.825 €/L)
    "price_thousandths_above": 100.0,
    "fuels": ["Gazole", "SP95", "SP98", "E10", "E85", "GPLc"],
    "percent": [0.0, 100.0],
    "gas_daily_sum_rel_tolerance": 0.01,
    "school_zones": ["A", "B", "C", "Corse"],
}


def paris_today() -> date:
    """Today's calendar day in Europe/Paris (the sources' time zone)."""
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def parameters(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``etl.tolerances`` parameters over their defaults, with ``today`` (a ``date``;
    default: :func:`paris_today`)."""
    merged = {**DEFAULT_PARAMETERS, **dict(params or {})}
    today = merged.get("today")
    if today is None:
        merged["today"] = paris_today()
    elif not isinstance(today, date):
        merged["today"] = date.fromisoformat(str(today))
    return merged


@dataclass(frozen=True)
class Param:
    """A value read from the ``etl.tolerances`` parameters by name (dots: nested keys)."""

    name: str

    def get(self, params: Mapping[str, Any]) -> Any:
        value: Any = params
        for part in self.name.split("."):
            if not isinstance(value, Mapping) or part not in value:
                raise KeyError(f"parameter etl.tolerances.{self.name} is not set")
            value = value[part]
        return value


def _value(value: Any, params: Mapping[str, Any]) -> Any:
    return value.get(params) if isinstance(value, Param) else value


def quote(column: str) -> str:
    """A DuckDB identifier."""
    return '"' + column.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A DuckDB literal (number or string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value))
    return "'" + str(value).replace("'", "''") + "'"


def _mask(condition: pd.Series) -> np.ndarray:
    """True where the condition holds (NULL → False)."""
    return condition.fillna(False).to_numpy(dtype=bool)


class Rule(Protocol):
    """A value rule: a failing row goes to the quarantine with ``reason`` on ``column``."""

    @property
    def column(self) -> str: ...

    def reason(self, params: Mapping[str, Any]) -> str: ...

    def failed(self, frame: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray: ...

    def sql(self, params: Mapping[str, Any]) -> str: ...

    def expected(self, params: Mapping[str, Any]) -> str: ...


class Transform(Protocol):
    """A declarative change of a column's values after the casts."""

    @property
    def column(self) -> str: ...

    def apply(self, values: pd.Series, params: Mapping[str, Any]) -> pd.Series: ...

    def sql(self, params: Mapping[str, Any]) -> str: ...


@dataclass(frozen=True)
class Required:
    """A value is required (checked on the source text, before the casts)."""

    column: str

    def reason(self, params: Mapping[str, Any]) -> str:
        return f"missing value for required field {self.column!r}"

    def failed(self, frame: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
        return frame[self.column].isna().to_numpy(dtype=bool)

    def sql(self, params: Mapping[str, Any]) -> str:
        return f"{quote(self.column)} IS NULL"

    def expected(self, params: Mapping[str, Any]) -> str:
        return "a value"


@dataclass(frozen=True)
class AtLeast:
    """``column >= minimum``; the reason reads ``"<what> <column> below <minimum>"``."""

    column: str
    minimum: float | Param = 0.0
    what: str = "negative value:"

    def reason(self, params: Mapping[str, Any]) -> str:
        return f"{self.what} {self.column} below {float(_value(self.minimum, params)):g}"

    def failed(self, frame: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
        return _mask(frame[self.column] < _value(self.minimum, params))

    def sql(self, params: Mapping[str, Any]) -> str:
        minimum = literal(_value(self.minimum, params))
        return f"coalesce({quote(self.column)} < {minimum}, false)"

    def expected(self, params: Mapping[str, Any]) -> str:
        return f">= {float(_value(self.minimum, params)):g}"


@dataclass(frozen=True)
class Between:
    """``low <= column <= high``, bounds given or a :class:`Param` holding ``[low, high]``."""

    column: str
    bounds: tuple[float, float] | Param
    unit: str = ""
    what: str = ""  # a prefix of the reason, e.g. "implausible consumption:"

    def _bounds(self, params: Mapping[str, Any]) -> tuple[float, float]:
        low, high = _value(self.bounds, params)
        return float(low), float(high)

    def reason(self, params: Mapping[str, Any]) -> str:
        prefix = f"{self.what} " if self.what else ""
        return f"{prefix}{self.column} outside {self.expected(params)}"

    def expected(self, params: Mapping[str, Any]) -> str:
        low, high = self._bounds(params)
        return f"[{low:g}, {high:g}] {self.unit}".rstrip()

    def failed(self, frame: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
        low, high = self._bounds(params)
        values = frame[self.column]
        return _mask((values < low) | (values > high))

    def sql(self, params: Mapping[str, Any]) -> str:
        low, high = self._bounds(params)
        column = quote(self.column)
        return f"coalesce({column} < {literal(low)} OR {column} > {literal(high)}, false)"


@dataclass(frozen=True)
class OneOf:
    """The value is one of ``values`` (given or a :class:`Param`); ``reason`` may use
    ``{values}`` (the allowed values joined by ``", "``)."""

    column: str
    values: tuple[str, ...] | Param
    reason_text: str = "{column} must be one of {values}"

    def allowed(self, params: Mapping[str, Any]) -> list[str]:
        return [str(v) for v in _value(self.values, params)]

    def reason(self, params: Mapping[str, Any]) -> str:
        return self.reason_text.format(column=self.column, values=", ".join(self.allowed(params)))

    def failed(self, frame: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
        values = frame[self.column]
        return (values.notna() & ~values.isin(self.allowed(params))).to_numpy(dtype=bool)

    def sql(self, params: Mapping[str, Any]) -> str:
        allowed = ", ".join(literal(v) for v in self.allowed(params))
        column = quote(self.column)
        return f"({column} IS NOT NULL AND {column} NOT IN ({allowed}))"

    def expected(self, params: Mapping[str, Any]) -> str:
        return "one of " + ", ".join(self.allowed(params))


@dataclass(frozen=True)
class NotBefore:
    """``column >= other`` (e.g. an end date not before the start date)."""

    column: str
    other: str

    def reason(self, params: Mapping[str, Any]) -> str:
        return f"{self.column} before {self.other}"

    def failed(self, frame: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
        return _mask(frame[self.column] < frame[self.other])

    def sql(self, params: Mapping[str, Any]) -> str:
        return f"coalesce({quote(self.column)} < {quote(self.other)}, false)"

    def expected(self, params: Mapping[str, Any]) -> str:
        return f">= {self.other}"


@dataclass(frozen=True)
class SumMatches:
    """The parts add up to ``total`` within a relative tolerance (rows with a missing part
    are not checked)."""

    column: str  # the total
    parts: tuple[str, ...]
    rel_tolerance: float | Param
    what: str = "values"

    def reason(self, params: Mapping[str, Any]) -> str:
        tolerance = float(_value(self.rel_tolerance, params))
        return f"{self.what} do not add up to {self.column} (relative tolerance {tolerance:g})"

    def failed(self, frame: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
        tolerance = float(_value(self.rel_tolerance, params))
        parts = frame[list(self.parts)].sum(axis=1, min_count=len(self.parts))
        total = frame[self.column]
        return _mask((parts - total).abs() > tolerance * total.abs() + 1e-6)

    def sql(self, params: Mapping[str, Any]) -> str:
        tolerance = literal(float(_value(self.rel_tolerance, params)))
        parts = " + ".join(quote(p) for p in self.parts)
        total = quote(self.column)
        return f"coalesce(abs(({parts}) - {total}) > {tolerance} * abs({total}) + 1e-6, false)"

    def expected(self, params: Mapping[str, Any]) -> str:
        tolerance = float(_value(self.rel_tolerance, params))
        return f"{' + '.join(self.parts[:2])} + … = {self.column} (± {tolerance:g} relative)"


@dataclass(frozen=True)
class Matches:
    """The text matches a regular expression (whole value; RE2 and Python ``re`` alike)."""

    column: str
    pattern: str
    reason_text: str

    def reason(self, params: Mapping[str, Any]) -> str:
        return self.reason_text

    def failed(self, frame: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
        values = frame[self.column]
        matched = values.str.fullmatch(self.pattern)
        return (values.notna() & ~matched.fillna(False).astype(bool)).to_numpy(dtype=bool)

    def sql(self, params: Mapping[str, Any]) -> str:
        column = quote(self.column)
        return (
            f"({column} IS NOT NULL AND NOT regexp_full_match({column}, {literal(self.pattern)}))"
        )

    def expected(self, params: Mapping[str, Any]) -> str:
        return f"matching {self.pattern}"


@dataclass(frozen=True)
class Divide:
    """Divide the values by ``by`` — all of them, or those above ``above`` (a unit slip such
    as prices in thousandths of a euro)."""

    column: str
    by: float
    above: float | Param | None = None

    def apply(self, values: pd.Series, params: Mapping[str, Any]) -> pd.Series:
        if self.above is None:
            return values / self.by
        return values.where(values <= _value(self.above, params), values / self.by)

    def sql(self, params: Mapping[str, Any]) -> str:
        column, by = quote(self.column), literal(self.by)
        if self.above is None:
            return f"{column} / {by}"
        above = literal(_value(self.above, params))
        return f"CASE WHEN {column} > {above} THEN {column} / {by} ELSE {column} END"


def slug_sql(column: str, expression: str | None = None) -> str:
    """DuckDB form of :func:`~data_collection_kedro.domain.regions.slugify` (accents, case,
    every run of other characters -> ``-``) of a column (or of an SQL ``expression``)."""
    value = expression or quote(column)
    return (
        f"trim(regexp_replace(lower(strip_accents(CAST({value} AS VARCHAR))), "
        "'[^a-z0-9]+', '-', 'g'), '-')"
    )


def status_rank_sql(expression: str) -> str:
    """DuckDB form of :func:`~data_collection_kedro.domain.normalization.status_ranks`: 0 for
    ``Définitif`` ... unknown or missing statuses after every known one."""
    from data_collection_kedro.domain.normalization import STATUS_ORDER, STATUS_SPELLINGS

    ranks = {slug: STATUS_ORDER.index(status) for slug, status in STATUS_SPELLINGS.items()}
    return _case_sql(slug_sql("", expression), ranks, str(len(STATUS_ORDER)))


def _case_sql(expression: str, mapping: Mapping[str, Any], otherwise: str) -> str:
    """``mapping[expression]``, else ``otherwise``: a list lookup (``expression`` is computed
    once, unlike ``CASE x WHEN …``, which DuckDB evaluates for every branch)."""
    if not mapping:
        return otherwise
    items = sorted(mapping.items())
    keys = ", ".join(literal(k) for k, _ in items)
    values = ", ".join(str(v) if isinstance(v, int) else literal(v) for _, v in items)
    return f"coalesce(([{values}])[list_position([{keys}], {expression})], {otherwise})"


def _day_values(values: pd.Series) -> pd.Series:
    """Calendar days (naive midnight, UTC for zone-aware instants) of dates or timestamps."""
    import pandas as pd

    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values.astype("datetime64[s]").dt.normalize()


@dataclass(frozen=True)
class DateWindow:
    """The day is not before the source's first year and not after today + its horizon;
    ``window`` is ``[first year, horizon days]`` (given or a :class:`Param`)."""

    column: str
    window: tuple[int, int] | Param

    def bounds(self, params: Mapping[str, Any]) -> tuple[date, date]:
        first_year, horizon_days = _value(self.window, params)
        today = params.get("today") or paris_today()
        return date(int(first_year), 1, 1), today + timedelta(days=int(horizon_days))

    def reason(self, params: Mapping[str, Any]) -> str:
        first_year, horizon_days = _value(self.window, params)
        return (
            f"{self.column} outside the source's date window (from {int(first_year)} to "
            f"today + {int(horizon_days)} day(s))"
        )

    def expected(self, params: Mapping[str, Any]) -> str:
        first, last = self.bounds(params)
        return f"[{first.isoformat()}, {last.isoformat()}]"

    def failed(self, frame: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
        import numpy as np
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        first, last = self.bounds(params)
        values = frame[self.column]
        if str(values.dtype) == "date32[day][pyarrow]":  # compared in Arrow, no conversion
            array = values.array.__arrow_array__()
            outside = pc.or_(
                pc.less(array, pa.scalar(first, pa.date32())),
                pc.greater(array, pa.scalar(last, pa.date32())),
            )
            return np.asarray(
                pc.fill_null(outside, False).to_numpy(zero_copy_only=False), dtype=bool
            )
        days = _day_values(values)
        return _mask((days < pd.Timestamp(first)) | (days > pd.Timestamp(last)))

    def sql(self, params: Mapping[str, Any]) -> str:
        first, last = self.bounds(params)
        day = f"CAST({quote(self.column)} AS DATE)"
        return f"coalesce({day} < DATE '{first}' OR {day} > DATE '{last}', false)"


@dataclass(frozen=True)
class RegionMatchesCode:
    """The region name (any spelling) names the region of the INSEE code on the same row."""

    column: str  # the name
    code_column: str

    def reason(self, params: Mapping[str, Any]) -> str:
        return f"{self.column} does not match {self.code_column} (INSEE region code)"

    def expected(self, params: Mapping[str, Any]) -> str:
        return f"the name of the region {self.code_column} gives"

    def failed(self, frame: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
        from data_collection_kedro.domain.regions import region_codes_for

        names, codes = frame[self.column], frame[self.code_column]
        named = names.map(region_codes_for(names.dropna().unique())).astype("str")
        return (names.notna() & codes.notna() & (named.isna() | (named != codes))).to_numpy(
            dtype=bool
        )

    def sql(self, params: Mapping[str, Any]) -> str:
        from data_collection_kedro.domain.regions import REGION_BY_CODE, region_spellings

        name, code = quote(self.column), quote(self.code_column)
        codes = ", ".join(literal(c) for c in sorted(REGION_BY_CODE))
        by_slug = _case_sql(slug_sql(self.column), region_spellings(), "NULL")
        named = f"CASE WHEN trim({name}) IN ({codes}) THEN trim({name}) ELSE {by_slug} END"
        return f"({name} IS NOT NULL AND {code} IS NOT NULL AND ({named}) IS DISTINCT FROM {code})"


@dataclass(frozen=True)
class Canonical:
    """Spellings of a value -> its canonical form, by slug (accents, case, punctuation);
    unknown spellings keep their text, trimmed (``GRTgaz``, ``grtgaz``, ``NaTran`` ->
    ``GRTgaz``)."""

    column: str
    spellings: Mapping[str, str]  # slug -> canonical value

    def apply(self, values: pd.Series, params: Mapping[str, Any]) -> pd.Series:
        from data_collection_kedro.domain.regions import slugify

        uniques = values.dropna().unique()
        mapping = {v: self.spellings.get(slugify(str(v)), str(v).strip()) for v in uniques}
        return values.map(mapping).astype("str")

    def sql(self, params: Mapping[str, Any]) -> str:
        return _case_sql(slug_sql(self.column), self.spellings, f"trim({quote(self.column)})")
