"""historique-meteo daily observations per (old or new) region. The site has no API (it is
scraped): the live environments read the CSV files too (put fresh downloads in the folder)."""

from data_collection_kedro.domain.regions import historique_region_spellings
from data_collection_kedro.sources.declarations._shared import WEATHER
from data_collection_kedro.sources.registry import Column, Offline, Publication, Source, Table
from data_collection_kedro.sources.rules import Between, Canonical, DateWindow, Param

_PARSER = "data_collection_kedro.sources.parsers.weather_historique"

SOURCE = Source(
    name="weather_historique",
    family=WEATHER,
    description="historique-meteo daily weather",
    title="Météo historique (historique-meteo)",
    order=1,  # after weather_regional in the weather DAG
    publication=Publication(
        publisher="historique-meteo.net (scraped, no API)",
        frequency="none: files downloaded by hand",
        lag_days=None,
        level="observed daily values",
        reference="no publication schedule (a scraped site); the real files end 2021-01-31",
    ),
    tables=(
        Table(
            name="raw_weather_historique",
            columns=(
                Column("day", "day", type="date", required=True),
                # an old-region slug or a region name, stored as its canonical slug
                Column("region", "region", type="region", required=True),
                Column("temp_max_c", "TempMax_Deg", type="float", unit="°C"),
                Column("temp_min_c", "TempMin_Deg", type="float", unit="°C"),
                Column("wind_kmh", "Wind_kmh", type="float", unit="km/h"),
                Column("humidity_pct", "Wet_percent", type="float", unit="%"),
                Column("visibility_km", "Visibility_km", type="float", unit="km"),
                Column("cloud_cover_pct", "CloudCoverage_percent", type="float", unit="%"),
                # one of the two day lengths, into day_duration_h (derive)
                Column("day_duration_hms", "Dayduration_hour", optional=True, stored=False),
                Column("day_duration_min", "Dayduration_Min", optional=True, stored=False),
            ),
            key=("region", "day"),
            separator=",",
            transforms=(Canonical("region", historique_region_spellings()),),
            rules=(
                Between("temp_max_c", Param("temperature_c"), "°C"),
                Between("temp_min_c", Param("temperature_c"), "°C"),
                Between("humidity_pct", Param("percent"), "%"),
                Between("cloud_cover_pct", Param("percent"), "%"),
                Between("wind_kmh", Param("wind_kmh"), "km/h"),
                Between("visibility_km", Param("visibility_km"), "km"),
                DateWindow("day", Param("date_windows.weather_historique")),
            ),
            prepare=f"{_PARSER}:prepare",
            derive=f"{_PARSER}:derive",
        ),
    ),
    offline=Offline(
        file="historique-meteo/*MeteoFR_*.csv",
        sample_file="historique-meteo/oldReg_MeteoFR_{first}_{last}.csv",
        sample_writer="data_collection_kedro.sample_data.weather_files:write_historique",
    ),
)
