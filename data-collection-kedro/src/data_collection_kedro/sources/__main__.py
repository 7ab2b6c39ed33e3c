"""``python -m data_collection_kedro.sources``: the declared sources as a Markdown table.

One row per source: its family and schedule, catalog names, offline file, live client (with the
environment variables that override its portal and dataset) and raw tables with their keys.
``--publication``: when each source publishes a day's data instead (the table of
``docs/live-sources.md``, "Publication lags").
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any

from data_collection_kedro.sources import registry
from data_collection_kedro.sources.registry import Setting, Source

HEADER = ("source", "family (schedule)", "catalog", "offline file", "live client", "raw tables")
PUBLICATION_HEADER = (
    "source",
    "publisher",
    "update frequency",
    "lag of a complete day (days)",
    "level",
    "documentation",
)


def _settings(value: Any) -> Iterator[Setting]:
    if isinstance(value, Setting):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _settings(item)


def row(source: Source) -> tuple[str, ...]:
    live = "—"
    if source.live:
        client = source.live.dataset.rpartition(".")[2].rpartition(":")[2]
        overrides = ", ".join(f"`{s.env}`" for s in _settings(source.live.args))
        live = f"`{client}` ({overrides})" if overrides else f"`{client}`"
    tables = "; ".join(
        f"`{name}` ({', '.join(table.key)})"
        for table, name in zip(source.tables, source.output_datasets, strict=True)
    )
    return (
        f"`{source.name}`",
        f"{source.family.name} (`{source.family.schedule}`)",
        f"`{source.source_dataset}`, `{source.quarantine_dataset}`",
        f"`{source.offline.file}`" if source.offline.file else "built offline",
        live,
        tables,
    )


def publication_row(source: Source) -> tuple[str, ...]:
    publication = source.publication
    if publication is None:
        return (f"`{source.name}`", *("—" for _ in PUBLICATION_HEADER[1:]))
    lag = "unknown" if publication.lag_days is None else str(publication.lag_days)
    return (
        f"`{source.name}`",
        publication.publisher,
        publication.frequency,
        lag,
        publication.level,
        publication.reference,
    )


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def markdown() -> str:
    return _table(HEADER, [row(s) for s in registry.sources()])


def publication_markdown() -> str:
    return _table(PUBLICATION_HEADER, [publication_row(s) for s in registry.sources()])


if __name__ == "__main__":
    print(publication_markdown() if "--publication" in sys.argv[1:] else markdown())
