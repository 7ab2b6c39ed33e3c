"""Validation driven by the source declarations (``docs/data-contracts.md`` §1 → §2).

:func:`parse_source` turns a source frame (all strings, the source's own labels) into the rows
of the source's raw tables plus the quarantine. A single-table source goes through
:func:`validate_table`; a source with a ``parser`` (several tables from one frame) calls it once
per table. A missing required column raises
:class:`~data_collection_kedro.validation.core.MissingColumnError`; every other problem
quarantines the row with a reason and keeps the good rows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from data_collection_kedro.datasets.source_files import (
    CONTROL_FREE_ATTR,
    MALFORMED_ROWS_ATTR,
    SOURCE_FILE,
    SOURCE_HEADERS_ATTR,
    SOURCE_LINE,
    UNTERMINATED_ATTR,
)
from data_collection_kedro.sources import registry
from data_collection_kedro.sources.registry import Table
from data_collection_kedro.sources.rules import Required, parameters
from data_collection_kedro.validation.core import (
    Validator,
    control_characters,
    printable,
    select_columns,
)
from data_collection_kedro.validation.truncation import last_field_looks_complete

Frames = tuple[pd.DataFrame, pd.DataFrame]


@dataclass
class TableCheck:
    """One table's validation in progress; the declaration's hooks read and change it.

    ``frame`` is the source frame (quarantine records come from it), ``raw`` its selected
    columns under raw-table names (strings), ``typed`` the cast values, ``params`` the
    ``etl.tolerances`` parameters.
    """

    table: Table
    frame: pd.DataFrame
    raw: pd.DataFrame
    typed: pd.DataFrame
    validator: Validator
    params: Mapping[str, Any]

    def fail(
        self,
        column: str,
        reason: str,
        mask: np.ndarray | pd.Series,
        expected: str | np.ndarray | None = None,
    ) -> None:
        """Quarantine the rows where ``mask`` is true, for ``reason`` on ``column`` (the
        quarantine row also gets the field's value and what was ``expected``)."""
        self.validator.fail(column, reason, mask, expected)

    def keep(self, rows: np.ndarray) -> None:
        """Drop the other rows (neither stored nor quarantined: out of scope)."""
        v = self.validator
        v.failures = [failure.subset(rows) for failure in v.failures]
        attrs = self.frame.attrs
        v.raw = self.frame = self.frame.loc[rows]
        self.frame.attrs = attrs
        v.texts = self.raw = self.raw.loc[rows]
        self.typed = self.typed.loc[rows]

    def split(self, now: datetime | None = None) -> Frames:
        """The good rows (unstored columns dropped) and the quarantine."""
        unstored = [c.name for c in self.table.columns if not c.stored]
        typed = self.typed.drop(columns=unstored)
        return self.validator.split(typed, list(self.table.key), now)


def check_table(
    frame: pd.DataFrame, table: Table, label: str, params: Mapping[str, Any] | None = None
) -> TableCheck:
    """Every check of ``table`` on ``frame`` (quarantine rows labelled ``label``), not split yet."""
    params = parameters(params)
    raw = select_columns(frame, table, label, params.get("null_tokens") or ())
    validator = Validator(label, frame, texts=raw, precedence=table.precedence)
    check = TableCheck(table, frame, raw, raw, validator, params)
    control_free: dict[str, bool] = frame.attrs.get(CONTROL_FREE_ATTR) or {}
    files = frame[SOURCE_FILE].unique() if SOURCE_FILE in frame and len(frame) else ["<frame>"]
    if not all(control_free.get(str(f)) for f in files):  # the reader did not see them all
        for column in table.columns:
            check.fail(
                column.name,
                f"control character in {column.name} (NUL or another C0/DEL byte)",
                control_characters(raw[column.name]),
                "text without control characters",
            )
    _check_last_lines(check)
    if table.prepare:
        _hook(table.prepare)(check)
    for column in table.columns:
        if column.default is not None:
            check.raw[column.name] = check.raw[column.name].fillna(column.default)
    raw = check.validator.texts = check.raw
    check.typed = typed = raw.copy()
    for column in table.columns:
        if column.required:
            required = Required(column.name)
            check.fail(
                column.name,
                required.reason(params),
                required.failed(raw, params),
                required.expected(params),
            )
    for column in table.columns:
        if column.type != "str":
            values = raw[column.name]
            if column.fallback:
                values = values.fillna(raw[column.fallback])
            check.validator.cast(typed, values, column.name, column.type)
    for transform in table.transforms:
        typed[transform.column] = transform.apply(typed[transform.column], params)
    if table.derive:
        _hook(table.derive)(check)
    for rule in table.rules:
        check.fail(
            rule.column,
            rule.reason(params),
            rule.failed(check.typed, params),
            rule.expected(params),
        )
    return check


def _check_last_lines(check: TableCheck) -> None:
    """A file's last line without its line end may be cut (a truncated download): it is kept
    only when its last field looks like that column's other values in the file (same shape of
    digits, letters and punctuation), else quarantined."""
    frame = check.frame
    unterminated: dict[str, int] = frame.attrs.get(UNTERMINATED_ATTR) or {}
    headers: dict[str, list[str]] = frame.attrs.get(SOURCE_HEADERS_ATTR) or {}
    if not unterminated or SOURCE_FILE not in frame:
        return
    selected = {
        label: column.name for column in check.table.columns for label in column.header_labels
    }
    for file_name, line in unterminated.items():
        header = headers.get(file_name)
        if not header or header[-1] not in frame:
            continue
        in_file = (frame[SOURCE_FILE] == file_name).to_numpy(dtype=bool)
        is_last = in_file & (frame[SOURCE_LINE] == line).to_numpy(dtype=bool)
        if not is_last.any():
            continue
        values = frame[header[-1]]
        last = values[is_last].iloc[0]
        others = values[in_file & ~is_last]
        if last_field_looks_complete(last, others):
            continue
        shown = "empty" if pd.isna(last) else repr(printable(str(last)))
        check.fail(
            selected.get(header[-1], header[-1]),
            "incomplete last line: no line end after it and its last field "
            f"({header[-1]!r}) does not look like the file's other values (file cut?)",
            is_last,
            f"a complete value like the other lines' (this one: {shown})",
        )


def validate_table(
    frame: pd.DataFrame,
    table: Table,
    label: str,
    params: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Frames:
    """``(raw table rows, quarantine rows)`` of one declared table."""
    return check_table(frame, table, label, params).split(now)


def parse_source(
    name: str,
    frame: pd.DataFrame,
    params: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> tuple[pd.DataFrame, ...]:
    """The declared source ``name``'s raw tables (in declaration order) and its quarantine."""
    source = registry.source(name)
    if source.parser:
        parse: Callable[..., tuple[pd.DataFrame, ...]] = registry.resolve(source.parser)
        return parse(frame, source, parameters(params), now)
    (table,) = source.tables
    return validate_table(frame, table, source.label, params, now)


def empty_source_frame(source: registry.Source) -> pd.DataFrame:
    """A source frame without rows carrying every declared label (a failed source's empty
    tables are validated from it, so they have the declared columns and types)."""
    labels = list(dict.fromkeys(c.header_labels[0] for t in source.tables for c in t.columns))
    frame = pd.DataFrame({label: pd.Series(dtype="str") for label in labels})
    frame[SOURCE_FILE] = pd.Series(dtype="str")
    frame[SOURCE_LINE] = pd.Series(dtype="int64")
    return frame


def subset(
    frame: pd.DataFrame, rows: pd.Series | np.ndarray, keep_malformed: bool = False
) -> pd.DataFrame:
    """The rows of a source frame feeding one table of a composite source, with the headers of
    the files they come from (a composite source mixes layouts by file) and, for one subset
    only, the malformed rows (so each is quarantined once)."""
    part = frame.loc[rows]
    headers = frame.attrs.get(SOURCE_HEADERS_ATTR) or {}
    files = set(part[SOURCE_FILE].unique()) if SOURCE_FILE in part else set()
    attrs: dict[Hashable | None, Any] = {
        SOURCE_HEADERS_ATTR: {f: h for f, h in headers.items() if f in files} if headers else {}
    }
    if keep_malformed:
        attrs[MALFORMED_ROWS_ATTR] = frame.attrs.get(MALFORMED_ROWS_ATTR) or []
    part.attrs = attrs
    return part


def _hook(reference: str) -> Callable[[TableCheck], None]:
    hook: Callable[[TableCheck], None] = registry.resolve(reference)
    return hook
