"""The official instantaneous fuel flux (``PrixCarburants_instantane.zip``, ISO-8859-1 XML):
stations, opening hours, services, current prices and shortages. Its prices go to the same
table as the history (``raw_fuel_prices``), so the fusion reads both."""

from data_collection_kedro.sources.declarations._shared import FUEL, FUEL_FLUX
from data_collection_kedro.sources.declarations.fuel_prices import FUEL_PRICES, KNOWN_FUEL
from data_collection_kedro.sources.registry import Column, Live, Offline, Setting, Source, Table
from data_collection_kedro.sources.rules import Between, DateWindow, Divide, OneOf, Param

_PARSER = "data_collection_kedro.sources.parsers.fuel_flux"

FUEL_STATIONS = Table(
    name="raw_fuel_stations",
    columns=(
        Column("station_id", "id", required=True),
        Column("latitude", "latitude", type="float", unit="degrees"),  # ×100000 in the flux
        Column("longitude", "longitude", type="float", unit="degrees"),
        Column("postcode", "cp"),
        Column("pop", "pop"),
        Column("address", "adresse"),
        Column("city", "ville"),
        Column("opening_hours", "horaires", optional=True),  # JSON
        Column("services", "services", optional=True),  # JSON list
    ),
    key=("station_id",),
    transforms=(Divide("latitude", 100000.0), Divide("longitude", 100000.0)),
    rules=(
        Between("latitude", (-90.0, 90.0), "degrees"),
        Between("longitude", (-180.0, 180.0), "degrees"),
        OneOf("pop", ("R", "A"), "pop must be R (road) or A (motorway)"),
    ),
)
FUEL_SHORTAGES = Table(
    name="raw_fuel_shortages",
    columns=(
        Column("station_id", "id", required=True),
        Column("fuel", "rupture_nom", required=True),
        Column("fuel_id", "rupture_id", type="int"),
        Column("start_at", "rupture_debut", type="timestamp_local", required=True),
        Column("end_at", "rupture_fin", type="timestamp_local"),
        Column("kind", "rupture_type"),
    ),
    key=("station_id", "fuel", "start_at"),
    derive=f"{_PARSER}:shortage_kind",
    rules=(
        KNOWN_FUEL,
        OneOf("kind", ("temporaire", "definitive"), "kind must be temporaire or definitive"),
        DateWindow("start_at", Param("date_windows.fuel_shortages")),
    ),
)

SOURCE = Source(
    name="fuel_flux",
    family=FUEL,
    description="Fuel flux snapshot: stations, current prices and shortages",
    title="Prix des carburants, flux instantané",
    quarantine_label="fuel_prices",
    publication=FUEL_FLUX,
    tables=(FUEL_STATIONS, FUEL_PRICES, FUEL_SHORTAGES),
    # the history (fuel_prices) writes raw_fuel_prices too: two catalog names, one table
    outputs={"raw_fuel_prices": "raw_fuel_prices_snapshot"},
    parser=f"{_PARSER}:parse",
    offline=Offline(
        file="PrixCarburants_instantane.zip",
        dataset="data_collection_kedro.datasets.source_files.FuelFluxDataset",
        sample_writer="data_collection_kedro.sample_data.fuel:write_fuel_snapshot",
    ),
    live=Live(
        dataset="data_collection_kedro.datasets.live_sources.FuelFluxLiveDataset",
        args={
            "url": Setting(
                "ENERGIEWATCH_FUEL_FLUX_URL", "https://donnees.roulez-eco.fr/opendata/instantane"
            )
        },
    ),
)
