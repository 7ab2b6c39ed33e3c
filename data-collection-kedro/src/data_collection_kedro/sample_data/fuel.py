"""Fuel stations and price histories: the flat history CSV and the official XML zip flux."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd

from data_collection_kedro.domain.regions import DEPARTMENT_TO_REGION
from data_collection_kedro.sources.fuel_flux import FLAT_COLUMNS

from .csv_io import decimals, write_csv
from .reference import DEPARTMENT_PLACES
from .timeline import STREAM_FUEL, rng_for
from .world import SampleWorld

FUEL_XML_MEMBER = "PrixCarburants_instantane.xml"
FUEL_COLUMNS = FLAT_COLUMNS  # id;latitude;…;prix_valeur, as the ETL reads them
# Official fuel ids of the prix-carburants flux, and how often a station sells each fuel.
FUELS: tuple[tuple[str, int, float], ...] = (
    ("Gazole", 1, 0.97),
    ("SP95", 2, 0.37),
    ("E85", 3, 0.35),
    ("GPLc", 4, 0.14),
    ("E10", 5, 0.74),
    ("SP98", 6, 0.81),
)
# National price path (€/L) per fuel, in FUELS order, linearly interpolated between dates.
PRICE_PATH: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("2018-01-01", (1.36, 1.45, 0.70, 0.78, 1.42, 1.52)),
    ("2018-10-15", (1.53, 1.58, 0.72, 0.88, 1.55, 1.65)),
    ("2019-06-01", (1.45, 1.55, 0.70, 0.85, 1.52, 1.62)),
    ("2020-01-01", (1.48, 1.53, 0.69, 0.87, 1.50, 1.60)),
    ("2020-04-20", (1.20, 1.25, 0.62, 0.76, 1.22, 1.33)),
    ("2021-01-01", (1.30, 1.40, 0.66, 0.82, 1.38, 1.48)),
    ("2021-11-01", (1.58, 1.66, 0.76, 0.93, 1.63, 1.74)),
    ("2022-03-15", (2.10, 1.98, 0.85, 1.05, 1.95, 2.05)),
    ("2022-06-20", (2.12, 2.13, 0.90, 1.08, 2.10, 2.20)),
    ("2022-09-10", (1.95, 1.65, 0.80, 1.02, 1.62, 1.72)),
    ("2022-11-01", (2.05, 1.85, 0.85, 1.04, 1.82, 1.92)),
    ("2023-03-01", (1.85, 1.90, 1.05, 0.98, 1.87, 1.97)),
    ("2023-09-20", (1.97, 1.98, 1.05, 1.00, 1.94, 2.04)),
    ("2023-11-28", (1.79, 1.83, 0.99, 0.99, 1.81, 1.90)),
    ("2024-04-10", (1.82, 1.95, 0.90, 0.98, 1.92, 2.02)),
    ("2024-12-31", (1.64, 1.73, 0.80, 0.96, 1.70, 1.80)),
)
SERVICES: tuple[tuple[str, float], ...] = (
    ("Vente de gaz domestique (Butane, Propane)", 0.65),
    ("Station de gonflage", 0.56),
    ("DAB (Distributeur automatique de billets)", 0.48),
    ("Boutique alimentaire", 0.45),
    ("Automate CB 24/24", 0.45),
    ("Piste poids lourds", 0.41),
    ("Boutique non alimentaire", 0.38),
    ("Carburant additivé", 0.36),
    ("Lavage automatique", 0.35),
    ("Toilettes publiques", 0.29),
    ("Lavage manuel", 0.27),
    ("Restauration à emporter", 0.2),
    ("Location de véhicule", 0.19),
    ("Relais colis", 0.17),
    ("Laverie", 0.16),
    ("Vente d'additifs carburants", 0.15),
    ("Services réparation / entretien", 0.13),
    ("Wifi", 0.11),
    ("Vente de fioul domestique", 0.1),
    ("Bornes électriques", 0.06),
    ("Aire de camping-cars", 0.04),
    ("GNV", 0.01),
)
DAYS = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
STREETS = (
    "Avenue du Général de Gaulle",
    "Route de Lyon",
    "Rue de la République",
    "Boulevard Jean Jaurès",
    "Route Nationale 7",
    "Avenue de la Libération",
    "Rue du Maréchal Leclerc",
    "Zone Artisanale des Prés",
    "Centre Commercial Les Portes de l'Étang",
    "Rue de l'Église",
    "Avenue de Verdun",
    "Route de Paris",
    "Chemin des Écoliers",
    "Place du Marché",
    "Rue Pasteur",
    "ZAC du Moulin à Vent",
)
TOWN_SUFFIXES = (
    "Saint-Martin-lès-{p}",
    "Villeneuve-sur-{p}",
    "Sainte-Hélène",
    "Le Châtelet",
    "Bourg-Achard",
    "Saint-Étienne-du-Bois",
    "Montigny-le-Roi",
    "La Chapelle-Saint-Aubin",
    "Pont-l'Évêque",
    "Châteauneuf",
)


def _price_level(times: np.ndarray) -> np.ndarray:
    """National price (€/L) per fuel column at the given ``datetime64[s]`` times."""
    nodes = np.array([pd.Timestamp(d).value // 10**9 for d, _ in PRICE_PATH], dtype=float)
    values = np.array([v for _, v in PRICE_PATH])
    t = times.astype("datetime64[s]").astype(float)
    return np.stack([np.interp(t, nodes, values[:, j]) for j in range(len(FUELS))], axis=1)


def _postcodes(rng: np.random.Generator, departments: np.ndarray) -> np.ndarray:
    out = np.empty(len(departments), dtype=object)
    for i, dept in enumerate(departments):
        if dept == "75":
            out[i] = f"750{int(rng.integers(1, 21)):02d}"
        elif dept == "2A":
            out[i] = f"20{int(rng.integers(0, 20)) * 10:03d}"
        elif dept == "2B":
            out[i] = f"2{int(rng.integers(20, 63)) * 10:04d}"
        else:
            out[i] = f"{dept}{int(rng.integers(0, 100)) * 10:03d}"
    return out


def build_stations(seed: int, regions: list[str], n_stations: int) -> pd.DataFrame:
    """Stations spread over every department of the requested regions."""
    rng = rng_for(seed, STREAM_FUEL, 1)
    departments = np.array(sorted(d for d, r in DEPARTMENT_TO_REGION.items() if r in regions))
    weights = rng.lognormal(0.0, 0.4, size=len(departments))
    # every department gets at least one station when there are enough stations
    base = np.arange(len(departments)) if n_stations >= len(departments) else np.array([], int)
    extra = rng.choice(len(departments), size=n_stations - len(base), p=weights / weights.sum())
    dept = departments[np.sort(np.concatenate([base, extra]).astype(int))]
    postcode = _postcodes(rng, dept)
    place = [DEPARTMENT_PLACES[d] for d in dept]
    spread = np.where(np.isin(dept, ["75", "92", "93", "94"]), 0.04, 0.3)
    lat = np.array([p[1] for p in place]) + rng.uniform(-1, 1, n_stations) * spread
    lon = np.array([p[2] for p in place]) + rng.uniform(-1, 1, n_stations) * spread * 1.3
    fractional = rng.random(n_stations) < 0.3
    lat_txt = [
        f"{v * 1e5:.5f}".rstrip("0").rstrip(".") if f else f"{round(v * 1e5)}"
        for v, f in zip(lat, fractional, strict=True)
    ]
    lon_txt = [
        f"{v * 1e5:.5f}".rstrip("0").rstrip(".") if f else f"{round(v * 1e5)}"
        for v, f in zip(lon, fractional, strict=True)
    ]
    towns = []
    for prefecture, _, _ in place:
        if rng.random() < 0.4:
            towns.append(prefecture)
        else:
            towns.append(str(rng.choice(TOWN_SUFFIXES)).format(p=prefecture.split("-")[0]))
    addresses = [f"{int(rng.integers(1, 250))} {rng.choice(STREETS)}" for _ in range(n_stations)]
    seq: dict[str, int] = {}
    ids = []
    for cp in postcode:
        seq[cp] = seq.get(cp, 0) + 1
        ids.append(str(int(cp) * 1000 + seq[cp]))
    sells = rng.random((n_stations, len(FUELS))) < np.array([f[2] for f in FUELS])
    sells[~sells.any(axis=1), 0] = True
    return pd.DataFrame(
        {
            "id": ids,
            "latitude": lat_txt,
            "longitude": lon_txt,
            "cp": postcode,
            "pop": np.where(rng.random(n_stations) < 0.045, "A", "R"),
            "adresse": addresses,
            "ville": towns,
            "offset": rng.normal(0.0, 0.03, n_stations),
            "sells": list(sells),
        }
    )


def build_price_history(
    seed: int, stations: pd.DataFrame, n_rows: int, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Price updates over ``start..end``: exactly ``n_rows`` rows, at least one per sold fuel."""
    rng = rng_for(seed, STREAM_FUEL, 2)
    sells = np.stack(list(stations["sells"]))
    station_idx, fuel_idx = np.nonzero(sells)
    n_pairs = len(station_idx)
    if n_rows < n_pairs:
        raise ValueError(
            f"fuel_price_rows={n_rows} is smaller than the {n_pairs} station×fuel pairs; "
            "ask for more rows or fewer stations"
        )
    activity = rng.lognormal(0.0, 0.6, n_pairs)
    counts = 1 + rng.multinomial(n_rows - n_pairs, activity / activity.sum())
    pair = np.repeat(np.arange(n_pairs), counts)
    t0 = start.value // 10**9
    t1 = (end + pd.Timedelta(days=1)).value // 10**9 - 3600
    minutes = rng.integers(0, (t1 - t0) // 60, size=n_rows)
    order = np.lexsort((minutes, pair))
    pair, minutes = pair[order], minutes[order]
    # strictly increasing update times within a pair (natural key station, fuel, time)
    first = np.r_[0, np.flatnonzero(np.diff(pair)) + 1]
    rank = np.arange(n_rows) - np.repeat(first, np.diff(np.r_[first, n_rows]))
    seconds = t0 + minutes * 60 + rank
    times = seconds.astype("datetime64[s]")
    level = _price_level(times)[np.arange(n_rows), fuel_idx[pair]]
    st = station_idx[pair]
    motorway = (stations["pop"].to_numpy() == "A")[st] * 0.14
    price = level + stations["offset"].to_numpy()[st] + motorway + rng.normal(0, 0.012, n_rows)
    return pd.DataFrame(
        {
            "station": st,
            "fuel": fuel_idx[pair],
            "maj": pd.to_datetime(times).strftime("%Y-%m-%d %H:%M:%S"),
            "price": np.round(np.clip(price, 0.5, 3.0), 3),
        }
    )


def stations_and_prices(world: SampleWorld) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sample's fuel stations and their price history, built once per world (the history
    CSV and the flux snapshot draw from the same stations and prices)."""
    if "fuel" not in world.shared:
        stations = build_stations(world.seed, world.codes, world.fuel_stations)
        prices = build_price_history(
            world.seed, stations, world.fuel_price_rows, world.first, world.last
        )
        world.shared["fuel"] = (stations, prices)
    stations, prices = world.shared["fuel"]
    return stations, prices


def write_fuel_history(out_dir: Path, world: SampleWorld, file: str) -> dict[str, int]:
    """The flat price history (one row per price change)."""
    stations, prices = stations_and_prices(world)
    st = prices["station"].to_numpy()
    names = np.array([f[0] for f in FUELS], dtype=object)
    ids = np.array([str(f[1]) for f in FUELS], dtype=object)
    out = pd.DataFrame({c: stations[c].to_numpy()[st] for c in FUEL_COLUMNS[:7]})
    out["prix_nom"] = names[prices["fuel"].to_numpy()]
    out["prix_id"] = ids[prices["fuel"].to_numpy()]
    out["prix_maj"] = prices["maj"].to_numpy()
    out["prix_valeur"] = decimals(prices["price"], 3)
    return {file: write_csv(out_dir / file, out)}


def _station_xml(
    rng: np.random.Generator, station: pd.Series, latest: pd.DataFrame, end: pd.Timestamp
) -> str:
    lines = [
        f'  <pdv id="{station["id"]}" latitude="{station["latitude"]}" '
        f'longitude="{station["longitude"]}" cp="{station["cp"]}" pop="{station["pop"]}">',
        f"    <adresse>{escape(station['adresse'])}</adresse>",
        f"    <ville>{escape(station['ville'])}</ville>",
    ]
    if rng.random() < 0.76:
        automate = "1" if rng.random() < 0.4 else ""
        lines.append(f'    <horaires automate-24-24="{automate}">')
        with_hours = rng.random() < 0.6
        for day_id, day in enumerate(DAYS, start=1):
            closed = "1" if day_id == 7 and rng.random() < 0.15 else ""
            if with_hours and not closed:
                opening = "08.00" if day_id == 7 else "07.00"
                closing = "19.00" if day_id == 7 else "20.30"
                lines.append(f'      <jour id="{day_id}" nom="{day}" ferme="{closed}">')
                lines.append(f'        <horaire ouverture="{opening}" fermeture="{closing}"/>')
                lines.append("      </jour>")
            else:
                lines.append(f'      <jour id="{day_id}" nom="{day}" ferme="{closed}"/>')
        lines.append("    </horaires>")
    services = [name for name, p in SERVICES if rng.random() < p]
    if services:
        lines.append("    <services>")
        lines.extend(f"      <service>{escape(s)}</service>" for s in services)
        lines.append("    </services>")
    else:
        lines.append("    <services/>")
    shortages = []
    columns = ("fuel", "maj", "price")
    for fuel, maj, price in zip(*(latest[c].tolist() for c in columns), strict=True):
        name, fuel_id, _ = FUELS[int(fuel)]
        lines.append(f'    <prix nom="{name}" id="{fuel_id}" maj="{maj}" valeur="{price:.3f}"/>')
        if rng.random() < 0.03:
            began = end - pd.Timedelta(minutes=int(rng.integers(60, 5 * 24 * 60)))
            shortages.append((name, fuel_id, began.strftime("%Y-%m-%d %H:%M:%S"), "temporaire"))
    sold = set(latest["fuel"])
    for i, (name, fuel_id, _) in enumerate(FUELS):
        if i not in sold and rng.random() < 0.4:
            shortages.append((name, fuel_id, "2017-09-16 09:50:23", "definitive"))
    for name, fuel_id, since, kind in shortages:
        lines.append(
            f'    <rupture id="{fuel_id}" nom={quoteattr(name)} debut="{since}" fin="" '
            f'type="{kind}"/>'
        )
    lines.append("  </pdv>")
    return "\n".join(lines)


def write_fuel_snapshot(out_dir: Path, world: SampleWorld, file: str) -> dict[str, int]:
    """The latest price of every station and fuel as the official ISO-8859-1 XML in a zip."""
    (stations, prices), end = stations_and_prices(world), world.last
    rng = rng_for(world.seed, STREAM_FUEL, 3)
    latest = prices.groupby(["station", "fuel"], sort=True).tail(1)
    by_station = dict(tuple(latest.groupby("station", sort=True)))
    parts = ['<?xml version="1.0" encoding="ISO-8859-1" standalone="yes"?>', "<pdv_liste>"]
    for i in range(len(stations)):
        parts.append(_station_xml(rng, stations.iloc[i], by_station[i], end))
    parts.append("</pdv_liste>\n")
    xml = "\n".join(parts).encode("iso-8859-1")
    info = zipfile.ZipInfo(FUEL_XML_MEMBER, date_time=(end.year, end.month, end.day, 23, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out_dir / file, "w") as zf:
        zf.writestr(info, xml)
    world.units[file] = "rows = stations (pdv elements)"
    return {file: len(stations)}


def _snapshot_xml(path: Path) -> tuple[zipfile.ZipInfo, ElementTree.Element]:
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(FUEL_XML_MEMBER)
        return info, ElementTree.fromstring(zf.read(info))


def next_fuel_snapshot(previous: Path, later: Path, day: date, out: Path) -> dict[str, int]:
    """The flux snapshot of ``day`` as the flux publishes it the day after ``previous``: the
    stations of ``previous`` with each price of ``later`` updated on ``day`` replacing (or
    joining) that fuel's price, each shortage of ``later`` that began on ``day`` added, and the
    stations new in ``later`` added with only what they published on ``day``. Nothing dated
    before ``day`` comes from ``later`` (a longer sample's snapshot holds last prices of past
    days a shorter history lacks). Written to ``out`` (a zip, as the flux); what changed."""
    info, tree = _snapshot_xml(previous)
    _, newer = _snapshot_xml(later)
    prefix = day.isoformat()
    stations = {pdv.get("id"): pdv for pdv in tree.iter("pdv")}
    done = {"prices": 0, "shortages": 0, "stations": 0}
    for pdv in newer.iter("pdv"):
        prices = [p for p in pdv.iter("prix") if (p.get("maj") or "").startswith(prefix)]
        shortages = [r for r in pdv.iter("rupture") if (r.get("debut") or "").startswith(prefix)]
        station = stations.get(pdv.get("id"))
        if station is None:  # a new station: its elements but the prices and shortages
            station = ElementTree.SubElement(tree, "pdv", pdv.attrib)
            station.extend(c for c in pdv if c.tag not in ("prix", "rupture"))
            station.tail, done["stations"] = pdv.tail, done["stations"] + 1
        for price in prices:
            old = next((p for p in station.iter("prix") if p.get("id") == price.get("id")), None)
            if old is not None:
                old.attrib = dict(price.attrib)
            else:  # after the station's last price
                kept = list(station)
                at = max((i + 1 for i, c in enumerate(kept) if c.tag == "prix"), default=len(kept))
                station.insert(at, price)
            done["prices"] += 1
        have = {(r.get("id"), r.get("debut")) for r in station.iter("rupture")}
        for shortage in shortages:
            if (shortage.get("id"), shortage.get("debut")) not in have:
                station.append(shortage)
                done["shortages"] += 1
    xml = ElementTree.tostring(tree, encoding="iso-8859-1", xml_declaration=True)
    info.date_time = (day.year, day.month, day.day, 23, 0, 0)
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(info, xml, compress_type=zipfile.ZIP_DEFLATED)
    return done
