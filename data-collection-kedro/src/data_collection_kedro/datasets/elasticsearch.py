"""Elasticsearch index dataset: the production index store (``--env prod``).

Every save builds a NEW versioned index ``<alias>-<UTC timestamp>`` with explicit mappings,
bulk-indexes the frame with deterministic ids, refreshes it and only then swaps the alias in one
``update_aliases`` call: readers (dashboards, Kibana) always query a complete index. Per-document
failures are collected, logged and raised (above ``max_failures``); the alias is then left on the
previous version.

Append-only logs (``mode: append``) can instead be left to Elasticsearch's index lifecycle
management (``rollover``): an ILM policy, an index template for ``<alias>-*`` and a write index
behind the alias; Elasticsearch rolls the write index over and deletes old ones by itself.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pandas as pd
import pyarrow as pa
from elasticsearch import Elasticsearch, NotFoundError, helpers
from kedro.io import AbstractDataset, DatasetError

from data_collection_kedro.datasets._store_common import (
    BatchProgress,
    SaveResult,
    WindowedFrame,
    arrow_to_frame,
    arrow_to_records,
    arrow_type_from_string,
    batch_bounds,
    checked_load_args,
    key_hash,
    normalize_key,
    prepare_save,
    replaces_all,
    schema_to_json,
)
from data_collection_kedro.domain.contracts import Contract, contract
from data_collection_kedro.redaction import redact

DEFAULT_URL = "http://localhost:9200"
_META_COLUMNS = "energiewatch_columns"
_LOAD_ARGS = {"query", "columns", "scroll", "size"}
_VERSION_FORMAT = "%Y%m%dt%H%M%S%f"


# Elasticsearch field of each logical column type of ``domain.contracts``
CONTRACT_FIELD_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "keyword"},
    "text": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 512}}},
    "json": {"type": "text", "index": False},
    "date": {"type": "date"},
    "timestamp": {"type": "date"},
    "float": {"type": "float"},
    "integer": {"type": "integer"},
    "long": {"type": "long"},
    "boolean": {"type": "boolean"},
}


def contract_mappings(table: Contract) -> dict[str, Any]:
    """The explicit mappings of a contract's columns (``{"properties": …}``)."""
    return {
        "properties": {
            name: dict(CONTRACT_FIELD_TYPES[kind]) for name, kind in table.columns.items()
        }
    }


def normalize_mappings(mappings: dict[str, Any] | None) -> dict[str, Any]:
    """``{field: "keyword"}`` shorthand or a full ``{"properties": …}`` body -> full body."""
    if not mappings:
        return {"properties": {}}
    if "properties" in mappings:
        return {**mappings, "properties": dict(mappings["properties"])}
    return {
        "properties": {
            name: {"type": spec} if isinstance(spec, str) else dict(spec)
            for name, spec in mappings.items()
        }
    }


class ElasticsearchIndexDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """One index of the index store, read and written through its alias.

    Save: create ``<index>-<UTC timestamp>`` with ``mappings`` (+ ``settings``), bulk-index
    the frame with the client's helpers (``streaming_bulk``, or ``parallel_bulk`` when
    ``thread_count`` > 1) using ``_id`` = sha1 of the ``id_fields`` values (re-runs give the same
    documents), turn ``geo_points`` latitude/longitude columns into ``geo_point`` fields, refresh,
    swap the alias (remove the old versions + add the new one, atomically) and delete versions
    beyond ``keep_versions``. More than ``max_failures`` failed documents raise a
    ``DatasetError`` listing the first failures (id + reason); the new index is then deleted and
    the alias keeps pointing at the previous version.

    Rows replacing part of the index (``WindowedFrame``, the incremental fusion's
    ``IndexRows``): the whole index goes the versioned way above; the days from ``since`` are
    bulk-indexed into the index behind the alias (same deterministic ``_id``: a keyed upsert)
    and the documents of those days the rows lack are deleted (``delete_by_query``), then the
    index is refreshed. Before the first save such rows make the first version.

    ``mode: append`` (for logs such as ``model_monitoring``): no new version per save; the
    first save creates ``<index>-<UTC timestamp>`` with the mappings and points the alias at
    it, later saves bulk-index into the index behind the alias (same deterministic ``_id``, so
    re-sending a row overwrites it instead of duplicating it). Failures are reported the same way.

    ``mode: append`` with ``rollover`` (Elasticsearch ILM, for logs that grow without end): the
    first save of the process puts the ILM policy ``rollover.policy`` (hot phase: rollover at
    ``max_age`` / ``max_primary_shard_size`` / ``max_docs``; delete phase after
    ``delete_after`` when set) and the index template ``<index>`` for ``<index>-*`` (the
    mappings, ``settings``, ``index.lifecycle.name`` and ``index.lifecycle.rollover_alias``);
    when no index behind the alias is its write index, it creates ``<index>-000001`` (or the
    next free number) as the write index. Saves bulk-index into the alias, which Elasticsearch
    routes to the current write index; loads scan every index behind the alias. A document
    re-sent after a rollover lands in the new write index (the ids are unique per index only).

    Load: ``helpers.scan`` of the alias -> DataFrame (sorted by ``id_fields``), with the column
    types recorded in the index's ``_meta`` (same dtypes as the DuckDB store).

    ``contract: <table>`` (a table of ``domain.contracts``) gives the defaults of ``index`` (the
    table name), ``id_fields`` (its key) and ``mappings`` (one field per contract column, typed by
    :data:`CONTRACT_FIELD_TYPES`); explicit ``mappings`` entries override single fields::

        meteo_consommation:
          type: data_collection_kedro.datasets.ElasticsearchIndexDataset
          hosts: ${globals:elasticsearch_url}
          contract: meteo_consommation

    Example catalog entry without a contract (``conf/prod/catalog.yml``)::

        prix_carburants_journalier:
          type: data_collection_kedro.datasets.ElasticsearchIndexDataset
          hosts: ${globals:elasticsearch_url}   # ELASTICSEARCH_URL, no secrets in it
          index: prix_carburants_journalier     # the alias readers use
          id_fields: [day, department_code, fuel]
          mappings:
            day: date
            department_code: keyword
            fuel: keyword
            region_code: keyword
            region: keyword
            price_median_eur_l: float
            station_count: integer
          settings: {number_of_shards: 1, number_of_replicas: 0}
          chunk_size: 1000
          thread_count: 2
          max_failures: 0
          max_retries: 3                      # documents rejected with 429 (single thread)
          keep_versions: 2
          credentials: elasticsearch          # conf/local/credentials.yml: api_key or
                                              # username + password

        model_monitoring:                     # append-only logs under ILM
          type: data_collection_kedro.datasets.ElasticsearchIndexDataset
          hosts: ${globals:elasticsearch_url}
          index: model_monitoring
          mode: append
          id_fields: [prediction_id]
          mappings: {prediction_id: keyword, logged_at: date, status: keyword}
          settings: {number_of_shards: 1, number_of_replicas: 1}
          rollover:
            policy: energiewatch-model-monitoring
            max_age: 30d
            max_primary_shard_size: 10gb
            delete_after: 365d

        fuel_stations_index:
          type: data_collection_kedro.datasets.ElasticsearchIndexDataset
          hosts: ${globals:elasticsearch_url}
          index: fuel_stations
          id_fields: [station_id]
          geo_points: {location: [latitude, longitude]}   # -> {"lat": …, "lon": …}
          mappings: {station_id: keyword, location: geo_point, city: keyword}
    """

    def __init__(
        self,
        index: str | None = None,
        hosts: str | list[str] | None = None,
        id_fields: list[str] | str | None = None,
        mappings: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
        geo_points: dict[str, list[str]] | None = None,
        chunk_size: int = 500,
        thread_count: int = 1,
        max_failures: int = 0,
        keep_versions: int = 2,
        max_retries: int = 3,
        retry_backoff_s: float = 2.0,
        credentials: dict[str, Any] | None = None,
        client_args: dict[str, Any] | None = None,
        load_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        mode: str = "versioned",
        contract: str | None = None,
        rollover: dict[str, Any] | None = None,
    ) -> None:
        table = _contract(contract) if contract else None
        if table is not None:
            index = index or table.name
            id_fields = id_fields if id_fields is not None else list(table.key)
            explicit = normalize_mappings(mappings)
            mappings = {
                **explicit,
                "properties": {
                    **contract_mappings(table)["properties"],
                    **explicit["properties"],
                },
            }
        if not index:
            raise DatasetError("an index name (index) or a contract (contract) is required")
        if mode not in ("versioned", "append"):
            raise DatasetError(f"mode must be 'versioned' or 'append', got {mode!r}")
        self._mode = mode
        self._rollover = _checked_rollover(rollover, mode, index)
        self._rollover_ready = False
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", index):
            raise DatasetError(f"index alias {index!r} must be lowercase letters, digits, _ . -")
        if chunk_size <= 0 or thread_count <= 0 or max_failures < 0 or keep_versions < 1:
            raise DatasetError(
                "chunk_size and thread_count must be positive, max_failures >= 0, "
                "keep_versions >= 1"
            )
        self._alias = index
        self._hosts = hosts or os.environ.get("ELASTICSEARCH_URL") or DEFAULT_URL
        self._id_fields = normalize_key(id_fields)
        self._mappings = normalize_mappings(mappings)
        self._settings = dict(settings or {})
        self._geo_points = {name: list(cols) for name, cols in (geo_points or {}).items()}
        for name, cols in self._geo_points.items():
            if len(cols) != 2:
                raise DatasetError(f"geo_points.{name}: expected [latitude, longitude] columns")
            self._mappings["properties"].setdefault(name, {"type": "geo_point"})
        self._chunk_size = int(chunk_size)
        self._thread_count = int(thread_count)
        self._max_failures = int(max_failures)
        self._keep_versions = int(keep_versions)
        self._max_retries = int(max_retries)
        self._retry_backoff_s = float(retry_backoff_s)
        self._client_args = dict(client_args or {})
        credentials = dict(credentials or {})
        if "username" in credentials:
            credentials["basic_auth"] = (credentials.pop("username"), credentials.pop("password"))
        self._credentials = credentials
        self._load_args = checked_load_args(load_args, _LOAD_ARGS)
        self._client: Elasticsearch | None = None
        self.metadata = metadata
        self.last_result: SaveResult | None = None

    # ---------------------------------------------------------------------------- plumbing
    def _es(self) -> Elasticsearch:
        if self._client is None:
            self._client = Elasticsearch(self._hosts, **self._client_args, **self._credentials)
        return self._client

    def _release(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _versions(self) -> list[str]:
        """Existing versioned indices of the alias, oldest first."""
        pattern = re.compile(re.escape(self._alias) + r"-\d{8}t\d{12}")
        try:
            found = self._es().indices.get(index=f"{self._alias}-*", allow_no_indices=True)
        except NotFoundError:
            return []
        return sorted(name for name in found if pattern.fullmatch(name))

    def _alias_targets(self) -> list[str]:
        try:
            return sorted(self._es().indices.get_alias(name=self._alias))
        except NotFoundError:
            return []

    def _new_version(self) -> str:
        stamp = dt.datetime.now(dt.UTC).strftime(_VERSION_FORMAT)
        return f"{self._alias}-{stamp}"

    # ------------------------------------------------------------------------------ kedro API
    def _describe(self) -> dict[str, Any]:
        return {
            "hosts": (
                [redact(h) for h in self._hosts]
                if isinstance(self._hosts, list)
                else redact(self._hosts)
            ),
            "index": self._alias,
            "mode": self._mode,
            "rollover": self._rollover,
            "id_fields": self._id_fields,
            "chunk_size": self._chunk_size,
            "thread_count": self._thread_count,
            "max_failures": self._max_failures,
            "keep_versions": self._keep_versions,
        }

    def _exists(self) -> bool:
        return bool(self._es().indices.exists_alias(name=self._alias))

    def load(self) -> pd.DataFrame:
        es = self._es()
        schema = self._stored_schema()  # a clear error when the alias does not exist
        columns = normalize_key(self._load_args.get("columns"))
        query = self._load_args.get("query") or {"query": {"match_all": {}}}
        hits = helpers.scan(
            es,
            index=self._alias,
            query=query,
            scroll=self._load_args.get("scroll", "5m"),
            size=int(self._load_args.get("size", 1000)),
            _source=columns or True,
        )
        docs = [hit.get("_source", {}) for hit in hits]
        frame = self._docs_to_frame(docs, schema, columns)
        sort_by = [c for c in self._id_fields if c in frame.columns]
        if sort_by and len(frame):
            frame = frame.sort_values(sort_by, kind="stable").reset_index(drop=True)
        return frame

    def _mappings_with_columns(self, table: pa.Table) -> dict[str, Any]:
        """The mappings plus the frame's column types in ``_meta`` (restored on load)."""
        mappings = dict(self._mappings)
        mappings["_meta"] = {
            **mappings.get("_meta", {}),
            _META_COLUMNS: [[k, v] for k, v in schema_to_json(table.schema).items()],
        }
        return mappings

    def _create_version(self, es: Elasticsearch, table: pa.Table) -> str:
        version = self._new_version()
        mappings = self._mappings_with_columns(table)
        es.indices.create(index=version, mappings=mappings, settings=self._settings or None)
        return version

    def _ensure_write_index(self, es: Elasticsearch, table: pa.Table) -> str:
        """``rollover``: the ILM policy, the index template and a write index behind the alias."""
        rollover = self._rollover or {}
        if not self._rollover_ready:
            es.ilm.put_lifecycle(name=rollover["policy"], policy=_ilm_policy(rollover))
            settings = {
                **self._settings,
                "index.lifecycle.name": rollover["policy"],
                "index.lifecycle.rollover_alias": self._alias,
            }
            es.indices.put_index_template(
                name=self._alias,
                index_patterns=[f"{self._alias}-*"],
                template={"settings": settings, "mappings": self._mappings_with_columns(table)},
                priority=int(rollover.get("template_priority", 200)),
                meta={"managed_by": "energiewatch"},
            )
            self._rollover_ready = True
        found: Mapping[str, Any]
        try:
            found = dict(es.indices.get_alias(name=self._alias))
        except NotFoundError:
            found = {}
        for index, body in found.items():
            if body.get("aliases", {}).get(self._alias, {}).get("is_write_index"):
                return str(index)
        numbered = [int(m.group(1)) for n in found if (m := _ROLLOVER_NAME.search(n))]
        first = f"{self._alias}-{max(numbered, default=0) + 1:06d}"
        es.indices.create(index=first, aliases={self._alias: {"is_write_index": True}})
        self._logger.info("%s: write index %s created (ILM %s)", self._alias, first, rollover)
        return first

    def _append(self, data: pd.DataFrame) -> None:
        started = time.perf_counter()
        table, result = prepare_save(data, self._id_fields, self._alias, "append")
        es = self._es()
        if self._rollover:
            # bulk into the alias: Elasticsearch routes the documents to the write index
            result.extra["index"] = self._ensure_write_index(es, table)
            version = self._alias
        else:
            targets = self._alias_targets()
            if targets:
                version = targets[-1]
            else:
                version = self._create_version(es, table)
                es.indices.update_aliases(
                    actions=[{"add": {"index": version, "alias": self._alias}}]
                )
            result.extra["index"] = version
        failures = self._bulk(es, version, table, result)
        result.failed = len(failures)
        if failures:
            listed = "; ".join(f"{f['_id']}: {f['reason']}" for f in failures[:10])
            self._logger.error("%s: %d document(s) failed: %s", self._alias, len(failures), listed)
            if len(failures) > self._max_failures:
                raise DatasetError(
                    f"{self._alias}: {len(failures)} document(s) failed to index "
                    f"(max_failures={self._max_failures}). First failures: {listed}"
                )
        es.indices.refresh(index=version)
        result.seconds = time.perf_counter() - started
        result.log(self._logger)
        self.last_result = result

    def _save_windowed(self, data: WindowedFrame) -> None:
        """Upsert the rows of the days from ``since`` into the current version and delete the
        documents of those days they lack (see the class docstring)."""
        started = time.perf_counter()
        mode = "upsert" if data.since is None else f"upsert from {data.column} {data.since}"
        es = self._es()
        targets = self._alias_targets()
        if not targets:
            if len(data.frame):
                self.save(data.frame)
            return
        version = targets[-1]
        result = SaveResult(target=self._alias, mode=mode)
        ids: list[str] = []
        if len(data.frame):
            table, result = prepare_save(data.frame, self._id_fields, self._alias, mode)
            failures = self._bulk(es, version, table, result)
            result.failed = len(failures)
            if len(failures) > self._max_failures:
                listed = "; ".join(f"{f['_id']}: {f['reason']}" for f in failures[:10])
                raise DatasetError(
                    f"{self._alias}: {len(failures)} document(s) failed to index into "
                    f"{version} (max_failures={self._max_failures}). First failures: {listed}"
                )
            ids = [key_hash([rec[k] for k in self._id_fields]) for rec in arrow_to_records(table)]
        if data.since is not None:
            query: dict[str, Any] = {
                "bool": {"filter": [{"range": {data.column: {"gte": data.since.isoformat()}}}]}
            }
            if ids:
                query["bool"]["must_not"] = [{"ids": {"values": ids}}]
            deleted = es.delete_by_query(
                index=version, query=query, refresh=True, conflicts="proceed"
            )
            result.extra["deleted"] = int(deleted.get("deleted", 0))
        es.indices.refresh(index=version)
        result.extra["index"] = version
        result.seconds = time.perf_counter() - started
        result.log(self._logger)
        self.last_result = result

    def save(self, data: pd.DataFrame | WindowedFrame) -> None:
        if isinstance(data, WindowedFrame):
            if not replaces_all(data):
                self._save_windowed(data)
                return
            data = data.frame
        if self._mode == "append":
            self._append(data)
            return
        started = time.perf_counter()
        table, result = prepare_save(data, self._id_fields, self._alias, "new-version")
        es = self._es()
        version = self._create_version(es, table)
        result.extra["index"] = version
        try:
            failures = self._bulk(es, version, table, result)
        except BaseException:
            self._delete_quietly(version)
            raise
        result.failed = len(failures)
        if failures:
            listed = "; ".join(f"{f['_id']}: {f['reason']}" for f in failures[:10])
            self._logger.error(
                "%s: %d document(s) failed to index into %s: %s",
                self._alias,
                len(failures),
                version,
                listed,
            )
        if len(failures) > self._max_failures:
            self._delete_quietly(version)
            raise DatasetError(
                f"{self._alias}: {len(failures)} document(s) failed to index "
                f"(max_failures={self._max_failures}); the alias still points at "
                f"{self._alias_targets() or 'nothing'}. First failures: {listed}"
            )
        es.indices.refresh(index=version)
        self._swap_alias(es, version)
        result.extra["removed_versions"] = self._prune_versions(es, version)
        result.seconds = time.perf_counter() - started
        result.log(self._logger)
        self.last_result = result

    # -------------------------------------------------------------------------------- saving
    def _actions(self, version: str, table: pa.Table, progress: BatchProgress) -> Iterator[dict]:
        for start, stop in batch_bounds(table.num_rows, self._chunk_size):
            for rec in arrow_to_records(table.slice(start, stop - start)):
                doc_id = key_hash([rec[k] for k in self._id_fields]) if self._id_fields else None
                for name, (lat_col, lon_col) in self._geo_points.items():
                    lat, lon = rec.get(lat_col), rec.get(lon_col)
                    if lat is not None and lon is not None:
                        rec[name] = {"lat": lat, "lon": lon}
                source = {k: v for k, v in rec.items() if v is not None}
                action: dict[str, Any] = {"_op_type": "index", "_index": version, "_source": source}
                if doc_id is not None:
                    action["_id"] = doc_id
                yield action
            progress.update(stop - start)

    def _bulk(
        self, es: Elasticsearch, version: str, table: pa.Table, result: SaveResult
    ) -> list[dict[str, Any]]:
        failures: list[dict[str, Any]] = []
        with BatchProgress(f"{self._alias} -> {version}", table.num_rows, self._logger) as progress:
            actions = self._actions(version, table, progress)
            results: Iterable[tuple[bool, dict[str, Any]]]
            if self._thread_count > 1:
                results = helpers.parallel_bulk(
                    es,
                    actions,
                    thread_count=self._thread_count,
                    chunk_size=self._chunk_size,
                    raise_on_error=False,
                )
            else:
                # Documents rejected with 429 (queue full) are retried with backoff.
                results = helpers.streaming_bulk(
                    es,
                    actions,
                    chunk_size=self._chunk_size,
                    raise_on_error=False,
                    max_retries=self._max_retries,
                    initial_backoff=self._retry_backoff_s,
                )
            for ok, item in results:
                if ok:
                    result.inserted += 1
                    continue
                op = next(iter(item.values())) if item else {}
                error = op.get("error", item)
                reason = (
                    f"{error.get('type')}: {error.get('reason')}"
                    if isinstance(error, dict)
                    else str(error)
                )
                failures.append(
                    {"_id": op.get("_id"), "status": op.get("status"), "reason": reason}
                )
            result.batches = progress.batches
        return failures

    def _swap_alias(self, es: Elasticsearch, version: str) -> None:
        if self._alias in self._concrete_indices(es):
            raise DatasetError(
                f"{self._alias} is a concrete index, not an alias: delete or reindex it before "
                "the first versioned save"
            )
        actions: list[dict[str, Any]] = [
            {"remove": {"index": old, "alias": self._alias}}
            for old in self._alias_targets()
            if old != version
        ]
        actions.append({"add": {"index": version, "alias": self._alias}})
        es.indices.update_aliases(actions=actions)
        self._logger.info("%s: alias now points at %s", self._alias, version)

    def _concrete_indices(self, es: Elasticsearch) -> set[str]:
        try:
            found = es.indices.get(index=self._alias, allow_no_indices=True)
        except NotFoundError:
            return set()
        return {name for name in found if name == self._alias}

    def _prune_versions(self, es: Elasticsearch, current: str) -> list[str]:
        versions = [v for v in self._versions() if v != current] + [current]
        stale = versions[: max(0, len(versions) - self._keep_versions)]
        if stale:
            es.indices.delete(index=",".join(stale))
            self._logger.info("%s: deleted old version(s) %s", self._alias, stale)
        return stale

    def _delete_quietly(self, version: str) -> None:
        try:
            self._es().indices.delete(index=version)
        except Exception as exc:  # keep the original error; this is cleanup
            self._logger.warning("could not delete the failed index %s: %s", version, exc)

    # ------------------------------------------------------------------------------- loading
    def _stored_schema(self) -> dict[str, pa.DataType | None]:
        try:
            found = self._es().indices.get_mapping(index=self._alias)
        except NotFoundError as exc:
            raise DatasetError(f"index alias {self._alias} does not exist") from exc
        for body in found.values():
            meta = body.get("mappings", {}).get("_meta", {})
            return {name: arrow_type_from_string(t) for name, t in meta.get(_META_COLUMNS, [])}
        return {}

    def _docs_to_frame(
        self,
        docs: list[dict[str, Any]],
        schema: dict[str, pa.DataType | None],
        columns: list[str],
    ) -> pd.DataFrame:
        derived = set(self._geo_points)
        names = columns or [n for n in schema if n not in derived]
        for doc in docs:
            for name in doc:
                if name not in names and name not in derived:
                    names.append(name)
        arrays = []
        for name in names:
            values = [doc.get(name) for doc in docs]
            arrow_type = schema.get(name)
            arrays.append(_parse_column(values, arrow_type))
        return arrow_to_frame(pa.table(arrays, names=names)) if names else pd.DataFrame()


def _contract(name: str) -> Contract:
    try:
        return contract(name)
    except KeyError as exc:
        raise DatasetError(str(exc.args[0])) from None


_ROLLOVER_NAME = re.compile(r"-(\d{6})$")
_ROLLOVER_CONDITIONS = ("max_age", "max_primary_shard_size", "max_docs", "max_size")


def _checked_rollover(
    rollover: dict[str, Any] | None, mode: str, alias: str
) -> dict[str, Any] | None:
    if not rollover:
        return None
    if mode != "append":
        raise DatasetError(f"{alias}: rollover (ILM) is for mode: append (append-only logs)")
    unknown = set(rollover) - {"policy", "delete_after", "template_priority", *_ROLLOVER_CONDITIONS}
    if unknown:
        raise DatasetError(f"{alias}: unknown rollover option(s) {sorted(unknown)}")
    if not any(rollover.get(c) for c in _ROLLOVER_CONDITIONS):
        raise DatasetError(
            f"{alias}: rollover needs at least one condition among {list(_ROLLOVER_CONDITIONS)}"
        )
    return {"policy": f"{alias}-policy", **rollover}


def _ilm_policy(rollover: dict[str, Any]) -> dict[str, Any]:
    """ILM policy: roll the write index over on the conditions, delete after ``delete_after``."""
    conditions = {c: rollover[c] for c in _ROLLOVER_CONDITIONS if rollover.get(c)}
    phases: dict[str, Any] = {"hot": {"min_age": "0ms", "actions": {"rollover": conditions}}}
    if rollover.get("delete_after"):
        phases["delete"] = {"min_age": rollover["delete_after"], "actions": {"delete": {}}}
    return {"phases": phases, "_meta": {"managed_by": "energiewatch"}}


def _parse_column(values: list[Any], arrow_type: pa.DataType | None) -> pa.Array:
    """JSON values of one field -> an Arrow array of the recorded type (ISO text for dates)."""
    if arrow_type is None:
        return pa.array(values)
    if pa.types.is_date(arrow_type) or pa.types.is_timestamp(arrow_type):
        parsed = pd.to_datetime(
            pd.Series(values, dtype=object),
            format="ISO8601",
            utc=pa.types.is_timestamp(arrow_type) and arrow_type.tz is not None,
        )
        if pa.types.is_date(arrow_type):
            return pa.array([None if pd.isna(v) else v.date() for v in parsed], type=arrow_type)
        if arrow_type.tz is not None:
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        return pa.array(
            parsed.astype("datetime64[us]").to_numpy(), type=pa.timestamp("us", arrow_type.tz)
        )
    return pa.array(values, type=arrow_type)
