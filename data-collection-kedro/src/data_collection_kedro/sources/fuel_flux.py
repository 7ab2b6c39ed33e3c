"""Parser of the official fuel-price flux (prix-carburants.gouv.fr "flux instantané").

The flux is an ISO-8859-1 XML file (``PrixCarburants_instantane.xml``), usually inside a zip::

    <pdv_liste>
      <pdv id="59550001" latitude="5012400" longitude="368900" cp="59550" pop="R">
        <adresse>Boulevard des Résistants</adresse>
        <ville>LANDRECIES</ville>
        <horaires automate-24-24="1"><jour id="1" nom="Lundi" ferme="">
          <horaire ouverture="08.00" fermeture="20.30"/></jour>…</horaires>
        <services><service>Station de gonflage</service>…</services>
        <prix nom="Gazole" id="1" maj="2023-11-23 07:36:48" valeur="1.785"/>
        <rupture id="2" nom="SP95" debut="2023-11-20 10:00:00" fin="" type="temporaire"/>
      </pdv>
    </pdv_liste>

:func:`read_fuel_flux_xml` flattens it into the flat source format (one row per ``<prix>``
and one per ``<rupture>``; a station with neither still yields one row so it is not lost).
It uses the expat parser directly (no DOM), which keeps memory flat and gives line numbers.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any
from xml.parsers import expat

import pandas as pd

FLAT_COLUMNS = [
    "id",
    "latitude",
    "longitude",
    "cp",
    "pop",
    "adresse",
    "ville",
    "prix_nom",
    "prix_id",
    "prix_maj",
    "prix_valeur",
]
EXTRA_COLUMNS = [
    "horaires",
    "services",
    "rupture_nom",
    "rupture_id",
    "rupture_debut",
    "rupture_fin",
    "rupture_type",
]


class FuelFluxError(ValueError):
    """The flux is not a readable fuel-price XML (or zip of one)."""


def _xml_bytes(source: bytes | Path, name: str) -> bytes:
    data = Path(source).read_bytes() if isinstance(source, Path) else source
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [m for m in archive.namelist() if m.lower().endswith(".xml")]
                if not members:
                    raise FuelFluxError(f"{name}: zip holds no .xml file ({archive.namelist()})")
                return archive.read(members[0])
        except zipfile.BadZipFile as exc:
            raise FuelFluxError(f"{name}: corrupt zip ({exc})") from exc
    return data


def read_fuel_flux_xml(source: bytes | Path, *, source_name: str | None = None) -> pd.DataFrame:
    """Flatten the fuel flux XML (or its zip) into an all-string frame.

    Columns: ``id;latitude;longitude;cp;pop;adresse;ville;prix_nom;prix_id;prix_maj;prix_valeur``
    then ``horaires`` (JSON str), ``services`` (JSON list str), ``rupture_nom``, ``rupture_id``,
    ``rupture_debut``, ``rupture_fin``, ``rupture_type``, and the bookkeeping columns
    ``_source_file`` (``source_name``, else the file name, else ``"flux.xml"``) and
    ``_source_line`` (line of the ``<prix>``/``<rupture>``/``<pdv>`` element).
    Values keep the source's text (lat/lon ×100000, prices in €/L); missing values are ``NA``.

    Raises:
        FuelFluxError: when the bytes are neither a fuel XML nor a zip holding one.
    """
    name = source_name or (source.name if isinstance(source, Path) else "flux.xml")
    xml = _xml_bytes(source, name)

    rows: list[tuple[Any, ...]] = []
    station: dict[str, Any] = {}
    station_rows = 0
    text_target: str | None = None
    text_parts: list[str] = []
    hours: dict[str, Any] | None = None
    services: list[str] | None = None
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def station_prefix() -> tuple[Any, ...]:
        return (
            station.get("id"),
            station.get("latitude"),
            station.get("longitude"),
            station.get("cp"),
            station.get("pop"),
            station.get("adresse"),
            station.get("ville"),
        )

    def station_suffix() -> tuple[Any, ...]:
        return (station.get("horaires"), station.get("services"))

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal station, station_rows, text_target, hours, services
        if tag == "prix":
            rows.append(
                (
                    *station_prefix(),
                    attrs.get("nom"),
                    attrs.get("id"),
                    attrs.get("maj"),
                    attrs.get("valeur"),
                    *station_suffix(),
                    None,
                    None,
                    None,
                    None,
                    None,
                    parser.CurrentLineNumber,
                )
            )
            station_rows += 1
        elif tag == "rupture":
            rows.append(
                (
                    *station_prefix(),
                    None,
                    None,
                    None,
                    None,
                    *station_suffix(),
                    attrs.get("nom"),
                    attrs.get("id"),
                    attrs.get("debut"),
                    attrs.get("fin"),
                    attrs.get("type"),
                    parser.CurrentLineNumber,
                )
            )
            station_rows += 1
        elif tag == "pdv":
            station = dict(attrs)
            station["_line"] = parser.CurrentLineNumber
            station_rows = 0
        elif tag in ("adresse", "ville", "service"):
            text_target = tag
            text_parts.clear()
        elif tag == "horaires":
            hours = {"automate_24_24": attrs.get("automate-24-24") == "1", "jours": []}
        elif tag == "jour" and hours is not None:
            hours["jours"].append(
                {
                    "id": int(attrs["id"]) if attrs.get("id", "").isdigit() else None,
                    "nom": attrs.get("nom"),
                    "ferme": attrs.get("ferme") == "1",
                    "horaires": [],
                }
            )
        elif tag == "horaire" and hours is not None and hours["jours"]:
            hours["jours"][-1]["horaires"].append(
                {"ouverture": attrs.get("ouverture"), "fermeture": attrs.get("fermeture")}
            )
        elif tag == "services":
            services = []

    def end(tag: str) -> None:
        nonlocal text_target, hours, services
        if tag == text_target:
            value = "".join(text_parts).strip() or None
            if tag == "service":
                if services is not None and value:
                    services.append(value)
            else:
                station[tag] = value
            text_target = None
        elif tag == "horaires":
            station["horaires"] = json.dumps(hours, ensure_ascii=False)
            hours = None
        elif tag == "services":
            station["services"] = json.dumps(services, ensure_ascii=False)
            services = None
        elif tag == "pdv" and station_rows == 0:
            no_price = (None,) * 4
            no_shortage = (None,) * 5
            rows.append(
                (*station_prefix(), *no_price, *station_suffix(), *no_shortage, station["_line"])
            )

    def text(data: str) -> None:
        if text_target is not None:
            text_parts.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:
        raise FuelFluxError(f"{name}: unreadable fuel flux XML ({exc})") from exc
    if not rows and b"<pdv_liste" not in xml[:4096]:
        raise FuelFluxError(f"{name}: no <pdv_liste> element: not a fuel-price flux")

    frame = pd.DataFrame.from_records(rows, columns=[*FLAT_COLUMNS, *EXTRA_COLUMNS, "_source_line"])
    for column in [*FLAT_COLUMNS, *EXTRA_COLUMNS]:
        values = frame[column].astype("str")
        frame[column] = values.mask(values.str.strip() == "")  # empty attribute = missing
    frame["_source_line"] = frame["_source_line"].astype("int64")
    frame.insert(len(frame.columns) - 1, "_source_file", name)
    frame["_source_file"] = frame["_source_file"].astype("str")
    return frame
