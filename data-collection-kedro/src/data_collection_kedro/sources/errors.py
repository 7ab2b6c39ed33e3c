"""The error a source raises when it cannot be read at all.

A :class:`SourceError` fails one source, never the run: the ETL node of that source records the
failure (its status and a quarantine row naming the file and the reason), the healthy sources are
ingested, and the run ends with a summary naming every failed source
(:mod:`data_collection_kedro.pipelines.etl_pipeline`). Row-level problems are not source errors:
they quarantine the row and keep the others.
"""

from __future__ import annotations


class SourceError(RuntimeError):
    """A whole source (file, archive, API response) cannot be read; the message names it."""
