"""Fuel prices per station and fuel (prix-carburants): the flat history export offline, the
current prices of every station (data.economie's Opendatasoft copy of the flux) live; each live
run adds the prices updated since the previous one, so the history builds up. Station details
and shortages come from the flux (``fuel_flux``), which writes the same price table."""

from data_collection_kedro.sources.declarations._shared import ECONOMIE, FUEL, FUEL_FLUX
from data_collection_kedro.sources.registry import Column, Live, Offline, Setting, Source, Table
from data_collection_kedro.sources.rules import Between, DateWindow, Divide, OneOf, Param

KNOWN_FUEL = OneOf("fuel", Param("fuels"), "unknown fuel (expected one of {values})")
FUEL_PRICES = Table(
    name="raw_fuel_prices",
    columns=(
        Column("station_id", "id", required=True),
        Column("fuel", "prix_nom", required=True),
        Column("fuel_id", "prix_id", type="int"),
        Column("updated_at", "prix_maj", type="timestamp_local", required=True),
        Column("price_eur_l", "prix_valeur", type="float", required=True, unit="€/L"),
    ),
    key=("station_id", "fuel", "updated_at"),
    # older flux exports give prices in thousandths of a euro (1825 = 1.825 €/L)
    transforms=(Divide("price_eur_l", 1000, above=Param("price_thousandths_above")),),
    rules=(
        KNOWN_FUEL,
        Between("price_eur_l", Param("price_eur_l"), "€/L"),
        DateWindow("updated_at", Param("date_windows.fuel_prices")),
    ),
)

SOURCE = Source(
    name="fuel_prices",
    dataset="fuel_prices_history",
    family=FUEL,
    description="Flat fuel-price history (station details come from the flux)",
    title="Prix des carburants, historique",
    order=1,  # after the flux in the fuel DAG
    publication=FUEL_FLUX,
    tables=(FUEL_PRICES,),
    offline=Offline(
        file="prix-carburants-historique.csv",
        sample_writer="data_collection_kedro.sample_data.fuel:write_fuel_history",
    ),
    live=Live(
        dataset="data_collection_kedro.datasets.live_sources.FuelPricesOdsDataset",
        args={
            "base_url": ECONOMIE,
            "dataset_id": Setting(
                "ENERGIEWATCH_FUEL_DATASET", "prix-des-carburants-en-france-flux-instantane-v2"
            ),
            "required_fields": ["id", "latitude", "longitude", "cp", "adresse", "ville"],
            "order_by": "id",
            "rows": "prices",
        },
    ),
)
