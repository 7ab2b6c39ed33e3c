"""Ingestion nodes: one per declared source, source frame → (raw table rows…, quarantine rows).

Nodes are pure: the source datasets read the files/APIs and the store datasets upsert the
outputs (and log inserted/updated/unchanged counts per batch); a node logs how many rows it
validated into each raw table and what it quarantined, with the reasons.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pandas as pd

from data_collection_kedro.sources.registry import Source
from data_collection_kedro.validation import parse_source, summarize_quarantine

logger = logging.getLogger(__name__)

Ingest = Callable[[pd.DataFrame, dict[str, Any]], tuple[pd.DataFrame, ...]]


def ingest(source: Source) -> Ingest:
    """The ingestion node function of a declared source (named ``ingest_<source>``)."""

    def ingest_source(frame: pd.DataFrame, tolerances: dict[str, Any]) -> tuple[pd.DataFrame, ...]:
        *tables, quarantine = parse_source(source.name, frame, tolerances)
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
        return (*tables, quarantine)

    ingest_source.__name__ = ingest_source.__qualname__ = source.node_name
    ingest_source.__doc__ = (
        f"{source.description} → {', '.join(f'``{n}``' for n in source.output_datasets)} "
        "(+ quarantine rows)."
    )
    return ingest_source
