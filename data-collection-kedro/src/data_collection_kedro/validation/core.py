"""Vectorized validation of source frames: header matching, casts, quarantine.

A declared :class:`~data_collection_kedro.sources.registry.Table` lists the columns a source
must (or may) carry, with the header labels accepted for each (matched tolerantly: case,
accents, spaces/underscores/punctuation, BOM). The casts (:data:`CASTS`, one per column type)
are vectorized; :class:`Validator` records, per failing check, a boolean mask, and
:meth:`Validator.split` returns the good rows and a quarantine frame (``docs/data-contracts.md``
§2, ``raw_quarantine``) with one row per failing (row, field). Nothing is row-by-row Python
except the JSON of the quarantined rows themselves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data_collection_kedro.datasets.source_files import (
    MALFORMED_ROWS_ATTR,
    SOURCE_FILE,
    SOURCE_FILES_ATTR,
    SOURCE_HEADERS_ATTR,
    SOURCE_LINE,
    natural_key,
)
from data_collection_kedro.domain.normalization import status_ranks
from data_collection_kedro.domain.regions import region_code_for, slugify
from data_collection_kedro.sources.errors import SourceError
from data_collection_kedro.sources.registry import QUARANTINE, ColumnType, Table

QUARANTINE_COLUMNS = [c.name for c in QUARANTINE.columns]
INGESTED_AT = "_ingested_at"


class MissingColumnError(SourceError, ValueError):
    """A source file lacks a required column (the whole file is rejected)."""


# C0 controls and DEL, but not TAB, LF, CR (a quoted field may hold a line break)
CONTROL_CHARACTERS = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]"
_CONTROL = re.compile(CONTROL_CHARACTERS)


def printable(text: str) -> str:
    """``text`` with its control characters written as ``\\xNN`` (safe to store and show)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def normalize_nulls(values: pd.Series, tokens: Sequence[str] = ()) -> pd.Series:
    """The one definition of a missing value, whatever the reader: an empty or blank cell, or
    one of ``tokens`` (the ``etl.tolerances.null_tokens`` parameter; none by default, so
    ``N/A`` or ``NaN`` in a number column is quarantined as unparsable, never stored)."""
    text = _arrow_strings(values)
    missing = pc.equal(text, "")
    if tokens:
        missing = pc.or_(missing, pc.is_in(text, value_set=pa.array(list(tokens), pa.string())))
    mask = _bools(missing)
    if not mask.any():
        return values
    return values.mask(mask)


def _bools(array: pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as numpy (null → False)."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def control_characters(values: pd.Series) -> np.ndarray:
    """True where a value holds a control character (NUL, ESC...; not TAB/LF/CR)."""
    if not len(values):
        return np.zeros(0, dtype=bool)
    return _bools(pc.match_substring_regex(_arrow_strings(values, trim=False), CONTROL_CHARACTERS))


def header_key(label: str) -> str:
    """Tolerant key of a header label: no BOM, accents, case, spaces/underscores/punctuation."""
    return slugify(str(label).lstrip("\ufeff"))


def select_columns(
    frame: pd.DataFrame, table: Table, source: str, null_tokens: Sequence[str] = ()
) -> pd.DataFrame:
    """The columns of ``table`` renamed to raw-table names (missing optional ones as ``NA``),
    blank cells and ``null_tokens`` as ``NA`` (:func:`normalize_nulls`).

    Raises:
        MissingColumnError: naming the file, the missing column and the expected header, when
            a file of the frame lacks a required column.
    """
    labels_by_key: dict[str, str] = {}
    for label in frame.columns:
        if label not in (SOURCE_FILE, SOURCE_LINE):
            labels_by_key.setdefault(header_key(label), label)
    headers_by_file: dict[str, list[str]] = frame.attrs.get(SOURCE_HEADERS_ATTR) or {}
    if not headers_by_file:
        files = frame[SOURCE_FILE].unique().tolist() if SOURCE_FILE in frame and len(frame) else []
        headers_by_file = {str(f): list(frame.columns) for f in files[:1] or ["<frame>"]}
    for file_name, header in headers_by_file.items():
        keys = {header_key(h) for h in header}
        for column in table.columns:
            labels = column.header_labels
            if not column.optional and not any(header_key(h) in keys for h in labels):
                found = "; ".join(repr(h) for h in header[:12]) + ("…" if len(header) > 12 else "")
                raise MissingColumnError(
                    f"{source}: file {file_name!r} has no column {labels[0]!r} "
                    f"(accepted labels: {list(labels)}); expected header: "
                    f"{table.expected_header()!r}; found: {found}"
                )
    data: dict[str, Any] = {}
    for column in table.columns:
        matched: str | None = next(
            (
                labels_by_key[header_key(h)]
                for h in column.header_labels
                if header_key(h) in labels_by_key
            ),
            None,
        )
        if matched is None:
            data[column.name] = pd.Series(pd.NA, index=frame.index, dtype="str")
        else:
            data[column.name] = normalize_nulls(frame[matched], null_tokens)
    data[SOURCE_FILE] = frame.get(SOURCE_FILE, "<frame>")
    data[SOURCE_LINE] = frame[SOURCE_LINE] if SOURCE_LINE in frame else np.arange(1, len(frame) + 1)
    return pd.DataFrame(data, index=frame.index)


# --- vectorized casts: each returns (values, failed mask) ---------------------------------


def _failed(raw: pd.Series, parsed: pd.Series) -> np.ndarray:
    return (raw.notna() & parsed.isna()).to_numpy(dtype=bool)


def _arrow_strings(raw: pd.Series, trim: bool = True) -> pa.ChunkedArray:
    """The values as an Arrow string array, whitespace trimmed (zero-copy for Arrow strings)."""
    if getattr(raw.dtype, "storage", None) == "pyarrow":
        array = pa.array(raw.array)  # pandas' Arrow-backed strings: no conversion
    else:
        array = pa.array(raw.astype(object), type=pa.string(), from_pandas=True)
    chunked = array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])
    if chunked.type != pa.string():
        chunked = chunked.cast(pa.string())
    return pc.utf8_trim_whitespace(chunked) if trim else chunked


def _arrow_cast(raw: pd.Series, target: pa.DataType) -> pa.ChunkedArray | None:
    """Arrow's vectorized cast of the whole column, or None when a value does not parse."""
    try:
        return pc.cast(_arrow_strings(raw), target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None


def to_float(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Floats; a decimal comma is accepted. Failure = non-empty value that is not a finite
    number (``NaN``, ``inf`` are text, not numbers: quarantined, never stored as NULL)."""
    fast = _arrow_cast(raw, pa.float64())
    if fast is not None:  # every value parsed: one Arrow cast
        values = pd.Series(fast.to_numpy(), index=raw.index, dtype="float64")
        failed = ~np.isfinite(values.to_numpy()) & raw.notna().to_numpy(dtype=bool)
        return values.where(~failed), failed
    text = raw.str.strip()
    parsed = pd.to_numeric(text, errors="coerce")
    failed = _failed(raw, parsed)
    if failed.any():
        retry = pd.to_numeric(text[failed].str.replace(",", ".", regex=False), errors="coerce")
        parsed = parsed.astype("float64")
        parsed.loc[retry.index] = retry
    parsed = parsed.astype("float64")
    parsed = parsed.where(np.isfinite(parsed.to_numpy()))
    return parsed, _failed(raw, parsed)


def to_int(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    fast = _arrow_cast(raw, pa.int64())
    if fast is not None:
        values = fast.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        return values.set_axis(raw.index), np.zeros(len(raw), dtype=bool)
    floats, failed = to_float(raw)
    fractional = (floats.notna() & (floats != floats.round())).to_numpy(dtype=bool)
    return floats.round().astype("Int64"), failed | fractional


_DATE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^\d{4}-\d{2}-\d{2}", "%Y-%m-%d"),
    (r"^\d{2}/\d{2}/\d{4}$", "%d/%m/%Y"),
    (r"^\d{2}/\d{2}/\d{2}$", "%d/%m/%y"),
    (r"^\d{4}/\d{2}/\d{2}$", "%Y/%m/%d"),
)


def to_date(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Calendar dates from ISO (``2021-03-31``, ``2021-03-31T…``), ``dd/mm/yyyy``, ``dd/mm/yy``
    or ``yyyy/mm/dd`` values, as ``date32[pyarrow]``."""
    text = raw.str.strip()
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[s]")
    for pattern, fmt in _DATE_PATTERNS:
        mask = text.str.contains(pattern, regex=True, na=False).to_numpy(dtype=bool) & parsed.isna()
        if mask.any():
            part = text[mask].str.slice(0, 10) if fmt == "%Y-%m-%d" else text[mask]
            parsed.loc[mask] = pd.to_datetime(part, format=fmt, errors="coerce").astype(
                "datetime64[s]"
            )
    return parsed.astype("date32[pyarrow]"), _failed(raw, parsed)


def to_timestamp_utc(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """UTC timestamps from ISO 8601 values with an offset (``2021-03-31T12:30:00+02:00``)."""
    text = raw.str.strip()
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    has_offset = text.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True, na=False)
    parsed = parsed.where(has_offset)
    return parsed.astype("datetime64[us, UTC]"), _failed(raw, parsed)


def to_timestamp_local(
    raw: pd.Series, fmt: str = "%Y-%m-%d %H:%M:%S"
) -> tuple[pd.Series, np.ndarray]:
    """Naive local timestamps (``2023-11-27 08:20:00``), as in the fuel flux."""
    stamps = pc.strptime(_arrow_strings(raw), format=fmt, unit="us", error_is_null=True)
    parsed = stamps.to_pandas().set_axis(raw.index).astype("datetime64[us]")
    failed = _failed(raw, parsed)
    if failed.any():  # ISO 8601 with a 'T', a date only, or an offset (→ Paris local time)
        text = raw[failed].str.strip()
        has_offset = text.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True, na=False)
        local = pd.to_datetime(text[~has_offset], format="ISO8601", errors="coerce")
        parsed.loc[local.index] = local.astype("datetime64[us]")
        aware = pd.to_datetime(text[has_offset], format="ISO8601", utc=True, errors="coerce")
        paris = aware.dt.tz_convert("Europe/Paris").dt.tz_localize(None)
        parsed.loc[paris.index] = paris.astype("datetime64[us]")
        failed = _failed(raw, parsed)
    return parsed, failed


def to_paris_day(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Europe/Paris calendar day of ISO date-times with offset (plain dates accepted)."""
    stamps, failed = to_timestamp_utc(raw)
    days = stamps.dt.tz_convert("Europe/Paris").dt.tz_localize(None).dt.normalize()
    plain, failed_plain = to_date(raw)
    days = days.fillna(plain.astype("datetime64[s]"))
    return days.astype("datetime64[s]").astype("date32[pyarrow]"), failed & failed_plain


def region_codes(raw: pd.Series) -> pd.Series:
    """INSEE region codes for region codes or names (``NA`` when unknown); one lookup per
    distinct value."""
    uniques = raw.dropna().unique()
    mapping = {value: region_code_for(str(value)) for value in uniques}
    return raw.map(mapping).astype("str")


def to_region_code(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """INSEE region codes of region codes or names; failure = a value that is no region."""
    codes = region_codes(raw)
    return codes, (raw.notna() & codes.isna()).to_numpy(dtype=bool)


def to_region(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Region names or slugs kept as in the source; failure = a value that is no region."""
    return raw, to_region_code(raw)[1]


@dataclass(frozen=True)
class Cast:
    """How a column type is cast, and the reason a failed value is quarantined with."""

    convert: Callable[[pd.Series], tuple[pd.Series, np.ndarray]]
    reason: str  # ``{column}`` is replaced by the column name
    expected: str = ""

    def __call__(self, raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
        return self.convert(raw)


_UNKNOWN_REGION = "unknown region (not one of the 13 metropolitan regions)"
_DATE_FORMATS = "YYYY-MM-DD, DD/MM/YYYY, DD/MM/YY or YYYY/MM/DD"
_REGIONS = "a region code or name (13 metropolitan regions)"
CASTS: dict[ColumnType, Cast] = {
    "float": Cast(to_float, "unparsable {column}: expected a number", "a finite number"),
    "int": Cast(to_int, "unparsable {column}: expected an integer", "an integer"),
    "date": Cast(
        to_date, f"unparsable {{column}}: expected a date ({_DATE_FORMATS})", _DATE_FORMATS
    ),
    "timestamp_utc": Cast(
        to_timestamp_utc,
        "unparsable {column}: expected an ISO 8601 date-time with offset",
        "YYYY-MM-DDTHH:MM:SS+HH:MM",
    ),
    "timestamp_local": Cast(
        to_timestamp_local,
        "unparsable {column}: expected a date-time YYYY-MM-DD HH:MM:SS",
        "YYYY-MM-DD HH:MM:SS",
    ),
    "paris_day": Cast(
        to_paris_day, "unparsable {column}: expected an ISO 8601 date-time", "ISO 8601"
    ),
    "region": Cast(to_region, _UNKNOWN_REGION, _REGIONS),
    "region_code": Cast(to_region_code, _UNKNOWN_REGION, _REGIONS),
}


def duplicated_keys(frame: pd.DataFrame, key: Sequence[str]) -> np.ndarray:
    """True for every row whose key already appeared on an earlier row.

    Each key column is factorized to integer codes, the codes are sorted with a stable
    ``lexsort`` (equal keys stay in row order) and a row equal to its predecessor is a repeat.
    """
    n = len(frame)
    if n < 2:
        return np.zeros(n, dtype=bool)
    codes = [pd.factorize(frame[column], use_na_sentinel=True)[0] for column in key]
    order = np.lexsort(codes[::-1])
    same_as_previous = np.ones(n - 1, dtype=bool)
    for column_codes in codes:
        ordered = column_codes[order]
        same_as_previous &= ordered[1:] == ordered[:-1]
    duplicated = np.zeros(n, dtype=bool)
    duplicated[order[1:][same_as_previous]] = True
    return duplicated


# --- row errors and the quarantine ----------------------------------------------------


@dataclass
class Failure:
    """Rows failing one check: ``mask`` over the frame, the quarantine ``field`` and
    ``reason``, what was ``expected`` (text, or one text per failing row) and, when the
    failing value is not the field's source text, the ``values`` to report (one per row)."""

    column: str
    reason: str
    mask: np.ndarray
    expected: str | np.ndarray | None = None
    values: np.ndarray | None = None

    def subset(self, rows: np.ndarray) -> Failure:
        """This failure restricted to ``rows`` (a boolean mask of the frame)."""
        kept = self.mask[rows]
        positions = np.cumsum(self.mask) - 1  # index into per-failing-row arrays
        chosen = positions[rows & self.mask]
        expected = self.expected
        if isinstance(expected, np.ndarray):
            expected = expected[chosen]
        values = None if self.values is None else self.values[chosen]
        return Failure(self.column, self.reason, kept, expected, values)


@dataclass
class Validator:
    """Collects failing rows of one source frame and splits it into good rows + quarantine.

    ``raw`` is the source frame (the quarantine ``record`` JSON comes from it); ``texts`` the
    selected columns under raw-table names (the quarantine ``value`` of a field comes from it).
    """

    source: str
    raw: pd.DataFrame
    failures: list[Failure] = field(default_factory=list)
    texts: pd.DataFrame | None = None
    precedence: Sequence[str] = ()

    def fail(
        self,
        column: str,
        reason: str,
        mask: np.ndarray | pd.Series,
        expected: str | np.ndarray | None = None,
        values: np.ndarray | None = None,
    ) -> None:
        """Quarantine the rows where ``mask`` is true, for ``reason`` on ``column``."""
        array = np.asarray(mask, dtype=bool)
        if array.any():
            self.failures.append(Failure(column, reason, array, expected, values))

    def cast(self, typed: pd.DataFrame, raw: pd.Series, column: str, kind: ColumnType) -> None:
        """Cast ``raw`` into ``typed[column]``, quarantining values that do not cast."""
        cast = CASTS[kind]
        values, failed = cast(raw)
        typed[column] = values
        self.fail(column, cast.reason.format(column=column), failed, cast.expected)

    def split(
        self,
        typed: pd.DataFrame,
        key: Sequence[str],
        ingested_at: datetime | None = None,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Good rows (failing and duplicate-key rows removed) and the quarantine frame."""
        n = len(typed)
        bad = np.zeros(n, dtype=bool)
        for failure in self.failures:
            bad |= failure.mask
        # duplicate natural keys among the rows that passed the checks (a bad copy does not
        # hide a good one): the preferred row of each key is kept, see Table.precedence
        if key and n:
            bad |= self._fail_duplicates(typed, key, np.flatnonzero(~bad))
        now = pd.Timestamp(ingested_at or datetime.now(UTC)).tz_convert("UTC")
        good = typed.loc[~bad] if bad.any() else typed
        good = good.assign(**{INGESTED_AT: now}).reset_index(drop=True)
        return good, self.quarantine(now)

    def _fail_duplicates(
        self, typed: pd.DataFrame, key: Sequence[str], rows: np.ndarray
    ) -> np.ndarray:
        """Quarantine the rows of ``rows`` whose key has a preferred row; returns their mask."""
        mask = np.zeros(len(typed), dtype=bool)
        if len(rows) < 2:
            return mask
        frame = typed.iloc[rows]
        raw = self.raw.iloc[rows]
        raw.attrs = self.raw.attrs
        order, first_of_group = precedence_order(raw, frame, key, self.precedence)
        kept_position = np.maximum.accumulate(np.where(first_of_group, np.arange(len(order)), 0))
        losers = order[~first_of_group]
        if not len(losers):
            return mask
        winners = order[kept_position[~first_of_group]]
        mask[rows[losers]] = True
        # report in frame order
        by_row = np.argsort(rows[losers], kind="stable")
        losers, winners = losers[by_row], winners[by_row]
        files = frame[SOURCE_FILE].astype("str").to_numpy() if SOURCE_FILE in frame else None
        lines = (
            frame[SOURCE_LINE].to_numpy() if SOURCE_LINE in frame else np.arange(1, len(frame) + 1)
        )
        kept_at = [
            f"kept {files[w] if files is not None else '<frame>'} line {int(lines[w])}"
            for w in winners
        ]
        differences = _differences(frame, losers, winners, exclude=set(key))
        expected = np.array(
            [
                f"{at}: {diff[1]}" if diff[1] else f"{at} (same values)"
                for at, diff in zip(kept_at, differences, strict=True)
            ],
            dtype=object,
        )
        values = np.array([diff[0] or None for diff in differences], dtype=object)
        self.fail(
            ",".join(key),
            f"duplicate key ({', '.join(key)}): the batch has a preferred row for it (more "
            "final status, newer file, or earlier line)",
            mask,
            expected,
            values,
        )
        return mask

    def quarantine(self, now: pd.Timestamp) -> pd.DataFrame:
        parts = [self._malformed_rows(now)]
        for failure in self.failures:
            rows = self.raw.loc[failure.mask]
            records = rows.drop(columns=[SOURCE_FILE, SOURCE_LINE], errors="ignore")
            parts.append(
                pd.DataFrame(
                    {
                        "source": self.source,
                        "source_file": rows[SOURCE_FILE].astype("str").to_numpy(),
                        "source_line": rows[SOURCE_LINE].astype("int64").to_numpy(),
                        "field": failure.column,
                        "reason": failure.reason,
                        "value": self._values(failure),
                        "expected": failure.expected,
                        "record": [_record_json(r) for r in records.to_dict("records")],
                        "quarantined_at": now,
                    }
                )
            )
        result = (
            pd.concat([p for p in parts if len(p)], ignore_index=True)
            if any(len(p) for p in parts)
            else empty_quarantine()
        )
        return result.astype({"source_line": "int64", "value": "str", "expected": "str"})[
            QUARANTINE_COLUMNS
        ]

    def _values(self, failure: Failure) -> Any:
        if failure.values is not None:
            return failure.values
        if self.texts is None or failure.column not in self.texts:
            return None
        texts = self.texts.loc[failure.mask, failure.column]
        return [None if pd.isna(t) else printable(str(t)) for t in texts]

    def _malformed_rows(self, now: pd.Timestamp) -> pd.DataFrame:
        malformed = self.raw.attrs.get(MALFORMED_ROWS_ATTR) or []
        if not malformed:
            return empty_quarantine()
        return pd.DataFrame(
            {
                "source": self.source,
                "source_file": [m["source_file"] for m in malformed],
                "source_line": [int(m["source_line"]) for m in malformed],
                "field": "*",
                "reason": [f"malformed row: {m['reason']}" for m in malformed],
                "value": None,
                "expected": None,
                "record": [
                    json.dumps({"text": m["text"]}, ensure_ascii=False, separators=(",", ":"))
                    for m in malformed
                ],
                "quarantined_at": now,
            }
        )


def file_ranks(raw: pd.DataFrame) -> np.ndarray:
    """Per row, the rank of its file: 0 for the newest file (modification time, then natural
    name order: ``part10`` after ``part9``), 1 for the one before..."""
    if SOURCE_FILE not in raw or not len(raw):
        return np.zeros(len(raw), dtype=np.int64)
    infos: Mapping[str, Mapping[str, Any]] = raw.attrs.get(SOURCE_FILES_ATTR) or {}
    names = raw[SOURCE_FILE].astype("str")
    files = sorted(
        names.unique(),
        key=lambda f: (int((infos.get(f) or {}).get("mtime_ns", 0)), natural_key(f)),
        reverse=True,
    )
    rank = {f: i for i, f in enumerate(files)}
    return names.map(rank).to_numpy(dtype=np.int64)


def precedence_order(
    raw: pd.DataFrame, typed: pd.DataFrame, key: Sequence[str], status_columns: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions sorted by key, then by preference (most final status, newer file,
    earlier line), and for each sorted position whether it starts a new key (the kept row)."""
    n = len(typed)
    codes = [pd.factorize(typed[column], use_na_sentinel=True)[0] for column in key]
    lines = (
        raw[SOURCE_LINE].to_numpy(dtype=np.int64)
        if SOURCE_LINE in raw
        else np.arange(n, dtype=np.int64)
    )
    order = np.lexsort((lines, *codes[::-1]))
    first = _group_starts(codes, order)
    if first.all():  # no repeated key: row order is enough (the common case)
        return order, first
    # rank only the rows of repeated keys (status ranking and file ranks cost per row)
    group = np.cumsum(first) - 1
    sizes = np.bincount(group)
    repeated = np.sort(order[sizes[group] > 1])
    status = np.zeros(len(repeated), dtype=np.int64)
    for column in status_columns:
        if column in typed:
            status = np.maximum(status, status_ranks(typed[column].iloc[repeated]))
    part = raw.iloc[repeated]
    part.attrs = raw.attrs
    sub_codes = [c[repeated] for c in codes]
    sub_order = np.lexsort((lines[repeated], file_ranks(part), status, *sub_codes[::-1]))
    single = order[sizes[group] == 1]
    merged = np.concatenate([single, repeated[sub_order]])
    order = _stable_by_key(merged, codes)
    return order, _group_starts(codes, order)


def _group_starts(codes: list[np.ndarray], order: np.ndarray) -> np.ndarray:
    """For rows in ``order``, whether each starts a new key."""
    first = np.ones(len(order), dtype=bool)
    if len(order) > 1:
        same = np.ones(len(order) - 1, dtype=bool)
        for column_codes in codes:
            ordered = column_codes[order]
            same &= ordered[1:] == ordered[:-1]
        first[1:] = ~same
    return first


def _stable_by_key(rows: np.ndarray, codes: list[np.ndarray]) -> np.ndarray:
    """``rows`` sorted by key, keeping their given order inside a key."""
    keys = [c[rows] for c in codes]
    return rows[np.lexsort((np.arange(len(rows)), *keys[::-1]))]


def _differences(
    frame: pd.DataFrame, losers: np.ndarray, winners: np.ndarray, exclude: set[str]
) -> list[tuple[str, str]]:
    """Per (loser, winner) pair, the differing stored values: ``("a=1; b=x", "a=2; b=y")``."""
    columns = [c for c in frame.columns if c not in exclude and c not in (SOURCE_FILE, SOURCE_LINE)]
    mine: list[list[str]] = [[] for _ in losers]
    theirs: list[list[str]] = [[] for _ in losers]
    for column in columns:
        values = frame[column]
        a = values.iloc[losers].reset_index(drop=True)
        b = values.iloc[winners].reset_index(drop=True)
        differ = ~((a == b).fillna(False).to_numpy(dtype=bool) | (a.isna() & b.isna()).to_numpy())
        for i in np.flatnonzero(differ):
            mine[i].append(f"{column}={_shown(a.iloc[i])}")
            theirs[i].append(f"{column}={_shown(b.iloc[i])}")
    return [("; ".join(m), "; ".join(t)) for m, t in zip(mine, theirs, strict=True)]


def _shown(value: Any) -> str:
    return (
        "null"
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))
        else printable(str(value))
    )


def _record_json(record: Mapping[Any, Any]) -> str:
    clean = {
        k: (None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else v)
        for k, v in record.items()
    }
    return json.dumps(clean, ensure_ascii=False, default=str, separators=(",", ":"))


def empty_quarantine() -> pd.DataFrame:
    """A quarantine frame with no rows (the contract's columns and types)."""
    return pd.DataFrame(
        {
            "source": pd.Series(dtype="str"),
            "source_file": pd.Series(dtype="str"),
            "source_line": pd.Series(dtype="int64"),
            "field": pd.Series(dtype="str"),
            "reason": pd.Series(dtype="str"),
            "value": pd.Series(dtype="str"),
            "expected": pd.Series(dtype="str"),
            "record": pd.Series(dtype="str"),
            "quarantined_at": pd.Series(dtype="datetime64[us, UTC]"),
        }
    )


def summarize_quarantine(quarantine: pd.DataFrame) -> str:
    """``reason × count`` summary for log lines."""
    if quarantine.empty:
        return "none"
    counts = quarantine.groupby("reason").size().sort_values(ascending=False)
    return "; ".join(f"{reason} ×{count}" for reason, count in counts.head(8).items())
