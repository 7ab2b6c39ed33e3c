"""Météo-France/ODRÉ ``temperature-quotidienne-regionale``: daily min/max/mean per region."""

from data_collection_kedro.sources.declarations._shared import ODRE, OPENDATASOFT, WEATHER
from data_collection_kedro.sources.registry import (
    Column,
    Live,
    Offline,
    Publication,
    Setting,
    Source,
    Table,
)
from data_collection_kedro.sources.rules import Between, DateWindow, Param, RegionMatchesCode

_TEMPERATURES = ("tmin_c", "tmax_c", "tmean_c")

SOURCE = Source(
    name="weather_regional",
    family=WEATHER,
    description="Daily temperatures",
    title="Températures régionales (ODRÉ)",
    publication=Publication(
        publisher="Météo-France, via ODRÉ",
        frequency="not documented where we looked",
        lag_days=None,
        level="observed daily values",
        reference="none found; the real download (2016-2025) misses month-ends in 2021-2025",
    ),
    tables=(
        Table(
            name="raw_weather_regional",
            columns=(
                Column("id", "ID", optional=True, stored=False),  # the day when Date is empty
                Column("date", "Date", type="date", required=True),
                Column("region_code", "Code INSEE région", type="region_code", fallback="region"),
                Column("region", "Région"),
                Column("tmin_c", "TMin (°C)", type="float", unit="°C"),
                Column("tmax_c", "TMax (°C)", type="float", unit="°C"),
                Column("tmean_c", "TMoy (°C)", type="float", unit="°C"),
            ),
            key=("date", "region_code"),
            rules=(
                *(Between(c, Param("temperature_c"), "°C") for c in _TEMPERATURES),
                DateWindow("date", Param("date_windows.weather_regional")),
                RegionMatchesCode("region", "region_code"),
            ),
            prepare="data_collection_kedro.sources.parsers.weather_regional:prepare",
        ),
    ),
    offline=Offline(
        file="temperature-quotidienne-regionale.csv",
        sample_writer="data_collection_kedro.sample_data.weather_files:write_temperatures",
    ),
    live=Live(
        dataset=OPENDATASOFT,
        args={
            "base_url": ODRE,
            "dataset_id": Setting(
                "ENERGIEWATCH_WEATHER_DATASET", "temperature-quotidienne-regionale"
            ),
            "columns": "labels",
            "required_fields": ["date", "code_insee_region", "region", "tmin", "tmax", "tmoy"],
            "date_field": "date",
            "where": "date >= date'{start_date}'",
        },
        watermark="date",
    ),
)
