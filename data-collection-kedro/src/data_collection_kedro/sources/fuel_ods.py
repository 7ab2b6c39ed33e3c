"""Records of the Opendatasoft ``prix-des-carburants-en-france-flux-instantane-v2`` dataset
flattened into the fuel flux's flat source format.

One API record is one station (``id, latitude, longitude, cp, pop, adresse, ville, horaires,
services, prix, rupture, …``), where ``prix`` is a JSON list (or a single object) of
``{"@nom", "@id", "@maj", "@valeur"}`` and ``rupture`` of ``{"@nom", "@id", "@debut", "@fin",
"@type"}``; older exports carry per-fuel fields (``gazole_prix``, ``gazole_maj``, …) instead.
The result has exactly the columns of :func:`~data_collection_kedro.sources.fuel_flux.
read_fuel_flux_xml` (``FLAT_COLUMNS`` + ``EXTRA_COLUMNS``): one row per price and per shortage,
one row for a station with neither, ``horaires`` and ``services`` as the same JSON shapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from data_collection_kedro.sources.fuel_flux import EXTRA_COLUMNS, FLAT_COLUMNS

# Fuel names and ids of the official flux.
FUEL_IDS = {"Gazole": "1", "SP95": "2", "E85": "3", "GPLc": "4", "E10": "5", "SP98": "6"}
FLUX_COLUMNS = [*FLAT_COLUMNS, *EXTRA_COLUMNS]


def _json_value(value: Any) -> Any:
    """A field that may hold JSON text (the API serialises nested objects as strings)."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _as_list(value: Any) -> list[Any]:
    value = _json_value(value)
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _attr(item: Mapping[str, Any], name: str) -> Any:
    """``@name`` (XML attribute as JSON) or ``name``."""
    value = item.get(f"@{name}", item.get(name))
    return None if value == "" else value


def _flux_coordinate(value: Any) -> Any:
    """Latitude/longitude as the flux writes them (degrees × 100000)."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    if abs(number) < 1000:  # decimal degrees → flux units
        number *= 100_000
    return str(round(number))


def _postcode(value: Any) -> Any:
    """A postcode as text; a number (JSON int) gets its leading zero back (``1000`` → ``01000``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{int(value):05d}"
    return value


def opening_hours(value: Any) -> str | None:
    """``horaires`` in the flux parser's JSON shape (``automate_24_24``, ``jours``)."""
    raw = _json_value(value)
    if not isinstance(raw, Mapping):
        return None
    days = []
    for day in _as_list(raw.get("jour")):
        if not isinstance(day, Mapping):
            continue
        day_id = str(_attr(day, "id") or "")
        days.append(
            {
                "id": int(day_id) if day_id.isdigit() else None,
                "nom": _attr(day, "nom"),
                "ferme": str(_attr(day, "ferme") or "") == "1",
                "horaires": [
                    {"ouverture": _attr(h, "ouverture"), "fermeture": _attr(h, "fermeture")}
                    for h in _as_list(day.get("horaire"))
                    if isinstance(h, Mapping)
                ],
            }
        )
    automate = str(_attr(raw, "automate-24-24") or "") == "1"
    return json.dumps({"automate_24_24": automate, "jours": days}, ensure_ascii=False)


def station_services(record: Mapping[str, Any]) -> str | None:
    """``services`` as a JSON list of names."""
    raw = _json_value(record.get("services"))
    if isinstance(raw, Mapping):
        names = _as_list(raw.get("service"))
    elif raw is None:
        names = _as_list(record.get("services_service"))
    else:
        names = _as_list(raw)
    if raw is None and record.get("services_service") is None:
        return None
    return json.dumps([str(n) for n in names if n], ensure_ascii=False)


def _prices(record: Mapping[str, Any]) -> list[tuple[Any, Any, Any, Any]]:
    prices = [
        (_attr(p, "nom"), _attr(p, "id"), _attr(p, "maj"), _attr(p, "valeur"))
        for p in _as_list(record.get("prix"))
        if isinstance(p, Mapping)
    ]
    if prices or record.get("prix") not in (None, ""):
        return prices
    for fuel, fuel_id in FUEL_IDS.items():  # per-fuel fields of the flattened export
        price = record.get(f"{fuel.lower()}_prix")
        if price not in (None, ""):
            prices.append((fuel, fuel_id, record.get(f"{fuel.lower()}_maj"), price))
    return prices


def _shortages(record: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (_attr(r, "nom"), _attr(r, "id"), _attr(r, "debut"), _attr(r, "fin"), _attr(r, "type"))
        for r in _as_list(record.get("rupture"))
        if isinstance(r, Mapping)
    ]


def flatten_station(record: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The flat rows of one station record (see the module docstring)."""
    station = {
        "id": record.get("id"),
        "latitude": _flux_coordinate(record.get("latitude")),
        "longitude": _flux_coordinate(record.get("longitude")),
        "cp": _postcode(record.get("cp")),
        "pop": record.get("pop"),
        "adresse": record.get("adresse"),
        "ville": record.get("ville"),
        "horaires": opening_hours(record.get("horaires")),
        "services": station_services(record),
    }
    prices, shortages = _prices(record), _shortages(record)
    for nom, fuel_id, maj, valeur in prices:
        yield station | {
            "prix_nom": nom,
            "prix_id": fuel_id,
            "prix_maj": maj,
            "prix_valeur": valeur,
        }
    for nom, fuel_id, debut, fin, kind in shortages:
        yield station | {
            "rupture_nom": nom,
            "rupture_id": fuel_id,
            "rupture_debut": debut,
            "rupture_fin": fin,
            "rupture_type": kind,
        }
    if not prices and not shortages:
        yield station
