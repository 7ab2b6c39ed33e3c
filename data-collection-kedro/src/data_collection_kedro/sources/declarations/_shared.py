"""Families (one Airflow DAG and ETL tag each) and portals shared by several sources."""

from __future__ import annotations

from datetime import timedelta

from data_collection_kedro.sources.registry import Family, Setting

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
