"""Value rules and transforms of a source declaration, as data.

Each rule knows its column (the quarantine ``field``), its reason text and its check, and
evaluates that check two ways that agree row for row:

- :meth:`Rule.failed`: a boolean mask over a typed pandas frame (the ETL's validation);
- :meth:`Rule.sql`: a DuckDB boolean expression over the same typed columns, true where the row
  fails (for an ingestion path that validates inside DuckDB).

A NULL value never fails a value rule (emptiness is :class:`Required`'s business). Bounds and
allowed values are either literals or a :class:`Param`: a named value of the ``etl.tolerances``
parameters (``conf/base/parameters_etl_pipeline.yml``), read at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# Defaults of the `etl.tolerances` parameters (the values of parameters_etl_pipeline.yml), used
# when a caller passes none.
DEFAULT_PARAMETERS: dict[str, Any] = {
    "temperature_c": [-40.0, 50.0],
    "price_eur_l": [0.2, 5.0],
    # older flux exports give prices in thousandths of a euro (1825 = 1.825 €/L)
    "price_thousandths_above": 100.0,
    "fuels": ["Gazole", "SP95", "SP98", "E10", "E85", "GPLc"],
    "percent": [0.0, 100.0],
    "gas_daily_sum_rel_tolerance": 0.01,
    "school_zones": ["A", "B", "C", "Corse"],
}


def parameters(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``etl.tolerances`` parameters over their defaults."""
    return {**DEFAULT_PARAMETERS, **dict(params or {})}


@dataclass(frozen=True)
class Param:
    """A value read from the ``etl.tolerances`` parameters by name."""

    name: str

    def get(self, params: Mapping[str, Any]) -> Any:
        try:
            return params[self.name]
        except KeyError:
            raise KeyError(f"parameter etl.tolerances.{self.name} is not set") from None


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


@dataclass(frozen=True)
class Between:
    """``low <= column <= high``, bounds given or a :class:`Param` holding ``[low, high]``."""

    column: str
    bounds: tuple[float, float] | Param
    unit: str = ""

    def _bounds(self, params: Mapping[str, Any]) -> tuple[float, float]:
        low, high = _value(self.bounds, params)
        return float(low), float(high)

    def reason(self, params: Mapping[str, Any]) -> str:
        low, high = self._bounds(params)
        return f"{self.column} outside [{low:g}, {high:g}] {self.unit}"

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
