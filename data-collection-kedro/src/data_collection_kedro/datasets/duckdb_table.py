"""DuckDB table datasets: the embedded store (raw tables, indices, model outputs).

Outside a Kedro run a connection is opened only for the duration of one load or save, so
another process (the dashboard) can read the file between writes; a save waits with backoff
while another process holds the file lock. Opening the file (its catalog) and closing it (a
checkpoint) cost tens of milliseconds, more than a small load or save. During a Kedro run
(:class:`~data_collection_kedro.hooks.StoreConnectionHook`, ``duckdb_store.keep_open``):

- ``run`` (:func:`hold_for_run`): the run's process opens each store file once, at its first
  load or save, and keeps it open until the run ends (or fails); every load and save of the
  run shares it. Other processes get the file when the run ends, never later;
- ``node`` (:func:`keep_open`): the file a save wrote stays open up to ``keep_open_s`` after
  the last save, so the saves of one node share it; the hook releases it (:func:`release_held`)
  with the node's last output, and at the end of the run.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa
from kedro.io import AbstractDataset, DatasetError

from data_collection_kedro.datasets._store_common import (
    BatchProgress,
    SaveResult,
    SqlBatch,
    WindowedFrame,
    arrow_to_frame,
    batch_bounds,
    checked_load_args,
    insert_only_set,
    normalize_key,
    prepare_save,
    replaces_all,
    resolved,
    retry_call,
)
from data_collection_kedro.sources.rules import literal, status_rank_sql

Mode = Literal["upsert", "replace", "append"]
_MODES = ("upsert", "replace", "append")
_LOAD_ARGS = {"columns", "where", "order_by", "limit"}
# the store's own tables and views (not datasets: e.g. the natural key each table was saved with)
INTERNAL_PREFIX = "__energiewatch_"
_BATCH_VIEW = "__energiewatch_batch"
_DIFF = "__energiewatch_diff"
_RELATION = "__energiewatch_relation"
_STAGE = "__energiewatch_stage"  # validation.sql.STAGE
_KEYS_TABLE = "__energiewatch_table_keys"  # the natural key each table was saved with
_NEW_FLAG = "__energiewatch_new"
_KEEP_FLAG = "__energiewatch_write"
_ROW = "__energiewatch_row"
INGESTED_AT = "_ingested_at"
SOURCE_FILE_COLUMN = "_source_file"
SOURCE_LINE_COLUMN = "_source_line"
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}


# DuckDB type of each column of an Arrow schema (the same answer for every table and file)
_ARROW_TYPES: dict[pa.Schema, dict[str, str]] = {}
_ARROW_TYPES_MAX = 256

_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def write_lock(database: Path) -> threading.Lock:
    """One lock per database file: saves of one process (threaded runners) run one at a time.

    DuckDB lets one process write from several threads, but concurrent DDL on one file fails
    with a write-write conflict; serialising the (batched, fast) saves avoids it.
    """
    path = str(database.resolve())
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(path, threading.Lock())


def quote(name: str) -> str:
    """A SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def _is_lock_error(exc: BaseException) -> bool:
    """Another process holds the file, or this process has it open read-only right now."""
    text = str(exc).lower()
    return isinstance(exc, duckdb.IOException | duckdb.ConnectionException) and (
        "lock" in text
        or "resource temporarily unavailable" in text
        or "different configuration" in text
    )


class _Held:
    """A connection that keeps one database file open in this process until ``deadline``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, deadline: float) -> None:
        self.con = con
        self.deadline = deadline
        self.released = threading.Event()  # wakes its watcher thread
        self.tables: dict[str, _TableState] = {}  # what the saves learnt of each table


@dataclass
class _TableState:
    """What the saves of this process know of one table of a file it holds for a run.

    No other process can write the file meanwhile, and this process changes a table's schema,
    key record and indexes only through :class:`DuckDBTableDataset`, which updates this
    knowledge with each change: a save need not ask the catalog again. ``None``: not known.
    """

    columns: dict[str, str] | None = None
    stored_key: list[str] | None = None
    key_known: bool = False
    has_rows: bool = False  # rows were stored (only a replace or a deletion removes them)
    indexed: bool = False  # the declared indexes exist


_HELD: dict[str, _Held] = {}
_HELD_GUARD = threading.Lock()
_keep_open_s = 0.0
_run_holder_pid: int | None = None  # the process holding its files for a run


def hold_for_run(active: bool) -> None:
    """While ``active``, every store file this process opens stays open (read-write) from its
    first load or save until :func:`hold_for_run` ``(False)``, which releases them all. Only
    the process that called it holds (a ParallelRunner worker forked from it opens and closes
    per load or save)."""
    global _run_holder_pid
    with _HELD_GUARD:
        _run_holder_pid = os.getpid() if active else None
    if not active:
        release_held()


def _known_tables(path: str) -> dict[str, _TableState] | None:
    """The knowledge of the saves of this process of the tables of ``path``
    (:class:`_TableState`), while the run holds the file open; ``None`` otherwise."""
    with _HELD_GUARD:
        if _run_holder_pid != os.getpid():
            return None
        entry = _HELD.get(path)
        return None if entry is None else entry.tables


def _held_connection(path: str) -> duckdb.DuckDBPyConnection | None:
    """A new connection to ``path`` sharing the file this process holds for the run (opened
    now if it is not yet); ``None`` when no run holds the files of this process."""
    with _HELD_GUARD:
        if _run_holder_pid != os.getpid():
            return None
        entry = _HELD.get(path)
        if entry is None:  # a lock error propagates: connect() retries with backoff
            entry = _HELD[path] = _Held(duckdb.connect(path), math.inf)
        else:
            entry.deadline = math.inf
        return entry.con.cursor()


def keep_open(seconds: float) -> None:
    """Keep each database file a save of this process opened open up to ``seconds`` after its
    last save (``0``, the default: closed with the save's connection, and every held file
    released now). Connections of this process to a held file open it at no cost (DuckDB
    shares the open database)."""
    global _keep_open_s
    with _HELD_GUARD:
        _keep_open_s = max(0.0, float(seconds))
    if not _keep_open_s:
        release_held()


def release_held() -> None:
    """Close the files this process keeps open (:func:`keep_open`)."""
    with _HELD_GUARD:
        held = list(_HELD.values())
        _HELD.clear()
    for entry in held:
        entry.con.close()
        entry.released.set()


def _hold(path: str) -> None:
    """Keep ``path`` (open read-write by this process right now) open ``keep_open_s`` more."""
    with _HELD_GUARD:
        if _keep_open_s <= 0 or _run_holder_pid == os.getpid():
            return  # not kept, or held until the run ends
        deadline = time.monotonic() + _keep_open_s
        entry = _HELD.get(path)
        if entry is not None:
            entry.deadline = deadline
            return
        entry = _HELD[path] = _Held(duckdb.connect(path), deadline)
    threading.Thread(
        target=_release_when_idle, args=(path, entry), name="duckdb-keep-open", daemon=True
    ).start()


def _release_when_idle(path: str, entry: _Held) -> None:
    while True:
        with _HELD_GUARD:
            if _HELD.get(path) is not entry:
                return  # released already
            left = entry.deadline - time.monotonic()
            if left <= 0:
                del _HELD[path]
                break
        if entry.released.wait(left):
            return
    entry.con.close()


def connect(
    database: str | Path, read_only: bool = False, lock_timeout_s: float = 60.0
) -> duckdb.DuckDBPyConnection:
    """Open ``database``, retrying with backoff while another process holds its lock.

    Sessions run in UTC so that time-zone aware timestamps load as UTC.
    """
    path = str(database)

    def _open() -> duckdb.DuckDBPyConnection:
        held = _held_connection(path)
        if held is not None:
            run(held, "SET TimeZone = 'UTC'")
            return held
        try:
            con = duckdb.connect(path, read_only=read_only)
        except duckdb.ConnectionException as exc:
            # Another connection of this process has the file open with another configuration
            # (read-write vs read-only): share it read-write instead.
            if not read_only or "different configuration" not in str(exc):
                raise
            con = duckdb.connect(path)
        run(con, "SET TimeZone = 'UTC'")
        return con

    return retry_call(_open, _is_lock_error, lock_timeout_s, f"DuckDB open {path}")


def run(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Any]:
    """Execute one statement and fetch its result (a connection takes no new work before)."""
    return con.execute(sql, params).fetchall()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """``BEGIN`` … ``COMMIT``, rolled back when the block raises."""
    run(con, "BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        run(con, "ROLLBACK")
        raise
    run(con, "COMMIT")


# DuckDB's own catalog functions: ``information_schema`` is a view over several of them
# (10-20 ms a query on a store of a few dozen tables; these take about 1 ms)
def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``table`` is a table or a view of the connection's current schema."""
    rows = run(
        con,
        "SELECT (SELECT count(*) FROM duckdb_tables() WHERE table_name = $1 AND schema_name = "
        "current_schema()) + (SELECT count(*) FROM duckdb_views() WHERE view_name = $1 AND "
        "schema_name = current_schema() AND NOT internal)",
        [table],
    )
    return bool(rows[0][0])


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> DuckDB type, in table order (empty: no such table)."""
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
        "AND schema_name = current_schema() ORDER BY column_index",
        [table],
    ).fetchall()
    return {name: dtype for name, dtype in rows}


class DuckDBTableDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """One DuckDB table, written by upsert on a natural key in batches.

    Saves create the table from the frame's schema (the key as a unique index), add columns a
    frame brings with ``ALTER TABLE``, drop null/duplicate keys inside one save (keeping the last
    occurrence, logged), and count inserted / updated / unchanged rows (``last_result``).

    Modes:

    - ``upsert`` (default with a key): ``INSERT … ON CONFLICT (key) DO UPDATE`` of the rows that
      changed; rows equal to the stored ones are left untouched and counted as unchanged.
      ``insert_only_columns`` (default ``[_ingested_at]``) are written when a key is first
      inserted and neither compared nor updated afterwards (the first ingestion time stays).
    - ``append``: plain insert; with a key, rows whose key is stored already are kept as stored
      (``ON CONFLICT DO NOTHING``, counted as unchanged). Default without a key.
    - ``replace``: builds a new table and swaps it in with a rename inside one transaction, so
      readers see the old table or the new one, never a half-built one.

    Example catalog entry::

        raw_fuel_prices:
          type: data_collection_kedro.datasets.DuckDBTableDataset
          database: ${globals:duckdb_path}
          table: raw_fuel_prices
          key: [station_id, fuel, updated_at]
          batch_size: 50000
          indexes: [[station_id], [updated_at]]
          load_args:
            columns: [station_id, fuel, updated_at, price_eur_l]
            where: "updated_at >= TIMESTAMP '2024-01-01'"
            order_by: [station_id, updated_at]

        meteo_consommation:
          type: data_collection_kedro.datasets.DuckDBTableDataset
          database: ${globals:duckdb_path}
          table: meteo_consommation
          key: [region_code, day]
          mode: replace

    Loaded frames follow the stores' dtype convention (``arrow_to_frame``): ``Int64``,
    ``boolean``, ``str``, ``float64``, ``datetime.date`` objects for dates and ``datetime64``
    for timestamps (UTC for zone-aware ones).
    """

    def __init__(
        self,
        database: str,
        table: str,
        key: list[str] | str | None = None,
        batch_size: int = 50_000,
        mode: Mode | None = None,
        load_args: dict[str, Any] | None = None,
        indexes: list[list[str] | str] | None = None,
        insert_only_columns: list[str] | None = None,
        lock_timeout_s: float = 60.0,
        metadata: dict[str, Any] | None = None,
        unique_index: bool = True,
        updated_at_column: str | None = None,
        precedence: list[str] | None = None,
        memory_limit: str | None = None,
    ) -> None:
        self._database = Path(database)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
            raise DatasetError(f"DuckDB table name {table!r} must be a plain SQL identifier")
        self._table = table
        self._key = normalize_key(key)
        self._mode: Mode = mode or ("upsert" if self._key else "append")
        if self._mode not in _MODES:
            raise DatasetError(f"mode must be one of {_MODES}, got {self._mode!r}")
        if self._mode == "upsert" and not self._key:
            raise DatasetError(f"table {table}: mode 'upsert' needs a key")
        if batch_size <= 0:
            raise DatasetError(f"batch_size must be a positive integer, got {batch_size}")
        self._batch_size = int(batch_size)
        self._load_args = checked_load_args(load_args, _LOAD_ARGS)
        self._indexes = [normalize_key(ix) for ix in (indexes or [])]
        self._insert_only = insert_only_set(insert_only_columns)
        self._lock_timeout_s = lock_timeout_s
        self.metadata = metadata
        self._unique_index = bool(unique_index)
        self._updated_at = updated_at_column
        self._precedence = None if precedence is None else normalize_key(precedence)
        self._memory_limit = memory_limit
        self.last_result: SaveResult | None = None

    # ------------------------------------------------------------------------------ kedro API
    def _describe(self) -> dict[str, Any]:
        return {
            "database": str(self._database),
            "table": self._table,
            "key": self._key,
            "mode": self._mode,
            "batch_size": self._batch_size,
            "load_args": self._load_args,
            "unique_index": self._unique_index,
        }

    def _exists(self) -> bool:
        if not self._database.exists():
            return False
        con = connect(self._database, read_only=True, lock_timeout_s=self._lock_timeout_s)
        try:
            return table_exists(con, self._table)
        finally:
            con.close()

    def load(self) -> pd.DataFrame:
        if not self._database.exists():
            raise DatasetError(
                f"DuckDB file {self._database} does not exist (table {self._table} never saved)"
            )
        con = connect(self._database, read_only=True, lock_timeout_s=self._lock_timeout_s)
        try:
            if not table_exists(con, self._table):
                raise DatasetError(f"table {self._table} does not exist in {self._database}")
            return arrow_to_frame(con.sql(self._select_sql()).to_arrow_table())
        finally:
            con.close()

    def save(self, data: pd.DataFrame | SqlBatch | WindowedFrame) -> None:
        started = time.perf_counter()
        where = f"{self._database.name}:{self._table}"
        self._database.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, SqlBatch):
            result = SaveResult(target=where, mode=self._mode)
            with write_lock(self._database):
                con = connect(self._database, lock_timeout_s=self._lock_timeout_s)
                try:
                    if self._memory_limit:  # DuckDB spills to disk beyond it
                        run(con, f"SET memory_limit = {literal(self._memory_limit)}")
                    self._save_plan(con, data, result)
                except BaseException:
                    self._forget()  # a rolled back change: asked again next time
                    raise
                finally:
                    if self._memory_limit:  # a setting of the database, which may stay open
                        with suppress(duckdb.Error):
                            run(con, "RESET memory_limit")
                    _hold(str(self._database))
                    con.close()
        elif isinstance(data, WindowedFrame):
            result = self._save_windowed(data, where)
        else:
            arrow, result = prepare_save(resolved(data), self._key, where, self._mode)
            with write_lock(self._database):
                if self._mode != "replace" and self._known_to_hold(arrow):
                    result.seconds = time.perf_counter() - started
                    result.log(self._logger)  # nothing to write, nothing to create
                    self.last_result = result
                    return
                con = connect(self._database, lock_timeout_s=self._lock_timeout_s)
                try:
                    if self._mode == "replace":
                        self._save_replace(con, arrow, result)
                    else:
                        self._save_merge(con, arrow, result)
                except BaseException:
                    self._forget()  # a rolled back change: asked again next time
                    raise
                finally:
                    _hold(str(self._database))
                    con.close()
        result.seconds = time.perf_counter() - started
        result.log(self._logger)
        self.last_result = result

    def _save_windowed(self, data: WindowedFrame, where: str) -> SaveResult:
        """Rows replacing part of the table (:class:`WindowedFrame`): the whole table, or an
        upsert on the key plus, from ``since`` on, the deletion of the stored rows the frame
        lacks."""
        if not replaces_all(data) and not self._key:
            raise DatasetError(f"{where}: rows replacing part of a table need a key")
        mode = "replace" if replaces_all(data) else "upsert"
        if data.since is not None:
            mode = f"upsert from {data.column} {data.since}"
        if data.frame.empty and not replaces_all(data):
            arrow, result = pa.table({}), SaveResult(target=where, mode=mode)
        else:
            arrow, result = prepare_save(data.frame, self._key, where, mode)
        with write_lock(self._database):
            con = connect(self._database, lock_timeout_s=self._lock_timeout_s)
            try:
                if replaces_all(data):
                    self._save_replace(con, arrow, result)
                    return result
                if arrow.num_rows:
                    self._save_merge(con, arrow, result)
                if data.since is not None and table_exists(con, self._table):
                    result.extra["deleted"] = self._delete_missing_rows(
                        con, arrow, data.column, data.since
                    )
                    self._state().has_rows = False  # counted again when it matters
            except BaseException:
                self._forget()
                raise
            finally:
                con.close()
        return result

    def _delete_missing_rows(
        self, con: duckdb.DuckDBPyConnection, arrow: pa.Table, column: str, since: Any
    ) -> int:
        """Delete the stored rows whose ``column`` is on or after ``since`` and whose key is
        not among ``arrow``'s rows; their number."""
        table = quote(self._table)
        where = f"{table}.{quote(column)} >= ?"
        if not arrow.num_rows:
            return int(run(con, f"DELETE FROM {table} WHERE {where}", [since])[0][0])
        keys = " AND ".join(f"b.{quote(k)} = {table}.{quote(k)}" for k in self._key)
        con.register(_BATCH_VIEW, arrow.select(self._key))
        try:
            return int(
                run(
                    con,
                    f"DELETE FROM {table} WHERE {where} AND NOT EXISTS "
                    f"(SELECT 1 FROM {_BATCH_VIEW} b WHERE {keys})",
                    [since],
                )[0][0]
            )
        finally:
            con.unregister(_BATCH_VIEW)

    # ------------------------------------------------------------------- SQL-validated batches
    def _sibling(
        self, table: str, key: tuple[str, ...], first_seen: tuple[str, ...]
    ) -> DuckDBTableDataset:
        """The dataset of another table of this database with this one's store settings."""
        return DuckDBTableDataset(
            str(self._database),
            table,
            key=list(key),
            batch_size=self._batch_size,
            insert_only_columns=["_ingested_at", *first_seen],
            lock_timeout_s=self._lock_timeout_s,
            unique_index=self._unique_index,
            updated_at_column=self._updated_at,
            memory_limit=self._memory_limit,
        )

    def _save_plan(
        self, con: duckdb.DuckDBPyConnection, plan: SqlBatch, result: SaveResult
    ) -> None:
        """Validate and write a :class:`SqlBatch` inside DuckDB: the source is staged by SQL,
        its failing rows go to the quarantine table, its good rows are upserted. The input
        is scanned meanwhile (a thread); when the scan or the staging shows something only
        the Python path handles (quotes, control bytes, invalid UTF-8, a cut last line), the
        batch's rows are validated in Python and written the same way."""
        quarantine = self._sibling(
            plan.quarantine_table, plan.quarantine_key, plan.quarantine_first_seen
        )
        q_result = SaveResult(
            target=f"{self._database.name}:{plan.quarantine_table}", mode="upsert"
        )
        with ThreadPoolExecutor(max_workers=1) as pool:
            scanning = pool.submit(plan.scan)
            error: str | None = None
            staged: int | None = None
            try:
                run(con, plan.stage_sql())
                staged = int(run(con, plan.staged_lines_sql())[0][0])
            except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
                error = str(exc).splitlines()[0]
            scan = scanning.result()
        refusal = plan.refusal(scan, staged, error)
        try:
            if refusal:
                self._logger.info("%s: validated in Python (%s)", result.target, refusal)
                read = stored = quarantined = 0
                for rows, bad in plan.python_batches():
                    read += len(rows) + len(bad)
                    stored += len(rows)
                    quarantined += len(bad)
                    if len(bad):
                        arrow, _ = prepare_save(bad, quarantine._key, q_result.target, "upsert")
                        quarantine._save_merge(con, arrow, q_result)
                    arrow, part = prepare_save(rows, self._key, result.target, self._mode)
                    result.rows += part.rows
                    self._save_merge(con, arrow, result)
                plan.record(read, stored, quarantined, f"python ({refusal})")
                return
            failed = int(run(con, plan.bad_count_sql())[0][0])
            if failed:
                run(con, plan.detail_sql())
            duplicates = int(run(con, plan.duplicates_sql())[0][0])
            quarantined = 0
            if failed or duplicates:
                quarantined = quarantine.merge_relation(
                    con, plan.quarantine_sql(duplicates > 0, failed > 0), q_result
                )
            stored = self.merge_relation(con, plan.rows_sql(duplicates > 0), result)
            plan.record(int(staged or 0), stored, quarantined, "duckdb")
        finally:
            run(con, f"DROP TABLE IF EXISTS {_STAGE}")
            run(con, f"DROP TABLE IF EXISTS {_STAGE}_detail")
        q_result.log(self._logger)

    def merge_relation(
        self, con: duckdb.DuckDBPyConnection, relation: str, result: SaveResult
    ) -> int:
        """Upsert the rows of the SQL ``relation`` (de-duplicated on the key); returns their
        number. Into a new or empty table they are inserted straight from the relation (one
        copy); otherwise they are staged and merged (:meth:`merge_from`)."""
        select = f"SELECT * FROM ({relation})"
        if self._updated_at:
            select = f"SELECT *, current_timestamp AS {quote(self._updated_at)} FROM ({relation})"
        self._check_stored_key(con)
        run(con, f"CREATE OR REPLACE TEMP VIEW {_RELATION} AS {select}")
        try:
            columns = [r[0] for r in run(con, f"DESCRIBE {_RELATION}")]
            empty = self._prepare_table(con, _RELATION)
            if empty or not self._key:
                cols = ", ".join(quote(c) for c in columns)
                with transaction(con):
                    if empty:
                        self._drop_indexes(con, self._table)
                    rows = int(
                        run(
                            con,
                            f"INSERT INTO {quote(self._table)} ({cols}) "
                            f"SELECT {cols} FROM {_RELATION}",
                        )[0][0]
                    )
                    result.inserted += rows
                    result.batches += 1
                    self._state().has_rows = self._state().has_rows or rows > 0
                    self._create_indexes(con, self._table)
                    if self._key:
                        self._record_key(con)
            else:
                run(
                    con,
                    f"CREATE OR REPLACE TEMP TABLE {_RELATION}_rows AS SELECT * FROM {_RELATION}",
                )
                try:
                    rows = int(run(con, f"SELECT count(*) FROM {_RELATION}_rows")[0][0])
                    self.merge_from(con, f"{_RELATION}_rows", columns, result)
                finally:
                    run(con, f"DROP TABLE IF EXISTS {_RELATION}_rows")
                self._create_indexes(con, self._table)
        finally:
            run(con, f"DROP VIEW IF EXISTS {_RELATION}")
        result.rows += rows
        return rows

    # ------------------------------------------------------------------------------- loading
    def _select_sql(self) -> str:
        columns = self._load_args.get("columns")
        cols = ", ".join(quote(c) for c in normalize_key(columns)) if columns else "*"
        sql = f"SELECT {cols} FROM {quote(self._table)}"
        if self._load_args.get("where"):
            sql += f" WHERE {self._load_args['where']}"
        order_by = self._load_args.get("order_by")
        if order_by:
            sql += " ORDER BY " + ", ".join(quote(c) for c in normalize_key(order_by))
        elif self._key:
            sql += " ORDER BY " + ", ".join(quote(c) for c in self._key)
        if self._load_args.get("limit") is not None:
            sql += f" LIMIT {int(self._load_args['limit'])}"
        return sql

    # -------------------------------------------------------------------------------- saving
    def _create_indexes(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        state = self._state()
        if state.indexed:
            return  # created (or found) by an earlier save of this run, not dropped since
        if self._key and self._unique_index:
            run(
                con,
                f"CREATE UNIQUE INDEX IF NOT EXISTS {quote(table + '__key')} ON {quote(table)} "
                f"({', '.join(quote(k) for k in self._key)})",
            )
        for cols in self._indexes:
            name = f"{table}__{'_'.join(cols)}"
            run(
                con,
                f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} "
                f"({', '.join(quote(c) for c in cols)})",
            )
        state.indexed = True

    def _insert_batches(
        self,
        con: duckdb.DuckDBPyConnection,
        arrow: pa.Table,
        statement: str,
        result: SaveResult,
        all_inserted: bool,
    ) -> None:
        """Run ``statement`` (reading the view ``_BATCH_VIEW``) once per batch."""
        with BatchProgress(result.target, arrow.num_rows, self._logger) as progress:
            for start, stop in batch_bounds(arrow.num_rows, self._batch_size):
                con.register(_BATCH_VIEW, arrow.slice(start, stop - start))
                try:
                    if all_inserted:
                        result.inserted += stop - start
                    run(con, statement)
                finally:
                    con.unregister(_BATCH_VIEW)
                progress.update(stop - start)
            result.batches = progress.batches

    def _same_row_condition(self, columns: list[str], left: str, right: str) -> str:
        compared = [
            c
            for c in columns
            if c not in self._key and c not in self._insert_only and c != self._updated_at
        ]
        if not compared:
            return "TRUE"
        return " AND ".join(
            f"{left}.{quote(c)} IS NOT DISTINCT FROM {right}.{quote(c)}" for c in compared
        )

    def _known_to_hold(self, arrow: pa.Table) -> bool:
        """Whether ``arrow`` has no rows and its columns are known (this run's earlier saves)
        to be the table's, with their types, under this natural key: a save with nothing to
        do, which need not open a connection."""
        if arrow.num_rows or any(k not in arrow.column_names for k in self._key):
            return False
        state = self._state()
        if not state.columns or not state.key_known:
            return False
        if state.stored_key is not None and state.stored_key != self._key:
            return False  # the save raises it
        types = _ARROW_TYPES.get(self._with_updated_at(arrow).schema)
        return types is not None and all(state.columns.get(c) == t for c, t in types.items())

    def _holds(
        self, con: duckdb.DuckDBPyConnection, existing: dict[str, str], arrow: pa.Table
    ) -> bool:
        """Whether the stored columns ``existing`` include ``arrow``'s, with its types."""
        if not set(arrow.column_names) <= set(existing):
            return False
        incoming = self._describe_types(con, arrow)
        return all(existing[c] == dtype for c, dtype in incoming.items())

    @staticmethod
    def _describe_types(con: duckdb.DuckDBPyConnection, source: pa.Table | str) -> dict[str, str]:
        """The DuckDB types of an Arrow table's columns (asked once per schema) or of a
        relation of this connection."""
        if isinstance(source, pa.Table) and source.schema in _ARROW_TYPES:
            return dict(_ARROW_TYPES[source.schema])
        name = _BATCH_VIEW if isinstance(source, pa.Table) else source
        if isinstance(source, pa.Table):
            con.register(_BATCH_VIEW, source.slice(0, 0))
        try:
            described = run(con, f"DESCRIBE SELECT * FROM {name}")
            types = {column: dtype for column, dtype, *_ in described}
        finally:
            if isinstance(source, pa.Table):
                con.unregister(_BATCH_VIEW)
        if isinstance(source, pa.Table):
            with _HELD_GUARD:
                if len(_ARROW_TYPES) >= _ARROW_TYPES_MAX:
                    _ARROW_TYPES.clear()
                _ARROW_TYPES[source.schema] = types
        return dict(types)

    def _prepare_table(
        self,
        con: duckdb.DuckDBPyConnection,
        source: pa.Table | str,
        existing: dict[str, str] | None = None,
    ) -> bool:
        """Create the table or add the incoming columns (of an Arrow table or of a relation of
        this connection; ``existing``: the table's columns, when the caller has read them).
        True when the table was (made) empty."""
        incoming = self._describe_types(con, source)
        state = self._state()
        if existing is None:
            existing = self._columns(con, state)
        if not existing:
            name = _BATCH_VIEW if isinstance(source, pa.Table) else source
            if isinstance(source, pa.Table):
                con.register(_BATCH_VIEW, source.slice(0, 0))
            try:
                run(con, f"CREATE TABLE {quote(self._table)} AS SELECT * FROM {name} LIMIT 0")
            finally:
                if isinstance(source, pa.Table):
                    con.unregister(_BATCH_VIEW)
            self._forget()  # a new table: nothing known of it yet
            return True
        for name, dtype in incoming.items():
            if name not in existing:
                self._logger.info("%s: adding column %s %s", self._table, name, dtype)
                run(con, f"ALTER TABLE {quote(self._table)} ADD COLUMN {quote(name)} {dtype}")
                state.columns = None  # asked again at the next save
        self._widen_columns(con, existing, incoming)
        if state.has_rows:
            return False
        state.has_rows = bool(run(con, f"SELECT count(*) FROM {quote(self._table)}")[0][0])
        return not state.has_rows

    def _widen_columns(
        self, con: duckdb.DuckDBPyConnection, existing: dict[str, str], incoming: dict[str, str]
    ) -> None:
        """Give a column the frame's type when the stored one was only a guess.

        A column created from an all-null frame column is ``VARCHAR`` and an integer column may
        later receive decimals: such columns take the incoming type (``ALTER … TYPE``) instead
        of casting the new values into the old type (text, or silently rounded integers).
        Key columns are never altered.
        """
        widen = {}
        for name, dtype in incoming.items():
            old = existing.get(name)
            if old is None or old == dtype or name in self._key:
                continue
            if (
                old == "VARCHAR"
                and not run(con, f"SELECT count({quote(name)}) FROM {quote(self._table)}")[0][0]
            ):
                widen[name] = dtype
            elif old in _INTEGER_TYPES and dtype in ("DOUBLE", "FLOAT"):
                widen[name] = "DOUBLE"
        if not widen:
            return
        self._logger.info("%s: changing column type(s) %s", self._table, widen)
        self._state().columns = None
        # DuckDB alters no table that has an index: drop them; _create_indexes rebuilds them.
        with transaction(con):
            self._drop_indexes(con, self._table)
            for name, dtype in widen.items():
                run(con, f"ALTER TABLE {quote(self._table)} ALTER {quote(name)} TYPE {dtype}")

    def _stored_key(self, con: duckdb.DuckDBPyConnection) -> list[str] | None:
        """The natural key the table was first saved with (``None``: not recorded)."""
        if table_exists(con, _KEYS_TABLE):
            rows = run(
                con, f"SELECT key_columns FROM {_KEYS_TABLE} WHERE table_name = ?", [self._table]
            )
            if rows:
                return [str(c) for c in json.loads(rows[0][0])]
        rows = con.execute(
            "SELECT expressions FROM duckdb_indexes() WHERE table_name = ? AND index_name = ? "
            "AND schema_name = current_schema()",
            [self._table, f"{self._table}__key"],
        ).fetchall()
        if not rows:
            return None
        return [c.strip().strip("'\"") for c in str(rows[0][0]).strip("[]").split(",")]

    def _record_key(self, con: duckdb.DuckDBPyConnection) -> None:
        run(
            con,
            f"CREATE TABLE IF NOT EXISTS {_KEYS_TABLE} (table_name VARCHAR, key_columns VARCHAR)",
        )
        run(con, f"DELETE FROM {_KEYS_TABLE} WHERE table_name = ?", [self._table])
        run(con, f"INSERT INTO {_KEYS_TABLE} VALUES (?, ?)", [self._table, json.dumps(self._key)])
        state = self._state()
        state.stored_key, state.key_known = list(self._key), True

    def _check_stored_key(
        self, con: duckdb.DuckDBPyConnection, existing: dict[str, str] | None = None
    ) -> None:
        """A table stored under another natural key cannot be upserted on this one
        (``existing``: the table's columns, when the caller has read them)."""
        state = self._state()
        if not (self._columns(con, state) if existing is None else existing):
            return
        if not state.key_known:
            state.stored_key, state.key_known = self._stored_key(con), True
        stored = state.stored_key
        if stored is not None and stored != self._key:
            raise DatasetError(
                f"{self._database.name}:{self._table} is stored with the natural key {stored}, "
                f"declared now as {self._key}: its rows cannot be matched. Rebuild it from the "
                f"sources: DROP TABLE {self._table} (e.g. with the duckdb CLI), then run the ETL "
                "again (the files are read again; live sources pull from their start date)."
            )

    def _forget(self) -> None:
        """Drop what this process knew of the table (it was replaced or lost rows)."""
        tables = _known_tables(str(self._database))
        if tables is not None:
            tables.pop(self._table, None)

    def _state(self) -> _TableState:
        """What the saves of this process know of the table (a blank state, dropped after use,
        when the file is not held for a run: every question goes to the catalog)."""
        tables = _known_tables(str(self._database))
        if tables is None:
            return _TableState()
        return tables.setdefault(self._table, _TableState())

    def _columns(self, con: duckdb.DuckDBPyConnection, state: _TableState) -> dict[str, str]:
        """The table's columns and types (empty: no such table), asked once while held."""
        if state.columns is None:
            columns = table_columns(con, self._table)
            if not columns:
                return columns  # created later: asked again
            state.columns = columns
        return state.columns

    def _with_updated_at(self, arrow: pa.Table) -> pa.Table:
        """The frame with the ``updated_at_column``: the time of this save (which rows a
        run wrote: a consumer can read only the rows written since a time it recorded)."""
        if not self._updated_at or self._updated_at in arrow.column_names:
            return arrow
        now = datetime.now(UTC)
        stamps = pa.array([now] * arrow.num_rows, pa.timestamp("us", tz="UTC"))
        return arrow.append_column(self._updated_at, stamps)

    def _save_merge(
        self, con: duckdb.DuckDBPyConnection, arrow: pa.Table, result: SaveResult
    ) -> None:
        missing_key = [k for k in self._key if k not in arrow.column_names]
        if missing_key:
            raise DatasetError(f"{result.target}: key column(s) {missing_key} missing")
        state = self._state()
        existing = self._columns(con, state)
        self._check_stored_key(con, existing)
        arrow = self._with_updated_at(arrow)
        if arrow.num_rows == 0 and existing and self._holds(con, existing, arrow):
            return  # nothing to write, nothing to create (a skipped source's empty tables)
        empty = self._prepare_table(con, arrow, existing)
        cols = ", ".join(quote(c) for c in arrow.column_names)
        insert = f"INSERT INTO {quote(self._table)} ({cols}) SELECT {cols} FROM {_BATCH_VIEW}"
        if empty:
            # Bulk path: insert without an index, then build the indexes once (several times
            # faster than maintaining them row by row), all in one transaction. The key is
            # already de-duplicated.
            with transaction(con):
                self._drop_indexes(con, self._table)
                if self._unique_index:
                    arrow = self._sorted_by_key(arrow)
                self._insert_batches(con, arrow, insert, result, all_inserted=True)
                self._create_indexes(con, self._table)
                if self._key:
                    self._record_key(con)
            state.has_rows = arrow.num_rows > 0
            return
        if not self._key:
            self._insert_batches(con, arrow, insert, result, all_inserted=True)
            state.has_rows = state.has_rows or arrow.num_rows > 0
            return
        con.register(_BATCH_VIEW, arrow)
        try:
            self.merge_from(con, _BATCH_VIEW, arrow.column_names, result, arrow.num_rows)
        finally:
            con.unregister(_BATCH_VIEW)
        self._create_indexes(con, self._table)

    def _preferred_condition(self, columns: list[str]) -> str:
        """SQL, true where the incoming row ``b`` may replace the stored row ``t`` of its key:
        a status at least as final (``precedence`` columns), and — for two rows of one file
        written by the same run (the stored row saved after the incoming row's run stamp,
        ``_ingested_at``) — not a later line (the earlier line of a file wins)."""
        if self._precedence is None:
            return "TRUE"
        parts = []
        present = [c for c in self._precedence if c in columns]
        if present:

            def rank(alias: str) -> str:
                ranks = [status_rank_sql(f"{alias}.{quote(c)}") for c in present]
                return ranks[0] if len(ranks) == 1 else f"greatest({', '.join(ranks)})"

            parts.append(f"({rank('b')} < {rank('t')})")
            same_rank = f"({rank('b')} = {rank('t')})"
        else:
            same_rank = "TRUE"
        bookkeeping = {SOURCE_FILE_COLUMN, SOURCE_LINE_COLUMN, INGESTED_AT, self._updated_at or ""}
        if bookkeeping <= set(columns):
            # the stored row was written by this run: saved after the run's start stamp
            same_run_later_line = (
                f"(t.{quote(str(self._updated_at))} >= b.{quote(INGESTED_AT)} AND "
                f"t.{quote(SOURCE_FILE_COLUMN)} = b.{quote(SOURCE_FILE_COLUMN)} AND "
                f"b.{quote(SOURCE_LINE_COLUMN)} > t.{quote(SOURCE_LINE_COLUMN)})"
            )
            parts.append(f"({same_rank} AND NOT coalesce({same_run_later_line}, false))")
        else:
            parts.append(same_rank)
        return " OR ".join(parts)

    def merge_from(
        self,
        con: duckdb.DuckDBPyConnection,
        source: str,
        columns: list[str],
        result: SaveResult,
        total: int | None = None,
    ) -> None:
        """Upsert the rows of the relation ``source`` (a view or table of this connection,
        de-duplicated on the key; ``total``: their number, when known) into the table, which
        exists and holds rows.

        One join finds the new rows and the changed ones (unchanged rows cost nothing more);
        the new rows are inserted and the changed ones updated, in batches, in one
        transaction (statements with nothing to write are not run). With ``precedence``, a changed row whose stored row is preferred
        (more final status; an earlier line of the same file in this run) is not written: it
        is counted as ``kept_stored`` and logged with both values."""
        on = " AND ".join(f"t.{quote(k)} = b.{quote(k)}" for k in self._key)
        first_key = f"t.{quote(self._key[0])}"
        if self._mode == "append":
            wanted = f"{first_key} IS NULL"
        else:
            same = self._same_row_condition(columns, left="t", right="b")
            wanted = f"{first_key} IS NULL OR NOT ({same})"
        preferred = self._preferred_condition(columns)
        run(
            con,
            f"CREATE OR REPLACE TEMP TABLE {_DIFF} AS SELECT b.*, {first_key} IS NULL AS "
            f"{quote(_NEW_FLAG)}, ({first_key} IS NULL OR ({preferred})) AS {quote(_KEEP_FLAG)}, "
            f"row_number() OVER () AS {quote(_ROW)} "
            f"FROM {source} b LEFT JOIN {quote(self._table)} t ON {on} WHERE {wanted}",
        )
        # the diff table is not dropped: the next merge replaces it, and it goes with the
        # connection (closed at the end of each save)
        counted = "" if total is not None else f", (SELECT count(*) FROM {source})"
        new, written, diff, *rest = run(
            con,
            f"SELECT count(*) FILTER ({quote(_NEW_FLAG)}), count(*) FILTER "
            f"({quote(_KEEP_FLAG)}), count(*){counted} FROM {_DIFF}",
        )[0]
        total = int(rest[0]) if total is None else total
        result.inserted += int(new)
        result.updated += int(written) - int(new)
        result.unchanged += total - int(diff)
        kept = int(diff) - int(written)
        if kept:
            result.extra["kept_stored"] = result.extra.get("kept_stored", 0) + kept
            self._log_kept(con, columns)
        self._write_diff(con, columns, (int(diff), int(new), int(written) - int(new)), result)

    def _write_diff(
        self,
        con: duckdb.DuckDBPyConnection,
        columns: list[str],
        counts: tuple[int, int, int],
        result: SaveResult,
    ) -> None:
        """Insert the new rows and update the changed ones of the diff table (``counts``: its
        rows, the new ones, the changed ones to write); a statement with nothing to write is
        not run, and a single statement needs no transaction of its own."""
        rows, inserts, updates_written = counts
        if not rows:
            return  # every row unchanged: nothing to write
        cols = ", ".join(quote(c) for c in columns)
        key_match = " AND ".join(f"t.{quote(k)} = d.{quote(k)}" for k in self._key)
        updates = [c for c in columns if c not in self._key and c not in self._insert_only]
        sets = ", ".join(f"{quote(c)} = d.{quote(c)}" for c in updates)
        batches = list(batch_bounds(rows, self._batch_size))
        update = bool(sets) and updates_written > 0
        atomic = len(batches) == 1 and not (inserts and update)
        with (
            nullcontext() if atomic else transaction(con),
            BatchProgress(result.target, rows, self._logger) as progress,
        ):
            for start, stop in batches:
                window = f"d.{quote(_ROW)} > {start} AND d.{quote(_ROW)} <= {stop}"
                if inserts:
                    run(
                        con,
                        f"INSERT INTO {quote(self._table)} ({cols}) SELECT {cols} FROM {_DIFF} d "
                        f"WHERE d.{quote(_NEW_FLAG)} AND {window}",
                    )
                if update:
                    run(
                        con,
                        f"UPDATE {quote(self._table)} t SET {sets} FROM {_DIFF} d WHERE "
                        f"{key_match} AND NOT d.{quote(_NEW_FLAG)} AND d.{quote(_KEEP_FLAG)} "
                        f"AND {window}",
                    )
                progress.update(stop - start)
            result.batches = progress.batches
        if inserts:
            self._state().has_rows = True

    def _log_kept(self, con: duckdb.DuckDBPyConnection, columns: list[str]) -> None:
        """Log a few rows whose stored row was preferred, with both values."""
        key_match = " AND ".join(f"t.{quote(k)} = d.{quote(k)}" for k in self._key)
        shown = [
            c
            for c in columns
            if c not in self._key and c not in self._insert_only and c != self._updated_at
        ]
        rows = con.execute(
            f"SELECT {', '.join(f'd.{quote(k)}' for k in self._key)}, "
            + ", ".join(f"t.{quote(c)}, d.{quote(c)}" for c in shown)
            + f" FROM {_DIFF} d JOIN {quote(self._table)} t ON {key_match} "
            f"WHERE NOT d.{quote(_KEEP_FLAG)} LIMIT 5"
        ).fetchall()
        for row in rows:
            key, values = row[: len(self._key)], row[len(self._key) :]
            differing = [
                f"{c}: kept {values[2 * i]!r}, refused {values[2 * i + 1]!r}"
                for i, c in enumerate(shown)
                if values[2 * i] != values[2 * i + 1]
            ]
            self._logger.warning(
                "%s: key %s: the stored row is preferred (more final status, or an earlier "
                "line of the same file): %s",
                self._table,
                dict(zip(self._key, key, strict=True)),
                "; ".join(differing),
            )

    def _sorted_by_key(self, arrow: pa.Table) -> pa.Table:
        """Rows in key order: DuckDB builds the unique index of sorted rows several times
        faster (and loads, ordered by the key, read them in order)."""
        if not self._key or arrow.num_rows < 2:
            return arrow
        return arrow.sort_by([(k, "ascending") for k in self._key])

    def _drop_indexes(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        self._state().indexed = False
        rows = con.execute(
            "SELECT index_name FROM duckdb_indexes() WHERE table_name = ? "
            "AND schema_name = current_schema()",
            [table],
        ).fetchall()
        for (name,) in rows:
            run(con, f"DROP INDEX IF EXISTS {quote(name)}")

    def _save_replace(
        self, con: duckdb.DuckDBPyConnection, arrow: pa.Table, result: SaveResult
    ) -> None:
        """Build the new table under a staging name, then drop the old one and rename the new
        one, all in one transaction: readers see the old table or the new one, never a
        half-built one, and a failed save leaves the old table in place."""
        staging = f"{self._table}__staging_{uuid.uuid4().hex[:8]}"
        cols = ", ".join(quote(c) for c in arrow.column_names)
        insert = f"INSERT INTO {quote(staging)} ({cols}) SELECT {cols} FROM {_BATCH_VIEW}"
        with transaction(con):
            con.register(_BATCH_VIEW, arrow.slice(0, 0))
            try:
                run(con, f"CREATE TABLE {quote(staging)} AS SELECT * FROM {_BATCH_VIEW}")
            finally:
                con.unregister(_BATCH_VIEW)
            self._insert_batches(con, self._sorted_by_key(arrow), insert, result, all_inserted=True)
            previous = 0
            if table_exists(con, self._table):
                previous = int(run(con, f"SELECT count(*) FROM {quote(self._table)}")[0][0])
                run(con, f"DROP TABLE {quote(self._table)}")
            run(con, f"ALTER TABLE {quote(staging)} RENAME TO {quote(self._table)}")
            self._forget()
            self._create_indexes(con, self._table)
        result.extra["replaced_rows"] = previous


class DuckDBQueryDataset(AbstractDataset[None, pd.DataFrame]):
    """Read-only result of one SQL query on the embedded store (watermarks, dashboards).

    Example catalog entry::

        fuel_prices_watermark:
          type: data_collection_kedro.datasets.DuckDBQueryDataset
          database: ${globals:duckdb_path}
          sql: SELECT max(updated_at) AS newest FROM raw_fuel_prices
          missing_ok: true   # an empty frame when the file or a table does not exist yet
    """

    def __init__(
        self,
        database: str,
        sql: str,
        missing_ok: bool = False,
        lock_timeout_s: float = 60.0,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._database = Path(database)
        self._sql = sql
        self._missing_ok = missing_ok
        self._lock_timeout_s = lock_timeout_s
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"database": str(self._database), "sql": self._sql}

    def _exists(self) -> bool:
        return self._database.exists()

    def load(self) -> pd.DataFrame:
        if not self._database.exists():
            if self._missing_ok:
                return pd.DataFrame()
            raise DatasetError(f"DuckDB file {self._database} does not exist")
        con = connect(self._database, read_only=True, lock_timeout_s=self._lock_timeout_s)
        try:
            return arrow_to_frame(con.sql(self._sql).to_arrow_table())
        except duckdb.CatalogException:
            if self._missing_ok:
                return pd.DataFrame()
            raise
        finally:
            con.close()

    def save(self, data: None) -> None:
        raise DatasetError(f"{type(self).__name__} is read-only")
