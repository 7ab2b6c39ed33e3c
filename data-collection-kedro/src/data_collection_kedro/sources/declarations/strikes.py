"""SNCF ``mouvements-sociaux-depuis-2002``: strike movements (~500 rows, always a full pull)."""

from data_collection_kedro.sources.declarations._shared import OPENDATASOFT, SNCF, STRIKES
from data_collection_kedro.sources.registry import (
    Column,
    Live,
    Offline,
    Publication,
    Setting,
    Source,
    Table,
)
from data_collection_kedro.sources.rules import Between, DateWindow, NotBefore, Param

SOURCE = Source(
    name="strikes",
    family=STRIKES,
    description="SNCF strikes",
    title="Mouvements sociaux SNCF",
    publication=Publication(
        publisher="SNCF",
        frequency="irregular (a few updates a month)",
        lag_days=None,
        level="movements as recorded by SNCF",
        reference="no schedule documented where we looked",
    ),
    tables=(
        Table(
            name="raw_strikes",
            columns=(
                Column("start_date", "date_de_debut", type="date", required=True),
                Column("end_date", "date_de_fin", type="date"),  # empty: one day
                Column("reason", "motif"),
                Column("unions", "organisations_syndicales"),
                Column("target_jobs", "metiers_cibles", optional=True),
                Column("population", "population", type="float", optional=True),
                Column("strikers", "nombre_grevistes", type="float", optional=True),
                Column("strike_rate_pct", "taux_grevistes", type="float", optional=True, unit="%"),
            ),
            key=("strike_id",),  # sha1 of date_de_debut|motif|organisations_syndicales: derive
            rules=(
                Between("population", Param("headcount"), "people"),
                Between("strikers", Param("headcount"), "people"),
                DateWindow("start_date", Param("date_windows.strikes")),
                Between("strike_rate_pct", Param("percent"), "%"),
                NotBefore("end_date", "start_date"),
            ),
            derive="data_collection_kedro.sources.parsers.strikes:derive",
        ),
    ),
    offline=Offline(
        file="mouvements-sociaux-depuis-2002.csv",
        sample_writer="data_collection_kedro.sample_data.strikes:write_strikes",
    ),
    live=Live(
        dataset=OPENDATASOFT,
        args={
            "base_url": SNCF,
            "dataset_id": Setting("ENERGIEWATCH_STRIKES_DATASET", "mouvements-sociaux-depuis-2002"),
            "columns": "names",
            "required_fields": [
                "date_de_debut",
                "date_de_fin",
                "motif",
                "organisations_syndicales",
            ],
            "order_by": "date_de_debut",
        },
    ),
)
