"""The source registry: one declaration per source, everything else derived from it.

A source is declared once, in its own module of :mod:`data_collection_kedro.sources.declarations`
(``SOURCE = Source(...)``); modules of that package are discovered at first use (no list to
edit). From the declarations come:

- validation (:func:`data_collection_kedro.validation.parse_source`): header labels, column types,
  required values, value rules (:mod:`~data_collection_kedro.sources.rules`), natural keys;
- the ETL pipeline: one node ``ingest_<name>`` per source, tagged with its family;
- the catalog: the factories ``source_{name}``, ``raw_{name}`` and ``quarantine_{name}`` look the
  file pattern, reader, live client, raw table, key and indexes up here
  (:mod:`data_collection_kedro.datasets.declared_source`, ``declared_table``);
- the Airflow ingestion DAGs (one per :class:`Family`, with its schedule) and the sample files.

Declarations are plain data: this module imports neither pandas nor Kedro, so the DAG files
stay quick to parse. Code a source needs (a special parser, a live client, a sample writer) is
named by a ``"package.module:attribute"`` reference and imported when used (:func:`resolve`).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from data_collection_kedro.sources.rules import Rule, Transform

DECLARATIONS_PACKAGE = "data_collection_kedro.sources.declarations"

ColumnType = Literal[
    "str",  # kept as the source's text
    "float",  # decimal point or comma
    "int",
    "date",  # ISO, dd/mm/yyyy, dd/mm/yy or yyyy/mm/dd
    "timestamp_utc",  # ISO 8601 with an offset, stored in UTC
    "timestamp_local",  # local date-time as in the source (YYYY-MM-DD HH:MM:SS)
    "paris_day",  # Europe/Paris calendar day of an ISO 8601 date-time
    "region",  # a region name or slug, checked, kept as in the source
    "region_code",  # a region code or name, stored as the INSEE region code
]


class RegistryError(ValueError):
    """A declaration is inconsistent, or a name is not declared."""


@dataclass(frozen=True)
class Setting:
    """A value the environment can override: ``os.environ[env]`` when set, else ``default``
    (portals and dataset ids of the live clients: a mirror, a proxy, a test server)."""

    env: str
    default: str

    def value(self) -> str:
        return os.environ.get(self.env) or self.default


@dataclass(frozen=True)
class Column:
    """A raw-table column: its name, the header labels accepted for it and its rules as data.

    Args:
        name: the raw-table column (English ``snake_case``, unit in the name).
        labels: the header labels accepted (tolerant match: case, accents, spaces/underscores);
            the first is the documented one. Defaults to ``name``.
        type: how the source text is cast (a failed cast quarantines the row, see
            :data:`ColumnType`).
        required: an empty value quarantines the row ("missing value for required field").
        optional: the column may be absent from a file (otherwise the file is rejected).
        fallback: a column whose value is used when this one is empty (before the cast).
        default: the value used when the source value is empty (before the checks).
        stored: False for a column read only to derive another one (not in the raw table).
        unit: the unit of the values (documentation and rule messages).
    """

    name: str
    labels: str | tuple[str, ...] = ()
    type: ColumnType = "str"
    required: bool = False
    optional: bool = False
    fallback: str | None = None
    default: str | None = None
    stored: bool = True
    unit: str | None = None

    def __post_init__(self) -> None:
        labels = (self.labels,) if isinstance(self.labels, str) else tuple(self.labels)
        object.__setattr__(self, "labels", labels or (self.name,))

    @property
    def header_labels(self) -> tuple[str, ...]:
        return self.labels if isinstance(self.labels, tuple) else (self.labels,)


@dataclass(frozen=True)
class Table:
    """A raw table and how a source frame becomes its rows.

    Validation runs, in order: header check and column selection, nulls (empty cells and the
    ``etl.nulls`` tokens) and control characters, ``prepare`` hook, defaults, required values,
    casts (column types), ``transforms``, ``derive`` hook, ``rules``, then the duplicate check
    on ``key``: of the good rows sharing a key, the one with the most final status (in the
    ``precedence`` columns) is kept, then the one from the newer file (modification time, then
    natural name order), then the earlier line; the others are quarantined with both values.

    Args:
        name: the raw table (DuckDB table / MongoDB collection), e.g. ``raw_fuel_prices``.
        columns: the columns read from the source frame, in raw-table order.
        key: the natural key (upserts; duplicates inside one batch are quarantined).
        rules: value rules (:mod:`~data_collection_kedro.sources.rules`), checked in order.
        transforms: declarative value changes after the casts (e.g. a unit rescale).
        indexes: extra store indexes.
        separator: the separator of the documented header (shown in error messages).
        prepare, derive: ``"module:function"`` hooks for what rules cannot say; each gets the
            :class:`~data_collection_kedro.validation.tables.TableCheck` in progress
            (``prepare`` before the casts, ``derive`` after them).
        precedence: status columns ranking rows of one key (``Définitif`` first, see
            ``domain.normalization.STATUS_ORDER``; the least final of the columns counts).
        first_seen: columns written when a key is first stored, never updated (like
            ``_ingested_at``): a re-run changes nothing.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    rules: tuple[Rule, ...] = ()
    transforms: tuple[Transform, ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()
    separator: str = ";"
    prepare: str | None = None
    derive: str | None = None
    precedence: tuple[str, ...] = ()
    first_seen: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise RegistryError(f"table {self.name!r} has no column {name!r}")

    def expected_header(self) -> str:
        return self.separator.join(c.header_labels[0] for c in self.columns)


@dataclass(frozen=True)
class Family:
    """A group of sources ingested together: the ETL tag and one Airflow DAG.

    Args:
        name: tag of the family's nodes (``kedro run --tags <name>``) and DAG suffix
            (``energiewatch_ingest_<name>``).
        schedule: cron expression or preset of the DAG.
        timeout: execution timeout of each node's task.
        description: one line, shown in Airflow.
    """

    name: str
    schedule: str
    timeout: timedelta
    description: str


@dataclass(frozen=True)
class Offline:
    """Where the offline run reads a source (the sample generator's files or real downloads).

    Args:
        file: a file name or glob pattern, relative to the sample folder (``None``: the reader
            needs no file, e.g. holidays built from packages).
        dataset: the reader: a Kedro dataset class path taking ``filepath`` (when ``file``).
        args: further arguments of the reader.
        sample_file: the file the sample generator writes (default: ``file``); may hold
            ``{placeholders}`` the writer fills (one file per year...).
        sample_writer: ``"module:function"`` writing the sample file (``None``: no file).
    """

    file: str | None = None
    dataset: str = "data_collection_kedro.datasets.source_files.CsvSourceDataset"
    args: Mapping[str, Any] = field(default_factory=dict)
    sample_file: str | None = None
    sample_writer: str | None = None

    @property
    def sample_name(self) -> str | None:
        return self.sample_file or self.file


@dataclass(frozen=True)
class Live:
    """The live client of a source (``--env live`` / ``--env prod``).

    Args:
        dataset: the Kedro dataset class path of the client.
        args: its arguments. :class:`Setting` values are read from the environment; strings may
            use ``{start_date}`` (the first day of a full pull, ``globals.yml``).
        watermark: column of the source's first raw table holding the newest stored day
            (incremental pulls from it); ``None``: every pull is full.
    """

    dataset: str
    args: Mapping[str, Any] = field(default_factory=dict)
    watermark: str | None = None


@dataclass(frozen=True)
class Publication:
    """When the publisher makes a day's data available: what a forecast issued at a given
    moment may know (``docs/live-sources.md``, "Publication lags", lists every source).

    Args:
        publisher: who publishes the data.
        frequency: how often the source is updated.
        lag_days: days after day D until D is complete in the source, at its first level (0:
            during D itself or before it, e.g. a forecast issued that day; negative: published
            that many days ahead, e.g. calendars; ``None``: unknown). Conservative where the
            documentation gives a range.
        level: what is published first, and the later revisions.
        reference: the documentation the figures come from; ``assumed: ...`` where they are
            ours.
    """

    publisher: str
    frequency: str
    lag_days: int | None
    level: str
    reference: str


@dataclass(frozen=True)
class Source:
    """One data source: what it is, how it is read, validated, stored and scheduled.

    Args:
        name: the source key: node ``ingest_<name>``, ``source`` column of its quarantine rows.
        family: its :class:`Family` (tag and DAG).
        description: one line (node docstring, listings).
        tables: the raw tables it writes, in node output order.
        offline: where the offline run reads it.
        live: its live client, if it has one (else the live environments read the files too).
        parser: ``"module:function"`` for a source whose frame feeds several tables or needs
            more than per-table hooks: ``parse(frame, source, params, now)`` returns the tables'
            frames in ``tables`` order and the quarantine frame.
        dataset: the suffix of its catalog names ``source_<dataset>`` and
            ``quarantine_<dataset>`` (default ``name``).
        quarantine_label: the ``source`` value of its quarantine rows (default ``name``).
        outputs: catalog dataset names of tables written under another name
            (``{table: dataset}``, e.g. a second writer of the same table).
        order: position in its family's DAG (then by name).
        publication: when a day's data is published (:class:`Publication`).
        title: its name in the dashboard, in French (default ``description``).
    """

    name: str
    family: Family
    description: str
    tables: tuple[Table, ...]
    offline: Offline
    live: Live | None = None
    parser: str | None = None
    dataset: str | None = None
    quarantine_label: str | None = None
    outputs: Mapping[str, str] = field(default_factory=dict)
    order: int = 0
    publication: Publication | None = None
    title: str | None = None

    @property
    def display_name(self) -> str:
        """The name users read (the dashboard's pages): ``title``, else ``description``."""
        return self.title or self.description

    @property
    def publication_lag_days(self) -> int | None:
        """Days after day D until D is complete in the source (``None``: unknown)."""
        return self.publication.lag_days if self.publication else None

    @property
    def node_name(self) -> str:
        return f"ingest_{self.name}"

    @property
    def source_dataset(self) -> str:
        return f"source_{self.dataset or self.name}"

    @property
    def quarantine_dataset(self) -> str:
        return f"quarantine_{self.dataset or self.name}"

    @property
    def files_dataset(self) -> str:
        """Catalog name of the source's rows of ``ingested_files`` (what was read of each
        file, so that an unchanged file is skipped and a grown one read from where it was)."""
        return f"ingested_files_{self.dataset or self.name}"

    @property
    def status_dataset(self) -> str:
        """Catalog name of the source's row in ``ingestion_status`` (its last ingestion)."""
        return f"ingestion_status_{self.dataset or self.name}"

    @property
    def label(self) -> str:
        return self.quarantine_label or self.name

    @property
    def output_datasets(self) -> list[str]:
        """The catalog names of the raw tables written, in node output order."""
        return [self.outputs.get(t.name, t.name) for t in self.tables]


# the quarantine contract (docs/data-contracts.md §2): every source's rejected rows
QUARANTINE = Table(
    name="raw_quarantine",
    columns=tuple(
        Column(name)
        for name in (
            "source",
            "source_file",
            "source_line",
            "field",
            "reason",
            "value",
            "expected",
            "record",
            "quarantined_at",
        )
    ),
    key=("source", "source_file", "source_line", "reason"),
    first_seen=("quarantined_at",),
)


# what the last ingestion of each source did (one row per source, written by its ETL node)
INGESTION_STATUS = Table(
    name="ingestion_status",
    columns=tuple(
        Column(name)
        for name in (
            "source",
            "status",  # ok / warning / failed
            "error",
            "warnings",
            "files",
            "rows_read",
            "rows_stored",
            "rows_quarantined",
            "started_at",
            "finished_at",
        )
    ),
    key=("source",),
)


# what the ETL read of each source file (incremental runs skip what is unchanged)
INGESTED_FILES = Table(
    name="ingested_files",
    columns=tuple(
        Column(name)
        for name in (
            "source",
            "file",  # the file name
            "size",  # bytes, when read
            "mtime_ns",  # modification time, when read
            "crc32",  # CRC-32 of its first `bytes` bytes
            "bytes",  # bytes read up to the last line end (0: no resumable point)
            "lines",  # number of that last line
            "rules",  # digest of the declaration and parameters the rows were checked with
            "ingested_at",
        )
    ),
    key=("source", "file"),
)


def resolve(reference: str) -> Any:
    """The object a ``"package.module:attribute"`` reference names."""
    module_name, _, attribute = reference.partition(":")
    if not attribute:
        module_name, _, attribute = reference.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise RegistryError(
            f"cannot import {reference!r} named by a source declaration: {exc}"
        ) from exc


class Registry:
    """The declared sources, with lookups by source, family and catalog name."""

    def __init__(self, sources: Iterable[Source]) -> None:
        self._sources = sorted(sources, key=lambda s: (s.family.name, s.order, s.name))
        self._check()

    def __iter__(self) -> Iterator[Source]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)

    def source(self, name: str) -> Source:
        for source in self._sources:
            if name in (source.name, source.dataset):
                return source
        known = ", ".join(s.name for s in self._sources)
        raise RegistryError(f"no source {name!r} declared (known: {known})")

    def families(self) -> list[Family]:
        """The families, each once, in the order of their first source."""
        seen: dict[str, Family] = {}
        for source in self._sources:
            seen.setdefault(source.family.name, source.family)
        return list(seen.values())

    def family_sources(self, family: str) -> list[Source]:
        """The sources of a family, in DAG order."""
        return [s for s in self._sources if s.family.name == family]

    def table(self, dataset: str) -> Table:
        """The raw table behind a catalog name (``raw_*`` output or ``quarantine_<source>``)."""
        if dataset == QUARANTINE.name or dataset in {s.quarantine_dataset for s in self}:
            return QUARANTINE
        if dataset == INGESTION_STATUS.name or dataset in {s.status_dataset for s in self}:
            return INGESTION_STATUS
        if dataset == INGESTED_FILES.name or dataset in {s.files_dataset for s in self}:
            return INGESTED_FILES
        for source in self._sources:
            for table, name in zip(source.tables, source.output_datasets, strict=True):
                if dataset == name:
                    return table
        known = sorted({n for s in self for n in s.output_datasets})
        raise RegistryError(
            f"no raw table declared for catalog name {dataset!r} (known: {', '.join(known)}, "
            "quarantine_<source>, ingestion_status_<source>)"
        )

    def _check(self) -> None:
        def unique(what: str, values: list[str]) -> None:
            repeated = sorted({v for v in values if values.count(v) > 1})
            if repeated:
                raise RegistryError(f"{what} declared twice: {repeated}")

        unique("source", [s.name for s in self])
        unique("catalog name", [n for s in self for n in (s.source_dataset, *s.output_datasets)])
        families: dict[str, Family] = {}
        tables: dict[str, Table] = {}
        for source in self:
            if families.setdefault(source.family.name, source.family) != source.family:
                raise RegistryError(
                    f"family {source.family.name!r} is declared with different settings "
                    f"(source {source.name!r}): declare it once and import it"
                )
            if len(source.tables) > 1 and source.parser is None:
                raise RegistryError(f"source {source.name!r} writes several tables: needs a parser")
            for table in source.tables:
                if tables.setdefault(table.name, table) != table:
                    raise RegistryError(
                        f"table {table.name!r} is declared twice with different columns "
                        f"(source {source.name!r}): declare it once and import it"
                    )
                missing = set(table.key) - {c.name for c in table.columns}
                if missing and not table.derive:  # a derive hook may add key columns
                    raise RegistryError(f"table {table.name!r}: key columns {missing} undeclared")


@cache
def load(package: str = DECLARATIONS_PACKAGE) -> Registry:
    """The registry of every ``SOURCE`` in the modules of ``package`` (cached)."""
    root = importlib.import_module(package)
    sources = []
    for module in sorted(pkgutil.iter_modules(root.__path__), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        declared = getattr(importlib.import_module(f"{package}.{module.name}"), "SOURCE", None)
        if not isinstance(declared, Source):
            raise RegistryError(
                f"{package}.{module.name} declares no SOURCE = Source(...) (modules starting "
                "with '_' hold shared declarations)"
            )
        sources.append(declared)
    return Registry(sources)


def sources() -> list[Source]:
    """Every declared source (by family, order, name)."""
    return list(load())


def source(name: str) -> Source:
    return load().source(name)
