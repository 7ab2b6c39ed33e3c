"""``python -m data_collection_kedro.sources``: the declared sources as a Markdown table.

One row per source: its family and schedule, catalog names, offline file, live client (with the
environment variables that override its portal and dataset) and raw tables with their keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from data_collection_kedro.sources import registry
from data_collection_kedro.sources.registry import Setting, Source

HEADER = ("source", "family (schedule)", "catalog", "offline file", "live client", "raw tables")


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


def markdown() -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    lines += ["| " + " | ".join(row(s)) + " |" for s in registry.sources()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
