"""Open-Meteo temperature forecasts of Météo-France's models (ARPEGE + AROME, ``/v1/meteofrance``)
per region: daily Tmin/Tmax/Tmean at representative points (the main cities of each region),
weighted by population into regional values, one row per (region, target day, issue day).

Live: the current forecast (issue day = today, leads 0..3: the models run 4 days) and, to
backfill missed days and the archive since January 2024, the previous-runs API
(``temperature_2m_previous_dayN``: what the model forecast N days before). Offline: the sample
generator's simulated forecasts (observed sample weather + an error growing with the lead).
"""

from datetime import timedelta

from data_collection_kedro.sources.registry import (
    Column,
    Family,
    Live,
    Offline,
    Publication,
    Setting,
    Source,
    Table,
)
from data_collection_kedro.sources.rules import AtLeast, Between, DateWindow, NotBefore, Param

WEATHER_FORECAST = Family(
    name="weather_forecast",
    # UTC: ARPEGE runs at 00, 06, 12 and 18 UTC; pull after the 00Z and the 06Z runs
    schedule="30 4,10 * * *",
    timeout=timedelta(minutes=30),
    description="Daily regional temperature forecasts (Open-Meteo, Météo-France models).",
)

# Representative points per region: (city, latitude, longitude, weight = municipal population,
# INSEE 2021, rounded to the thousand). The regional value is the weighted mean over the points
# that have a forecast.
POINTS: dict[str, tuple[tuple[str, float, float, int], ...]] = {
    "11": (
        ("Paris", 48.8566, 2.3522, 2_133_000),
        ("Boulogne-Billancourt", 48.8397, 2.2399, 121_000),
        ("Saint-Denis", 48.9362, 2.3574, 113_000),
        ("Versailles", 48.8049, 2.1204, 84_000),
    ),
    "24": (
        ("Tours", 47.3941, 0.6848, 137_000),
        ("Orléans", 47.9030, 1.9093, 117_000),
        ("Bourges", 47.0810, 2.3988, 64_000),
        ("Blois", 47.5861, 1.3359, 46_000),
    ),
    "27": (
        ("Dijon", 47.3220, 5.0415, 159_000),
        ("Besançon", 47.2378, 6.0241, 119_000),
        ("Belfort", 47.6397, 6.8638, 46_000),
        ("Chalon-sur-Saône", 46.7806, 4.8539, 45_000),
    ),
    "28": (
        ("Le Havre", 49.4944, 0.1079, 166_000),
        ("Rouen", 49.4432, 1.0999, 114_000),
        ("Caen", 49.1829, -0.3707, 108_000),
    ),
    "32": (
        ("Lille", 50.6292, 3.0573, 236_000),
        ("Amiens", 49.8941, 2.2958, 134_000),
        ("Dunkerque", 51.0344, 2.3768, 87_000),
        ("Saint-Quentin", 49.8465, 3.2876, 53_000),
    ),
    "44": (
        ("Strasbourg", 48.5734, 7.7521, 291_000),
        ("Reims", 49.2583, 4.0317, 180_000),
        ("Metz", 49.1193, 6.1757, 120_000),
        ("Mulhouse", 47.7508, 7.3359, 106_000),
    ),
    "52": (
        ("Nantes", 47.2184, -1.5536, 320_000),
        ("Angers", 47.4784, -0.5632, 157_000),
        ("Le Mans", 48.0061, 0.1996, 145_000),
    ),
    "53": (
        ("Rennes", 48.1173, -1.6778, 225_000),
        ("Brest", 48.3904, -4.4861, 139_000),
        ("Quimper", 47.9960, -4.1024, 63_000),
        ("Saint-Brieuc", 48.5136, -2.7603, 44_000),
    ),
    "75": (
        ("Bordeaux", 44.8378, -0.5792, 261_000),
        ("Limoges", 45.8336, 1.2611, 130_000),
        ("Poitiers", 46.5802, 0.3404, 89_000),
        ("Pau", 43.2951, -0.3708, 76_000),
    ),
    "76": (
        ("Toulouse", 43.6047, 1.4442, 504_000),
        ("Montpellier", 43.6108, 3.8767, 302_000),
        ("Nîmes", 43.8367, 4.3601, 149_000),
        ("Perpignan", 42.6887, 2.8948, 120_000),
    ),
    "84": (
        ("Lyon", 45.7640, 4.8357, 522_000),
        ("Saint-Étienne", 45.4397, 4.3872, 173_000),
        ("Grenoble", 45.1885, 5.7245, 158_000),
        ("Clermont-Ferrand", 45.7772, 3.0870, 147_000),
    ),
    "93": (
        ("Marseille", 43.2965, 5.3698, 873_000),
        ("Nice", 43.7102, 7.2620, 343_000),
        ("Toulon", 43.1242, 5.9280, 180_000),
        ("Avignon", 43.9493, 4.8055, 91_000),
    ),
    "94": (
        ("Ajaccio", 41.9192, 8.7386, 72_000),
        ("Bastia", 42.6973, 9.4509, 48_000),
    ),
}
_TEMPERATURES = ("tmin_c", "tmax_c", "tmean_c")
_PARSER = "data_collection_kedro.sources.parsers.weather_forecast"

SOURCE = Source(
    name="weather_forecast",
    family=WEATHER_FORECAST,
    description="Daily regional temperature forecasts",
    title="Prévisions météo régionales",
    publication=Publication(
        publisher="Open-Meteo (Météo-France ARPEGE and AROME models)",
        frequency="ARPEGE every 6 h, AROME every 3 h; pulled at 04:30 and 10:30 UTC",
        lag_days=0,
        level="forecasts issued that day (leads 0-3 from the current run); the previous runs "
        "(leads 1-7 as archived, from January 2024) backfill missed days",
        reference="https://open-meteo.com/en/docs/meteofrance-api, "
        "https://open-meteo.com/en/docs/previous-runs-api",
    ),
    tables=(
        Table(
            name="raw_weather_forecast",
            columns=(
                Column("region_code", "code_insee_region", type="region_code", required=True),
                Column("issue_day", "date_emission", type="date", required=True),
                Column("target_day", "date_cible", type="date", required=True),
                Column("tmin_c", "temperature_2m_min", type="float", unit="°C"),
                Column("tmax_c", "temperature_2m_max", type="float", unit="°C"),
                Column("tmean_c", "temperature_2m_mean", type="float", required=True, unit="°C"),
                Column("point_count", "nombre_points", type="int", required=True),
                Column("provider", "fournisseur"),
                Column("model", "modele"),
            ),
            key=("region_code", "target_day", "issue_day"),
            rules=(
                *(Between(c, Param("temperature_c"), "°C") for c in _TEMPERATURES),
                NotBefore("target_day", "issue_day"),
                DateWindow("target_day", Param("date_windows.weather_forecast")),
                AtLeast("point_count", 1, "no forecast at any of the region's points:"),
            ),
            derive=f"{_PARSER}:lead_days",  # lead_days = target_day - issue_day
        ),
    ),
    offline=Offline(
        file="previsions-meteo-regionales.csv",
        sample_writer="data_collection_kedro.sample_data.weather_forecast:write_forecasts",
    ),
    live=Live(
        dataset=f"{_PARSER}:OpenMeteoForecastDataset",
        args={
            "forecast_url": Setting(
                "ENERGIEWATCH_OPEN_METEO_URL", "https://api.open-meteo.com/v1/meteofrance"
            ),
            "previous_runs_url": Setting(
                "ENERGIEWATCH_OPEN_METEO_PREVIOUS_RUNS_URL",
                "https://previous-runs-api.open-meteo.com/v1/forecast",
            ),
            "points": POINTS,
            "model": "meteofrance_seamless",
            "forecast_days": 4,  # /v1/meteofrance: 0..4 days
            "backfill_leads": 7,  # temperature_2m_previous_day1..7
            "backfill_start": "{start_date}",  # not before archive_start
            "archive_start": "2024-01-01",  # previous runs are archived from January 2024
            "points_per_request": 10,
            "days_per_request": 31,
        },
        watermark="issue_day",
    ),
)
