"""Client for the Opendatasoft Explore API v2.1 (ODRÉ, SNCF, data.economie, data.education).

Endpoints used (``{base}/api/explore/v2.1/catalog/datasets/{dataset_id}``):

* ``…/{dataset_id}`` — the dataset's metadata: field names, labels and types;
* ``…/{dataset_id}/records`` — JSON pages ``{"total_count": N, "results": [...]}``: ``limit`` at
  most 100 and ``offset + limit`` at most 10,000, with ``where`` / ``order_by`` / ``select`` in
  ODSQL and ``timezone`` for datetime fields;
* ``…/{dataset_id}/exports/{format}`` — the whole result set in one body (csv, json, …) with the
  same ``where`` / ``order_by`` plus ``use_labels`` and ``delimiter``; no 10,000 cap.

Every page is checked: a page with fewer records than ``total_count`` promises, a body that is not
JSON or has no ``results`` list, and a required field that is absent raise an error naming the
dataset, the URL (without secrets) and the page offset.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from data_collection_kedro.sources.http import (
    HttpClient,
    SchemaDriftError,
    SourceFormatError,
    redact_url,
)

logger = logging.getLogger(__name__)

API_PATH = "/api/explore/v2.1/catalog/datasets"
PAGE_SIZE_MAX = 100
OFFSET_WINDOW = 10_000  # offset + limit of the records endpoint


class OffsetWindowError(SourceFormatError):
    """The query has more records than the records endpoint can page through."""


@dataclass(frozen=True)
class OdsField:
    """One field of a dataset: API name, human label (the CSV export header), ODS type."""

    name: str
    label: str
    type: str = "text"


@dataclass(frozen=True)
class RecordsPage:
    """One page of the records endpoint."""

    offset: int
    total_count: int
    records: list[dict[str, Any]]
    url: str


def odsql_literal(value: date | datetime | str) -> str:
    """An ODSQL date literal: ``date'2024-01-31'`` (ISO 8601, with offset for datetimes)."""
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return "date'" + text.replace("'", "") + "'"


def where_since(field: str, since: date | datetime | str | None) -> str | None:
    """``field >= date'…'`` for an incremental pull, or None for a full pull."""
    if since is None:
        return None
    return f"{field} >= {odsql_literal(since)}"


def and_where(*clauses: str | None) -> str | None:
    """Join ODSQL clauses with AND (None when there is none)."""
    parts = [f"({c})" for c in clauses if c]
    if not parts:
        return None
    return parts[0][1:-1] if len(parts) == 1 else " AND ".join(parts)


def check_required_fields(
    dataset_id: str, available: Iterable[str], required: Iterable[str], url: str
) -> None:
    """Raise :class:`SchemaDriftError` naming the missing fields and the expected ones."""
    available_set = set(available)
    required_list = list(required)
    missing = [f for f in required_list if f not in available_set]
    if missing:
        raise SchemaDriftError(
            f"dataset {dataset_id!r} at {url}: required field(s) {missing} missing; "
            f"expected fields {required_list}, the source has {sorted(available_set)}"
        )


class OpendatasoftClient:
    """Explore API v2.1 of one portal (``base_url`` such as ``https://odre.opendatasoft.com``)."""

    def __init__(
        self,
        base_url: str,
        http: HttpClient | None = None,
        api_key: str | None = None,
        timezone: str = "Europe/Paris",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http or HttpClient()
        self.api_key = api_key or None
        self.timezone = timezone

    # -- URLs -------------------------------------------------------------------------------
    def dataset_url(self, dataset_id: str, suffix: str = "") -> str:
        return f"{self.base_url}{API_PATH}/{dataset_id}{suffix}"

    def _params(self, **params: Any) -> dict[str, Any]:
        out = {k: v for k, v in params.items() if v is not None}
        if self.api_key:
            out["apikey"] = self.api_key
        return out

    def _json(self, url: str, params: Mapping[str, Any], context: str) -> Any:
        response = self.http.get(url, params=params, context=context)
        try:
            return response.json()
        except ValueError as exc:
            raise SourceFormatError(
                f"{context} at {redact_url(url, params)}: invalid JSON "
                f"({len(response.content)} bytes, body cut or not JSON): {exc}"
            ) from exc

    # -- metadata ---------------------------------------------------------------------------
    def fields(self, dataset_id: str) -> list[OdsField]:
        """The dataset's fields (name, label, type) in the portal's order."""
        url = self.dataset_url(dataset_id)
        body = self._json(url, self._params(), f"dataset {dataset_id!r} metadata")
        raw_fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(raw_fields, list):
            raise SourceFormatError(
                f"dataset {dataset_id!r} metadata at {redact_url(url)}: no 'fields' list"
            )
        return [
            OdsField(
                name=str(f["name"]),
                label=str(f.get("label") or f["name"]),
                type=str(f.get("type", "text")),
            )
            for f in raw_fields
            if isinstance(f, dict) and "name" in f
        ]

    # -- records ----------------------------------------------------------------------------
    def count(self, dataset_id: str, where: str | None = None) -> int:
        """``total_count`` of a query (one request with ``limit=0``)."""
        return self._page(dataset_id, offset=0, limit=0, where=where).total_count

    def _page(
        self,
        dataset_id: str,
        offset: int,
        limit: int,
        where: str | None = None,
        order_by: str | None = None,
        select: str | None = None,
    ) -> RecordsPage:
        url = self.dataset_url(dataset_id, "/records")
        params = self._params(
            select=select,
            where=where,
            order_by=order_by,
            limit=limit,
            offset=offset,
            timezone=self.timezone,
        )
        context = f"dataset {dataset_id!r}, page offset {offset}"
        body = self._json(url, params, context)
        shown = redact_url(url, params)
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise SourceFormatError(
                f"{context} at {shown}: expected a JSON object with 'total_count' and a "
                f"'results' list, got {type(body).__name__}"
            )
        total = body.get("total_count")
        if not isinstance(total, int):
            raise SourceFormatError(f"{context} at {shown}: 'total_count' missing or not an int")
        records = body["results"]
        expected = max(0, min(limit, total - offset))
        if len(records) < expected:
            raise SourceFormatError(
                f"{context} at {shown}: truncated page, {len(records)} records where "
                f"total_count={total} promises {expected}"
            )
        return RecordsPage(offset=offset, total_count=total, records=records, url=shown)

    def iter_pages(
        self,
        dataset_id: str,
        where: str | None = None,
        order_by: str | None = None,
        select: str | None = None,
        page_size: int = PAGE_SIZE_MAX,
    ) -> Iterator[RecordsPage]:
        """Every page of a query. Raises when the result exceeds the 10,000-record window."""
        page_size = max(1, min(page_size, PAGE_SIZE_MAX))
        offset, total = 0, None
        while total is None or offset < total:
            limit = page_size if total is None else min(page_size, total - offset)
            page = self._page(dataset_id, offset, limit, where, order_by, select)
            if total is None:
                total = page.total_count
                if total > OFFSET_WINDOW:
                    raise OffsetWindowError(
                        f"dataset {dataset_id!r}: {total} records exceed the records endpoint's "
                        f"{OFFSET_WINDOW}-record window; use the exports endpoint"
                    )
            elif page.total_count != total:
                logger.warning(
                    "dataset %r: total_count changed from %d to %d during pagination",
                    dataset_id,
                    total,
                    page.total_count,
                )
            yield page
            if not page.records:
                break
            offset += len(page.records)

    # -- exports ----------------------------------------------------------------------------
    def export(
        self,
        dataset_id: str,
        fmt: str = "csv",
        where: str | None = None,
        order_by: str | None = None,
        select: str | None = None,
        use_labels: bool = True,
        delimiter: str = ";",
    ) -> tuple[bytes, str]:
        """The body of ``/exports/{fmt}`` and its URL (without secrets)."""
        url = self.dataset_url(dataset_id, f"/exports/{fmt}")
        params = self._params(
            select=select,
            where=where,
            order_by=order_by,
            timezone=self.timezone,
            use_labels="true" if use_labels else "false",
            delimiter=delimiter if fmt == "csv" else None,
        )
        response = self.http.get(url, params=params, context=f"dataset {dataset_id!r} export")
        return response.content, redact_url(url, params)

    def export_records(
        self,
        dataset_id: str,
        where: str | None = None,
        order_by: str | None = None,
        select: str | None = None,
    ) -> tuple[list[dict[str, Any]], str]:
        """All records of a query through ``/exports/json`` (a JSON array, field names)."""
        body, shown = self.export(dataset_id, "json", where, order_by, select, use_labels=False)
        try:
            records = json.loads(body)
        except ValueError as exc:
            raise SourceFormatError(
                f"dataset {dataset_id!r} export at {shown}: invalid JSON "
                f"({len(body)} bytes, body cut or not JSON): {exc}"
            ) from exc
        if not isinstance(records, list):
            raise SourceFormatError(
                f"dataset {dataset_id!r} export at {shown}: expected a JSON array of records"
            )
        return records, shown
