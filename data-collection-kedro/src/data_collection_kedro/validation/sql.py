"""The declared rules compiled to DuckDB SQL: a CSV file validated and stored by the engine.

:class:`SqlIngest` is the plan of one CSV file (or several files of one source) for a table
whose every step has an SQL form — columns of the types in :data:`SQL_CASTS`, the
``transforms`` and ``rules`` of :mod:`~data_collection_kedro.sources.rules` (each carries its
SQL), no ``prepare``/``derive`` hook. The DuckDB store executes it
(:meth:`~data_collection_kedro.datasets.duckdb_table.DuckDBTableDataset.save`): the file is read
by DuckDB line by line (``read_csv`` with one text column; a line's position is its line
number), split on the separator, null-normalized, cast with ``TRY_CAST``/``TRY_STRPTIME``,
checked rule by rule, de-duplicated on the key by precedence, and the failing rows go to the
quarantine — the same rows, reasons, values and expected ranges as the Python path
(:func:`~data_collection_kedro.validation.tables.validate_table`; checked by
``tests/validation/test_sql_engine.py`` on the bad-input corpus), at DuckDB's speed and in
DuckDB's bounded memory (it spills to disk).

A file goes this way only when its scan shows it plain: no quote character (a quoted field
may hold the separator or a line break), no control byte, valid UTF-8 and a line end after the
last line (else the Python path checks the last line; see :func:`engine_reason`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from data_collection_kedro.datasets.source_files import (
    SOURCE_FILE,
    SOURCE_HEADERS_ATTR,
    CsvScan,
    file_info,
    iter_csv_frames,
    read_csv_header,
    scan_csv,
)
from data_collection_kedro.domain.regions import REGION_BY_CODE, region_spellings
from data_collection_kedro.sources.registry import QUARANTINE, ColumnType, Source, Table
from data_collection_kedro.sources.rules import (
    Required,
    _case_sql,
    literal,
    quote,
    slug_sql,
    status_rank_sql,
)
from data_collection_kedro.validation.core import CASTS, select_columns

STAGE = "__energiewatch_stage"
DETAIL = "__energiewatch_stage_detail"
_FLAG = "fail__"  # prefix of a check's failure flag
_TRIM_CHARS = " \t\n\r\f\v"


def _trim(expression: str) -> str:
    return f"trim({expression}, {literal(_TRIM_CHARS)})"


def _trimmed(expression: str) -> str:
    """``expression`` without surrounding whitespace (the trim runs only for values that
    start or end with a blank: a cheap test of the first and last character)."""
    return (
        f"(CASE WHEN ord({expression}) <= 32 OR ord(right({expression}, 1)) <= 32 "
        f"THEN {_trim(expression)} ELSE {expression} END)"
    )


_OFFSET = "'[+-]\\d{2}:?\\d{2}$'"

# Each cast is two steps: ``parse`` (one conversion of the trimmed text ``t``) and ``finish``
# (checks on the parsed value ``p``), computed in successive projections so that no
# expression is evaluated twice. The values equal validation.core.CASTS's.
_PARSE: dict[ColumnType, str] = {
    "float": "CASE WHEN contains({t}, '_') THEN NULL ELSE TRY_CAST(replace({t}, ',', '.') AS DOUBLE) END",
    "int": "CASE WHEN contains({t}, '_') THEN NULL ELSE TRY_CAST(replace({t}, ',', '.') AS DOUBLE) END",
    "date": (
        "CAST(CASE WHEN strlen({t}) >= 10 AND {t}[5] = '-' "
        "THEN TRY_STRPTIME(left({t}, 10), '%Y-%m-%d') "
        "WHEN strlen({t}) = 10 AND {t}[3] = '/' THEN TRY_STRPTIME({t}, '%d/%m/%Y') "
        "WHEN strlen({t}) = 8 AND {t}[3] = '/' THEN TRY_STRPTIME({t}, '%d/%m/%y') "
        "WHEN strlen({t}) = 10 AND {t}[5] = '/' THEN TRY_STRPTIME({t}, '%Y/%m/%d') END AS DATE)"
    ),
    "timestamp_local": (
        "CASE WHEN strlen({t}) > 19 AND (ends_with({t}, 'Z') OR regexp_matches({t}, "
        + _OFFSET
        + ")) THEN timezone('Europe/Paris', TRY_CAST({t} AS TIMESTAMPTZ)) "
        "ELSE TRY_CAST({t} AS TIMESTAMP) END"
    ),
    "timestamp_utc": (
        "CASE WHEN ends_with({t}, 'Z') OR regexp_matches({t}, "
        + _OFFSET
        + ") THEN TRY_CAST({t} AS TIMESTAMPTZ) END"
    ),
}
_FINISH: dict[ColumnType, str] = {
    "float": "CASE WHEN isfinite({p}) THEN {p} END",
    "int": "CASE WHEN isfinite({p}) AND {p} = trunc({p}) THEN CAST({p} AS BIGINT) END",
}


def _region_code_sql(text: str) -> str:
    codes = ", ".join(literal(c) for c in sorted(REGION_BY_CODE))
    by_slug = _case_sql(slug_sql("", text), region_spellings(), "NULL")
    return f"(CASE WHEN {text} IN ({codes}) THEN {text} ELSE {by_slug} END)"


def parse_sql(kind: ColumnType, trimmed: str, raw: str) -> str:
    """The first step of a cast: ``trimmed`` is the trimmed text, ``raw`` the source text."""
    if kind == "region_code":
        return _region_code_sql(trimmed)
    if kind == "region":
        return f"(CASE WHEN {_region_code_sql(trimmed)} IS NOT NULL THEN {raw} END)"
    return f"({_PARSE[kind].replace('{t}', trimmed)})"


def finish_sql(kind: ColumnType, parsed: str) -> str:
    """The second step of a cast (``parsed`` is the first step's value)."""
    return f"({_FINISH[kind].replace('{p}', parsed)})" if kind in _FINISH else parsed


#: the column types with an SQL cast (validation.core.CASTS's other types are Python-only)
SQL_CASTS: frozenset[ColumnType] = frozenset(
    {"float", "int", "date", "timestamp_local", "timestamp_utc", "region", "region_code"}
)


def table_reason(source: Source) -> str | None:
    """Why ``source`` cannot be validated in SQL (``None``: it can)."""
    if source.parser or len(source.tables) != 1:
        return "a composite source (parser)"
    (table,) = source.tables
    if table.prepare or table.derive:
        return "a prepare/derive hook"
    unsupported = [c.name for c in table.columns if c.type != "str" and c.type not in SQL_CASTS]
    if unsupported:
        return f"column types without an SQL cast ({unsupported})"
    return None


@dataclass(frozen=True)
class CsvFile:
    """A plain CSV file for the engine: its header (labels in order) and separator."""

    path: Path
    name: str
    header: tuple[str, ...]
    separator: str
    lines: int  # lines after the header
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class SqlIngest:
    """The plan of one file into one declared table, executed by the DuckDB store (it
    implements :class:`~data_collection_kedro.datasets._store_common.SqlBatch`)."""

    source: Source
    table: Table
    file: CsvFile
    params: Mapping[str, Any]
    ingested_at: datetime
    block_bytes: int = 64 << 20  # blocks of the Python path, when it is needed
    quarantine_table: str = QUARANTINE.name
    quarantine_key: tuple[str, ...] = QUARANTINE.key
    quarantine_first_seen: tuple[str, ...] = QUARANTINE.first_seen
    # filled in by the store that executes it
    rows_read: int = 0
    rows_stored: int = 0
    rows_quarantined: int = 0
    how: str = ""  # "duckdb", or "python (<why>)"
    scanned: CsvScan | None = None

    @classmethod
    def for_file(
        cls,
        source: Source,
        path: Path,
        params: Mapping[str, Any],
        ingested_at: datetime,
        sep: str | None = None,
        encoding: str = "utf-8",
        block_bytes: int = 64 << 20,
    ) -> SqlIngest:
        """The plan of ``path``; its header is checked now (a missing required column raises
        :class:`~data_collection_kedro.validation.core.MissingColumnError`)."""
        (table,) = source.tables
        header, separator = read_csv_header(path, sep, encoding)
        probe = pd.DataFrame({label: pd.Series(dtype="str") for label in header})
        probe[SOURCE_FILE] = pd.Series(dtype="str")
        probe.attrs[SOURCE_HEADERS_ATTR] = {path.name: list(header)}
        select_columns(probe, table, source.label)
        csv_file = CsvFile(path, path.name, tuple(header), separator, 0, file_info(path))
        return cls(source, table, csv_file, params, ingested_at, block_bytes)

    # ------------------------------------------------------------------ SqlBatch protocol
    def scan(self) -> CsvScan:
        self.scanned = scan_csv(self.file.path, self.file.separator)
        return self.scanned

    def staged_lines_sql(self) -> str:
        return f"SELECT count(*) FROM {STAGE}"

    def refusal(self, scan: CsvScan, staged_lines: int | None, error: str | None) -> str | None:
        """Why the staged file cannot go the SQL way (``None``: it can)."""
        if error:
            return f"DuckDB could not read it: {error}"
        why = plain_csv(scan)
        if why:
            return why
        if (scan.size, scan.mtime_ns) != (
            self.file.info.get("size"),
            self.file.info.get("mtime_ns"),
        ):
            return "the file changed since the run started"
        if not scan.lines:
            return "header only"
        if staged_lines != scan.lines:
            return f"{staged_lines} lines staged for {scan.lines} in the file"
        return None

    def python_batches(self) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
        """The same file validated by the Python path, block by block."""
        from data_collection_kedro.validation.tables import validate_table

        for frame in iter_csv_frames(
            self.file.path, self.file.separator, block_bytes=self.block_bytes
        ):
            yield validate_table(
                frame, self.table, self.source.label, self.params, self.ingested_at
            )

    def record(self, rows_read: int, rows_stored: int, rows_quarantined: int, how: str) -> None:
        self.rows_read, self.rows_stored = rows_read, rows_stored
        self.rows_quarantined, self.how = rows_quarantined, how

    # ------------------------------------------------------------------ the compiled SQL
    def _index_of(self) -> dict[str, int]:
        """Column name -> position of its source field (1-based), from the header."""
        from data_collection_kedro.validation.core import header_key

        keys = [header_key(label) for label in self.file.header]
        positions: dict[str, int] = {}
        for column in self.table.columns:
            for label in column.header_labels:
                if header_key(label) in keys:
                    positions[column.name] = keys.index(header_key(label)) + 1
                    break
        return positions

    def _field(self, position: int) -> str:
        return quote(f"c{position}")

    def _raw_sql(self) -> dict[str, str]:
        """Each table column's source text with the null definition applied (blank or a null
        token: NULL) and its default, from the staged fields ``c0``, ``c1``..."""
        positions = self._index_of()
        tokens = [str(t) for t in self.params.get("null_tokens") or []]
        raw: dict[str, str] = {}
        for column in self.table.columns:
            if column.name not in positions:
                raw[column.name] = "CAST(NULL AS VARCHAR)"
                continue
            text = self._field(positions[column.name] - 1)
            blank = f"ord({text}) <= 32 AND {_trim(text)} = ''"
            if tokens:
                blank = f"({blank}) OR {_trim(text)} IN ({', '.join(literal(t) for t in tokens)})"
            raw[column.name] = f"(CASE WHEN {blank} THEN NULL ELSE {text} END)"
            if column.default is not None:
                raw[column.name] = f"coalesce({raw[column.name]}, {literal(column.default)})"
        return raw

    def stage_sql(self) -> str:
        """``CREATE TEMP TABLE`` of the file's records, in line order (row ``i`` is line
        ``i + 2``): the typed columns and whether any check failed (``bad__``). DuckDB's CSV
        reader splits the fields (the file has no quote: see :meth:`refusal`); a record with
        the wrong field count makes it fail, and the file then goes the Python way."""
        return self._pipeline_sql(STAGE, detail=False)

    def bad_count_sql(self) -> str:
        return f"SELECT count(*) FILTER (bad__) FROM {STAGE}"

    def detail_sql(self) -> str:
        """The same records with one flag per check and, for failing rows, the source fields
        (run only when some row failed: the quarantine reads it)."""
        return self._pipeline_sql(DETAIL, detail=True)

    def _pipeline_sql(self, target: str, detail: bool) -> str:
        """Each step is one projection over the previous one (no expression is computed
        twice)."""
        table, params = self.table, self.params
        raw = self._raw_sql()
        names = [c.name for c in table.columns]
        fields = [self._field(i) for i in range(len(self.file.header))]
        typed_columns = [c for c in table.columns if c.type != "str"]

        def r(name: str) -> str:
            return quote(f"r__{name}")

        def t(name: str) -> str:
            return quote(f"t__{name}")

        def p(name: str) -> str:
            return quote(f"p__{name}")

        def cast_input(name: str) -> str:
            column = table.column(name)
            return f"coalesce({r(name)}, {r(column.fallback)})" if column.fallback else r(name)

        base = [*fields, *(f"{raw[n]} AS {r(n)}" for n in names)]
        trims = [f"{_trimmed(cast_input(c.name))} AS {t(c.name)}" for c in typed_columns]
        parsed = [
            f"{parse_sql(c.type, t(c.name), cast_input(c.name))} AS {p(c.name)}"
            for c in typed_columns
        ]
        typed = [
            f"{r(c.name)} AS {quote(c.name)}"
            if c.type == "str"
            else f"{finish_sql(c.type, p(c.name))} AS {quote(c.name)}"
            for c in table.columns
        ]
        cast_flags = []
        for flag, kind, column in self._checks():
            if kind == "required":
                cast_flags.append(f"{r(column)} IS NULL AS {quote(_FLAG + flag)}")
            elif kind == "cast":
                cast_flags.append(
                    f"({cast_input(column)} IS NOT NULL AND {quote(column)} IS NULL) "
                    f"AS {quote(_FLAG + flag)}"
                )
        transformed = {name: quote(name) for name in names}
        for transform in table.transforms:
            transformed[transform.column] = f"({transform.sql(params)})"
        rule_flags = [
            f"{table.rules[int(kind.removeprefix('rule'))].sql(params)} AS {quote(_FLAG + flag)}"
            for flag, kind, _ in self._checks()
            if kind.startswith("rule")
        ]
        all_flags = [quote(_FLAG + flag) for flag, _, _ in self._checks()]
        any_flag = " OR ".join(all_flags) or "false"
        raw_columns = [r(n) for n in names]
        if detail:
            output = ", ".join(
                [
                    *(quote(n) for n in names),
                    *all_flags,
                    "bad__",
                    *(f"CASE WHEN bad__ THEN {f} END AS {f}" for f in fields),
                ]
            )
        else:
            output = ", ".join([*(quote(n) for n in names), "bad__"])
        return f"""
CREATE OR REPLACE TEMP TABLE {target} AS
WITH base AS (
    SELECT {", ".join(base)} FROM {self._reader()}
), trimmed AS (
    SELECT *{"".join(", " + x for x in trims)} FROM base
), parsed AS (
    SELECT {", ".join([*fields, *raw_columns, *parsed])} FROM trimmed
), typed AS (
    SELECT {", ".join([*fields, *raw_columns, *typed])} FROM parsed
), flagged AS (
    SELECT {", ".join([*fields, *raw_columns, *cast_flags, *(f"{transformed[n]} AS {quote(n)}" for n in names)])}
    FROM typed
), checked AS (
    SELECT *{"".join(", " + x for x in rule_flags)} FROM flagged
), decided AS (
    SELECT *, ({any_flag}) AS bad__ FROM checked
)
SELECT {output} FROM decided
"""

    def _checks(self) -> list[tuple[str, str, str]]:
        """(flag, kind, column) of every check in the Python path's order."""
        out: list[tuple[str, str, str]] = []
        for column in self.table.columns:
            if column.required:
                out.append((f"required__{column.name}", "required", column.name))
            if column.type != "str":
                out.append((f"cast__{column.name}", "cast", column.name))
        for i, rule in enumerate(self.table.rules):
            out.append((f"rule{i}__{rule.column}", f"rule{i}", rule.column))
        return out

    def _reason_expected(self, kind: str, column: str) -> tuple[str, str]:
        params = self.params
        if kind == "required":
            required = Required(column)
            return required.reason(params), required.expected(params)
        if kind == "cast":
            cast = CASTS[self.table.column(column).type]
            return cast.reason.format(column=column), cast.expected
        rule = self.table.rules[int(kind.removeprefix("rule"))]
        return rule.reason(params), rule.expected(params)

    def _record_sql(self, alias: str = "") -> str:
        prefix = f"{alias}." if alias else ""
        pairs = ", ".join(
            f"{literal(label)}, {prefix}{self._field(i)}"
            for i, label in enumerate(self.file.header)
        )
        return f"CAST(json_object({pairs}) AS VARCHAR)"

    def _stored_columns(self) -> list[str]:
        return [c.name for c in self.table.columns if c.stored]

    def _precedence_order(self) -> str:
        ranks = [status_rank_sql(quote(c)) for c in self.table.precedence]
        rank = (ranks[0] if len(ranks) == 1 else f"greatest({', '.join(ranks)})") if ranks else "0"
        return f"{rank}, rowid"

    def duplicates_sql(self) -> str:
        """How many good rows share a key hash with another (0: no key repeats; else the
        exact check runs, a hash collision being possible)."""
        key = ", ".join(quote(k) for k in self.table.key)
        return f"SELECT count(*) - count(DISTINCT hash({key})) FROM {STAGE} WHERE NOT bad__"

    def rows_sql(self, deduplicate: bool) -> str:
        """The good rows in the raw-table layout (stored columns, bookkeeping columns)."""
        columns = ", ".join(quote(c) for c in self._stored_columns())
        stamp = literal(self.ingested_at.isoformat())
        select = (
            f"SELECT {columns}, {literal(self.file.name)} AS _source_file, "
            f"CAST(rowid + 2 AS BIGINT) AS _source_line, "
            f"CAST({stamp} AS TIMESTAMPTZ) AS _ingested_at FROM {STAGE} WHERE NOT bad__"
        )
        if not deduplicate:
            return select
        key = ", ".join(quote(k) for k in self.table.key)
        return (
            f"{select} QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY "
            f"{self._precedence_order()}) = 1"
        )

    def quarantine_sql(self, deduplicate: bool, failed: bool = True) -> str:
        """One row per failing (line, check), in the ``raw_quarantine`` layout (``failed``:
        :meth:`detail_sql` was run; ``deduplicate``: some keys repeat)."""
        label = literal(self.source.label)
        file_name = literal(self.file.name)
        stamp = f"CAST({literal(self.ingested_at.isoformat())} AS TIMESTAMPTZ)"
        common = (
            f"{label} AS source, {file_name} AS source_file, "
            "CAST(rowid + 2 AS BIGINT) AS source_line"
        )
        raw = self._raw_sql()
        names = {c.name for c in self.table.columns}
        parts = []
        for flag, kind, column in self._checks():
            reason, expected = self._reason_expected(kind, column)
            value = raw[column] if column in names else "CAST(NULL AS VARCHAR)"
            parts.append(
                f"SELECT {common}, {literal(column)} AS field, {literal(reason)} AS reason, "
                f"{value} AS value, {literal(expected)} AS expected, {self._record_sql()} AS "
                f"record, {stamp} AS quarantined_at FROM {DETAIL} WHERE bad__ AND "
                f"{quote(_FLAG + flag)}"
            )
        if not failed:
            parts = []
        if deduplicate:
            parts.append(self._duplicates_quarantine_sql(stamp))
        if not parts:  # nothing to quarantine: an empty relation of the layout
            return (
                "SELECT CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS source_file, "
                "CAST(NULL AS BIGINT) AS source_line, CAST(NULL AS VARCHAR) AS field, "
                "CAST(NULL AS VARCHAR) AS reason, CAST(NULL AS VARCHAR) AS value, "
                "CAST(NULL AS VARCHAR) AS expected, CAST(NULL AS VARCHAR) AS record, "
                "CAST(NULL AS TIMESTAMPTZ) AS quarantined_at WHERE false"
            )
        return "\nUNION ALL\n".join(parts)

    def _duplicates_quarantine_sql(self, stamp: str) -> str:
        key = list(self.table.key)
        key_sql = ", ".join(quote(k) for k in key)
        compared = [c.name for c in self.table.columns if c.name not in key]

        def shown(alias: str, column: str) -> str:
            return f"coalesce(CAST({alias}.{quote(column)} AS VARCHAR), 'null')"

        def listed(alias: str) -> str:
            if not compared:
                return "NULL"
            items = ", ".join(
                f"CASE WHEN a.{quote(c)} IS DISTINCT FROM w.{quote(c)} THEN "
                f"{literal(c + '=')} || {shown(alias, c)} END"
                for c in compared
            )
            return f"NULLIF(concat_ws('; ', {items}), '')"

        reason = (
            f"duplicate key ({', '.join(key)}): the batch has a preferred row for it (more "
            "final status, newer file, or earlier line)"
        )
        kept_at = (
            f"'kept ' || {literal(self.file.name)} || ' line ' || CAST(w.rowid + 2 AS VARCHAR)"
        )
        order = self._precedence_order()
        ranked = (
            f"SELECT rowid AS __row, row_number() OVER (PARTITION BY {key_sql} ORDER BY {order}) "
            f"AS __rank, first_value(rowid) OVER (PARTITION BY {key_sql} ORDER BY {order}) "
            f"AS __kept FROM {STAGE} WHERE NOT bad__"
        )
        # the losers' source fields are not staged (they passed every check): read them again
        fields = ", ".join(self._field(i) for i in range(len(self.file.header)))
        return (
            f"SELECT {literal(self.source.label)} AS source, {literal(self.file.name)} AS "
            f"source_file, CAST(a.rowid + 2 AS BIGINT) AS source_line, {literal(','.join(key))} "
            f"AS field, {literal(reason)} AS reason, {listed('a')} AS value, "
            f"CASE WHEN {listed('w')} IS NULL THEN {kept_at} || ' (same values)' ELSE "
            f"{kept_at} || ': ' || {listed('w')} END AS expected, "
            f"{self._record_sql('f')} AS record, {stamp} AS quarantined_at "
            f"FROM ({ranked}) r JOIN {STAGE} a ON a.rowid = r.__row JOIN {STAGE} w "
            f"ON w.rowid = r.__kept JOIN (SELECT row_number() OVER () - 1 AS __row, {fields} "
            f"FROM {self._reader()}) f ON f.__row = r.__row WHERE r.__rank > 1"
        )

    def _reader(self) -> str:
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(self.file.header))) + "}"
        return (
            f"read_csv({literal(str(self.file.path))}, columns = {columns}, "
            f"delim = {literal(self.file.separator)}, quote = '', escape = '', header = false, "
            "skip = 1, auto_detect = false, strict_mode = true, null_padding = false, "
            "allow_quoted_nulls = false)"
        )


def plain_csv(scan: CsvScan) -> str | None:
    """Why a scanned file is not plain enough for the engine (``None``: it is)."""
    if scan.quotes:
        return "quote characters"
    if scan.control:
        return "control characters"
    if not scan.terminated:
        return "no line end after the last line"
    return None


__all__ = [
    "SQL_CASTS",
    "STAGE",
    "CsvFile",
    "SqlIngest",
    "plain_csv",
    "table_reason",
]
