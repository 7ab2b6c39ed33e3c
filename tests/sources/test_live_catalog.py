"""`--env live` / `--env prod` catalogs: the source names resolve to the live datasets."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from data_collection_kedro.datasets import live_sources
from data_collection_kedro.datasets.declared_source import LazySourceDataset
from tests.support.paths import KEDRO_PROJECT

from .conftest import CONSUMPTION_FIELDS, FakePortal, consumption_records

LIVE_SOURCES = {
    "source_consumption_regional": live_sources.OpendatasoftSourceDataset,
    "source_gas_load_curve": live_sources.OpendatasoftSourceDataset,
    "source_weather_regional": live_sources.OpendatasoftSourceDataset,
    "source_strikes": live_sources.OpendatasoftSourceDataset,
    "source_fuel_prices_history": live_sources.FuelPricesOdsDataset,
    "source_fuel_flux": live_sources.FuelFluxLiveDataset,
    "source_holidays": live_sources.HolidaysLiveDataset,
}


def _catalog(env: str):
    bootstrap_project(KEDRO_PROJECT)
    session = KedroSession.create(project_path=KEDRO_PROJECT, env=env)
    return session.load_context().catalog


@pytest.mark.parametrize("env", ["live", "prod"])
def test_env_catalog_instantiates_live_sources_without_network(
    env: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(KEDRO_PROJECT)
    catalog = _catalog(env)
    for name, cls in LIVE_SOURCES.items():
        dataset = catalog.get(name)
        assert type(dataset) is LazySourceDataset, name  # read when the node asks
        assert type(dataset.dataset) is cls, name
    consumption = catalog.get("source_consumption_regional")
    assert consumption.base_url == "https://odre.opendatasoft.com"
    assert consumption.dataset_id == "consommation-quotidienne-brute-regionale"
    assert consumption.retry == {"attempts": 5, "initial_s": 1.0, "max_s": 60.0}
    backend = consumption.watermark["backend"]
    assert backend == {"live": "duckdb", "prod": "mongodb"}[env]
    if env == "live":
        assert consumption.watermark["path"] == str(data_dir / "energiewatch.duckdb")
    assert catalog.get("source_fuel_flux").url.startswith("https://donnees.roulez-eco.fr/")
    # historique-meteo has no API: the live env keeps the offline CSV dataset
    assert "live_sources" not in type(catalog.get("source_weather_historique").dataset).__module__


def test_live_env_loads_from_an_overridden_portal(
    portal: FakePortal, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kedro run --env live` against a mirror: ENERGIEWATCH_ODRE_URL points at the loopback."""
    portal.add(
        "consommation-quotidienne-brute-regionale", CONSUMPTION_FIELDS, consumption_records(2)
    )
    monkeypatch.setenv("ENERGIEWATCH_ODRE_URL", portal.url)
    monkeypatch.setenv("ENERGIEWATCH_LIVE_START_DATE", "2024-01-02")
    monkeypatch.chdir(KEDRO_PROJECT)
    frame = _catalog("live").load("source_consumption_regional").frame()
    assert len(frame) == 2 * 48
    assert frame.columns[0] == "Date - Heure"
    (first,) = portal.requests("/records")[:1]
    assert first.args["where"] == "date >= date'2024-01-02'"
    assert first.args["order_by"] == "date"
