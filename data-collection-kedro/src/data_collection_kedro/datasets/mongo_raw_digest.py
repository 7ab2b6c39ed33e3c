"""What the MongoDB raw store holds, per raw table and day (read-only dataset).

The production counterpart of :class:`~data_collection_kedro.datasets.RawTablesDigestDataset`:
``load()`` returns the same frame (``domain.fusion_window.DIGEST_COLUMNS``), one row per raw
table of :data:`~data_collection_kedro.domain.fusion_window.RAW_TABLES` whose collection exists
and day: ``table``, ``day`` (the UTC day of the table's day column, as ``RAW_TABLES`` and the
DuckDB digest count it; null for a table without days and for documents without a day),
``rows``, ``updated_at`` (the newest ``_updated_at``; null when no document has one, as in the
MongoDB store, which keeps no such field) and ``content``.

``content`` is the XOR of each document's hash (order-free): blake2b with an 8-byte digest of
the BSON encoding of the document's fields in name order, leaving out ``_id``, the bookkeeping
fields (``_ingested_at``, ``_updated_at``, ``_source_file``, ``_source_line``) and null fields (a
null is an absent field in the store), read as a signed 64-bit integer. It is stable across runs
and clients, and consistent within this backend only: it is not the DuckDB store's ``hash()``,
so a state recorded on one store is never compared with the other's digest (each environment
keeps its own ``fusion_state``).

How: one cursor per collection (a projection without ``_id`` and the bookkeeping fields,
``batch_size`` documents per round trip), hashed on the client; memory holds one batch and one
accumulator per day, never a collection. The server cannot compute it: MongoDB's aggregation
has no hash of a document that a ``$group`` can fold (``$toHashedIndexKey`` and the
``$bitXor`` expression exist on MongoDB 7+, not as an accumulator, and the wire-protocol server
of the tests has neither), so every document is read once per run: the cost grows with the
store, not with what changed (docs/architecture.md "Incremental fusion").

Example catalog entry (``conf/prod/catalog_data_fusion_pipeline.yml``)::

    fusion_raw_digest:
      type: data_collection_kedro.datasets.MongoRawTablesDigestDataset
      uri: ${globals:mongodb_uri}
      database: ${globals:mongodb_database}
      client_args: ${globals:mongodb_client}
      batch_size: 10000
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, date, datetime
from typing import Any

import bson
import pandas as pd
from bson.codec_options import CodecOptions, DatetimeConversion
from kedro.io import AbstractDataset, DatasetError

from data_collection_kedro.datasets.mongo import SCHEMA_COLLECTION, MongoCollectionDataset
from data_collection_kedro.datasets.raw_digest import BOOKKEEPING
from data_collection_kedro.domain.fusion_window import DIGEST_COLUMNS, RAW_TABLES, UPDATED_AT

logger = logging.getLogger(__name__)
# naive UTC datetimes as the store writes them; a date out of Python's range stays readable
_CODEC: CodecOptions[dict[str, Any]] = CodecOptions(
    tz_aware=False, datetime_conversion=DatetimeConversion.DATETIME_AUTO
)
_LEFT_OUT = {"_id": 0} | {name: 0 for name in sorted(BOOKKEEPING - {UPDATED_AT})}


def document_hash(values: dict[str, Any]) -> int:
    """A document's hash (see the module docstring): blake2b-64 of the BSON encoding of its
    non-null fields in name order, as a signed 64-bit integer."""
    fields = {name: values[name] for name in sorted(values) if values[name] is not None}
    digest = hashlib.blake2b(bson.encode(fields), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def utc_day(value: Any) -> date | None:
    """The UTC day of a stored day value: a BSON date (a UTC instant; a date is stored as its
    UTC midnight) or an ISO text; None for anything else (a document without a day)."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date()
    if isinstance(value, str):
        try:
            return utc_day(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


class MongoRawTablesDigestDataset(AbstractDataset[None, pd.DataFrame]):
    """Rows, newest ``_updated_at`` and values digest per raw table and day of the MongoDB
    raw store (see the module docstring).

    Args:
        database: the raw store's database.
        uri, credentials, client_args: as :class:`MongoCollectionDataset` takes them.
        batch_size: documents per cursor round trip.
    """

    def __init__(
        self,
        database: str,
        uri: str | None = None,
        batch_size: int = 10_000,
        credentials: dict[str, Any] | None = None,
        client_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        batch_size = int(batch_size)  # may come from an environment variable
        if batch_size <= 0:
            raise DatasetError(f"batch_size must be a positive integer, got {batch_size}")
        self._batch_size = batch_size
        # the connection (URI, credentials, client options) of the store's own dataset
        self._store = MongoCollectionDataset(
            database=database,
            collection=SCHEMA_COLLECTION,
            key="_id",
            uri=uri,
            credentials=credentials,
            client_args=client_args,
        )
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        store = self._store._describe()
        return {
            "uri": store["uri"],
            "database": store["database"],
            "client_args": store["client_args"],
            "batch_size": self._batch_size,
            "tables": sorted(RAW_TABLES),
        }

    def _exists(self) -> bool:
        return bool(set(RAW_TABLES) & set(self._store._db().list_collection_names()))

    def _release(self) -> None:
        self._store.release()

    def save(self, data: None) -> None:
        raise DatasetError(f"{type(self).__name__} is read-only")

    def load(self) -> pd.DataFrame:
        started = time.perf_counter()
        db = self._store._db()
        stored = set(db.list_collection_names())
        rows: list[tuple[Any, ...]] = []
        documents = 0
        for table, spec in sorted(RAW_TABLES.items()):
            if table not in stored:
                continue
            days = self._table_days(db.get_collection(table, codec_options=_CODEC), spec.day_column)
            documents += sum(n for n, _, _ in days.values())
            order = sorted(days, key=lambda d: (d is None, d or date.min))
            rows += [(table, day, *days[day]) for day in order]
        logger.info(
            "MongoDB raw store %s: %d document(s) of %d raw collection(s) digested in %.2fs",
            db.name,
            documents,
            len(stored & set(RAW_TABLES)),
            time.perf_counter() - started,
        )
        frame = pd.DataFrame(rows, columns=["table", "day", "rows", "updated_at", "hash"])
        return pd.DataFrame(
            {
                "table": frame["table"].astype(str),
                "day": frame["day"].astype(object),
                "rows": frame["rows"].astype("int64"),
                "updated_at": pd.to_datetime(frame["updated_at"], utc=True),
                "content": frame["hash"].astype(str),
            },
            columns=DIGEST_COLUMNS,
        )

    def _table_days(
        self, collection: Any, day_column: str | None
    ) -> dict[date | None, tuple[int, datetime | None, int]]:
        """Per day: rows, newest ``_updated_at``, XOR of the documents' hashes."""
        days: dict[date | None, list[Any]] = {}
        for document in collection.find({}, _LEFT_OUT, batch_size=self._batch_size):
            stamp = document.pop(UPDATED_AT, None)
            day = utc_day(document.get(day_column)) if day_column else None
            found = days.get(day)
            if found is None:
                found = days[day] = [0, None, 0]
            found[0] += 1
            if isinstance(stamp, datetime) and (found[1] is None or stamp > found[1]):
                found[1] = stamp
            found[2] ^= document_hash(document)
        return {day: (n, stamp, content) for day, (n, stamp, content) in days.items()}
