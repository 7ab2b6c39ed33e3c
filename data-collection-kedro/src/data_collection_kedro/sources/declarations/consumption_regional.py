"""ODRÉ ``consommation-quotidienne-brute-regionale``: half-hourly gas and electricity per region."""

from data_collection_kedro.sources.declarations._shared import (
    CONSUMPTION,
    ODRE,
    ODRE_DAILY_CONSUMPTION,
    OPENDATASOFT,
)
from data_collection_kedro.sources.registry import Column, Live, Offline, Setting, Source, Table
from data_collection_kedro.sources.rules import AtLeast

_GAS = "Consommation brute gaz (MW PCS 0°C)"
_MW = ("gas_grtgaz_mw", "gas_terega_mw", "gas_total_mw", "electricity_rte_mw", "total_mw")

SOURCE = Source(
    name="consumption_regional",
    family=CONSUMPTION,
    description="Half-hourly regional consumption",
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
                Column(
                    "gas_grtgaz_mw",
                    (f"{_GAS} - GRTgaz", f"{_GAS} - NaTran"),
                    type="float",
                    unit="MW",
                ),
                Column("gas_grtgaz_status", ("Statut - GRTgaz", "Statut - NaTran")),
                Column("gas_terega_mw", f"{_GAS} - Teréga", type="float", unit="MW"),
                Column("gas_terega_status", "Statut - Teréga"),
                Column(
                    "gas_total_mw",
                    "Consommation brute gaz totale (MW PCS 0°C)",
                    type="float",
                    unit="MW",
                ),
                Column(
                    "electricity_rte_mw",
                    "Consommation brute électricité (MW) - RTE",
                    type="float",
                    unit="MW",
                ),
                Column("electricity_rte_status", "Statut - RTE"),
                Column("total_mw", "Consommation brute totale (MW)", type="float", unit="MW"),
            ),
            key=("region_code", "timestamp_utc"),
            indexes=(("date",),),
            rules=tuple(AtLeast(c, 0.0, "negative consumption:") for c in _MW),
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
