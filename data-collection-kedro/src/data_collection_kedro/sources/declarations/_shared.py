"""Families (one Airflow DAG and ETL tag each) and portals shared by several sources."""

from __future__ import annotations

from datetime import timedelta

from data_collection_kedro.sources.registry import Column, Family, Publication, Setting
from data_collection_kedro.sources.rules import Between, Param

CONSUMPTION = Family(
    name="consumption",
    schedule="0 6 * * *",  # daily: ODRÉ publishes the previous day in the morning
    timeout=timedelta(hours=1),
    description="Regional gas and electricity consumption and the GRD/ELD gas load curve.",
)
WEATHER = Family(
    name="weather",
    schedule="30 6 * * *",  # daily, after the consumption data
    timeout=timedelta(minutes=30),
    description="Daily regional temperatures and historique-meteo observations.",
)
FUEL = Family(
    name="fuel",
    schedule="15 * * * *",  # hourly: the official flux is refreshed every few minutes
    timeout=timedelta(minutes=40),
    description="Fuel stations, prices and shortages (prix-carburants flux).",
)
STRIKES = Family(
    name="strikes",
    schedule="0 7 * * 1",  # weekly (Monday): the SNCF dataset changes a few times a month
    timeout=timedelta(minutes=15),
    description="SNCF strike movements (mouvements sociaux depuis 2002).",
)
HOLIDAYS = Family(
    name="holidays",
    schedule="@yearly",  # public and school holiday calendars change once a year
    timeout=timedelta(minutes=15),
    description="French public holidays and school holidays (zones A/B/C, Corse).",
)

# Opendatasoft portals (Explore API v2.1)
ODRE = Setting("ENERGIEWATCH_ODRE_URL", "https://odre.opendatasoft.com")
SNCF = Setting("ENERGIEWATCH_SNCF_URL", "https://ressources.data.sncf.com")
ECONOMIE = Setting("ENERGIEWATCH_ECONOMIE_URL", "https://data.economie.gouv.fr")
EDUCATION = Setting("ENERGIEWATCH_EDUCATION_URL", "https://data.education.gouv.fr")
OPENDATASOFT = "data_collection_kedro.datasets.live_sources.OpendatasoftSourceDataset"

# When a day's data is published (docs/live-sources.md, "Publication lags")
_ODRE_CONSUMPTION_LEVELS = (
    "electricity: real time (`Temps réel`) first, consolidated (`Consolidé`) over the following "
    "months, definitive (`Définitif`) the next year; gas: `Meilleur statut`, then `Définitif`"
)
ODRE_DAILY_CONSUMPTION = Publication(
    publisher="RTE (electricity), GRTgaz/NaTran and Teréga (gas), via ODRÉ",
    frequency="daily (assumed: the portal's refresh schedule is not documented where we looked)",
    lag_days=1,
    level=_ODRE_CONSUMPTION_LEVELS,
    reference="https://www.rte-france.com/eco2mix/les-donnees-regionales (real-time values, "
    "consolidated in the following months, definitive the following year); the 1-day lag is "
    "assumed",
)
FUEL_FLUX = Publication(
    publisher="Ministère de l'Économie (prix-carburants)",
    frequency="every 10 minutes (flux instantané)",
    lag_days=0,
    level="the prices the stations declare, as declared",
    reference="https://www.data.gouv.fr/datasets/prix-des-carburants-en-france-flux-instantane-"
    "v2-amelioree ('Le flux de données instantané est mis à jour toutes les 10 minutes')",
)

# The energy columns of ODRÉ's consumption files (regional and national): MW per half-hour
# (gas on the full hour), GRTgaz under its 2025 name NaTran too
_GAS = "Consommation brute gaz (MW PCS 0°C)"
ODRE_ENERGY_COLUMNS = (
    Column("gas_grtgaz_mw", (f"{_GAS} - GRTgaz", f"{_GAS} - NaTran"), type="float", unit="MW"),
    Column("gas_grtgaz_status", ("Statut - GRTgaz", "Statut - NaTran")),
    Column("gas_terega_mw", f"{_GAS} - Teréga", type="float", unit="MW"),
    Column("gas_terega_status", "Statut - Teréga"),
    Column("gas_total_mw", "Consommation brute gaz totale (MW PCS 0°C)", type="float", unit="MW"),
    Column(
        "electricity_rte_mw", "Consommation brute électricité (MW) - RTE", type="float", unit="MW"
    ),
    Column("electricity_rte_status", "Statut - RTE"),
    Column("total_mw", "Consommation brute totale (MW)", type="float", unit="MW"),
)
# a plausible range per MW column (etl.tolerances.consumption_mw: France's national peak of
# gas and electricity together is ~275 GW); a negative value is out of it too
PLAUSIBLE_ENERGY = tuple(
    Between(c.name, Param("consumption_mw"), "MW", "implausible consumption:")
    for c in ODRE_ENERGY_COLUMNS
    if c.unit == "MW"
)
