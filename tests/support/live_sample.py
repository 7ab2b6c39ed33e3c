"""The sample generator's files served by loopback HTTP servers in the live APIs' formats.

``--env live`` / ``--env prod`` read the sources from APIs. :func:`serve_sample` publishes a
sample folder the way each API publishes the real data, and returns the environment variables
that point the live clients at the loopback servers (nothing reaches the internet):

- ODRÉ regional and national consumption, gas load curve, regional temperatures and eco2mix
  national carbon intensity, SNCF strikes (Opendatasoft Explore
  API v2.1, tests/support/opendatasoft_portal.py): one record per CSV row, keyed by the API
  field names, values typed as the portal types them (numbers for ``int``/``double``, ISO dates
  for ``date``; the CSV exports' ``dd/mm/yyyy`` dates become ``yyyy-mm-dd``).
- fuel prices (data.economie's ``prix-des-carburants-en-france-flux-instantane-v2``): one
  record per station, its prices a JSON list of ``{"@nom", "@id", "@maj", "@valeur"}`` — here
  every price of the history file, where the real dataset holds the current ones.
- the official fuel flux: the sample's ``PrixCarburants_instantane.zip`` as it is.
- holidays: the offline holiday frame of the embedded run (``build_holidays_frame``) as the
  etalab ``jours-feries`` JSON (``{"YYYY-MM-DD": name}``) and the Éducation nationale
  ``fr-en-calendrier-scolaire`` Opendatasoft records.
- weather forecasts (Open-Meteo ``/v1/meteofrance``): "today" is the sample's last issue day;
  each of a region's points answers the sample's regional forecast issued that day (leads 0..3);
  points of regions outside the sample answer nulls, as the API does where its model has no
  value. The previous-runs archive (``/v1/forecast``) answers nulls too: the sample's earlier
  issues are not rebuilt as hourly runs (the backfill adds no row).
- historique-meteo has no API: the live environments read its CSV files from the sample folder.

Dataset ids, portals (the environment variables that override them) and sample files come from
the source declarations (``data_collection_kedro.sources.declarations``); the portal's fields
from tests/support/opendatasoft_portal.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from data_collection_kedro.sources import registry
from tests.support.opendatasoft_portal import (
    CONSUMPTION_FIELDS,
    ECO2MIX_FIELDS,
    FUEL_FIELDS,
    GAS_FIELDS,
    NATIONAL_FIELDS,
    SCHOOL_FIELDS,
    STRIKE_FIELDS,
    WEATHER_FIELDS,
    FakePortal,
)

FLUX_PATH = "/opendata/instantane"
PUBLIC_HOLIDAYS_PATH = "/jours-feries/metropole.json"
FORECAST_PATH = "/v1/meteofrance"
PREVIOUS_RUNS_PATH = "/v1/forecast"
Fields = list[tuple[str, str, str]]
# the sources published as Opendatasoft records: the portal's fields, the sample CSV's header
ODS_SOURCES: dict[str, tuple[Fields, str]] = {
    "consumption_regional": (CONSUMPTION_FIELDS, "label"),
    "consumption_national": (NATIONAL_FIELDS, "label"),
    "gas_load_curve": (GAS_FIELDS, "label"),
    "weather_regional": (WEATHER_FIELDS, "label"),
    "strikes": (STRIKE_FIELDS, "name"),
    "grid_carbon_intensity": (ECO2MIX_FIELDS, "label"),
}

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FRENCH_DAY = re.compile(r"^(\d{2})/(\d{2})/(\d{2}|\d{4})$")


def api_value(value: str | None, kind: str) -> Any:
    """A CSV cell as the Explore API's JSON value of a field of type ``kind``."""
    if value is None or value == "":
        return None
    if kind in ("int", "double"):
        number = float(value)
        return int(number) if kind == "int" and number.is_integer() else number
    if kind == "date" and not _ISO_DAY.match(value):
        match = _FRENCH_DAY.match(value)
        if match is None:
            raise ValueError(f"date {value!r}: expected yyyy-mm-dd, dd/mm/yyyy or dd/mm/yy")
        day, month, year = match.groups()
        return f"{'20' + year if len(year) == 2 else year}-{month}-{day}"
    return value


def ods_records(frame: pd.DataFrame, fields: Fields, header: str = "label") -> list[dict]:
    """Rows of a CSV export (columns = labels, or names with ``header="name"``) as API records."""
    column = {name: (label if header == "label" else name) for name, label, _ in fields}
    missing = [c for c in column.values() if c not in frame.columns]
    if missing:
        raise ValueError(f"columns {missing} of the portal's fields are not in the file")
    kinds = {name: kind for name, _, kind in fields}
    return [
        {name: api_value(row[column[name]], kinds[name]) for name in column}
        for row in frame.to_dict("records")
    ]


def station_records(history: pd.DataFrame) -> list[dict]:
    """The flat fuel-price history as ``flux-instantane-v2`` station records."""
    records = []
    for station_id, rows in history.groupby("id", sort=True):
        first = rows.iloc[0]
        prices = [
            {"@nom": r["prix_nom"], "@id": r["prix_id"], "@maj": r["prix_maj"]}
            | {"@valeur": r["prix_valeur"]}
            for r in rows.to_dict("records")
        ]
        record: dict[str, Any] = {name: None for name, _, _ in FUEL_FIELDS}
        record.update(
            {c: first[c] or None for c in ("latitude", "longitude", "cp", "pop", "adresse")}
        )
        record.update(id=station_id, ville=first["ville"] or None, prix=json.dumps(prices))
        records.append(record)
    return records


def public_holidays_body(frame: pd.DataFrame) -> dict[str, str]:
    public = frame.loc[frame["nom_jour_ferie"].notna() & (frame["nom_jour_ferie"] != "nan")]
    return dict(zip(public["date"], public["nom_jour_ferie"], strict=True))


def school_records(frame: pd.DataFrame) -> list[dict]:
    school = frame.loc[frame["description"].notna() & (frame["description"] != "nan")]
    return ods_records(school, SCHOOL_FIELDS, header="name")


class SampleOpenMeteo:
    """Open-Meteo's forecast and previous-runs endpoints answering the sample's forecasts (see
    the module docstring): one JSON structure per requested point, daily or hourly values."""

    def __init__(self, forecasts: pd.DataFrame, points: dict[str, Any]) -> None:
        self.today = forecasts["date_emission"].max()
        issued = forecasts.loc[forecasts["date_emission"] == self.today]
        self.values = {
            (row["code_insee_region"], row["date_cible"]): row for row in issued.to_dict("records")
        }
        self.region_of = {
            (round(lat, 4), round(lon, 4)): code
            for code, rows in points.items()
            for _, lat, lon, _ in rows
        }

    def _points(self, request: Request) -> list[tuple[float, float]]:
        lats = [float(v) for v in request.args["latitude"].split(",")]
        lons = [float(v) for v in request.args["longitude"].split(",")]
        return list(zip(lats, lons, strict=True))

    @staticmethod
    def _answer(structures: list[dict[str, Any]]) -> Response:
        body = structures[0] if len(structures) == 1 else structures
        return Response(json.dumps(body), content_type="application/json")

    @staticmethod
    def _structure(lat: float, lon: float, block: str, data: dict[str, list]) -> dict:
        units = {"time": "iso8601", **{v: "°C" for v in data if v != "time"}}
        return {"latitude": lat, "longitude": lon, "timezone": "Europe/Paris"} | {
            f"{block}_units": units,
            block: data,
        }

    def forecast(self, request: Request) -> Response:
        days = pd.date_range(self.today, periods=int(request.args["forecast_days"]), freq="D")
        targets = [d.strftime("%Y-%m-%d") for d in days]
        structures = []
        for lat, lon in self._points(request):
            region = self.region_of.get((round(lat, 4), round(lon, 4)))
            rows = [self.values.get((region, target)) for target in targets]
            data: dict[str, list] = {"time": targets}
            for name in request.args["daily"].split(","):
                data[name] = [None if row is None else float(row[name]) for row in rows]
            structures.append(self._structure(lat, lon, "daily", data))
        return self._answer(structures)

    def previous_runs(self, request: Request) -> Response:
        hours = pd.date_range(
            request.args["start_date"],
            pd.Timestamp(request.args["end_date"]) + pd.Timedelta(days=1),
            freq="h",
            inclusive="left",
        )
        times = [h.strftime("%Y-%m-%dT%H:%M") for h in hours]
        nulls = [None] * len(times)
        structures = [
            self._structure(
                lat,
                lon,
                "hourly",
                {"time": times} | dict.fromkeys(request.args["hourly"].split(","), nulls),
            )
            for lat, lon in self._points(request)
        ]
        return self._answer(structures)


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def serve_sample(sample_dir: Path, server: HTTPServer) -> dict[str, str]:
    """Publish ``sample_dir`` on ``server`` (see the module docstring); returns the environment
    variables of the live clients' portals and URLs that point at it."""
    from data_collection_kedro.datasets.source_files import build_holidays_frame

    declared = registry.load()
    portal = FakePortal(server)
    variables: dict[str, str] = {}

    def publish(args: Any, fields: Fields, records: list[dict]) -> None:
        variables[args["base_url"].env] = portal.url
        portal.add(args["dataset_id"].value(), fields, records)

    for name, (fields, header) in ODS_SOURCES.items():
        source = declared.source(name)
        frame = _read_csv(sample_dir / str(source.offline.sample_name))
        assert source.live is not None, name
        publish(source.live.args, fields, ods_records(frame, fields, header))
    prices = declared.source("fuel_prices")
    assert prices.live is not None
    history = _read_csv(sample_dir / str(prices.offline.sample_name))
    publish(prices.live.args, FUEL_FIELDS, station_records(history))

    holidays = declared.source("holidays")
    assert holidays.live is not None
    # the holidays of the embedded run's offline reader
    frame = build_holidays_frame(**holidays.offline.args)
    publish(holidays.live.args["school_calendar"], SCHOOL_FIELDS, school_records(frame))
    server.expect_request(PUBLIC_HOLIDAYS_PATH).respond_with_json(public_holidays_body(frame))
    variables[holidays.live.args["public_holidays_url"].env] = server.url_for(PUBLIC_HOLIDAYS_PATH)

    forecast = declared.source("weather_forecast")
    assert forecast.live is not None
    frame = pd.read_csv(sample_dir / str(forecast.offline.sample_name), sep=";", dtype=str)
    open_meteo = SampleOpenMeteo(frame, forecast.live.args["points"])
    server.expect_request(FORECAST_PATH).respond_with_handler(open_meteo.forecast)
    server.expect_request(PREVIOUS_RUNS_PATH).respond_with_handler(open_meteo.previous_runs)
    variables[forecast.live.args["forecast_url"].env] = server.url_for(FORECAST_PATH)
    variables[forecast.live.args["previous_runs_url"].env] = server.url_for(PREVIOUS_RUNS_PATH)

    flux = declared.source("fuel_flux")
    assert flux.live is not None
    zipped = (sample_dir / str(flux.offline.sample_name)).read_bytes()
    server.expect_request(FLUX_PATH).respond_with_data(zipped, content_type="application/zip")
    variables[flux.live.args["url"].env] = server.url_for(FLUX_PATH)
    return variables
