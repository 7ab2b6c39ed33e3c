"""ODRÉ ``consommation-quotidienne-brute``: national half-hourly electricity (RTE) and hourly gas
(GRTgaz/NaTran + Teréga). ``Date - Heure`` is an instant with its offset (the export gives it in
UTC: ``2025-10-31T22:30:00+00:00``); ``Date`` and ``Heure`` are Paris local time; gas is only
given on the full hour."""

from data_collection_kedro.sources.declarations._shared import (
    CONSUMPTION,
    ODRE,
    ODRE_ENERGY_COLUMNS,
    OPENDATASOFT,
    PLAUSIBLE_ENERGY,
)
from data_collection_kedro.sources.registry import (
    Column,
    Live,
    Offline,
    Publication,
    Setting,
    Source,
    Table,
)

SOURCE = Source(
    name="consumption_national",
    family=CONSUMPTION,
    description="Half-hourly national consumption",
    title="Consommation nationale gaz et électricité (ODRÉ)",
    order=1,  # after the regional consumption in the consumption DAG
    publication=Publication(
        publisher="RTE (electricity), GRTgaz/NaTran and Teréga (gas), via ODRÉ",
        frequency="daily (assumed, as the regional file)",
        lag_days=1,
        level="as consumption_regional; the 1-day lag is the electricity's (assumed): the gas "
        "may come weeks later (a third-party client of the dataset reports about six weeks; "
        "unverified)",
        reference="https://www.rte-france.com/eco2mix/les-donnees-regionales; "
        "https://odre.opendatasoft.com/explore/dataset/consommation-quotidienne-brute/",
    ),
    tables=(
        Table(
            name="raw_consumption_national",
            columns=(
                Column("timestamp_utc", "Date - Heure", type="timestamp_utc", required=True),
                Column("date", "Date", type="date"),  # Paris local day
                Column("time", "Heure"),  # Paris local time
                *ODRE_ENERGY_COLUMNS,  # the export names the GRTgaz columns NaTran
                # "non" on every row of the 2012-2025 export; other values are left out of the
                # daily sums (fusion) and listed in fusion_data_quality
                Column("flag_ignore", "flag_ignore", optional=True),
            ),
            key=("timestamp_utc",),
            rules=PLAUSIBLE_ENERGY,
            # Date/Heure must be the Paris local time of the instant (the export's filler rows
            # for the spring-forward night's missing hour repeat the next hour's instant)
            derive="data_collection_kedro.sources.parsers.consumption_national:derive",
        ),
    ),
    offline=Offline(
        file="consommation-quotidienne-brute.csv",
        sample_writer="data_collection_kedro.sample_data.consumption_national:write",
    ),
    live=Live(
        dataset=OPENDATASOFT,
        args={
            "base_url": ODRE,
            "dataset_id": Setting(
                "ENERGIEWATCH_NATIONAL_CONSUMPTION_DATASET", "consommation-quotidienne-brute"
            ),
            "columns": "labels",
            # the gas field names (grtgaz / natran) are not required: GRTgaz became NaTran in
            # 2025 and the export's labels changed with it
            "required_fields": [
                "date_heure",
                "date",
                "heure",
                "consommation_brute_gaz_totale",
                "consommation_brute_electricite_rte",
            ],
            "date_field": "date",
            "where": "date >= date'{start_date}'",
        },
        watermark="date",
    ),
)
