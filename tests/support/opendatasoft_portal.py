"""A loopback Opendatasoft portal (pytest-httpserver, real HTTP) and the fields of the datasets
the project reads from Opendatasoft portals, as the portals publish them.

The portal answers like the Explore API v2.1: dataset metadata (``fields`` with name/label/type),
``/records`` pages (``total_count`` + ``results``, ``limit`` ≤ 100, ``offset + limit`` ≤ 10,000,
``where`` ``field >= date'…'``), and ``/exports/csv|json`` (``use_labels``, ``delimiter``).
Failures (status codes, Retry-After, truncated or invalid bodies) can be queued per test.
No test reaches the internet: every base URL points at this server.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from data_collection_kedro.sample_data.strikes import STRIKE_COLUMNS

API = "/api/explore/v2.1/catalog/datasets"
WHERE_SINCE = re.compile(r"^\(?(\w+) >= date'([^']+)'\)?$")

# Field names, labels and types as the portals publish them.
_GAS = "Consommation brute gaz (MW PCS 0°C)"
_INSTANT = [
    ("date_heure", "Date - Heure", "datetime"),
    ("date", "Date", "date"),
    ("heure", "Heure", "text"),
]


def _odre_energies(gas_operator: str) -> list[tuple[str, str, str]]:
    """The energy fields of ODRÉ's regional and national consumption datasets (the first gas
    operator is labelled GRTgaz, or NaTran since 2025)."""
    return [
        ("consommation_brute_gaz_grtgaz", f"{_GAS} - {gas_operator}", "int"),
        ("statut_grtgaz", f"Statut - {gas_operator}", "text"),
        ("consommation_brute_gaz_terega", f"{_GAS} - Teréga", "int"),
        ("statut_terega", "Statut - Teréga", "text"),
        ("consommation_brute_gaz_totale", "Consommation brute gaz totale (MW PCS 0°C)", "int"),
        ("consommation_brute_electricite_rte", "Consommation brute électricité (MW) - RTE", "int"),
        ("statut_rte", "Statut - RTE", "text"),
        ("consommation_brute_totale", "Consommation brute totale (MW)", "int"),
    ]


# ODRÉ consommation-quotidienne-brute-regionale
CONSUMPTION_FIELDS = [
    *_INSTANT,
    ("code_insee_region", "Code INSEE région", "text"),
    ("region", "Région", "text"),
    *_odre_energies("GRTgaz"),
]
# ODRÉ national consumption (consommation-quotidienne-brute; labels as in the CSV export)
NATIONAL_FIELDS = [*_INSTANT, *_odre_energies("NaTran"), ("flag_ignore", "flag_ignore", "text")]

# ODRÉ eco2mix-national-tr / eco2mix-national-cons-def (a subset of their fields: those the
# grid-intensity source reads)
ECO2MIX_FIELDS = [
    ("perimetre", "Périmètre", "text"),
    ("nature", "Nature", "text"),
    ("date", "Date", "date"),
    ("heure", "Heure", "text"),
    ("date_heure", "Date - Heure", "datetime"),
    ("consommation", "Consommation (MW)", "int"),
    ("taux_co2", "Taux de CO2 (g/kWh)", "int"),
]


HOURS = [f"{h:02d}:00" for h in range(24)]
GAS_FIELDS = [
    ("date", "Date", "date"),
    ("operateur", "Opérateur", "text"),
    ("secteur_d_activite", "Secteur d'activité", "text"),
    ("region", "Région", "text"),
    *[(f"h{h[:2]}_00", h, "double") for h in HOURS],
    (
        "consommation_journaliere_mwh_pcs_0degc",
        "Consommation journalière (MWh - PCS 0°C)",
        "double",
    ),
    ("statut", "Statut", "text"),
]
WEATHER_FIELDS = [
    ("id", "ID", "text"),
    ("date", "Date", "date"),
    ("code_insee_region", "Code INSEE région", "text"),
    ("region", "Région", "text"),
    ("tmin", "TMin (°C)", "double"),
    ("tmax", "TMax (°C)", "double"),
    ("tmoy", "TMoy (°C)", "double"),
]
# the SNCF dataset's field names are its CSV export's header (the sample generator's columns)
STRIKE_FIELDS = [(n, n, "text") for n in STRIKE_COLUMNS]
FUEL_FIELDS = [
    (name, name, "text")
    for name in ["id", "latitude", "longitude", "cp", "pop", "adresse", "ville", "horaires"]
    + ["services", "prix", "rupture", "geom", "gazole_prix", "gazole_maj"]
]
FUEL_DATASET = "prix-des-carburants-en-france-flux-instantane-v2"
SCHOOL_DATASET = "fr-en-calendrier-scolaire"
SCHOOL_FIELDS = [
    (n, n.replace("_", " ").capitalize(), t)
    for n, t in [
        ("description", "text"),
        ("population", "text"),
        ("start_date", "datetime"),
        ("end_date", "datetime"),
        ("location", "text"),
        ("zones", "text"),
        ("annee_scolaire", "text"),
    ]
]


@dataclass
class Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str | bytes = ""


@dataclass
class FakeDataset:
    fields: list[tuple[str, str, str]]
    records: list[dict[str, Any]]


class FakePortal:
    """An Opendatasoft portal on the loopback server; ``url`` is its base URL."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.datasets: dict[str, FakeDataset] = {}
        self.failures: list[Failure] = []
        self.truncate_pages = False  # answer with one record fewer than promised
        self.invalid_json = False  # cut the body mid-JSON
        self.server.expect_request(re.compile(rf"^{API}/.*")).respond_with_handler(self._handle)

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def add(self, dataset_id: str, fields: list[tuple[str, str, str]], records: list[dict]) -> None:
        self.datasets[dataset_id] = FakeDataset(fields, records)

    def fail_next(self, *failures: Failure) -> None:
        self.failures.extend(failures)

    def requests(self, suffix: str = "") -> list[Request]:
        return [req for req, _ in self.server.log if req.path.endswith(suffix)]

    # -- request handling -------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        if self.failures:
            f = self.failures.pop(0)
            return Response(f.body, status=f.status, headers=f.headers)
        path = request.path[len(API) + 1 :]
        dataset_id, _, rest = path.partition("/")
        ds = self.datasets.get(dataset_id)
        if ds is None:
            return self._error(404, "DatasetNotFound", f"Unknown dataset: {dataset_id}")
        if not rest:
            return self._json(
                {
                    "dataset_id": dataset_id,
                    "has_records": bool(ds.records),
                    "metas": {"default": {"title": dataset_id}},
                    "fields": [
                        {"name": n, "label": label, "type": t, "annotations": {}}
                        for n, label, t in ds.fields
                    ],
                }
            )
        records = self._filter(ds.records, request.args.get("where"))
        order_by = request.args.get("order_by")
        if order_by:
            records = sorted(records, key=lambda r: str(r.get(order_by.split()[0]) or ""))
        if rest == "records":
            return self._records(request, records)
        if rest.startswith("exports/"):
            return self._export(request, rest.split("/", 1)[1], ds, records)
        return self._error(404, "NotFound", rest)

    @staticmethod
    def _filter(records: list[dict], where: str | None) -> list[dict]:
        if not where:
            return records
        for clause in where.split(" AND "):
            match = WHERE_SINCE.match(clause)
            assert match, f"the fake portal only understands `field >= date'…'`, got {where!r}"
            name, since = match.groups()
            records = [r for r in records if str(r.get(name) or "") >= since]
        return records

    def _records(self, request: Request, records: list[dict]) -> Response:
        limit = int(request.args.get("limit", 10))
        offset = int(request.args.get("offset", 0))
        if limit > 100:
            return self._error(400, "InvalidRESTParameterError", "limit must be <= 100")
        if offset + limit > 10_000:
            return self._error(
                400,
                "InvalidRESTParameterError",
                f"Invalid value for sum of offset + limit API parameter: {offset + limit} "
                "was found but <= 10000 is expected.",
            )
        page = records[offset : offset + limit]
        if self.truncate_pages and page:
            page = page[:-1]
        body = json.dumps({"total_count": len(records), "results": page})
        if self.invalid_json:
            body = body[: len(body) // 2]
        return Response(body, status=200, content_type="application/json; charset=utf-8")

    def _export(self, request: Request, fmt: str, ds: FakeDataset, records: list[dict]) -> Response:
        if fmt == "json":
            return self._json(records)
        if fmt != "csv":
            return self._error(400, "UnsupportedFormat", fmt)
        labels = request.args.get("use_labels", "false") == "true"
        header = [label if labels else name for name, label, _ in ds.fields]
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=request.args.get("delimiter", ";"), lineterminator="\n")
        writer.writerow(header)
        rows = records[:-1] if self.truncate_pages and records else records
        for rec in rows:
            writer.writerow(["" if rec.get(n) is None else rec[n] for n, _, _ in ds.fields])
        return Response(buf.getvalue(), status=200, content_type="text/csv; charset=utf-8")

    @staticmethod
    def _json(body: Any) -> Response:
        return Response(json.dumps(body), status=200, content_type="application/json")

    @staticmethod
    def _error(status: int, code: str, message: str) -> Response:
        return Response(
            json.dumps({"error_code": code, "message": message}),
            status=status,
            content_type="application/json",
        )
