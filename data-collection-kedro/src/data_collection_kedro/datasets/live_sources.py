"""Kedro datasets for the live sources (``--env live`` / ``--env prod``).

Each dataset returns a frame of the same shape as the offline source file it replaces
(``docs/data-contracts.md`` §1): the source's own column labels, every value a string (missing
values ``NA``), plus ``_source_file`` (the API URL without secrets) and ``_source_line`` (the
record offset in the query's result). The ETL's parse/validate nodes are therefore the same for
the offline and the live path.

Incremental pulls: with ``date_field`` and ``watermark`` (where the raw store keeps the newest
stored date: a DuckDB file + table + column, or a MongoDB collection + field), the query gets
``where date_field >= date'<newest stored date - lookback_days>'``; without a stored table it is a
full pull. Re-pulling the newest day is harmless (the raw store upserts on the natural key) and
picks up late status revisions.

historique-meteo has no API (the site is scraped); the live environments keep reading its CSV
files (``source_weather_historique`` is not overridden).
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError

from data_collection_kedro.datasets.source_files import (
    PUBLIC_HOLIDAY_COLUMNS,
    SCHOOL_HOLIDAY_COLUMNS,
    SOURCE_FILE,
    SOURCE_LINE,
    ReadOptions,
    concat_source_frames,
)
from data_collection_kedro.sources.fuel_flux import FuelFluxError, iter_fuel_flux_frames
from data_collection_kedro.sources.fuel_ods import FLUX_COLUMNS, flatten_station
from data_collection_kedro.sources.holidays_live import public_holiday_rows
from data_collection_kedro.sources.http import (
    HttpClient,
    RetryPolicy,
    SourceFormatError,
    redact_url,
)
from data_collection_kedro.sources.opendatasoft import (
    OdsField,
    OffsetWindowError,
    OpendatasoftClient,
    and_where,
    check_required_fields,
    where_since,
)

logger = logging.getLogger(__name__)


# -- values and frames --------------------------------------------------------------------------
def to_source_string(value: Any) -> Any:
    """A JSON value as the string a CSV export would hold (``NA`` for null)."""
    if value is None:
        return pd.NA
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return pd.NA
        return str(int(value)) if value.is_integer() else repr(value)
    return json.dumps(value, ensure_ascii=False)


def source_frame(
    rows: Iterable[Mapping[str, Any]],
    columns: list[str],
    source_file: str,
    first_line: int = 0,
) -> pd.DataFrame:
    """Rows → a contract §1 source frame (string columns + bookkeeping columns)."""
    data = [[to_source_string(row.get(c)) for c in columns] for row in rows]
    frame = pd.DataFrame(data, columns=columns, dtype="str") if data else _empty(columns)
    frame[SOURCE_FILE] = source_file
    frame[SOURCE_LINE] = pd.Series(range(first_line, first_line + len(frame)), dtype="int64")
    return frame


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})


Timeout = float | Sequence[float]


def retry_and_timeout(timeout_s: Timeout, retry: Mapping[str, Any] | None) -> HttpClient:
    """An :class:`HttpClient` from catalog values (``[connect, read]`` seconds, retry mapping)."""
    timeout: float | tuple[float, float] = (
        (float(timeout_s[0]), float(timeout_s[-1]))
        if isinstance(timeout_s, Sequence)
        else float(timeout_s)
    )
    return HttpClient(timeout_s=timeout, retry=RetryPolicy.from_config(retry))


# -- watermark ----------------------------------------------------------------------------------
def read_watermark(config: Mapping[str, Any] | None) -> date | datetime | None:
    """Newest stored value of ``config['column']`` in the raw store, or None (full pull).

    ``{backend: duckdb, path, table, column}`` or
    ``{backend: mongodb, uri, database, collection, column}``.
    """
    if not config:
        return None
    backend = config.get("backend", "duckdb")
    column = config["column"]
    if backend == "duckdb":
        return _duckdb_watermark(Path(config["path"]), config["table"], column)
    if backend == "mongodb":
        return _mongodb_watermark(config, column)
    raise DatasetError(f"watermark backend {backend!r} unknown (expected duckdb or mongodb)")


def _duckdb_watermark(path: Path, table: str, column: str) -> date | datetime | None:
    if not path.exists():
        return None
    from data_collection_kedro.datasets.duckdb_table import connect, table_exists

    # the store's connect: the file may be held open read-write by this process's run
    con = connect(path, read_only=True)
    try:
        if not table_exists(con, table):
            return None
        row = con.execute(f'SELECT max("{column}") FROM "{table}"').fetchone()
    finally:
        con.close()
    return _as_date(row[0] if row else None)


def _mongodb_watermark(config: Mapping[str, Any], column: str) -> date | datetime | None:
    import pymongo

    from data_collection_kedro.datasets.mongo import environment_credentials

    client: Any = config.get("client") or pymongo.MongoClient(
        config["uri"], serverSelectionTimeoutMS=10_000, **environment_credentials()
    )
    doc = client[config["database"]][config["collection"]].find_one(
        {column: {"$ne": None}}, sort=[(column, pymongo.DESCENDING)], projection={column: 1}
    )
    return _as_date(doc.get(column) if doc else None)


def _as_date(value: Any) -> date | datetime | None:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, datetime | date):
        return value
    return pd.Timestamp(value).to_pydatetime()


def since_watermark(config: Mapping[str, Any] | None, lookback_days: int) -> date | None:
    """The first day to pull: the newest stored day minus ``lookback_days`` (None = all)."""
    newest = read_watermark(config)
    if newest is None:
        return None
    day = newest.date() if isinstance(newest, datetime) else newest
    return day - timedelta(days=max(0, lookback_days))


# -- Opendatasoft datasets ----------------------------------------------------------------------
class OpendatasoftSourceDataset(AbstractDataset[None, pd.DataFrame]):
    """One Opendatasoft dataset as a contract §1 source frame (read-only).

    Args:
        base_url: portal root, e.g. ``https://odre.opendatasoft.com``.
        dataset_id: e.g. ``consommation-quotidienne-brute-regionale``.
        required_fields: API field names the ETL needs (schema drift check).
        columns: ``labels`` (the CSV export header, e.g. ``Code INSEE région``) or ``names``
            (API names such as ``date_de_debut``) — whichever the offline file has.
        date_field: field for incremental pulls (with ``watermark``).
        watermark: where the newest stored value lives (see :func:`read_watermark`).
        lookback_days: re-pull this many days before the newest stored day.
        where, order_by: extra ODSQL (e.g. a start date for the first full pull).
        mode: ``auto`` (records pages up to 10,000 records, else the CSV export), ``records``
            or ``export``.
        api_key_env: name of an environment variable holding an API key (never in config).
    """

    def __init__(
        self,
        base_url: str,
        dataset_id: str,
        required_fields: list[str] | None = None,
        columns: str = "labels",
        date_field: str | None = None,
        watermark: dict[str, Any] | None = None,
        lookback_days: int = 0,
        where: str | None = None,
        order_by: str | None = None,
        mode: str = "auto",
        page_size: int = 100,
        timeout_s: Timeout = (10.0, 120.0),
        retry: dict[str, Any] | None = None,
        api_key_env: str | None = None,
        timezone: str = "Europe/Paris",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if columns not in {"labels", "names"}:
            raise DatasetError(f"columns must be 'labels' or 'names', got {columns!r}")
        if mode not in {"auto", "records", "export"}:
            raise DatasetError(f"mode must be 'auto', 'records' or 'export', got {mode!r}")
        self.base_url = base_url
        self.dataset_id = dataset_id
        self.required_fields = list(required_fields or [])
        self.columns = columns
        self.date_field = date_field
        self.watermark = watermark
        self.lookback_days = int(lookback_days)
        self.where = where
        self.order_by = order_by or date_field
        self.mode = mode
        self.page_size = page_size
        self.timeout_s = timeout_s
        self.retry = retry
        self.api_key_env = api_key_env
        self.timezone = timezone
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "dataset_id": self.dataset_id,
            "columns": self.columns,
            "date_field": self.date_field,
            "mode": self.mode,
        }

    def client(self) -> OpendatasoftClient:
        api_key = os.environ.get(self.api_key_env) if self.api_key_env else None
        return OpendatasoftClient(
            self.base_url,
            http=retry_and_timeout(self.timeout_s, self.retry),
            api_key=api_key,
            timezone=self.timezone,
        )

    def query_where(self) -> str | None:
        """The ODSQL ``where`` of this pull (incremental when the raw store has data)."""
        since = since_watermark(self.watermark, self.lookback_days) if self.date_field else None
        if since is not None:
            logger.info("%s: incremental pull since %s", self.dataset_id, since)
        else:
            logger.info("%s: full pull", self.dataset_id)
        return and_where(
            self.where, where_since(self.date_field, since) if self.date_field else None
        )

    def load(self) -> pd.DataFrame:
        client = self.client()
        fields = client.fields(self.dataset_id)
        url = client.dataset_url(self.dataset_id)
        check_required_fields(self.dataset_id, [f.name for f in fields], self.required_fields, url)
        where = self.query_where()
        if self.mode != "export":
            try:
                return self._load_records(client, fields, where)
            except OffsetWindowError:
                if self.mode == "records":
                    raise
                logger.info("%s: more than the records window, using the export", self.dataset_id)
        return self._load_export(client, fields, where)

    def _column_of(self, field: OdsField) -> str:
        return field.label if self.columns == "labels" else field.name

    def _load_records(
        self, client: OpendatasoftClient, fields: list[OdsField], where: str | None
    ) -> pd.DataFrame:
        records: list[dict[str, Any]] = []
        query_url = redact_url(
            client.dataset_url(self.dataset_id, "/records"),
            {"where": where, "order_by": self.order_by},
        )
        for page in client.iter_pages(
            self.dataset_id, where=where, order_by=self.order_by, page_size=self.page_size
        ):
            if page.records:
                check_required_fields(
                    self.dataset_id, page.records[0].keys(), self.required_fields, page.url
                )
            records.extend(page.records)
        return self.frame_from_records(records, fields, query_url)

    def frame_from_records(
        self, records: list[dict[str, Any]], fields: list[OdsField], source_url: str
    ) -> pd.DataFrame:
        """API records (field names) → the source frame (labels or names)."""
        by_column = [
            {self._column_of(f): rec.get(f.name) for f in fields if f.name in rec}
            for rec in records
        ]
        return source_frame(by_column, [self._column_of(f) for f in fields], source_url)

    def _load_export(
        self, client: OpendatasoftClient, fields: list[OdsField], where: str | None
    ) -> pd.DataFrame:
        expected = client.count(self.dataset_id, where=where)
        body, shown = client.export(
            self.dataset_id,
            "csv",
            where=where,
            order_by=self.order_by,
            use_labels=self.columns == "labels",
            delimiter=";",
        )
        try:
            frame = pd.read_csv(
                io.BytesIO(body), sep=";", dtype="str", encoding="utf-8-sig", keep_default_na=False
            )
        except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise SourceFormatError(
                f"dataset {self.dataset_id!r} export at {shown}: unreadable CSV: {exc}"
            ) from exc
        header_to_name = {self._column_of(f): f.name for f in fields}
        names = [header_to_name.get(c, c) for c in frame.columns]
        check_required_fields(self.dataset_id, names, self.required_fields, shown)
        if len(frame) < expected:
            raise SourceFormatError(
                f"dataset {self.dataset_id!r} export at {shown}: truncated, {len(frame)} "
                f"records where total_count={expected}"
            )
        frame = frame.mask(frame == "")
        frame[SOURCE_FILE] = shown
        frame[SOURCE_LINE] = pd.Series(range(len(frame)), dtype="int64")
        return frame

    def save(self, data: None) -> None:
        raise DatasetError(f"{type(self).__name__} is read-only (a live source)")


class FuelPricesOdsDataset(OpendatasoftSourceDataset):
    """``prix-des-carburants-en-france-flux-instantane-v2`` as the flat fuel flux frame.

    Same columns as the official XML flux read by :class:`FuelFluxDataset` (``id;latitude;…;
    prix_valeur`` + ``horaires, services, rupture_*``), see :mod:`~data_collection_kedro.
    sources.fuel_ods`. ``_source_line`` is the station's record offset. The flux is a snapshot:
    every load pulls all stations (records pages up to 10,000 stations, else ``/exports/json``).
    ``rows: prices`` keeps only the price rows (for the price-history node); ``all`` (default)
    also yields shortage rows and stations without prices (for the flux node).
    """

    def __init__(self, *args: Any, rows: str = "all", **kwargs: Any) -> None:
        if rows not in {"all", "prices"}:
            raise DatasetError(f"rows must be 'all' or 'prices', got {rows!r}")
        super().__init__(*args, **kwargs)
        self.rows = rows

    def frame_from_records(
        self, records: list[dict[str, Any]], fields: list[OdsField], source_url: str
    ) -> pd.DataFrame:
        rows: list[dict[str, Any]] = []
        lines: list[int] = []
        for offset, record in enumerate(records):
            for row in flatten_station(record):
                if self.rows == "prices" and row.get("prix_nom") is None:
                    continue
                rows.append(row)
                lines.append(offset)
        frame = source_frame(rows, FLUX_COLUMNS, source_url)
        frame[SOURCE_LINE] = pd.Series(lines, dtype="int64")
        return frame

    def _load_export(
        self, client: OpendatasoftClient, fields: list[OdsField], where: str | None
    ) -> pd.DataFrame:
        expected = client.count(self.dataset_id, where=where)
        records, shown = client.export_records(self.dataset_id, where=where, order_by=self.order_by)
        if records:
            check_required_fields(self.dataset_id, records[0].keys(), self.required_fields, shown)
        if len(records) < expected:
            raise SourceFormatError(
                f"dataset {self.dataset_id!r} export at {shown}: truncated, {len(records)} "
                f"records where total_count={expected}"
            )
        return self.frame_from_records(records, fields, shown)


class FuelFluxLiveDataset(AbstractDataset[None, pd.DataFrame]):
    """The official instantaneous fuel flux (zip of ``PrixCarburants_instantane.xml``), live.

    Downloaded with timeouts and retries (at most the archive limit's ``max_archive_mb``) and
    parsed by the offline reader's code
    (:func:`~data_collection_kedro.sources.fuel_flux.iter_fuel_flux_frames`, same archive
    limits): the same frames as :class:`FuelFluxDataset`, with ``_source_file`` = the URL.
    """

    def __init__(
        self,
        url: str,
        timeout_s: Timeout = (10.0, 300.0),
        retry: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.retry = retry
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        return concat_source_frames(list(self.iter_frames()))

    def iter_frames(
        self, options: ReadOptions | None = None, paths: list[Path] | None = None
    ) -> Iterator[pd.DataFrame]:
        """The flux in frames of ``options.batch_rows`` rows, within ``options.archive``."""
        options = options or ReadOptions()
        shown = redact_url(self.url)
        response = retry_and_timeout(self.timeout_s, self.retry).get(
            self.url, context="fuel price flux", max_bytes=options.archive.max_archive_bytes
        )
        try:
            yield from iter_fuel_flux_frames(
                response.content,
                source_name=shown,
                limits=options.archive,
                batch_rows=options.batch_rows,
            )
        except FuelFluxError as exc:
            raise SourceFormatError(
                f"{shown}: {len(response.content)} bytes are not a fuel flux zip/XML ({exc})"
            ) from exc

    def save(self, data: None) -> None:
        raise DatasetError(f"{type(self).__name__} is read-only (a live source)")

    def _describe(self) -> dict[str, Any]:
        return {"url": redact_url(self.url)}


class HolidaysLiveDataset(AbstractDataset[None, pd.DataFrame]):
    """Public holidays (etalab JSON) + school holidays (Opendatasoft ``fr-en-calendrier-scolaire``).

    The frame has the offline :class:`HolidaysSourceDataset` layout: the union of the
    ``date, annee, zone, nom_jour_ferie`` and ``description, population, start_date, end_date,
    location, zones, annee_scolaire`` columns, one ``_source_file`` URL per part.

    Args:
        public_holidays_url: e.g. ``https://calendrier.api.gouv.fr/jours-feries/metropole.json``.
        school_calendar: arguments of an :class:`OpendatasoftSourceDataset` (``base_url``,
            ``dataset_id``, ``required_fields``, ``where`` …); columns are the API names.
        start_year: keep public holidays from this year on (school rows: ``where`` in
            ``school_calendar``).
    """

    def __init__(
        self,
        public_holidays_url: str,
        school_calendar: dict[str, Any],
        start_year: int | None = None,
        timeout_s: Timeout = (10.0, 120.0),
        retry: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.public_holidays_url = public_holidays_url
        self.school = OpendatasoftSourceDataset(
            **{"timeout_s": timeout_s, "retry": retry, **school_calendar, "columns": "names"}
        )
        self.start_year = start_year
        self.timeout_s = timeout_s
        self.retry = retry
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        shown = redact_url(self.public_holidays_url)
        response = retry_and_timeout(self.timeout_s, self.retry).get(
            self.public_holidays_url, context="public holidays"
        )
        try:
            body = response.json()
        except ValueError as exc:
            raise SourceFormatError(
                f"{shown}: invalid JSON ({len(response.content)} bytes, body cut or not JSON)"
            ) from exc
        rows = public_holiday_rows(body, shown)
        if self.start_year is not None:
            rows = [r for r in rows if int(r["annee"]) >= self.start_year]
        columns = PUBLIC_HOLIDAY_COLUMNS + SCHOOL_HOLIDAY_COLUMNS
        public = source_frame(rows, columns, shown)
        school = self.school.load()
        school = school.reindex(columns=[*columns, SOURCE_FILE, SOURCE_LINE])
        for column in columns:
            school[column] = school[column].astype("str")
        return pd.concat([public, school], ignore_index=True)

    def save(self, data: None) -> None:
        raise DatasetError(f"{type(self).__name__} is read-only (a live source)")

    def _describe(self) -> dict[str, Any]:
        return {
            "public_holidays_url": redact_url(self.public_holidays_url),
            **self.school._describe(),
        }
