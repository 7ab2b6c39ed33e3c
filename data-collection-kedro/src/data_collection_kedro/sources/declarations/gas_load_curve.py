"""ODRÉ ``courbe-de-charge-eldgrd-regional-grtgaz-terega``: daily gas load curves (GRD/ELD) per
operator and region, 24 hourly values and the daily total in MWh PCS 0°C."""

from data_collection_kedro.domain.normalization import OPERATOR_SPELLINGS, SECTOR_SPELLINGS
from data_collection_kedro.sources.declarations._shared import CONSUMPTION, ODRE, OPENDATASOFT
from data_collection_kedro.sources.registry import (
    Column,
    Live,
    Offline,
    Publication,
    Setting,
    Source,
    Table,
)
from data_collection_kedro.sources.rules import Between, Canonical, DateWindow, Param, SumMatches

_HOURS = tuple(f"h{h:02d}_mwh" for h in range(24))

SOURCE = Source(
    name="gas_load_curve",
    family=CONSUMPTION,
    description="Daily gas load curves per operator and region",
    title="Courbe de charge gaz GRTgaz / Teréga (ODRÉ)",
    publication=Publication(
        publisher="GRTgaz/NaTran and Teréga, via ODRÉ",
        frequency="monthly: the days of month M - 1 during month M",
        lag_days=45,
        level="definitive metered values (`Définitif`)",
        reference="https://www.data.gouv.fr/datasets/consommation-quotidienne-definitive-"
        "regionalisee-de-gaz-des-distributions-publiques-a-linterface-avec-le-reseau-de-"
        "transport-de-gaz ('rafraîchie chaque mois M avec les données de consommation du mois "
        "M-1'); 45 days assumes a publication by mid-month (the day is not documented)",
    ),
    tables=(
        Table(
            name="raw_gas_load_curve",
            columns=(
                Column("date", "Date", type="date", required=True),
                Column("operator", "Opérateur", required=True),  # canonical: transforms
                Column("sector", "Secteur d'activité", required=True),
                Column("region", "Région", required=True),  # as in the source
                Column("region_code", "Région", type="region_code", required=True),
                *(Column(h, f"{h[1:3]}:00", type="float", unit="MWh") for h in _HOURS),
                Column(
                    "daily_mwh",
                    "Consommation journalière (MWh - PCS 0°C)",
                    type="float",
                    unit="MWh",
                ),
                Column("status", "Statut"),
            ),
            # natural key of normalized values: one row whatever the spelling of the region,
            # operator or sector (auvergne-rhône-alpes / Auvergne-Rhône-Alpes, NaTran / GRTgaz)
            key=("date", "operator", "sector", "region_code"),
            transforms=(
                Canonical("operator", OPERATOR_SPELLINGS),
                Canonical("sector", SECTOR_SPELLINGS),
            ),
            precedence=("status",),
            rules=(
                *(
                    Between(c, Param("consumption_mwh_per_hour"), "MWh", "implausible consumption:")
                    for c in _HOURS
                ),
                Between(
                    "daily_mwh", Param("consumption_mwh_per_day"), "MWh", "implausible consumption:"
                ),
                DateWindow("date", Param("date_windows.gas_load_curve")),
                # a shifted decimal in one hour was seen in the real export (1045440.182 for
                # 1045.440182): the 24 hours must add up to the daily total
                SumMatches(
                    "daily_mwh", _HOURS, Param("gas_daily_sum_rel_tolerance"), "hourly values"
                ),
            ),
        ),
    ),
    offline=Offline(
        file="courbe-de-charge-eldgrd-regional-grtgaz-terega*.csv",
        sample_file="courbe-de-charge-eldgrd-regional-grtgaz-terega.csv",
        sample_writer="data_collection_kedro.sample_data.energy_files:write_load_curve",
    ),
    live=Live(
        dataset=OPENDATASOFT,
        args={
            "base_url": ODRE,
            "dataset_id": Setting(
                "ENERGIEWATCH_GAS_LOAD_CURVE_DATASET",
                "courbe-de-charge-eldgrd-regional-grtgaz-terega",
            ),
            "columns": "labels",
            "required_fields": ["date", "operateur", "region"],
            "date_field": "date",
            "where": "date >= date'{start_date}'",
        },
        watermark="date",
    ),
)
