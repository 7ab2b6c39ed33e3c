"""Live fuel and holiday datasets against loopback servers: the offline frames' layout."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DatasetError
from pytest_httpserver import HTTPServer

from data_collection_kedro.datasets.live_sources import (
    FuelFluxLiveDataset,
    FuelPricesOdsDataset,
    HolidaysLiveDataset,
)
from data_collection_kedro.datasets.source_files import FuelFluxDataset, HolidaysSourceDataset
from data_collection_kedro.sources.http import SourceFormatError
from tests.support.opendatasoft_portal import (
    FUEL_DATASET,
    FUEL_FIELDS,
    SCHOOL_DATASET,
    SCHOOL_FIELDS,
)

from .conftest import Failure, FakePortal

FLUX_XML = """<?xml version="1.0" encoding="ISO-8859-1" standalone="yes"?>
<pdv_liste>
  <pdv id="59550001" latitude="5012400" longitude="368900" cp="59550" pop="R">
    <adresse>Boulevard des Résistants</adresse>
    <ville>LANDRECIES</ville>
    <horaires automate-24-24="1">
      <jour id="1" nom="Lundi" ferme=""><horaire ouverture="08.00" fermeture="20.30"/></jour>
      <jour id="7" nom="Dimanche" ferme="1"/>
    </horaires>
    <services><service>Station de gonflage</service><service>Lavage automatique</service></services>
    <prix nom="Gazole" id="1" maj="2023-11-23 07:36:48" valeur="1.785"/>
    <prix nom="SP98" id="6" maj="2023-11-22 18:01:02" valeur="1.912"/>
    <rupture id="2" nom="SP95" debut="2023-11-20 10:00:00" fin="" type="temporaire"/>
  </pdv>
  <pdv id="1000001" latitude="4620100" longitude="519800" cp="01000" pop="A">
    <adresse>Aire de l'A40</adresse>
    <ville>Saint-Denis-lès-Bourg</ville>
  </pdv>
</pdv_liste>
"""

# The same two stations as the ODS v2 dataset publishes them (nested objects as JSON text).
ODS_STATIONS = [
    {
        "id": 59550001,
        "latitude": "5012400",
        "longitude": 368900,
        "cp": "59550",
        "pop": "R",
        "adresse": "Boulevard des Résistants",
        "ville": "LANDRECIES",
        "horaires": json.dumps(
            {
                "@automate-24-24": "1",
                "jour": [
                    {
                        "@id": "1",
                        "@nom": "Lundi",
                        "@ferme": "",
                        "horaire": {"@ouverture": "08.00", "@fermeture": "20.30"},
                    },
                    {"@id": "7", "@nom": "Dimanche", "@ferme": "1"},
                ],
            }
        ),
        "services": json.dumps({"service": ["Station de gonflage", "Lavage automatique"]}),
        "prix": json.dumps(
            [
                {"@nom": "Gazole", "@id": "1", "@maj": "2023-11-23 07:36:48", "@valeur": "1.785"},
                {"@nom": "SP98", "@id": "6", "@maj": "2023-11-22 18:01:02", "@valeur": "1.912"},
            ]
        ),
        "rupture": json.dumps(
            {
                "@id": "2",
                "@nom": "SP95",
                "@debut": "2023-11-20 10:00:00",
                "@fin": "",
                "@type": "temporaire",
            }
        ),
        "geom": {"lon": 3.689, "lat": 50.124},
        "gazole_prix": 1.785,
        "gazole_maj": "2023-11-23 07:36:48",
    },
    {
        "id": 1000001,
        "latitude": 46.201,  # decimal degrees: mapped back to flux units
        "longitude": "519800",
        "cp": 1000,  # a number: the leading zero comes back
        "pop": "A",
        "adresse": "Aire de l'A40",
        "ville": "Saint-Denis-lès-Bourg",
        "horaires": None,
        "services": None,
        "prix": None,
        "rupture": None,
        "geom": None,
    },
]


def flux_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("PrixCarburants_instantane.xml", FLUX_XML.encode("iso-8859-1"))
    return buf.getvalue()


@pytest.fixture
def offline_flux(tmp_path: Path) -> pd.DataFrame:
    path = tmp_path / "PrixCarburants_instantane.zip"
    path.write_bytes(flux_zip())
    return FuelFluxDataset(str(path)).load()


def _without_bookkeeping(frame: pd.DataFrame) -> pd.DataFrame:
    """Compare values only; empty attributes (``fin=""``) count as missing, as in the contract."""
    out = frame.drop(columns=["_source_file", "_source_line"])
    out = out.mask(out == "")
    return out.sort_values(list(out.columns[:11])).reset_index(drop=True)


def test_fuel_ods_dataset_matches_the_official_flux(
    portal: FakePortal, fast_retry: dict, offline_flux: pd.DataFrame
) -> None:
    portal.add(FUEL_DATASET, FUEL_FIELDS, ODS_STATIONS)
    live = FuelPricesOdsDataset(
        base_url=portal.url,
        dataset_id=FUEL_DATASET,
        required_fields=["id", "latitude", "longitude", "cp", "adresse", "ville"],
        retry=fast_retry,
    ).load()
    assert list(live.columns) == list(offline_flux.columns)
    assert len(live) == 4  # 2 prices + 1 shortage + 1 station without either
    pd.testing.assert_frame_equal(_without_bookkeeping(live), _without_bookkeeping(offline_flux))
    assert live["_source_line"].tolist() == [0, 0, 0, 1]
    assert FUEL_DATASET in live["_source_file"].iloc[0]


def test_fuel_ods_dataset_per_fuel_fields_and_export_path(
    portal: FakePortal, fast_retry: dict
) -> None:
    station = {k: v for k, v in ODS_STATIONS[0].items() if k not in {"prix", "rupture"}}
    portal.add(FUEL_DATASET, FUEL_FIELDS, [station])
    live = FuelPricesOdsDataset(
        base_url=portal.url, dataset_id=FUEL_DATASET, mode="export", retry=fast_retry
    ).load()
    assert portal.requests("/exports/json")
    assert live[["prix_nom", "prix_id", "prix_valeur"]].values.tolist() == [
        ["Gazole", "1", "1.785"]
    ]


def test_fuel_flux_live_download(
    httpserver: HTTPServer, fast_retry: dict, offline_flux: pd.DataFrame
) -> None:
    httpserver.expect_ordered_request("/opendata/instantane").respond_with_data("", status=503)
    httpserver.expect_ordered_request("/opendata/instantane").respond_with_data(
        flux_zip(), content_type="application/zip"
    )
    url = httpserver.url_for("/opendata/instantane")
    live = FuelFluxLiveDataset(url=url, retry=fast_retry).load()
    assert list(live.columns) == list(offline_flux.columns)
    pd.testing.assert_frame_equal(
        live.drop(columns="_source_file"), offline_flux.drop(columns="_source_file")
    )
    assert live["_source_file"].iloc[0] == url


def test_fuel_flux_live_rejects_a_non_flux_body(httpserver: HTTPServer, fast_retry: dict) -> None:
    httpserver.expect_request("/opendata/instantane").respond_with_data("<html>maintenance</html>")
    with pytest.raises(DatasetError, match="not a fuel flux zip/XML") as err:
        FuelFluxLiveDataset(url=httpserver.url_for("/opendata/instantane"), retry=fast_retry).load()
    assert isinstance(err.value.__cause__, SourceFormatError)


SCHOOL_RECORDS = [
    {
        "description": "Vacances de la Toussaint",
        "population": "-",
        "start_date": "2023-10-21T00:00:00+02:00",
        "end_date": "2023-11-06T00:00:00+01:00",
        "location": "Lyon",
        "zones": "Zone A",
        "annee_scolaire": "2023-2024",
    },
    {
        "description": "Vacances de Noël",
        "population": "-",
        "start_date": "2023-12-23T00:00:00+01:00",
        "end_date": "2024-01-08T00:00:00+01:00",
        "location": "Paris",
        "zones": "Zone C",
        "annee_scolaire": "2023-2024",
    },
]


def holidays_dataset(
    portal: FakePortal, server: HTTPServer, fast_retry: dict
) -> HolidaysLiveDataset:
    return HolidaysLiveDataset(
        public_holidays_url=server.url_for("/jours-feries/metropole.json"),
        school_calendar={
            "base_url": portal.url,
            "dataset_id": SCHOOL_DATASET,
            "required_fields": ["description", "start_date", "end_date", "zones"],
        },
        start_year=2023,
        retry=fast_retry,
    )


def test_holidays_live_has_the_offline_layout(
    portal: FakePortal, httpserver: HTTPServer, fast_retry: dict
) -> None:
    httpserver.expect_request("/jours-feries/metropole.json").respond_with_json(
        {"2022-12-25": "Jour de Noël", "2023-01-01": "1er janvier", "2023-07-14": "14 juillet"}
    )
    portal.add(SCHOOL_DATASET, SCHOOL_FIELDS, SCHOOL_RECORDS)
    live = holidays_dataset(portal, httpserver, fast_retry).load()
    offline = HolidaysSourceDataset(2023, 2023).load()
    assert list(live.columns) == list(offline.columns)
    assert len(live) == 2 + 2  # 2022 filtered out by start_year
    public = live[live["date"].notna()]
    assert public[["date", "annee", "zone", "nom_jour_ferie"]].values.tolist() == [
        ["2023-01-01", "2023", "Métropole", "1er janvier"],
        ["2023-07-14", "2023", "Métropole", "14 juillet"],
    ]
    school = live[live["description"].notna()]
    assert school["zones"].tolist() == ["Zone A", "Zone C"]
    assert school["start_date"].iloc[0] == "2023-10-21T00:00:00+02:00"
    for column in offline.columns[:-2]:
        assert pd.api.types.is_string_dtype(live[column]), column


def test_holidays_live_invalid_json(
    portal: FakePortal, httpserver: HTTPServer, fast_retry: dict
) -> None:
    httpserver.expect_request("/jours-feries/metropole.json").respond_with_data(
        '{"2023-01-01": "1er jan', content_type="application/json"
    )
    with pytest.raises(DatasetError, match="invalid JSON"):
        holidays_dataset(portal, httpserver, fast_retry).load()


def test_holidays_live_school_calendar_retries(
    portal: FakePortal, httpserver: HTTPServer, fast_retry: dict
) -> None:
    httpserver.expect_request("/jours-feries/metropole.json").respond_with_json(
        {"2023-01-01": "1er janvier"}
    )
    portal.add(SCHOOL_DATASET, SCHOOL_FIELDS, SCHOOL_RECORDS)
    portal.fail_next(Failure(429, {"Retry-After": "0"}))
    live = holidays_dataset(portal, httpserver, fast_retry).load()
    assert live["description"].notna().sum() == 2


def test_fuel_ods_dataset_price_rows_only(portal: FakePortal, fast_retry: dict) -> None:
    portal.add(FUEL_DATASET, FUEL_FIELDS, ODS_STATIONS)
    live = FuelPricesOdsDataset(
        base_url=portal.url, dataset_id=FUEL_DATASET, rows="prices", retry=fast_retry
    ).load()
    assert live["prix_nom"].tolist() == ["Gazole", "SP98"]
    assert live["rupture_nom"].isna().all()


def test_live_frames_go_through_the_etl_parsers_without_quarantine(
    portal: FakePortal, httpserver: HTTPServer, fast_retry: dict
) -> None:
    """The point of the shared frame shape: the ETL's parse nodes accept the live frames."""
    from data_collection_kedro.validation import parse_source

    portal.add(FUEL_DATASET, FUEL_FIELDS, ODS_STATIONS)
    fuel = FuelPricesOdsDataset(base_url=portal.url, dataset_id=FUEL_DATASET, retry=fast_retry)
    stations, prices, shortages, quarantine = parse_source("fuel_flux", fuel.load())
    assert quarantine.empty, quarantine.to_dict("records")
    assert sorted(stations["station_id"]) == ["1000001", "59550001"]
    assert sorted(prices["fuel"]) == ["Gazole", "SP98"]
    assert shortages["fuel"].tolist() == ["SP95"]
    assert stations.set_index("station_id").loc["1000001", "latitude"] == pytest.approx(46.201)

    httpserver.expect_request("/jours-feries/metropole.json").respond_with_json(
        {"2023-01-01": "1er janvier", "2023-07-14": "14 juillet"}
    )
    portal.add(SCHOOL_DATASET, SCHOOL_FIELDS, SCHOOL_RECORDS)
    public, school, quarantine = parse_source(
        "holidays", holidays_dataset(portal, httpserver, fast_retry).load()
    )
    assert quarantine.empty, quarantine.to_dict("records")
    assert len(public) == 2
    assert school[["zone", "description"]].values.tolist() == [
        ["A", "Vacances de la Toussaint"],
        ["C", "Vacances de Noël"],
    ]
