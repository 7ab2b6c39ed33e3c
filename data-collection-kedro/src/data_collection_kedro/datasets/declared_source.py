"""Catalog factory ``source_{name}``: the reader a source's declaration names, read lazily.

``conf/base`` (offline) and ``conf/live`` / ``conf/prod`` (live clients) each declare one
pattern; the per-source details come from the source registry
(``data_collection_kedro/sources/declarations/<source>.py``)::

    "source_{source}":
      type: data_collection_kedro.datasets.DeclaredSourceDataset
      source: "{source}"
      directory: ${globals:sample_dir}
      live: {timeout_s: ..., retry: ..., lookback_days: ..., start_date: ..., watermark: ...}

Constructing it returns a :class:`LazySourceDataset` around the declared dataset
(``CsvSourceDataset``, ``OpendatasoftSourceDataset``, ...): loading it gives the ETL node a
:class:`SourceReader`, and the files or the API are read when the node iterates it — inside the
node, so a source that cannot be read fails its own node's status, not the run (Kedro stops a run
at the first exception, a load included). The declared dataset is its ``dataset`` attribute.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError

from data_collection_kedro.datasets.source_files import (
    WHOLE_FILE,
    CsvSourceDataset,
    ReadOptions,
    Region,
    concat_source_frames,
)
from data_collection_kedro.sources import registry
from data_collection_kedro.sources.errors import SourceError
from data_collection_kedro.sources.registry import Setting, Source

# environment-level settings a live client gets when its constructor takes them
_LIVE_SETTINGS = ("timeout_s", "retry", "lookback_days")


class SourceReader:
    """A source as the ETL node sees it: read on demand, in bounded frames.

    Args:
        dataset: the declared reader (any Kedro dataset returning a source frame). One with an
            ``iter_frames(options, paths)`` method is read frame by frame; another is loaded
            whole.
    """

    def __init__(self, dataset: AbstractDataset) -> None:
        self.dataset = dataset

    def __repr__(self) -> str:
        return f"SourceReader({self.dataset!r})"

    @property
    def streams(self) -> bool:
        """Whether the source is read in bounded frames."""
        return hasattr(self.dataset, "iter_frames")

    def files(self) -> list[Path]:
        """The files the source reads (empty for an API or a generated source)."""
        files = getattr(self.dataset, "files", None)
        return list(files()) if callable(files) else []

    def generated_digests(self) -> dict[str, dict[str, Any]]:
        """For a source generated without files (the offline holidays), the ``ingested_files``
        figures of what it would build, known before building it; empty for other sources."""
        digests = getattr(self.dataset, "generated_digests", None)
        return dict(digests()) if callable(digests) else {}

    def csv(self) -> CsvSourceDataset | None:
        """The CSV reader behind the source, if it is one (the SQL engine reads its files)."""
        return self.dataset if isinstance(self.dataset, CsvSourceDataset) else None

    def frames(
        self,
        options: ReadOptions = WHOLE_FILE,
        paths: list[Path] | None = None,
        regions: Mapping[str, Region] | None = None,
    ) -> Iterator[pd.DataFrame]:
        """The source frames, in order (``paths``: only these files; ``regions``: of these
        files, only the lines after a byte offset)."""
        if self.streams:
            if regions:
                yield from self.dataset.iter_frames(options, paths, regions)  # type: ignore[attr-defined]
            else:
                yield from self.dataset.iter_frames(options, paths)  # type: ignore[attr-defined]
            return
        try:
            frame = self.dataset.load()
        except DatasetError as exc:  # Kedro wraps what a load raises: the source's own error
            if isinstance(exc.__cause__, SourceError):
                raise exc.__cause__ from exc
            raise
        yield frame

    def frame(self, options: ReadOptions = WHOLE_FILE) -> pd.DataFrame:
        """The whole source as one frame."""
        return concat_source_frames(list(self.frames(options)))


class LazySourceDataset(AbstractDataset[None, SourceReader]):
    """A declared source reader whose ``load`` defers the reading (see the module docstring).

    Attributes of the declared dataset (``url``, ``watermark``...) are reachable through it.
    ``dataset`` may be a catalog configuration (``{type: ..., filepath: ...}``): an environment
    pointing a source at other files (``conf/real``) wraps its reader the same way.
    """

    def __init__(self, dataset: AbstractDataset | Mapping[str, Any]) -> None:
        if isinstance(dataset, Mapping):
            dataset = AbstractDataset.from_config("source", dict(dataset))
        self.dataset = dataset

    def __getattr__(self, name: str) -> Any:
        if name == "dataset":  # not set yet (copy/unpickle): no recursion
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def load(self) -> SourceReader:
        return SourceReader(self.dataset)

    def save(self, data: None) -> None:
        raise DatasetError(f"{type(self.dataset).__name__} is a read-only source")

    def _exists(self) -> bool:
        return bool(self.dataset.exists())

    def _describe(self) -> dict[str, Any]:
        return {"reader": type(self.dataset).__name__, **self.dataset._describe()}


class DeclaredSourceDataset(AbstractDataset[None, Any]):
    """The offline reader or the live client of a declared source, lazily read.

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
            return LazySourceDataset(live_dataset(declared, live))
        return LazySourceDataset(offline_dataset(declared, directory))


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
