"""MongoDB collection dataset: the production raw store (``--env prod``).

Same contract as :class:`~data_collection_kedro.datasets.DuckDBTableDataset`: upsert on a
natural key in batches, a unique compound index on the key, in-save duplicate/null keys dropped
(logged), inserted / updated / unchanged counts in ``last_result``, and loaded frames with the
stores' dtype convention.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import pyarrow as pa
import pymongo
from kedro.io import AbstractDataset, DatasetError
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from data_collection_kedro.datasets._store_common import (
    BatchProgress,
    SaveResult,
    SqlBatch,
    arrow_to_frame,
    arrow_to_records,
    arrow_type_from_string,
    batch_bounds,
    checked_load_args,
    insert_only_set,
    normalize_key,
    prepare_save,
    resolved,
)
from data_collection_kedro.redaction import redact

DEFAULT_URI = "mongodb://localhost:27017"
#: Collection holding the column types of every collection written by the dataset, so that a
#: load gives back dates, nullable integers and zone-aware timestamps as they were saved.
SCHEMA_COLLECTION = "_energiewatch_schemas"
_LOAD_ARGS = {"columns", "where", "order_by", "limit", "batch_size"}
_MODES = ("upsert", "replace")


def _bson_dates(records: list[dict[str, Any]], date_columns: list[str]) -> None:
    """BSON has no date type: ``datetime.date`` -> midnight ``datetime`` (in place)."""
    for rec in records:
        for col in date_columns:
            value = rec.get(col)
            if value is not None:
                rec[col] = dt.datetime(value.year, value.month, value.day)


def environment_credentials() -> dict[str, Any]:
    """``username`` / ``password`` from ``MONGODB_USERNAME`` / ``MONGODB_PASSWORD`` when the
    first is set (the connection's credentials kept out of ``MONGODB_URI``, as
    ``.env.example`` sets them), else nothing: the credentials of a dataset without
    ``credentials`` and of the raw-store watermark."""
    username = os.environ.get("MONGODB_USERNAME")
    if not username:
        return {}
    return {"username": username, "password": os.environ.get("MONGODB_PASSWORD", "")}


class MongoCollectionDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """One MongoDB collection, written by ``bulk_write`` upserts on a natural key.

    Each batch is one unordered ``bulk_write`` of
    ``UpdateOne(key filter, {"$set": row, "$setOnInsert": insert-only columns}, upsert=True)``;
    the counts come from the ``BulkWriteResult`` (``upserted`` -> inserted, ``modified`` ->
    updated, ``matched - modified`` -> unchanged). Documents are BSON-safe: NaN/NA -> absent
    field (``$unset``, so a null equals a missing field), numpy scalars -> Python, ``date`` -> ``datetime`` (restored to ``date`` on load from the
    column types kept in the ``_energiewatch_schemas`` collection).

    Example catalog entry (``conf/prod/catalog.yml``)::

        raw_fuel_prices:
          type: data_collection_kedro.datasets.MongoCollectionDataset
          uri: ${globals:mongodb_uri}          # MONGODB_URI, no secrets in it
          database: ${globals:mongodb_database}
          collection: raw_fuel_prices
          key: [station_id, fuel, updated_at]
          batch_size: 5000
          credentials: mongodb                 # conf/local/credentials.yml: username, password
          load_args:
            columns: [station_id, fuel, updated_at, price_eur_l]
            where: {fuel: SP95}                # a MongoDB filter document
            order_by: [updated_at]

    ``credentials`` may hold ``username``, ``password``, ``authSource`` (any ``MongoClient``
    keyword) and ``uri`` (a URI with secrets, overriding ``uri``).

    ``mode``: ``upsert`` (default) as above; ``replace`` writes the frame into a staging
    collection (same unique key index) and renames it over the collection
    (``renameCollection`` with ``dropTarget``, atomic on one server): readers see the old
    documents or the new ones, never a half-written set, and a failed save leaves the old
    collection in place, as ``DuckDBTableDataset``'s ``mode: replace``. Its column types are
    those of the frame (not merged with the previous ones).

    ``indexes``: secondary (ascending) indexes, each a field or a list of fields, created with
    the key index at each save (the source registry's, through ``DeclaredTableDataset``, as on
    the DuckDB store). ``day_column``: the field the incremental fusion selects days on
    (``RawRowsDataset``'s ``{day: {$gte: ...}}``), indexed too so that filter does not scan
    the collection; ``DeclaredTableDataset`` passes each raw table's
    (``domain.fusion_window.RAW_TABLES``).

    ``client_args`` are the other ``MongoClient`` keywords: write concern (``w``, ``journal``,
    ``wTimeoutMS``), ``retryWrites``, ``readConcernLevel``, ``readPreference``... (conf/prod
    passes ``mongodb_client`` of its globals, docs/production.md). They are described (shown by
    ``kedro catalog``), the credentials never.
    """

    def __init__(
        self,
        database: str,
        collection: str,
        key: list[str] | str,
        uri: str | None = None,
        batch_size: int = 5_000,
        credentials: dict[str, Any] | None = None,
        load_args: dict[str, Any] | None = None,
        insert_only_columns: list[str] | None = None,
        client_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        concurrency: int = 1,
        missing_ok: bool = False,
        mode: str = "upsert",
        indexes: list[list[str] | str] | None = None,
        day_column: str | None = None,
    ) -> None:
        batch_size, concurrency = int(batch_size), int(concurrency)  # may come from env vars
        self._key = normalize_key(key)
        self._indexes = [normalize_key(ix) for ix in (indexes or [])]
        if day_column and [day_column] not in self._indexes:
            self._indexes.append([day_column])
        if not self._key:
            raise DatasetError(f"collection {collection}: a key is needed for the upsert")
        if mode not in _MODES:
            raise DatasetError(f"mode must be one of {_MODES}, got {mode!r}")
        self._mode = mode
        if batch_size <= 0:
            raise DatasetError(f"batch_size must be a positive integer, got {batch_size}")
        credentials = dict(credentials or environment_credentials())
        self._credentials_given = dict(credentials)
        self._uri = (
            credentials.pop("uri", None) or uri or os.environ.get("MONGODB_URI") or DEFAULT_URI
        )
        self._public_uri = uri or os.environ.get("MONGODB_URI") or DEFAULT_URI
        self._public_client_args = dict(client_args or {})
        self._client_args = {**self._public_client_args, **credentials}
        self._database = database
        self._collection = collection
        self._batch_size = int(batch_size)
        if concurrency <= 0:
            raise DatasetError(f"concurrency must be a positive integer, got {concurrency}")
        self._concurrency = int(concurrency)
        self._missing_ok = missing_ok
        self._uri_argument = uri
        self._load_args = checked_load_args(load_args, _LOAD_ARGS)
        self._insert_only = insert_only_set(insert_only_columns)
        self._client: pymongo.MongoClient | None = None
        self._counts_lock = threading.Lock()
        self.metadata = metadata
        self.last_result: SaveResult | None = None

    # ---------------------------------------------------------------------------- plumbing
    def _db(self) -> Any:
        if self._client is None:
            self._client = pymongo.MongoClient(self._uri, tz_aware=False, **self._client_args)
        return self._client[self._database]

    def _release(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _create_indexes(self, coll: Any) -> None:
        """The unique natural-key index and the declared ones (``create_index`` is a no-op
        for an index that exists)."""
        coll.create_index(
            [(k, pymongo.ASCENDING) for k in self._key],
            unique=True,
            name=f"{self._collection}__key",
        )
        for fields in self._indexes:
            coll.create_index(
                [(f, pymongo.ASCENDING) for f in fields],
                name=f"{self._collection}__{'__'.join(fields)}",
            )

    def _stored_schema(self) -> list[list[str]]:
        doc = self._db()[SCHEMA_COLLECTION].find_one({"_id": self._collection})
        return [list(c) for c in doc["columns"]] if doc else []

    def _merge_schema(self, table: pa.Table, replace: bool = False) -> list[list[str]]:
        """Record the types of the frame's columns, in first-seen order (``replace``: the
        frame's columns only).

        An all-null column is recorded as ``null`` until a save brings values; an integer
        column that receives decimals becomes ``double`` (same rules as the DuckDB store).
        """
        columns = [] if replace else self._stored_schema()
        position = {name: i for i, (name, _) in enumerate(columns)}
        changed = not columns
        for fld in table.schema:
            all_null = table.num_rows > 0 and table.column(fld.name).null_count == table.num_rows
            new_type = "null" if all_null else str(fld.type)
            if fld.name not in position:
                position[fld.name] = len(columns)
                columns.append([fld.name, new_type])
                changed = True
                continue
            old_type = columns[position[fld.name]][1]
            widened = old_type == "null" and new_type != "null"
            widened |= old_type.startswith(("int", "uint")) and new_type == "double"
            if widened:
                columns[position[fld.name]][1] = new_type
                changed = True
        if changed:
            self._db()[SCHEMA_COLLECTION].update_one(
                {"_id": self._collection}, {"$set": {"columns": columns}}, upsert=True
            )
        return columns

    # ------------------------------------------------------------------------------ kedro API
    def _describe(self) -> dict[str, Any]:
        return {
            "uri": redact(self._public_uri),
            "database": self._database,
            "collection": self._collection,
            "key": self._key,
            "indexes": self._indexes,
            "mode": self._mode,
            "batch_size": self._batch_size,
            "client_args": self._public_client_args,
            "load_args": self._load_args,
        }

    def _exists(self) -> bool:
        return self._collection in self._db().list_collection_names()

    def load(self) -> pd.DataFrame:
        if not self._exists() and self._missing_ok:
            return pd.DataFrame()
        if not self._exists():
            raise DatasetError(
                f"collection {self._collection} does not exist in database {self._database}"
            )
        coll = self._db()[self._collection]
        columns = normalize_key(self._load_args.get("columns")) or None
        projection: dict[str, int] = {"_id": 0}
        if columns:
            projection.update({c: 1 for c in columns})
        order_by = normalize_key(self._load_args.get("order_by")) or self._key
        cursor = coll.find(
            self._load_args.get("where") or {},
            projection,
            sort=[(c, pymongo.ASCENDING) for c in order_by],
            batch_size=int(self._load_args.get("batch_size", 10_000)),
            allow_disk_use=True,  # sorting a large collection on a non-indexed field
        )
        if self._load_args.get("limit") is not None:
            cursor = cursor.limit(int(self._load_args["limit"]))
        return self._frame(list(cursor), columns)

    def distinct(self, columns: list[str]) -> pd.DataFrame:
        """The distinct combinations of ``columns`` (those the collection has), computed by
        the server (one ``$group``), in the stored column types; an empty frame when the
        collection has none of them. The collection must exist."""
        if not self._exists():
            raise DatasetError(
                f"collection {self._collection} does not exist in database {self._database}"
            )
        stored = {name for name, _ in self._stored_schema()}
        present = [c for c in columns if c in stored]
        if not present:
            return pd.DataFrame()
        group = {"$group": {"_id": {c: f"${c}" for c in present}}}
        rows = self._db()[self._collection].aggregate(
            [group, {"$replaceRoot": {"newRoot": "$_id"}}], allowDiskUse=True
        )
        frame = self._frame(list(rows), present)
        return frame.sort_values(present, ignore_index=True, na_position="last")

    def _frame(self, docs: list[dict[str, Any]], columns: list[str] | None) -> pd.DataFrame:
        """Documents as a frame of ``columns`` (None: every stored column, then the others
        the documents have), typed from the stored column types."""
        stored = self._stored_schema()
        names = list(columns) if columns else [name for name, _ in stored]
        for doc in docs:  # columns written by someone else than this dataset
            for name in doc:
                if name not in names:
                    names.append(name)
        types = {name: arrow_type_from_string(type_name) for name, type_name in stored}
        fields = []
        for name in names:
            arrow_type = types.get(name)
            fields.append(pa.field(name, arrow_type) if arrow_type is not None else None)
        if any(f is None for f in fields):
            inferred = pa.Table.from_pylist(docs) if docs else None
            fields = [
                f
                if f is not None
                else pa.field(
                    names[i],
                    inferred.schema.field(names[i]).type
                    if inferred is not None and names[i] in inferred.column_names
                    else pa.string(),
                )
                for i, f in enumerate(fields)
            ]
        return arrow_to_frame(pa.Table.from_pylist(docs, schema=pa.schema(fields)))

    def save(self, data: pd.DataFrame | SqlBatch) -> None:
        if isinstance(data, SqlBatch):
            if self._mode == "replace":  # its batches would replace each other
                raise DatasetError(f"{self._collection}: mode 'replace' takes a frame, not a batch")
            self._save_plan(data)
            return
        started = time.perf_counter()
        where = f"{self._database}.{self._collection}"
        table, result = prepare_save(resolved(data), self._key, where, self._mode)
        replace = self._mode == "replace"
        name = self._collection
        if replace:
            name = f"{self._collection}__staging_{uuid.uuid4().hex[:8]}"
        coll = self._db()[name]
        self._create_indexes(coll)
        if not replace:
            self._merge_schema(table)
        date_columns = [f.name for f in table.schema if pa.types.is_date(f.type)]

        def write(bounds: tuple[int, int]) -> int:
            start, stop = bounds
            records = arrow_to_records(table.slice(start, stop - start))
            _bson_dates(records, date_columns)
            self._write_batch(coll, records, result)
            return stop - start

        try:
            with BatchProgress(where, table.num_rows, self._logger) as progress:
                bounds = list(batch_bounds(table.num_rows, self._batch_size))
                if self._concurrency == 1 or len(bounds) < 2:
                    for part in bounds:
                        progress.update(write(part))
                else:  # unordered batches on a thread pool (pymongo's client is thread-safe)
                    with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
                        for rows in pool.map(write, bounds):
                            progress.update(rows)
                result.batches = progress.batches
            if replace:
                self._swap_in(name, table, result)
        except BaseException:
            if replace:  # the collection stays as it was; the staging one goes
                coll.drop()
            raise
        result.seconds = time.perf_counter() - started
        result.log(self._logger)
        self.last_result = result

    def _swap_in(self, staging: str, table: pa.Table, result: SaveResult) -> None:
        """``mode: replace``: the staging collection renamed over the collection (one
        ``renameCollection``, ``dropTarget``), then the frame's column types recorded."""
        db = self._db()
        previous = db[self._collection].estimated_document_count() if self._exists() else 0
        db.client.admin.command(
            "renameCollection",
            f"{self._database}.{staging}",
            to=f"{self._database}.{self._collection}",
            dropTarget=True,
        )
        self._merge_schema(table, replace=True)
        result.extra["replaced_rows"] = previous

    def _save_plan(self, plan: SqlBatch) -> None:
        """A batch validated by SQL elsewhere: here its rows are validated in Python and
        upserted, its quarantine rows go to the plan's quarantine collection."""
        quarantine = MongoCollectionDataset(
            database=self._database,
            collection=plan.quarantine_table,
            key=list(plan.quarantine_key),
            uri=self._uri_argument,
            batch_size=self._batch_size,
            credentials=self._credentials_given,
            insert_only_columns=["_ingested_at", *plan.quarantine_first_seen],
            client_args=self._public_client_args,
            concurrency=self._concurrency,
        )
        read = stored = quarantined = 0
        try:
            for rows, bad in plan.python_batches():
                read += len(rows) + len(bad)
                stored += len(rows)
                quarantined += len(bad)
                if len(bad):
                    quarantine.save(bad)
                self.save(rows)
        finally:
            quarantine._release()
        plan.record(read, stored, quarantined, "python (MongoDB store)")

    def _write_batch(self, coll: Any, records: list[dict[str, Any]], result: SaveResult) -> None:
        """One unordered ``bulk_write`` (the counts are added under a lock: batches may run
        on several threads)."""
        operations = []
        filters = []
        for rec in records:
            key_filter = {k: rec.pop(k) for k in self._key}
            on_insert = {c: v for c in self._insert_only if (v := rec.pop(c, None)) is not None}
            # A null is an absent field: unset it, so null == missing for change counting.
            values = {c: v for c, v in rec.items() if v is not None}
            nulls = {c: "" for c, v in rec.items() if v is None}
            update: dict[str, Any] = {}
            if values:
                update["$set"] = values
            if nulls:
                update["$unset"] = nulls
            if on_insert:
                update["$setOnInsert"] = on_insert
            if not update:
                update = {"$setOnInsert": dict(key_filter)}
            filters.append(key_filter)
            operations.append(UpdateOne(key_filter, update, upsert=True))
        try:
            res = coll.bulk_write(operations, ordered=False)
        except BulkWriteError as exc:
            details = exc.details
            errors = details.get("writeErrors", [])
            first = "; ".join(f"key {filters[e['index']]}: {e.get('errmsg')}" for e in errors[:5])
            raise DatasetError(
                f"{result.target}: {len(errors)} document(s) of a batch failed to write: {first}"
            ) from exc
        with self._counts_lock:
            result.inserted += res.upserted_count
            result.updated += res.modified_count
            result.unchanged += res.matched_count - res.modified_count
