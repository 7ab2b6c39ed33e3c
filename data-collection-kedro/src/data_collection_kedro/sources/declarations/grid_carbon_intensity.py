"""RTE eco2mix national ``Taux de CO2``: the French grid's carbon intensity every 15 minutes.

ODRÉ publishes it in ``eco2mix-national-tr`` (real time, the last weeks, updated every 15
minutes) and ``eco2mix-national-cons-def`` (consolidated and definitive history, same fields):
``ENERGIEWATCH_GRID_INTENSITY_DATASET=eco2mix-national-cons-def`` pulls the history. Both
write the same raw table, keyed by the quarter-hour; a consolidated value replaces the
real-time one (``nature`` says which). The intensity is RTE's estimate of the direct CO2
emissions of electricity generated in France (no life-cycle, no imports). The carbon summary
prices every measured run with the quarter-hours it ran in (docs/carbon.md).
"""

from datetime import timedelta

from data_collection_kedro.sources.declarations._shared import ODRE, OPENDATASOFT
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
from data_collection_kedro.sources.rules import AtLeast, Between

GRID = Family(
    name="grid",
    schedule="45 * * * *",  # hourly: eco2mix real time is refreshed every 15 minutes
    timeout=timedelta(minutes=15),
    description="French grid carbon intensity every 15 minutes (RTE eco2mix national).",
)

SOURCE = Source(
    name="grid_carbon_intensity",
    family=GRID,
    description="eco2mix national carbon intensity (g CO2/kWh) per quarter-hour",
    title="Intensité carbone du réseau électrique (RTE eco2mix)",
    publication=Publication(
        publisher="RTE (eco2mix), via ODRÉ",
        frequency="every 15 minutes (real time); consolidated and definitive history in "
        "eco2mix-national-cons-def (assumed monthly and yearly, as the regional data)",
        lag_days=0,
        level="real time (`Données temps réel`) first, then consolidated and definitive values",
        reference="https://odre.opendatasoft.com/explore/dataset/eco2mix-national-tr/ ; "
        "https://www.rte-france.com/eco2mix (the real-time figures are refreshed every quarter "
        "of an hour); the 0-day lag is assumed from that refresh",
    ),
    tables=(
        Table(
            name="raw_grid_carbon_intensity",
            columns=(
                # labels of the CSV export, then the API field names (both are published)
                Column(
                    "timestamp_utc",
                    ("Date - Heure", "date_heure"),
                    type="timestamp_utc",
                    required=True,
                ),  # fmt: skip
                Column("date", ("Date", "date"), type="date"),
                Column("time", ("Heure", "heure")),
                Column("nature", ("Nature", "nature")),
                Column(
                    "consumption_mw",
                    ("Consommation (MW)", "consommation"),
                    type="float",
                    unit="MW",
                ),  # fmt: skip
                # empty on the quarter-hours RTE has not published yet (the day's forecast
                # rows): stored empty, filled by the next pull (upsert)
                Column(
                    "carbon_intensity_g_per_kwh",
                    ("Taux de CO2 (g/kWh)", "taux_co2", "Taux de Co2"),
                    type="float",
                    unit="g/kWh",
                ),
            ),
            key=("timestamp_utc",),
            indexes=(("date",),),
            rules=(
                AtLeast("consumption_mw", 0.0, "negative consumption:"),
                # a coal plant's intensity: no national mix goes above it
                Between("carbon_intensity_g_per_kwh", (0.0, 1000.0), "g/kWh"),
            ),
        ),
    ),
    offline=Offline(
        file="eco2mix-national-*.csv",
        sample_file="eco2mix-national-tr.csv",
        sample_writer="data_collection_kedro.sample_data.grid_intensity:write_eco2mix_national",
    ),
    live=Live(
        dataset=OPENDATASOFT,
        args={
            "base_url": ODRE,
            "dataset_id": Setting("ENERGIEWATCH_GRID_INTENSITY_DATASET", "eco2mix-national-tr"),
            "columns": "labels",
            "required_fields": ["date_heure", "date", "heure", "taux_co2"],
            "date_field": "date",
            "where": "date >= date'{start_date}'",
        },
        watermark="date",
    ),
)
