"""Catalog factory ``source_{name}``: the reader a source's declaration names.

``conf/base`` (offline) and ``conf/live`` / ``conf/prod`` (live clients) each declare one
pattern; the per-source details come from the source registry
(``data_collection_kedro/sources/declarations/<source>.py``)::

    "source_{source}":
      type: data_collection_kedro.datasets.DeclaredSourceDataset
      source: "{source}"
      directory: ${globals:sample_dir}
      live: {timeout_s: ..., retry: ..., lookback_days: ..., start_date: ..., watermark: ...}

Constructing it returns the declared dataset itself (``CsvSourceDataset``,
``OpendatasoftSourceDataset``, ...), so the catalog, the runner and the logs see the real reader.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from kedro.io import AbstractDataset

from data_collection_kedro.sources import registry
from data_collection_kedro.sources.registry import Setting, Source

# environment-level settings a live client gets when its constructor takes them
_LIVE_SETTINGS = ("timeout_s", "retry", "lookback_days")


class DeclaredSourceDataset(AbstractDataset[None, Any]):
    """The offline reader or the live client of a declared source.

    Args:
        source: the source's name or catalog suffix (``source_<suffix>``).
        directory: the folder of the offline files (``Offline.file`` is relative to it).
        live: when given, the source's live client (if it has one) with these settings:
            ``timeout_s``, ``retry``, ``lookback_days`` (passed to clients that take them),
            ``start_date`` (replaces ``{start_date}`` in the declared arguments) and
            ``watermark`` (the raw store holding the newest stored day: ``{backend: duckdb,
            path}`` or ``{backend: mongodb, uri, database}``; table and column come from the
            declaration). A source without a live client keeps its offline reader.
    """

    def __new__(  # type: ignore[misc]
        cls, source: str, directory: str, live: Mapping[str, Any] | None = None
    ) -> AbstractDataset:
        declared = registry.source(source)
        if live is not None and declared.live is not None:
            return live_dataset(declared, live)
        return offline_dataset(declared, directory)


def offline_dataset(source: Source, directory: str) -> AbstractDataset:
    """The offline reader of ``source``, reading its files under ``directory``."""
    args = dict(source.offline.args)
    if source.offline.file:
        args["filepath"] = f"{directory.rstrip('/')}/{source.offline.file}"
    dataset: AbstractDataset = registry.resolve(source.offline.dataset)(**args)
    return dataset


def live_dataset(source: Source, settings: Mapping[str, Any]) -> AbstractDataset:
    """The live client of ``source`` with the environment's ``settings``."""
    assert source.live is not None
    client = registry.resolve(source.live.dataset)
    args = _resolved(source.live.args, str(settings.get("start_date", "")))
    for name in _LIVE_SETTINGS:
        if name in settings and _accepts(client, name):
            args[name] = settings[name]
    if source.live.watermark:
        watermark = dict(settings["watermark"])
        place = "collection" if watermark.get("backend") == "mongodb" else "table"
        watermark[place] = source.tables[0].name
        watermark["column"] = source.live.watermark
        args["watermark"] = watermark
    dataset: AbstractDataset = client(**args)
    return dataset


def _resolved(value: Any, start_date: str) -> Any:
    """Declared arguments with environment settings read and ``{start_date}`` filled in."""
    if isinstance(value, Setting):
        return value.value()
    if isinstance(value, str):
        return value.replace("{start_date}", start_date)
    if isinstance(value, Mapping):
        return {k: _resolved(v, start_date) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_resolved(v, start_date) for v in value]
    return value


def _accepts(cls: type, name: str) -> bool:
    parameters = inspect.signature(cls).parameters.values()
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)
