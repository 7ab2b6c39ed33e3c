"""The sample files have exactly the real sources' headers, separators, encodings and formats."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest

from data_collection_kedro.domain.regions import DEPARTMENT_TO_REGION, department_of_postcode

from .conftest import read_source

HOURS = [f"{h:02d}:00" for h in range(24)]
BOM = b"\xef\xbb\xbf"
# (file, separator, BOM, header) — labels as in the real downloads
EXPECTED_FILES = [
    (
        "consommation-quotidienne-brute-regionale.csv",
        ";",
        True,
        "Date - Heure;Date;Heure;Code INSEE région;Région;"
        "Consommation brute gaz (MW PCS 0°C) - GRTgaz;Statut - GRTgaz;"
        "Consommation brute gaz (MW PCS 0°C) - Teréga;Statut - Teréga;"
        "Consommation brute gaz totale (MW PCS 0°C);Consommation brute électricité (MW) - RTE;"
        "Statut - RTE;Consommation brute totale (MW)",
    ),
    (
        "courbe-de-charge-eldgrd-regional-grtgaz-terega.csv",
        ";",
        True,
        "Date;Opérateur;Secteur d'activité;Région;"
        + ";".join(HOURS)
        + ";Consommation journalière (MWh - PCS 0°C);Statut",
    ),
    (
        "temperature-quotidienne-regionale.csv",
        ";",
        True,
        "ID;Date;Code INSEE région;Région;TMin (°C);TMax (°C);TMoy (°C)",
    ),
    (
        "historique-meteo/oldReg_MeteoFR_2022-01-01_2022-12-31.csv",
        ",",
        False,
        ",TempMax_Deg,TempMin_Deg,Wind_kmh,Wet_percent,Visibility_km,"
        "CloudCoverage_percent,Dayduration_hour,region,day",
    ),
    (
        "mouvements-sociaux-depuis-2002.csv",
        ";",
        True,
        "date_de_debut;date_de_fin;motif;organisations_syndicales;metiers_cibles;population;"
        "nombre_grevistes;taux_grevistes",
    ),
    (
        "prix-carburants-historique.csv",
        ";",
        False,
        "id;latitude;longitude;cp;pop;adresse;ville;prix_nom;prix_id;prix_maj;prix_valeur",
    ),
    ("anomalies_ground_truth.csv", ",", False, "region_code,region,date,energy,kind,factor"),
    (
        "eco2mix-national-tr.csv",
        ";",
        False,
        "Périmètre;Nature;Date;Heure;Date - Heure;Consommation (MW);Prévision J-1 (MW);"
        "Prévision J (MW);Fioul (MW);Charbon (MW);Gaz (MW);Nucléaire (MW);Eolien (MW);"
        "Solaire (MW);Hydraulique (MW);Pompage (MW);Bioénergies (MW);Ech. physiques (MW);"
        "Taux de CO2 (g/kWh);Ech. comm. Angleterre (MW);Ech. comm. Espagne (MW);"
        "Ech. comm. Italie (MW);Ech. comm. Suisse (MW);Ech. comm. Allemagne-Belgique (MW);"
        "Fioul - TAC (MW);Fioul - Cogénération (MW);Fioul - Autres (MW);Gaz - TAC (MW);"
        "Gaz - Cogénération (MW);Gaz - CCG (MW);Gaz - Autres (MW);"
        "Hydraulique - Fil de l'eau + éclusée (MW);Hydraulique - Lacs (MW);"
        "Hydraulique - STEP turbinage (MW);Bioénergies - Déchets (MW);"
        "Bioénergies - Biomasse (MW);Bioénergies - Biogaz (MW)",
    ),
]


@pytest.mark.parametrize(("name", "sep", "bom", "header"), EXPECTED_FILES)
def test_header_separator_encoding(
    small_sample_dir: Path, name: str, sep: str, bom: bool, header: str
) -> None:
    raw = (small_sample_dir / name).read_bytes()
    assert raw.startswith(BOM) is bom, f"{name}: BOM expected={bom}"
    text = raw.decode("utf-8-sig")  # every CSV is UTF-8
    first_line = text.splitlines()[0]
    assert first_line == header
    expected_fields = header.count(sep) + 1
    fields = {line.count(sep) + 1 for line in text.splitlines()[1:50]}
    assert fields == {expected_fields}, f"{name}: every row has {expected_fields} fields"


def test_consumption_values_and_formats(consumption: pd.DataFrame) -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00\+0[12]:00", consumption["Date - Heure"][0])
    assert consumption["Date - Heure"].str.match(r"^\d{4}-\d\d-\d\dT\d\d:[03]0:00\+0[12]:00$").all()
    assert consumption["Date"].str.match(r"^\d\d/\d\d/\d{4}$").all()
    assert set(consumption["Statut - RTE"]) <= {"Définitif", "Consolidé", "Temps réel"}
    full_hour = consumption["Heure"].str.endswith(":00")
    gas = consumption["Consommation brute gaz totale (MW PCS 0°C)"]
    assert (gas[full_hour] != "").all(), "gas on every full hour"
    assert (gas[~full_hour] == "").all(), "no gas on half hours"
    assert (consumption["Consommation brute électricité (MW) - RTE"] != "").all()
    # total = gas total + electricity on full hours
    rows = consumption[full_hour]
    total = pd.to_numeric(rows["Consommation brute totale (MW)"])
    parts = pd.to_numeric(rows["Consommation brute gaz totale (MW PCS 0°C)"]) + pd.to_numeric(
        rows["Consommation brute électricité (MW) - RTE"]
    )
    assert (total == parts).all()
    # Teréga only where Teréga operates
    terega = consumption["Consommation brute gaz (MW PCS 0°C) - Teréga"] != ""
    assert set(consumption.loc[terega, "Code INSEE région"]) == {"75", "84"}


def test_half_hour_counts_and_dst_days(consumption: pd.DataFrame) -> None:
    per_day = consumption.groupby(["Code INSEE région", "Date"]).size()
    spring = per_day.xs("28/03/2021", level="Date")
    autumn = per_day.xs("31/10/2021", level="Date")
    assert (spring == 46).all() and len(spring) == 4
    assert (autumn == 50).all() and len(autumn) == 4
    ordinary = per_day.drop(index=["28/03/2021", "31/10/2021"], level="Date")
    ordinary = ordinary.drop(
        index=["27/03/2022", "30/10/2022", "26/03/2023", "29/10/2023"], level="Date"
    )
    assert (ordinary == 48).all()
    assert len(per_day) == 4 * 1095
    # the repeated autumn hour keeps both offsets; the skipped spring hour is absent
    autumn_ids = consumption.loc[consumption["Date"] == "31/10/2021", "Date - Heure"]
    assert {"2021-10-31T02:00:00+02:00", "2021-10-31T02:00:00+01:00"} <= set(autumn_ids)
    assert not consumption["Date - Heure"].str.startswith("2021-03-28T02:").any()
    assert not consumption.duplicated(["Code INSEE région", "Date - Heure"]).any()


def test_load_curve_operators_and_daily_sum(load_curve: pd.DataFrame) -> None:
    operators = load_curve.groupby("Région")["Opérateur"].agg(lambda s: frozenset(s))
    assert operators.to_dict() == {
        "auvergne-rhône-alpes": frozenset({"GRTgaz", "Teréga"}),
        "nouvelle-aquitaine": frozenset({"GRTgaz", "Teréga"}),
        "île-de-france": frozenset({"GRTgaz"}),
        "bretagne": frozenset({"GRTgaz"}),
    }
    assert set(load_curve["Secteur d'activité"]) == {"GRD/ELD"}
    assert set(load_curve["Statut"]) <= {"Définitif", "Meilleur Statut"}
    assert not load_curve.duplicated(["Date", "Opérateur", "Région"]).any()
    assert len(load_curve) == 1095 * 6
    hours = load_curve[HOURS].apply(pd.to_numeric)
    daily = pd.to_numeric(load_curve["Consommation journalière (MWh - PCS 0°C)"])
    assert ((hours.sum(axis=1) - daily).abs() <= 1e-6 * daily + 1e-3).all()
    assert (hours > 0).all().all()


def test_gas_levels_are_realistic(load_curve: pd.DataFrame) -> None:
    idf = load_curve[load_curve["Région"] == "île-de-france"]
    daily = pd.to_numeric(idf["Consommation journalière (MWh - PCS 0°C)"])
    # Île-de-France distribution gas: roughly 20-30 GWh/day in summer, 250-450 in cold spells
    assert 15_000 < daily.quantile(0.05) < 40_000
    assert 200_000 < daily.quantile(0.97) < 500_000


def test_temperature_file(temperatures: pd.DataFrame) -> None:
    assert temperatures["ID"].str.match(r"^\d{4}-\d\d-\d\dT00:00:00-(11|53|75|84)$").all()
    assert (temperatures["ID"].str[-2:] == temperatures["Code INSEE région"]).all()
    iso = pd.to_datetime(temperatures["ID"].str[:10])
    assert (iso.dt.strftime("%d/%m/%y") == temperatures["Date"]).all()
    tmin, tmax, tmean = (
        pd.to_numeric(temperatures[c]) for c in ("TMin (°C)", "TMax (°C)", "TMoy (°C)")
    )
    assert (tmin <= tmean).all() and (tmean <= tmax).all()
    assert len(temperatures) == 4 * 1095
    summer = tmean[iso.dt.month == 7].mean()
    winter = tmean[iso.dt.month == 1].mean()
    assert 17 < summer < 25 and 2 < winter < 9


def test_historique_meteo_files(small_sample_dir: Path) -> None:
    folder = small_sample_dir / "historique-meteo"
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"oldReg_MeteoFR_{y}-01-01_{y}-12-31.csv" for y in (2021, 2022, 2023)]
    frame = read_source(folder / names[0], sep=",")
    # old regions of 11, 53, 75 and 84 only, spelled as historique-meteo does
    assert set(frame["region"]) == {
        "ile-de-france",
        "bretagne",
        "aquitaine",
        "limousin",
        "poitou-charentes",
        "ile-de-re",
        "auvergne",
        "rh-ne-alpes",
        "ardeche",
    }
    assert (frame.iloc[:, 0] == frame["region"] + "_" + frame["day"]).all()
    assert frame["day"].str.match(r"^2021/\d\d/\d\d$").all()
    assert frame["Dayduration_hour"].str.match(r"^\d{1,2}:\d{1,2}:0$").all()
    june = frame[frame["day"] == "2021/06/21"]["Dayduration_hour"]
    december = frame[frame["day"] == "2021/12/21"]["Dayduration_hour"]
    assert all(int(j.split(":")[0]) >= 15 for j in june)
    assert all(int(d.split(":")[0]) <= 9 for d in december)
    assert len(frame) == 9 * 365


def test_strikes_file(small_sample_dir: Path) -> None:
    strikes = read_source(small_sample_dir / "mouvements-sociaux-depuis-2002.csv")
    years = strikes["date_de_debut"].str[:4].value_counts()
    assert set(years.index) == {"2021", "2022", "2023"}
    assert ((years >= 18) & (years <= 26)).all()
    assert (strikes["date_de_fin"] == "").any() and (strikes["date_de_fin"] != "").any()
    assert (strikes["population"] == "").any() and (strikes["population"] != "").any()
    ended = strikes[strikes["date_de_fin"] != ""]
    assert (ended["date_de_fin"] >= ended["date_de_debut"]).all()
    rate = pd.to_numeric(strikes["taux_grevistes"].replace("", None))
    assert rate.between(0, 100).all()


def test_fuel_history(small_sample_dir: Path) -> None:
    fuel = read_source(small_sample_dir / "prix-carburants-historique.csv")
    assert len(fuel) == 20_000
    assert fuel["id"].nunique() == 200
    assert dict(zip(fuel["prix_nom"], fuel["prix_id"], strict=True)) == {
        "Gazole": "1",
        "SP95": "2",
        "E85": "3",
        "GPLc": "4",
        "E10": "5",
        "SP98": "6",
    }
    assert not fuel.duplicated(["id", "prix_nom", "prix_maj"]).any()
    assert fuel["prix_maj"].str.match(r"^20(21|22|23)-\d\d-\d\d \d\d:\d\d:\d\d$").all()
    price = pd.to_numeric(fuel["prix_valeur"])
    assert price.between(0.5, 2.6).all()
    gazole_2022 = price[(fuel["prix_nom"] == "Gazole") & fuel["prix_maj"].str.startswith("2022-06")]
    assert 1.9 < gazole_2022.median() < 2.3
    stations = fuel.drop_duplicates("id")
    regions = {DEPARTMENT_TO_REGION[department_of_postcode(cp)] for cp in stations["cp"]}
    assert regions == {"11", "53", "75", "84"}
    departments = {department_of_postcode(cp) for cp in stations["cp"]}
    expected = {d for d, r in DEPARTMENT_TO_REGION.items() if r in {"11", "53", "75", "84"}}
    assert departments == expected
    lat = pd.to_numeric(stations["latitude"]) / 1e5
    lon = pd.to_numeric(stations["longitude"]) / 1e5
    assert lat.between(41, 51.5).all() and lon.between(-5.5, 10).all()
    assert set(stations["pop"]) <= {"R", "A"}


def test_fuel_xml_snapshot(small_sample_dir: Path) -> None:
    with zipfile.ZipFile(small_sample_dir / "PrixCarburants_instantane.zip") as zf:
        assert zf.namelist() == ["PrixCarburants_instantane.xml"]
        raw = zf.read("PrixCarburants_instantane.xml")
    assert raw.startswith(b'<?xml version="1.0" encoding="ISO-8859-1" standalone="yes"?>')
    assert "é".encode("iso-8859-1") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    root = ElementTree.fromstring(raw)
    assert root.tag == "pdv_liste"
    stations = root.findall("pdv")
    assert len(stations) == 200
    history = read_source(small_sample_dir / "prix-carburants-historique.csv")
    latest = history.groupby(["id", "prix_nom"]).tail(1).set_index(["id", "prix_nom"])
    n_prices = 0
    for pdv in stations:
        assert set(pdv.attrib) == {"id", "latitude", "longitude", "cp", "pop"}
        assert pdv.find("adresse") is not None and pdv.find("ville") is not None
        horaires = pdv.find("horaires")
        if horaires is not None:
            assert [j.get("nom") for j in horaires.findall("jour")][0] == "Lundi"
        for prix in pdv.findall("prix"):
            n_prices += 1
            expected = latest.loc[(pdv.get("id"), prix.get("nom"))]
            assert prix.get("maj") == expected["prix_maj"]
            assert prix.get("valeur") == expected["prix_valeur"]
            assert prix.get("id") == expected["prix_id"]
        for rupture in pdv.findall("rupture"):
            assert set(rupture.attrib) == {"id", "nom", "debut", "fin", "type"}
            assert rupture.get("type") in {"temporaire", "definitive"}
    assert n_prices == len(latest)
    assert any(p.find("rupture") is not None for p in stations)
    assert any(p.find("services/service") is not None for p in stations)


def test_manifest_row_counts(small_sample_dir: Path) -> None:
    import json

    manifest = json.loads((small_sample_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 7
    assert manifest["parameters"]["regions"] == ["11", "53", "75", "84"]
    for name, info in manifest["files"].items():
        if name.endswith(".csv"):
            lines = (small_sample_dir / name).read_bytes().count(b"\n")
            assert info["rows"] == lines - 1, name
    assert manifest["files"]["PrixCarburants_instantane.zip"]["rows"] == 200


def test_every_declared_source_file_is_written_where_its_catalog_reads_it(
    small_sample_dir: Path,
) -> None:
    """The generator writes one file set per source with a sample writer, each matched by the
    file pattern its offline reader uses; nothing else but the ground truth and manifest."""
    import json

    from data_collection_kedro.sources import registry

    manifest = json.loads((small_sample_dir / "manifest.json").read_text(encoding="utf-8"))
    written = {n for n in manifest["files"] if n != "anomalies_ground_truth.csv"}
    read: set[str] = set()
    for source in registry.sources():
        if source.offline.sample_writer is None:
            continue
        assert source.offline.file, source.name
        matched = {
            p.relative_to(small_sample_dir).as_posix()
            for p in small_sample_dir.glob(source.offline.file)
        }
        assert matched, f"{source.name}: no sample file matches {source.offline.file!r}"
        read |= matched
    assert read == written
    assert len(written) == 9 + 3  # nine sources, historique-meteo one file per year
