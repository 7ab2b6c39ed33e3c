"""A new source is its declaration, its parser/client, its sample writer and its tests.

The test adds a source the way a contributor would — a second forecast provider, DWD ICON daily
temperature forecasts per region through Open-Meteo, keyed by (region, target day, issue day),
read live by a client of its own (a sketch: the project's own Open-Meteo source is
``weather_forecast``) — without
touching any project file: it writes the declaration module into the declarations package's
search path and the client + sample writer module next to it. Then the pipeline, the catalogs
(offline and live), the Airflow families and the sample generator pick it up, and Kedro runs
ingest it offline and from a loopback server replaying the Open-Meteo JSON format.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from pytest_httpserver import HTTPServer

from data_collection_kedro.sample_data import generate
from data_collection_kedro.sources import registry
from tests.support.paths import KEDRO_PROJECT

# sources/declarations/weather_forecast_icon.py
DECLARATION = '''
"""DWD ICON daily temperature forecasts per region (Open-Meteo): (region, target day, issue day)."""

from data_collection_kedro.sources.declarations._shared import WEATHER
from data_collection_kedro.sources.registry import Column, Live, Offline, Setting, Source, Table
from data_collection_kedro.sources.rules import Between, NotBefore, Param

_TEMPERATURES = ("tmin_c", "tmax_c", "tmean_c")

SOURCE = Source(
    name="weather_forecast_icon",
    family=WEATHER,
    description="DWD ICON daily temperature forecasts per region (Open-Meteo)",
    order=2,
    tables=(
        Table(
            name="raw_weather_forecast_icon",
            columns=(
                Column("region_code", "code_insee_region", type="region_code", required=True),
                Column("target_day", "date_cible", type="date", required=True),
                Column("issue_day", "date_emission", type="date", required=True),
                Column("tmin_c", "temperature_2m_min", type="float", unit="°C"),
                Column("tmax_c", "temperature_2m_max", type="float", unit="°C"),
                Column("tmean_c", "temperature_2m_mean", type="float", unit="°C"),
            ),
            key=("region_code", "target_day", "issue_day"),
            rules=(
                *(Between(c, Param("temperature_c"), "°C") for c in _TEMPERATURES),
                NotBefore("target_day", "issue_day"),
            ),
        ),
    ),
    offline=Offline(
        file="previsions-meteo-icon.csv",
        sample_writer="forecast_source:write_forecasts",
    ),
    live=Live(
        dataset="forecast_source.OpenMeteoForecastDataset",
        args={
            "url": Setting("ENERGIEWATCH_OPEN_METEO_ICON_URL", "https://api.open-meteo.com/v1/dwd-icon"),
            "regions": {"11": [48.71, 2.50], "53": [48.18, -2.84]},
        },
    ),
)
'''

# its special live client (sources/parsers/weather_forecast_icon.py) and sample writer
# (sample_data/weather_forecast_icon.py), in one module here
CLIENT_AND_WRITER = '''
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset

from data_collection_kedro.datasets.live_sources import retry_and_timeout, source_frame
from data_collection_kedro.sources.http import redact_url

COLUMNS = [
    "code_insee_region",
    "date_cible",
    "date_emission",
    "temperature_2m_min",
    "temperature_2m_max",
    "temperature_2m_mean",
]
DAILY = ["temperature_2m_min", "temperature_2m_max", "temperature_2m_mean"]


class OpenMeteoForecastDataset(AbstractDataset[None, pd.DataFrame]):
    """Open-Meteo /v1/dwd-icon for one point per region: a list of locations, each with
    ``daily: {time: [...], temperature_2m_min: [...], ...}``; day 0 is the issue day."""

    def __init__(self, url, regions, forecast_days=7, timeout_s=(10.0, 60.0), retry=None):
        self.url, self.regions, self.forecast_days = url, dict(regions), int(forecast_days)
        self.timeout_s, self.retry = timeout_s, retry

    def load(self) -> pd.DataFrame:
        codes = sorted(self.regions)
        params = {
            "latitude": ",".join(str(self.regions[c][0]) for c in codes),
            "longitude": ",".join(str(self.regions[c][1]) for c in codes),
            "daily": ",".join(DAILY),
            "timezone": "Europe/Paris",
            "forecast_days": self.forecast_days,
        }
        client = retry_and_timeout(self.timeout_s, self.retry)
        body = client.get(self.url, params=params, context="Open-Meteo forecast").json()
        locations = body if isinstance(body, list) else [body]
        rows: list[dict[str, Any]] = []
        for code, location in zip(codes, locations, strict=True):
            daily = location["daily"]
            for i, day in enumerate(daily["time"]):
                rows.append(
                    {"code_insee_region": code, "date_cible": day, "date_emission": daily["time"][0]}
                    | {name: daily[name][i] for name in DAILY}
                )
        return source_frame(rows, COLUMNS, redact_url(self.url, params))

    def save(self, data: None) -> None:
        raise NotImplementedError("read-only")

    def _describe(self) -> dict[str, Any]:
        return {"url": redact_url(self.url)}


def write_forecasts(out_dir: Path, world: Any, file: str) -> dict[str, int]:
    """Issued each day for that day and the next two: the model's temperatures, offset by
    half a degree per day of lead time."""
    frames = []
    for code in world.codes:
        daily = world.dailies[code]
        for lead in range(3):
            issued = daily.index[: len(daily) - lead]
            target = daily.iloc[lead:]
            frames.append(
                pd.DataFrame(
                    {
                        "code_insee_region": code,
                        "date_cible": target.index.strftime("%Y-%m-%d"),
                        "date_emission": issued.strftime("%Y-%m-%d"),
                        **{
                            name: (target[column].to_numpy() + 0.5 * lead).round(1)
                            for name, column in zip(DAILY, ["tmin_c", "tmax_c", "tmean_c"])
                        },
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    out.to_csv(out_dir / file, sep=";", index=False, lineterminator="\\n")
    return {file: len(out)}
'''

TINY = {
    "start": "2022-01-01",
    "end": "2022-01-31",
    "regions": ["11", "53"],
    "fuel_stations": 5,
    "fuel_price_rows": 50,
    "seed": 5,
}


@pytest.fixture
def forecast_source(tmp_path: Path) -> Iterator[registry.Source]:
    """The new source's files written outside the repository and put on the search paths."""
    declarations = importlib.import_module(registry.DECLARATIONS_PACKAGE)
    extra = tmp_path / "declarations"
    extra.mkdir()
    (extra / "weather_forecast_icon.py").write_text(textwrap.dedent(DECLARATION), encoding="utf-8")
    code = tmp_path / "code"
    code.mkdir()
    (code / "forecast_source.py").write_text(CLIENT_AND_WRITER, encoding="utf-8")
    declarations.__path__.append(str(extra))
    sys.path.insert(0, str(code))
    registry.load.cache_clear()
    try:
        yield registry.source("weather_forecast_icon")
    finally:
        declarations.__path__.remove(str(extra))
        sys.path.remove(str(code))
        for module in (f"{registry.DECLARATIONS_PACKAGE}.weather_forecast_icon", "forecast_source"):
            sys.modules.pop(module, None)
        registry.load.cache_clear()


def _catalog(env: str | None) -> Any:
    bootstrap_project(KEDRO_PROJECT)
    return KedroSession.create(project_path=KEDRO_PROJECT, env=env).load_context().catalog


def _stored(data_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(data_dir / "energiewatch.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_pipeline_catalogs_and_schedule_pick_the_new_source_up(
    forecast_source: registry.Source, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from data_collection_kedro.pipelines.etl_pipeline import create_pipeline

    node = next(n for n in create_pipeline().nodes if n.name == "ingest_weather_forecast_icon")
    assert node.tags == {"weather", "phase.collection"}
    assert node.inputs == ["source_weather_forecast_icon", "params:etl", "ingested_files"]
    assert node.outputs == [
        "raw_weather_forecast_icon",
        "quarantine_weather_forecast_icon",
        "ingestion_status_weather_forecast_icon",
        "ingested_files_weather_forecast_icon",
    ]
    weather = [s.node_name for s in registry.load().family_sources("weather")]
    assert weather == [
        "ingest_weather_regional",
        "ingest_weather_historique",
        "ingest_weather_forecast_icon",
    ]  # the Airflow weather DAG's tasks, in order

    monkeypatch.chdir(KEDRO_PROJECT)
    base = _catalog(None)
    assert type(base.get("source_weather_forecast_icon").dataset).__name__ == "CsvSourceDataset"
    described = base.get("raw_weather_forecast_icon")._describe()
    assert (described["table"], described["key"]) == (
        "raw_weather_forecast_icon",
        ["region_code", "target_day", "issue_day"],
    )
    live = _catalog("live").get("source_weather_forecast_icon")
    assert type(live.dataset).__name__ == "OpenMeteoForecastDataset"
    assert live.url == "https://api.open-meteo.com/v1/dwd-icon"
    assert live.retry == {"attempts": 5, "initial_s": 1.0, "max_s": 60.0}  # from globals.yml


def test_the_new_source_is_generated_and_ingested_offline(
    forecast_source: registry.Source,
    data_dir: Path,
    run_pipeline: Callable[..., dict[str, Any]],
) -> None:
    sample = data_dir / "01_raw" / "sample"
    manifest = generate(sample, **TINY)
    rows = manifest["files"]["previsions-meteo-icon.csv"]["rows"]
    assert rows == 2 * (31 + 30 + 29)
    # a repeated forecast and an impossible one (issued after its target day)
    with (sample / "previsions-meteo-icon.csv").open("a", encoding="utf-8") as fh:
        fh.write("11;2022-01-05;2022-01-05;1.0;5.0;3.0\n")
        fh.write("53;2022-01-02;2022-01-09;1.0;5.0;3.0\n")

    run_pipeline("etl_pipeline", node_names=["ingest_weather_forecast_icon"])

    assert _stored(data_dir, "SELECT count(*) FROM raw_weather_forecast_icon") == [(rows,)]
    quarantined = _stored(
        data_dir, "SELECT source, field, left(reason, 30) FROM raw_quarantine ORDER BY 2"
    )
    assert quarantined == [
        (
            "weather_forecast_icon",
            "region_code,target_day,issue_day",
            "duplicate key (region_code, ta",
        ),
        ("weather_forecast_icon", "target_day", "target_day before issue_day"),
    ]


def test_the_new_source_is_ingested_from_its_live_client(
    forecast_source: registry.Source,
    data_dir: Path,
    run_pipeline: Callable[..., dict[str, Any]],
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    days = ["2024-01-10", "2024-01-11", "2024-01-12"]
    locations = [
        {
            "latitude": lat,
            "longitude": lon,
            "timezone": "Europe/Paris",
            "daily_units": {"time": "iso8601", "temperature_2m_min": "°C"},
            "daily": {
                "time": days,
                "temperature_2m_min": [1.2, 0.4, -1.0],
                "temperature_2m_max": [7.9, 6.1, 4.4],
                "temperature_2m_mean": [4.1, 3.0, 1.7],
            },
        }
        for lat, lon in ((48.71, 2.5), (48.18, -2.84))
    ]
    httpserver.expect_request("/v1/dwd-icon").respond_with_json(locations)
    monkeypatch.setenv("ENERGIEWATCH_OPEN_METEO_ICON_URL", httpserver.url_for("/v1/dwd-icon"))

    run_pipeline("etl_pipeline", env="live", node_names=["ingest_weather_forecast_icon"])

    stored = _stored(
        data_dir,
        "SELECT region_code, target_day::VARCHAR, issue_day::VARCHAR, tmin_c "
        "FROM raw_weather_forecast_icon ORDER BY 1, 2",
    )
    assert len(stored) == 6
    assert stored[0] == ("11", "2024-01-10", "2024-01-10", 1.2)
    assert stored[-1] == ("53", "2024-01-12", "2024-01-10", -1.0)
    (request, _) = httpserver.log[0]
    assert request.args["daily"] == "temperature_2m_min,temperature_2m_max,temperature_2m_mean"
