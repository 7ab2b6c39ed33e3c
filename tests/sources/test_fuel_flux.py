"""The official fuel flux XML (and its zip) flattened into the flat source format."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from data_collection_kedro.datasets.source_files import FuelFluxDataset
from data_collection_kedro.sources.archives import ArchiveError, ArchiveLimits
from data_collection_kedro.sources.fuel_flux import (
    FuelFluxError,
    _parse_document,
    iter_fuel_flux_frames,
    read_fuel_flux_xml,
)
from data_collection_kedro.sources.fuel_flux_stations import NotRegular, iter_regular_columns
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


# The flux in its regular form (one element a line): read column by column in Arrow. The same
# stations with anything the regular reading does not take are read by the XML parser.
SHARED_HOURS = """    <horaires automate-24-24="1">
      <jour id="1" nom="Lundi" ferme="">
        <horaire ouverture="08.00" fermeture="12.00"/>
        <horaire ouverture="14.00" fermeture="20.30"/>
      </jour>
      <jour id="7" nom="Dimanche" ferme="1"/>
    </horaires>"""
REGULAR_FLUX = f"""<?xml version="1.0" encoding="ISO-8859-1" standalone="yes"?>
<pdv_liste>
  <pdv id="1" latitude="4319800" longitude="580500" cp="83330" pop="R">
    <adresse>8 Résidence l&#8217;Olivier &amp; Fils</adresse>
    <ville>\xa0Le Beausset </ville>
{SHARED_HOURS}
    <services>
      <service>Station de gonflage</service>
      <service>  </service>
      <service>Boutique &quot;alimentaire&quot;</service>
    </services>
    <prix nom="Gazole" id="1" maj="2023-11-28 05:20:17" valeur="1.799"/>
    <rupture id="2" nom="SP95" debut="2023-11-20 10:00:00" fin="" type="Définitive"/>
    <prix nom="E10" id="5" maj="2023-11-28 05:20:18" valeur=" "/>
  </pdv>
  <pdv id="2" latitude="4192000" longitude="873000" cp="20000" pop="A">
    <adresse/>
    <ville>Ajaccio</ville>
{SHARED_HOURS}
    <services/>
  </pdv>
  <pdv id="3" latitude="5012400" longitude="368900" cp="59550" pop="R">
    <adresse>Rue</adresse>
    <ville>LANDRECIES</ville>
    <horaires automate-24-24="">
      <jour id="2" nom="Mardi" ferme=""/>
    </horaires>
    <prix nom="SP98" id="6" maj="2023-11-23 07:36:48" valeur="1.848"/>
  </pdv>
</pdv_liste>
""".encode("iso-8859-1")


def parser_reading(xml: bytes, batch_rows: int = 200_000) -> pd.DataFrame:
    """The rows the XML parser alone reads (the reading the regular one must equal)."""
    frames = list(_parse_document("flux.xml", iter([xml]), batch_rows))
    return pd.concat(frames, ignore_index=True)


def test_a_regular_flux_is_read_in_arrow_with_the_parsers_rows() -> None:
    """Shared and distinct opening hours, blank and empty services, a station without price,
    references, non-ASCII blanks, a shortage between prices: every column (the lines too) as
    the XML parser reads them."""
    chunks = [REGULAR_FLUX[i : i + 300] for i in range(0, len(REGULAR_FLUX), 300)]
    assert sum(len(lines) for _, lines in iter_regular_columns(iter(chunks))) == 5
    frame = read_fuel_flux_xml(REGULAR_FLUX, source_name="flux.xml")

    pd.testing.assert_frame_equal(frame, parser_reading(REGULAR_FLUX))
    assert frame["_source_line"].tolist() == [18, 19, 20, 22, 40]
    assert frame.loc[0, "adresse"] == "8 Résidence l\u2019Olivier & Fils"
    assert frame.loc[0, "ville"] == "Le Beausset"  # str.strip(): the no-break space too
    assert json.loads(frame.loc[0, "services"]) == [
        "Station de gonflage",
        'Boutique "alimentaire"',
    ]
    assert frame.loc[1, "rupture_type"] == "Définitive" and pd.isna(frame.loc[1, "prix_nom"])
    assert pd.isna(frame.loc[2, "prix_valeur"])  # blank
    assert pd.isna(frame.loc[3, "adresse"]) and frame.loc[3, "services"] == "[]"
    assert pd.isna(frame.loc[3, "prix_nom"]) and frame.loc[3, "_source_file"] == "flux.xml"
    assert frame.loc[3, "horaires"] == frame.loc[0, "horaires"]  # the same hours
    assert json.loads(frame.loc[4, "horaires"]) == {
        "automate_24_24": False,
        "jours": [{"id": 2, "nom": "Mardi", "ferme": False, "horaires": []}],
    }


@pytest.mark.parametrize(
    "service",
    ["\xa0Wifi\x85", "Lavage\tauto", "C:\\ DAB", "  ", "", "Caf\xe9", "Wifi\n  "],
)
def test_service_names_are_those_of_the_parser(service: str) -> None:
    """Blanks, tabs, backslashes and no-break spaces in the services (written by joining or
    by json.dumps) as the XML parser reads them, in the regular reading."""
    xml = REGULAR_FLUX.replace(b"Station de gonflage", service.encode("iso-8859-1"))
    xml = xml.replace(b"&quot;alimentaire&quot;", b"alimentaire")  # plain: joined in Arrow
    assert sum(len(lines) for _, lines in iter_regular_columns(iter([xml]))) == 5
    frame = read_fuel_flux_xml(xml, source_name="flux.xml")
    pd.testing.assert_frame_equal(frame, parser_reading(xml))
    assert json.loads(frame.loc[0, "services"])[0] == (service.strip() or "Boutique alimentaire")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<ville>Ajaccio", "<!-- x --><ville>Ajaccio"),  # a comment
        ("<ville>Ajaccio", "<ville><![CDATA[Ajac]]>cio"),  # a CDATA section
        ("<ville>Ajaccio", "<ville>&#1;Ajaccio"),  # a reference to a forbidden character
        ("<ville>Ajaccio", "<ville>&nbsp;Ajaccio"),  # an undefined entity
        ('valeur="1.848"/>', 'valeur="1.848"/><prix nom="E85" id="3" maj="m" valeur="0.9"/>'),
        ('valeur="1.848"', 'valeur="1.848"\n      '),  # a tag over two lines
        ('valeur="1.848"', 'valeur="\t1.848"'),  # white space an attribute normalises
        ('valeur="1.848"', "valeur='1.848'"),
        ("<ville>LANDRECIES</ville>", "<ville>LANDRECIES</ville><foo/>"),  # another element
        ("<ville>LANDRECIES</ville>", '<ville>LANDRECIES</ville><prix nom="a" id="1"/>'),
        ('<pdv id="3"', '<pdv cp="1" id="3"'),  # a duplicate attribute
        ('<pdv id="3"', '<pdv pop="B" id="3"'),  # another order
        ('id="2" nom="Mardi"', 'id="²" nom="Mardi"'),  # a digit int() refuses
        ("</pdv_liste>", "</pdv_liste><!-- end -->"),
        ("<pdv_liste>", "<!DOCTYPE pdv_liste><pdv_liste>"),
        ("\n", "\r\n"),
        ('encoding="ISO-8859-1"', 'encoding="windows-1252"'),
        ("</pdv>\n</pdv_liste>", "</pdv>\n<prix nom='x'/></pdv_liste>"),  # a row outside a pdv
        ("</pdv_liste>", ""),  # cut short
    ],
)
def test_what_the_regular_reading_does_not_take_the_parser_reads(old: str, new: str) -> None:
    """Each change leaves the regular form: the rows (or the error) are the XML parser's, the
    rows read before the change not repeated, whatever the chunks and batches."""
    xml = REGULAR_FLUX.replace(old.encode("iso-8859-1"), new.encode("iso-8859-1"), 1)
    with pytest.raises(NotRegular):
        list(iter_regular_columns(iter([xml])))
    try:
        expected: pd.DataFrame | str = parser_reading(xml)
    except Exception as exc:  # the parser's error, raised as it is
        expected = f"{type(exc).__name__}: {exc}"
    for chunk_kb, batch_rows in ((1024, 200_000), (1, 1)):
        limits = ArchiveLimits(chunk_kb=chunk_kb)
        try:
            frames = list(
                iter_fuel_flux_frames(
                    xml, source_name="flux.xml", limits=limits, batch_rows=batch_rows
                )
            )
        except Exception as exc:
            assert isinstance(expected, str), exc
            assert f"{type(exc).__name__}: {exc}" == expected
            continue
        assert not isinstance(expected, str), expected
        pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), expected)


def test_a_change_late_in_the_flux_skips_the_rows_already_read() -> None:
    """Frames of the regular reading are yielded, then a station leaves the regular form: the
    parser reads the rest, and the rows are those of the parser alone, once each."""
    stations = REGULAR_FLUX.split(b"</pdv>")
    many = b"</pdv>".join([stations[0], *stations[1:-1] * 300, stations[-1]])
    late = many.replace(b"</pdv>\n</pdv_liste>", b"<!-- --></pdv>\n</pdv_liste>")
    assert late != many
    frames = list(
        iter_fuel_flux_frames(
            late, source_name="flux.xml", limits=ArchiveLimits(chunk_kb=4), batch_rows=50
        )
    )
    assert len(frames) > 2 and max(map(len, frames)) < 60
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), parser_reading(late))


def test_real_snapshots_are_read_as_the_parser_reads_them() -> None:
    folder = requires_real_data("D", "official_flux_instantane_xml")
    for path in sorted(folder.glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            xml = archive.read(archive.namelist()[0])
        assert sum(len(lines) for _, lines in iter_regular_columns(iter([xml]))) > 30_000
        pd.testing.assert_frame_equal(
            read_fuel_flux_xml(xml, source_name="flux.xml"), parser_reading(xml)
        )
