"""The ``weather_forecast`` source: sample file, validation and the Open-Meteo live client.

The live client runs against a loopback Open-Meteo (pytest-httpserver, real HTTP) that answers
like the API: comma-separated ``latitude``/``longitude`` → a JSON list of one structure per point
(a single point → one object), ``daily`` / ``hourly`` blocks with ``time`` and the requested
variables, ``*_units``, null values where the model has nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from data_collection_kedro.sample_data import generate
from data_collection_kedro.sample_data.model import temperature_timeline
from data_collection_kedro.sample_data.weather_forecast import forecast_rows, lead_sd
from data_collection_kedro.sources.declarations.weather_forecast import POINTS
from data_collection_kedro.sources.http import SchemaDriftError, SourceFormatError
from data_collection_kedro.sources.parsers.weather_forecast import OpenMeteoForecastDataset
from data_collection_kedro.validation import parse_source

FILE = "previsions-meteo-regionales.csv"
HEADER = (
    "code_insee_region;date_emission;date_cible;temperature_2m_min;temperature_2m_max;"
    "temperature_2m_mean;nombre_points;fournisseur;modele"
)
TINY = {"regions": ["11", "53"], "fuel_stations": 5, "fuel_price_rows": 50, "seed": 5}
TODAY = "2024-01-10"  # the loopback forecast's first day


# -- the sample file ------------------------------------------------------------------------
def test_the_sample_file_has_every_issue_day_and_lead(tmp_path: Path) -> None:
    manifest = generate(tmp_path, start="2022-01-01", end="2022-01-31", **TINY)
    assert manifest["files"][FILE]["rows"] == 2 * 31 * 8
    raw = (tmp_path / FILE).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8").splitlines()[0] == HEADER
    rows = pd.read_csv(tmp_path / FILE, sep=";", dtype=str)
    lead = (pd.to_datetime(rows["date_cible"]) - pd.to_datetime(rows["date_emission"])).dt.days
    assert sorted(lead.unique()) == list(range(8))
    assert rows.groupby(["code_insee_region", "date_emission"]).size().eq(8).all()
    assert rows["date_cible"].max() == "2022-02-07"  # the last day's forecasts look ahead
    assert set(rows["nombre_points"]) == {str(len(POINTS["11"])), str(len(POINTS["53"]))}


def test_sample_errors_grow_with_the_lead_and_are_correlated_across_regions() -> None:
    codes = sorted(POINTS)
    first, last = pd.Timestamp("2019-01-01"), pd.Timestamp("2022-12-31")
    rows = forecast_rows(42, codes, first, last)
    target = pd.to_datetime(rows["date_cible"])
    lead = (target - pd.to_datetime(rows["date_emission"])).dt.days
    observed = pd.concat(
        {code: temperature_timeline(42, code)["tmean_c"] for code in codes}, names=["code", "day"]
    )
    truth = observed.reindex(pd.MultiIndex.from_arrays([rows["code_insee_region"], target]))
    error = rows["temperature_2m_mean"].astype(float).to_numpy() - truth.to_numpy()
    frame = pd.DataFrame({"code": rows["code_insee_region"], "lead": lead, "error": error})
    sd = frame.groupby("lead")["error"].std()
    # rounding to 0.1 °C adds ~0.03 °C of noise; 4 years x 13 regions per lead
    assert sd.to_numpy() == pytest.approx(lead_sd(np.arange(8)), rel=0.05)
    assert sd.loc[1] == pytest.approx(0.8, rel=0.05) and sd.loc[7] == pytest.approx(2.0, rel=0.05)
    # unbiased: every lead's mean error within 3 standard errors (errors correlated across
    # the regions of a day: the effective sample is smaller than regions x days)
    days = frame.groupby("lead").size() / len(codes)
    standard_error = sd * np.sqrt(0.6 + 0.4 / len(codes)) / np.sqrt(days)
    assert (frame.groupby("lead")["error"].mean().abs() < 3 * standard_error).all()
    wide = frame[frame["lead"] == 1].assign(n=lambda f: f.groupby("code").cumcount())
    correlation = wide.pivot(index="n", columns="code", values="error").corr().to_numpy()
    off_diagonal = correlation[~np.eye(len(codes), dtype=bool)]
    assert off_diagonal.mean() == pytest.approx(0.6, abs=0.05)


def test_the_sample_forecasts_do_not_depend_on_the_range() -> None:
    short = forecast_rows(7, ["11"], pd.Timestamp("2021-06-01"), pd.Timestamp("2021-06-30"))
    long = forecast_rows(7, ["11"], pd.Timestamp("2021-01-01"), pd.Timestamp("2021-12-31"))
    shared = long[long["date_emission"].between("2021-06-01", "2021-06-30")]
    pd.testing.assert_frame_equal(short.reset_index(drop=True), shared.reset_index(drop=True))
    other_seed = forecast_rows(8, ["11"], pd.Timestamp("2021-06-01"), pd.Timestamp("2021-06-30"))
    assert not other_seed["temperature_2m_mean"].equals(short["temperature_2m_mean"])


# -- validation -----------------------------------------------------------------------------
def _frame(rows: list[list[str | None]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=HEADER.split(";"), dtype="str")
    frame["_source_file"] = FILE
    frame["_source_line"] = range(2, len(frame) + 2)
    return frame


def test_bad_rows_are_quarantined_with_their_reason_and_good_rows_kept() -> None:
    good = ["11", "2024-01-09", "2024-01-10", "1.0", "7.0", "4.0", "4", "Open-Meteo", "m"]
    rows = [
        good,
        ["53", "2024-01-09", "2024-01-10", None, None, None, "0", "Open-Meteo", "m"],
        ["53", "2024-01-10", "2024-01-09", "1.0", "7.0", "4.0", "4", "Open-Meteo", "m"],
        ["99", "2024-01-09", "2024-01-10", "1.0", "7.0", "4.0", "4", "Open-Meteo", "m"],
        ["84", "2024-01-09", "2024-01-11", "1.0", "7.0", "71.0", "4", "Open-Meteo", "m"],
        good,
    ]
    table, quarantine = parse_source("weather_forecast", _frame(rows))
    assert len(table) == 1
    stored = table.iloc[0]
    assert (stored["region_code"], stored["lead_days"], stored["tmean_c"]) == ("11", 1, 4.0)
    assert stored["point_count"] == 4 and stored["model"] == "m"
    reasons = sorted(zip(quarantine["source_line"], quarantine["reason"], strict=True))
    assert reasons == [
        (3, "missing value for required field 'tmean_c'"),
        (3, "no forecast at any of the region's points: point_count below 1"),
        (4, "target_day before issue_day"),
        (5, "unknown region (not one of the 13 metropolitan regions)"),
        (6, "tmean_c outside [-40, 50] °C"),
        (
            7,
            "duplicate key (region_code, target_day, issue_day): the batch has a preferred row for it (more final status, newer file, or earlier line)",
        ),
    ]


# -- the live client on a loopback Open-Meteo -------------------------------------------------
def _point_temperature(latitude: float) -> float:
    """A temperature only the point's latitude determines (°C)."""
    return round(60.0 - latitude, 2)


class FakeOpenMeteo:
    """``/v1/meteofrance`` and ``/v1/forecast`` (previous runs) on the loopback server."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.failures: list[Response] = []
        self.null_latitudes: set[float] = set()  # points the model has nothing for
        self.drop_field: str | None = None  # a variable the API stops returning
        self.unit = "°C"
        self.previous_run_leads = 4  # previous_dayN beyond it: null (beyond the model's range)
        self.missing_hour: tuple[float, str] | None = None  # (latitude, "YYYY-MM-DDTHH:MM")
        server.expect_request("/v1/meteofrance").respond_with_handler(self._forecast)
        server.expect_request("/v1/forecast").respond_with_handler(self._previous_runs)

    def urls(self) -> dict[str, str]:
        return {
            "forecast_url": self.server.url_for("/v1/meteofrance"),
            "previous_runs_url": self.server.url_for("/v1/forecast"),
        }

    def requests(self, path: str) -> list[Request]:
        return [r for r, _ in self.server.log if r.path == path]

    @staticmethod
    def _points(request: Request) -> list[tuple[float, float]]:
        lats = [float(v) for v in request.args["latitude"].split(",")]
        lons = [float(v) for v in request.args["longitude"].split(",")]
        assert len(lats) == len(lons)
        return list(zip(lats, lons, strict=True))

    def _answer(self, request: Request, structures: list[dict[str, Any]]) -> Response:
        if self.failures:
            return self.failures.pop(0)
        body: Any = structures[0] if len(structures) == 1 else structures
        return Response(pd.io.json.ujson_dumps(body), content_type="application/json")

    def _structure(self, lat: float, lon: float, block: str, data: dict[str, list]) -> dict:
        variables = [v for v in data if v != "time"]
        if self.drop_field in data:
            del data[self.drop_field]
        return {
            "latitude": lat,
            "longitude": lon,
            "generationtime_ms": 0.1,
            "utc_offset_seconds": 3600,
            "timezone": "Europe/Paris",
            "timezone_abbreviation": "CET",
            "elevation": 35.0,
            f"{block}_units": {"time": "iso8601", **dict.fromkeys(variables, self.unit)},
            block: data,
        }

    def _forecast(self, request: Request) -> Response:
        assert request.args["timezone"] == "Europe/Paris"
        daily = request.args["daily"].split(",")
        days = pd.date_range(TODAY, periods=int(request.args["forecast_days"]), freq="D")
        structures = []
        for lat, lon in self._points(request):
            base = _point_temperature(lat)
            values: dict[str, list] = {"time": [d.strftime("%Y-%m-%d") for d in days]}
            for name in daily:
                shift = {"temperature_2m_min": -3.0, "temperature_2m_max": 3.0}.get(name, 0.0)
                values[name] = [
                    None if lat in self.null_latitudes else round(base + shift + i, 2)
                    for i in range(len(days))
                ]
            structures.append(self._structure(lat, lon, "daily", values))
        return self._answer(request, structures)

    def _previous_runs(self, request: Request) -> Response:
        assert request.args["models"] == "meteofrance_seamless"
        hours = pd.date_range(
            pd.Timestamp(request.args["start_date"], tz="Europe/Paris"),
            pd.Timestamp(request.args["end_date"], tz="Europe/Paris") + pd.Timedelta(days=1),
            freq="h",
            inclusive="left",
        )
        times = [h.strftime("%Y-%m-%dT%H:%M") for h in hours]
        structures = []
        for lat, lon in self._points(request):
            values: dict[str, list] = {"time": times}
            for name in request.args["hourly"].split(","):
                lead = int(name.removeprefix("temperature_2m_previous_day"))
                values[name] = [
                    None
                    if lead > self.previous_run_leads
                    or lat in self.null_latitudes
                    or (lat, t) == self.missing_hour
                    else round(_point_temperature(lat) + h.hour / 10 + lead / 100, 3)
                    for t, h in zip(times, hours, strict=True)
                ]
            structures.append(self._structure(lat, lon, "hourly", values))
        return self._answer(request, structures)


@pytest.fixture
def open_meteo(httpserver: HTTPServer) -> Iterator[FakeOpenMeteo]:
    yield FakeOpenMeteo(httpserver)


def _client(open_meteo: FakeOpenMeteo, fast_retry: dict, **kwargs: Any) -> OpenMeteoForecastDataset:
    args: dict[str, Any] = {
        **open_meteo.urls(),
        "points": POINTS,
        "points_per_request": 10,
        "retry": fast_retry,
        "timeout_s": [2, 5],
        **kwargs,
    }
    return OpenMeteoForecastDataset(**args)


def _expected_region(code: str, shift: float = 0.0) -> float:
    points = POINTS[code]
    weights = np.array([p[3] for p in points], dtype=float)
    values = np.array([_point_temperature(p[1]) + shift for p in points])
    return float(np.round((weights * values).sum() / weights.sum(), 2))


def test_points_are_batched_and_weighted_into_regional_forecasts(
    open_meteo: FakeOpenMeteo, fast_retry: dict
) -> None:
    frame = _client(open_meteo, fast_retry).load()
    requests = open_meteo.requests("/v1/meteofrance")
    n_points = sum(len(p) for p in POINTS.values())
    assert len(requests) == -(-n_points // 10)  # 48 points, 10 per request
    assert sum(len(r.args["latitude"].split(",")) for r in requests) == n_points
    assert requests[0].args["daily"] == "temperature_2m_min,temperature_2m_max,temperature_2m_mean"
    assert requests[0].args["forecast_days"] == "4"
    assert len(frame) == 13 * 4  # regions x days of the forecast
    assert set(frame["date_emission"]) == {TODAY}
    paris = frame[(frame["code_insee_region"] == "11") & (frame["date_cible"] == "2024-01-11")]
    assert float(paris["temperature_2m_mean"].item()) == pytest.approx(_expected_region("11", 1))
    assert float(paris["temperature_2m_min"].item()) == pytest.approx(_expected_region("11", -2))
    assert paris["nombre_points"].item() == "4"
    assert set(frame["modele"]) == {"meteofrance_seamless"}
    assert set(frame["fournisseur"]) == {"Open-Meteo"}
    table, quarantine = parse_source("weather_forecast", frame)
    assert len(table) == 52 and quarantine.empty
    assert sorted(table["lead_days"].unique()) == [0, 1, 2, 3]


def test_transient_failures_are_retried_honouring_retry_after(
    open_meteo: FakeOpenMeteo, fast_retry: dict
) -> None:
    open_meteo.failures = [
        Response("busy", status=503, headers={"Retry-After": "0"}),
        Response("slow down", status=429),
    ]
    frame = _client(open_meteo, fast_retry, points_per_request=100).load()
    assert len(open_meteo.requests("/v1/meteofrance")) == 3  # two failures, then the answer
    assert len(frame) == 13 * 4


def test_retries_are_bounded_and_the_error_names_the_request(
    open_meteo: FakeOpenMeteo, fast_retry: dict
) -> None:
    open_meteo.failures = [Response("down", status=502) for _ in range(4)]
    with pytest.raises(Exception, match=r"Open-Meteo forecast.*failed after 4 attempts.*502"):
        _client(open_meteo, fast_retry, points_per_request=100).load()


@pytest.mark.parametrize(
    ("drop", "unit", "message"),
    [
        ("temperature_2m_mean", "°C", r"\['daily.temperature_2m_mean'\] missing"),
        ("time", "°C", r"\['daily.time'\] missing"),
        (None, "°F", r"expected °C, got units"),
    ],
)
def test_schema_drift_names_the_missing_field(
    open_meteo: FakeOpenMeteo, fast_retry: dict, drop: str | None, unit: str, message: str
) -> None:
    open_meteo.drop_field, open_meteo.unit = drop, unit
    with pytest.raises(DatasetError, match=message) as raised:
        _client(open_meteo, fast_retry).load()
    assert isinstance(raised.value.__cause__, SchemaDriftError)
    assert "latitude=48.8566,48.8397" in str(raised.value)  # the request is named


def test_a_body_that_is_not_one_structure_per_point_is_a_format_error(
    httpserver: HTTPServer, fast_retry: dict
) -> None:
    httpserver.expect_request("/v1/meteofrance").respond_with_json([{"daily": {}}])
    client = OpenMeteoForecastDataset(
        forecast_url=httpserver.url_for("/v1/meteofrance"),
        points={"11": POINTS["11"]},
        retry=fast_retry,
    )
    with pytest.raises(DatasetError, match=r"one structure per point \(4\), got a list of 1") as e:
        client.load()
    assert isinstance(e.value.__cause__, SourceFormatError)
    httpserver.clear()
    httpserver.expect_request("/v1/meteofrance").respond_with_data('[{"daily": {"time": ["2')
    with pytest.raises(DatasetError, match="invalid JSON") as e:
        client.load()
    assert isinstance(e.value.__cause__, SourceFormatError)


def test_a_region_without_any_forecast_is_reported_and_the_others_kept(
    open_meteo: FakeOpenMeteo, fast_retry: dict, caplog: pytest.LogCaptureFixture
) -> None:
    open_meteo.null_latitudes = {p[1] for p in POINTS["94"]}  # Corse: nothing at its points
    open_meteo.null_latitudes.add(POINTS["11"][3][1])  # and one of Île-de-France's 4 points
    with caplog.at_level(logging.WARNING):
        frame = _client(open_meteo, fast_retry).load()
    corse = frame[frame["code_insee_region"] == "94"]
    assert len(corse) == 4 and (corse["nombre_points"] == "0").all()
    assert corse["temperature_2m_mean"].isna().all()
    assert "region 94: none of its points (Ajaccio, Bastia)" in caplog.text
    paris = frame[(frame["code_insee_region"] == "11") & (frame["date_cible"] == TODAY)]
    assert paris["nombre_points"].item() == "3"
    weights = np.array([p[3] for p in POINTS["11"][:3]], dtype=float)
    values = np.array([_point_temperature(p[1]) for p in POINTS["11"][:3]])
    expected = float((weights * values).sum() / weights.sum())
    assert float(paris["temperature_2m_mean"].item()) == pytest.approx(expected, abs=0.006)
    table, quarantine = parse_source("weather_forecast", frame)
    assert len(table) == 12 * 4 and "94" not in set(table["region_code"])
    corse_reasons = quarantine[quarantine["record"].str.contains('"code_insee_region":"94"')]
    assert set(corse_reasons["reason"]) == {
        "missing value for required field 'tmean_c'",
        "no forecast at any of the region's points: point_count below 1",
    }


def test_previous_runs_backfill_each_lead_from_complete_days_only(
    open_meteo: FakeOpenMeteo, fast_retry: dict
) -> None:
    paris = POINTS["11"][0][1]
    open_meteo.missing_hour = (paris, "2024-01-05T13:00")  # Paris lacks one hour on the 5th
    client = _client(
        open_meteo,
        fast_retry,
        points={"11": POINTS["11"][:1], "53": POINTS["53"][:1]},
        backfill_start="2018-01-01",  # clamped to the archive start
        archive_start="2024-01-01",
        days_per_request=5,
    )
    frame = client.load()
    previous = open_meteo.requests("/v1/forecast")
    windows = [(r.args["start_date"], r.args["end_date"]) for r in previous]
    # target days 2024-01-01 .. TODAY + 3 in windows of 5 days
    assert windows == [
        ("2024-01-01", "2024-01-05"),
        ("2024-01-06", "2024-01-10"),
        ("2024-01-11", "2024-01-13"),
    ]
    assert previous[0].args["hourly"] == ",".join(
        f"temperature_2m_previous_day{n}" for n in range(1, 8)
    )
    rows = frame.assign(
        lead=(pd.to_datetime(frame["date_cible"]) - pd.to_datetime(frame["date_emission"])).dt.days
    )
    past = rows[rows["date_emission"] < TODAY]
    assert set(past["lead"]) == {1, 2, 3, 4}  # leads 5..7: null (beyond the model's range)
    assert (past["date_emission"] < TODAY).all() and len(rows) - len(past) == 2 * 4
    one = past[
        (past["code_insee_region"] == "53")
        & (past["date_cible"] == "2024-01-03")
        & (past["lead"] == 2)
    ].iloc[0]
    base = _point_temperature(POINTS["53"][0][1])
    assert one["date_emission"] == "2024-01-01"
    assert float(one["temperature_2m_min"]) == pytest.approx(base + 0.02)
    assert float(one["temperature_2m_max"]) == pytest.approx(base + 2.3 + 0.02)
    assert float(one["temperature_2m_mean"]) == pytest.approx(base + 1.15 + 0.02)
    # the 5th of Paris is incomplete: Île-de-France has no value for it, Bretagne has
    fifth = past[past["date_cible"] == "2024-01-05"]
    assert set(fifth.loc[fifth["nombre_points"] == "0", "code_insee_region"]) == {"11"}
    table, quarantine = parse_source("weather_forecast", frame)
    assert quarantine["reason"].str.contains("point_count below 1").sum() == 4  # leads 1..4


def _stored(data_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(data_dir / "energiewatch.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_live_environment_ingests_and_then_backfills_incrementally(
    open_meteo: FakeOpenMeteo,
    data_dir: Path,
    run_pipeline: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``kedro run --env live --nodes ingest_weather_forecast``: the declared client with the
    environment's timeouts, retries, start date and watermark (the raw store's newest issue
    day minus the look-back)."""
    monkeypatch.setenv("ENERGIEWATCH_OPEN_METEO_URL", open_meteo.urls()["forecast_url"])
    monkeypatch.setenv(
        "ENERGIEWATCH_OPEN_METEO_PREVIOUS_RUNS_URL", open_meteo.urls()["previous_runs_url"]
    )
    monkeypatch.setenv("ENERGIEWATCH_LIVE_START_DATE", "2024-01-06")
    run_pipeline("etl_pipeline", env="live", node_names=["ingest_weather_forecast"])
    issues = _stored(
        data_dir,
        "SELECT min(issue_day)::VARCHAR, max(issue_day)::VARCHAR, count(DISTINCT region_code) "
        "FROM raw_weather_forecast",
    )
    assert issues == [("2024-01-02", TODAY, 13)]  # target 2024-01-06 at lead 4 .. today
    first = _stored(data_dir, "SELECT count(*) FROM raw_weather_forecast")[0][0]
    windows = {r.args["start_date"] for r in open_meteo.requests("/v1/forecast")}
    assert min(windows) == "2024-01-06"

    open_meteo.server.clear_log()
    run_pipeline("etl_pipeline", env="live", node_names=["ingest_weather_forecast"])
    windows = {r.args["start_date"] for r in open_meteo.requests("/v1/forecast")}
    assert min(windows) == "2024-01-08"  # newest stored issue day 2024-01-10 minus 2 days
    assert _stored(data_dir, "SELECT count(*) FROM raw_weather_forecast")[0][0] == first
    assert _stored(data_dir, "SELECT count(*) FROM raw_quarantine")[0][0] == 0
