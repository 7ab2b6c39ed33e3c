"""The official fuel flux XML (and its zip) flattened into the flat source format."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from data_collection_kedro.datasets.source_files import FuelFluxDataset
from data_collection_kedro.sources.archives import ArchiveError
from data_collection_kedro.sources.fuel_flux import FuelFluxError, read_fuel_flux_xml
from data_collection_kedro.validation import parse_source
from tests.support.paths import requires_real_data

FLUX_XML = """<?xml version="1.0" encoding="ISO-8859-1" standalone="yes"?>
<pdv_liste>
  <pdv id="83330003" latitude="4319800" longitude="580500" cp="83330" pop="R">
    <adresse>8 Résidence Le Peyron</adresse>
    <ville>Le Beausset</ville>
    <horaires automate-24-24="1">
      <jour id="1" nom="Lundi" ferme="">
        <horaire ouverture="08.00" fermeture="20.30"/>
      </jour>
      <jour id="7" nom="Dimanche" ferme="1"/>
    </horaires>
    <services>
      <service>Vente de gaz domestique (Butane, Propane)</service>
      <service>Station de gonflage</service>
    </services>
    <prix nom="Gazole" id="1" maj="2023-11-28 05:20:17" valeur="1.799"/>
    <prix nom="E10" id="5" maj="2023-11-28 05:20:18" valeur="1819"/>
    <rupture id="2" nom="SP95" debut="2023-11-20 10:00:00" fin="" type="temporaire"/>
  </pdv>
  <pdv id="20000001" latitude="4192000" longitude="873000" cp="20000" pop="A">
    <adresse>RN 193</adresse>
    <ville>Ajaccio</ville>
  </pdv>
  <pdv id="59550001" latitude="5012400" longitude="368900" cp="59550" pop="R">
    <adresse>Boulevard des Résistants</adresse>
    <ville>LANDRECIES</ville>
    <prix nom="Gazole" id="1" maj="pas une date" valeur="1.785"/>
    <prix nom="SP98" id="6" maj="2023-11-23 07:36:48" valeur="1.848"/>
  </pdv>
</pdv_liste>
""".encode("iso-8859-1")


def zipped(xml: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("PrixCarburants_instantane.xml", xml)
    return buffer.getvalue()


def test_flux_is_flattened_one_row_per_price_and_shortage() -> None:
    frame = read_fuel_flux_xml(FLUX_XML, source_name="flux.xml")

    assert list(frame.columns[:11]) == [
        "id", "latitude", "longitude", "cp", "pop", "adresse", "ville",
        "prix_nom", "prix_id", "prix_maj", "prix_valeur",
    ]  # fmt: skip
    assert frame["id"].tolist() == ["83330003"] * 3 + ["20000001"] + ["59550001"] * 2
    assert frame["prix_nom"].isna().tolist() == [False, False, True, True, False, False]
    assert frame.loc[2, "rupture_nom"] == "SP95" and frame.loc[2, "rupture_type"] == "temporaire"
    assert pd.isna(frame.loc[2, "rupture_fin"])  # empty attribute = missing
    assert frame.loc[0, "adresse"] == "8 Résidence Le Peyron"  # ISO-8859-1 decoded
    hours = json.loads(frame.loc[0, "horaires"])
    assert hours["automate_24_24"] is True
    assert hours["jours"][0]["horaires"] == [{"ouverture": "08.00", "fermeture": "20.30"}]
    assert hours["jours"][1]["ferme"] is True
    assert json.loads(frame.loc[0, "services"]) == [
        "Vente de gaz domestique (Butane, Propane)",
        "Station de gonflage",
    ]
    assert frame["_source_line"].tolist()[:3] == [16, 17, 18]  # line of each element
    assert frame["_source_file"].unique().tolist() == ["flux.xml"]


def _station(station_id: str, hours: str, city: str = "Ville") -> str:
    return (
        f'<pdv id="{station_id}" latitude="1" longitude="2" cp="75001" pop="R">'
        f"<adresse>  </adresse><ville>{city}</ville>{hours}"
        f'<prix nom="Gazole" id="1" maj="2023-11-28 05:20:17" valeur=" "/></pdv>'
    )


def test_opening_hours_json_per_station_and_blank_values_missing() -> None:
    """Stations with the same opening hours share one JSON text, a station with other hours
    (or none) gets its own: each the ``json.dumps`` of the documented structure."""
    week = '<jour id="1" nom="Lundi" ferme=""><horaire ouverture="08.00" fermeture="20.30"/></jour>'
    closed = '<jour id="7" nom="Dimanche" ferme="1"/>'
    xml = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><pdv_liste>'
        + _station("1", f'<horaires automate-24-24="1">{week}{closed}</horaires>')
        + _station("2", f'<horaires automate-24-24="1">{week}{closed}</horaires>')
        + _station("3", f'<horaires automate-24-24="">{week}</horaires>', city="Dôle")
        + _station("4", "")
        + _station("5", f'<horaires automate-24-24="">{week}{closed}</horaires>')
        + "</pdv_liste>"
    ).encode("iso-8859-1")
    frame = read_fuel_flux_xml(xml, source_name="flux.xml")

    def dumped(automate: bool, days: list[dict[str, object]]) -> str:
        return json.dumps({"automate_24_24": automate, "jours": days}, ensure_ascii=False)

    monday = {
        "id": 1,
        "nom": "Lundi",
        "ferme": False,
        "horaires": [{"ouverture": "08.00", "fermeture": "20.30"}],
    }
    sunday = {"id": 7, "nom": "Dimanche", "ferme": True, "horaires": []}
    assert frame["horaires"].tolist()[:3] == [
        dumped(True, [monday, sunday]),
        dumped(True, [monday, sunday]),
        dumped(False, [monday]),
    ]
    assert pd.isna(frame.loc[3, "horaires"])
    assert frame.loc[4, "horaires"] == dumped(False, [monday, sunday])
    assert frame["ville"].tolist() == ["Ville", "Ville", "Dôle", "Ville", "Ville"]
    assert frame["adresse"].isna().all() and frame["prix_valeur"].isna().all()  # blank
    assert (frame.dtypes.drop("_source_line") == "str").all()
    assert frame["_source_line"].dtype == "int64"


def test_zip_and_xml_give_the_same_frame(tmp_path: Path) -> None:
    path = tmp_path / "PrixCarburants_instantane.zip"
    path.write_bytes(zipped(FLUX_XML))
    from_zip = FuelFluxDataset(str(path)).load()
    from_xml = read_fuel_flux_xml(FLUX_XML, source_name=path.name)
    pd.testing.assert_frame_equal(from_zip, from_xml, check_like=False)


def test_not_a_flux_fails_with_the_name() -> None:
    with pytest.raises(ArchiveError, match="broken.zip: corrupt zip"):
        read_fuel_flux_xml(b"PK\x03\x04 not really a zip", source_name="broken.zip")
    with pytest.raises(FuelFluxError, match="unreadable"):
        read_fuel_flux_xml(b"<pdv_liste><pdv id='1'>", source_name="cut.xml")


def test_flux_parses_into_stations_prices_shortages_and_quarantine() -> None:
    stations, prices, shortages, quarantine = parse_source(
        "fuel_flux", read_fuel_flux_xml(FLUX_XML)
    )

    assert stations["station_id"].tolist() == ["83330003", "20000001", "59550001"]
    assert stations.loc[0, "latitude"] == pytest.approx(43.198)
    assert stations.loc[1, "pop"] == "A"
    assert stations.loc[1, "opening_hours"] is None or pd.isna(stations.loc[1, "opening_hours"])
    # the thousandths price is rescaled; the unparsable update time is quarantined
    assert sorted(prices["price_eur_l"].round(3).tolist()) == [1.799, 1.819, 1.848]
    assert shortages[["station_id", "fuel", "kind"]].values.tolist() == [
        ["83330003", "SP95", "temporaire"]
    ]
    assert pd.isna(shortages.loc[0, "end_at"])
    assert quarantine[["source_line", "field"]].values.tolist() == [[27, "updated_at"]]
    assert "unparsable updated_at" in quarantine.loc[0, "reason"]


def test_real_flux_zip_matches_its_flattening() -> None:
    folder = requires_real_data("D", "official_flux_instantane_xml")
    flux = read_fuel_flux_xml(folder / "instantane_file_20231128_142020.zip")
    flat = pd.read_csv(folder / "PrixCarburants_instantane_20231128_flat.csv", sep=";", dtype=str)
    prices = flux[flux["prix_nom"].notna()].reset_index(drop=True)
    columns = ["id", "cp", "pop", "ville", "prix_nom", "prix_id", "prix_maj", "prix_valeur"]
    assert len(prices) == len(flat) == 33_416
    assert (prices[columns].to_numpy() == flat[columns].to_numpy()).all()
    assert flux["id"].nunique() == 10_000
