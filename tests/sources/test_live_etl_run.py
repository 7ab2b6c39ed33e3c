"""`kedro run --pipeline etl_pipeline --env live` against loopback portals, twice.

Every live base URL is overridden by its environment variable to point at the loopback servers
(nothing reaches the internet). The first run is a full pull; the second run is incremental
(``where date >= newest stored day - lookback``) and leaves every raw table unchanged.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pytest_httpserver import HTTPServer

from tests.support.opendatasoft_portal import (
    ECO2MIX_FIELDS,
    FUEL_DATASET,
    FUEL_FIELDS,
    GAS_FIELDS,
    HOURS,
    NATIONAL_FIELDS,
    SCHOOL_DATASET,
    SCHOOL_FIELDS,
    STRIKE_FIELDS,
    WEATHER_FIELDS,
)

from .conftest import CONSUMPTION_FIELDS, FakePortal, consumption_records, eco2mix_records
from .test_consumption_national import national_records
from .test_live_fuel_holidays import FLUX_XML, ODS_STATIONS, SCHOOL_RECORDS
from .test_weather_forecast import FakeOpenMeteo

pytestmark = pytest.mark.slow

DAYS = 5


def gas_records() -> list[dict[str, Any]]:
    out = []
    for d in range(DAYS):
        rec: dict[str, Any] = {
            "date": f"2024-01-{d + 1:02d}",
            "operateur": "GRTgaz",
            "secteur_d_activite": "GRD/ELD",
            "region": "Île-de-France",
            "statut": "Définitif",
        }
        rec |= {f"h{h[:2]}_00": 100.0 + d for h in HOURS}
        rec["consommation_journaliere_mwh_pcs_0degc"] = 24 * (100.0 + d)
        out.append(rec)
    return out


def weather_records() -> list[dict[str, Any]]:
    return [
        {
            "id": f"2024-01-{d + 1:02d}T00:00:00-{code}",
            "date": f"2024-01-{d + 1:02d}",
            "code_insee_region": code,
            "region": name,
            "tmin": 1.5,
            "tmax": 8.25,
            "tmoy": 4.9,
        }
        for d in range(DAYS)
        for code, name in (("11", "Île-de-France"), ("84", "Auvergne-Rhône-Alpes"))
    ]


STRIKES = [
    {
        "date_de_debut": "2023-03-07",
        "date_de_fin": None,
        "motif": "Réforme des retraites",
        "organisations_syndicales": "CGT, SUD-Rail",
        "metiers_cibles": "Tous",
        "population": 150000,
        "nombre_grevistes": 35000,
        "taux_grevistes": 39.1,
    }
]
HISTORIQUE = (
    ",TempMax_Deg,TempMin_Deg,Wind_kmh,Wet_percent,Visibility_km,CloudCoverage_percent,"
    "Dayduration_hour,region,day\n"
    "alsace_2024/01/01,6,1,14,88,9,70,8:17:00,alsace,2024/01/01\n"
)


def _counts(store: Path) -> dict[str, int]:
    with duckdb.connect(str(store), read_only=True) as con:
        tables = [
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        ]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # type: ignore[index]


def test_etl_live_env_full_then_incremental(
    portal: FakePortal,
    httpserver: HTTPServer,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_pipeline: Callable[..., dict[str, Any]],
) -> None:
    portal.add(
        "consommation-quotidienne-brute-regionale", CONSUMPTION_FIELDS, consumption_records(DAYS)
    )
    portal.add("consommation-quotidienne-brute", NATIONAL_FIELDS, national_records(DAYS))
    open_meteo = FakeOpenMeteo(httpserver)
    monkeypatch.setenv("ENERGIEWATCH_OPEN_METEO_URL", open_meteo.urls()["forecast_url"])
    monkeypatch.setenv(
        "ENERGIEWATCH_OPEN_METEO_PREVIOUS_RUNS_URL", open_meteo.urls()["previous_runs_url"]
    )
    portal.add("courbe-de-charge-eldgrd-regional-grtgaz-terega", GAS_FIELDS, gas_records())
    portal.add("temperature-quotidienne-regionale", WEATHER_FIELDS, weather_records())
    portal.add("mouvements-sociaux-depuis-2002", STRIKE_FIELDS, STRIKES)
    portal.add(FUEL_DATASET, FUEL_FIELDS, ODS_STATIONS)
    portal.add(SCHOOL_DATASET, SCHOOL_FIELDS, SCHOOL_RECORDS)
    portal.add("eco2mix-national-tr", ECO2MIX_FIELDS, eco2mix_records(DAYS))
    zip_buffer = io.BytesIO()
    with zipfile.ZipFile(zip_buffer, "w") as archive:
        archive.writestr("PrixCarburants_instantane.xml", FLUX_XML.encode("iso-8859-1"))
    httpserver.expect_request("/opendata/instantane").respond_with_data(zip_buffer.getvalue())
    httpserver.expect_request("/jours-feries/metropole.json").respond_with_json(
        {"2024-01-01": "1er janvier", "2024-05-01": "1er mai"}
    )
    for var in ("ODRE", "SNCF", "ECONOMIE", "EDUCATION"):
        monkeypatch.setenv(f"ENERGIEWATCH_{var}_URL", portal.url)
    monkeypatch.setenv("ENERGIEWATCH_FUEL_FLUX_URL", httpserver.url_for("/opendata/instantane"))
    monkeypatch.setenv(
        "ENERGIEWATCH_PUBLIC_HOLIDAYS_URL", httpserver.url_for("/jours-feries/metropole.json")
    )
    historique = data_dir / "01_raw" / "sample" / "historique-meteo"
    historique.mkdir(parents=True)
    (historique / "oldReg_MeteoFR_2024-01-01_2024-12-31.csv").write_text(
        HISTORIQUE, encoding="utf-8"
    )

    run_pipeline("etl_pipeline", env="live")
    store = data_dir / "energiewatch.duckdb"
    first = _counts(store)
    assert first["raw_consumption_regional"] == DAYS * 2 * 48
    assert first["raw_gas_load_curve"] == DAYS
    assert first["raw_weather_regional"] == DAYS * 2
    assert first["raw_strikes"] == 1
    assert first["raw_fuel_stations"] == 2
    assert first["raw_fuel_prices"] == 2
    assert first["raw_fuel_shortages"] == 1
    assert first["raw_public_holidays"] == 2
    assert first["raw_school_holidays"] == 2
    assert first["raw_weather_historique"] == 1
    assert first["raw_consumption_national"] == DAYS * 48
    assert first["raw_weather_forecast"] > 13 * 4  # today's forecast and the backfill
    assert first["raw_grid_carbon_intensity"] == DAYS * 96
    assert first.get("raw_quarantine", 0) == 0
    where = {
        r.path.split("/")[-2]: r.args.get("where")
        for r in portal.requests("/records")
        if "consommation" in r.path or "temperature" in r.path or "courbe" in r.path
    }
    assert where["consommation-quotidienne-brute-regionale"] == "date >= date'2018-01-01'"

    portal.server.clear_log()
    run_pipeline("etl_pipeline", env="live")
    assert _counts(store) == first  # idempotent
    incremental = {
        r.path.split("/")[-2]: r.args.get("where")
        for r in portal.requests("/records")
        if r.args.get("offset") == "0"
    }
    since = "date >= date'2024-01-03'"  # newest stored day 2024-01-05 minus 2 lookback days
    for dataset in (
        "consommation-quotidienne-brute-regionale",
        "consommation-quotidienne-brute",
        "courbe-de-charge-eldgrd-regional-grtgaz-terega",
        "temperature-quotidienne-regionale",
        "eco2mix-national-tr",
    ):
        assert incremental[dataset] == f"(date >= date'2018-01-01') AND ({since})", dataset
