"""ODRÉ ``consommation-quotidienne-brute-regionale``: half-hourly gas and electricity per region."""

from data_collection_kedro.sources.declarations._shared import (
    CONSUMPTION,
    ODRE,
    ODRE_DAILY_CONSUMPTION,
    ODRE_ENERGY_COLUMNS,
    OPENDATASOFT,
    PLAUSIBLE_ENERGY,
)
from data_collection_kedro.sources.registry import Column, Live, Offline, Setting, Source, Table
from data_collection_kedro.sources.rules import DateWindow, Param, RegionMatchesCode

SOURCE = Source(
    name="consumption_regional",
    family=CONSUMPTION,
    description="Half-hourly regional consumption",
    title="Consommation régionale gaz et électricité (ODRÉ)",
    publication=ODRE_DAILY_CONSUMPTION,
    tables=(
        Table(
            name="raw_consumption_regional",
            columns=(
                # stored as timestamp_utc (the instant) and datetime_local (the text): derive
                Column("datetime_local", "Date - Heure", type="timestamp_utc", required=True),
                Column("date", "Date", type="date"),
                Column("time", "Heure"),
                Column("region_code", "Code INSEE région", type="region_code", fallback="region"),
                Column("region", "Région"),
                *ODRE_ENERGY_COLUMNS,
            ),
            key=("region_code", "timestamp_utc"),
            indexes=(("date",),),
            rules=(
                *PLAUSIBLE_ENERGY,
                DateWindow("date", Param("date_windows.consumption_regional")),
                RegionMatchesCode("region", "region_code"),
            ),
            precedence=("electricity_rte_status", "gas_grtgaz_status", "gas_terega_status"),
            derive="data_collection_kedro.sources.parsers.consumption_regional:derive",
        ),
    ),
    offline=Offline(
        file="consommation-quotidienne-brute-regionale.csv",
        sample_writer="data_collection_kedro.sample_data.energy_files:write_consumption",
    ),
    live=Live(
        dataset=OPENDATASOFT,
        args={
            "base_url": ODRE,
            "dataset_id": Setting(
                "ENERGIEWATCH_CONSUMPTION_DATASET", "consommation-quotidienne-brute-regionale"
            ),
            "columns": "labels",
            "required_fields": [
                "date_heure",
                "date",
                "heure",
                "code_insee_region",
                "region",
                "consommation_brute_electricite_rte",
            ],
            "date_field": "date",
            "where": "date >= date'{start_date}'",
        },
        watermark="date",
    ),
)
