"""French public holidays (France métropole) and school holidays (zones A/B/C, Corse).

Offline: built from the ``holidays`` and ``vacances-scolaires-france`` packages; live: etalab
``jours-feries`` (JSON) and Éducation nationale's ``fr-en-calendrier-scolaire``. Both yield the
union of the two layouts, one holiday per row."""

from data_collection_kedro.sources.declarations._shared import EDUCATION, HOLIDAYS
from data_collection_kedro.sources.registry import (
    Column,
    Live,
    Offline,
    Publication,
    Setting,
    Source,
    Table,
)
from data_collection_kedro.sources.rules import DateWindow, NotBefore, Param

_PARSER = "data_collection_kedro.sources.parsers.holidays"
FIRST_YEAR = 2012

PUBLIC_HOLIDAYS = Table(
    name="raw_public_holidays",
    columns=(
        Column("date", "date", type="date"),
        Column("zone", "zone", default="Métropole"),
        Column("name", "nom_jour_ferie"),
    ),
    key=("date", "zone", "name"),  # 2008-05-01 was Ascension and Labour Day
    separator=",",
    rules=(DateWindow("date", Param("date_windows.holidays")),),
)
SCHOOL_HOLIDAYS = Table(
    name="raw_school_holidays",
    columns=(
        Column("description", "description"),
        Column("population", "population", optional=True, stored=False),
        Column("start_date", "start_date", type="paris_day", required=True),  # first day off
        Column("end_date", "end_date", type="paris_day", required=True),  # last day off: derive
        Column("location", "location", optional=True, stored=False),
        Column("zone", "zones", required=True),  # "Zone A" → "A"
        Column("school_year", "annee_scolaire"),
    ),
    key=("zone", "description", "start_date"),
    derive=f"{_PARSER}:school_days",
    rules=(
        NotBefore("end_date", "start_date"),
        DateWindow("start_date", Param("date_windows.holidays")),
    ),
)

SOURCE = Source(
    name="holidays",
    family=HOLIDAYS,
    description="Public and school holidays",
    title="Jours fériés et vacances scolaires",
    publication=Publication(
        publisher="etalab (public holidays), Éducation nationale (school calendar)",
        frequency="yearly",
        lag_days=-365,
        level="calendars fixed in advance (public holidays by law, school holidays by order "
        "for the coming school years)",
        reference="https://calendrier.api.gouv.fr/jours-feries/ ; data.education.gouv.fr "
        "fr-en-calendrier-scolaire",
    ),
    tables=(PUBLIC_HOLIDAYS, SCHOOL_HOLIDAYS),
    parser=f"{_PARSER}:parse",
    offline=Offline(
        dataset="data_collection_kedro.datasets.source_files.HolidaysSourceDataset",
        args={"start_year": FIRST_YEAR, "end_year": 2027},
    ),
    live=Live(
        dataset="data_collection_kedro.datasets.live_sources.HolidaysLiveDataset",
        args={
            "public_holidays_url": Setting(
                "ENERGIEWATCH_PUBLIC_HOLIDAYS_URL",
                "https://calendrier.api.gouv.fr/jours-feries/metropole.json",
            ),
            "start_year": FIRST_YEAR,
            "school_calendar": {
                "base_url": EDUCATION,
                "dataset_id": Setting(
                    "ENERGIEWATCH_SCHOOL_CALENDAR_DATASET", "fr-en-calendrier-scolaire"
                ),
                "required_fields": [
                    "description",
                    "start_date",
                    "end_date",
                    "zones",
                    "annee_scolaire",
                ],
                "where": f"end_date >= date'{FIRST_YEAR}-01-01'",
                "order_by": "start_date",
            },
        },
    ),
)
