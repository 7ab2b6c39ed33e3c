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
and one per ``<rupture>``; a station with neither still yields one row so it is not lost),
read from chunks of the file or of the zip member, in frames of at most ``batch_rows`` rows cut
at station boundaries: memory stays flat whatever the size of the flux. A zip goes through
:func:`~data_collection_kedro.sources.archives.iter_member_chunks` (limits on sizes, ratio and
member names, from the ``etl.archive`` parameters).

A flux in the regular form prix-carburants writes is cut into its fields column by column in
Arrow (:mod:`~data_collection_kedro.sources.fuel_flux_stations`: a grammar in which every
document is well formed and reads as through an XML parser). Any other document — or the rest
of one, from the chunk where it leaves that form — is read by the expat parser directly (no
tree is built: it is the parser ``iterparse`` wraps, minus the elements), the rows already
yielded skipped: the rows and the errors are always those of the parser. The parser refuses a
DOCTYPE (entity declarations: the "billion laughs"); stations share a few opening hours, so
each distinct one is encoded to JSON once per flux, and the rows become a frame column by
column in Arrow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any
from xml.parsers import expat

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data_collection_kedro.sources.archives import ArchiveLimits, is_zip, iter_member_chunks
from data_collection_kedro.sources.errors import SourceError
from data_collection_kedro.sources.fuel_flux_stations import (
    JSON,
    POOL,
    NotRegular,
    day,
    hours_json,
    iter_regular_columns,
)

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


class FuelFluxError(SourceError, ValueError):
    """The flux is not a readable fuel-price XML (or zip of one)."""


_COLUMNS = [*FLAT_COLUMNS, *EXTRA_COLUMNS, "_source_line"]
_TEXT = pd.StringDtype(na_value=np.nan)  # what astype("str") gives
_NO_TEXT = pa.scalar(None, pa.string())


def _xml_documents(
    source: bytes | Path, name: str, limits: ArchiveLimits
) -> Iterator[tuple[str, Iterator[bytes]]]:
    """``(document name, chunks)``: the zip's members, or the XML itself (both bounded)."""
    if isinstance(source, Path):
        with open(source, "rb") as handle:
            head = handle.read(4)
    else:
        head = source[:4]
    if is_zip(head):
        for member, chunks in iter_member_chunks(source, name, limits):
            yield (name if limits.max_members == 1 else f"{name}:{member}"), chunks
        return
    yield name, _plain_chunks(source, name, limits)


def _plain_chunks(source: bytes | Path, name: str, limits: ArchiveLimits) -> Iterator[bytes]:
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    if size > limits.max_uncompressed_bytes:
        raise FuelFluxError(
            f"{name}: XML of {size / 2**20:,.1f} MB above the limit max_uncompressed_mb="
            f"{limits.max_uncompressed_mb:g}"
        )
    if isinstance(source, bytes):
        for start in range(0, len(source), limits.chunk_bytes):
            yield source[start : start + limits.chunk_bytes]
        return
    with open(source, "rb") as handle:
        while chunk := handle.read(limits.chunk_bytes):
            yield chunk


def iter_fuel_flux_frames(
    source: bytes | Path,
    *,
    source_name: str | None = None,
    limits: ArchiveLimits | None = None,
    batch_rows: int = 200_000,
) -> Iterator[pd.DataFrame]:
    """The flattened flux (see :func:`read_fuel_flux_xml`) in frames of at most ``batch_rows``
    rows (more only when one station has more), each cut after a complete ``<pdv>``.

    Raises:
        FuelFluxError: when the bytes are neither a fuel XML nor a zip holding one.
        ArchiveError: when the zip breaks a limit of ``limits`` (names the file and the limit).
    """
    name = source_name or (source.name if isinstance(source, Path) else "flux.xml")
    limits = limits or ArchiveLimits()
    for index, (document, chunks) in enumerate(_xml_documents(source, name, limits)):
        again = partial(_document_chunks, source, name, limits, index)
        yield from _read_document(document, chunks, again, batch_rows)


def _document_chunks(
    source: bytes | Path, name: str, limits: ArchiveLimits, index: int
) -> Iterator[bytes]:
    """The chunks of the ``index``-th document of ``source``, read again."""
    for i, (_, chunks) in enumerate(_xml_documents(source, name, limits)):
        if i == index:
            yield from chunks
            return


def _read_document(
    name: str,
    chunks: Iterator[bytes],
    again: Callable[[], Iterator[bytes]],
    batch_rows: int,
) -> Iterator[pd.DataFrame]:
    """The frames of one document: read in Arrow while it is in the flux's regular form,
    else by the XML parser from its start, the rows already yielded skipped."""
    yielded = 0
    try:
        for frame in _regular_frames(name, chunks, batch_rows):
            yielded += len(frame)
            yield frame
        return
    except NotRegular:
        pass
    yield from _parse_document(name, again(), batch_rows, skip_rows=yielded)


def _regular_frames(name: str, chunks: Iterator[bytes], batch_rows: int) -> Iterator[pd.DataFrame]:
    """The frames of a document in the regular form (raises ``NotRegular`` where it is not)."""
    parts: list[tuple[list[pa.Array], pa.Array]] = []
    pending = 0
    yielded = False
    for columns, lines in iter_regular_columns(chunks):
        parts.append((columns, lines))
        pending += len(lines)
        if pending >= batch_rows:
            yield _concat_frame(parts, name)
            parts, pending, yielded = [], 0, True
    if parts or not yielded:
        yield _concat_frame(parts, name)


def _concat_frame(parts: list[tuple[list[pa.Array], pa.Array]], name: str) -> pd.DataFrame:
    if not parts:
        return _frame([], name)
    columns = [
        pa.concat_arrays([part[0][i] for part in parts], memory_pool=POOL)
        for i in range(len(_COLUMNS) - 1)
    ]
    return _text_frame(
        columns, pa.concat_arrays([part[1] for part in parts], memory_pool=POOL), name
    )


def _refuse_doctype(name: str) -> Any:
    def handler(*args: Any) -> None:
        raise FuelFluxError(
            f"{name}: DOCTYPE/entity declarations refused (the flux has none; entities can "
            "expand without bound)"
        )

    return handler


def _parse_document(
    name: str,
    chunks: Iterator[bytes],
    batch_rows: int,
    skip_rows: int = 0,
) -> Iterator[pd.DataFrame]:
    """The frames of one document read by expat, without its first ``skip_rows`` rows."""
    rows: list[tuple[Any, ...]] = []
    complete = 0  # rows of the stations closed so far
    root: list[str] = []
    station: dict[str, Any] = {}
    station_rows = 0
    text_target: str | None = None
    text_parts: list[str] = []
    hours: tuple[bool, list[tuple[Any, ...]]] | None = None  # (automate-24-24, days)
    hours_texts: dict[tuple[Any, ...], str] = {}  # stations share a few opening hours
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
        if not root:
            root.append(tag)
            if tag != "pdv_liste":
                raise FuelFluxError(
                    f"{name}: root element <{tag}>, expected <pdv_liste>: not a fuel-price flux"
                )
        # the most frequent elements first (a station has ~7 jour, ~6 service, ~4 prix)
        if tag == "jour":
            if hours is not None:
                hours[1].append(day(attrs))
        elif tag == "service" or tag == "adresse" or tag == "ville":
            text_target = tag
            text_parts.clear()
            parser.CharacterDataHandler = text  # only text inside these elements is kept
        elif tag == "horaire":
            if hours is not None and hours[1]:
                hours[1][-1][3].append((attrs.get("ouverture"), attrs.get("fermeture")))
        elif tag == "prix":
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
        elif tag == "horaires":
            hours = (attrs.get("automate-24-24") == "1", [])
        elif tag == "services":
            services = []

    def end(tag: str) -> None:
        nonlocal text_target, hours, services, complete
        if tag == text_target:
            parser.CharacterDataHandler = None
            value = "".join(text_parts).strip() or None
            if tag == "service":
                if services is not None and value:
                    services.append(value)
            else:
                station[tag] = value
            text_target = None
        elif tag == "horaires":
            if hours is not None:
                key = (hours[0], tuple((*day[:3], tuple(day[3])) for day in hours[1]))
                if key not in hours_texts:
                    hours_texts[key] = hours_json(*hours)
                station["horaires"] = hours_texts[key]
            else:  # a closing tag without its opening one: expat refuses it before
                station["horaires"] = JSON.encode(None)
            hours = None
        elif tag == "services":
            station["services"] = JSON.encode(services)
            services = None
        elif tag == "pdv":
            if station_rows == 0:
                no_price = (None,) * 4
                no_shortage = (None,) * 5
                rows.append(
                    (
                        *station_prefix(),
                        *no_price,
                        *station_suffix(),
                        *no_shortage,
                        station["_line"],
                    )
                )
            complete = len(rows)

    def text(data: str) -> None:
        text_parts.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = _refuse_doctype(name)
    parser.EntityDeclHandler = _refuse_doctype(name)
    skip = skip_rows

    def batch(count: int) -> list[tuple[Any, ...]]:
        """The first ``count`` rows taken out of ``rows``, less those to skip."""
        nonlocal skip
        taken = rows[skip:count]
        skip = max(skip - count, 0)
        del rows[:count]
        return taken

    yielded = False
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
            if complete >= batch_rows:
                taken = batch(complete)
                complete = 0
                if taken:
                    yielded = True
                    yield _frame(taken, name)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise FuelFluxError(f"{name}: unreadable fuel flux XML ({exc})") from exc
    if not root:
        raise FuelFluxError(f"{name}: no <pdv_liste> element: not a fuel-price flux")
    last = batch(len(rows))
    if last or (not yielded and not skip_rows):
        yield _frame(last, name)


def _frame(rows: list[tuple[Any, ...]], name: str) -> pd.DataFrame:
    """The rows as a frame of text columns (a blank value is missing: an empty attribute),
    then ``_source_file`` and the ``int64`` ``_source_line``: column by column in Arrow."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(_COLUMNS)
    return _text_frame(
        [pa.array(values, pa.string(), memory_pool=POOL) for values in columns[:-1]],
        pa.array(columns[-1], pa.int64(), memory_pool=POOL),
        name,
    )


def _text_frame(columns: list[pa.Array], lines: pa.Array, name: str) -> pd.DataFrame:
    """The frame of the text ``columns`` (a blank value becomes missing), ``_source_file`` and
    the ``int64`` ``lines`` as ``_source_line``."""
    arrays = []
    for text in columns:
        blank = pc.equal(
            pc.utf8_trim_whitespace(text), "", memory_pool=POOL
        )  # as pandas' str.strip()
        arrays.append(pc.if_else(blank, _NO_TEXT, text, memory_pool=POOL))
    arrays.append(pa.array([name] * len(lines), pa.string(), memory_pool=POOL))
    arrays.append(lines)
    table = pa.table(arrays, names=[*_COLUMNS[:-1], "_source_file", "_source_line"])
    return table.to_pandas(types_mapper=lambda t: _TEXT if pa.types.is_string(t) else None)


def read_fuel_flux_xml(
    source: bytes | Path,
    *,
    source_name: str | None = None,
    limits: ArchiveLimits | None = None,
) -> pd.DataFrame:
    """Flatten the fuel flux XML (or its zip) into one all-string frame.

    Columns: ``id;latitude;longitude;cp;pop;adresse;ville;prix_nom;prix_id;prix_maj;prix_valeur``
    then ``horaires`` (JSON str), ``services`` (JSON list str), ``rupture_nom``, ``rupture_id``,
    ``rupture_debut``, ``rupture_fin``, ``rupture_type``, and the bookkeeping columns
    ``_source_file`` (``source_name``, else the file name, else ``"flux.xml"``) and
    ``_source_line`` (line of the ``<prix>``/``<rupture>``/``<pdv>`` element).
    Values keep the source's text (lat/lon ×100000, prices in €/L); missing values are ``NA``.
    Large fluxes: :func:`iter_fuel_flux_frames` yields the same rows in bounded frames.

    Raises:
        FuelFluxError: when the bytes are neither a fuel XML nor a zip holding one.
        ArchiveError: when the zip breaks a limit of ``limits``.
    """
    frames = list(iter_fuel_flux_frames(source, source_name=source_name, limits=limits))
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
