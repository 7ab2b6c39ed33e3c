"""Ingestion nodes: one per declared source, source → (raw table rows…, quarantine, status).

A node reads its source through the :class:`~data_collection_kedro.datasets.declared_source.
SourceReader` it is given, in bounded frames (``etl.reading``; archives within ``etl.archive``),
validates each frame against the declaration (``etl.tolerances``) and yields its raw rows, its
quarantine rows and the source's ``ingestion_status`` row: Kedro saves each yield before the
next frame is read, so memory does not grow with the source. With ``etl.engine: duckdb`` a CSV
source whose rules all have an SQL form is handed to the store file by file as a
:class:`~data_collection_kedro.validation.sql.SqlIngest`: the DuckDB store validates and writes
it in SQL (a store without SQL, or a file only the Python path can read, gets the same rows
validated in Python). The files already ingested unchanged are skipped and a file that grew
is read from its last ingested line, and a generated source equal to its last ingestion is
skipped (``etl.incremental``, the ``ingested_files`` manifest:
:mod:`data_collection_kedro.ingestion_files`). The store datasets upsert the
rows (and log inserted/updated/unchanged counts per batch).

A :class:`~data_collection_kedro.sources.errors.SourceError` (file missing, empty, binary,
compressed, an archive beyond a limit, a missing column, an API failure) stops this source
only: the node yields empty tables, a quarantine row naming the source and the reason, and a
``failed`` status; :class:`~data_collection_kedro.ingestion_status.
IngestionReportHook` fails the run once every node has run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

from data_collection_kedro.datasets.declared_source import SourceReader
from data_collection_kedro.datasets.source_files import (
    FILE_DIGESTS_ATTR,
    ReadOptions,
    oldest_first,
)
from data_collection_kedro.ingestion_files import Manifest
from data_collection_kedro.ingestion_status import IngestionRun
from data_collection_kedro.sources.errors import SourceError
from data_collection_kedro.sources.registry import Source
from data_collection_kedro.sources.rules import parameters
from data_collection_kedro.validation import (
    empty_quarantine,
    empty_source_frame,
    parse_source,
    summarize_quarantine,
)
from data_collection_kedro.validation.sql import SqlIngest, table_reason

logger = logging.getLogger(__name__)

Ingest = Callable[[SourceReader, dict[str, Any], pd.DataFrame], Iterator[tuple[Any, ...]]]


def ingest(source: Source) -> Ingest:
    """The ingestion node function of a declared source (named ``ingest_<source>``)."""
    sql_refusal = table_reason(source)

    def ingest_source(
        reader: SourceReader, etl: dict[str, Any], ingested_files: pd.DataFrame
    ) -> Iterator[tuple[Any, ...]]:
        params = parameters(etl.get("tolerances"))
        options = ReadOptions.from_params(etl.get("reading"), etl.get("archive"))
        run = IngestionRun(source)
        manifest = Manifest.of(
            source, ingested_files, params, run.started_at, bool(etl.get("incremental", True))
        )
        try:
            files = reader.files()
            generated = {} if files else reader.generated_digests()
            if generated and manifest.unchanged(generated):  # built as last ingested: not built
                manifest.skipped.extend(generated)
                logger.info("%s: built as last ingested, skipped", source.name)
                yield from _nothing_read(source, params, run, manifest)
                return
            paths, regions = manifest.plan(oldest_first(files)) if files else (None, {})
            if manifest.skipped:
                logger.info(
                    "%s: %d file(s) already ingested unchanged, skipped: %s",
                    source.name,
                    len(manifest.skipped),
                    ", ".join(manifest.skipped),
                )
            csv = reader.csv()
            if etl.get("engine", "duckdb") == "duckdb" and sql_refusal is None and csv and paths:
                # whole files go to the store, validated in SQL (same rules: validation.sql);
                # the lines a grown file gained are few: the Python path reads them
                for path in [p for p in paths if p.name not in regions]:
                    plan = SqlIngest.for_file(
                        source, path, params, run.started_at, csv.sep, csv.encoding,
                        options.block_bytes,
                    )  # fmt: skip
                    run.record_plan(plan, path.name)
                    yield (plan, empty_quarantine(), run.deferred(), manifest.of_plan(plan))
                paths = [p for p in paths if p.name in regions]
                if not paths:
                    return
            if paths == []:  # every file skipped
                yield from _nothing_read(source, params, run, manifest)
                return
            for frame in reader.frames(options, paths, regions):
                digests = frame.attrs.get(FILE_DIGESTS_ATTR) or {}
                if not files and manifest.unchanged(digests):  # a generated source, as stored
                    manifest.skipped.extend(digests)
                    logger.info("%s: same rows as last ingested, skipped", source.name)
                    continue
                *tables, quarantine = parse_source(source.name, frame, params, run.started_at)
                run.record(frame, tables, quarantine)
                _log_batch(source, frame, tables, quarantine)
                files_read = manifest.rows(frame.attrs.get(FILE_DIGESTS_ATTR) or {})
                yield (*tables, quarantine, run.frame(), files_read)
        except SourceError as exc:
            run.fail(exc)
            where = ", ".join(run.files) or _where(reader)
            *tables, _ = parse_source(source.name, empty_source_frame(source), params)
            yield (*tables, run.failure_quarantine(where), run.frame(), manifest.rows({}))
            return
        if not run.batches:  # a reader that yielded nothing: the tables still exist
            yield from _nothing_read(source, params, run, manifest)

    ingest_source.__name__ = ingest_source.__qualname__ = source.node_name
    ingest_source.__doc__ = (
        f"{source.description} → {', '.join(f'``{n}``' for n in source.output_datasets)} "
        "(+ quarantine rows, the source's ingestion status and the files it read)."
    )
    return ingest_source


def _nothing_read(
    source: Source, params: dict[str, Any], run: IngestionRun, manifest: Manifest
) -> Iterator[tuple[Any, ...]]:
    """The outputs of a run that read no row: empty tables of the declared columns."""
    *tables, _ = parse_source(source.name, empty_source_frame(source), params)
    yield (*tables, empty_quarantine(), run.frame(), manifest.rows({}))


def _where(reader: SourceReader) -> str:
    described = reader.dataset._describe()
    return str(described.get("filepath") or described.get("url") or type(reader.dataset).__name__)


def _log_batch(
    source: Source, frame: pd.DataFrame, tables: list[pd.DataFrame], quarantine: pd.DataFrame
) -> None:
    kept = ", ".join(
        f"{name}: {len(rows)} row(s)"
        for name, rows in zip(source.output_datasets, tables, strict=True)
    )
    logger.info(
        "%s: %d source row(s) → %s; quarantined %d (%s)",
        source.name,
        len(frame),
        kept,
        len(quarantine),
        summarize_quarantine(quarantine),
    )
